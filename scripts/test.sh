#!/usr/bin/env bash
# The README's second command: install what tests need, then lint, type-check and run every test.
# Runs every step, prints a summary, and exits non-zero when any step failed.
# Usage: scripts/test.sh [pytest arguments...]   (as root on Debian 12; .ci/run sets CI=true)
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO" || exit 1

"$REPO/scripts/install-deps.sh" --dev || { echo "test: install-deps failed" >&2; exit 1; }

export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-} -p no:cacheprovider"
export COLUMNS="${COLUMNS:-120}"   # stable output width for tools that wrap
export HYPOTHESIS_STORAGE_DIRECTORY="${HYPOTHESIS_STORAGE_DIRECTORY:-/tmp/tuibox-hypothesis}"
BIN="$REPO/.venv/bin"

# The container rules run on fakes of crun, conmon and overlayfs: they need no root, and this
# step proves it by running them again as nobody (the venv's python is Debian's, in /usr/bin).
unprivileged() {
    setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
        env HOME=/tmp HYPOTHESIS_STORAGE_DIRECTORY=/tmp/tuibox-hypothesis-nobody \
        "$BIN/python" -m pytest -q -p no:cacheprovider tests/services
}

failed=()
step() {
    local name="$1"; shift
    echo "=== $name: $*"
    "$@"
    local status=$?
    if [ "$name" = pytest ] && [ "$status" -eq 5 ]; then
        echo "test: pytest collected no tests; that is a failure, not a pass" >&2
    fi
    [ "$status" -eq 0 ] || failed+=("$name (exit $status)")
}

step ruff "$BIN/ruff" check .
step import-linter "$BIN/lint-imports"
step mypy "$BIN/mypy" tuibox tests bench
step pytest "$BIN/python" -m pytest -ra "$@"
step unprivileged unprivileged

if [ "${#failed[@]}" -gt 0 ]; then
    echo "test: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "test: all steps passed"
