"""Runs the engine daemon: python -m tuibox.engine [--socket PATH] ..."""

import sys

from tuibox.engine.server import main

sys.exit(main())
