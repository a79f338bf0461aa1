"""Command line for the offline demo: python -m tuibox.demo setup|stop --state-dir DIR."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tuibox.demo.images import DemoImageError
from tuibox.demo.push import PushError
from tuibox.demo.registry import RegistryError
from tuibox.demo.setup import DEFAULT_ENGINE_CONFIG, DEFAULT_PORT, setup_demo, stop_demo

DEFAULT_STATE_DIR = Path(".tuibox-demo")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for the `setup` and `stop` subcommands."""
    parser = argparse.ArgumentParser(
        prog="python -m tuibox.demo",
        description="Run a loopback registry seeded with the demo images and make it "
        "the tuibox engine's Docker Hub mirror.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    setup = commands.add_parser("setup", help="build, start the registry, push, configure")
    setup.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    setup.add_argument("--port", type=int, default=DEFAULT_PORT)
    setup.add_argument("--engine-config", type=Path, default=DEFAULT_ENGINE_CONFIG)
    stop = commands.add_parser("stop", help="stop the registry that setup started")
    stop.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the demo command line and return its exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "setup":
            return _setup(args.state_dir, args.port, args.engine_config)
        stopped = stop_demo(args.state_dir)
        print("demo registry stopped" if stopped else "no demo registry was running")
        return 0
    except (DemoImageError, PushError, RegistryError, OSError, ValueError) as err:
        print(f"tuibox demo: {err}", file=sys.stderr)
        return 1


def _setup(state_dir: Path, port: int, engine_config: Path) -> int:
    done = setup_demo(state_dir, port, engine_config)
    verb = "reusing" if done.reused else "started"
    print(f"demo registry {verb} at {done.registry_url} (pid {done.registry_pid})")
    for name, digest in done.digests.items():
        print(f"pushed library/{name}:latest {digest}")
    print(f"engine config {done.engine_config}: mirror {done.registry_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
