"""A prediction's output stream: server-sent events read with httpx-sse, resumed when dropped.

``iter_events`` and ``aiter_events`` read ``urls.stream`` through the client (so retries,
``MockTransport`` and the connection pool apply), with ``Accept: text/event-stream`` and
``Cache-Control: no-store``. ``replicate._sse`` decodes the lines and fields exactly as the
event-stream rules say (httpx-sse's line splitting, a corrected field decoder); the work added
here per event is one method call and one small object, so that a fast stream stays fast.

When the connection drops (or ends without ``done``), they reconnect with ``Last-Event-ID`` set
to the last event's id: the server resumes after it, so no event is lost or repeated. The first
reconnection is immediate; after ``MAX_STREAM_RECONNECTS`` in a row without a new event they
give up and raise the last error. A read timeout on a quiet stream (a model still booting)
reconnects too, without counting as a failure. All of that state (last id, server ``retry:``,
failures in a row, the deadline) lives in one ``EventStream``; the sync and async loops differ
only in their I/O lines.

``stream_events`` and ``async_stream_events`` are what users get from ``replicate.stream`` and
``Prediction.stream``: every event through ``done``, an ``error`` event raised as
``StreamError``, and the prediction canceled on an interrupt.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterator
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import httpx

from replicate._file_output import transform_output
from replicate._sse import SSEDecoder, aiter_sse, check_content_type, iter_sse
from replicate._wait import (
    Deadline,
    async_cancel_on_interrupt,
    cancel_on_interrupt,
    reconnect_delay,
)
from replicate.exceptions import ReplicateError, StreamError

if TYPE_CHECKING:
    from replicate._runs import Run
    from replicate.client import Client

__all__ = [
    "EventStream",
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


def stream_url(run: Run) -> str:
    """The run's ``urls.stream``; ``ReplicateError`` if the model does not stream."""
    url = (run.urls or {}).get("stream")
    if not url or not isinstance(url, str):
        raise ReplicateError(
            title="Model does not support streaming",
            detail=f"prediction {run.id} has no urls.stream",
        )
    return url


class EventStream:
    """One stream's reading state, across reconnections: no I/O (the loops do that).

    Example::

        state = EventStream(client, url)
        while True:
            with client._open(state.request()) as response:
                for sse in iter_sse(response.iter_bytes(), state.decoder()):
                    event = state.event(sse)  # bookkeeping; StreamError on `error`
                    ...
            delay = state.reconnect(None)  # None: stop; else sleep, then again
    """

    __slots__ = (
        "_client",
        "_decoder",
        "_failing",
        "_failures",
        "_files",
        "_new",
        "_progressed",
        "_retry_ms",
        "_types",
        "deadline",
        "finished",
        "last_id",
        "url",
    )

    def __init__(
        self,
        client: Client,
        url: str,
        *,
        last_event_id: str | None = None,
        deadline: Deadline | None = None,
        use_file_output: bool = False,
        failing: Run | None = None,
    ) -> None:
        self._client = client
        self.url = url
        self.last_id = last_event_id or ""
        self.deadline = deadline
        self._files = use_file_output
        self._failing = failing
        self._failures = 0
        self._retry_ms: int | None = None
        self._progressed = False
        self._new = ServerSentEvent
        self._types = _EVENT_TYPES
        self._decoder = SSEDecoder(self.last_id)
        self.finished = False
        """Set once the stream has given its last event (``done``, or the deadline passed)."""

    def request(self) -> dict[str, Any]:
        """The request that (re)opens the stream, resuming after the last event id seen."""
        self._progressed = False
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        if self.last_id:
            headers["Last-Event-ID"] = self.last_id
        client = self._client
        parsed = httpx.URL(self.url)
        if parsed.scheme == "https" and not client._connections.is_api_origin(parsed):
            # The API handed this URL out for the prediction itself: it gets the token (over
            # HTTPS only), as the API's own origin does. Output file hosts never do.
            token = client._connections.token()
            if token:
                headers["Authorization"] = f"Bearer {token}"
        request: dict[str, Any] = {"method": "GET", "url": self.url, "headers": headers}
        if self.deadline is not None:
            capped = self.deadline.timeout(client.timeout)
            if capped is not None:
                request["timeout"] = capped
        return request

    def decoder(self) -> SSEDecoder:
        """A decoder for the (re)opened connection, carrying the stream's last event id."""
        self._decoder = SSEDecoder(self.last_id)
        return self._decoder

    def _settle(self) -> None:
        """Take the last event id and ``retry`` of the connection that ended (an ``id`` in a
        block without data still counts, as the event-stream rules say)."""
        decoder = self._decoder
        self.last_id = decoder.last_id
        if decoder.retry is not None:
            self._retry_ms = decoder.retry

    def event(self, sse: tuple[str, str, int | None]) -> ServerSentEvent:
        """The event for one dispatched server-sent event (the per-event work: keep it small)."""
        name, data, retry = sse
        value: Any = data
        if self._files and name == "output" and data.startswith(_FILE_PREFIXES):
            value = transform_output(data, self._client)
        self._progressed = True
        event = self._new(self._types.get(name, name), value, self._decoder.last_id, retry)
        if name == "done" or (self.deadline is not None and self.deadline.expired()):
            self.finished = True
        elif name == "error" and self._failing is not None:
            raise failed_from_event(self._failing, event)
        return event

    def reconnect(self, error: Exception | None) -> float | None:
        """After the connection ended (``error``, or a clean end without ``done``): seconds to
        wait before reconnecting, or None to stop (the deadline passed). Raises the error (or
        ``ReplicateError``) once reconnecting has failed too often in a row."""
        self._settle()
        deadline = self.deadline
        if deadline is not None and deadline.expired():
            return None
        if isinstance(error, httpx.ReadTimeout):
            return 0.0  # a quiet stream (a model still booting), not a broken one: ask again
        if self._progressed:
            self._failures = 0
        self._failures += 1
        delay = reconnect_delay(self._failures, self._retry_ms)
        if delay is None:
            raise error or ReplicateError(
                title="Stream ended",
                detail=f"the stream {self.url} kept ending without a done event",
            )
        return delay if deadline is None else deadline.cap(delay)


def iter_events(
    client: Client,
    url: str,
    *,
    last_event_id: str | None = None,
    deadline: Deadline | None = None,
    use_file_output: bool = False,
    failing: Run | None = None,
) -> Iterator[ServerSentEvent]:
    """Yield the events of ``url`` through ``done``, resuming dropped connections.

    Stops silently when ``deadline`` passes (the caller decides what that means). With
    ``failing``, an ``error`` event raises ``StreamError`` for that run, and an interrupt
    cancels it on the server (unless the client says not to).

    Example::

        for event in iter_events(client, prediction.urls["stream"]):
            print(event.event, event.data)
    """
    state = EventStream(
        client,
        url,
        last_event_id=last_event_id,
        deadline=deadline,
        use_file_output=use_file_output,
        failing=failing,
    )
    with cancel_on_interrupt(failing):
        while True:
            error: Exception | None = None
            try:
                with client._open(state.request()) as response:
                    check_content_type(response)
                    for sse in iter_sse(response.iter_bytes(), state.decoder()):
                        yield state.event(sse)
                        if state.finished:
                            return
            except httpx.TransportError as failure:
                error = failure
            delay = state.reconnect(error)
            if delay is None:
                return
            if delay:
                client.clock.sleep(delay)


async def aiter_events(
    client: Client,
    url: str,
    *,
    last_event_id: str | None = None,
    deadline: Deadline | None = None,
    use_file_output: bool = False,
    failing: Run | None = None,
) -> AsyncGenerator[ServerSentEvent, None]:
    """Yield the events of ``url`` through ``done``, asynchronously (see ``iter_events``).

    Example::

        async for event in aiter_events(client, prediction.urls["stream"]):
            print(event.event, event.data)
    """
    state = EventStream(
        client,
        url,
        last_event_id=last_event_id,
        deadline=deadline,
        use_file_output=use_file_output,
        failing=failing,
    )
    async with async_cancel_on_interrupt(failing):
        while True:
            error: Exception | None = None
            try:
                async with client._async_open(state.request()) as response:
                    check_content_type(response)
                    sources = aiter_sse(response.aiter_bytes(), state.decoder())
                    try:
                        async for sse in sources:
                            yield state.event(sse)
                            if state.finished:
                                return
                    finally:
                        # closed here, in this task: left to the garbage collector, it
                        # would close the response from another task
                        await sources.aclose()
            except httpx.TransportError as failure:
                error = failure
            delay = state.reconnect(error)
            if delay is None:
                return
            if delay:
                await client.clock.async_sleep(delay)


def failed_from_event(run: Run, event: ServerSentEvent) -> StreamError:
    """The error to raise for an ``error`` event; marks ``run`` as failed."""
    detail: Any = str(event.data)
    try:
        parsed = json.loads(detail)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("detail"):
        detail = str(parsed["detail"])
    run.status = "failed"
    run.error = detail
    return StreamError(run)  # type: ignore[arg-type]


def stream_events(run: Run, *, use_file_output: bool | None = True) -> Iterator[ServerSentEvent]:
    """The events of a run's stream, through ``done``; ``StreamError`` on ``error``.

    Example::

        for event in stream_events(prediction):
            print(str(event), end="")
    """
    url = stream_url(run)
    client = run._bound()
    return iter_events(client, url, use_file_output=use_file_output is not False, failing=run)


def async_stream_events(
    run: Run, *, use_file_output: bool | None = True
) -> AsyncGenerator[ServerSentEvent, None]:
    """The events of a run's stream, asynchronously (see ``stream_events``).

    Example::

        async for event in async_stream_events(prediction):
            print(str(event), end="")
    """
    url = stream_url(run)
    client = run._bound()
    return aiter_events(client, url, use_file_output=use_file_output is not False, failing=run)
