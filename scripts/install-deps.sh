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
PACKAGES=(crun conmon docker-registry busybox-static iproute2 tini)
PACKAGES+=(iptables)  # container networks: NAT, forwarding, published ports (nf_tables)

# The isolation tests build a static syscall probe (keyctl, ptrace) to run in containers.
# The save/load tests load a docker-archive tar that skopeo (not tuibox) wrote; the registry
# tests make their CA, certificates and token-signing keys with the openssl CLI.
if [ "$WITH_DEV" -eq 1 ]; then
    PACKAGES+=(gcc libc6-dev skopeo openssl)
fi

# The tests drive a docker CLI, and the README has demo users type docker commands. Without
# one on PATH, Debian's docker.io brings it (20.10); only its `docker` client is ever used:
# its dockerd and containerd must never start (see keep_daemons_off below).
if ! command -v docker >/dev/null; then
    PACKAGES+=(docker.io)
fi

# Python >= 3.11 able to make a venv: $PYTHON if set, else Debian's (installed if need be).
# Debian's lives in /usr/bin, where any user may run it: part of the suite runs as an
# unprivileged user to show it needs no root, through this venv.
python_ok() {
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
    PYTHON=/usr/bin/python3
    python_ok "$PYTHON" || PACKAGES+=(python3 python3-venv)
fi

is_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
for package in "${PACKAGES[@]}"; do
    is_installed "$package" || missing+=("$package")
done

# The daemon units of the packages this run installs, and only those: docker.io's, and
# containerd's when it comes in as docker.io's dependency (one already installed is left be).
daemon_units=()
daemon_initscripts=()
if [[ " ${missing[*]:-} " == *" docker.io "* ]]; then
    daemon_units+=(docker.service docker.socket)
    daemon_initscripts+=(docker)
    is_installed containerd || daemon_units+=(containerd.service)
fi

# Leave the daemons that came with docker.io unable to start, on any init: systemd units
# disabled and masked, so that socket activation on /var/run/docker.sock cannot start dockerd
# (done offline where systemd is installed but not running, for a later boot); sysvinit boot
# links disabled. Idempotent; does nothing until docker.io is installed.
keep_daemons_off() {
    [ "${#daemon_units[@]}" -gt 0 ] && is_installed docker.io || return 0
    if command -v systemctl >/dev/null; then
        if [ -d /run/systemd/system ]; then
            systemctl stop "${daemon_units[@]}" 2>/dev/null || true
        fi
        systemctl --quiet disable "${daemon_units[@]}" 2>/dev/null || true
        systemctl --quiet mask "${daemon_units[@]}"
    else
        mkdir -p /etc/systemd/system
        for unit in "${daemon_units[@]}"; do
            rm -f /etc/systemd/system/*.wants/"$unit"
            ln -sfn /dev/null "/etc/systemd/system/$unit"
        done
    fi
    for script in "${daemon_initscripts[@]}"; do
        if [ -x "/etc/init.d/$script" ] && command -v update-rc.d >/dev/null; then
            update-rc.d "$script" disable >/dev/null 2>&1 || true
        fi
    done
    say "disabled and masked ${daemon_units[*]}: only the docker CLI is used"
}

if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    # Keep package scripts from starting services (docker-registry ships one listening on
    # all interfaces with its own config; docker.io and containerd ship dockerd and
    # containerd): a policy-rc.d that says no, only while we install. One already there is
    # kept if it says no to these services too, and set aside until we are done otherwise.
    POLICY=/usr/sbin/policy-rc.d
    SAVED_POLICY="$POLICY.tuibox-saved"
    policy_refuses() {   # asked as invoke-rc.d (init script) and deb-systemd-invoke (unit) ask
        local service
        for service in docker-registry docker docker.service docker.socket containerd.service; do
            "$POLICY" "$service" start >/dev/null 2>&1 && return 1
            [ "$?" -eq 101 ] || return 1
        done
    }
    added_policy=0
    if [ -e "$SAVED_POLICY" ]; then mv -f "$SAVED_POLICY" "$POLICY"; fi   # a killed run's
    if [ -e "$POLICY" ] && ! policy_refuses; then
        mv "$POLICY" "$SAVED_POLICY"
    fi
    if [ ! -e "$POLICY" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$POLICY"
        chmod 755 "$POLICY"
        added_policy=1
    fi
    finish_install() {
        if [ "$added_policy" -eq 1 ]; then
            rm -f "$POLICY"
            if [ -e "$SAVED_POLICY" ]; then mv "$SAVED_POLICY" "$POLICY"; fi
        fi
        added_policy=0
        keep_daemons_off
    }
    trap finish_install EXIT
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
    trap - EXIT
    finish_install
fi

if pgrep -f '/etc/docker/registry/config.yml' >/dev/null 2>&1; then
    say "WARNING: Debian's docker-registry service is running with" \
        "/etc/docker/registry/config.yml (all interfaces, port 5000)." \
        "tuibox does not use it; stop it with: service docker-registry stop"
fi
for daemon in dockerd containerd; do
    if pids="$(pgrep -x "$daemon")"; then
        say "WARNING: $daemon is running (pid ${pids//$'\n'/ }); tuibox does not use it." \
            "Point the docker CLI at tuibox's engine, not at a dockerd, with" \
            "DOCKER_HOST=unix:///run/tuibox/engine.sock"
    fi
done

# The docker CLI the tests and the README's docker commands will use: any 20.10 or newer.
if ! docker_cli="$(command -v docker)"; then
    echo "install-deps: no docker command on PATH ($PATH)" >&2
    exit 1
fi
docker_version="$(docker --version 2>&1 || true)"    # "Docker version 20.10.24+dfsg1, build …"
say "docker CLI: $docker_cli ($docker_version)"
if [[ "$docker_version" =~ ^Docker\ version\ ([0-9]+)\.([0-9]+) ]] \
    && (( BASH_REMATCH[1] * 100 + BASH_REMATCH[2] < 2010 )); then
    say "WARNING: tuibox needs a docker CLI 20.10 or newer; $docker_cli is older"
fi

if ! python_ok "$PYTHON"; then
    echo "install-deps: $PYTHON is not Python >= 3.11 with venv; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi

venv_base="$(readlink -f "$VENV/bin/python" 2>/dev/null || true)"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' 2>/dev/null \
    || [ "$venv_base" != "$(readlink -f "$PYTHON")" ]; then
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
