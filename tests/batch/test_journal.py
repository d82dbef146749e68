"""The journal: what a rerun finds after a crash at any moment, and how it is kept."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from replicate._journal import Journal, JournalMismatch, input_digest, journal_model

MODEL = "replicate/hello-world:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"


def row(key: object, status: str = "succeeded") -> dict[str, object]:
    return {"key": key, "id": f"p{key}", "status": status, "output": None, "error": None}


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_rerun_skips_finished_rows_and_takes_over_those_in_flight(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    journal = Journal.open(results, MODEL)
    journal.sent(1, input_digest({"text": "a"}))
    journal.created(1, "p1", "2026-03-01T12:00:00.1Z")
    journal.result(row(1))
    journal.sent(2, input_digest({"text": "b"}))
    journal.created(2, "p2", "2026-03-01T12:00:00.2Z")
    journal.sent("cat.png", input_digest({"text": "c"}))
    journal.sent(4, input_digest({"text": "d"}))
    journal.created(4, "p4", None)
    journal.canceled(4, "p4")
    # killed here: nothing closed, nothing flushed by hand

    again = Journal.open(results, MODEL)
    assert again.finished == {1}
    assert set(again.open_rows) == {2, "cat.png"}
    assert again.open_rows[2].id == "p2"
    assert again.open_rows["cat.png"].id is None
    assert again.open_rows["cat.png"].digest == input_digest({"text": "c"})
    again.close(complete=False)


def test_a_line_cut_by_a_crash_is_dropped_and_the_next_row_starts_clean(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text(json.dumps(row(1)) + "\n" + '{"key": 2, "id": "p2", "sta')
    journal = Journal.open(results, MODEL)
    assert journal.finished == {1}
    journal.result(row(2))
    journal.close(complete=True)
    assert [item["key"] for item in lines(results)] == [1, 2]


def test_retry_failed_takes_failed_rows_out_of_the_results(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    results.write_text(
        "".join(
            json.dumps(row(k, s)) + "\n"
            for k, s in [(1, "succeeded"), (2, "failed"), (3, "canceled")]
        )
    )
    journal = Journal.open(results, MODEL, retry_failed=True)
    assert journal.finished == {1}
    journal.close(complete=True)
    assert [item["key"] for item in lines(results)] == [1]


def test_a_results_file_of_another_model_is_refused(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    Journal.open(results, MODEL).close(complete=False)
    assert journal_model(results) == MODEL
    with pytest.raises(JournalMismatch, match="belongs to a batch of replicate/hello-world"):
        Journal.open(results, "acme/other")


def test_the_sidecar_goes_once_nothing_is_in_flight(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    journal = Journal.open(results, MODEL)
    journal.result(row(1))
    journal.close(complete=True)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["results.jsonl"]


def test_durable_returns_once_the_records_are_fsynced(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "results.jsonl", MODEL)

    async def main() -> int:
        flusher = asyncio.create_task(journal.flush_forever())
        await asyncio.sleep(0)
        for key in range(20):
            journal.sent(key, "d")
        await asyncio.gather(*(journal.durable() for _ in range(5)))
        flusher.cancel()
        return journal._synced

    assert asyncio.run(main()) == 20
    journal.close(complete=False)


def test_the_digest_is_that_of_the_json_sent_whatever_the_key_order() -> None:
    assert input_digest({"a": 1, "b": [1, 2]}) == input_digest({"b": [1, 2], "a": 1})
    assert input_digest({"a": 1}) != input_digest({"a": 2})
