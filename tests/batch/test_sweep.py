"""Waiting through the list: the window, the sweep delays, the page cap."""

from __future__ import annotations

import datetime

import pytest

from replicate._sweep import MAX_SWEEP_DELAY, next_sweep_delay, page_cap, sweep_window


def test_the_window_covers_every_watched_prediction_with_a_second_of_slack() -> None:
    first = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.UTC)
    last = first + datetime.timedelta(seconds=30)
    after, before = sweep_window([last, first])
    assert after == first - datetime.timedelta(seconds=1)
    assert before == last + datetime.timedelta(seconds=1)


def test_sweeps_keep_up_while_predictions_end_and_back_off_while_none_do() -> None:
    delay = 0.05
    seen = []
    for _ in range(6):
        delay = next_sweep_delay(delay, ended=1, poll_interval=0.5)
        seen.append(delay)
    assert seen == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5, 0.5])
    for _ in range(10):
        delay = next_sweep_delay(delay, ended=0, poll_interval=0.5)
    assert delay == MAX_SWEEP_DELAY


def test_a_sweep_reads_enough_pages_for_the_watched_predictions() -> None:
    assert page_cap(1) == 2
    assert page_cap(150) == 3
    assert page_cap(1000) == 20


def test_the_list_is_read_at_a_few_pages_a_second_however_many_predictions_run() -> None:
    assert next_sweep_delay(0.5, ended=5, poll_interval=0.5, pages=1) == 0.5
    assert next_sweep_delay(0.5, ended=5, poll_interval=0.5, pages=8) == 2.0  # 4 pages/s
