"""``run`` and ``stream``: create a prediction, then give its output or its events.

``run``, as in replicate 1.x:

- ``ref`` is ``owner/name``, ``owner/name:version``, a bare version id, a ``Model`` or a
  ``Version``. A version (named or given) is created through ``POST /predictions``; a model
  without one through ``POST /models/{owner}/{name}/predictions`` (official models run so).
- ``wait=True`` sends ``Prefer: wait`` (the API holds the request up to 60 s), ``wait=N`` sends
  ``Prefer: wait=N``, ``wait=False`` none; the read timeout is N + 5 s for that request. A
  prediction that outlives the window is waited for as ``replicate._wait`` says: on its
  stream when it has one (returning within a round trip of the end), else by polling on a
  schedule that starts at 50 ms. The API answers a create whose window ran out with
  ``starting``; any other status in the answer to a create that waited is taken as final, as
  1.x does: it is returned as it is, with no further request.
- ``status: failed`` raises ``ModelError`` carrying the prediction; ``canceled`` and ``aborted``
  return the output as it is (usually None), as 1.x does.
- Iterator outputs: when ``ref`` names a version (``owner/name:version`` or a ``Version``)
  whose schema marks the output ``x-cog-array-type: iterator`` (or any array, for Cog before
  0.3.9), the output comes back as an iterator, as in 1.x: of the items as they are made
  while the prediction runs (read from its stream when the items are strings, polled
  otherwise), or of the finished list. The version is fetched at most once per client, and
  only when the output could be one (a list, or a prediction still running). ``owner/name``
  and bare version ids give the plain list, as in 1.x, without that extra request (a model run
  by name names no version to ask); ``stream()`` gives their tokens as they come.
- ``deadline=`` (seconds, client-side) bounds the whole call: the ``Prefer: wait`` window
  shrinks to fit, and when it passes the prediction is canceled (its output would never be
  returned) and ``DeadlineExceededError`` raised. ``cancel_after=`` is the server-side
  ``Cancel-After`` header (``"5m"``, or seconds), which outlives this process.
- A KeyboardInterrupt (or task cancellation) cancels the prediction on the server, then
  propagates (``Client(cancel_on_interrupt=False)`` turns this off), whenever it comes: one
  during the create request (whose ``Prefer: wait`` window holds the only answer that carries
  the id) has the prediction found by its input and canceled, or a
  ``PredictionMayBeRunningWarning`` when it cannot be found (``replicate._created``).
- When the create's answer is lost after the request may have reached the server (a dropped
  connection, a 5xx, a body cut short), the prediction is found the same way and waited for:
  never created twice, and its output not lost.
- ``on_progress`` with the default ``wait=True``: the create does not wait, so the callback
  sees each change while the model runs (from the stream's ``logs`` events, else from polls);
  with ``wait=N`` or ``wait=False`` it is as asked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from replicate._file_output import transform_output
from replicate._schema import output_schema, resolve
from replicate._stream import (
    ServerSentEvent,
    aiter_events,
    async_stream_events,
    failed_from_event,
    iter_events,
    stream_events,
)
from replicate._wait import (
    Deadline,
    Guard,
    ProgressCallback,
    aiter_output,
    async_cancel_on_interrupt,
    async_wait_until_ended,
    cancel_on_interrupt,
    has_ended,
    iter_output,
    notify,
    wait_until_ended,
    wait_window,
)
from replicate.exceptions import DeadlineExceededError, ModelError, ReplicateError
from replicate.identifier import Reference
from replicate.prediction import CreateOptions

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.identifier import ModelVersionIdentifier
    from replicate.model import Model
    from replicate.prediction import Prediction
    from replicate.version import Version

__all__ = ["OutputKind", "async_run", "async_stream", "output_kind", "run", "stream"]

# -- decisions (no I/O) ---------------------------------------------------------------------


@dataclass(frozen=True)
class OutputKind:
    """How a version's output is typed, from its ``openapi_schema``."""

    iterator: bool
    """Whether the output is an iterator (``x-cog-array-type: iterator``)."""

    text_items: bool
    """Whether its items are strings (tokens or URLs), so its stream's events are the items."""


def output_kind(schema: dict[str, Any] | None, cog_version: str | None = None) -> OutputKind:
    """The output kind a version's ``openapi_schema`` describes.

    Example::

        output_kind({"components": {"schemas": {"Output": {
            "type": "array", "items": {"type": "string"}, "x-cog-array-type": "iterator"}}}})
        # OutputKind(iterator=True, text_items=True)
    """
    output = output_schema(schema)
    is_array = output.get("type") == "array"
    iterator = is_array and (
        output.get("x-cog-array-type") == "iterator" or _before_array_types(cog_version)
    )
    items = resolve(output.get("items"), schema or {})
    return OutputKind(iterator=iterator, text_items=items.get("type") == "string")


def _before_array_types(cog_version: str | None) -> bool:
    """Cog wrote ``x-cog-array-type`` from 0.3.9 on; before, every array output iterated."""
    if not cog_version:
        return False
    parts: list[int] = []
    for part in cog_version.split(".")[:3]:
        digits = "".join(char for char in part if char.isdigit())
        if not digits:
            return False
        parts.append(int(digits))
    return tuple(parts) < (0, 3, 9)


def _ended(prediction: Prediction) -> bool:
    return has_ended(prediction.status, prediction.completed_at)


def _final_output(
    client: Client, prediction: Prediction, kind: OutputKind | None, use_file_output: bool | None
) -> Any:
    if prediction.status == "failed":
        raise ModelError(prediction)
    output = prediction.output
    if kind is not None and kind.iterator and isinstance(output, list):
        if use_file_output:
            return (transform_output(item, client) for item in output)
        return iter(output)
    if use_file_output:
        return transform_output(output, client)
    return output


def _answered(prediction: Prediction, window: bool | int) -> bool:
    """Whether the create's answer is final: ended, or any status but ``starting`` after a wait.

    The API documents ``starting`` as its answer when a ``Prefer: wait`` window runs out; a
    create that waited and answers anything else is taken as done. 1.x returns that answer as
    it is, without polling, and so does ``run``.
    """
    if _ended(prediction):
        return True
    return window is not False and prediction.status != "starting"


def _cached_kind(client: Client, reference: Reference) -> tuple[OutputKind | None, bool]:
    """``(kind, known)``: the output kind when it needs no request (a Version, or cached)."""
    if reference.version is not None:
        version = reference.version
        return output_kind(version.openapi_schema, version.cog_version), True
    kind: OutputKind | None = client._connections.output_kinds.get(reference.version_id)
    return kind, kind is not None


def _remember(client: Client, reference: Reference, version: Version) -> OutputKind:
    kind = output_kind(version.openapi_schema, version.cog_version)
    cache = client._connections.output_kinds
    if len(cache) >= 1024:  # a bound, for processes that run very many versions
        cache.clear()
    cache[reference.version_id] = kind
    return kind


def _start(
    client: Client,
    ref: str | Model | Version | ModelVersionIdentifier | Reference,
    wait: bool | int,
    deadline: float | None,
    params: dict[str, Any],
    on_progress: ProgressCallback | None,
) -> tuple[Reference, Deadline, CreateOptions]:
    """The reference, the deadline and the create's options, each worked out once.

    With ``on_progress`` and the default ``wait=True``, the create does not wait: the
    prediction is followed from the start (its stream, else polls), so that the callback sees
    every change while the model runs, not only the end.
    """
    reference = Reference.parse(ref)
    clock = Deadline(deadline, clock=client.clock.monotonic)
    if on_progress is not None and wait is True:
        wait = False
    return reference, clock, CreateOptions.of(params, window=wait_window(wait, clock))


# -- sync -----------------------------------------------------------------------------------


def _output_kind(client: Client, reference: Reference) -> OutputKind | None:
    kind, known = _cached_kind(client, reference)
    if known:
        return kind
    from replicate.version import Versions

    try:
        version = Versions(client, (reference.owner, reference.name)).get(reference.version_id)
    except ReplicateError:
        return None  # the output is right either way; only its type (list) differs
    return _remember(client, reference, version)


def run(
    client: Client,
    ref: str | Model | Version | ModelVersionIdentifier | Reference,
    input: dict[str, Any] | None = None,
    *,
    use_file_output: bool | None = True,
    wait: bool | int = True,
    deadline: float | None = None,
    on_progress: ProgressCallback | None = None,
    known_kind: OutputKind | None = None,
    guard: Guard | None = None,
    until_ended: bool = False,
    **params: Any,
) -> Any:
    """Run a model and return its output (the module's docstring has every rule).

    ``known_kind`` is the output's kind when the caller knows it (``use()`` read the schema):
    it is taken as it is, with no request to find it. ``guard``, when given, holds the
    prediction once it is created (``use()`` reads it there). ``until_ended=True`` takes only
    an ended prediction as final (``use()``, which has no 1.x habit to keep): a create that
    waited and answered ``processing`` is waited for like one that answered ``starting``.

    Example::

        output = run(client, "replicate/hello-world", {"text": "Alice"}, deadline=60)
    """
    reference, clock, options = _start(client, ref, wait, deadline, params, on_progress)
    guard = guard or Guard()
    kind = known_kind
    with cancel_on_interrupt(guard):
        prediction = client.predictions._create(reference, input, options, guard)
        if not _answered(prediction, False if until_ended else options.wait):
            if known_kind is None and reference.names_version:
                kind = _output_kind(client, reference)
            if kind is not None and kind.iterator:
                return _iterate(client, prediction, kind, clock, use_file_output)
            try:
                wait_until_ended(prediction, clock, on_progress)
            except DeadlineExceededError:
                prediction._cancel_quietly()
                raise
        else:
            if on_progress is not None:  # answered within the create's wait: its one state
                on_progress(prediction)
            listed = isinstance(prediction.output, list)
            if known_kind is None and reference.names_version and listed:
                kind = _output_kind(client, reference)
    return _final_output(client, prediction, kind, use_file_output)


def _iterate(
    client: Client,
    prediction: Prediction,
    kind: OutputKind,
    deadline: Deadline,
    use_file_output: bool | None,
) -> Iterator[Any]:
    """The items of an iterator output as they are made: from the stream, or polled."""
    with cancel_on_interrupt(prediction):
        try:
            given = 0
            url = (prediction.urls or {}).get("stream")
            if url and kind.text_items:
                done = False
                try:
                    for event in iter_events(client, url, deadline=deadline):
                        name = event.event
                        if name == "output":
                            given += 1
                            data = event.data
                            yield transform_output(data, client) if use_file_output else data
                        elif name == "error":
                            raise failed_from_event(prediction, event)
                        elif name == "done":
                            done = True
                except (ReplicateError, httpx.HTTPError):
                    pass  # the stream cannot be read: poll for the rest
                if done:
                    return
                if deadline.expired():
                    raise DeadlineExceededError(prediction, deadline.seconds or 0.0)
            for item in iter_output(prediction, deadline=deadline, start=given):
                yield transform_output(item, client) if use_file_output else item
        except DeadlineExceededError:
            prediction._cancel_quietly()
            raise


def stream(
    client: Client,
    ref: str | Model | Version | ModelVersionIdentifier | Reference,
    input: dict[str, Any] | None = None,
    *,
    use_file_output: bool | None = True,
    **params: Any,
) -> Iterator[ServerSentEvent]:
    """Create a prediction and yield its server-sent events through ``done``.

    The prediction is created when iteration starts (a generator, as in 1.x), with
    ``stream=True`` as 1.x sends it. ``ReplicateError`` if the model does not stream;
    ``StreamError`` on an ``error`` event.

    Example::

        for event in stream(client, "replicate/language-model", {"prompt": "Hi"}):
            print(str(event), end="")
    """
    reference = Reference.parse(ref)
    params.setdefault("stream", True)
    options = CreateOptions.of(params)
    guard = Guard()
    with cancel_on_interrupt(guard):
        prediction = client.predictions._create(reference, input, options, guard)
        yield from stream_events(prediction, use_file_output=use_file_output)


# -- async ----------------------------------------------------------------------------------


async def _async_output_kind(client: Client, reference: Reference) -> OutputKind | None:
    kind, known = _cached_kind(client, reference)
    if known:
        return kind
    from replicate.version import Versions

    versions = Versions(client, (reference.owner, reference.name))
    try:
        version = await versions.async_get(reference.version_id)
    except ReplicateError:
        return None
    return _remember(client, reference, version)


async def async_run(
    client: Client,
    ref: str | Model | Version | ModelVersionIdentifier | Reference,
    input: dict[str, Any] | None = None,
    *,
    use_file_output: bool | None = True,
    wait: bool | int = True,
    deadline: float | None = None,
    on_progress: ProgressCallback | None = None,
    known_kind: OutputKind | None = None,
    guard: Guard | None = None,
    until_ended: bool = False,
    **params: Any,
) -> Any:
    """Run a model and return its output, asynchronously (see ``run``).

    Iterator outputs come back as async iterators, as in 1.x.

    Example::

        output = await async_run(client, "replicate/hello-world", {"text": "Alice"})
    """
    reference, clock, options = _start(client, ref, wait, deadline, params, on_progress)
    guard = guard or Guard()
    kind = known_kind
    async with async_cancel_on_interrupt(guard):
        prediction = await client.predictions._async_create(reference, input, options, guard)
        if not _answered(prediction, False if until_ended else options.wait):
            if known_kind is None and reference.names_version:
                kind = await _async_output_kind(client, reference)
            if kind is not None and kind.iterator:
                return _aiterate(client, prediction, kind, clock, use_file_output)
            try:
                await async_wait_until_ended(prediction, clock, on_progress)
            except DeadlineExceededError:
                await prediction._async_cancel_quietly()
                raise
        else:
            if on_progress is not None:  # answered within the create's wait: its one state
                await notify(on_progress, prediction)
            listed = isinstance(prediction.output, list)
            if known_kind is None and reference.names_version and listed:
                kind = await _async_output_kind(client, reference)
    output = _final_output(client, prediction, kind, use_file_output)
    if isinstance(output, Iterator):
        return _async_items(output)
    return output


async def _async_items(items: Iterator[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


async def _aiterate(
    client: Client,
    prediction: Prediction,
    kind: OutputKind,
    deadline: Deadline,
    use_file_output: bool | None,
) -> AsyncIterator[Any]:
    """The items of an iterator output as they are made, asynchronously (see ``_iterate``)."""
    async with async_cancel_on_interrupt(prediction):
        try:
            given = 0
            url = (prediction.urls or {}).get("stream")
            if url and kind.text_items:
                done = False
                try:
                    # aclosing: an early exit closes the stream now, in this task
                    async with aclosing(aiter_events(client, url, deadline=deadline)) as events:
                        async for event in events:
                            name = event.event
                            if name == "output":
                                given += 1
                                data = event.data
                                yield transform_output(data, client) if use_file_output else data
                            elif name == "error":
                                raise failed_from_event(prediction, event)
                            elif name == "done":
                                done = True
                except (ReplicateError, httpx.HTTPError):
                    pass
                if done:
                    return
                if deadline.expired():
                    raise DeadlineExceededError(prediction, deadline.seconds or 0.0)
            async for item in aiter_output(prediction, deadline=deadline, start=given):
                yield transform_output(item, client) if use_file_output else item
        except DeadlineExceededError:
            await prediction._async_cancel_quietly()
            raise


async def async_stream(
    client: Client,
    ref: str | Model | Version | ModelVersionIdentifier | Reference,
    input: dict[str, Any] | None = None,
    *,
    use_file_output: bool | None = True,
    **params: Any,
) -> AsyncIterator[ServerSentEvent]:
    """Create a prediction and return its server-sent events, asynchronously (as 1.x, the
    prediction is created when this is awaited; see ``stream``).

    Example::

        async for event in await async_stream(client, "replicate/language-model", {}):
            print(str(event), end="")
    """
    reference = Reference.parse(ref)
    params.setdefault("stream", True)
    options = CreateOptions.of(params)
    guard = Guard()
    async with async_cancel_on_interrupt(guard):
        prediction = await client.predictions._async_create(reference, input, options, guard)
    return async_stream_events(prediction, use_file_output=use_file_output)
