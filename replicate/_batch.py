"""The batch engine: rows in, paced creates, a journal, results out as they finish.

It is written once, for asyncio (``BatchEngine.run``): ``AsyncBatch`` iterates it in the
caller's event loop, and ``Batch`` runs it on an event loop of its own in a worker thread and
hands its results over a queue, so that sync code gets exactly the same behaviour.

The rules:

- Rows are read one at a time, when a slot frees up: the input is streamed, and memory stays
  flat however long it is. At most ``concurrency`` rows are in flight (being created, running,
  or having their output files saved). A key used twice is an error (``ValueError``).
- Creates are paced by ``replicate._pace`` (600 a minute unless told otherwise) and sent
  without ``Prefer: wait``: the prediction's id comes back at once and goes to the journal, and
  no connection is held while the model runs. A 429 is waited out (the pace slows down) and the
  same row sent again: the server refused it without acting on it. A refused connection is
  tried again after a backoff (``MAX_CREATE_RETRIES`` times). A create refused for its input
  (400, 413, 422, or a file too large) makes a failed row; any other refusal (401, 403, 404:
  the token, the model) stops the batch, as every row would fail the same way.
- Waiting is ``replicate._sweep``'s: the predictions list, up to 100 statuses a request.
- A prediction that ended makes a result: with ``output_dir`` its files are saved first (as
  ``<key>-<name>``, written under a temporary name and renamed), then its row is appended to
  the results file, then it is yielded. A failed prediction is a result like any other: the
  batch goes on.
- The journal (``replicate._journal``) has a ``sent`` record on disk before each create is
  sent, and the prediction's id as soon as the create returns. A rerun with the same journal
  skips finished rows (``retry_failed``: runs failed ones again), waits for predictions created
  and not finished, and for a row sent but never answered looks for its prediction among the
  account's recent ones, by the exact input sent and the time it was sent
  (``replicate._created``): found, it is waited for; not found, the row is created again.
- A create whose answer is lost in this run (a dropped connection, a 5xx, a cut body) is looked
  for at once by the create path itself, and once more after ``LOST_RETRY_DELAY`` seconds,
  before its row is created again.
- What remains: a create that reached the server but is not listed by then (a list lagging by
  more than those seconds, a server clock more than two minutes off), or, on a rerun, a
  prediction made by hand with the very same input within two minutes of a create that was
  never sent, could be taken for the row's (the first) or created again (the second).
- Stopping (Ctrl-C or SIGTERM in sync code, cancelling the iterating task, or leaving the loop
  early): no new create; creates already sent are let finish; then running predictions are
  canceled, each recorded as ``canceled`` so that a rerun runs its row again (one that ended
  meanwhile becomes a result), unless ``detach``, which leaves them running for a rerun to wait
  for. A second interrupt stops at once; the journal still resumes correctly.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from replicate._journal import Journal, Key, input_digest
from replicate._pace import Pacer
from replicate._retry import NOT_SENT_ERRORS, backoff, retry_after
from replicate._sweep import Sweeper
from replicate._wait import CANCEL_TIMEOUT, has_ended
from replicate.batch import DEFAULT_CONCURRENCY, BatchResult, BatchStats, Row
from replicate.exceptions import InvalidResponseError, RateLimitError, ReplicateError

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.identifier import Reference
    from replicate.prediction import CreateOptions, Prediction

__all__ = [
    "LOST_RETRY_DELAY",
    "MAX_CREATE_RETRIES",
    "AsyncBatch",
    "Batch",
    "BatchEngine",
]

MAX_CREATE_RETRIES = 5
"""Tries again of a create whose connection was refused, before the batch stops."""

LOST_RETRY_DELAY = 2.0
"""Seconds before a create whose answer was lost (and not found at once) is looked for again."""

REJECTED = frozenset({400, 413, 422})
"""Statuses that refuse a create for its input: the row fails, the batch goes on."""

Emit = Callable[[BatchResult], Awaitable[None]]


class BatchEngine:
    """One batch: call ``run(emit)`` once, on asyncio; ``stop()`` stops it gracefully.

    Example::

        engine = BatchEngine(client, Reference.parse("replicate/hello-world"), rows, options=...)
        await engine.run(emit=print_result)
    """

    def __init__(
        self,
        client: Client,
        reference: Reference,
        rows: Iterable[Row | Mapping[str, Any]],
        *,
        options: CreateOptions,
        journal: Path | None = None,
        output_dir: Path | None = None,
        per_minute: float,
        concurrency: int = DEFAULT_CONCURRENCY,
        retry_failed: bool = False,
        detach: bool = False,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be 1 or more, got {concurrency}")
        self.concurrency = concurrency
        self.stats = BatchStats(per_minute=float(per_minute))
        self._client = client
        # creates see their 429s (the pacer adapts) and connection failures themselves
        creator = client.with_options(max_retries=0)
        creator.cancel_on_interrupt = not detach
        self._creator = creator
        self._reference = reference
        self._rows = rows
        self._options = options
        self._journal_path = journal
        self._output_dir = output_dir
        self._retry_failed = retry_failed
        self._detach = detach
        self._pacer = Pacer(per_minute, clock=client.clock)
        self._sweeper = Sweeper(client, self._ended)
        self._journal = Journal(None, str(reference))
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._stopping = False
        self._feed_task: asyncio.Task[None] | None = None
        self._pacing: set[asyncio.Task[Any]] = set()
        self._creating: set[asyncio.Task[None]] = set()
        self._finishing: set[asyncio.Task[None]] = set()
        self._group: asyncio.TaskGroup | None = None
        self._emit: Emit | None = None
        self._taken: set[Key] = set()  # keys of rows in flight or done by this run
        self._last_sent: dict[Key, tuple[str, float]] = {}
        self._feed_done = False

    # -- the whole run --------------------------------------------------------------------------

    async def run(self, emit: Emit) -> None:
        """Run the batch to its end (or until ``stop()``), giving each result to ``emit``."""
        self._emit = emit
        reference = str(self._reference)
        journal = await asyncio.to_thread(
            Journal.open, self._journal_path, reference, retry_failed=self._retry_failed
        )
        self._journal = journal
        complete = False
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                flusher = group.create_task(journal.flush_forever())
                sweeper = group.create_task(self._sweeper.run())
                try:
                    await self._resume()
                    self._feed_task = group.create_task(self._feed())
                    await self._feed_task
                    if self._stopping:
                        await self._wind_down()
                    else:
                        await self._idle_or_stopped()
                finally:
                    sweeper.cancel()
                    flusher.cancel()
            complete = not self._stopping and not self._sweeper
        except BaseExceptionGroup as errors:
            raise _first(errors) from None
        finally:
            self.stats.wait_requests = self._sweeper.requests
            journal.close(complete=complete and self._in_flight == 0)

    def stop(self) -> None:
        """Stop creating, and cancel running predictions (unless ``detach``); ``run`` returns
        once that is done. Call it on the batch's event loop."""
        if self._stopping:
            return
        self._stopping = True
        if self._feed_task is not None:
            self._feed_task.cancel()
        for task in list(self._pacing):
            task.cancel()
        self._idle.set()

    async def _idle_or_stopped(self) -> None:
        self._check_idle()
        await self._idle.wait()
        if self._stopping:
            await self._wind_down()

    async def _wind_down(self) -> None:
        """After ``stop()``: let sent creates finish, cancel what runs (unless ``detach``), let
        results being saved be saved."""
        if self._creating:
            await asyncio.wait(set(self._creating))
        if not self._detach:
            await self._cancel_running()
        if self._finishing:
            await asyncio.wait(set(self._finishing))

    # -- feeding rows -------------------------------------------------------------------------

    async def _resume(self) -> None:
        """Take over what an earlier run left in flight (see the module's rules)."""
        from replicate._created import CreateAttempt

        journal = self._journal
        claims = self._client._connections.claims
        lost: list[tuple[Key, str, float]] = []
        for pending in journal.open_rows.values():
            if pending.id is not None:
                claims.add(pending.id)  # never taken for another row's lost create
        for key, pending in journal.open_rows.items():
            if pending.id is not None:
                await self._take(key)
                self.stats.resumed += 1
                self._sweeper.watch(pending.id, key, pending.created_at)
            elif pending.digest is not None and pending.sent_at is not None:
                lost.append((key, pending.digest, pending.sent_at))
        searches = [
            CreateAttempt.resumed(self._client, self._reference, digest, sent_at).async_find()
            for _, digest, sent_at in lost
        ]
        for (key, _, _), found in zip(lost, await asyncio.gather(*searches), strict=True):
            if found is not None:
                await self._take(key)
                self.stats.resumed += 1
                journal.created(key, found.id, found.created_at)
                self._watch(key, found)

    async def _feed(self) -> None:
        journal = self._journal
        seen: set[Key] = set()
        try:
            for position, row in enumerate(self._rows, 1):
                key, input = _split(row, position)
                if isinstance(row, Row):  # positions are unique; keys of one's own may not be
                    if key in seen:
                        raise ValueError(f"row {position}: the key {key!r} is used twice")
                    seen.add(key)
                if key in journal.finished:
                    self.stats.skipped += 1
                    continue
                if key in self._taken:
                    continue  # waited for since the start (resumed)
                await self._take(key)
                task = self._spawn(self._create(key, input))
                self._creating.add(task)
                task.add_done_callback(self._creating.discard)
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
        finally:
            self._feed_done = True
            self._check_idle()

    async def _take(self, key: Key) -> None:
        await self._slots.acquire()
        self._in_flight += 1
        self.stats.running = self._in_flight
        self._taken.add(key)

    def _release(self) -> None:
        self._in_flight -= 1
        self.stats.running = self._in_flight
        self._slots.release()
        self._check_idle()

    def _check_idle(self) -> None:
        if self._feed_done and self._in_flight == 0:
            self._idle.set()

    def _spawn(self, coroutine: Awaitable[None]) -> asyncio.Task[None]:
        assert self._group is not None
        return self._group.create_task(coroutine)  # type: ignore[arg-type]

    # -- creating -------------------------------------------------------------------------------

    async def _create(self, key: Key, input: Mapping[str, Any]) -> None:
        refused = 0
        while True:
            pace = await self._paced()
            if pace is None:  # stopped before it was sent
                self._release()
                return
            try:
                prediction = await self._creator.predictions._async_create(
                    self._reference,
                    dict(input),
                    self._options,
                    on_encoded=functools.partial(self._sending, key),
                )
            except RateLimitError as error:
                self.stats.throttled += 1
                self._pacer.throttled(pace, retry_after(error.headers))
                self.stats.per_minute = self._pacer.per_minute
                continue
            except NOT_SENT_ERRORS:
                refused += 1
                if refused > MAX_CREATE_RETRIES:
                    raise
                await self._client.clock.async_sleep(backoff(refused - 1))
                continue
            except (httpx.TransportError, ReplicateError) as error:
                if _rejected(error):
                    await self._rejected(key, error)
                    return
                if not _lost(error):
                    raise
                found = await self._look_again(key)
                if found is None:
                    continue  # it never reached the server: send it again
                prediction = found
            except ValueError as error:  # an input JSON cannot carry, a file too large
                await self._rejected(key, error)
                return
            finally:
                self._pacer.answered()  # whatever the answer: the slow start is over
            self.stats.created += 1
            self._journal.created(key, prediction.id, prediction.created_at)
            self._watch(key, prediction)
            return

    async def _paced(self) -> int | None:
        """The pace a slot was given at, or None once the batch is stopping."""
        if self._stopping:
            return None
        task = asyncio.current_task()
        assert task is not None
        self._pacing.add(task)
        try:
            pace = await self._pacer.slot()
            self.stats.per_minute = self._pacer.per_minute
            return pace
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            task.uncancel()
            return None
        finally:
            self._pacing.discard(task)

    async def _sending(self, key: Key, encoded: Any) -> None:
        """The create of ``key`` is about to be sent: its record on disk first."""
        digest = input_digest(encoded)
        self._journal.sent(key, digest)
        self._last_sent[key] = (digest, _now())
        await self._journal.durable()

    async def _look_again(self, key: Key) -> Prediction | None:
        from replicate._created import CreateAttempt

        digest, sent_at = self._last_sent[key]
        await self._client.clock.async_sleep(LOST_RETRY_DELAY)
        attempt = CreateAttempt.resumed(self._client, self._reference, digest, sent_at)
        return await attempt.async_find()

    # -- waiting and finishing ------------------------------------------------------------------

    def _watch(self, key: Key, prediction: Prediction) -> None:
        if has_ended(prediction.status, prediction.completed_at):
            self._ended(key, prediction)
        else:
            self._sweeper.watch(prediction.id, key, prediction.created_at)

    def _ended(self, key: Key, prediction: Prediction) -> None:
        task = self._spawn(self._finish(key, prediction))
        self._finishing.add(task)
        task.add_done_callback(self._finishing.discard)

    async def _finish(self, key: Key, prediction: Prediction) -> None:
        try:
            output = prediction.output
            error = prediction.error
            status = prediction.status
            if self._output_dir is not None and status == "succeeded" and output is not None:
                try:
                    output = await self._save(key, output)
                except (httpx.HTTPError, ReplicateError, OSError) as failure:
                    status, error = "failed", f"its output could not be saved: {failure}"
            metrics = prediction.metrics if isinstance(prediction.metrics, dict) else None
            result = BatchResult(key, prediction.id, status, output, error, metrics)
            self._record(result)
            await self._give(result)
        finally:
            self._release()

    async def _rejected(self, key: Key, error: Exception) -> None:
        """A create refused for its input: a failed row, without a prediction."""
        try:
            result = BatchResult(key, None, "failed", error=_describe(error))
            self._record(result)
            await self._give(result)
        finally:
            self._release()

    async def _save(self, key: Key, output: Any) -> Any:
        """``output`` with each file saved in ``output_dir`` and replaced by its path."""
        from replicate._file_output import FileOutput, transform_output

        assert self._output_dir is not None
        files = transform_output(output, self._client)
        found: list[FileOutput] = []
        _collect(files, found)
        prefix = _file_prefix(key)
        paths: dict[int, str] = {}
        for index, file in enumerate(found):
            name = (
                f"{prefix}-{file.filename}"
                if len(found) == 1
                else (f"{prefix}-{index}-{file.filename}")
            )
            paths[id(file)] = str(await file.asave(self._output_dir / name))
        return _replace(files, paths)

    def _record(self, result: BatchResult) -> None:
        """Record ``result``: its row in the results file, and the counts."""
        self._journal.result(result.to_json())
        stats = self.stats
        stats.wait_requests = self._sweeper.requests
        if result.status == "succeeded":
            stats.succeeded += 1
        else:
            stats.failed += 1
            reason = (result.error or result.status).strip().split("\n", 1)[0][:200]
            stats.failures[reason] = stats.failures.get(reason, 0) + 1
        predict_time = (result.metrics or {}).get("predict_time")
        if isinstance(predict_time, int | float) and not isinstance(predict_time, bool):
            stats.predict_time += float(predict_time)

    async def _give(self, result: BatchResult) -> None:
        if self._emit is not None:
            await self._emit(result)

    async def _cancel_running(self) -> None:
        quick = self._client.with_options(timeout=CANCEL_TIMEOUT, max_retries=1)

        async def cancel(id: str, key: Key) -> None:
            try:
                prediction = await quick.predictions.async_cancel(id)
            except (httpx.HTTPError, ReplicateError):
                return  # left as created: a rerun waits for it
            if id not in self._sweeper:
                return  # it ended while the cancel was on its way
            if prediction.status == "canceled":
                self._sweeper.forget(id)
                self._journal.canceled(key, id)
                self._release()
            elif has_ended(prediction.status, prediction.completed_at):
                self._sweeper.forget(id)
                self._ended(key, prediction)

        await asyncio.gather(*(cancel(id, key) for id, key in self._sweeper.items()))


# -- the two ways to iterate ------------------------------------------------------------------


async def _results(engine: BatchEngine) -> AsyncGenerator[BatchResult, None]:
    """The engine's results as they come; stopping the iteration stops the engine."""
    results: asyncio.Queue[BatchResult] = asyncio.Queue(maxsize=engine.concurrency)
    listening = True

    async def emit(result: BatchResult) -> None:
        if listening:
            await results.put(result)

    task = asyncio.ensure_future(engine.run(emit))
    try:
        while True:
            getter = asyncio.ensure_future(results.get())
            try:
                await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                if not getter.done():
                    getter.cancel()
            if getter.done() and not getter.cancelled():
                yield getter.result()
                continue
            while not results.empty():
                yield results.get_nowait()
            task.result()  # the engine's error, if it had one
            return
    except BaseException:  # CancelledError, KeyboardInterrupt, GeneratorExit (left early)
        listening = False
        while not results.empty():
            results.get_nowait()  # so that no emitter stays blocked
        engine.stop()
        await _settle(task)
        raise


async def _settle(task: asyncio.Future[None]) -> None:
    """Wait for the stopping engine to finish; a second cancellation stops it at once."""
    while not task.done():
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:
            task.cancel()
    if not task.cancelled():
        task.exception()  # retrieved: an error while stopping matters less than the stop


class AsyncBatch(AsyncIterator[BatchResult]):
    """A batch's results, asynchronously, as they finish; ``stats`` tells its progress.

    Cancelling the iterating task (or leaving the loop early, then ``aclose()``) stops the
    batch as the rules of ``replicate._batch`` say.

    Example::

        async with client.async_run_batch("replicate/hello-world", rows) as batch:
            async for result in batch:
                print(result.key, result.output, batch.stats.running)
    """

    def __init__(self, engine: BatchEngine) -> None:
        self.stats = engine.stats
        self._results = _results(engine)

    def __aiter__(self) -> AsyncBatch:
        return self

    async def __anext__(self) -> BatchResult:
        return await self._results.__anext__()

    async def aclose(self) -> None:
        """Stop the batch (if it has not ended) and wait until it has stopped."""
        await self._results.aclose()

    async def __aenter__(self) -> AsyncBatch:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


_DONE = object()


class Batch(Iterator[BatchResult]):
    """A batch's results, as they finish; ``stats`` tells its progress.

    The batch runs on an event loop of its own, in a worker thread, from the first ``next()``.
    A KeyboardInterrupt while waiting for the next result (Ctrl-C) stops the batch as the rules
    of ``replicate._batch`` say, then propagates; a second one stops it at once. ``close()``
    (or leaving a ``with`` block) stops it too.

    Example::

        with client.run_batch("replicate/hello-world", rows, journal="results.jsonl") as batch:
            for result in batch:
                print(result.key, result.output, batch.stats.running)
    """

    def __init__(self, engine: BatchEngine) -> None:
        self.stats = engine.stats
        self._engine = engine
        self._queue: queue.Queue[tuple[object, Any]] = queue.Queue(maxsize=engine.concurrency)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._started = threading.Event()
        self._ended = False

    def __iter__(self) -> Batch:
        return self

    def __next__(self) -> BatchResult:
        if self._ended:
            raise StopIteration
        if self._thread is None:
            self._start()
        try:
            kind, value = self._get()
        except BaseException:
            self._stop()
            raise
        if kind is _DONE:
            self._finish()
            raise StopIteration
        if isinstance(value, BatchResult):
            return value
        self._finish()
        raise value

    def close(self) -> None:
        """Stop the batch (if it has not ended) and wait until it has stopped."""
        if self._thread is not None and not self._ended:
            self._stop()

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="replicate-batch", daemon=True)
        self._thread.start()
        self._started.wait()

    def _work(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._started.set()
        loop = self._loop

        async def put(item: tuple[object, Any]) -> None:
            # a worker thread blocks on a full queue, not the loop: the consumer sets the pace
            await loop.run_in_executor(None, self._queue.put, item)

        try:
            async with contextlib.aclosing(_results(self._engine)) as results:
                async for result in results:
                    await put(("result", result))
            await put((_DONE, None))
        except asyncio.CancelledError:
            await put((_DONE, None))
        except BaseException as error:
            await put(("error", error))
        finally:
            await self._engine._client._connections.aclose_loop_pool()

    def _get(self) -> tuple[object, Any]:
        while True:
            try:
                return self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._thread is not None and not self._thread.is_alive():
                    return _DONE, None

    def _stop(self) -> None:
        """Stop the engine, then wait for its thread, draining results (a second
        KeyboardInterrupt stops it at once)."""
        self._interrupt()
        while True:
            try:
                kind, _ = self._get()
                if kind is _DONE or kind == "error":
                    break
            except KeyboardInterrupt:
                self._interrupt()  # the engine's task cancelled again: it stops at once
        self._finish()

    def _interrupt(self) -> None:
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)

    def _finish(self) -> None:
        self._ended = True
        if self._thread is not None:
            self._thread.join()


# -- helpers --------------------------------------------------------------------------------


def _split(row: Row | Mapping[str, Any], position: int) -> tuple[Key, Mapping[str, Any]]:
    if isinstance(row, Row):
        key = row.key
        if isinstance(key, bool) or not isinstance(key, str | int):
            raise TypeError(f"row {position}: a key is a str or an int, not {type(key).__name__}")
        return key, row.input
    if not isinstance(row, Mapping):
        raise TypeError(
            f"row {position}: expected a mapping of inputs or a Row, not {type(row).__name__}"
        )
    return position, row


def _rejected(error: Exception) -> bool:
    return isinstance(error, ReplicateError) and error.status in REJECTED


def _lost(error: Exception) -> bool:
    """Whether the create may have made a prediction whose answer was lost."""
    if isinstance(error, httpx.TransportError):
        return True
    status = error.status if isinstance(error, ReplicateError) else None
    return isinstance(error, InvalidResponseError) or (status is not None and status >= 500)


def _describe(error: Exception) -> str:
    if isinstance(error, ReplicateError):
        text = error.title or "the API refused the create"
        if error.status:
            text += f" (HTTP {error.status})"
        if error.detail and error.detail != error.title:
            text += f": {error.detail}"
        return " ".join(text.split())
    return " ".join(str(error).split()) or type(error).__name__


def _first(errors: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error that stopped a batch: the first that is not a cancellation."""
    for error in _leaves(errors):
        if not isinstance(error, asyncio.CancelledError):
            return error
    return asyncio.CancelledError()


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error


def _now() -> float:
    import time

    return time.time()


def _file_prefix(key: Key) -> str:
    """A row's key as the start of a file name: no folder separators, no leading dot."""
    text = str(key).replace("/", "_").replace("\\", "_").replace("\0", "_")
    text = text.lstrip(".") or "row"
    return text[:100]


def _collect(value: Any, found: list[Any]) -> None:
    from replicate._file_output import FileOutput

    if isinstance(value, FileOutput):
        found.append(value)
    elif isinstance(value, Mapping):
        for inner in value.values():
            _collect(inner, found)
    elif isinstance(value, list):
        for inner in value:
            _collect(inner, found)


def _replace(value: Any, paths: dict[int, str]) -> Any:
    from replicate._file_output import FileOutput

    if isinstance(value, FileOutput):
        return paths[id(value)]
    if isinstance(value, Mapping):
        return {key: _replace(inner, paths) for key, inner in value.items()}
    if isinstance(value, list):
        return [_replace(inner, paths) for inner in value]
    return value
