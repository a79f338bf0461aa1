#!/usr/bin/env bash
# The README's first command: install everything, seed the loopback demo registry, start tuibox.
# Usage: scripts/demo.sh [tuibox arguments...]   (as root on Debian 12)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

"$REPO/scripts/install-deps.sh"
# A loopback registry holding hello-world and busybox, named as the Docker Hub mirror in
# /etc/tuibox/engine.json; stop it with: .venv/bin/python -m tuibox.demo stop --state-dir .tuibox-demo
"$REPO/.venv/bin/python" -m tuibox.demo setup --state-dir "$REPO/.tuibox-demo"
# The TUI starts its own engine when none answers; that engine reads /etc/tuibox/engine.json.
exec "$REPO/.venv/bin/tuibox" "$@"
