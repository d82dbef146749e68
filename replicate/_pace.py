"""Pacing a batch's creates: the account's rate limit, kept by aiolimiter, adapted on 429.

The decisions (``create_interval``, ``slowed``, ``recovered``) are plain functions; ``Pacer``
applies them around an ``aiolimiter.AsyncLimiter`` (loaded on first use: ``import replicate``
stays light).

The rules:

- Creates are spread evenly at ``per_minute`` (600 by default, the API's published limit):
  one every ``60 / per_minute`` seconds. A create sent late (the event loop was busy) may be
  caught up on, by a quarter of a second's worth of creates at most (``burst``), and the pace is
  lowered by that much, so that no window of a minute ever holds more than ``per_minute``,
  whether the server counts in a sliding window or in a bucket with a burst of 1 (as it does
  for accounts without a payment method).
- A 429 answers a create the server refused without acting on it: every create waits for its
  ``Retry-After`` (or a backoff when it sends none), then the pace is halved, once per pace:
  the creates already sent at the old pace answer 429 too, and count as the same news. It never
  goes below one create per ``Retry-After`` (a server that frees a slot in that time accepts
  that pace at worst, so a storm of 429s with a short ``Retry-After`` does not crawl), nor below
  ``MIN_PER_MINUTE``.
- After ``RECOVERY_PERIOD`` seconds without a 429, the pace grows by ``RECOVERY_FACTOR``, up to
  what was asked: a limit that was lowered for a while is used again once it is back.
- Until the first create has its answer, no other is sent (a slow start): a server that is
  slow to answer, refuses the token or is already at its limit is asked once, not once per
  slot of the pace until its first answer arrives.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING

from replicate._retry import backoff

if TYPE_CHECKING:
    from aiolimiter import AsyncLimiter

    from replicate._clock import Clock

__all__ = [
    "DEFAULT_PER_MINUTE",
    "MIN_PER_MINUTE",
    "RECOVERY_FACTOR",
    "RECOVERY_PERIOD",
    "SLOWDOWN",
    "Pacer",
    "burst",
    "create_interval",
    "recovered",
    "slowed",
]

DEFAULT_PER_MINUTE = 600.0
"""Creates a minute unless told otherwise: the API's published limit."""

MIN_PER_MINUTE = 1.0
"""The slowest pace a run of 429s brings creates down to."""

SLOWDOWN = 0.5
"""The pace is multiplied by this on a 429."""

RECOVERY_PERIOD = 10.0
"""Seconds without a 429 after which the pace grows again."""

RECOVERY_FACTOR = 1.25
"""How much the pace grows after each calm ``RECOVERY_PERIOD``."""


# -- decisions (no I/O) ---------------------------------------------------------------------


def create_interval(per_minute: float) -> float:
    """Seconds between two creates at ``per_minute``.

    Example::

        create_interval(600)  # 0.1
    """
    if not per_minute > 0 or math.isinf(per_minute):
        raise ValueError(f"the pace must be a positive number of creates a minute: {per_minute}")
    return 60.0 / per_minute


def burst(per_minute: float) -> int:
    """Creates that may be sent back to back to catch up: a quarter of a second's worth.

    Example::

        burst(600)  # 2
        burst(6)  # 1: no catching up at 6 a minute
    """
    return max(1, int(per_minute // 240))


def slowed(per_minute: float, retry_after: float | None = None) -> float:
    """The pace after a 429 that said to wait ``retry_after`` seconds.

    Example::

        slowed(600)  # 300.0
        slowed(600, retry_after=0.2)  # 300.0: one create per 0.2 s would be 300 a minute
        slowed(6000, retry_after=0.1)  # 3000.0
        slowed(3000, retry_after=0.1)  # 1500.0, then 750, then 600: one per Retry-After
        slowed(1.5)  # 1.0: never below MIN_PER_MINUTE
    """
    floor = MIN_PER_MINUTE
    if retry_after is not None and retry_after > 0:
        floor = max(floor, 60.0 / retry_after)
    return min(per_minute, max(floor, per_minute * SLOWDOWN))


def recovered(per_minute: float, target: float, calm: float) -> float:
    """The pace after ``calm`` seconds without a 429: grown once per ``RECOVERY_PERIOD``, up
    to ``target``.

    Example::

        recovered(300, 600, 25)  # 468.75: two calm periods
        recovered(300, 600, 5)  # 300: not calm for long enough yet
    """
    periods = int(calm // RECOVERY_PERIOD)
    if periods <= 0 or per_minute >= target:
        return min(per_minute, target)
    return min(target, per_minute * RECOVERY_FACTOR ** min(periods, 64))


# -- the pacer ------------------------------------------------------------------------------


class Pacer:
    """Hands out create slots at the pace, pausing and slowing down on 429.

    Example::

        pacer = Pacer(600, clock=client.clock)
        pace = await pacer.slot()  # waits for the next slot
        try:
            prediction = await create()
        except RateLimitError as error:
            pacer.throttled(pace, retry_after(error.headers))
        finally:
            pacer.answered()  # the first answer ends the slow start
    """

    def __init__(self, per_minute: float, *, clock: Clock) -> None:
        create_interval(per_minute)  # checks it
        self.target = float(per_minute)
        self.per_minute = float(per_minute)
        """The pace now: ``target`` unless 429s slowed it down."""
        self.throttles = 0
        """429s seen so far."""
        self._clock = clock
        self._limiter: AsyncLimiter | None = None
        self._paused_until = 0.0
        self._pace = 0  # counts slowdowns: a 429 slows the pace it was sent at, once
        self._calm_since = clock.monotonic()
        self._answered = False  # whether a create has had its answer (the slow start is over)
        self._probing = False  # whether the first create is out, its answer awaited
        self._first_answer: asyncio.Event | None = None

    async def slot(self) -> int:
        """Wait for the next create slot; returns the pace it was given at (for ``throttled``).

        Before any create has had its answer, one slot is given and the others wait for
        ``answered()``.
        """
        probe = await self._slow_start()
        try:
            return await self._paced_slot()
        except BaseException:
            if probe:  # the first create was never sent: let another be first
                self._probing = False
                self._wake()
            raise

    def answered(self) -> None:
        """A create has had its answer (any: a prediction, a 429, an error): the slow start is
        over, and the creates waiting for it go on at the pace."""
        if not self._answered:
            self._answered = True
            self._limiter = None  # filled while waiting: start afresh, with no rush
            self._wake()

    async def _slow_start(self) -> bool:
        """Wait while the first create is out; whether this slot is that first create."""
        while not self._answered:
            if not self._probing:
                self._probing = True
                return True
            if self._first_answer is None:
                self._first_answer = asyncio.Event()
            await self._first_answer.wait()
        return False

    def _wake(self) -> None:
        event, self._first_answer = self._first_answer, None
        if event is not None:
            event.set()

    async def _paced_slot(self) -> int:
        clock = self._clock
        while True:
            now = clock.monotonic()
            if now < self._paused_until:
                await clock.async_sleep(self._paused_until - now)
                continue
            self._recover(now)
            limiter = self._limiter
            if limiter is None:
                limiter = self._limit()
                size = int(limiter.max_rate)
                if size > 1:
                    # a new limiter starts full but for one slot: the burst is for catching
                    # up on late creates, never a rush at the start (or after a 429)
                    await limiter.acquire(size - 1)
            await limiter.acquire()
            if clock.monotonic() >= self._paused_until:  # no 429 came while waiting
                return self._pace

    def throttled(self, pace: int, retry_after: float | None) -> float:
        """A create sent at ``pace`` got a 429: pause every create, slow down (once per pace).

        Returns the pause, in seconds.
        """
        self.answered()  # a 429 is an answer too
        self.throttles += 1
        now = self._clock.monotonic()
        pause = retry_after if retry_after is not None else backoff(min(self.throttles - 1, 4))
        self._paused_until = max(self._paused_until, now + pause)
        self._calm_since = self._paused_until
        if pace == self._pace:
            self._pace += 1
            self._set(slowed(self.per_minute, retry_after))
        return pause

    def _recover(self, now: float) -> None:
        if self.per_minute >= self.target:
            return
        calm = now - self._calm_since
        pace = recovered(self.per_minute, self.target, calm)
        if pace != self.per_minute:
            self._calm_since = now
            self._set(pace)

    def _set(self, per_minute: float) -> None:
        self.per_minute = per_minute
        self._limiter = None  # the next slot makes a limiter at the new pace

    def _limit(self) -> AsyncLimiter:
        limiter = self._limiter
        if limiter is None:
            from aiolimiter import AsyncLimiter

            # a bucket of `burst` creates, filled at the pace less the burst: in any minute,
            # burst + (per_minute - burst) creates at most
            size = burst(self.per_minute)
            paced = max(self.per_minute - (size - 1), MIN_PER_MINUTE)
            limiter = self._limiter = AsyncLimiter(size, size * create_interval(paced))
        return limiter
