"""Measures the bytes a second the TUI writes to a real pty, and the CPU it spends doing so.

Usage (from the repository root; no root needed, no engine: a scripted client plays one):
    .venv/bin/python bench/tui_output.py [--screen main stats] [--scenario still live young]
                                         [--running 3] [--size 80x24] [--warmup 5]
                                         [--secs 20] [--regions] [--dump DIR]

Each run forks this script on a pty of the given size (TERM=xterm-256color,
COLORTERM=truecolor, as a modern terminal over SSH), lets the app paint its first screen
during the warm-up, then counts every byte the app writes during `--secs` seconds and the
CPU time the app's process spends meanwhile. The scenarios:

- still: a batch every second as the engine sends them, with the same figures each time
  (the baseline: what the app costs when nothing on the screen changes);
- live:  every second new figures for each running container and the host, every one of
  them moving (CPU, memory, network and block rates, pids);
- young: the still figures, but one container started just before, so its STATUS cell
  ("Up 7 seconds") changes every second.

The screens: `main` is the containers pane; `stats` is the first container's Stats tab
(Enter on it), opened over the main screen with 15 minutes of history, so its five graphs
are full and all of them move each second in the live scenario.

All containers but the young one have been up for hours, so nothing else changes on its
own. `--regions` lists where on the screen the counted bytes were written (row, column,
times, bytes each, the text), which is how to find out what is redrawn each second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:1] = [str(BENCH_DIR.parent)]  # tuibox itself, whatever the working directory

from refused_calls import RefusedRegistryCalls  # noqa: E402

from tuibox.client.details import ProcessList  # noqa: E402
from tuibox.client.errors import NotFoundError  # noqa: E402
from tuibox.client.models import (  # noqa: E402
    ContainerStartResult,
    ContainerStopResult,
    ContainerSummary,
    EngineInfo,
    ImageSummary,
    LogChunk,
    PingInfo,
    RegistryConfig,
    VersionInfo,
    VolumeSummary,
)
from tuibox.client.networks import NetworkCreated, NetworkSummary  # noqa: E402
from tuibox.client.run_options import RunOptions  # noqa: E402
from tuibox.client.stats_models import (  # noqa: E402
    HostStats,
    StatsBatch,
    StatsEvent,
    StatsHistory,
    StatsSample,
)
from tuibox.client.terminal import TerminalBridge  # noqa: E402
from tuibox.humanize import human_duration  # noqa: E402

SCENARIOS = ("still", "live", "young")
SCREENS = ("main", "stats")
MIB = 1024**2
GIB = 1024**3
HOURS = 3600


def _container_id(index: int) -> str:
    return f"{0xa000 + index:04x}" * 16


@dataclass
class ScriptedEngineClient(RefusedRegistryCalls):
    """An engine in memory that streams a stats batch every second (EngineClientProtocol).

    `running` containers have been up for hours; two more are stopped. In the young
    scenario one more container was started `young_age` seconds before the app.
    """

    scenario: str
    running: int
    clock: Callable[[], float] = time.time
    young_age: float = 5.0
    started: float = field(default_factory=time.time)
    containers: list[ContainerSummary] = field(default_factory=list)
    _counters: dict[int, list[int]] = field(default_factory=dict)

    @property
    def epoch(self) -> int:
        """The second of tick 0: 15 minutes before the app started, as far as history goes."""
        return int(self.started) - 900

    def __post_init__(self) -> None:
        now = self.clock()
        for index in range(self.running):
            created = int(now - 3 * HOURS - index * 60)
            self.containers.append(ContainerSummary(
                _container_id(index), (f"/web-{index + 1}",), "busybox:latest",
                "sha256:" + "b" * 64, "httpd -f", created, "running", "Up 3 hours",
            ))  # fmt: skip
        stopped_at = int(now - 5 * HOURS)
        self.containers += [
            ContainerSummary(_container_id(9_000), ("/hello",), "hello-world", "sha256:" + "d" * 64,
                             "/hello", stopped_at, "exited", "Exited (0) 5 hours ago"),
            ContainerSummary(_container_id(9_001), ("/db",), "busybox:latest", "sha256:" + "b" * 64,
                             "sleep 300", stopped_at, "created", "Created"),
        ]  # fmt: skip
        if self.scenario == "young":
            self.containers.append(ContainerSummary(
                _container_id(8_000), ("/young",), "busybox:latest", "sha256:" + "b" * 64,
                "sleep 3600", int(self.started - self.young_age), "running", "",
            ))  # fmt: skip

    @property
    def running_ids(self) -> list[str]:
        """The containers the stats describe."""
        return [c.id for c in self.containers if c.state == "running"]

    def sample(self, container_index: int, tick: int, when: float) -> StatsSample:
        """One container's figures at `tick`; the same every tick unless figures are live.

        Live counters grow by a step that changes every second, so every rate moves.
        """
        t = tick if self.scenario == "live" else 0
        wave = (t * 37 + container_index * 23) % 100
        return StatsSample(
            time=when, cpu_percent=float(wave if wave < 60 else 120 - wave),
            memory_used=(64 + (t + container_index * 7) % 30) * MIB, memory_limit=512 * MIB,
            net_rx=self._counter(13, t), net_tx=self._counter(29, t),
            blk_read=self._counter(7, t), blk_write=self._counter(17, t),
            pids=3 + t % 5, pids_limit=64,
        )  # fmt: skip

    def _counter(self, step: int, tick: int) -> int:
        """A cumulative byte counter whose per-second growth varies with `step` and `tick`."""
        sums = self._counters.setdefault(step, [0])
        while len(sums) <= tick:
            sums.append(sums[-1] + ((len(sums) * step) % 97 + 1) * 20_000)
        return sums[tick]

    def host(self, tick: int, when: float) -> HostStats:
        """The host's figures at `tick`."""
        t = tick if self.scenario == "live" else 0
        running = len(self.running_ids)
        return HostStats(when, 20.0 + (t * 7) % 30, 2, 5 * GIB + (t % 9) * 100 * MIB, 24 * GIB,
                         (0.4, 0.3, 0.3), running, len(self.containers))  # fmt: skip

    def batch(self, tick: int, when: float) -> StatsBatch:
        """Every running container's sample and the host's at `tick`."""
        samples = {cid: self.sample(i, tick, when) for i, cid in enumerate(self.running_ids)}
        return StatsBatch(when, self.host(tick, when), samples)

    async def ping(self) -> PingInfo:
        return PingInfo("1.44", "linux", "tuibox/0.1.0 (linux)", False, None)

    async def version(self) -> VersionInfo:
        return VersionInfo("tuibox", "0.1.0", "1.44", "1.24", "linux", "amd64", "6.1.0")

    async def info(self) -> EngineInfo:
        running = len(self.running_ids)
        return EngineInfo("bench", "0.1.0", "Debian GNU/Linux 12", len(self.containers), running,
                          2, RegistryConfig((), ("127.0.0.0/8",), ()), ())  # fmt: skip

    async def list_containers(self, all: bool = True) -> list[ContainerSummary]:
        now = self.clock()
        return [
            replace(c, status=f"Up {human_duration(now - c.created)}") if not c.status else c
            for c in self.containers
        ]

    async def list_images(self) -> list[ImageSummary]:
        return [
            ImageSummary("sha256:" + "b" * 64, ("busybox:latest",), (), int(self.started - 86400),
                         4_270_000, self.running + 1),
            ImageSummary("sha256:" + "d" * 64, ("hello-world:latest",), (),
                         int(self.started - 86400), 13_256, 1),
        ]  # fmt: skip

    async def start(self, container_id: str) -> ContainerStartResult:
        return ContainerStartResult(already_started=True)

    async def stop(self, container_id: str, timeout: int = 10) -> ContainerStopResult:
        return ContainerStopResult(already_stopped=True)

    async def restart(self, container_id: str, timeout: int = 10) -> None:
        return None

    async def kill(self, container_id: str, signal: str | None = None) -> None:
        return None

    async def list_volumes(self) -> list[VolumeSummary]:
        return []

    async def create_volume(self, name: str) -> VolumeSummary:
        raise NotFoundError("volumes are not scripted", 404)

    async def remove_volume(self, name: str) -> None:
        raise NotFoundError(f"get {name}: no such volume", 404)

    async def prune_volumes(self) -> tuple[list[str], int]:
        return [], 0

    async def list_networks(self) -> list[NetworkSummary]:
        return []

    async def inspect_network(self, network_id: str) -> NetworkSummary:
        raise NotFoundError(f"network {network_id} not found", 404)

    async def create_network(
        self, name: str, subnet: str | None = None, internal: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> NetworkCreated:  # fmt: skip
        raise NotFoundError("networks are not scripted", 404)

    async def remove_network(self, network_id: str) -> None:
        raise NotFoundError(f"network {network_id} not found", 404)

    async def prune_networks(self) -> list[str]:
        return []

    async def exec_create(
        self, container_id: str, command: list[str], *, tty: bool,
        size: tuple[int, int] | None = None,
    ) -> str:  # fmt: skip
        raise NotFoundError("exec is not scripted", 404)

    async def exec_start_detached(self, exec_id: str) -> None:
        return None

    async def exec_exit_code(self, exec_id: str) -> int | None:
        return None

    async def terminal_bridge(self, exec_id: str) -> TerminalBridge:
        return TerminalBridge.for_exec("/nonexistent", "", exec_id)

    async def attach_bridge(self, container_id: str, banner: str = "") -> TerminalBridge:
        return TerminalBridge.for_attach("/nonexistent", "", container_id, banner)

    async def pause(self, container_id: str) -> None:
        return None

    async def unpause(self, container_id: str) -> None:
        return None

    async def rename(self, container_id: str, new_name: str) -> None:
        return None

    async def remove_container(self, container_id: str, force: bool = False) -> None:
        raise NotFoundError(f"No such container: {container_id}", 404)

    async def run_image(self, image: str, options: RunOptions | None = None) -> str:
        raise NotFoundError(f"No such image: {image}", 404)

    async def remove_image(self, reference: str, force: bool = False) -> list[str]:
        raise NotFoundError(f"No such image: {reference}", 404)

    async def logs(
        self, container_id: str, follow: bool = True, tail: int | str = "all",
        *, timestamps: bool = False, since: float | None = None,
    ) -> AsyncIterator[LogChunk]:  # fmt: skip
        yield LogChunk("stdout", "bench\n")
        await asyncio.Event().wait()

    async def stats_stream(self, since: float | None = None) -> AsyncIterator[StatsEvent]:
        """A minute of history, then a batch at every whole second, as the engine sends."""
        now = int(self.clock())
        seconds = range(now - 60, now)
        history = StatsHistory(
            interval=1.0,
            containers={cid: [self.sample(i, t - self.epoch, t) for t in seconds]
                        for i, cid in enumerate(self.running_ids)},
            host=[self.host(t - self.epoch, t) for t in seconds],
        )  # fmt: skip
        yield StatsEvent(history=history)
        second = now
        while True:
            await asyncio.sleep(max(0.0, second + 1 - self.clock()))
            second += 1
            yield StatsEvent(batch=self.batch(second - self.epoch, float(second)))

    async def inspect_container(self, container_id: str) -> dict[str, Any]:
        return {"Id": container_id}

    async def top(self, container_id: str, ps_args: str | None = None) -> ProcessList:
        return ProcessList(("PID", "CMD"), (("1", "sleep 3600"),))

    async def cpu_limit(self, container_id: str) -> float | None:
        """No container of the script has a CPU limit."""
        return None

    async def stats_history(self, container_id: str, since: float) -> list[StatsSample]:
        """The engine's 15 minutes of one container's samples, up to the last whole second."""
        now = int(self.clock())
        index = self.running_ids.index(container_id)
        return [self.sample(index, t - self.epoch, float(t)) for t in range(now - 900, now)]

    async def container_stats(self, container_id: str) -> AsyncIterator[StatsSample]:
        raise NotFoundError(f"No such container: {container_id}", 404)
        yield  # pragma: no cover  (makes this an async generator)

    async def close(self) -> None:
        return None


def run_child(scenario: str, running: int, screen: str, textual_repaint: bool) -> None:
    """Run the TUI on the scripted engine in this process (the pty's side)."""
    import tuibox.app as app_module
    from tuibox import partial_output
    from tuibox.app import TuiboxApp
    from tuibox.screens.container import ContainerScreen

    client = ScriptedEngineClient(scenario, running)

    class BenchApp(TuiboxApp):
        CSS_PATH = str(Path(app_module.__file__).parent / str(TuiboxApp.CSS_PATH))
        """The app's stylesheet (a subclass would look for it beside this file)."""

        def on_mount(self) -> None:
            super().on_mount()
            if screen == "stats":  # as Enter on the first container opens it
                first = next(c for c in client.containers if c.state == "running")
                self.push_screen(ContainerScreen(client, self.feed, first, clock=time.time))

    app = BenchApp(
        client,
        host_label="unix:///run/tuibox/engine.sock",
        exit_on_signals=(signal.SIGTERM, signal.SIGHUP),
    )
    if textual_repaint:  # every changed line resent from its widget's left edge
        partial_output.uninstall()
    app.run()


@dataclass
class Measurement:
    """What one scenario wrote in the counted window, and the CPU it took."""

    screen: str
    scenario: str
    seconds: float
    window: bytes
    cpu_seconds: float

    @property
    def cpu_percent(self) -> float:
        """The app's CPU over the window, in % of one core."""
        return self.cpu_seconds / self.seconds * 100

    @property
    def bytes_per_second(self) -> float:
        """The average output rate over the window."""
        return len(self.window) / self.seconds


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of process `pid` so far (from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(screen: str, scenario: str, args: argparse.Namespace) -> Measurement:
    """Fork the TUI on a pty, warm up, count what it writes and its CPU, then stop it."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", scenario,
               "--child-screen", screen, "--running", str(args.running),
               *(["--textual-repaint"] if args.textual_repaint else [])]  # fmt: skip
    window, cpu = on_pty(command, args.size, args.warmup, args.secs)
    return Measurement(screen, scenario, float(args.secs), window, cpu)


def on_pty(command: list[str], size: str, warmup: float, secs: float) -> tuple[bytes, float]:
    """Run `command` on a pty of `size` (COLUMNSxROWS); what it wrote and its CPU seconds.

    Only the `secs` after the first `warmup` count; then the command gets SIGTERM.
    """
    columns, rows = (int(n) for n in size.split("x"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8")
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its terminal
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        os.execvpe(command[0], command, env)
    window = bytearray()
    cpu_from: float | None = None
    cpu = 0.0
    try:
        start = time.monotonic()
        counting_from = start + warmup
        until = counting_from + secs
        while (now := time.monotonic()) < until:
            if cpu_from is None and now >= counting_from:
                cpu_from = _cpu_seconds(pid)
            ready, _, _ = select.select([fd], [], [], min(0.2, until - now))
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except OSError:  # the child ended early
                break
            if time.monotonic() >= counting_from:
                window += data
        if cpu_from is not None:
            cpu = _cpu_seconds(pid) - cpu_from
    finally:
        _stop(pid, fd)
    return bytes(window), cpu


def _stop(pid: int, fd: int) -> None:
    """Ask the child to quit (SIGTERM), drain until it has, kill it after 5 s."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            with contextlib.suppress(OSError):
                os.read(fd, 65536)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)


_MOVE = re.compile(rb"\x1b\[(\d+);(\d+)H")
_ESCAPE = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[^\[]")


def regions(window: bytes) -> list[tuple[int, int, int, int, str]]:
    """Where the window's bytes went: (row, column, times, bytes each, text), most bytes first.

    Textual moves the cursor (CSI row;col H) before each run it repaints; the bytes from one
    move to the next are that run's cost.
    """
    moves = list(_MOVE.finditer(window))
    spans: Counter[tuple[int, int]] = Counter()
    sizes: Counter[tuple[int, int]] = Counter()
    texts: dict[tuple[int, int], str] = {}
    for move, following in zip(moves, [*moves[1:], None], strict=False):
        end = following.start() if following is not None else len(window)
        key = (int(move.group(1)), int(move.group(2)))
        spans[key] += 1
        sizes[key] += end - move.start()
        texts[key] = _ESCAPE.sub(b"", window[move.end():end]).decode("utf-8", "replace")
    ordered = sorted(spans, key=lambda key: -sizes[key])
    return [(r, c, spans[(r, c)], sizes[(r, c)] // spans[(r, c)], texts[(r, c)])
            for r, c in ordered]  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screen", nargs="+", choices=SCREENS, default=list(SCREENS))
    parser.add_argument("--scenario", nargs="+", choices=SCENARIOS, default=list(SCENARIOS))
    parser.add_argument("--running", type=int, default=3, help="containers up for hours")
    parser.add_argument("--size", default="80x24", help="COLUMNSxROWS of the pty")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before counting")
    parser.add_argument("--secs", type=float, default=20.0, help="seconds counted")
    parser.add_argument("--regions", action="store_true", help="list what was redrawn")
    parser.add_argument("--textual-repaint", action="store_true",
                        help="without tuibox.partial_output: lines resent from the left edge")
    parser.add_argument("--dump", type=Path, help="write each window's raw bytes to DIR")
    parser.add_argument("--child", choices=SCENARIOS, help=argparse.SUPPRESS)
    parser.add_argument("--child-screen", choices=SCREENS, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print bytes/s for each."""
    args = parse_args(argv)
    if args.child:
        run_child(args.child, args.running, args.child_screen or "main", args.textual_repaint)
        return 0
    repaint = "Textual's own partial repaint" if args.textual_repaint else "changed cells only"
    print(f"pty {args.size}, {args.running} containers up for hours, "
          f"{args.warmup:g} s warm-up, {args.secs:g} s counted, {repaint}")  # fmt: skip
    print(f"{'screen':>6} {'scenario':>8} {'output':>10} {'app CPU':>8} {'vs still':>8}")
    for screen in args.screen:
        baseline: Measurement | None = None
        for scenario in args.scenario:
            result = measure(screen, scenario, args)
            baseline = baseline or (result if scenario == "still" else None)
            ratio = (f"{result.cpu_seconds / baseline.cpu_seconds:7.1f}x"
                     if baseline and baseline.cpu_seconds else f"{'-':>8}")  # fmt: skip
            print(f"{screen:>6} {scenario:>8} {result.bytes_per_second:6.0f} B/s "
                  f"{result.cpu_percent:6.2f} % {ratio}")  # fmt: skip
            if args.dump:
                args.dump.mkdir(parents=True, exist_ok=True)
                (args.dump / f"{screen}-{scenario}.bin").write_bytes(result.window)
            if args.regions:
                for row, column, times, each, text in regions(result.window)[:15]:
                    print(f"        row {row:>2} col {column:>3}: {times:>3} x {each:>5} B  "
                          f"{text!r}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
