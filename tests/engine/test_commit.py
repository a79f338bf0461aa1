"""docker commit with the real CLI: a runnable, removable image with Docker's fields."""

from __future__ import annotations

import json

import docker

from tests.engine.conftest import EngineProcess


def test_commit_with_a_change_and_a_message_runs_and_is_removable(cli: EngineProcess) -> None:
    made = cli.docker("run", "-d", "--name", "cm-run", "busybox", "sh", "-c",
                      "echo hello > /hello; rm /bin/wget; sleep 300")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert cli.docker("exec", "cm-run", "sh", "-c", "while [ ! -f /hello ]; do sleep 0.1; done"
                      ).returncode == 0  # fmt: skip
    committed = cli.docker("commit", "-c", 'CMD ["cat","/hello"]', "-m", "msg", "-a", "me",
                           "cm-run", "cm-img:1")  # fmt: skip
    assert committed.returncode == 0, committed.stderr
    assert committed.stdout.startswith("sha256:")
    ran = cli.docker("run", "--rm", "cm-img:1")
    assert (ran.returncode, ran.stdout) == (0, "hello\n"), ran.stderr
    whiteout = cli.docker("run", "--rm", "cm-img:1", "ls", "/bin/wget")
    assert whiteout.returncode != 0  # the deleted file stays deleted in the new image
    inspect = json.loads(cli.docker("image", "inspect", "cm-img:1").stdout)[0]
    container_id = cli.docker("inspect", "-f", "{{.Id}}", "cm-run").stdout.strip()
    assert (inspect["Author"], inspect["Comment"], inspect["Container"]) == (
        "me", "msg", container_id)  # fmt: skip
    assert "cm-img" in cli.docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout
    assert cli.docker("ps", "--filter", "name=cm-run", "--format", "{{.Status}}"
                      ).stdout.startswith("Up")  # fmt: skip
    assert "(Paused)" not in cli.docker("ps", "--format", "{{.Status}}").stdout
    assert cli.docker("rmi", "cm-img:1").returncode == 0
    assert "cm-img" not in cli.docker("images", "--format", "{{.Repository}}").stdout


def test_an_emptied_directory_is_opaque_in_the_new_layer(cli: EngineProcess) -> None:
    made = cli.docker("run", "--name", "cm-opq", "busybox", "sh", "-c",
                      "rm -rf /usr && mkdir -p /usr/only && echo x > /usr/only/f")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert cli.docker("commit", "cm-opq", "cm-opq-img").returncode == 0
    listing = cli.docker("run", "--rm", "cm-opq-img", "ls", "/usr")
    assert listing.stdout.split() == ["only"]
    assert cli.docker("rmi", "cm-opq-img").returncode == 0


def test_a_change_dockerd_refuses_is_refused_by_name(cli: EngineProcess) -> None:
    assert cli.docker("create", "--name", "cm-bad", "busybox", "true").returncode == 0
    result = cli.docker("commit", "-c", "RUN ls", "cm-bad", "cm-bad-img")
    assert result.returncode != 0
    assert "run is not a valid change command" in result.stderr
    assert "cm-bad-img" not in cli.docker("images", "--format", "{{.Repository}}").stdout


def test_docker_py_commit(cli: EngineProcess) -> None:
    client = docker.DockerClient(base_url=cli.host)
    try:
        container = client.containers.run("busybox", ["sh", "-c", "echo py > /py"],
                                          name="cm-py", detach=True)  # fmt: skip
        container.wait()
        image = container.commit("cm-py-img", "2", message="from py", conf={"Env": ["X=1"]})
        assert image.attrs["Comment"] == "from py"
        assert "X=1" in image.attrs["Config"]["Env"]
        out = client.containers.run("cm-py-img:2", ["cat", "/py"], remove=True)
        assert out == b"py\n"
        client.images.remove("cm-py-img:2")
    finally:
        client.close()
