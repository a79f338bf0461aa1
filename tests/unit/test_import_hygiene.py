"""Tests that each side of tuibox loads only its own dependencies (fresh interpreters)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def modules_loaded_after(statement: str, candidates: list[str]) -> list[str]:
    code = (
        f"import sys, json\n{statement}\n"
        f"print(json.dumps([m for m in {candidates!r} if m in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_tui_never_loads_engine_side_modules() -> None:
    loaded = modules_loaded_after(
        "import tuibox.app, tuibox.screens, tuibox.widgets, tuibox.supervisor",
        ["aiohttp", "pyroute2", "psutil", "tuibox.engine"],
    )
    assert loaded == []


def test_cli_loads_neither_side_until_dispatch() -> None:
    loaded = modules_loaded_after(
        "import tuibox.cli; tuibox.cli.build_parser().parse_args([])",
        ["textual", "aiohttp", "pyroute2", "tuibox.engine", "tuibox.app"],
    )
    assert loaded == []


def test_client_never_loads_textual() -> None:
    loaded = modules_loaded_after("import tuibox.client", ["textual", "aiohttp", "tuibox.engine"])
    assert loaded == []


def test_engine_server_never_loads_textual() -> None:
    loaded = modules_loaded_after(
        "import tuibox.engine.server", ["textual", "tuibox.app", "tuibox.widgets", "httpx._tui"]
    )
    assert loaded == []
