"""Pilot tests: the Images pane pushes (u), tags (t), removes naming the containers that use the
image, prunes with a list and a confirmation (X), and sorts by age and size (s) (fake engine)."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Button, Input, OptionList, Static

from tests.conftest import FROZEN_NOW, FakeEngineClient
from tests.tui.conftest import RunApp, Session
from tuibox.client.errors import ConflictError
from tuibox.client.models import ImageSummary
from tuibox.panes.images import ImagesPane
from tuibox.screens import ConfirmModal, MainScreen
from tuibox.screens.choice import ChoiceModal
from tuibox.screens.text_prompt import TextPrompt
from tuibox.screens.transfer_dialog import TransferDialog
from tuibox.widgets.image_table import ImageTable

BUSYBOX = "sha256:" + "b" * 64
HELLO = "sha256:" + "d" * 64
DANGLING = "sha256:" + "f" * 64


def table(session: Session) -> ImageTable:
    return session.app.screen.query_one(ImageTable)


def references(session: Session) -> list[str]:
    shown = table(session)
    return [shown.get_row_at(i)[0].plain for i in range(shown.row_count)]


def headers(session: Session) -> list[str]:
    return [str(column.label) for column in table(session).columns.values()]


async def open_pane(session: Session) -> None:
    await session.press("2")


async def select(session: Session, reference: str) -> None:
    table(session).move_cursor(row=references(session).index(reference))
    await session.settle()


def question(session: Session) -> str:
    modal = session.app.screen
    assert isinstance(modal, ConfirmModal)
    return modal.question


async def test_s_cycles_newest_oldest_largest_smallest_and_the_header_says_which(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        await open_pane(session)
        assert headers(session) == ["REPOSITORY:TAG", "IMAGE ID", "SIZE", "CREATED ▼"]
        assert references(session) == ["busybox:1.35", "busybox:latest", "hello-world:latest",
                                       "<none>:<none>"]  # fmt: skip
        await session.press("s")
        assert headers(session)[3] == "CREATED ▲"
        assert references(session)[0] == "<none>:<none>"
        await session.press("s")
        assert headers(session)[2:] == ["SIZE ▼", "CREATED"]
        assert references(session) == ["<none>:<none>", "busybox:1.35", "busybox:latest",
                                       "hello-world:latest"]  # fmt: skip
        await session.press("s")
        assert headers(session)[2] == "SIZE ▲"
        assert references(session)[0] == "hello-world:latest"
        await session.press("s")
        assert headers(session)[3] == "CREATED ▼"
        session.fake.images.append(ImageSummary("sha256:" + "a" * 64, ("new:1",), (),
                                                int(FROZEN_NOW - 60), 10, 0))  # fmt: skip
        await session.press("s", "s")  # largest first: the order holds over a poll
        session.app.screen.query_one(ImagesPane).refresh_now()
        await session.settle()
        assert references(session)[0] == "<none>:<none>" and references(session)[-1] == "new:1"


async def test_deleting_a_tag_of_an_image_with_others_only_untags_it(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await select(session, "busybox:latest")
        await session.press("d")
        assert question(session) == ("Untag busybox:latest? The image stays under busybox:1.35 "
                                     "(used by web, db).")  # fmt: skip
        await session.press("tab", "enter")
        assert session.fake.called("remove_image") == [("busybox:latest", False)]


async def test_the_last_name_of_an_image_stopped_containers_use_goes_by_force(
    run_app: RunApp,
) -> None:
    async with run_app() as session:
        await open_pane(session)
        await select(session, "hello-world:latest")
        await session.press("d")
        assert question(session) == (
            "Delete image hello-world:latest (dddddddddddd)?\nStopped containers use it: hello. "
            "As docker rmi -f, it is removed by force; they stay, naming the image by its ID.")
        assert str(session.app.screen.query_one("#confirm", Button).label) == "Force delete"
        await session.press("tab", "enter")
        assert session.fake.called("remove_image") == [("hello-world:latest", True)]


async def test_a_running_user_is_named_and_the_engine_s_refusal_shown(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    fake_client.images = [replace(i, repo_tags=i.repo_tags[-1:]) for i in fake_client.images]
    fake_client.fail["remove_image"] = ConflictError(
        'conflict: unable to delete busybox:1.35 (cannot be forced) - image is being used '
        "by running container a1a1a1a1a1a1", 409)  # fmt: skip
    async with run_app() as session:
        await open_pane(session)
        await select(session, "busybox:1.35")
        await session.press("d")
        assert "Running containers use it: web. The engine refuses" in question(session)
        await session.press("tab", "enter")
        assert session.fake.called("remove_image") == [("busybox:1.35", False)]
        note = session.notifications[-1]
        assert note.title == "Delete failed" and "cannot be forced" in note.message


async def test_t_tags_after_checking_the_reference(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await select(session, "busybox:latest")
        await session.press("t")
        assert isinstance(session.app.screen, TextPrompt)
        session.app.screen.query_one(Input).value = "localhost:5000/Team/busybox"
        await session.press("enter")
        problem = str(session.app.screen.query_one("#name-problem", Static).content)
        assert problem == ("invalid reference format: repository name "
                           "(localhost:5000/Team/busybox) must be lowercase")  # fmt: skip
        session.app.screen.query_one(Input).value = "localhost:5000/team/busybox:v2"
        await session.press("enter")
        assert session.fake.called("tag_image") == [("busybox:latest",
                                                     "localhost:5000/team/busybox:v2")]
        assert session.notifications[-1].message == ("Tagged busybox:latest as "
                                                      "localhost:5000/team/busybox:v2.")
        await session.settle()
        assert "localhost:5000/team/busybox:v2" in references(session)


async def test_u_pushes_the_selected_tag_with_progress(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await select(session, "busybox:latest")
        await session.press("u")
        dialog = session.app.screen
        assert isinstance(dialog, TransferDialog)
        await session.wait_until(lambda: dialog.state != "running")
        assert session.fake.called("push_image") == [("busybox:latest",)]
        assert dialog.progress.layers["a1b2c3d4e5f6"].phase == "Pushed"
        assert dialog.progress.layers["0f9e8d7c6b5a"].phase == "Layer already exists"
        outcome = dialog.query_one("#transfer-outcome", Static).content
        assert str(outcome) == "Done: the registry has latest at sha256:" + "7c" * 32 + "."
        await session.press("escape")
        assert isinstance(session.app.screen, MainScreen)


async def test_u_on_an_untagged_image_says_to_tag_it_first(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await select(session, "<none>:<none>")
        await session.press("u")
        assert isinstance(session.app.screen, MainScreen)
        assert session.notifications[-1].message == ("An image without a tag cannot be pushed: "
                                                     "tag it first (t).")
        assert session.fake.called("push_image") == []


def prune_choices(session: Session) -> list[str]:
    options = session.app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_x_lists_what_each_prune_removes_and_asks(
    run_app: RunApp, fake_client: FakeEngineClient
) -> None:
    fake_client.images.append(ImageSummary("sha256:" + "c" * 64, ("old:1",), (),
                                           int(FROZEN_NOW - 90 * 86400), 7_000_000, 0))
    async with run_app() as session:
        await open_pane(session)
        await session.press("X")
        assert isinstance(session.app.screen, ChoiceModal)
        assert prune_choices(session) == ["Dangling: 1 image(s) without a tag",
                                          "All unused (-a): 2 image(s) no container uses"]
        await session.press("down", "enter")
        assert question(session) == ("Remove 2 unused image(s), 1.24GB in all?\n"
                                     "  <none>:<none> (ffffffffffff, 1.23GB)\n"
                                     "  old:1 (cccccccccccc, 7MB)")  # fmt: skip
        await session.press("tab", "enter")
        assert session.fake.called("prune_images") == [(True,)]
        assert session.notifications[-1].message == "Pruned 2 image(s); reclaimed 1.24GB."
        await session.settle()
        assert references(session) == ["busybox:1.35", "busybox:latest", "hello-world:latest"]
        await session.press("X")
        assert session.notifications[-1].message == "No unused image to prune."


async def test_the_dangling_prune_and_a_cancel(run_app: RunApp) -> None:
    async with run_app() as session:
        await open_pane(session)
        await session.press("X", "enter")
        assert question(session) == ("Remove 1 dangling image(s), 1.23GB in all?\n"
                                     "  <none>:<none> (ffffffffffff, 1.23GB)")
        await session.press("escape")
        assert session.fake.called("prune_images") == []
        await session.press("X", "enter", "tab", "enter")
        assert session.fake.called("prune_images") == [(False,)]
