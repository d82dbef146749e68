"""The plan of ``scripts/bench`` hangs together: every measurement has a harness in the probe,
and the rows with no official-client equivalent say why, without importing those clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


@pytest.fixture(scope="module")
def modules(benchmark_module: Callable[[str], ModuleType]) -> tuple[Any, Any]:
    return benchmark_module("compare"), benchmark_module("_compare_probe")


def test_every_measurement_has_a_harness(modules: tuple[Any, Any]) -> None:
    compare, probe = modules
    for plan in (compare.Plan(), compare.SMOKE):
        for measurement in compare.measurements(plan):
            if measurement.probe not in ("import", "batch"):  # run by compare.py itself
                assert measurement.probe in probe.MEASUREMENTS, measurement.probe


def test_new_rows_and_targets(modules: tuple[Any, Any]) -> None:
    compare, _ = modules
    rows = {row.key: row for m in compare.measurements(compare.Plan()) for row in m.rows}
    expected = {"get": 1.05, "get api": 1.05, "pages": 1.5, "pages api": 1.5}
    expected.update({"events": 3, "events async": 3, "long run polled": 1.1})
    for key, limit in expected.items():
        assert (rows[key].target.kind, rows[key].target.limit) == ("ratio", limit), key


def test_batch_rows_take_the_batch_benchmarks_targets(modules: tuple[Any, Any]) -> None:
    compare, _ = modules
    rows = {row.key: row for m in compare.measurements(compare.Plan()) for row in m.rows}
    expected = {"batch pace": 1.10, "batch wait requests": 1.2, "batch memory": 50.0}
    for key, limit in expected.items():
        assert (rows[key].target.kind, rows[key].target.limit) == ("value", limit), key


def test_use_rows_judge_use_against_run(modules: tuple[Any, Any]) -> None:
    compare, _ = modules
    rows = {row.key: row for m in compare.measurements(compare.Plan()) for row in m.rows}
    assert (rows["use"].target.kind, rows["use"].target.limit) == ("value", 1.05)
    assert rows["use"].value({"ratio": 1.02}) == 1.02
    requests = rows["use requests"]
    assert (requests.target.kind, requests.target.limit) == ("value", 0)
    assert requests.value({"use requests": 1.0, "run requests": 1.0}) == 0
    assert requests.target.met(2.0 - 1.0, None, None) is False  # one request more a call


def test_batch_rows_are_this_clients_alone(modules: tuple[Any, Any]) -> None:
    compare, _ = modules
    runner = compare.Runner(Path("."))
    for measurement in compare.measurements(compare.SMOKE):
        if measurement.probe != "batch":
            continue
        for key in ("httpx", "v1", "v2"):
            contender = compare.Contender(key, key, Path("."), "replicate")
            reason = compare.one(runner, measurement, contender, {})["n/a"]
            assert reason and "\n" not in reason


def test_a_row_without_a_floor_is_judged_on_its_value(modules: tuple[Any, Any]) -> None:
    compare, _ = modules
    [row] = [
        r for m in compare.measurements(compare.SMOKE) for r in m.rows if r.key == "batch memory"
    ]
    samples = {"httpx": "no floor", "this": [{"rss growth MiB": 30.0}, {"rss growth MiB": 60.0}]}
    summary = compare.summarise(row, samples, 2)
    assert summary["floor"] is False
    assert summary["clients"]["this"]["median"] == 45.0
    assert summary["clients"]["this"]["met"] is True
    assert compare.check_complete({"rows": [summary]}) == []


@pytest.mark.parametrize(
    ("client", "measurement"),
    [
        ("v1", "get_api"),
        ("v2", "get_api"),
        ("v1", "pages_api"),
        ("v2", "pages_api"),
        ("v2", "events"),
        ("v2", "events_async"),
        ("httpx", "use"),
    ],
)
def test_clients_not_measured_say_why(
    modules: tuple[Any, Any],
    client: str,
    measurement: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, probe = modules
    probe.main(client, measurement, "{}")  # returns before importing any client
    reason = json.loads(capsys.readouterr().out)["n/a"]
    assert reason and "\n" not in reason


def test_rows_measured_again_by_two_runs_each_name_their_own(
    benchmark_module: Callable[[str], ModuleType],
) -> None:
    _compare_page = benchmark_module("_compare_page")
    first = {"command": "scripts/bench --only long run", "date": "D1", "commit": "aaa"}
    second = {"command": "scripts/bench --only batch pace", "date": "D2", "commit": "bbb"}
    figure = {"median": 1.0, "values": [1.0], "met": True}
    rows = [
        {"title": title, "unit": "ms", "target": {"text": "<= 2"}, "repetitions": 1}
        | {"clients": {"this": figure}}
        | measured
        for title, measured in (
            ("full", {}),
            ("long", {"measured": first}),
            ("batch", {"measured": second}),
        )
    ]
    results = {"rows": rows, "clients": [{"key": "this", "label": "this client"}]}
    assert _compare_page.remeasured(results) == {
        tuple(first.values()): "†",
        tuple(second.values()): "‡",
    }
    titles = [line.split(" | ")[0] for line in _compare_page.table(results).splitlines()[2:]]
    assert titles == ["| full", "| long †", "| batch ‡"]
