"""A prediction's output stream: server-sent events read with httpx-sse, resumed when dropped.

``iter_events`` and ``aiter_events`` read ``urls.stream`` through the client's own transport
(so retries, ``MockTransport`` and the connection pool apply), with ``Accept:
text/event-stream`` and ``Cache-Control: no-store``. httpx-sse decodes the lines and fields;
the work added here per event is one small object, so that a fast stream stays fast.

When the connection drops (or ends without ``done``), they reconnect with ``Last-Event-ID`` set
to the last event's id: the server resumes after it, so no event is lost or repeated. The first
reconnection is immediate; after ``MAX_STREAM_RECONNECTS`` in a row without a new event they
give up and raise the last error. A read timeout on a quiet stream (a model still booting)
reconnects too, without counting as a failure.

``stream_events`` and ``async_stream_events`` are what users get from ``replicate.stream`` and
``Prediction.stream``: every event through ``done``, and an ``error`` event raised as
``StreamError``.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import httpx

from replicate._wait import (
    Deadline,
    async_cancel_on_interrupt,
    cancel_on_interrupt,
    reconnect_delay,
)
from replicate.exceptions import ReplicateError, StreamError

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.prediction import Prediction

__all__ = [
    "ServerSentEvent",
    "aiter_events",
    "async_stream_events",
    "iter_events",
    "stream_events",
    "stream_url",
]

# output text that may be a file: wrapped in a FileOutput when use_file_output is on
_FILE_PREFIXES = ("https:", "http:", "data:")


class ServerSentEvent:
    """One event of a prediction's output stream.

    ``event`` is ``output``, ``logs``, ``error`` or ``done`` (a ``ServerSentEvent.EventType``,
    which compares equal to the plain string), or any other name the server sends, as a plain
    string. ``data`` is the event's text (several ``data:`` lines joined with ``\\n``); for
    ``output`` events of files it is a ``FileOutput`` when ``use_file_output`` is on, as in
    replicate 1.x. ``id`` is the event's id, the one a resumed stream starts after.

    Example::

        for event in replicate.stream("replicate/language-model", input={"prompt": "Hi"}):
            if event.event == "output":
                print(str(event), end="")
    """

    class EventType(StrEnum):
        """The event types Replicate sends."""

        OUTPUT = "output"
        LOGS = "logs"
        ERROR = "error"
        DONE = "done"

    __slots__ = ("data", "event", "id", "retry")

    event: str
    """The event type: ``output``, ``logs``, ``error``, ``done``, or another name."""

    data: Any
    """The event's text (a ``FileOutput`` for a file in an ``output`` event, see above)."""

    id: str
    """The event's id (``""`` if the server never sent one)."""

    retry: int | None
    """The reconnection delay the server asked for, in milliseconds."""

    def __init__(self, event: str, data: Any = "", id: str = "", retry: int | None = None) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry

    def __str__(self) -> str:
        """The output text for an ``output`` event; ``""`` for any other event."""
        return str(self.data) if self.event == "output" else ""

    def json(self) -> Any:
        """The data parsed as JSON (``error`` and ``done`` events carry JSON).

        Example::

            if event.event == "done" and event.json().get("reason") == "canceled": ...
        """
        return json.loads(str(self.data))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.event, str(self.data), self.id, self.retry) == (
            other.event,
            str(other.data),
            other.id,
            other.retry,
        )

    def __hash__(self) -> int:
        return hash((self.event, str(self.data), self.id))

    def __repr__(self) -> str:
        return (
            f"ServerSentEvent(event={str(self.event)!r}, data={self.data!r}, id={self.id!r}"
            + (f", retry={self.retry}" if self.retry is not None else "")
            + ")"
        )


_EVENT_TYPES: dict[str, str] = {member.value: member for member in ServerSentEvent.EventType}


def stream_url(prediction: Prediction) -> str:
    """The prediction's ``urls.stream``; ``ReplicateError`` if the model does not stream."""
    url = (prediction.urls or {}).get("stream")
    if not url or not isinstance(url, str):
        raise ReplicateError(
            title="Model does not support streaming",
            detail=f"prediction {prediction.id} has no urls.stream",
        )
    return url


def _headers(client: Client, url: str, last_event_id: str | None) -> dict[str, str]:
    headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    parsed = httpx.URL(url)
    if parsed.scheme == "https" and not client._pool.is_api_origin(parsed):
        # The API handed this URL out for the prediction itself: it gets the token (over
        # HTTPS only), as the API's own origin does. Output file hosts never do.
        token = client._pool.token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
    return headers


def _timeout(client: Client, deadline: Deadline | None) -> dict[str, Any]:
    capped = None if deadline is None else deadline.timeout(client.timeout)
    return {} if capped is None else {"timeout": capped}


def _ended_without_done(url: str) -> ReplicateError:
    return ReplicateError(
        title="Stream ended",
        detail=f"the stream {url} kept ending without a done event",
    )


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


async def _async_sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)


def iter_events(
    client: Client,
    url: str,
    *,
    last_event_id: str | None = None,
    deadline: Deadline | None = None,
    use_file_output: bool = False,
    failing: Prediction | None = None,
) -> Iterator[ServerSentEvent]:
    """Yield the events of ``url`` through ``done``, resuming dropped connections.

    Stops silently when ``deadline`` passes (the caller decides what that means). With
    ``failing``, an ``error`` event raises ``StreamError`` for that prediction.

    Example::

        for event in iter_events(client, prediction.urls["stream"]):
            print(event.event, event.data)
    """
    from httpx_sse import EventSource, SSEError

    from replicate.helpers import transform_output

    failures = 0
    retry_ms: int | None = None
    last_id = last_event_id or ""
    new = ServerSentEvent
    types = _EVENT_TYPES
    while True:
        progressed = False
        last_error: Exception | None = None
        try:
            with client._stream(
                "GET",
                url,
                headers=_headers(client, url, last_id),
                **_timeout(client, deadline),
            ) as response:
                for sse in EventSource(response).iter_sse():
                    # the per-event work: a few attribute reads and one small object
                    name = sse.event
                    data: Any = sse.data
                    if use_file_output and name == "output" and data.startswith(_FILE_PREFIXES):
                        data = transform_output(data, client)
                    last_id = sse.id or last_id
                    retry = sse.retry
                    if retry is not None:
                        retry_ms = retry
                    progressed = True
                    event = new(types.get(name, name), data, last_id, retry)
                    if name == "error" and failing is not None:
                        raise failed_from_event(failing, event)
                    yield event
                    if name == "done":
                        return
                    if deadline is not None and deadline.expired():
                        return
        except SSEError:
            raise  # not an event stream at all: reconnecting would not help
        except httpx.ReadTimeout:
            if deadline is not None and deadline.expired():
                return
            continue  # a quiet stream (a model still booting), not a broken one: ask again
        except httpx.TransportError as error:
            if deadline is not None and deadline.expired():
                return
            last_error = error
        if progressed:
            failures = 0
        failures += 1
        delay = reconnect_delay(failures, retry_ms)
        if delay is None:
            raise last_error or _ended_without_done(url)
        if deadline is not None:
            if deadline.expired():
                return
            delay = deadline.cap(delay)
        if delay:
            _sleep(delay)


async def aiter_events(
    client: Client,
    url: str,
    *,
    last_event_id: str | None = None,
    deadline: Deadline | None = None,
    use_file_output: bool = False,
    failing: Prediction | None = None,
) -> AsyncGenerator[ServerSentEvent, None]:
    """Yield the events of ``url`` through ``done``, asynchronously (see ``iter_events``).

    Example::

        async for event in aiter_events(client, prediction.urls["stream"]):
            print(event.event, event.data)
    """
    from httpx_sse import EventSource, SSEError

    from replicate.helpers import transform_output

    failures = 0
    retry_ms: int | None = None
    last_id = last_event_id or ""
    new = ServerSentEvent
    types = _EVENT_TYPES
    while True:
        progressed = False
        last_error: Exception | None = None
        try:
            async with client._async_stream(
                "GET",
                url,
                headers=_headers(client, url, last_id),
                **_timeout(client, deadline),
            ) as response:
                sources = EventSource(response).aiter_sse()
                try:
                    async for sse in sources:
                        # the per-event work: a few attribute reads and one small object
                        name = sse.event
                        data: Any = sse.data
                        if use_file_output and name == "output" and data.startswith(_FILE_PREFIXES):
                            data = transform_output(data, client)
                        last_id = sse.id or last_id
                        retry = sse.retry
                        if retry is not None:
                            retry_ms = retry
                        progressed = True
                        event = new(types.get(name, name), data, last_id, retry)
                        if name == "error" and failing is not None:
                            raise failed_from_event(failing, event)
                        yield event
                        if name == "done":
                            return
                        if deadline is not None and deadline.expired():
                            return
                finally:
                    # closed here, in this task: left to the garbage collector, it
                    # would close the response from another task
                    await sources.aclose()

        except SSEError:
            raise
        except httpx.ReadTimeout:
            if deadline is not None and deadline.expired():
                return
            continue
        except httpx.TransportError as error:
            if deadline is not None and deadline.expired():
                return
            last_error = error
        if progressed:
            failures = 0
        failures += 1
        delay = reconnect_delay(failures, retry_ms)
        if delay is None:
            raise last_error or _ended_without_done(url)
        if deadline is not None:
            if deadline.expired():
                return
            delay = deadline.cap(delay)
        if delay:
            await _async_sleep(delay)


def failed_from_event(prediction: Prediction, event: ServerSentEvent) -> StreamError:
    """The error to raise for an ``error`` event; marks ``prediction`` as failed."""
    detail: Any = str(event.data)
    try:
        parsed = json.loads(detail)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("detail"):
        detail = str(parsed["detail"])
    prediction.status = "failed"
    prediction.error = detail
    return StreamError(prediction)


def stream_events(
    prediction: Prediction, *, use_file_output: bool | None = True
) -> Iterator[ServerSentEvent]:
    """The events of a prediction's stream, through ``done``; ``StreamError`` on ``error``.

    Example::

        for event in stream_events(prediction):
            print(str(event), end="")
    """
    url = stream_url(prediction)
    client = prediction._client
    with cancel_on_interrupt(prediction):
        yield from iter_events(
            client, url, use_file_output=use_file_output is not False, failing=prediction
        )


async def async_stream_events(
    prediction: Prediction, *, use_file_output: bool | None = True
) -> AsyncGenerator[ServerSentEvent, None]:
    """The events of a prediction's stream, asynchronously (see ``stream_events``).

    Example::

        async for event in async_stream_events(prediction):
            print(str(event), end="")
    """
    url = stream_url(prediction)
    client = prediction._client
    async with async_cancel_on_interrupt(prediction):
        events = aiter_events(
            client, url, use_file_output=use_file_output is not False, failing=prediction
        )
        async with aclosing(events):
            async for event in events:
                yield event
