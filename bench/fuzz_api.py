"""Runs the API fuzz property (no 5xx for any request) with many examples, and reports.

Usage (from the repository root, after scripts/install-deps.sh --dev; root is not needed):
    .venv/bin/python bench/fuzz_api.py [--examples 20000] [--seed N]

The suite runs the same property (tests/services/test_fuzz_api.py) with 300 examples; this
is the long run. It prints how many examples ran, how long they took and the outcome, and
exits with pytest's status.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEST = "tests/services/test_fuzz_api.py"


def main(argv: list[str] | None = None) -> int:
    """Run the fuzz test with the asked number of examples."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20_000, help="requests to try")
    parser.add_argument("--seed", type=int, help="Hypothesis seed, to repeat a run")
    args = parser.parse_args(argv)
    env = {**os.environ, "TUIBOX_FUZZ_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST]
    if args.seed is not None:
        command.append(f"--hypothesis-seed={args.seed}")
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, env=env, check=False)
    seconds = time.monotonic() - started
    outcome = "no 5xx found" if done.returncode == 0 else "FAILED (see the example above)"
    print(f"fuzz_api: {args.examples} examples in {seconds:.0f} s: {outcome}")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
