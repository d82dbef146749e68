"""The SSE reader's edges, against a scripted event stream behind httpx.MockTransport.

The scripted server honours ``Last-Event-ID`` and drops connections where told, so resuming
can be checked exactly (and as a property, with hypothesis).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import httpx_sse
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replicate._stream import ServerSentEvent, aiter_events, iter_events
from replicate.client import Client
from replicate.exceptions import StreamError
from replicate.prediction import Prediction

TOKEN = "r8_stream_test_token"
BASE = "https://api.replicate.com/v1"
STREAM = f"{BASE}/predictions/p1/stream"


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that may drop (raise) or end early after its chunks."""

    def __init__(self, chunks: list[bytes], drop: bool) -> None:
        self.chunks = chunks
        self.drop = drop

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.drop:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.drop:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete body")


def encode(event: str, data: str, id: str) -> bytes:
    lines = [f"id: {id}", f"event: {event}", *(f"data: {line}" for line in data.split("\n"))]
    return ("\n".join(lines) + "\n\n").encode()


class EventServer:
    """Serves ``events`` (ending with ``done``); connection n sends ``cuts[n]`` events, then
    drops (or ends cleanly, if ``clean``)."""

    def __init__(
        self, events: list[tuple[str, str]], cuts: list[int] | None = None, clean: bool = False
    ) -> None:
        self.events = [(str(i), kind, data) for i, (kind, data) in enumerate(events, 1)]
        self.events.append((str(len(events) + 1), "done", "{}"))
        self.cuts = list(cuts or [])
        self.clean = clean
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        last = request.headers.get("last-event-id")
        ids = [event[0] for event in self.events]
        start = ids.index(last) + 1 if last in ids else 0
        remaining = self.events[start:]
        cut = self.cuts.pop(0) if self.cuts else None
        if cut is not None:
            remaining = remaining[:cut]
        chunks = [encode(kind, data, id) for id, kind, data in remaining]
        headers = {"content-type": "text/event-stream"}
        drop = cut is not None and not self.clean
        return httpx.Response(200, headers=headers, stream=Chunks(chunks, drop))


def make_client(server: Any, **options: Any) -> Client:
    return Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(server), **options)


def read(client: Client, url: str = STREAM, **options: Any) -> list[ServerSentEvent]:
    return list(iter_events(client, url, **options))


def aread(client: Client, url: str = STREAM, **options: Any) -> list[ServerSentEvent]:
    async def collect() -> list[ServerSentEvent]:
        return [event async for event in aiter_events(client, url, **options)]

    return asyncio.run(collect())


@pytest.fixture(params=["sync", "async"])
def reader(request: pytest.FixtureRequest) -> Any:
    return read if request.param == "sync" else aread


def test_headers_and_events(reader: Any) -> None:
    server = EventServer([("output", "Hello"), ("logs", "step 1"), ("output", " world")])
    events = reader(make_client(server))
    request = server.requests[0]
    assert request.headers["accept"] == "text/event-stream"
    assert request.headers["cache-control"] == "no-store"
    assert "last-event-id" not in request.headers
    assert request.headers["authorization"] == f"Bearer {TOKEN}"  # the API's own origin
    assert [(e.event, e.data, e.id) for e in events] == [
        ("output", "Hello", "1"),
        ("logs", "step 1", "2"),
        ("output", " world", "3"),
        ("done", "{}", "4"),
    ]
    assert "".join(str(e) for e in events) == "Hello world"
    assert events[-1].json() == {}


def test_unknown_event_types_pass_through(reader: Any) -> None:
    server = EventServer([("heartbeat", ""), ("output", "a"), ("metrics", '{"tps": 9}')])
    events = reader(make_client(server))
    assert [e.event for e in events] == ["heartbeat", "output", "metrics", "done"]
    assert str(events[0]) == "" and events[2].json() == {"tps": 9}
    assert isinstance(events[1].event, ServerSentEvent.EventType)
    assert events[1].event.value == "output"  # as replicate 1.x's enum


def test_resumes_after_a_drop_with_last_event_id(reader: Any, waits: list[float]) -> None:
    server = EventServer([("output", str(i)) for i in range(6)], cuts=[2, 3])
    events = reader(make_client(server))
    assert [e.data for e in events if e.event == "output"] == ["0", "1", "2", "3", "4", "5"]
    assert [r.headers.get("last-event-id") for r in server.requests] == [None, "2", "5"]
    assert waits == []  # a drop after progress reconnects at once


def test_a_stream_that_ends_without_done_resumes(reader: Any) -> None:
    server = EventServer([("output", "a"), ("output", "b")], cuts=[1], clean=True)
    events = reader(make_client(server))
    assert [e.event for e in events] == ["output", "output", "done"]


def test_gives_up_after_repeated_drops_without_progress(reader: Any, waits: list[float]) -> None:
    server = EventServer([("output", "a")], cuts=[0] * 10)
    with pytest.raises(httpx.RemoteProtocolError):
        reader(make_client(server))
    assert len(server.requests) == 6  # the first try, then 5 reconnections
    assert waits[0] > 0  # backing off after the immediate first one


def test_not_an_event_stream(reader: Any) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "p1"})

    with pytest.raises(httpx_sse.SSEError):
        reader(make_client(server))


def test_token_goes_to_a_stream_host_over_https_only(reader: Any) -> None:
    server = EventServer([("output", "a")])
    reader(make_client(server), "https://stream.replicate.com/v1/streams/abc")
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    server = EventServer([("output", "a")])
    reader(make_client(server), "http://stream.example.com/v1/streams/abc")
    assert "authorization" not in server.requests[0].headers


def test_error_event_raises_stream_error_from_prediction_stream() -> None:
    server = EventServer([("output", "a"), ("error", json.dumps({"detail": "CUDA OOM"}))])
    client = make_client(server)
    prediction = Prediction(**{"id": "p1", "urls": {"stream": STREAM}}).bind(client)
    seen: list[str] = []
    with pytest.raises(StreamError, match="CUDA OOM") as raised:
        for event in prediction.stream():
            seen.append(str(event))
    assert seen == ["a"]
    assert raised.value.prediction is prediction and prediction.status == "failed"

    async def collect() -> None:
        async for _ in prediction.async_stream():
            pass

    server.requests.clear()
    with pytest.raises(StreamError, match="CUDA OOM"):
        asyncio.run(collect())


def test_file_outputs_in_a_stream(reader: Any) -> None:
    url = "https://replicate.delivery/pbxt/abc/out-0.png"
    server = EventServer([("output", url), ("output", "plain text")])
    client = make_client(server)
    prediction = Prediction(**{"id": "p1", "urls": {"stream": STREAM}}).bind(client)
    events = list(prediction.stream())
    assert str(events[0]) == url and not isinstance(events[0].data, str)
    assert events[1].data == "plain text"
    server = EventServer([("output", url)])
    prediction = Prediction(id="p1", urls={"stream": STREAM}).bind(make_client(server))
    plain = list(prediction.stream(use_file_output=False))
    assert plain[0].data == url


# -- resuming, as a property ---------------------------------------------------------------------

datas = st.text(
    alphabet=st.characters(blacklist_characters="\r", blacklist_categories=("Cs",)), max_size=20
)
streams = st.lists(
    st.tuples(st.sampled_from(["output", "logs", "custom"]), datas), min_size=0, max_size=15
)


@settings(max_examples=60, deadline=None)
@given(events=streams, cuts=st.lists(st.integers(0, 6), max_size=4), clean=st.booleans())
def test_resumed_streams_lose_and_repeat_nothing(
    events: list[tuple[str, str]], cuts: list[int], clean: bool
) -> None:
    for mode in ("sync", "async"):
        server = EventServer(events, cuts=list(cuts), clean=clean)
        client = make_client(server)
        got = read(client) if mode == "sync" else aread(client)
        expected = [(id, kind, data) for id, kind, data in server.events]
        assert [(e.id, str(e.event), e.data) for e in got] == expected
        sent = [r.headers.get("last-event-id") for r in server.requests[1:]]
        delivered = [e.id for e in got]
        assert all(last is None or last in delivered for last in sent)
        assert sent == sorted(sent, key=lambda last: -1 if last is None else int(last))
