"""Batch runs against the emulator served on local sockets, as a user runs them."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

import replicate
from replicate._journal import Journal, input_digest
from replicate.batch import Row
from replicate.testing import Emulator

from .conftest import server_predictions

FAST = 6000.0  # creates a minute: the emulator takes them as fast as that


def rows(prefix: str, count: int, **extra: object) -> list[dict[str, object]]:
    return [{"text": f"{prefix}-{index}", **extra} for index in range(1, count + 1)]


def results_file(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_row_gets_one_result_and_one_prediction(
    client: replicate.Client, tmp_path: Path
) -> None:
    journal = tmp_path / "results.jsonl"
    batch = client.run_batch("me/echo", rows("all", 30), journal=journal, per_minute=FAST)
    results = list(batch)
    assert sorted(result.key for result in results) == list(range(1, 31))
    assert {result.key: result.output for result in results}[7] == "echo all-7"
    assert all(result.status == "succeeded" and result.id for result in results)
    written = results_file(journal)
    assert sorted(row["key"] for row in written) == list(range(1, 31))
    assert set(written[0]) == {"key", "id", "status", "output", "error", "metrics"}
    assert len(server_predictions(client, "all-")) == 30
    assert sorted(path.name for path in tmp_path.iterdir()) == ["results.jsonl"]


def test_waiting_costs_a_fraction_of_a_request_per_prediction(client: replicate.Client) -> None:
    batch = client.run_batch("me/echo", rows("cheap", 80, wait=0.3), per_minute=FAST)
    assert len(list(batch)) == 80
    assert batch.stats.wait_requests <= 80 / 4


def test_a_failed_row_is_recorded_and_the_batch_goes_on(
    client: replicate.Client, tmp_path: Path
) -> None:
    given = rows("mixed", 6)
    given[2] = {"text": "bad"}
    journal = tmp_path / "results.jsonl"
    results = {
        result.key: result
        for result in client.run_batch("me/echo", given, journal=journal, per_minute=FAST)
    }
    assert results[3].status == "failed"
    assert "bad text, on purpose" in (results[3].error or "")
    assert [results[key].status for key in (1, 2, 4, 5, 6)] == ["succeeded"] * 5


def test_a_row_the_api_refuses_fails_alone_without_a_prediction(client: replicate.Client) -> None:
    given: list[dict[str, object]] = [{"text": "refused-1"}, {"wait": 0}, {"text": "refused-3"}]
    batch = client.run_batch("me/echo", given, per_minute=FAST)
    results = {result.key: result for result in batch}
    assert results[2].status == "failed" and results[2].id is None
    assert "422" in (results[2].error or "")
    assert results[1].status == results[3].status == "succeeded"
    assert batch.stats.failures == {results[2].error: 1}


def test_rows_with_keys_of_their_own(client: replicate.Client) -> None:
    given = [Row("first", {"text": "keyed-a"}), Row("second", {"text": "keyed-b"})]
    outputs = {result.key: result.output for result in client.run_batch("me/echo", given)}
    assert outputs == {"first": "echo keyed-a", "second": "echo keyed-b"}
    with pytest.raises(ValueError, match="the key 'a' is used twice"):
        list(client.run_batch("me/echo", [Row("a", {"text": "x"}), Row("a", {"text": "y"})]))


def test_output_files_are_saved_and_their_paths_recorded(
    client: replicate.Client, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    given = [Row("fox", {"prompt": "a fox", "num_outputs": 2}), Row("owl", {"prompt": "an owl"})]
    results = {r.key: r for r in client.run_batch("replicate/image", given, output_dir=out)}
    assert results["fox"].output == [str(out / "fox-0-out-0.png"), str(out / "fox-1-out-1.png")]
    assert results["owl"].output == [str(out / "owl-out-0.png")]
    assert (out / "owl-out-0.png").read_bytes().startswith(b"\x89PNG")


def test_the_async_twin_yields_results_as_they_finish(client: replicate.Client) -> None:
    async def main() -> list[str]:
        given = [{"text": "async-slow", "wait": 0.5}, {"text": "async-quick"}]
        async with client.async_run_batch("me/echo", given, per_minute=FAST) as batch:
            return [result.output async for result in batch]

    assert asyncio.run(main()) == ["echo async-quick", "echo async-slow"]


def test_a_rerun_takes_over_what_a_crash_left_and_creates_nothing_twice(
    emu: Emulator, client: replicate.Client, tmp_path: Path
) -> None:
    journal_path = tmp_path / "results.jsonl"
    given = rows("crash", 6)
    # what a process killed at the wrong moment leaves behind (its client, not this one):
    earlier = replicate.Client(api_token=emu.api_token, base_url=emu.base_url)
    journal = Journal.open(journal_path, "me/echo")
    journal.result({"key": 1, "id": "done-before", "status": "succeeded", "output": "x"})
    journal.sent(3, input_digest(given[2]))  # sent; its answer never arrived
    lost = earlier.models.predictions.create("me/echo", given[2])
    journal.sent(4, input_digest(given[3]))  # sent and answered
    answered = earlier.models.predictions.create("me/echo", given[3])
    journal.created(4, answered.id, answered.created_at)
    journal.sent(5, input_digest(given[4]))  # sent, but it never reached the server
    journal.close(complete=False)

    batch = client.run_batch("me/echo", given, journal=journal_path, per_minute=FAST)
    results = {result.key: result for result in batch}
    assert sorted(results) == [2, 3, 4, 5, 6]
    assert results[3].id == lost.id
    assert results[4].id == answered.id
    assert (batch.stats.skipped, batch.stats.resumed, batch.stats.created) == (1, 2, 3)
    assert len(server_predictions(client, "crash-")) == 5  # rows 2 to 6, each once
    assert sorted(row["key"] for row in results_file(journal_path)) == [1, 2, 3, 4, 5, 6]


def test_a_create_whose_answer_is_lost_is_not_created_again(
    emu: Emulator, client: replicate.Client
) -> None:
    emu.faults.add("POST /v1/models/me/echo/predictions", drop_response=True, times=3)
    results = list(client.run_batch("me/echo", rows("dropped", 10), per_minute=FAST))
    assert sorted(result.key for result in results) == list(range(1, 11))
    assert len(server_predictions(client, "dropped-")) == 10


def test_a_429_storm_slows_the_batch_but_loses_nothing(
    emu: Emulator, client: replicate.Client
) -> None:
    emu.faults.add("POST /v1/models/me/echo/predictions", status=429, times=20, retry_after=0.1)
    batch = client.run_batch("me/echo", rows("storm", 30), per_minute=FAST)
    results = list(batch)
    assert sorted(result.key for result in results) == list(range(1, 31))
    assert all(result.status == "succeeded" for result in results)
    assert batch.stats.throttled == 20
    assert batch.stats.per_minute < FAST
    assert len(server_predictions(client, "storm-")) == 30


def test_creates_adapt_to_the_servers_own_rate_limit() -> None:
    with Emulator(rate_limits=True) as limited:
        limited.register("me/echo", lambda text: text)  # type: ignore[arg-type]
        limited.faults.create_limit = 10
        limited.faults.window = 1.0
        client = replicate.Client(api_token=limited.api_token, base_url=limited.base_url)
        given = [{"text": f"limited-{index}"} for index in range(30)]
        batch = client.run_batch("me/echo", given, per_minute=FAST)
        assert len(list(batch)) == 30
        assert 0 < batch.stats.throttled <= 10  # it slowed down, rather than hammering
        assert len(limited.app.store.predictions) == 30


def _wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)


def test_stopping_cancels_running_predictions_and_a_rerun_runs_their_rows_again(
    client: replicate.Client, tmp_path: Path
) -> None:
    journal_path = tmp_path / "results.jsonl"
    given = [{"text": "stop-0"}, *rows("stop", 5, wait=30)]
    batch = client.run_batch("me/echo", given, journal=journal_path, per_minute=FAST)
    first = next(batch)
    _wait_for(lambda: batch.stats.created == 6)
    batch.close()
    assert first.key == 1
    running = [p for p in server_predictions(client, "stop-") if p.input.get("wait")]
    assert sorted(p.status for p in running) == ["canceled"] * 5
    again = Journal.open(journal_path, "me/echo")
    assert (again.finished, again.open_rows) == ({1}, {})  # rows 2 to 6 are created again
    again.close(complete=False)


def test_detach_leaves_running_predictions_for_a_rerun_to_wait_for(
    client: replicate.Client, tmp_path: Path
) -> None:
    journal_path = tmp_path / "results.jsonl"
    given = [{"text": "detach-0"}, *rows("detach", 3, wait=30)]
    batch = client.run_batch("me/echo", given, journal=journal_path, detach=True, per_minute=FAST)
    next(batch)
    _wait_for(lambda: batch.stats.created == 4)
    batch.close()
    running = [p for p in server_predictions(client, "detach-") if p.input.get("wait")]
    assert sorted(p.status for p in running) == ["processing"] * 3
    again = Journal.open(journal_path, "me/echo")
    assert sorted(pending.id for pending in again.open_rows.values()) == sorted(
        p.id for p in running
    )
    again.close(complete=False)
    for prediction in running:
        client.predictions.cancel(prediction.id)
