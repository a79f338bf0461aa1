"""Provides HealthView: a container's healthcheck status and its last probe results."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from tuibox.client.details import HealthProbe, HealthReport
from tuibox.timestamps import parse_ns
from tuibox.widgets.format import first_line, terminal_safe

STATUS_STYLES = {"healthy": "bold green", "unhealthy": "bold red", "starting": "bold yellow"}


class HealthView(Vertical):
    """A summary line (status, failing streak, the test) and the probes, newest first."""

    DEFAULT_CSS = """
    HealthView { height: 1fr; }
    HealthView > .health-summary { height: auto; padding: 0 1; }
    HealthView > DataTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        """The summary and the table of probes."""
        yield Static("", classes="health-summary", markup=False)
        yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Add the probe columns."""
        table: DataTable[Text] = self.query_one(DataTable)
        for key, label in (("start", "STARTED"), ("took", "TOOK"), ("exit", "EXIT"),
                           ("output", "OUTPUT")):  # fmt: skip
            table.add_column(label, key=key)

    def show(self, report: HealthReport) -> None:
        """Display `report` (State.Health of docker inspect)."""
        self.query_one(".health-summary", Static).update(summary(report))
        table: DataTable[Text] = self.query_one(DataTable)
        table.clear()
        for probe in reversed(report.probes):
            table.add_row(*_probe_cells(probe))
        table.display = report.has_healthcheck


def summary(report: HealthReport) -> Text:
    """The one or two lines above the probes: "Status: unhealthy · failing streak 3"."""
    if not report.has_healthcheck:
        return Text("No healthcheck: the image has no HEALTHCHECK and none was given at "
                    "creation (--health-cmd).")  # fmt: skip
    text = Text.assemble("Status: ", (report.status, STATUS_STYLES.get(report.status, "bold")),
                         f" · failing streak {report.failing_streak}")  # fmt: skip
    if report.test:
        kind, *command = report.test
        shown = " ".join(command) if kind == "CMD-SHELL" else " ".join(repr(c) for c in command)
        text.append(f"\nTest ({kind}): {terminal_safe(shown)}", style="dim")
    return text


def _probe_cells(probe: HealthProbe) -> tuple[Text, ...]:
    start, end = parse_ns(probe.start), parse_ns(probe.end)
    took = f"{(end - start) / 1e6:.0f} ms" if start and end and end >= start else "-"
    exit_style = "green" if probe.exit_code == 0 else "red"
    return (
        Text(probe.start[:19].replace("T", " ")),
        Text(took),
        Text(str(probe.exit_code), style=exit_style),
        Text(terminal_safe(first_line(probe.output))),
    )
