"""``python benchmarks/batch.py --smoke`` keeps working: every figure is printed. No timing is
judged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_batch_benchmark_gives_every_figure() -> None:
    result = subprocess.run(
        [sys.executable, ROOT / "benchmarks" / "batch.py", "--smoke"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines() if "target <=" in line]
    assert names == ["pace", "wait", "rss"]


def test_json_gives_one_parts_figures_alone_on_stdout() -> None:
    # how scripts/bench runs it: one part per fresh process
    result = subprocess.run(
        [sys.executable, ROOT / "benchmarks" / "batch.py", "--smoke", "--only", "pace", "--json"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)) == {"pace", "wait requests"}
    assert "wait requests" in result.stderr  # the human line, out of the way
