"""Waiting for many predictions at once, through the predictions list: up to 100 a request.

A batch has hundreds of predictions running at a time. Waiting for each on its own costs at
least one request each: a stream (one request, holding a connection for the prediction's
life) and then one more to read the final state, or a poll every interval. The predictions list
answers for up to 100 predictions a request, with their status, output, error and metrics, and
``created_after`` and ``created_before`` cut it down to the predictions being waited for. So a
batch follows its predictions here, at a small fraction of a request per prediction, well
within the API's limit for requests other than creates (3000 a minute), whatever the pace of
creates.

The decisions (``sweep_window``, ``next_sweep_delay``, ``page_cap``) are plain functions;
``Sweeper`` applies them (async: a batch runs on asyncio).

The rules:

- A sweep lists the predictions created between the oldest watched one (less ``SLACK``) and
  the newest (plus ``SLACK``), newest first, page by page until every watched prediction has
  been seen or ``page_cap`` pages were read. Each one seen that has ended (``has_ended``: any
  terminal status, ``aborted`` included) is handed over, and no longer watched.
- The first sweep comes ``FIRST_SWEEP_DELAY`` after the first prediction is watched; then the
  delay doubles, up to the client's ``poll_interval`` while sweeps see predictions end, and up
  to ``MAX_SWEEP_DELAY`` while they do not (a long model costs a request every few seconds).
  A sweep that read more than two pages waits half a ``poll_interval`` per page before the
  next: the list is read at ``2 / poll_interval`` pages a second at most (4 by default),
  however many predictions are running; noticing an end takes a little longer only when
  very many long predictions run at once.
- A watched prediction the sweeps have not shown for ``STRAGGLER_GRACE`` seconds (one far older
  than the rest, a list lagging behind, many other predictions in its window) is fetched on its
  own, then again after a delay that doubles up to ``MAX_STRAGGLER_DELAY``.
- A prediction listed as succeeded with no output is fetched once on its own, in case the list
  left its output out.
- A failing request is waited out as ``replicate._wait`` waits out a failing poll (each request
  retried as ``replicate._retry`` says, then the next sweep tries again), until polls have failed
  for ``MAX_OUTAGE`` seconds in a row; an error that will not pass (401, 404) is raised.
"""

from __future__ import annotations

import asyncio
import datetime
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from replicate._wait import _Outage, has_ended

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.prediction import Prediction

__all__ = [
    "FIRST_SWEEP_DELAY",
    "MAX_STRAGGLER_DELAY",
    "MAX_SWEEP_DELAY",
    "SLACK",
    "STRAGGLER_GRACE",
    "Sweeper",
    "next_sweep_delay",
    "page_cap",
    "sweep_window",
]

FIRST_SWEEP_DELAY = 0.05
"""Seconds from the first prediction watched to the first sweep."""

MAX_SWEEP_DELAY = 5.0
"""The longest delay between two sweeps, while no prediction ends."""

SLACK = datetime.timedelta(seconds=1)
"""Widening of a sweep's window on both sides (``created_before`` excludes its own instant)."""

STRAGGLER_GRACE = 5.0
"""Seconds a watched prediction may go unseen by sweeps before it is fetched on its own."""

MAX_STRAGGLER_DELAY = 30.0
"""The longest delay between two fetches of one straggler."""

STRAGGLER_FETCHES = 8
"""Stragglers fetched at the same time, at most."""


# -- decisions (no I/O) ---------------------------------------------------------------------


def sweep_window(
    created: Iterable[datetime.datetime],
) -> tuple[datetime.datetime, datetime.datetime]:
    """``(created_after, created_before)`` for predictions created at these times.

    Example::

        sweep_window([t1, t2])  # (min(t1, t2) - 1 s, max(t1, t2) + 1 s)
    """
    times = list(created)
    return min(times) - SLACK, max(times) + SLACK


def next_sweep_delay(delay: float, ended: int, poll_interval: float, pages: int = 1) -> float:
    """The delay before the next sweep, after one with ``delay`` that saw ``ended`` end in
    ``pages`` pages.

    Example::

        next_sweep_delay(0.05, 1, 0.5)  # 0.1
        next_sweep_delay(0.5, 3, 0.5)  # 0.5: predictions are ending, keep up with them
        next_sweep_delay(0.5, 0, 0.5)  # 1.0: nothing ends, back off (up to 5 s)
        next_sweep_delay(0.5, 3, 0.5, pages=8)  # 2.0: 4 pages a second at most
    """
    ceiling = poll_interval if ended else max(poll_interval, MAX_SWEEP_DELAY)
    floor = pages * poll_interval / 2 if pages > 2 else 0.0
    return max(min(delay * 2.0, ceiling), floor)


def page_cap(watched: int) -> int:
    """Pages one sweep reads at most: enough for the watched predictions and as many others.

    Example::

        page_cap(150)  # 3
    """
    return max(2, math.ceil(watched * 2 / 100))


# -- the sweeper ----------------------------------------------------------------------------


@dataclass
class _Watched:
    key: Any
    created: datetime.datetime
    fetch_at: float
    """When (monotonic) to fetch it on its own if sweeps have not shown it by then."""
    fetch_delay: float


class Sweeper:
    """Watches predictions through the list, and hands over each one that ended.

    Example::

        sweeper = Sweeper(client, on_ended=lambda key, prediction: print(key, prediction.status))
        task = asyncio.create_task(sweeper.run())
        sweeper.watch(prediction.id, "row-1", prediction.created_at)
        ...
        task.cancel()
    """

    def __init__(self, client: Client, on_ended: Callable[[Any, Prediction], None]) -> None:
        self._client = client
        self._on_ended = on_ended
        self._watched: dict[str, _Watched] = {}
        self._wake: asyncio.Event | None = None
        self.requests = 0
        """Requests sent so far (list pages and single fetches)."""

    def __len__(self) -> int:
        return len(self._watched)

    def __contains__(self, id: object) -> bool:
        return id in self._watched

    def items(self) -> list[tuple[str, Any]]:
        """``(id, key)`` of every watched prediction."""
        return [(id, watched.key) for id, watched in self._watched.items()]

    def watch(self, id: str, key: Any, created_at: str | None) -> None:
        """Wait for prediction ``id`` (created at ``created_at``, as the API wrote it)."""
        from replicate_api.types import parse_timestamp

        now = datetime.datetime.now(datetime.UTC)
        try:
            created = parse_timestamp(created_at) if created_at else now
        except ValueError:
            created = now
        if created.tzinfo is None:
            created = created.replace(tzinfo=datetime.UTC)
        grace = max(STRAGGLER_GRACE, 4 * self._client.poll_interval)
        monotonic = self._client.clock.monotonic()
        self._watched[id] = _Watched(key, created, monotonic + grace, grace)
        if self._wake is not None:
            self._wake.set()

    def forget(self, id: str) -> Any:
        """Stop watching ``id``; its key (None if it was not watched)."""
        watched = self._watched.pop(id, None)
        return None if watched is None else watched.key

    async def run(self) -> None:
        """Sweep while predictions are watched, until cancelled."""
        client = self._client
        self._wake = asyncio.Event()
        outage = _Outage(client.clock.monotonic)
        delay = FIRST_SWEEP_DELAY
        while True:
            if not self._watched:
                self._wake.clear()
                await self._wake.wait()
                delay = FIRST_SWEEP_DELAY
            await client.clock.async_sleep(delay)
            before = self.requests
            try:
                ended = await self.sweep()
            except Exception as error:
                outage.failed(error)  # raises unless it is transient and young
                ended = 0
            else:
                outage.ended()
            pages = self.requests - before
            delay = next_sweep_delay(delay, ended, client.poll_interval, pages)

    async def sweep(self) -> int:
        """One sweep (see the module's rules); returns how many predictions ended."""
        from replicate._generated import predictions_list
        from replicate.prediction import Prediction

        watched = self._watched
        if not watched:
            return 0
        runs = self._client.predictions
        after, before = sweep_window(entry.created for entry in watched.values())
        unseen = set(watched)
        cap = page_cap(len(watched))
        ended = 0
        page = await runs._async_page(
            Prediction, ..., predictions_list, created_after=after, created_before=before
        )
        pages = 1
        self.requests += 1
        while True:
            for prediction in page.results:
                if prediction.id in unseen:
                    unseen.discard(prediction.id)
                    ended += await self._seen(prediction)
            if not unseen or not page.next or pages >= cap:
                break
            page = await runs.async_list(page.next)
            pages += 1
            self.requests += 1
        ended += await self._stragglers(unseen)
        return ended

    async def _seen(self, prediction: Prediction) -> int:
        """A prediction as listed: handed over if it ended (fetched first if its output may
        have been left out); returns 1 if it ended."""
        entry = self._watched.get(prediction.id)
        if entry is None:
            return 0
        grace = max(STRAGGLER_GRACE, 4 * self._client.poll_interval)
        entry.fetch_at = self._client.clock.monotonic() + grace
        entry.fetch_delay = grace
        if not has_ended(prediction.status, prediction.completed_at):
            return 0
        if prediction.status == "succeeded" and prediction.output is None:
            prediction = await self._fetch(prediction.id)
            if not has_ended(prediction.status, prediction.completed_at):
                return 0
        return self._ended(prediction)

    async def _stragglers(self, unseen: set[str]) -> int:
        now = self._client.clock.monotonic()
        due = [id for id in unseen if id in self._watched and self._watched[id].fetch_at <= now]
        if not due:
            return 0
        gate = asyncio.Semaphore(STRAGGLER_FETCHES)

        async def one(id: str) -> int:
            async with gate:
                prediction = await self._fetch(id)
            entry = self._watched.get(id)
            if entry is None:
                return 0
            entry.fetch_delay = min(entry.fetch_delay * 2, MAX_STRAGGLER_DELAY)
            entry.fetch_at = self._client.clock.monotonic() + entry.fetch_delay
            if has_ended(prediction.status, prediction.completed_at):
                return self._ended(prediction)
            return 0

        return sum(await asyncio.gather(*(one(id) for id in due)))

    async def _fetch(self, id: str) -> Prediction:
        self.requests += 1
        prediction: Prediction = await self._client.predictions.async_get(id)
        return prediction

    def _ended(self, prediction: Prediction) -> int:
        entry = self._watched.pop(prediction.id, None)
        if entry is None:
            return 0
        self._on_ended(entry.key, prediction)
        return 1
