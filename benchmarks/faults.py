"""Faults: many runs against an emulator that faults a share of all requests, and what became
of each run.

The emulator serves on 127.0.0.1 (on a thread of this process, so that its state can be
read at the end) with random faults on 5% of all API requests, of every kind it can inject:
429 with ``Retry-After``, 500/502/503/504, a connection dropped before the request is acted
on, one dropped after (a prediction created, its answer lost), slow answers, malformed JSON
bodies and cut event streams. Through one client, half the calls sync (on threads) and half
async, it makes ``--runs`` calls of the fast built-in models, each with an input of its own:
``run`` of ``replicate/hello-world`` (waiting, and ``wait=False``), ``run`` of the streaming
``replicate/language-model`` (``wait=False``), ``stream`` of it, and ``run`` of
``replicate/fails`` (which must raise ``ModelError``).

Then each call is matched to the predictions on the server made from its input, and counted:

- lost: the call raised, though its prediction succeeded on the server;
- wrong output: the call returned something other than its prediction's output (or returned
  for a prediction that failed);
- duplicates: predictions beyond the first for one call's input (or for no call's input);
- hangs: calls that took longer than ``--deadline`` (given to ``run`` as ``deadline=``) plus
  ``--margin``; they are abandoned there.

    python benchmarks/faults.py [--runs 2000] [--concurrency 32] [--seed 1] [--rate 0.05]
                                [--deadline 20] [--margin 5]

It prints the counts, the faults injected by kind and the wall time, and exits with status 1
if any run was lost, any output wrong, any prediction duplicated or any call hung.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import concurrent.futures
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from replicate.client import Client
from replicate.exceptions import ModelError
from replicate.testing import Emulator, FaultRecord

ENDED = ("succeeded", "failed", "canceled", "aborted")
TOKENS = 8  # of the language model, per call
TOKENS_PER_SECOND = 400.0  # so that a stream is still going when the first events are read


@dataclass(frozen=True)
class Kind:
    """A kind of call: the model, how it is called, and the input made unique per call."""

    name: str
    model: str
    input_name: str  # the input made unique per call
    weight: int
    options: dict[str, Any] = field(default_factory=dict)  # of run
    streams: bool = False  # client.stream rather than client.run


LANGUAGE = {"max_tokens": TOKENS}
KINDS = (
    Kind("run hello", "replicate/hello-world", "text", 35),
    Kind("run hello wait=False", "replicate/hello-world", "text", 15, {"wait": False}),
    Kind("run language wait=False", "replicate/language-model", "prompt", 20, {"wait": False}),
    Kind("stream language", "replicate/language-model", "prompt", 25, streams=True),
    Kind("run fails", "replicate/fails", "text", 5),  # must raise ModelError
)


@dataclass
class Call:
    index: int
    kind: Kind
    sync: bool
    key: str  # the unique input value: how its prediction is found on the server
    output: Any = None
    error: BaseException | None = None
    hung: bool = False
    elapsed: float = 0.0

    @property
    def input(self) -> dict[str, Any]:
        extra = LANGUAGE if self.kind.model == "replicate/language-model" else {}
        return {self.kind.input_name: self.key, **extra}

    @property
    def label(self) -> str:
        return f"{self.kind.name} ({'sync' if self.sync else 'async'})"


def plan(runs: int, seed: int) -> list[Call]:
    """The calls, in order: kinds drawn by weight, sync and async alternating."""
    rng = random.Random(seed)
    kinds = rng.choices(KINDS, weights=[kind.weight for kind in KINDS], k=runs)
    return [
        Call(index, kind, sync=index % 2 == 0, key=f"call {index} seed {seed}")
        for index, kind in enumerate(kinds)
    ]


# --- making the calls --------------------------------------------------------------------------


def call_sync(client: Client, call: Call, deadline: float) -> Any:
    kind = call.kind
    if kind.streams:
        events = client.stream(kind.model, input=call.input)
        return [str(event) for event in events if event.event == "output"]
    output = client.run(kind.model, input=call.input, deadline=deadline, **kind.options)
    return output if isinstance(output, str) else list(output)


async def call_async(client: Client, call: Call, deadline: float) -> Any:
    kind = call.kind
    if kind.streams:
        events = await client.async_stream(kind.model, input=call.input)
        return [str(event) async for event in events if event.event == "output"]
    output = await client.async_run(kind.model, input=call.input, deadline=deadline, **kind.options)
    return output if isinstance(output, str) else list(output)


async def make_calls(
    client: Client, calls: Sequence[Call], concurrency: int, deadline: float, margin: float
) -> list[concurrent.futures.Future[Any]]:
    """Make every call, ``concurrency`` at a time; returns the sync calls still running."""
    gate = asyncio.Semaphore(concurrency)
    threads = concurrent.futures.ThreadPoolExecutor(concurrency, thread_name_prefix="call")
    abandoned: list[concurrent.futures.Future[Any]] = []

    async def one(call: Call) -> None:
        async with gate:
            started = time.monotonic()
            sync: concurrent.futures.Future[Any] | None = None
            try:
                if call.sync:
                    sync = threads.submit(call_sync, client, call, deadline)
                    work = asyncio.wrap_future(sync)
                else:
                    work = asyncio.ensure_future(call_async(client, call, deadline))
                call.output = await asyncio.wait_for(work, deadline + margin)
            except TimeoutError:
                if time.monotonic() - started < deadline + margin:
                    raise  # the call's own TimeoutError (DeadlineExceededError is one)
                call.hung = True
                if sync is not None:
                    abandoned.append(sync)
            finally:
                call.elapsed = time.monotonic() - started

    async def guarded(call: Call) -> None:
        try:
            await one(call)
        except Exception as error:
            call.error = error

    try:
        await asyncio.gather(*(guarded(call) for call in calls))
    finally:
        threads.shutdown(wait=not abandoned, cancel_futures=True)
    return abandoned


# --- judging them -----------------------------------------------------------------------------


@dataclass
class Counts:
    runs: int = 0
    returned: int = 0  # succeeded on the server, and the call returned its output
    model_errors: int = 0  # failed on the server, and the call raised ModelError
    lost: int = 0
    wrong: int = 0
    duplicates: int = 0
    hangs: int = 0
    raised_unsucceeded: int = 0  # raised, and no prediction of the call succeeded
    deadline_exceeded: int = 0
    lost_causes: collections.Counter[str] = field(default_factory=collections.Counter)
    failures: list[str] = field(default_factory=list)  # one line per lost/wrong/hung call
    raised: list[str] = field(default_factory=list)  # one line per other call that raised

    @property
    def bad(self) -> int:
        return self.lost + self.wrong + self.duplicates + self.hangs


def server_predictions(emu: Emulator, timeout: float = 10.0) -> dict[str, list[dict[str, Any]]]:
    """The predictions on the server (once all have ended), by their unique input value."""
    store = emu.app.store
    give_up = time.monotonic() + timeout
    while True:
        with store.lock:
            fields = [dict(run.fields) for run in store.predictions.values()]
        if all(f["status"] in ENDED for f in fields) or time.monotonic() > give_up:
            break
        time.sleep(0.05)
    found: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for f in fields:
        inputs = f["input"]
        found[str(inputs.get("text", inputs.get("prompt", "")))].append(f)
    return found


def expected(prediction: dict[str, Any]) -> Any:
    """A prediction's output as a call gives it (a token list joined)."""
    output = prediction["output"]
    return "".join(output) if isinstance(output, list) else output


def judge(
    calls: Sequence[Call], found: dict[str, list[dict[str, Any]]], history: Sequence[FaultRecord]
) -> Counts:
    counts = Counts(runs=len(calls))
    keys = {call.key for call in calls}
    # Beyond the first prediction of a call's input; all of those of no call's input.
    counts.duplicates = sum(
        len(predictions) - (key in keys) for key, predictions in found.items() if predictions
    )
    for call in calls:
        predictions = found.get(call.key, [])
        statuses = [p["status"] for p in predictions]
        succeeded = [p for p in predictions if p["status"] == "succeeded"]
        if call.hung:
            counts.hangs += 1
            counts.failures.append(f"hung    {call.label}: {call.elapsed:.1f} s, {statuses}")
        elif call.error is not None:
            if isinstance(call.error, TimeoutError):
                counts.deadline_exceeded += 1
            if succeeded:
                counts.lost += 1
                where = faulted(history, predictions)
                faults = f"faults on its URLs: {where or 'none (so on its create)'}"
                counts.failures.append(f"lost    {call.label}: {describe(call.error)}; {faults}")
                step = "after its create" if where else "on its create"
                counts.lost_causes[f"{type(call.error).__name__} {step}"] += 1
            elif isinstance(call.error, ModelError) and "failed" in statuses:
                counts.model_errors += 1
            else:
                counts.raised_unsucceeded += 1
                counts.raised.append(f"raised  {call.label}: {describe(call.error)}; {statuses}")
        else:
            got = "".join(call.output) if isinstance(call.output, list) else call.output
            if not succeeded or got != expected(succeeded[0]):
                counts.wrong += 1
                want = expected(succeeded[0]) if succeeded else statuses
                counts.failures.append(f"wrong   {call.label}: {got!r}, expected {want!r}")
            else:
                counts.returned += 1
    return counts


def describe(error: BaseException) -> str:
    text = str(error).replace("\n", " ")
    return f"{type(error).__name__}: {text[:100]}"


def faulted(history: Sequence[FaultRecord], predictions: Sequence[dict[str, Any]]) -> str:
    """The faults recorded on a prediction's own URLs ("": none, so the create's, unseen)."""
    names = []
    for record in history:
        for prediction in predictions:
            if f"/{prediction['id']}" in record.path:
                route = record.path.replace(prediction["id"], "{id}").removeprefix("/v1")
                names.append(f"{record.method} {route} {name(record)}")
    return ", ".join(names)


def name(record: FaultRecord) -> str:
    """A fault's kind as ``Faults.randomize`` names it."""
    if record.kind == "status":
        return str(record.status) if record.status == 429 else f"5xx ({record.status})"
    return record.kind


def fault_kinds(history: Sequence[FaultRecord]) -> collections.Counter[str]:
    """Faults injected, by kind."""
    return collections.Counter(name(record).split(" ")[0] for record in history)


# --- the command -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000, help="calls to make (default 2000)")
    parser.add_argument("--concurrency", type=int, default=32, help="calls at once (default 32)")
    parser.add_argument("--seed", type=int, default=1, help="of the faults and the calls' mix")
    parser.add_argument("--rate", type=float, default=0.05, help="share of requests faulted")
    parser.add_argument(
        "--deadline", type=float, default=20.0, help="seconds: each run's deadline= (default 20)"
    )
    parser.add_argument(
        "--margin", type=float, default=5.0, help="seconds past the deadline that make a hang"
    )
    parser.add_argument(
        "--failures", type=int, default=20, help="lost, wrong or hung calls to list (default 20)"
    )
    args = parser.parse_args(argv)

    calls = plan(args.runs, args.seed)
    emu = Emulator(validate_requests=False, tokens_per_second=TOKENS_PER_SECOND).start()
    client = Client(api_token=emu.api_token, base_url=emu.base_url)
    try:
        client.run("replicate/hello-world", input={"text": "warm up"})  # before any fault
        emu.faults.randomize(rate=args.rate, seed=args.seed)
        started = time.monotonic()
        abandoned = asyncio.run(
            make_calls(client, calls, args.concurrency, args.deadline, args.margin)
        )
        wall = time.monotonic() - started
        history = list(emu.faults.history)
        emu.faults.clear()
        found = server_predictions(emu)
        found.pop("warm up", None)
    finally:
        client.close()
        emu.stop()  # drops any connection a hung call still holds

    counts = judge(calls, found, history)
    report(counts, history, wall, args)
    status = 1 if counts.bad else 0
    if abandoned:
        sys.stdout.flush()
        os._exit(status)  # a hung thread would hold the interpreter's exit
    return status


def report(
    counts: Counts, history: Sequence[FaultRecord], wall: float, args: argparse.Namespace
) -> None:
    def line(name: str, value: object, note: str = "") -> None:
        print(f"{name:<20}{value!s:>8}  {note}".rstrip())

    print(
        f"{args.runs} runs against the emulator, {args.rate:.0%} of requests faulted "
        f"(seed {args.seed}, {args.concurrency} at once)"
    )
    line("runs", counts.runs)
    line("returned", counts.returned, "prediction succeeded, its output returned")
    line("model errors", counts.model_errors, "prediction failed, ModelError raised")
    line("lost", counts.lost, "prediction succeeded, the call raised")
    for cause, count in counts.lost_causes.most_common():
        line("", count, cause)
    line("wrong output", counts.wrong)
    line("duplicates", counts.duplicates, "predictions beyond one per call")
    line("hangs", counts.hangs, f"calls over their deadline + {args.margin:g} s")
    line("raised, no success", counts.raised_unsucceeded, "no prediction of the call succeeded")
    line("deadline exceeded", counts.deadline_exceeded)
    kinds = fault_kinds(history)
    by_kind = ", ".join(f"{name} {count}" for name, count in sorted(kinds.items()))
    line("faults", sum(kinds.values()), by_kind)
    line("wall time", f"{wall:.1f} s")
    for lines in (counts.failures, counts.raised):
        for failure in lines[: args.failures]:
            print(f"  {failure}")
        if len(lines) > args.failures:
            print(f"  ... and {len(lines) - args.failures} more")


if __name__ == "__main__":
    sys.exit(main())
