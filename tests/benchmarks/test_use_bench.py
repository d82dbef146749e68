"""The ``use()`` rows of ``scripts/bench`` in smoke mode: ``use()`` and ``run()`` of the
emulator's ``replicate/hello-world`` in turn, through the bench's own server and probe, as a
full run measures them. No timing is judged; the requests per call are: a function's call
sends no more than ``run()`` does once the schema is known."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest


def test_a_use_call_sends_what_a_run_call_sends(
    benchmark_module: Callable[[str], ModuleType], tmp_path: Path
) -> None:
    pytest.importorskip("uvicorn")  # the bench's emulator server needs the extra
    compare = benchmark_module("compare")
    [measurement] = [m for m in compare.measurements(compare.SMOKE) if m.key == "use"]
    env = Path(sys.executable).parent.parent  # this interpreter's: the project and httpx
    contenders = [
        compare.Contender("httpx", "raw httpx", env, "httpx"),
        compare.Contender("this", "this client", env, "replicate"),
    ]
    failures: list[dict[str, str]] = []

    with compare.SERVERS["emulator"](compare.SMOKE) as server:
        parameters = measurement.parameters(server, compare.SMOKE)
        samples = compare.run_measurement(
            compare.Runner(tmp_path), measurement, contenders, parameters, False, failures
        )

    assert failures == []
    [result] = samples["this"]
    assert result["use requests"] == result["run requests"] == 1  # one POST with Prefer: wait
    assert result["use"] > 0 and result["run"] > 0
    assert "use()" in samples["httpx"]  # no floor, and the reason why
    rows = {row.key: compare.summarise(row, samples, 1) for row in measurement.rows}
    assert rows["use requests"]["clients"]["this"]["median"] == 0
    assert rows["use requests"]["clients"]["this"]["met"] is True
    assert rows["use"]["clients"]["this"]["median"] == result["ratio"]
    assert compare.check_complete({"rows": list(rows.values())}) == []
