"""Runs the tuibox command line: python -m tuibox."""

from tuibox.cli import main

main()
