"""Pacing creates: even spacing at the asked pace, slowed on 429 once per pace, recovered."""

from __future__ import annotations

import asyncio

import pytest

from replicate._clock import Clock
from replicate._pace import (
    MIN_PER_MINUTE,
    RECOVERY_PERIOD,
    Pacer,
    burst,
    create_interval,
    recovered,
    slowed,
)


class FrozenClock(Clock):
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_creates_are_spread_evenly_at_the_asked_pace() -> None:
    assert create_interval(600) == pytest.approx(0.1)
    assert create_interval(6) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="positive"):
        create_interval(0)


def test_late_creates_are_caught_up_on_by_a_quarter_second_at_most() -> None:
    assert burst(6) == burst(200) == 1
    assert burst(600) == 2
    assert burst(6000) == 25


def test_no_minute_holds_more_creates_than_the_pace() -> None:
    pacer = Pacer(600, clock=FrozenClock())

    async def count() -> int:
        loop = asyncio.get_running_loop()
        started, sent = loop.time(), 0
        while loop.time() - started < 1.5:
            await pacer.slot()
            pacer.answered()  # each create answered at once
            sent += 1
        return sent

    # 1.5 s at 10 a second, plus the burst of 2: never more (a slow machine sends fewer)
    assert asyncio.run(count()) <= 17


def test_a_429_halves_the_pace_but_never_below_the_floor() -> None:
    assert slowed(600) == 300
    assert slowed(1.5) == MIN_PER_MINUTE


def test_a_429_never_slows_below_one_create_per_retry_after() -> None:
    assert slowed(750, retry_after=0.1) == 600  # not 375: the server frees a slot every 0.1 s
    assert slowed(600, retry_after=0.1) == 600
    assert slowed(600, retry_after=30) == 300


def test_the_pace_recovers_after_calm_periods_up_to_what_was_asked() -> None:
    assert recovered(300, 600, RECOVERY_PERIOD / 2) == 300
    assert recovered(300, 600, RECOVERY_PERIOD) == pytest.approx(375)
    assert recovered(300, 600, RECOVERY_PERIOD * 100) == 600


def test_many_429s_answered_at_one_pace_slow_it_down_once() -> None:
    clock = FrozenClock()
    pacer = Pacer(600, clock=clock)
    pace = 0  # the slot every create in flight was given at
    for _ in range(5):
        pacer.throttled(pace, retry_after=20.0)
    assert pacer.per_minute == 300
    assert pacer.throttles == 5
    later = pacer._pace
    pacer.throttled(later, retry_after=None)  # a 429 at the new pace: slower again
    assert pacer.per_minute == 150


def test_a_429_pauses_every_create_for_its_retry_after() -> None:
    waits: list[float] = []

    class Recording(FrozenClock):
        async def async_sleep(self, seconds: float) -> None:
            waits.append(seconds)
            self.now += seconds

    clock = Recording()
    pacer = Pacer(6000, clock=clock)

    async def main() -> None:
        pace = await pacer.slot()
        pacer.throttled(pace, retry_after=7.0)
        await pacer.slot()

    asyncio.run(main())
    assert waits == [pytest.approx(7.0)]


def test_no_create_goes_before_the_first_has_its_answer() -> None:
    pacer = Pacer(6000, clock=Clock())
    given: list[int] = []

    async def take(index: int) -> None:
        await pacer.slot()
        given.append(index)

    async def main() -> None:
        tasks = [asyncio.create_task(take(index)) for index in range(5)]
        await asyncio.sleep(0.1)  # 10 slots' worth of time at this pace
        assert given == [0]  # the first create alone: its answer is awaited
        pacer.answered()
        await asyncio.gather(*tasks)

    asyncio.run(main())
    assert sorted(given) == [0, 1, 2, 3, 4]
