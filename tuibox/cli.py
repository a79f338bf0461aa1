"""Provides the `tuibox` command: the TUI by default, `tuibox engine ...` for the daemon.

Each side is imported lazily, so the TUI process never loads aiohttp or pyroute2 and the
engine process never loads Textual.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from tuibox import __version__

DEFAULT_ENGINE_SOCKET = "/run/tuibox/engine.sock"
HOST_ENV = "TUIBOX_HOST"
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""Signals that quit the TUI cleanly (killed, or its terminal closed): the engine goes too."""


def build_parser() -> argparse.ArgumentParser:
    """The TUI's argument parser (`tuibox engine` arguments go to the engine untouched)."""
    parser = argparse.ArgumentParser(
        prog="tuibox",
        description="A keyboard-driven terminal UI for containers, with its own engine inside.",
        epilog="Run `tuibox engine --help` for the engine daemon's options.",
    )
    parser.add_argument("--version", action="version", version=f"tuibox {__version__}")
    parser.add_argument(
        "--host",
        default=os.environ.get(HOST_ENV) or None,
        help="connect to an existing engine instead of starting one: unix:///path/to.sock "
        f"(tuibox, dockerd or podman; default: ${HOST_ENV})",
    )
    parser.add_argument(
        "--socket",
        default=DEFAULT_ENGINE_SOCKET,
        help=f"socket of the embedded engine tuibox starts if none answers "
        f"(default: {DEFAULT_ENGINE_SOCKET})",
    )
    for option, what in (
        ("--data-root", "DIR"),
        ("--exec-root", "DIR"),
        ("--config", "FILE"),
    ):
        parser.add_argument(option, metavar=what, help=f"passed to the embedded engine's {option}")
    return parser


def engine_args_from(args: argparse.Namespace) -> list[str]:
    """The pass-through engine options given to the TUI, as engine argv."""
    engine_args: list[str] = []
    for option, value in (
        ("--data-root", args.data_root),
        ("--exec-root", args.exec_root),
        ("--config", args.config),
    ):
        if value:
            engine_args += [option, value]
    return engine_args


def run_engine(argv: Sequence[str]) -> int:
    """Run the engine daemon in this process (imports it only now)."""
    from tuibox.engine import server

    return int(server.main(list(argv)))


def run_tui(args: argparse.Namespace) -> int:
    """Run the TUI against --host, or against the embedded engine it supervises."""
    from tuibox.app import TuiboxApp
    from tuibox.client import EngineClient, socket_path_from_host
    from tuibox.supervisor import EngineSupervisor

    supervisor: EngineSupervisor | None = None
    if args.host:
        try:
            socket_path = socket_path_from_host(args.host)
        except ValueError as err:
            print(f"tuibox: {err}", file=sys.stderr)
            return 2
    else:
        socket_path = args.socket
        supervisor = EngineSupervisor(socket_path, engine_args_from(args))
    app = TuiboxApp(
        EngineClient(socket_path),
        supervisor,
        host_label=f"unix://{socket_path}",
        exit_on_signals=EXIT_SIGNALS,
    )
    try:
        app.run()
    finally:
        if supervisor is not None:
            supervisor.terminate_now()
    return int(app.return_code or 0)


def run(argv: Sequence[str] | None = None) -> int:
    """Dispatch the command line and return the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] == "engine":
        return run_engine(arguments[1:])
    return run_tui(build_parser().parse_args(arguments))


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `tuibox` console script and of `python -m tuibox`."""
    raise SystemExit(run(argv))
