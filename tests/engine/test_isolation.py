"""Isolation against the real engine: Docker's defaults hold, escape probes fail, and each
switch (--cap-*, --privileged, --security-opt, --read-only, --sysctl, --ulimit, --device,
--init...) does what it says, read from inside the container."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.engine.conftest import EngineProcess
from tuibox.engine.domain.capabilities import ALL_CAPABILITIES
from tuibox.engine.runtime.host_security import bounding_capabilities
from tuibox.engine.runtime.oci_spec import DEFAULT_CAPABILITIES

pytestmark = pytest.mark.engine


def _run(cli: EngineProcess, *args: str) -> tuple[int, str, str]:
    """`docker run --rm ARGS`: (exit code, stdout, stderr)."""
    result = cli.docker("run", "--rm", *args)
    return result.returncode, result.stdout, result.stderr


def _sh(cli: EngineProcess, *flags: str, script: str) -> str:
    code, out, err = _run(cli, *flags, "busybox", "sh", "-c", script)
    assert code == 0, (flags, script, err)
    return out


def _mask(capabilities: tuple[str, ...] | list[str]) -> int:
    return sum(1 << ALL_CAPABILITIES.index(cap) for cap in capabilities)


def _status(cli: EngineProcess, *flags: str) -> dict[str, str]:
    text = _sh(cli, *flags, script="cat /proc/self/status")
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def test_the_default_capabilities_and_profile(cli: EngineProcess) -> None:
    status = _status(cli)
    default = _mask(DEFAULT_CAPABILITIES)
    for key in ("CapBnd", "CapPrm", "CapEff"):
        assert int(status[key], 16) == default, key
    assert int(status["CapInh"], 16) == 0
    assert status["Seccomp"] == "2"
    assert status["NoNewPrivs"] == "0"


@pytest.mark.parametrize(
    ("script", "words"),
    [
        ("mount -t tmpfs none /tmp", "permission denied"),
        ("echo 1 > /proc/sys/kernel/domainname", "Read-only file system"),
        ("mknod /tmp/sda b 8 0 && head -c 1 /tmp/sda", "Operation not permitted"),
        ("ls -l /proc/timer_list", ""),
        ("insmod /bin/busybox", "Operation not permitted"),  # refused before the file is read
        ("hostname other", "Operation not permitted"),
    ],
)
def test_escape_probes_fail_in_a_default_container(
    cli: EngineProcess, script: str, words: str
) -> None:
    code, out, err = _run(cli, "busybox", "sh", "-c", script)
    if script.startswith("ls -l /proc/timer_list"):
        assert out.startswith("c"), f"the host's timers are masked by /dev/null: {out}"
        return
    assert code != 0, (script, out)
    assert words in err, err


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/engine/probes/syscall_probe.c built static, to be bound into containers."""
    compiler = shutil.which("gcc")
    assert compiler, "gcc is needed to build the syscall probe: scripts/install-deps.sh --dev"
    out = tmp_path_factory.mktemp("probe") / "syscall_probe"
    source = Path(__file__).parent / "probes" / "syscall_probe.c"
    built = subprocess.run([compiler, "-static", "-O2", "-o", str(out), str(source)],
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert built.returncode == 0, built.stderr
    return out


def _probe(cli: EngineProcess, probe: Path, *args: str, flags: tuple[str, ...] = ()) -> str:
    code, out, err = _run(cli, *flags, "-v", f"{probe}:/probe:ro", "busybox", "/probe", *args)
    assert code in (0, 1), err
    return out.strip()


def test_keyctl_is_denied_unless_privileged(cli: EngineProcess, probe: Path) -> None:
    assert _probe(cli, probe, "keyctl") == "keyctl: Operation not permitted"
    assert _probe(cli, probe, "keyctl", flags=("--privileged",)) == "keyctl: ok"


def test_a_host_process_cannot_be_traced_even_privileged(cli: EngineProcess, probe: Path) -> None:
    host_pid = str(os.getpid())  # this test process, outside any container
    for flags in ((), ("--privileged",)):
        assert _probe(cli, probe, "ptrace", host_pid, flags=flags) == "ptrace: No such process"


def test_a_default_container_sees_only_its_own_processes(cli: EngineProcess) -> None:
    pids = _sh(cli, script="ps -o pid | tail -n +2").split()
    assert "1" in pids and len(pids) <= 3, pids


def test_cap_drop_and_cap_add(cli: EngineProcess) -> None:
    only_admin = _status(cli, "--cap-drop", "ALL", "--cap-add", "net_admin")
    assert int(only_admin["CapEff"], 16) == _mask(["CAP_NET_ADMIN"])
    code, _, err = _run(cli, "--cap-drop", "CHOWN", "busybox", "chown", "1:1", "/tmp")
    assert code != 0 and "Operation not permitted" in err
    everything = _status(cli, "--cap-add", "ALL")
    assert int(everything["CapEff"], 16) == _mask(list(bounding_capabilities()))


def test_a_capability_the_engine_lacks_is_refused_by_name(cli: EngineProcess) -> None:
    held = bounding_capabilities()
    code, _, err = _run(cli, "--cap-add", "SYS_RESOURCE", "busybox", "true")
    if "CAP_SYS_RESOURCE" in held:
        assert code == 0, err
    else:
        assert code == 125
        assert "the engine does not hold CAP_SYS_RESOURCE itself" in err
    code, _, err = _run(cli, "--cap-add", "BOGUS", "busybox", "true")
    assert code == 125 and "unknown capability: 'CAP_BOGUS'" in err


def test_privileged_lifts_the_profile(cli: EngineProcess) -> None:
    status = _status(cli, "--privileged")
    assert int(status["CapEff"], 16) == _mask(list(bounding_capabilities()))
    assert status["Seccomp"] == "0"
    out = _sh(cli, "--privileged", script="mount -t tmpfs none /tmp && echo mounted; "
              "ls -l /proc/timer_list; ls -l /dev/loop0; hostname other && echo renamed; "
              "insmod /bin/busybox 2>&1 || true")  # fmt: skip
    lines = out.splitlines()
    assert lines[0] == "mounted"
    assert lines[1].startswith("-r"), "timer_list is not masked"
    assert lines[2].startswith("brw"), "the host's devices are there"
    assert lines[3] == "renamed"
    assert "Operation not permitted" not in lines[4], "the kernel looked at the module"


def test_security_options(cli: EngineProcess, tmp_path: Path) -> None:
    assert _status(cli, "--security-opt", "no-new-privileges")["NoNewPrivs"] == "1"
    assert _status(cli, "--security-opt", "seccomp=unconfined")["Seccomp"] == "0"
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}))  # fmt: skip
    code, _, err = _run(cli, "--security-opt", f"seccomp={profile}", "busybox", "mkdir", "/tmp/x")
    assert code != 0 and "Operation not permitted" in err
    code, _, err = _run(cli, "--security-opt", "apparmor=docker-default", "busybox", "true")
    assert code == 125 and "applies no AppArmor profiles" in err


def test_read_only_root_with_a_writable_tmpfs(cli: EngineProcess) -> None:
    code, _, err = _run(cli, "--read-only", "busybox", "touch", "/x")
    assert code != 0 and "Read-only file system" in err
    assert _sh(cli, "--read-only", "--tmpfs", "/tmp", script="touch /tmp/x && echo ok") == "ok\n"


def test_shm_size_sysctl_ulimit_oom_score_and_domainname(cli: EngineProcess) -> None:
    out = _sh(cli, "--shm-size", "16m", "--sysctl", "net.ipv4.ip_forward=1",
              "--ulimit", "nofile=1024:2048", "--oom-score-adj", "500",
              "--domainname", "example.com", "--group-add", "1234",
              script="grep ' /dev/shm ' /proc/mounts; cat /proc/sys/net/ipv4/ip_forward; "
                     "ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj; "
                     "cat /proc/sys/kernel/domainname; id -G")  # fmt: skip
    lines = out.splitlines()
    assert "size=16384k" in lines[0]
    assert lines[1:6] == ["1", "1024", "2048", "500", "example.com"]
    assert "1234" in lines[6].split()


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--ulimit", "nofile=100:1000000"], "above the host's hard limit"),
        (["--ulimit", "nofile=200:100"], "soft limit must be less than or equal to hard limit"),
        (["--oom-score-adj", "2000"], "oom score adj must be in range"),
        (["--device-cgroup-rule", "x 1:3 rwm"], "invalid device cgroup format"),
        (["--group-add", "nosuchgroup"], "unable to find group nosuchgroup"),
        (["--device", "/etc/hostname"], "not a device node"),
    ],
)
def test_bad_isolation_flags_are_refused_and_leave_nothing(
    cli: EngineProcess, flags: list[str], words: str
) -> None:
    before = cli.docker("ps", "-aq").stdout
    code, _, err = _run(cli, *flags, "busybox", "true")
    assert code == 125, (code, err)
    assert words in err, err
    assert cli.docker("ps", "-aq").stdout == before


def test_devices_and_device_cgroup_rules(cli: EngineProcess) -> None:
    out = _sh(cli, "--device", "/dev/null:/dev/mynull",
              script="ls -l /dev/mynull; echo x > /dev/mynull && echo written")  # fmt: skip
    assert out.startswith("crw") and "1,   3" in out and out.endswith("written\n")
    loop = "mknod /tmp/loop b 7 0 && head -c 1 /tmp/loop | wc -c"
    _, _, err = _run(cli, "busybox", "sh", "-c", loop)
    assert "Operation not permitted" in err
    out = _sh(cli, "--device-cgroup-rule", "b 7:0 r", script=f"{loop} 2>&1")
    assert "Operation not permitted" not in out, out


def test_a_host_sysctl_is_refused_through_the_api(cli: EngineProcess) -> None:
    # The docker CLI refuses it itself; other clients send it.
    body = {"Image": "busybox", "HostConfig": {"Sysctls": {"vm.swappiness": "1"}}}
    with cli.client() as client:
        response = client.post("/v1.44/containers/create", json=body)
    assert response.status_code == 400
    assert "sysctl 'vm.swappiness' is not allowed" in response.json()["message"]


def test_cgroupns_private(cli: EngineProcess) -> None:
    lines = _sh(cli, "--cgroupns", "private", script="cat /proc/self/cgroup").splitlines()
    memory = next(line for line in lines if ":memory:" in line)
    assert memory.endswith(":/"), lines
    host_view = _sh(cli, script="cat /proc/self/cgroup").splitlines()
    assert not next(line for line in host_view if ":memory:" in line).endswith(":/")


def test_init_runs_as_pid_1_and_forwards_signals(cli: EngineProcess) -> None:
    assert "docker-init" in _sh(cli, "--init", script="cat /proc/1/cmdline | tr '\\0' ' '")
    for flags, expected in ((["--init"], 143), ([], 137)):
        name = f"init-{len(flags)}"
        run = cli.docker("run", "-d", "--name", name, *flags, "busybox", "sleep", "300")
        assert run.returncode == 0, run.stderr
        started = time.monotonic()
        assert cli.docker("stop", "-t", "3", name).returncode == 0
        code = int(cli.docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout)
        # sleep as PID 1 ignores SIGTERM (killed after 3 s, 137); under tini it dies of it
        assert code == expected, (flags, code)
        if flags:
            assert time.monotonic() - started < 2.5


def test_the_etc_files_of_a_container(cli: EngineProcess, tmp_path: Path) -> None:
    out = _sh(cli, "--hostname", "web1", "--add-host", "db:10.9.8.7", "--dns", "10.0.0.1",
              "--dns-search", "corp.example", "--dns-option", "ndots:2",
              script="cat /etc/hostname; hostname; grep db /etc/hosts; cat /etc/resolv.conf; "
                     "grep -c localhost /etc/hosts")  # fmt: skip
    lines = out.splitlines()
    assert lines[:3] == ["web1", "web1", "10.9.8.7\tdb"]
    assert lines[3:6] == ["nameserver 10.0.0.1", "search corp.example", "options ndots:2"]
    assert int(lines[6]) >= 2
    modes = _sh(cli, "--user", "65534", script="stat -c %a /etc/hostname /etc/hosts "
                "/etc/resolv.conf && cat /etc/hosts /etc/resolv.conf >/dev/null && echo read")
    assert modes.split() == ["644", "644", "644", "read"]  # as Docker; any user reads them
    run = cli.docker("run", "-d", "--name", "etc", "busybox", "sleep", "300")
    assert run.returncode == 0, run.stderr
    shown = cli.docker("inspect", "-f", "[{{json .HostsPath}}, {{json .ResolvConfPath}}, "
                       "{{json .HostnamePath}}]", "etc").stdout  # fmt: skip
    paths = json.loads(shown)
    assert len(paths) == 3 and all(Path(p).is_file() for p in paths), paths
    mine = tmp_path / "hosts"
    mine.write_text("10.0.0.5 mine\n")
    assert _sh(cli, "-v", f"{mine}:/etc/hosts:ro", script="cat /etc/hosts") == "10.0.0.5 mine\n"
    code, _, err = _run(cli, "--add-host", "db:nonsense", "busybox", "true")
    assert code == 125 and "invalid IP address in add-host" in err
