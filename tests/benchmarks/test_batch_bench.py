"""``python benchmarks/batch.py --smoke`` keeps working: every figure is printed. No timing is
judged."""

from __future__ import annotations

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
