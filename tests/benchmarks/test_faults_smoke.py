"""``benchmarks/faults.py`` in its short form, as CI runs it: 60 runs with a fifth of all
requests faulted, and none lost, wrong, duplicated or hung."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COUNTS = (
    "runs",
    "returned",
    "model errors",
    "lost",
    "wrong output",
    "duplicates",
    "hangs",
    "raised, no success",
    "faults",
)


def test_short_run_loses_nothing() -> None:
    pytest.importorskip("uvicorn")  # the emulator needs its extra
    command = [sys.executable, ROOT / "benchmarks" / "faults.py", "--runs", "60"]
    command += ["--rate", "0.2", "--concurrency", "8", "--deadline", "10", "--seed", "3"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)

    counts = {
        name: int(match.group(1))
        for name in COUNTS
        if (match := re.search(rf"^{re.escape(name)}\s+(\d+)", result.stdout, re.MULTILINE))
    }
    assert list(counts) == list(COUNTS), result.stdout + result.stderr
    assert counts["runs"] == 60
    assert counts["faults"] > 0
    bad = {name: counts[name] for name in ("lost", "wrong output", "duplicates", "hangs")}
    assert bad == dict.fromkeys(bad, 0), result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
