"""Event streams decoded exactly as the event-stream rules say, in every reading path.

A model of the rules (blocks of fields, a blank line dispatching a block that has data) is
written out as bytes with random line breaks and cut into random chunks; the decoder must give
back exactly the model's events. Then the cases that went wrong before (phantom events from
blocks without data), through the sync and async readers and the waiting loop.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replicate._sse import SSEDecoder, aiter_sse, iter_sse
from replicate._stream import ServerSentEvent, aiter_events, iter_events
from replicate.client import Client
from replicate.prediction import Prediction

TOKEN = "r8_sse_dispatch_token"
BASE = "https://api.replicate.com/v1"
STREAM = f"{BASE}/predictions/p1/stream"

# -- the model ------------------------------------------------------------------------------

# text of a field value: any character but CR and LF (unicode, NUL and surrogate-free)
value_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=12,
)


@dataclass(frozen=True)
class Field:
    line: str
    """The line as written."""

    kind: str
    """data, event, id, retry, comment or other."""

    value: str
    """The value the rules read from it."""


@st.composite
def fields(draw: st.DrawFn) -> Field:
    kind = draw(st.sampled_from(["data", "data", "data", "event", "id", "retry", "comment", "x"]))
    value = draw(value_text)
    if kind == "comment":
        return Field(":" + value, "comment", value)
    if kind == "retry":
        value = draw(st.one_of(st.integers(0, 10**6).map(str), value_text))
    if kind == "x":
        return Field(f"unknown: {value}", "other", value)
    # "name: value", "name:value" (a leading space of value is then stripped once) or "name"
    form = draw(st.sampled_from(["space", "tight", "bare"]))
    if form == "bare":
        return Field(kind, kind, "")
    if form == "space":
        return Field(f"{kind}: {value}", kind, value)
    read = value[1:] if value.startswith(" ") else value
    return Field(f"{kind}:{value}", kind, read)


blocks = st.lists(st.lists(fields(), max_size=5), max_size=8)


def expected(stream: list[list[Field]]) -> tuple[list[tuple[str, str, str, int | None]], str]:
    """The events the rules dispatch for these blocks (each ended by a blank line), with the
    id each carries, and the last event id at the end."""
    events = []
    last_id = ""
    for block in stream:
        event, data, retry = "", None, None
        for field in block:
            if field.kind == "data":
                data = [field.value] if data is None else [*data, field.value]
            elif field.kind == "event":
                event = field.value
            elif field.kind == "id" and "\0" not in field.value:
                last_id = field.value
            elif field.kind == "retry" and field.value.isascii() and field.value.isdigit():
                retry = int(field.value)
        if data is not None:
            events.append((event or "message", "\n".join(data), last_id, retry))
    return events, last_id


def written(stream: list[list[Field]], newline: str, bom: bool) -> bytes:
    lines = [line for block in stream for line in [*(f.line for f in block), ""]]
    text = "".join(line + newline for line in lines)
    return (("\ufeff" if bom else "") + text).encode()


def chunked(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(raw), *(cut % (len(raw) + 1) for cut in cuts)})
    return [raw[a:b] for a, b in itertools.pairwise(points)]


def decoded(chunks: list[bytes]) -> tuple[list[tuple[str, str, str, int | None]], str]:
    decoder = SSEDecoder()
    events = [(*event[:2], decoder.last_id, event[2]) for event in iter_sse(chunks, decoder)]
    return events, decoder.last_id


@settings(max_examples=300, deadline=None)
@given(
    stream=blocks,
    newline=st.sampled_from(["\n", "\r", "\r\n"]),
    bom=st.booleans(),
    cuts=st.lists(st.integers(0, 10**4), max_size=12),
)
def test_decoding_matches_the_rules_whatever_the_chunks(
    stream: list[list[Field]], newline: str, bom: bool, cuts: list[int]
) -> None:
    raw = written(stream, newline, bom)
    assert decoded(chunked(raw, cuts)) == expected(stream)


@settings(max_examples=100, deadline=None)
@given(stream=blocks, cuts=st.lists(st.integers(0, 10**4), max_size=8))
def test_async_decoding_is_the_same(stream: list[list[Field]], cuts: list[int]) -> None:
    chunks = chunked(written(stream, "\r\n", False), cuts)

    async def collect() -> list[tuple[str, str, int | None]]:
        async def source() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        return [event async for event in aiter_sse(source(), SSEDecoder())]

    assert asyncio.run(collect()) == [event[:2] + event[3:] for event in expected(stream)[0]]


@settings(max_examples=100, deadline=None)
@given(stream=blocks, tail=st.lists(fields(), min_size=1, max_size=4))
def test_a_block_cut_off_at_the_end_is_not_dispatched(
    stream: list[list[Field]], tail: list[Field]
) -> None:
    raw = written(stream, "\n", False) + "\n".join(f.line for f in tail).encode()
    events, _ = decoded([raw])
    assert events == expected(stream)[0]


def test_invalid_utf8_becomes_replacement_characters_and_charset_is_ignored() -> None:
    decoder = SSEDecoder()
    events = list(iter_sse([b"data: caf\xc3", b"\xa9 \xff\n\n"], decoder))
    assert events == [("message", "caf\u00e9 \ufffd", None)]


# -- through the readers ----------------------------------------------------------------------


class Script:
    """Answers the stream URL with scripted bodies, one per connection; records requests."""

    def __init__(self, *bodies: bytes) -> None:
        self.bodies = list(bodies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = self.bodies.pop(0)
        headers = {"content-type": "text/event-stream; charset=iso-8859-1"}
        return httpx.Response(200, headers=headers, content=body)


def read(client: Client) -> list[ServerSentEvent]:
    return list(iter_events(client, STREAM))


def aread(client: Client) -> list[ServerSentEvent]:
    async def collect() -> list[ServerSentEvent]:
        return [event async for event in aiter_events(client, STREAM)]

    return asyncio.run(collect())


@pytest.fixture(params=["sync", "async"])
def reader(request: pytest.FixtureRequest) -> Any:
    return read if request.param == "sync" else aread


def client_for(script: Script) -> Client:
    return Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(script))


def test_blocks_without_data_give_no_event(reader: Any) -> None:
    body = (
        b": keep-alive\n\n"
        b"id: 1\nevent: output\ndata: a\n\n"
        b"\n"  # an extra blank line after an event with an id
        b": ping\n\n"
        b"id: 2\nevent: output\ndata:\n\n"  # an empty token
        b"event: done\nid: 3\ndata: {}\n\n"
    )
    events = reader(client_for(Script(body)))
    assert [(e.event, e.data, e.id) for e in events] == [
        ("output", "a", "1"),
        ("output", "", "2"),
        ("done", "{}", "3"),
    ]


def test_multi_line_data_crlf_and_unicode_split_across_chunks(reader: Any) -> None:
    body = "event: output\r\ndata: h\u00e9\r\ndata: \u2603\r\n\r\nevent: done\r\ndata: {}\r\n\r\n"
    raw = body.encode()
    script = Script(raw)
    events = reader(client_for(script))
    assert [(e.event, e.data) for e in events] == [("output", "h\u00e9\n\u2603"), ("done", "{}")]


def test_an_id_in_a_block_without_data_is_where_a_resumed_stream_starts(
    reader: Any, waits: list[float]
) -> None:
    first = b"id: 1\nevent: output\ndata: a\n\nid: 2\n\n"  # then the connection ends early
    second = b"id: 3\nevent: done\ndata: {}\n\n"
    script = Script(first, second)
    events = reader(client_for(script))
    assert [(e.event, e.data) for e in events] == [("output", "a"), ("done", "{}")]
    assert script.requests[1].headers["last-event-id"] == "2"


def test_retry_in_a_block_without_data_sets_the_reconnection_delay(
    reader: Any, waits: list[float]
) -> None:
    bodies = [b"retry: 1500\n\n", b"retry: 1500\n\n", b"event: done\ndata: {}\n\n"]
    script = Script(*bodies)
    events = reader(client_for(script))
    assert [e.event for e in events] == ["done"]
    assert waits == [1.5]  # the first reconnection is immediate, the second waits retry:


def test_waiting_sees_no_phantom_progress() -> None:
    """The waiting loop follows the stream too: a keep-alive gives on_progress nothing."""
    prediction_json = {
        "id": "p1",
        "status": "processing",
        "started_at": "2026-11-30T10:00:00.000000Z",
        "urls": {"get": f"{BASE}/predictions/p1", "stream": STREAM},
        "logs": "",
    }
    stream = b": keep-alive\n\nid: 1\nevent: logs\ndata: step 1\n\n\n\nevent: done\ndata: {}\n\n"

    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/stream"):
            headers = {"content-type": "text/event-stream"}
            return httpx.Response(200, headers=headers, content=stream)
        ended = {**prediction_json, "status": "succeeded", "logs": "step 1\n", "output": "ok"}
        return httpx.Response(200, json=ended)

    client = Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(serve))
    prediction = Prediction(**prediction_json).bind(client)
    seen: list[tuple[str, str | None]] = []
    prediction.wait(on_progress=lambda p: seen.append((p.status, p.logs)))
    assert seen == [("processing", ""), ("processing", "step 1\n"), ("succeeded", "step 1\n")]
