"""Container state guards, names, status texts and the create-body merge rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tuibox import timestamps
from tuibox.engine.domain.container import (
    ContainerRecord,
    ContainerState,
    Status,
    status_text,
    validate_name,
)
from tuibox.engine.domain.errors import Conflict, InvalidArgument, NotModified
from tuibox.engine.services.containers.rules.create import DEFAULT_PATH, merge_process


def test_start_guard_answers_not_modified_for_running() -> None:
    with pytest.raises(NotModified):
        ContainerState(status=Status.RUNNING).check_can_start()
    ContainerState(status=Status.EXITED).check_can_start()
    ContainerState(status=Status.CREATED).check_can_start()


def test_stop_guard_answers_not_modified_unless_running() -> None:
    for status in (Status.CREATED, Status.EXITED):
        with pytest.raises(NotModified):
            ContainerState(status=status).check_can_stop()
    ContainerState(status=Status.RUNNING).check_can_stop()


def test_remove_guard_refuses_running_without_force() -> None:
    running = ContainerState(status=Status.RUNNING)
    with pytest.raises(Conflict, match="stop the container before removing or force remove"):
        running.check_can_remove("web", force=False)
    running.check_can_remove("web", force=True)
    ContainerState(status=Status.EXITED).check_can_remove("web", force=False)


def test_kill_guard_names_the_container() -> None:
    with pytest.raises(Conflict, match="container abc is not running"):
        ContainerState(status=Status.EXITED).check_can_kill("web", "abc")


@pytest.mark.parametrize("name", ["web", "/web", "a.b-c_d", "x1"])
def test_valid_names(name: str) -> None:
    assert validate_name(name) == name.lstrip("/")


@pytest.mark.parametrize("name", ["", "a", "-web", "we b", "wéb", "a/b"])
def test_invalid_names(name: str) -> None:
    with pytest.raises(InvalidArgument, match="Invalid container name"):
        validate_name(name)


def test_status_text_for_each_state() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    started = (now - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S.000000000Z")
    assert status_text(ContainerState(Status.RUNNING, started_at=started), now) == "Up 2 minutes"
    exited = ContainerState(Status.EXITED, exit_code=3, finished_at=started)
    assert status_text(exited, now) == "Exited (3) 2 minutes ago"
    assert status_text(ContainerState(Status.CREATED), now) == "Created"


def test_rfc3339_round_trip_and_zero_time() -> None:
    parsed = timestamps.parse_ns("2026-03-04T05:06:07.123456789Z")
    expected = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert parsed == int(expected.timestamp()) * 1_000_000_000 + 123456789
    assert timestamps.format_ns(parsed) == "2026-03-04T05:06:07.123456789Z"
    assert timestamps.parse_seconds("0001-01-01T00:00:00Z") is None


def test_record_json_round_trip_keeps_state() -> None:
    record = ContainerRecord(
        id="a" * 64,
        name="web",
        created="2026-01-01T00:00:00.000000000Z",
        image_ref="busybox",
        image_id="sha256:" + "b" * 64,
        path="sh",
        args=["-c", "echo hi there"],
        config={"Env": []},
        host_config={"AutoRemove": True},
        state=ContainerState(Status.EXITED, exit_code=5),
    )
    again = ContainerRecord.from_json(record.to_json())
    assert again == record
    assert again.command == "sh -c 'echo hi there'"
    assert again.auto_remove


def test_merge_uses_image_defaults() -> None:
    image = {"Cmd": ["sh"], "Env": ["PATH=/bin", "A=1"], "WorkingDir": "/root"}
    merged = merge_process({"Env": ["A=2", "B=3"]}, image)
    assert (merged.path, merged.args) == ("sh", [])
    assert merged.env == ["PATH=/bin", "A=2", "B=3"]
    assert merged.working_dir == "/root"


def test_given_entrypoint_drops_the_image_cmd() -> None:
    image = {"Entrypoint": ["/init"], "Cmd": ["serve"]}
    merged = merge_process({"Entrypoint": ["echo"]}, image)
    assert (merged.path, merged.args) == ("echo", [])
    merged = merge_process({"Cmd": ["hello"]}, image)
    assert (merged.path, merged.args) == ("/init", ["hello"])


def test_merge_adds_default_path_and_refuses_bad_input() -> None:
    assert merge_process({"Cmd": ["true"]}, {}).env == [DEFAULT_PATH]
    with pytest.raises(InvalidArgument, match="No command specified"):
        merge_process({}, {})
    with pytest.raises(InvalidArgument, match="Cmd must be a list of strings"):
        merge_process({"Cmd": [1]}, {})
    with pytest.raises(InvalidArgument, match="absolute path"):
        merge_process({"Cmd": ["true"], "WorkingDir": "rel"}, {})


def test_names_longer_than_255_characters_are_refused() -> None:
    assert validate_name("a" * 255) == "a" * 255
    with pytest.raises(InvalidArgument, match="at most 255 characters"):
        validate_name("a" * 256)
