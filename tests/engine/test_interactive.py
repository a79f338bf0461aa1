"""Interactive containers against the real engine: `run -i` with piped stdin, `run -it` under a
pty (size, exit code), `docker attach` with detach keys, resize, start -ai, and docker-py."""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import subprocess
import time
from typing import Any

import docker
import pytest

from tests.engine.conftest import EngineProcess, wait_for

pytestmark = pytest.mark.engine


def _docker(
    cli: EngineProcess, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True,
                          env=cli.docker_env(), timeout=60)  # fmt: skip


def _in_pty(cli: EngineProcess, command: str) -> subprocess.CompletedProcess[str]:
    """A shell command under `script`, so the docker CLI sees a terminal of 30 rows, 100 cols."""
    return subprocess.run(["script", "-qec", f"stty rows 30 cols 100; {command}", "/dev/null"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=cli.docker_env(), timeout=60)  # fmt: skip


def _inspect(cli: EngineProcess, name: str) -> dict[str, Any]:
    result = cli.docker("inspect", name)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)[0]
    return document


def _lines(text: str) -> list[str]:
    """Lines as shown; `script` types its VEOF at stdin's end, a NUL once the CLI made the
    terminal raw, which the container's terminal echoes as ^@."""
    return [line.replace("^@", "").strip("\x00\r") for line in text.splitlines()]


def test_piped_stdin_reaches_the_container_after_the_client_half_closes(
    cli: EngineProcess,
) -> None:
    result = _docker(cli, "run", "--rm", "-i", "busybox", "sh", "-c", "cat; echo done",
                     stdin="hi\nthere\n")  # fmt: skip
    assert (result.returncode, result.stdout) == (0, "hi\nthere\ndone\n"), result.stderr


def test_stdin_of_run_i_ends_with_the_input_and_the_exit_code_comes_back(
    cli: EngineProcess,
) -> None:
    result = _docker(cli, "run", "--rm", "-i", "busybox", "sh", "-c", "wc -l; exit 4",
                     stdin="a\nb\nc\n")  # fmt: skip
    assert (result.returncode, result.stdout.strip()) == (4, "3"), result.stderr


def test_run_without_i_gives_the_container_no_stdin(cli: EngineProcess) -> None:
    result = _docker(cli, "run", "--rm", "busybox", "sh", "-c", "cat; echo end",
                     stdin="ignored\n")  # fmt: skip
    assert (result.returncode, result.stdout) == (0, "end\n"), result.stderr


def test_run_it_gets_a_terminal_of_the_clients_size_and_its_exit_code(
    cli: EngineProcess,
) -> None:
    result = _in_pty(cli, "docker run --rm -it busybox sh -c 'tty; stty size; echo $TERM; exit 6'")
    assert result.returncode == 6, result.stdout
    lines = _lines(result.stdout)
    assert lines[:3] == ["/dev/pts/0", "30 100", "xterm"], lines


def test_inspect_shows_the_interactive_flags(cli: EngineProcess) -> None:
    assert _docker(cli, "create", "--name", "flags", "-it", "busybox", "sh").returncode == 0
    config = _inspect(cli, "flags")["Config"]
    assert (config["Tty"], config["OpenStdin"], config["StdinOnce"], config["AttachStdin"]) == (
        True, True, True, True)  # fmt: skip
    assert "TERM=xterm" not in config["Env"], "dockerd adds TERM to the process only"


class _Terminal:
    """A docker CLI process on a pty of our own: type into it, read what it shows."""

    def __init__(self, cli: EngineProcess, *args: str) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(["docker", *args], stdin=slave, stdout=slave, stderr=slave,
                                     env=cli.docker_env(), start_new_session=True)  # fmt: skip
        os.close(slave)
        self.seen = b""

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait_for_output(self, wanted: bytes, seconds: float = 20.0) -> None:
        deadline = time.monotonic() + seconds
        while wanted not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{wanted!r} not seen in {self.seen[-400:]!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536)
                except OSError:  # the CLI ended and the pty closed
                    raise AssertionError(f"{wanted!r} not seen in {self.seen[-400:]!r}") from None

    def exit_code(self) -> int:
        code = self.proc.wait(timeout=30)
        os.close(self.master)
        return code


def test_a_shell_in_run_it_takes_typed_commands(cli: EngineProcess) -> None:
    term = _Terminal(cli, "run", "--rm", "-it", "busybox", "sh")
    term.wait_for_output(b"# ")
    term.type(b"echo $((6*7))\r")
    term.wait_for_output(b"42")
    term.type(b"exit 3\r")
    assert term.exit_code() == 3


def test_attach_and_detach_with_the_default_and_custom_keys(cli: EngineProcess) -> None:
    assert _docker(cli, "run", "-dit", "--name", "att", "busybox", "sh").returncode == 0
    term = _Terminal(cli, "attach", "att")
    term.type(b"echo one-$((1+1))\r")
    term.wait_for_output(b"one-2")
    term.type(b"\x10\x11")  # ctrl-p ctrl-q
    term.wait_for_output(b"read escape sequence")
    assert term.exit_code() == 1  # the CLI's own exit for a detach from attach
    assert _inspect(cli, "att")["State"]["Running"], "detaching leaves the container running"
    term = _Terminal(cli, "attach", "--detach-keys", "ctrl-x", "att")
    term.type(b"echo two-$((1+2))\r")
    term.wait_for_output(b"two-3")
    term.type(b"\x18")
    term.wait_for_output(b"read escape sequence")
    assert term.exit_code() == 1
    term = _Terminal(cli, "attach", "att")
    term.type(b"exit 9\r")
    assert term.exit_code() == 9
    wait_for(lambda: not _inspect(cli, "att")["State"]["Running"])
    assert _inspect(cli, "att")["State"]["ExitCode"] == 9


def test_resize_reaches_the_terminal_and_is_refused_where_docker_refuses(
    cli: EngineProcess,
) -> None:
    client = docker.DockerClient(base_url=cli.docker_env()["DOCKER_HOST"])
    try:
        box = client.containers.run("busybox", "sh", detach=True, tty=True, stdin_open=True,
                                    name="sized")  # fmt: skip
        box.resize(height=33, width=111)
        result = box.exec_run("stty size -F /dev/console")
        assert result.output.decode().strip() == "33 111", result.output
        plain = client.containers.run("busybox", "sleep 30", detach=True, name="plain")
        with pytest.raises(docker.errors.APIError, match="has no terminal to resize"):
            plain.resize(height=10, width=10)
        plain.kill()
        plain.wait()
        with pytest.raises(docker.errors.APIError, match="is not running"):
            plain.resize(height=10, width=10)
    finally:
        client.close()


def test_start_ai_feeds_stdin_to_a_created_container(cli: EngineProcess) -> None:
    created = _docker(cli, "create", "-i", "--name", "later", "busybox", "tr", "a-z", "A-Z")
    assert created.returncode == 0, created.stderr
    result = _docker(cli, "start", "-ai", "later", stdin="shout\n")
    assert (result.returncode, result.stdout) == (0, "SHOUT\n"), result.stderr


def test_docker_py_attach_socket_writes_to_a_running_containers_stdin(
    cli: EngineProcess,
) -> None:
    client = docker.DockerClient(base_url=cli.docker_env()["DOCKER_HOST"])
    try:
        box = client.containers.run("busybox", ["sh", "-c", "read line; echo got-$line"],
                                    detach=True, stdin_open=True, name="pyin")  # fmt: skip
        sock = box.attach_socket(params={"stdin": 1, "stream": 1, "stdout": 1})
        sock._sock.sendall(b"value\n")
        assert box.wait(timeout=30)["StatusCode"] == 0
        sock.close()
        assert box.logs() == b"got-value\n"
    finally:
        client.close()


def _attach_and_send(client: docker.DockerClient, name: str, data: bytes) -> bytes:
    """Attach with stdin, send `data`, half-close, and read until the engine ends the session."""
    container = client.containers.get(name)
    sock = container.attach_socket(params={"stdin": 1, "stream": 1, "stdout": 1})
    raw = sock._sock
    raw.sendall(data)
    raw.shutdown(socket.SHUT_WR)
    raw.settimeout(20)
    seen = b""
    while chunk := raw.recv(65536):
        seen += chunk
    sock.close()
    return seen


def test_a_detached_i_containers_stdin_stays_open_across_attaches(cli: EngineProcess) -> None:
    client = docker.DockerClient(base_url=cli.docker_env()["DOCKER_HOST"])
    try:
        box = client.containers.run("busybox", "cat", detach=True, stdin_open=True, name="open")
        _attach_and_send(client, "open", b"first\n")
        box.reload()
        assert box.status == "running", "the client's EOF does not close a -d -i stdin"
        _attach_and_send(client, "open", b"second\n")
        wait_for(lambda: box.logs() == b"first\nsecond\n")
    finally:
        client.close()


def test_stdin_reaches_the_container_again_after_a_restart_and_an_engine_restart(
    cli: EngineProcess,
) -> None:
    client = docker.DockerClient(base_url=cli.docker_env()["DOCKER_HOST"])
    try:
        box = client.containers.run("busybox", "cat", detach=True, stdin_open=True, name="kept")
        _attach_and_send(client, "kept", b"run-1\n")
        box.restart(timeout=0)
        _attach_and_send(client, "kept", b"run-2\n")
        wait_for(lambda: box.logs().endswith(b"run-2\n"))
    finally:
        client.close()
    cli.stop(sig_kill=True)
    cli.start()
    client = docker.DockerClient(base_url=cli.docker_env()["DOCKER_HOST"])
    try:
        assert client.containers.get("kept").status == "running"
        _attach_and_send(client, "kept", b"after-engine\n")
        wait_for(lambda: client.containers.get("kept").logs().endswith(b"after-engine\n"))
    finally:
        client.close()


def test_run_it_detaches_with_ctrl_p_ctrl_q_and_leaves_the_container_running(
    cli: EngineProcess,
) -> None:
    term = _Terminal(cli, "run", "-it", "--name", "leave", "busybox", "sh")
    term.wait_for_output(b"# ")
    term.type(b"\x10\x11")
    assert term.exit_code() == 0
    assert _inspect(cli, "leave")["State"]["Running"]


def test_the_engine_detaches_a_raw_client_on_its_keys_and_says_so(cli: EngineProcess) -> None:
    client = docker.DockerClient(base_url=cli.docker_env()["DOCKER_HOST"])
    try:
        client.containers.run("busybox", "sh", detach=True, tty=True, stdin_open=True,
                              name="rawtty")  # fmt: skip
        since = int(time.time()) - 1
        sock = client.api.attach_socket("rawtty", params={
            "stdin": 1, "stream": 1, "stdout": 1, "detachKeys": "ctrl-x"})  # fmt: skip
        raw = sock._sock
        raw.settimeout(20)
        raw.sendall(b"echo be''fore\r")
        seen = b""
        while b"before" not in seen:
            seen += raw.recv(65536)
        raw.sendall(b"\x18echo af''ter\r")
        while chunk := raw.recv(65536):
            seen += chunk
        sock.close()
        assert b"after" not in seen, "nothing typed after the keys reaches the container"
        assert client.containers.get("rawtty").status == "running"
        events = client.events(since=since, until=int(time.time()) + 1, decode=True,
                               filters={"container": "rawtty", "event": "detach"})  # fmt: skip
        assert [e["Action"] for e in events] == ["detach"]
        with pytest.raises(docker.errors.APIError, match=r"Invalid detach keys \(ctrl-\) provided"):
            client.api.attach_socket("rawtty", params={"stdin": 1, "stream": 1,
                                                       "detachKeys": "ctrl-"})  # fmt: skip
    finally:
        client.close()
