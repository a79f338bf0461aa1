"""Pilot tests: P asks for an image and pulls it with per-layer progress; Esc cancels (fake)."""

from __future__ import annotations

from textual.widgets import Input, Static

from tests.fake_registry import LAYERS, scripted_pull
from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import NotFoundError
from tuibox.client.progress import LayerProgress, ProgressEvent
from tuibox.screens import MainScreen
from tuibox.screens.pull_prompt import PullPrompt
from tuibox.screens.transfer_dialog import CANCELLED, TransferDialog
from tuibox.widgets.transfer_view import RedrawThrottle, layer_line


def text_of(session: Session, selector: str) -> str:
    widget = session.app.screen.query_one(selector, Static)
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


async def ask_pull(session: Session, reference: str, platform: str = "") -> None:
    """Press P, fill the prompt and press Enter (without waiting for the pull's worker)."""
    await session.pilot.press("P")
    await session.pilot.pause()
    assert isinstance(session.app.screen, PullPrompt)
    session.app.screen.query_one("#pull-reference", Input).value = reference
    session.app.screen.query_one("#pull-platform", Input).value = platform
    await session.pilot.press("enter")
    await session.pilot.pause()


def dialog(session: Session) -> TransferDialog:
    screen = session.app.screen
    assert isinstance(screen, TransferDialog)
    return screen


async def test_p_pulls_with_a_line_per_layer_and_the_engine_s_status(run_app: RunApp) -> None:
    async with run_app() as session:
        await ask_pull(session, "busybox:1.36", "linux/arm64")
        await session.wait_until(lambda: dialog(session).state != "running")
        assert dialog(session).state == "done"
        assert session.fake.called("pull_image") == [("busybox:1.36", "linux/arm64")]
        assert text_of(session, "#transfer-title") == "Pulled busybox:1.36"
        assert text_of(session, "#transfer-outcome") == "Done."
        layers = text_of(session, "#transfer-layers").splitlines()
        first, second = LAYERS
        assert layers[0] == "1.36: Pulling from busybox"
        assert layers[1].startswith(f"{first}  Pull complete ") and layers[1].endswith("4MB")
        assert layers[2].startswith(f"{second}  Already exists ")
        assert layers[3:] == ["Digest: sha256:" + "9a" * 32,
                              "Status: Downloaded newer image for busybox:1.36"]
        assert text_of(session, "#transfer-summary") == "2 of 2 layer(s) done · 4MB of 4MB"
        assert text_of(session, "#transfer-help") == "Esc closes."
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)


async def test_a_bad_reference_or_platform_is_said_before_asking_the_engine(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        await ask_pull(session, "Busybox")
        assert text_of(session, "#name-problem") == ("invalid reference format: repository "
                                                     "name (Busybox) must be lowercase")
        session.app.screen.query_one("#pull-reference", Input).value = "busybox"
        session.app.screen.query_one("#pull-platform", Input).value = "arm64"
        await session.press("enter")
        assert text_of(session, "#name-problem") == ('"arm64": unknown operating system or '
                                                     "architecture: expected os/arch[/variant]")
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)
        assert session.fake.called("pull_image") == []


async def test_esc_cancels_a_pull_in_flight_closing_its_stream_and_says_so(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        session.fake.hold_stream = True
        await ask_pull(session, "busybox")
        script = scripted_pull("busybox")
        await session.wait_until(lambda: dialog(session).progress.events == len(script))
        assert session.fake.closed_streams == []
        await session.pilot.press("escape")
        await session.wait_until(lambda: session.fake.closed_streams == ["pull busybox"])
        assert dialog(session).state == "cancelled"
        assert text_of(session, "#transfer-title") == "Pull of busybox cancelled"
        assert text_of(session, "#transfer-outcome") == CANCELLED["Pull"]
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)


async def test_an_error_in_the_stream_fails_the_pull_clearly_and_closes_it(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        def failing(reference: str) -> list[ProgressEvent]:
            return [*scripted_pull(reference)[:4],
                    ProgressEvent(error="unexpected EOF"), ProgressEvent("never read")]

        session.fake.pull_script = failing
        await ask_pull(session, "busybox")
        await session.wait_until(lambda: dialog(session).state != "running")
        assert dialog(session).state == "failed"
        assert text_of(session, "#transfer-outcome") == "Pull failed: unexpected EOF"
        assert text_of(session, "#transfer-title") == "Pull of busybox failed"
        note = session.notifications[-1]
        assert (note.title, note.message, note.severity) == ("Pull failed", "unexpected EOF",
                                                             "error")  # fmt: skip
        assert session.fake.closed_streams == ["pull busybox"]


async def test_a_pull_the_engine_refuses_shows_its_words(run_app: RunApp) -> None:
    async with run_app() as session:
        session.fake.fail["pull_image"] = NotFoundError(
            "pull access denied for nope, repository does not exist", 404)
        await ask_pull(session, "nope")
        await session.wait_until(lambda: dialog(session).state != "running")
        assert text_of(session, "#transfer-outcome") == ("Pull failed: pull access denied for "
                                                         "nope, repository does not exist")


async def test_lines_between_two_quarter_seconds_are_not_drawn(run_app: RunApp) -> None:
    """With the dialog's clock standing still no quarter second ever passes: of 300 lines
    (and however many timer ticks) only the first is drawn, then the end."""
    async with run_app() as session:
        def chatty(reference: str) -> list[ProgressEvent]:
            return [ProgressEvent("Downloading", LAYERS[0], i * 1000, 300_000)
                    for i in range(1, 301)]  # fmt: skip

        session.fake.pull_script = chatty
        dialog = TransferDialog("Pull", "busybox", lambda: session.fake.pull_image("busybox"),
                                clock=lambda: 100.0)  # fmt: skip
        await session.app.push_screen(dialog)
        await session.wait_until(lambda: dialog.state != "running")
        assert dialog.progress.events == 300
        assert dialog.redraws == 2
        layers = dialog.query_one("#transfer-layers", Static).content
        assert "300kB / 300kB" in str(layers)  # the end is drawn with the last line


def test_the_throttle_allows_one_redraw_a_quarter_second() -> None:
    throttle = RedrawThrottle()
    times = [0.0, 0.1, 0.2, 0.25, 0.3, 0.49, 0.5, 2.0]
    assert [throttle.due(t) for t in times] == [True, False, False, True, False, False, True,
                                                True]  # fmt: skip


def test_a_layer_line_shows_phase_bytes_and_rate() -> None:
    layer = LayerProgress(LAYERS[0])
    layer.apply(ProgressEvent("Downloading", LAYERS[0], 1_000_000, 4_000_000), 10.0)
    layer.apply(ProgressEvent("Downloading", LAYERS[0], 2_500_000, 4_000_000), 11.0)
    line = layer_line(layer).plain
    assert line == (f"{LAYERS[0]}  Downloading                  ━━━━━━━━━━━━━━━╌╌╌╌╌╌╌╌╌"
                    "    2.5MB / 4MB      1.5MB/s")


async def test_p_asks_for_an_image_from_every_pane(run_app: RunApp) -> None:
    """Every pane prunes with X, so P pulls everywhere (Volumes and Networks included)."""
    async with run_app() as session:
        for pane in ("1", "2", "3", "4", "5"):
            await session.pilot.press(pane)
            await session.pilot.press("P")
            await session.pilot.pause()
            assert isinstance(session.app.screen, PullPrompt), pane
            await session.pilot.press("escape")
            await session.pilot.pause()
            assert isinstance(session.app.screen, MainScreen)
