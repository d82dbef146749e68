"""``replicate batch``: rows from a file or a folder, on the emulator served on local sockets."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import replicate
from replicate.cli import main
from replicate.pagination import paginate_items
from replicate.testing import Emulator


async def echo(text: str, wait: float = 0.0) -> str:
    """Says ``text`` back after ``wait`` seconds; fails on the text ``bad``."""
    if wait:
        await asyncio.sleep(wait)
    if text == "bad":
        raise RuntimeError("bad text, on purpose")
    return f"echo {text}"


def add(a: int, b: int = 0) -> int:
    """Adds two integers."""
    return a + b


def size(image: Path, scale: int = 1) -> str:
    """The size of a file, times ``scale``."""
    return f"{image.stat().st_size * scale} bytes"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        emulator.register("me/echo", echo)
        emulator.register("me/add", add)
        emulator.register("me/size", size)
        yield emulator


def on(emu: Emulator, *args: str) -> list[str]:
    return ["--base-url", emu.base_url, "--token", emu.api_token, *args]


def results(path: Path) -> dict[object, dict[str, object]]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    by_key = {row["key"]: row for row in rows}
    assert len(by_key) == len(rows), "a key appears twice in the results"
    return by_key


def server_texts(emu: Emulator, prefix: str) -> list[str]:
    client = replicate.Client(api_token=emu.api_token, base_url=emu.base_url)
    return [
        text
        for prediction in paginate_items(client.predictions.list)
        if str(text := (prediction.input or {}).get("text", "")).startswith(prefix)
    ]


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_jsonl_rows_give_one_result_line_each(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write_jsonl(tmp_path / "rows.jsonl", [{"text": "Alice"}, {"text": "Bob"}])
    out = tmp_path / "results.jsonl"
    code = main(on(emu, "batch", "me/echo", "--input", str(rows), "--output", str(out)))
    assert code == 0
    found = results(out)
    assert {key: row["output"] for key, row in found.items()} == {1: "echo Alice", 2: "echo Bob"}
    assert all(row["status"] == "succeeded" and row["id"] for row in found.values())
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"2 succeeded, 0 failed; results in {out}" in captured.err


def test_csv_cells_are_typed_by_the_schema_and_keyed_by_a_column(
    emu: Emulator, tmp_path: Path
) -> None:
    rows = tmp_path / "sums.csv"
    rows.write_text("id,a\nfirst,1\nsecond,40\n")
    out = tmp_path / "results.jsonl"
    args = ["batch", "me/add", "-i", str(rows), "-o", str(out), "--key", "id", "b=2"]
    assert main(on(emu, *args)) == 0
    assert {key: row["output"] for key, row in results(out).items()} == {
        "first": 3,
        "second": 42,
    }


def test_a_folder_of_files_goes_to_one_file_input(emu: Emulator, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    (photos / "more").mkdir(parents=True)
    (photos / "cat.png").write_bytes(b"x" * 10)
    (photos / "more" / "dog.png").write_bytes(b"x" * 20)
    (photos / ".hidden").write_bytes(b"x")
    out = tmp_path / "results.jsonl"
    args = ["batch", "me/size", "--files", str(photos), "--as", "image", "scale=3", "-o", str(out)]
    assert main(on(emu, *args)) == 0
    assert {key: row["output"] for key, row in results(out).items()} == {
        "cat.png": "30 bytes",
        "more/dog.png": "60 bytes",
    }


def test_output_files_are_saved_and_their_paths_are_in_the_results(
    emu: Emulator, tmp_path: Path
) -> None:
    rows = write_jsonl(tmp_path / "rows.jsonl", [{"prompt": "a fox"}])
    out, files = tmp_path / "results.jsonl", tmp_path / "out"
    args = ["batch", "replicate/image", "-i", str(rows), "-o", str(out), "--output-dir", str(files)]
    assert main(on(emu, *args)) == 0
    assert results(out)[1]["output"] == [str(files / "1-out-0.png")]
    assert (files / "1-out-0.png").read_bytes().startswith(b"\x89PNG")


def test_failed_rows_exit_1_with_their_reasons_and_retry_failed_runs_only_them(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = write_jsonl(
        tmp_path / "rows.jsonl",
        [{"text": "retry-1"}, {"text": "bad"}, {"text": "retry-3"}, {"text": "bad"}],
    )
    out = tmp_path / "results.jsonl"
    args = ["batch", "me/echo", "-i", str(rows), "-o", str(out)]
    assert main(on(emu, *args)) == 1
    err = capsys.readouterr().err
    assert "2 succeeded, 2 failed" in err
    assert "2 failed: bad text, on purpose" in err
    first = results(out)
    assert [first[key]["status"] for key in (1, 2, 3, 4)] == [
        "succeeded",
        "failed",
        "succeeded",
        "failed",
    ]

    rows.write_text(rows.read_text().replace('"bad"', '"fixed"'))
    assert main(on(emu, *args, "--retry-failed")) == 0
    second = results(out)
    assert second[2]["output"] == "echo fixed"
    assert second[1]["id"] == first[1]["id"]  # not run again
    assert "2 succeeded, 0 failed, 2 done before" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give the rows as --input FILE"),
        (["--input", "rows.jsonl", "--files", "."], "give the rows as --input FILE"),
        (["--files", "."], "--files needs --as KEY"),
        (["--input", "missing.jsonl"], "--input missing.jsonl: no such file"),
        (["--input", "rows.jsonl", "--per-minute", "0"], "must be more than 0"),
        (["--input", "rows.jsonl", "nope=1"], "me/echo has no input 'nope'"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    emu: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "rows.jsonl", [{"text": "x"}])
    assert main(on(emu, "batch", "me/echo", "-o", "results.jsonl", *args)) == 2
    assert message in capsys.readouterr().err


def test_a_bad_line_stops_the_batch_with_its_number(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"text": "line-1"}\nnot json\n')
    assert main(on(emu, "batch", "me/echo", "-i", str(rows), "-o", str(tmp_path / "r"))) == 2
    assert "line 2 is not JSON" in capsys.readouterr().err


# -- as a user runs it: a subprocess, killed and interrupted ----------------------------------


def batch_process(emu: Emulator, cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLICATE_")}
    env.update(REPLICATE_BASE_URL=emu.base_url, REPLICATE_API_TOKEN=emu.api_token)
    return subprocess.Popen(
        [sys.executable, "-m", "replicate", "batch", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_killed_five_times_at_random_then_rerun_gives_each_row_once(
    emu: Emulator, tmp_path: Path
) -> None:
    count = 500
    write_jsonl(
        tmp_path / "rows.jsonl",
        [{"text": f"kill-{index}", "wait": 0.2} for index in range(1, count + 1)],
    )
    args = ["me/echo", "-i", "rows.jsonl", "-o", "results.jsonl", "--per-minute", "3000"]
    # seconds after start: the command takes about half a second to start, and 10 s in all to
    # create the 500 predictions, so that every kill comes before the batch is done
    moments = random.Random(12).sample([0.9 + 0.1 * step for step in range(16)], 5)
    cut_short = 0
    for moment in moments:
        process = batch_process(emu, tmp_path, *args)
        time.sleep(moment)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        cut_short += (tmp_path / "results.jsonl.journal").exists()
    assert cut_short >= 4  # kills came while rows were in flight
    process = batch_process(emu, tmp_path, *args)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    found = results(tmp_path / "results.jsonl")
    assert sorted(found) == list(range(1, count + 1))
    assert all(row["output"] == f"echo kill-{key}" for key, row in found.items())
    texts = server_texts(emu, "kill-")
    assert len(texts) == count
    assert len(set(texts)) == count  # no row was created twice
    assert not (tmp_path / "results.jsonl.journal").exists()


@pytest.mark.parametrize("detach", [False, True])
def test_ctrl_c_cancels_running_predictions_unless_detached_and_a_rerun_finishes(
    emu: Emulator, tmp_path: Path, detach: bool
) -> None:
    prefix = f"ctrl-c-{detach}-"
    write_jsonl(
        tmp_path / "rows.jsonl",
        [{"text": f"{prefix}{index}", "wait": 1.5} for index in range(1, 6)],
    )
    args = ["me/echo", "-i", "rows.jsonl", "-o", "results.jsonl", "--per-minute", "6000"]
    process = batch_process(emu, tmp_path, *args, *(["--detach"] if detach else []))
    deadline = time.monotonic() + 20
    while len(server_texts(emu, prefix)) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    client = replicate.Client(api_token=emu.api_token, base_url=emu.base_url)
    first = [
        p
        for p in paginate_items(client.predictions.list)
        if str(p.input.get("text")).startswith(prefix)
    ]
    if detach:
        assert "predictions left running" in err
        assert {p.status for p in first} <= {"starting", "processing", "succeeded"}
    else:
        assert "running predictions canceled" in err
        assert {p.status for p in first} == {"canceled"}

    process = batch_process(emu, tmp_path, *args)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert sorted(results(tmp_path / "results.jsonl")) == [1, 2, 3, 4, 5]
    # canceled rows are run again; detached ones are waited for, not created again
    assert len(server_texts(emu, prefix)) == (5 if detach else 10)


def test_rows_can_come_on_stdin(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    stdin = io.TextIOWrapper(io.BytesIO(b'{"text": "piped-1"}\n\n{"text": "piped-2"}\n'))
    monkeypatch.setattr(sys, "stdin", stdin)
    out = tmp_path / "results.jsonl"
    assert main(on(emu, "batch", "me/echo", "--input", "-", "--output", str(out))) == 0
    assert {key: row["output"] for key, row in results(out).items()} == {
        1: "echo piped-1",
        3: "echo piped-2",  # the line number, blank lines counted
    }


def test_the_progress_line_tells_done_failed_running_rate_and_time_left() -> None:
    from replicate.batch import BatchStats
    from replicate.cli._batch import _progress_line

    stats = BatchStats(per_minute=600, skipped=10, succeeded=25, failed=5, running=12)
    line = _progress_line(stats, total=100, elapsed=60.0)
    assert line == "40/100 done (5 failed), 12 running, 30/min, about 2 min 0 s left"
