"""`docker exec` against the real engine: output and exit codes, stdin, user, env, workdir,
a TTY of the right size driven through a pty, resize, detach keys, and docker-py."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator

import docker
import pytest

from tests.engine.conftest import EngineProcess

pytestmark = pytest.mark.engine


@pytest.fixture
def box(engine: EngineProcess) -> Iterator[EngineProcess]:
    """A running busybox container named `box`, removed afterwards."""
    assert engine.docker("pull", "busybox").returncode == 0
    run = engine.docker("run", "-d", "--name", "box", "-e", "FROM_IMAGE=1", "busybox",
                        "sleep", "300")  # fmt: skip
    assert run.returncode == 0, run.stderr
    yield engine
    engine.docker("rm", "-f", "box")


def test_output_streams_and_the_exit_code(box: EngineProcess) -> None:
    result = box.docker("exec", "box", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")


def test_a_missing_command_exits_127_with_dockers_words(box: EngineProcess) -> None:
    result = box.docker("exec", "box", "nosuch")
    assert result.returncode == 127
    assert 'OCI runtime exec failed: exec: "nosuch": executable file not found' in result.stderr


def test_user_workdir_and_env(box: EngineProcess) -> None:
    result = box.docker("exec", "-u", "nobody", "-w", "/tmp", "-e", "A=b", "box",
                        "sh", "-c", "id -u; pwd; echo $A $FROM_IMAGE")  # fmt: skip
    assert result.stdout.splitlines() == ["65534", "/tmp", "b 1"], result.stderr
    unknown = box.docker("exec", "-u", "nosuchuser", "box", "true")
    assert unknown.returncode != 0 and "unable to find user nosuchuser" in unknown.stderr


def test_stdin_is_piped_and_closed(box: EngineProcess) -> None:
    result = subprocess.run(["docker", "exec", "-i", "box", "sh", "-c", "cat; echo done"],
                            input="piped\n", capture_output=True, text=True,
                            env=box.docker_env(), timeout=30)  # fmt: skip
    assert (result.returncode, result.stdout) == (0, "piped\ndone\n"), result.stderr


def test_exec_it_gets_a_terminal_of_the_clients_size(box: EngineProcess) -> None:
    command = "stty rows 30 cols 100; docker exec -it box sh -c 'tty; stty size; exit 5'"
    result = subprocess.run(["script", "-qec", command, "/dev/null"], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, env=box.docker_env(),
                            timeout=30)  # fmt: skip
    assert result.returncode == 5, result.stdout
    # `script` types its VEOF (a NUL once the CLI made the terminal raw) at stdin's end, and
    # the container's terminal echoes it as ^@ wherever the output then is.
    lines = [line.replace("^@", "").strip("\x00\r") for line in result.stdout.splitlines()]
    assert lines[0].startswith("/dev/pts/") and lines[1] == "30 100", lines


def test_a_stopped_container_refuses_exec(box: EngineProcess) -> None:
    assert box.docker("stop", "-t", "0", "box").returncode == 0
    result = box.docker("exec", "box", "true")
    assert result.returncode != 0 and "is not running" in result.stderr


def _raw_start(box: EngineProcess, exec_id: str, tty: bool) -> socket.socket:
    """POST /exec/{id}/start with Upgrade: tcp on a raw socket; the 101 is read off."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(box.socket))
    body = json.dumps({"Detach": False, "Tty": tty}).encode()
    sock.sendall(b"POST /v1.44/exec/" + exec_id.encode() + b"/start HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)  # fmt: skip
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    sock.settimeout(10)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def _create(box: EngineProcess, **fields: object) -> str:
    with box.client() as client:
        response = client.post("/v1.44/containers/box/exec", json={
            "AttachStdin": True, "AttachStdout": True, "AttachStderr": True, **fields})  # fmt: skip
    assert response.status_code == 201, response.text
    exec_id: str = response.json()["Id"]
    return exec_id


def test_resize_and_the_exit_code_in_inspect(box: EngineProcess) -> None:
    exec_id = _create(box, Tty=True, Cmd=["sh"])
    sock = _raw_start(box, exec_id, tty=True)
    with box.client() as client:
        assert client.post(f"/v1.44/exec/{exec_id}/resize", params={"h": 40, "w": 120}
                           ).status_code == 200  # fmt: skip
        sock.sendall(b"stty size; exit 4\n")
        output = _read_all(sock)
        inspected = client.get(f"/v1.44/exec/{exec_id}/json").json()
    assert b"40 120" in output
    assert (inspected["Running"], inspected["ExitCode"]) == (False, 4)
    assert inspected["ProcessConfig"]["tty"] is True and inspected["ContainerID"]
    assert inspected["DetachKeys"] == "EBE="  # ctrl-p ctrl-q, base64 as Go's []byte
    with box.client() as client:
        missing = client.post(f"/v1.44/exec/{exec_id}/resize", params={"h": 40})
    assert missing.status_code == 400 and "needs both h and w" in missing.json()["message"]


def test_detach_keys_leave_the_process_running(box: EngineProcess) -> None:
    exec_id = _create(box, Tty=True, Cmd=["sh"], DetachKeys="ctrl-x")
    sock = _raw_start(box, exec_id, tty=True)
    sock.sendall(b"echo before\n")
    time.sleep(0.3)
    sock.sendall(b"\x18")  # ctrl-x
    output = _read_all(sock)
    assert b"before" in output
    with box.client() as client:
        inspected = client.get(f"/v1.44/exec/{exec_id}/json").json()
    assert inspected["Running"] is True and inspected["Pid"] > 0


def test_bad_exec_requests(box: EngineProcess) -> None:
    with box.client() as client:
        for body, status, words in (
            ({"Cmd": []}, 400, "No exec command specified"),
            ({"Cmd": ["true"], "DetachKeys": "ctrl-1"}, 400, "Invalid escape keys"),
            ({"Cmd": ["true"], "Future": "x"}, 400, "the exec field Future is not supported"),
        ):
            response = client.post("/v1.44/containers/box/exec", json=body)
            assert response.status_code == status and words in response.json()["message"]
        exec_id = _create(box, Cmd=["true"])
        assert client.post(f"/v1.44/exec/{exec_id}/start", json={"Detach": True}).status_code == 200
        time.sleep(0.5)
        again = client.post(f"/v1.44/exec/{exec_id}/start", json={"Detach": True})
        assert again.status_code == 409 and "has already run" in again.json()["message"]
        assert client.get("/v1.44/exec/nope/json").status_code == 404


def test_docker_py_exec_run(box: EngineProcess) -> None:
    client = docker.DockerClient(base_url=box.host, version="auto", timeout=60)
    try:
        container = client.containers.get("box")
        result = container.exec_run(["sh", "-c", "echo py; exit 2"])
        assert (result.exit_code, result.output) == (2, b"py\n")
        split = container.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
        assert split.output == (b"o\n", b"e\n")
    finally:
        client.close()
