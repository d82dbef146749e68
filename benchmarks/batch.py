"""Batch runs: time against the rate limit's bound, requests spent waiting, memory over a long
input.

The emulator serves from a child process (so that its work does not share this process's
interpreter), with a model ``bench/second`` that takes ``--model-seconds`` and an instant one.
This process runs ``Client.run_batch`` on it:

- pace: ``--rows`` rows at ``--per-minute``, the emulator's rate limits on with its create
  limit set to the same figure; the bound is the time the rate limit allows, ``rows /
  per_minute`` minutes, plus one model run. Prints the time taken over that bound (target: 1.10
  at most).
- wait requests: the list pages and single fetches that batch spent waiting, per prediction
  (target: 1.2 at most).
- memory: ``--long-rows`` rows of the instant model, read from a JSON Lines file as the batch
  goes, unpaced (a second emulator, without limits); prints the growth of this process's peak
  RSS (target: 50 MiB at most) and the rate of creates one process reached.

    python benchmarks/batch.py [--rows 5000] [--per-minute 6000] [--model-seconds 1]
                               [--long-rows 100000] [--smoke] [--only pace|memory] [--json]

``--smoke`` runs tiny counts in seconds and judges nothing. Otherwise it exits with status 1 if
a figure misses its target. ``--only`` runs one of the two parts; ``--json`` prints the figures
as one JSON object instead of the table (the rest goes to stderr): how ``scripts/bench``
(``benchmarks/compare.py``) runs it, in a fresh process per figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replicate.client import Client

TARGETS = {"pace": 1.10, "wait requests": 1.2, "rss growth MiB": 50.0}


def serve(per_minute: float | None, model_seconds: float) -> None:
    """The child: an emulator with the models (and the limits, given ``per_minute``), until
    stdin closes."""
    from replicate.testing import Emulator

    async def second(text: str) -> str:
        await asyncio.sleep(model_seconds)
        return text

    def instant(text: str) -> str:
        return text

    with Emulator(rate_limits=per_minute is not None, validate_requests=False) as emu:
        if per_minute is not None:
            emu.faults.create_limit = int(per_minute)
        emu.register("bench/second", second)
        emu.register("bench/instant", instant)
        print(emu.base_url, emu.api_token, flush=True)
        sys.stdin.read()


@contextlib.contextmanager
def served(per_minute: float | None, model_seconds: float) -> Iterator[Client]:
    """A client of an emulator served by a child process."""
    from replicate.client import Client

    limits = [] if per_minute is None else ["--per-minute", str(per_minute)]
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", *limits, "--model-seconds", str(model_seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        base_url, token = child.stdout.readline().split()
        with Client(api_token=token, base_url=base_url) as client:
            yield client
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_pace(args: argparse.Namespace, client: Client) -> dict[str, float]:
    in_flight = int(args.per_minute / 60 * (args.model_seconds + 2)) + 50
    rows = ({"text": f"pace-{index}"} for index in range(args.rows))
    started = time.monotonic()
    batch = client.run_batch(
        "bench/second", rows, per_minute=args.per_minute, concurrency=in_flight
    )
    done = sum(1 for result in batch if result.status == "succeeded")
    elapsed = time.monotonic() - started
    assert done == args.rows, f"{done} of {args.rows} rows succeeded"
    bound = args.rows / args.per_minute * 60 + args.model_seconds
    print(
        f"{args.rows} rows of a {args.model_seconds:g} s model at {args.per_minute:g}/min: "
        f"{elapsed:.1f} s (bound {bound:.1f} s); {batch.stats.wait_requests} wait requests, "
        f"{batch.stats.throttled} 429s"
    )
    return {"pace": elapsed / bound, "wait requests": batch.stats.wait_requests / args.rows}


def measure_memory(args: argparse.Namespace, client: Client) -> float:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.jsonl"
        with path.open("w") as file:
            for index in range(args.long_rows):
                file.write(json.dumps({"text": f"long-{index}"}) + "\n")
        before = rss_mib()
        started = time.monotonic()
        with path.open() as file:
            long_rows = (json.loads(line) for line in file)
            batch = client.run_batch("bench/instant", long_rows, per_minute=1e9)
            done = sum(1 for _ in batch)
        elapsed = time.monotonic() - started
        growth = rss_mib() - before
        print(
            f"{done} rows read as the batch went, unpaced: {done / elapsed * 60:.0f} a minute "
            f"(this process and the emulator's sharing the machine); peak RSS grew "
            f"{growth:.1f} MiB"
        )
    return growth


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/batch.py")
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--per-minute", type=float, default=None)
    parser.add_argument("--model-seconds", type=float, default=1.0)
    parser.add_argument("--long-rows", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", choices=("pace", "memory"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.per_minute, args.model_seconds)
        return 0
    if args.per_minute is None:
        args.per_minute = 6000.0
    if args.smoke:
        args.rows, args.long_rows = 200, 2000
    figures: dict[str, float] = {}
    # with --json, stdout holds the figures alone
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        if args.only in (None, "pace"):
            with served(args.per_minute, args.model_seconds) as client:
                figures.update(measure_pace(args, client))
        if args.only in (None, "memory"):
            with served(None, 0.0) as client:
                figures["rss growth MiB"] = measure_memory(args, client)
    if args.json:
        print(json.dumps(figures))
        return 0
    missed = []
    for name, value in figures.items():
        target = TARGETS[name]
        verdict = "" if args.smoke else ("ok" if value <= target else "MISSED")
        if verdict == "MISSED":
            missed.append(name)
        print(f"{name:16} {value:10.3f}   target <= {target:g}   {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    os.environ.pop("REPLICATE_API_TOKEN", None)
    sys.exit(main(sys.argv[1:]))
