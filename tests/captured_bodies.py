"""Create bodies captured from real clients, for the tests of which fields are honoured.

tests/data/docker/create-bodies.json.gz holds, per client (docker CLI 20.10.24 and 28.2.2,
docker-py 7.2's containers.create, containers.run and APIClient.create_container), the
exact create body and query string each one sent to a recording server for one flag or
keyword argument at a time: {client: {case: {"argv", "query", "body"}}}.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "docker" / "create-bodies.json.gz"
CAPTURED: dict[str, dict[str, dict[str, Any]]] = json.loads(gzip.decompress(DATA.read_bytes()))
