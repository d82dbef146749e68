"""``scripts/bench --smoke`` keeps working: it runs, installs nothing, and every measurement
gives a figure for this client and raw httpx. No timing is judged."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# every row of docs/benchmarks.md, in its order
ROWS = [
    "import",
    "get",
    "get rss",
    "get api",
    "pages",
    "pages api",
    "run 0",
    "run 200",
    "long run",
    "long run polled",
    "use",
    "use requests",
    "events",
    "events async",
    "first event",
    "concurrent",
    "save",
    "save rss",
    "batch pace",
    "batch wait requests",
    "batch memory",
]
# no floor: raw httpx reads n/a (use() is judged against run(); batch runs have no floor)
NO_FLOOR = ["use", "use requests", "batch pace", "batch wait requests", "batch memory"]


def test_smoke_run_gives_every_figure(tmp_path: Path) -> None:
    pytest.importorskip("uvicorn")  # the servers need the emulator extra
    result = subprocess.run(
        [ROOT / "scripts" / "bench", "--smoke", "--out-dir", tmp_path],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["smoke"] is True
    assert [client["key"] for client in results["clients"]] == ["httpx", "this"]
    assert [row["key"] for row in results["rows"]] == ROWS
    for row in results["rows"]:
        assert row["clients"]["this"]["median"] >= 0, row["title"]
        if row["key"] in NO_FLOOR:
            assert row["clients"]["httpx"]["n/a"], row["title"]
        else:
            assert row["clients"]["httpx"]["median"] >= 0, row["title"]
        assert isinstance(row["clients"]["this"]["met"], bool)
    page = (tmp_path / "benchmarks.md").read_text()
    assert all(row["title"] in page for row in results["rows"])
    assert not (tmp_path / "benchmarks.png").exists()  # no matplotlib: nothing installed
