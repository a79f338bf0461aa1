#!/usr/bin/env bash
# Installs what tuibox needs on Debian 12, as root: Debian packages, then a venv at ./.venv.
# Idempotent: apt runs only for missing packages, pip only when pyproject.toml changed.
# Usage: scripts/install-deps.sh [--dev]
set -euo pipefail

usage() { echo "usage: $0 [--dev]   (--dev also installs the test and lint tools)"; }

WITH_DEV=0
for arg in "$@"; do
    case "$arg" in
        --dev) WITH_DEV=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
say() { echo "install-deps: $*"; }

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: run as root (it installs Debian packages)" >&2
    exit 1
fi

# crun + conmon run containers; docker-registry and busybox-static make the demo registry
# and its images; iproute2 is for looking at container networks (ip netns, ip link).
PACKAGES=(crun conmon docker-registry busybox-static iproute2)

# Python >= 3.11 able to make a venv: $PYTHON if set, else python3 on PATH, else Debian's.
python_ok() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
    if command -v python3 >/dev/null && python_ok "$(command -v python3)"; then
        PYTHON="$(command -v python3)"
    else
        PYTHON=/usr/bin/python3
        PACKAGES+=(python3 python3-venv)
    fi
fi

missing=()
for package in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
    [ "$status" = "install ok installed" ] || missing+=("$package")
done

if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    # Keep package scripts from starting services (docker-registry ships one listening on
    # all interfaces with its own config): a policy-rc.d that says no, only while we install.
    POLICY=/usr/sbin/policy-rc.d
    added_policy=0
    if [ ! -e "$POLICY" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$POLICY"
        chmod 755 "$POLICY"
        added_policy=1
    fi
    trap '[ "$added_policy" -eq 1 ] && rm -f "$POLICY"' EXIT
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
    if [ "$added_policy" -eq 1 ]; then rm -f "$POLICY"; fi
    trap - EXIT
fi

if pgrep -f '/etc/docker/registry/config.yml' >/dev/null 2>&1; then
    say "WARNING: Debian's docker-registry service is running with" \
        "/etc/docker/registry/config.yml (all interfaces, port 5000)." \
        "tuibox does not use it; stop it with: service docker-registry stop"
fi

if ! python_ok "$PYTHON"; then
    echo "install-deps: $PYTHON is not Python >= 3.11 with venv; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    say "creating $VENV with $PYTHON"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
fi

extras=""
[ "$WITH_DEV" -eq 1 ] && extras="[dev]"
stamp="$VENV/.tuibox-install"
project_hash="$(sha256sum "$REPO/pyproject.toml" | cut -d' ' -f1)"
installed="$(cat "$stamp" 2>/dev/null || true)"
up_to_date=0
case "$installed" in
    "$project_hash [dev]") up_to_date=1 ;;              # a dev install covers both
    "$project_hash ") [ -z "$extras" ] && up_to_date=1 ;;
esac
"$VENV/bin/python" -I -c 'import tuibox' 2>/dev/null || up_to_date=0
if [ "$up_to_date" -eq 0 ]; then
    say "pip install -e .$extras"
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    "$VENV/bin/python" -m pip install -q -e "$REPO$extras"
    echo "$project_hash $extras" > "$stamp"
fi
say "ready: $VENV"
