"""The I/O-free decisions behind run, wait and stream: statuses, schedules, windows, references."""

from __future__ import annotations

import itertools
from datetime import timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from replicate._run import OutputKind, output_kind
from replicate._wait import (
    MAX_STREAM_RECONNECTS,
    Deadline,
    cancel_after_header,
    has_ended,
    poll_delays,
    reconnect_delay,
    wait_read_timeout,
    wait_window,
)
from replicate.identifier import ModelVersionIdentifier, Reference

VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"


@pytest.mark.parametrize("status", ["succeeded", "failed", "canceled", "aborted"])
def test_every_terminal_status_ends_the_wait(status: str) -> None:
    assert has_ended(status)


def test_running_and_unknown_statuses() -> None:
    assert not has_ended("starting") and not has_ended("processing")
    # a status this client does not know: running until the API says it completed
    assert not has_ended("queued_for_gpu")
    assert has_ended("archived", completed_at="2026-01-01T00:00:00.123Z")
    assert not has_ended("processing", completed_at="2026-01-01T00:00:00Z")
    assert not has_ended(None)


def test_poll_schedule_starts_fast_and_backs_off_to_the_interval() -> None:
    assert list(itertools.islice(poll_delays(0.5), 7)) == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    assert list(itertools.islice(poll_delays(2.0), 7)) == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0]
    assert list(itertools.islice(poll_delays(0.02), 3)) == [0.02, 0.02, 0.02]
    # requests in the first second of polling, at the default interval: 5 at most
    elapsed, count = 0.0, 0
    for delay in poll_delays(0.5):
        elapsed += delay
        if elapsed > 1.0:
            break
        count += 1
    assert count <= 5


@pytest.mark.parametrize(
    ("wait", "window"),
    [(True, True), (False, False), (None, False), (0, False), (1, 1), (60, 60), (90, 60)],
)
def test_wait_window(wait: bool | int | None, window: bool | int) -> None:
    assert wait_window(wait) == window


def test_wait_window_fits_in_the_deadline() -> None:
    assert wait_window(True, Deadline(10.5, clock=lambda: 100.0)) == 10
    assert wait_window(30, Deadline(45, clock=lambda: 100.0)) == 30
    assert wait_window(True, Deadline(0.5, clock=lambda: 100.0)) is False


def test_read_timeout_outlasts_the_window() -> None:
    base = httpx.Timeout(5.0, read=30.0)
    long = wait_read_timeout(60, base)
    assert long is not None and long.read == 65.0 and long.connect == 5.0
    whole = wait_read_timeout(True, base)
    assert whole is not None and whole.read == 65.0
    assert wait_read_timeout(10, base) is None  # 30 s already covers 10 + 5
    assert wait_read_timeout(False, base) is None
    assert wait_read_timeout(60, httpx.Timeout(None)) is None


def test_cancel_after_header() -> None:
    assert cancel_after_header("5m") == "5m"
    assert cancel_after_header(90) == "90s"
    assert cancel_after_header(5.2) == "6s"
    assert cancel_after_header(timedelta(minutes=5)) == "300s"
    with pytest.raises(ValueError, match="at least 5"):
        cancel_after_header(2)
    with pytest.raises(ValueError):
        cancel_after_header(float("nan"))


def test_reconnect_delays() -> None:
    assert reconnect_delay(1) == 0.0  # a dropped connection resumes at once
    assert reconnect_delay(2, retry_ms=250) == 0.25
    assert 0 < (reconnect_delay(3) or 0) <= 1.0
    assert reconnect_delay(MAX_STREAM_RECONNECTS) is not None
    assert reconnect_delay(MAX_STREAM_RECONNECTS + 1) is None


def test_deadline() -> None:
    now = [100.0]
    deadline = Deadline(2.0, clock=lambda: now[0])
    assert deadline.remaining() == 2.0 and not deadline.expired()
    assert deadline.cap(5.0) == 2.0 and deadline.cap(0.5) == 0.5
    capped = deadline.timeout(httpx.Timeout(5.0, read=30.0))
    assert capped is not None and capped.read == 2.0 and capped.connect == 2.0
    now[0] = 102.0
    assert deadline.expired() and deadline.remaining() == 0.0
    never = Deadline(None)
    assert never.remaining() is None and not never.expired() and never.cap(3.0) == 3.0
    assert never.timeout(httpx.Timeout(5.0)) is None
    with pytest.raises(ValueError):
        Deadline(-1)


def _schema(output: dict[str, object]) -> dict[str, object]:
    return {"components": {"schemas": {"Output": output}}}


def test_output_kind_from_the_schema() -> None:
    tokens = {"type": "array", "items": {"type": "string"}, "x-cog-array-type": "iterator"}
    assert output_kind(_schema(tokens)) == OutputKind(iterator=True, text_items=True)
    numbers = {"type": "array", "items": {"type": "integer"}, "x-cog-array-type": "iterator"}
    assert output_kind(_schema(numbers)) == OutputKind(iterator=True, text_items=False)
    plain_list = {"type": "array", "items": {"type": "string"}}
    assert not output_kind(_schema(plain_list)).iterator
    # before Cog 0.3.9 every array output was an iterator
    assert output_kind(_schema(plain_list), "0.3.8").iterator
    assert not output_kind(_schema(plain_list), "0.3.9").iterator
    assert not output_kind(_schema(plain_list), "dev").iterator
    assert not output_kind(None).iterator and not output_kind({}).iterator


# -- references (property tests) --------------------------------------------------------------

# owner and model names as Replicate allows them (see replicate.identifier)
names = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,29}", fullmatch=True)
version_ids = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


@given(owner=names, name=names, version=version_ids)
def test_references_name_what_they_say(owner: str, name: str, version: str) -> None:
    with_version = Reference.parse(f"{owner}/{name}:{version}")
    assert (with_version.owner, with_version.name, with_version.version_id) == (
        owner,
        name,
        version,
    )
    assert with_version.names_version
    model_only = Reference.parse(f"{owner}/{name}")
    assert (model_only.owner, model_only.name, model_only.version_id) == (owner, name, "")
    assert model_only.kind == "model" and with_version.kind == "version"
    assert not model_only.names_version  # as in 1.x: no version to read the output type from
    bare = Reference.parse(version)
    assert (bare.version_id, bare.owner) == (version, "")
    assert not bare.names_version
    assert Reference.parse(ModelVersionIdentifier(owner, name, version)).version_id == version


@given(text=st.text(max_size=40))
def test_anything_else_is_rejected_or_parsed_consistently(text: str) -> None:
    try:
        target = Reference.parse(text)
    except ValueError:
        return
    # what was parsed reads back as the text
    assert str(target) == text
    if not target.owner:
        assert target.version_id == text


def test_invalid_references() -> None:
    for bad in ("", "no-slash", "a/b/c", "/name", "owner/"):
        with pytest.raises(ValueError):
            Reference.parse(bad)
