"""Waiting for a prediction or a training to end: the decisions, then thin sync and async loops.

The decisions are plain functions and small classes with no I/O (``has_ended``,
``poll_delays``, ``Deadline``, ``wait_window``, ``reconnect_delay``, ``StreamProgress``); the
two loops at the bottom (``wait`` and ``async_wait``) only send requests and sleep as they say.

The rules:

- A run has ended when its status is ``succeeded``, ``failed``, ``canceled`` or ``aborted``
  (``aborted``: it ended before it started). A status this client does not know yet counts as
  ended once ``completed_at`` is set, and as still running before that: a new status never
  crashes the loop, nor makes it poll forever after the run completed.
- With ``urls.stream`` (predictions of models that stream), the loop follows the server-sent
  events until ``done`` and then fetches the run once: it returns within a round trip of the
  end, and sends no request while the run goes on. A dropped stream resumes with
  ``Last-Event-ID``; a stream that cannot be read falls back to polling.
- Without a stream (trainings, models that do not stream), it polls on a schedule that starts
  fast and backs off: 50, 100, 200 and 400 ms, then every ``poll_interval`` (0.5 s by
  default). That is at most 5 requests in the first second, then ``1 / poll_interval`` a
  second (2 by default) per waiting run; an early ``starting`` reply costs 50 ms, not 500.
- Waiting survives transient faults: each request is retried as ``replicate._retry`` says (a
  GET on 429, 5xx, dropped connections, timeouts and undecodable bodies), and when a poll
  still fails the loop goes on polling on its schedule, until the deadline, or until polls
  have failed for ``MAX_OUTAGE`` seconds in a row without one; then the last error is raised.
  A stream that cannot be read falls back to polling.
- A ``deadline`` (seconds) bounds every sleep and every read; when it passes the loop raises
  ``DeadlineExceededError`` (``run`` then cancels its prediction; ``wait`` leaves it be). It
  never interrupts a create request, whose outcome would then be unknown: ``wait_window``
  shortens the ``Prefer: wait`` window to fit instead.
- A KeyboardInterrupt (sync) or a cancellation (async) while waiting cancels the run on the
  server (one request, 5 s at most, no retry), then propagates as it was;
  ``Client(cancel_on_interrupt=False)`` turns that off.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import httpx

from replicate._retry import backoff
from replicate.exceptions import DeadlineExceededError, InvalidResponseError, ReplicateError

if TYPE_CHECKING:
    from replicate._runs import Run

__all__ = [
    "CANCEL_TIMEOUT",
    "FIRST_POLL_DELAY",
    "MAX_OUTAGE",
    "MAX_STREAM_RECONNECTS",
    "MAX_WAIT_WINDOW",
    "RUNNING_STATUSES",
    "TERMINAL_STATUSES",
    "WAIT_MARGIN",
    "Deadline",
    "Guard",
    "StreamProgress",
    "aiter_output",
    "async_cancel_on_interrupt",
    "async_wait",
    "async_wait_until_ended",
    "cancel_after_header",
    "cancel_on_interrupt",
    "has_ended",
    "iter_output",
    "notify",
    "poll_delays",
    "reconnect_delay",
    "transient",
    "wait",
    "wait_read_timeout",
    "wait_until_ended",
    "wait_window",
]

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "canceled", "aborted"})
"""A run in one of these states will not change any more (``aborted``: ended before it
started)."""

RUNNING_STATUSES = frozenset({"starting", "processing"})
"""The states of a run that has not ended."""

FIRST_POLL_DELAY = 0.05
"""Seconds before the first poll; each further delay doubles, up to ``poll_interval``."""

MAX_WAIT_WINDOW = 60
"""The longest ``Prefer: wait`` window the API holds a create request for, in seconds."""

WAIT_MARGIN = 5.0
"""Seconds of read timeout beyond a ``Prefer: wait`` window, so the server's answer arrives."""

MAX_STREAM_RECONNECTS = 5
"""Reconnections of a stream in a row that bring no new event before giving up on it."""

MAX_OUTAGE = 600.0
"""Seconds of polls failing in a row (each after its own retries) before a wait gives up."""

CANCEL_TIMEOUT = 5.0
"""Seconds the cancel request sent on an interrupt may take."""

MIN_CANCEL_AFTER = 5.0
"""The API's shortest ``Cancel-After`` duration, in seconds."""

ProgressCallback = Callable[[Any], object]
"""Called with the prediction (or training) each time its status, logs or output change."""


# -- decisions (no I/O) ---------------------------------------------------------------------


def has_ended(status: str | None, completed_at: str | None = None) -> bool:
    """Whether a run with this status (and ``completed_at``) has ended for good.

    Example::

        has_ended("aborted")  # True
        has_ended("queued_somewhere_new", completed_at=None)  # False: a status not known yet
    """
    if status in TERMINAL_STATUSES:
        return True
    return status not in RUNNING_STATUSES and bool(completed_at)


def poll_delays(poll_interval: float) -> Iterator[float]:
    """Seconds to sleep before each poll: 0.05, 0.1, 0.2, 0.4, then ``poll_interval`` on.

    Example::

        list(itertools.islice(poll_delays(0.5), 6))  # [0.05, 0.1, 0.2, 0.4, 0.5, 0.5]
    """
    delay = min(FIRST_POLL_DELAY, poll_interval)
    while True:
        yield delay
        delay = min(delay * 2.0, poll_interval)


class Deadline:
    """A point in time after which waiting stops; ``Deadline(None)`` never passes.

    Example::

        deadline = Deadline(30)
        time.sleep(deadline.cap(10))  # sleeps 10 s, or less when fewer than 10 s are left
    """

    __slots__ = ("_at", "_clock", "seconds")

    def __init__(
        self, seconds: float | None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if seconds is not None and seconds < 0:
            raise ValueError("deadline must be 0 or more seconds")
        self.seconds = seconds
        self._clock = clock
        self._at = None if seconds is None else clock() + seconds

    def remaining(self) -> float | None:
        """Seconds left (0 once passed), or None without a deadline."""
        if self._at is None:
            return None
        return max(0.0, self._at - self._clock())

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self._at is not None and self._clock() >= self._at

    def cap(self, seconds: float) -> float:
        """``seconds``, or what is left of the deadline if that is less."""
        remaining = self.remaining()
        return seconds if remaining is None else min(seconds, remaining)

    def timeout(self, base: httpx.Timeout) -> httpx.Timeout | None:
        """``base`` with every phase capped at what is left (None: ``base`` is fine as it is).

        A request that outlives the deadline then fails with a timeout, which the loops turn
        into ``DeadlineExceededError``; only idempotent requests (GET) are bounded this way.
        """
        remaining = self.remaining()
        if remaining is None:
            return None
        # 10 ms at least: httpx takes 0 as "fail at once", which would lose a ready answer
        left = max(remaining, 0.01)

        def cap(value: float | None) -> float:
            return left if value is None else min(value, left)

        return httpx.Timeout(
            connect=cap(base.connect),
            read=cap(base.read),
            write=cap(base.write),
            pool=cap(base.pool),
        )


def wait_window(wait: bool | int | None, deadline: Deadline | None = None) -> bool | int:
    """The ``Prefer: wait`` window to send for ``wait=`` (False: no header).

    ``True`` is the API's default window (60 s), an integer N is N seconds (1 to 60; ``0``
    sends none, as in replicate 1.x). With a deadline, the window shrinks to fit in it.

    Example::

        wait_window(True)  # True: "Prefer: wait"
        wait_window(90)  # 60: "Prefer: wait=60"
        wait_window(True, Deadline(10))  # 10: "Prefer: wait=10"
    """
    if wait is None or wait is False:
        return False
    window = MAX_WAIT_WINDOW if wait is True else min(int(wait), MAX_WAIT_WINDOW)
    if window < 1:
        return False
    remaining = None if deadline is None else deadline.remaining()
    if remaining is not None and remaining < window:
        window = math.floor(remaining)
        if window < 1:
            return False
        return window
    return True if wait is True else window


def wait_read_timeout(window: bool | int, base: httpx.Timeout) -> httpx.Timeout | None:
    """A timeout whose read phase outlasts a ``Prefer: wait`` window (None: ``base`` does).

    Without it, a ``Prefer: wait=60`` request would fail at the usual 30 s read timeout.

    Example::

        wait_read_timeout(60, httpx.Timeout(5, read=30)).read  # 65.0
    """
    if window is False:
        return None
    needed = (MAX_WAIT_WINDOW if window is True else float(window)) + WAIT_MARGIN
    if base.read is None or base.read >= needed:
        return None
    return httpx.Timeout(connect=base.connect, read=needed, write=base.write, pool=base.pool)


def cancel_after_header(value: str | float | timedelta) -> str:
    """The ``Cancel-After`` header for a duration: ``"30s"``, ``90`` or ``timedelta(minutes=5)``.

    Numbers are seconds; strings go as they are (``"5m"``, ``"1h30m"``). The API's minimum is
    5 seconds: shorter numbers raise ValueError before any request is sent.

    Example::

        cancel_after_header(90)  # '90s'
        cancel_after_header(timedelta(minutes=5))  # '300s'
    """
    if isinstance(value, str):
        return value
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not seconds >= MIN_CANCEL_AFTER:  # also catches NaN
        raise ValueError(f"cancel_after must be at least {MIN_CANCEL_AFTER:g} seconds")
    return f"{math.ceil(seconds)}s"


def reconnect_delay(attempt: int, retry_ms: int | None = None) -> float | None:
    """Seconds before reconnecting a stream after ``attempt`` failures in a row (None: give up).

    The first reconnection is immediate (a dropped connection is the usual cause), the next
    ones wait the server's ``retry:`` or back off as requests do.

    Example::

        [reconnect_delay(n) is not None for n in (1, 5, 6)]  # [True, True, False]
    """
    if attempt > MAX_STREAM_RECONNECTS:
        return None
    if attempt <= 1:
        return 0.0
    if retry_ms is not None and retry_ms >= 0:
        return min(retry_ms / 1000.0, 8.0)
    return backoff(attempt - 2)


class StreamProgress:
    """Keeps a run's ``status`` and ``logs`` current from its stream's events.

    A stream replays the run's events from the start, so the logs are rebuilt from the
    ``logs`` events and kept only when they are at least as long as what the API showed.
    The output is left alone (an ``output`` event's text does not say how it joins the
    output); it is final once the run is fetched after ``done``.
    """

    __slots__ = ("_fetched", "_lines")

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._fetched = False

    def started(self, run: Run) -> bool:
        """Whether the run was just seen to start without its ``started_at`` known: the
        caller fetches it (once), so that no ``processing`` run is shown without one."""
        if self._fetched or run.status != "processing" or run.started_at:
            return False
        self._fetched = True
        return True

    def apply(self, run: Run, event: str, data: str) -> bool:
        """Apply one event; True if the run changed."""
        changed = False
        if event == "logs":
            self._lines.append(data)
            logs = "\n".join(self._lines) + "\n"
            if len(logs) >= len(run.logs or "") and logs != run.logs:
                run.logs = logs
                changed = True
        if event in ("logs", "output") and run.status == "starting":
            run.status = "processing"  # output or logs: the model is running
            changed = True
        return changed


def _state(run: Run) -> tuple[str, str | None, Any]:
    return run.status, run.logs, run.output


def _ended(run: Run) -> bool:
    return has_ended(run.status, run.completed_at)


def _stream_url(run: Run) -> str | None:
    url = (run.urls or {}).get("stream")
    return url if isinstance(url, str) and url else None


# -- the sync loop --------------------------------------------------------------------------


class Guard:
    """Holds the run a call has created, once it exists, for ``cancel_on_interrupt``.

    The create sets ``run`` before it returns, so there is no moment when an interrupt could
    find the prediction made but not known (an interrupt during the create itself is the
    create's to handle: ``replicate._created``).

    Example::

        guard = Guard()
        with cancel_on_interrupt(guard):
            prediction = client.predictions._create(reference, input, options, guard=guard)
            wait_until_ended(prediction, deadline, None)
    """

    __slots__ = ("run",)

    def __init__(self) -> None:
        self.run: Run | None = None


@contextlib.contextmanager
def cancel_on_interrupt(target: Run | Guard | None, enabled: bool | None = None) -> Iterator[None]:
    """On KeyboardInterrupt inside, cancel the run (given, or held by a ``Guard``) on the
    server, then re-raise. A run that has already ended is left alone.

    ``enabled`` defaults to the run's client's ``cancel_on_interrupt``; no run: no guard.
    """
    try:
        yield
    except KeyboardInterrupt:
        run = _target(target)
        if run is not None and _cancels(run, enabled):
            run._cancel_quietly()
        raise


def _target(target: Run | Guard | None) -> Run | None:
    run = target.run if isinstance(target, Guard) else target
    return None if run is None or _ended(run) else run


def _cancels(run: Run, enabled: bool | None) -> bool:
    if enabled is not None:
        return enabled
    client = run._client
    return client is not None and client.cancel_on_interrupt


def wait(
    run: Run,
    *,
    deadline: float | Deadline | None = None,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Wait until ``run`` has ended, updating it in place (see the module's rules).

    Raises ``DeadlineExceededError`` when ``deadline`` passes (``run`` is left running).
    """
    clock = _deadline(run, deadline)
    with cancel_on_interrupt(run):
        wait_until_ended(run, clock, on_progress)


def _deadline(run: Run, deadline: float | Deadline | None) -> Deadline:
    if isinstance(deadline, Deadline):
        return deadline
    return Deadline(deadline, clock=run._bound().clock.monotonic)


def wait_until_ended(run: Run, deadline: Deadline, on_progress: ProgressCallback | None) -> None:
    """The loop of ``wait``, without its interrupt guard (``run`` puts its own around it)."""
    from replicate._stream import iter_events

    client = run._bound()
    watch = _Watch(run, on_progress)
    watch.notify()
    outage = _Outage(client.clock.monotonic)
    if not _ended(run) and (url := _stream_url(run)) is not None:
        progress = StreamProgress()
        try:
            for event in iter_events(client, url, deadline=deadline):
                if on_progress is not None and progress.apply(run, event.event, event.data):
                    if progress.started(run):
                        _refresh(run, deadline, outage)  # started_at, from the API itself
                    watch.changed()
        except (ReplicateError, httpx.HTTPError):
            pass  # the stream cannot be read: polling still can
        # after `done` (or a failed stream): fetch once, at once
        _refresh(run, deadline, outage)
        watch.changed()
    # no stream, or the API lags behind its `done`: poll, starting fast
    delays = poll_delays(client.poll_interval)
    while not _ended(run):
        _check(run, deadline)
        client.clock.sleep(deadline.cap(next(delays)))
        _refresh(run, deadline, outage)
        watch.changed()


def _refresh(run: Run, deadline: Deadline, outage: _Outage) -> None:
    """Fetch the run again; a transient failure is waited out (see ``_Outage``)."""
    _check(run, deadline)
    try:
        run._refresh(deadline)
    except Exception as error:
        _check(run, deadline)
        outage.failed(error)
    else:
        outage.ended()


@contextlib.asynccontextmanager
async def async_cancel_on_interrupt(
    target: Run | Guard | None, enabled: bool | None = None
) -> AsyncIterator[None]:
    """On cancellation (or KeyboardInterrupt) inside, cancel the run on the server (shielded),
    then re-raise."""
    import anyio

    try:
        yield
    except (anyio.get_cancelled_exc_class(), KeyboardInterrupt):
        run = _target(target)
        if run is not None and _cancels(run, enabled):
            with anyio.move_on_after(CANCEL_TIMEOUT, shield=True):
                await run._async_cancel_quietly()
        raise


async def async_wait(
    run: Run,
    *,
    deadline: float | Deadline | None = None,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Wait until ``run`` has ended, asynchronously (see ``wait``).

    ``on_progress`` may be a plain function or a coroutine function.
    """
    clock = _deadline(run, deadline)
    async with async_cancel_on_interrupt(run):
        await async_wait_until_ended(run, clock, on_progress)


async def notify(on_progress: ProgressCallback, run: Run) -> None:
    """Call a progress callback, awaiting it when it is a coroutine function."""
    result = on_progress(run)
    if inspect.isawaitable(result):
        await result


async def async_wait_until_ended(
    run: Run, deadline: Deadline, on_progress: ProgressCallback | None
) -> None:
    """The loop of ``async_wait``, without its cancellation guard."""
    from replicate._stream import aiter_events

    client = run._bound()
    watch = _Watch(run, on_progress)
    await watch.async_notify()
    outage = _Outage(client.clock.monotonic)
    if not _ended(run) and (url := _stream_url(run)) is not None:
        progress = StreamProgress()
        try:
            # aclosing: an early exit closes the stream now, in this task
            async with aclosing(aiter_events(client, url, deadline=deadline)) as events:
                async for event in events:
                    if on_progress is not None and progress.apply(run, event.event, event.data):
                        if progress.started(run):
                            await _async_refresh(run, deadline, outage)
                        await watch.async_changed()
        except (ReplicateError, httpx.HTTPError):
            pass
        await _async_refresh(run, deadline, outage)
        await watch.async_changed()
    delays = poll_delays(client.poll_interval)
    while not _ended(run):
        _check(run, deadline)
        await client.clock.async_sleep(deadline.cap(next(delays)))
        await _async_refresh(run, deadline, outage)
        await watch.async_changed()


async def _async_refresh(run: Run, deadline: Deadline, outage: _Outage) -> None:
    _check(run, deadline)
    try:
        await run._async_refresh(deadline)
    except Exception as error:
        _check(run, deadline)
        outage.failed(error)
    else:
        outage.ended()


def transient(error: BaseException) -> bool:
    """Whether a failed request may well succeed later: a network error or timeout, a 429, a
    5xx, or an undecodable body (after the retries ``replicate._retry`` allows).

    Example::

        transient(httpx.ReadTimeout("slow"))  # True
        transient(NotFoundError(status=404))  # False
    """
    if isinstance(error, httpx.TransportError):
        return True
    if isinstance(error, ReplicateError):
        status = error.status or 0
        return status == 429 or status >= 500 or isinstance(error, InvalidResponseError)
    return False


class _Outage:
    """Polls failing in a row: waited out while transient, for ``MAX_OUTAGE`` seconds."""

    __slots__ = ("_clock", "_since")

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._since: float | None = None

    def failed(self, error: Exception) -> None:
        """A poll failed: re-raise ``error`` unless it is transient and the outage is young."""
        if not transient(error):
            raise error
        now = self._clock()
        if self._since is None:
            self._since = now
        elif now - self._since >= MAX_OUTAGE:
            raise error

    def ended(self) -> None:
        self._since = None


def _check(run: Run, deadline: Deadline) -> None:
    """Raise ``DeadlineExceededError`` once the deadline has passed (not chained to the
    timeout that may have revealed it)."""
    if deadline.expired():
        raise DeadlineExceededError(run, deadline.seconds or 0.0) from None


class _Watch:
    """Calls ``on_progress`` with the run when its status, logs or output changed."""

    __slots__ = ("_on_progress", "_run", "_seen")

    def __init__(self, run: Run, on_progress: ProgressCallback | None) -> None:
        self._run = run
        self._on_progress = on_progress
        self._seen = _state(run)

    def _due(self) -> bool:
        if self._on_progress is None:
            return False
        state = _state(self._run)
        if state == self._seen:
            return False
        self._seen = state
        return True

    def notify(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self._run)

    def changed(self) -> None:
        if self._due():
            self.notify()

    async def async_notify(self) -> None:
        if self._on_progress is not None:
            await notify(self._on_progress, self._run)

    async def async_changed(self) -> None:
        if self._due():
            await self.async_notify()


# -- list outputs as they grow (polling) --------------------------------------------------------


def iter_output(run: Run, *, deadline: Deadline | None = None, start: int = 0) -> Iterator[Any]:
    """Yield the items of ``run``'s list output as they appear, polling on ``poll_delays``.

    ``start`` items are skipped (already given by a stream). Raises ``ModelError`` if the
    run fails, ``DeadlineExceededError`` when ``deadline`` passes.
    """
    client = run._bound()
    clock = deadline or Deadline(None)
    items = _NewItems(start)
    delays = poll_delays(client.poll_interval)
    outage = _Outage(client.clock.monotonic)
    while True:
        yield from items.of(run)
        if _ended(run):
            break
        _check(run, clock)
        client.clock.sleep(clock.cap(next(delays)))
        _refresh(run, clock, outage)
    _raise_if_failed(run)


async def aiter_output(
    run: Run, *, deadline: Deadline | None = None, start: int = 0
) -> AsyncIterator[Any]:
    """Yield the items of ``run``'s list output as they appear, asynchronously."""
    client = run._bound()
    clock = deadline or Deadline(None)
    items = _NewItems(start)
    delays = poll_delays(client.poll_interval)
    outage = _Outage(client.clock.monotonic)
    while True:
        for item in items.of(run):
            yield item
        if _ended(run):
            break
        _check(run, clock)
        await client.clock.async_sleep(clock.cap(next(delays)))
        await _async_refresh(run, clock, outage)
    _raise_if_failed(run)


class _NewItems:
    """The items of a growing list output not given yet."""

    __slots__ = ("_given",)

    def __init__(self, start: int) -> None:
        self._given = start

    def of(self, run: Run) -> list[Any]:
        output = run.output if isinstance(run.output, list) else []
        new = output[self._given :]
        self._given = max(self._given, len(output))
        return new


def _raise_if_failed(run: Run) -> None:
    from replicate.exceptions import ModelError

    if run.status == "failed":
        raise ModelError(run)  # type: ignore[arg-type]
