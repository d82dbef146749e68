"""Benchmarks against the official clients: one command, one page.

This client, the official ``replicate`` 1.0.7 and 2.0.0b4, and raw httpx (the floor), all
against the same local servers over loopback (``_compare_servers``). Writes
``docs/benchmarks.md`` and ``docs/benchmarks.png``, both made from the results file.

    scripts/bench                 # the full comparison, about 10 minutes
    scripts/bench --smoke         # seconds: this client and raw httpx, tiny counts
    scripts/bench --from-results .bench/results.json   # the page and chart again
    scripts/bench --only "long run,long run polled"    # these rows again, onto the last run

The page names the commit measured, so writing it into docs/ from a tree with uncommitted
changes (``git status --porcelain`` not empty) is refused, before measuring, unless given
``--allow-dirty`` (the page then says "with uncommitted changes").

How:

- The official clients are installed into scratch environments (``.bench/venvs/``), never
  project dependencies; this client runs in one linking only its core dependencies from
  ``.venv`` (``_compare_envs`` says why).
- Each measurement runs in a fresh process (``_compare_probe.py``, with that environment's
  interpreter), after a warm-up: a discarded first round, and a warm-up inside each process.
- The clients run interleaved, their order rotated every repetition; each client's ratio to
  the floor is taken per repetition, and the page gives medians.
- ``--smoke`` (for CI) installs nothing, runs this client and raw httpx with tiny counts,
  writes to a temporary folder (or ``--out-dir``) and fails only if a figure is missing:
  it never judges a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _compare_envs as envs
import _compare_page
import _compare_servers as servers
import batch
import facade
import file_output
import run_latency

ROOT = Path(__file__).resolve().parent.parent
PROBE = Path(__file__).resolve().parent / "_compare_probe.py"
BATCH = Path(__file__).resolve().parent / "batch.py"
CHART = Path(__file__).resolve().parent / "_compare_chart.py"
CACHE = ROOT / ".bench"
OFFICIAL = ("1.0.7", "2.0.0b4")
MATPLOTLIB = "matplotlib"
MIB = file_output.MIB
UNREACHABLE_API = "http://127.0.0.1:9/v1"  # the file test's clients never call the API


# -- who runs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    key: str  # the probe's CLIENT
    label: str
    env: Path
    module: str  # what `python -c "import ..."` imports

    @property
    def python(self) -> Path:
        return envs.python(self.env)


# -- what is measured ------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """This client's target: on its ratio to the floor, on its value, or on its value over
    the floor's."""

    kind: str  # "ratio", "value" or "over floor"
    limit: float
    at_least: bool = False  # a lower bound (throughput) rather than an upper one

    @property
    def text(self) -> str:
        sign = ">=" if self.at_least else "<="
        if self.kind == "ratio":
            return f"{sign} {self.limit:g}x"
        if self.kind == "over floor":
            return f"{sign} floor + {self.limit:g}"
        return f"{sign} {self.limit:g}"

    def met(self, median: float, ratio: float | None, floor: float | None) -> bool:
        """(``ratio`` and ``floor`` are None in a row with no floor: its target is a value.)"""
        if self.kind == "value":
            figure = median
        else:
            assert ratio is not None and floor is not None, "a target on the floor, without one"
            figure = ratio if self.kind == "ratio" else median - floor
        return figure >= self.limit if self.at_least else figure <= self.limit


@dataclass(frozen=True)
class Row:
    key: str
    title: str
    unit: str
    value: Callable[[dict[str, Any]], float]  # from one probe result, in ``unit``
    target: Target
    higher_is_better: bool = False
    chart: bool = True  # growth of a few MiB over a floor of almost none: no useful ratio


Parameters = Callable[[Any, "Plan"], dict[str, Any]]  # (the server, the plan): the probe's


@dataclass(frozen=True)
class Measurement:
    key: str
    probe: str  # the probe's MEASUREMENT ("import": timed here, not by the probe)
    server: str | None  # a key of SERVERS
    repetitions: int
    parameters: Parameters
    rows: tuple[Row, ...]
    # None: every client is measured, raw httpx as the floor. Otherwise this client alone
    # (raw httpx and the official clients read n/a, each for the reason given); its rows'
    # targets are values, and it runs without the warm-up round
    alone: dict[str, str] | None = None


# the batch rows: Client.run_batch, which neither the official clients nor raw httpx have
BATCH_ALONE = {
    "httpx": (
        "no floor: a batch's figures are judged against the rate limit's bound and absolute "
        "limits, not against raw httpx"
    ),
    **dict.fromkeys(
        ("v1", "v2"), "no batch runs: the official clients have no equivalent of run_batch"
    ),
}


@dataclass(frozen=True)
class Plan:
    """Counts and repetitions: the full run's, or the smoke test's."""

    smoke: bool = False
    gets: int = 2000
    get_warmup: int = facade.WARMUP_GETS
    listed: int = 5000
    events: int = 20000
    concurrency: int = 500
    file_mib: int = 1024
    file_repeat: int = 2  # downloads per process: the best counts
    short_runs: int = 10  # run() of the 0 and 200 ms models, per process
    # 1.5 s and on: a fixed polling period would otherwise always meet the end at one phase
    long_durations: tuple[float, ...] = run_latency.DURATIONS
    first_events: int = 5
    # use() beside run(): calls of each per process, after untimed ones (the first: the schema)
    use_calls: int = 200
    use_warmup: int = 5
    # benchmarks/batch.py's counts: 5000 rows of a 1 s model at 6000 creates a minute (the
    # emulator's create limit set to the same), then a 100,000-row input of an instant model
    batch_rows: int = 5000
    batch_per_minute: float = 6000.0
    batch_model_seconds: float = 1.0
    batch_long_rows: int = 100_000
    warmup_round: bool = True
    repetitions: dict[str, int] = field(
        default_factory=lambda: {
            "import": 20,
            "get": 10,
            "get api": 10,
            "pages": 10,
            "pages api": 10,
            "events": 10,
            "events async": 10,
            "run": 5,
            "long run": 3,
            "long run polled": 3,
            "use": 5,
            "first event": 5,
            "concurrent": 5,
            "save": 5,
            # about a minute and seven minutes a run: one each
            "batch pace": 1,
            "batch memory": 1,
        }
    )


SMOKE = Plan(
    smoke=True,
    gets=50,
    get_warmup=10,
    listed=300,
    events=500,
    concurrency=20,
    file_mib=8,
    file_repeat=1,
    short_runs=2,
    long_durations=(1.1,),
    first_events=1,
    use_calls=5,
    use_warmup=1,
    batch_rows=100,
    batch_long_rows=500,
    warmup_round=False,
    repetitions=dict.fromkeys(Plan().repetitions, 1),
)


def ms(key: str) -> Callable[[dict[str, Any]], float]:
    return lambda result: result[key] * 1000


def measurements(plan: Plan) -> list[Measurement]:
    reps = plan.repetitions
    slow = "replicate/slow"
    file_size = servers.size_text(plan.file_mib * MIB)
    long = ", ".join(f"{seconds:g}" for seconds in plan.long_durations)
    excess = Target("value", 20)  # ms, "where a stream URL exists"
    # Without a stream URL the client polls (50, 100, 200, 400 ms, then every 0.5 s) and so
    # does the floor: the target is that the client adds nothing to what polling costs.
    polled = Target("ratio", 1.1)
    hello = "replicate/hello-world"  # the emulator's, a model that answers at once

    def api(server: servers.Server) -> dict[str, Any]:
        return {"base_url": server.base_url, "token": server.token}

    def gets(server: servers.Server, plan: Plan) -> dict[str, Any]:
        return {
            **api(server),
            "prediction_id": facade.canned_prediction(server.base_url, 0)["id"],
            "count": plan.gets,
            "warmup": plan.get_warmup,
        }

    def pages(server: servers.Server, plan: Plan) -> dict[str, Any]:
        return {**api(server), "count": plan.listed}

    def streams(server: servers.Server, plan: Plan) -> dict[str, Any]:
        return {**api(server), "model": "bench/events", "count": plan.events}

    listed = f"{plan.listed} predictions over {plan.listed // facade.PAGE_SIZE} pages"
    generated = "`replicate_api` direct"

    def runs(durations: tuple[float, ...], wait: int | None, model: str = slow) -> Parameters:
        return lambda server, plan: {
            **api(server),
            "model": model,
            "durations": list(durations),
            "wait": wait,
        }

    def batch_run(part: str) -> Parameters:
        """benchmarks/batch.py's arguments, for one of its parts."""
        return lambda server, plan: {
            "only": part,
            "rows": plan.batch_rows,
            "per-minute": plan.batch_per_minute,
            "model-seconds": plan.batch_model_seconds,
            "long-rows": plan.batch_long_rows,
        }

    return [
        Measurement(
            "import",
            "import",
            None,
            reps["import"],
            lambda server, plan: {},
            rows=(
                Row(
                    "import",
                    "`import replicate` (vs `import httpx`)",
                    "ms",
                    ms("seconds"),
                    Target("ratio", 1.3),
                ),
            ),
        ),
        Measurement(
            "get",
            "get",
            "canned",
            reps["get"],
            gets,
            rows=(
                Row(
                    "get",
                    f"{plan.gets} sequential `predictions.get`",
                    "ms",
                    ms("seconds"),
                    Target("ratio", 1.05),
                ),
                Row(
                    "get rss",
                    "peak RSS of the get process",
                    "MiB",
                    lambda result: result["peak_rss_kib"] / 1024,
                    Target("ratio", 1.1),
                ),
            ),
        ),
        Measurement(
            "get api",
            "get_api",
            "canned",
            reps["get api"],
            gets,  # the same count and warm-up as the facade's
            rows=(
                Row(
                    "get api",
                    f"{plan.gets} sequential `predictions.get`, {generated}",
                    "ms",
                    ms("seconds"),
                    Target("ratio", 1.05),
                ),
            ),
        ),
        Measurement(
            "pages",
            "pages",
            "canned",
            reps["pages"],
            pages,
            rows=(Row("pages", listed, "ms", ms("seconds"), Target("ratio", 1.5)),),
        ),
        Measurement(
            "pages api",
            "pages_api",
            "canned",
            reps["pages api"],
            pages,
            rows=(
                Row(
                    "pages api",
                    f"{listed}, {generated}",
                    "ms",
                    ms("seconds"),
                    Target("ratio", 1.5),
                ),
            ),
        ),
        Measurement(
            "run 0",
            "run",
            "emulator",
            reps["run"],
            runs((0,) * plan.short_runs, None),
            rows=(
                Row("run 0", "`run()` excess, 0 s model, default wait", "ms", ms("median"), excess),
            ),
        ),
        Measurement(
            "run 200",
            "run",
            "emulator",
            reps["run"],
            runs((0.2,) * plan.short_runs, None),
            rows=(
                Row(
                    "run 200",
                    "`run()` excess, 200 ms model, default wait",
                    "ms",
                    ms("median"),
                    excess,
                ),
            ),
        ),
        Measurement(
            "long run",
            "run",
            "emulator",
            reps["long run"],
            runs(plan.long_durations, 1, servers.SLOW_STREAMING_MODEL),
            rows=(
                Row(
                    "long run",
                    f"`run(wait=1)` excess, {long} s model with a stream URL",
                    "ms",
                    ms("median"),
                    excess,
                ),
            ),
        ),
        Measurement(
            "long run polled",
            "run",
            "emulator",
            reps["long run polled"],
            runs(plan.long_durations, 1),
            rows=(
                Row(
                    "long run polled",
                    f"`run(wait=1)` excess, {long} s model without one (polled)",
                    "ms",
                    ms("median"),
                    polled,
                ),
            ),
        ),
        Measurement(
            "use",
            "use",
            "emulator",
            reps["use"],
            lambda server, plan: {
                **api(server),
                "model": hello,
                "count": plan.use_calls,
                "warmup": plan.use_warmup,
            },
            rows=(
                # each client against its own run(): no floor, no ratio to raw httpx
                Row(
                    "use",
                    f"`use()` call over `run()`, same model, {plan.use_calls} calls of each "
                    "in turn",
                    "x run()",
                    lambda result: result["ratio"],
                    Target("value", 1.05),
                    chart=False,
                ),
                Row(
                    "use requests",
                    "`use()`: requests per call beyond `run()`'s",
                    "requests",
                    lambda result: result["use requests"] - result["run requests"],
                    Target("value", 0),
                    chart=False,
                ),
            ),
        ),
        Measurement(
            "events",
            "events",
            "events",
            reps["events"],
            streams,
            rows=(
                Row(
                    "events",
                    f"SSE: {plan.events} output events",
                    "ms",
                    ms("seconds"),
                    Target("ratio", 3),
                ),
            ),
        ),
        Measurement(
            "events async",
            "events_async",
            "events",
            reps["events async"],
            streams,
            rows=(
                Row(
                    "events async",
                    f"SSE: {plan.events} output events, async",
                    "ms",
                    ms("seconds"),
                    Target("ratio", 3),
                ),
            ),
        ),
        Measurement(
            "first event",
            "first_event",
            "emulator",
            reps["first event"],
            lambda server, plan: {
                **api(server),
                "model": servers.TOKENS_MODEL,
                "input": {"count": 8, "interval": 0.01},
                "samples": plan.first_events,
            },
            rows=(
                Row(
                    "first event",
                    "SSE: `stream()` to the first event",
                    "ms",
                    ms("median"),
                    # stream.py's target: the first event within 5 ms of its arrival
                    Target("over floor", 5),
                ),
            ),
        ),
        Measurement(
            "concurrent",
            "concurrent",
            "emulator",
            reps["concurrent"],
            lambda server, plan: {
                **api(server),
                "model": slow,
                "count": plan.concurrency,
                "seconds": 0.2,
            },
            rows=(
                Row(
                    "concurrent",
                    f"{plan.concurrency} concurrent async `run()`, 200 ms model",
                    "ms",
                    ms("seconds"),
                    Target("ratio", 0.75),
                ),
            ),
        ),
        Measurement(
            "save",
            "save",
            "files",
            reps["save"],
            lambda server, plan: {
                "base_url": UNREACHABLE_API,
                "token": "r8_benchmark_token",
                "url": f"{server.origin}/big",
                "warmup_url": f"{server.origin}/warm-up",
                "path": "download.bin",  # in the probe's working folder, a scratch one
                "size": plan.file_mib * MIB,
                "repeat": plan.file_repeat,
            },
            rows=(
                Row(
                    "save",
                    f"{file_size} file output saved to disk",
                    "MiB/s",
                    lambda result: result["bytes"] / MIB / result["seconds"],
                    Target("ratio", 0.9, at_least=True),
                    higher_is_better=True,
                ),
                Row(
                    "save rss",
                    f"peak RSS growth while saving {file_size}",
                    "MiB",
                    lambda result: result["growth"] / MIB,
                    Target("value", 32),
                    chart=False,
                ),
            ),
        ),
        Measurement(
            "batch pace",
            "batch",
            None,  # batch.py serves its own emulator, its rate limits on
            reps["batch pace"],
            batch_run("pace"),
            rows=(
                Row(
                    "batch pace",
                    f"`run_batch`: {plan.batch_rows} rows of a {plan.batch_model_seconds:g} s "
                    f"model at {plan.batch_per_minute:g} creates/min, time over the rate "
                    "limit's bound",
                    "x bound",
                    lambda result: result["pace"],
                    Target("value", batch.TARGETS["pace"]),
                    chart=False,
                ),
                Row(
                    "batch wait requests",
                    "`run_batch`: requests spent waiting, per prediction",
                    "requests",
                    lambda result: result["wait requests"],
                    Target("value", batch.TARGETS["wait requests"]),
                    chart=False,
                ),
            ),
            alone=BATCH_ALONE,
        ),
        Measurement(
            "batch memory",
            "batch",
            None,
            reps["batch memory"],
            batch_run("memory"),
            rows=(
                Row(
                    "batch memory",
                    f"`run_batch`: peak RSS growth over a {plan.batch_long_rows:,}-row input",
                    "MiB",
                    lambda result: result["rss growth MiB"],
                    Target("value", batch.TARGETS["rss growth MiB"]),
                    chart=False,
                ),
            ),
            alone=BATCH_ALONE,
        ),
    ]


# -- running ---------------------------------------------------------------------------------


def probe_env() -> dict[str, str]:
    """The environment of every child: nothing of the user's Replicate settings or paths."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("REPLICATE_") and name not in ("PYTHONPATH", "PYTHONHOME")
    }


class Runner:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir  # the children's working folder: nothing there to import
        self.env = probe_env()

    def probe(self, contender: Contender, probe: str, parameters: dict[str, Any]) -> Any:
        command = [str(contender.python), str(PROBE), contender.key, probe, json.dumps(parameters)]
        result = subprocess.run(
            command, cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=900
        )
        if result.returncode != 0:
            raise ProbeFailed(contender, probe, result.stderr)
        return json.loads(result.stdout)

    def batch(self, parameters: dict[str, Any]) -> Any:
        """``benchmarks/batch.py --json`` with these arguments, in a fresh process of this
        interpreter (``.venv``'s, which has the emulator: batch.py serves it from a child)."""
        command = [sys.executable, str(BATCH), "--json"]
        for name, value in parameters.items():
            command += [f"--{name}", str(value)]
        result = subprocess.run(
            command, cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=1800
        )
        if result.returncode != 0:
            raise ProbeFailed(THIS_BATCH, "batch", result.stderr)
        return json.loads(result.stdout)

    def import_time(self, contender: Contender, module: str) -> float:
        """Wall time of ``python -c "import MODULE"`` in a fresh interpreter."""
        command = [str(contender.python), "-c", f"import {module}"]
        start = time.perf_counter()
        subprocess.run(command, cwd=self.workdir, env=self.env, check=True)
        return time.perf_counter() - start


# who runs batch.py (for ProbeFailed's message): this client, in .venv
THIS_BATCH = Contender("this", "this client", ROOT / ".venv", "replicate")


class ProbeFailed(Exception):
    def __init__(self, contender: Contender, probe: str, stderr: str) -> None:
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        self.last_line = lines[-1] if lines else "no output"
        super().__init__(f"{contender.label}, {probe}: {self.last_line}\n{stderr}")


def rotated(items: list[Any], repetition: int) -> list[Any]:
    shift = repetition % len(items)
    return items[shift:] + items[:shift]


# a probe of raw httpx or this client that fails (a connection reset under load, say) runs
# again, at most this often; the page lists every such failure
RERUNS = 2


def run_measurement(
    runner: Runner,
    measurement: Measurement,
    contenders: list[Contender],
    parameters: dict[str, Any],
    warmup_round: bool,
    failures: list[dict[str, str]],
) -> dict[str, list[Any] | str]:
    """Each contender's per-repetition results, or the reason it has none. A failed probe of
    raw httpx or this client is noted in ``failures`` and run again (``RERUNS``)."""
    samples: dict[str, list[Any] | str] = {contender.key: [] for contender in contenders}
    rounds = [None] if warmup_round and measurement.alone is None else []
    for repetition in [*rounds, *range(measurement.repetitions)]:
        for contender in rotated(contenders, repetition or 0):
            if isinstance(samples[contender.key], str):
                continue  # n/a, or failed
            for attempt in range(RERUNS + 1):
                try:
                    result = one(runner, measurement, contender, parameters)
                    break
                except ProbeFailed as failure:
                    if contender.key not in ("httpx", "this"):
                        result = {"n/a": f"failed: {failure.last_line}"}
                        break
                    failures.append(
                        {
                            "measurement": measurement.key,
                            "client": contender.label,
                            "repetition": "warm-up" if repetition is None else str(repetition + 1),
                            "error": failure.last_line,
                        }
                    )
                    print(f"{failure.args[0].splitlines()[0]}: run again", file=sys.stderr)
                    if attempt == RERUNS:
                        raise
            if "n/a" in result:
                samples[contender.key] = result["n/a"]
            elif repetition is not None:
                samples[contender.key].append(result)  # type: ignore[union-attr]
    return samples


def one(
    runner: Runner, measurement: Measurement, contender: Contender, parameters: dict[str, Any]
) -> Any:
    if measurement.alone is not None and contender.key != "this":
        return {"n/a": measurement.alone[contender.key]}
    if measurement.probe == "batch":
        return runner.batch(parameters)
    if measurement.probe != "import":
        return runner.probe(contender, measurement.probe, parameters)
    # each client's import beside `import httpx` in its own environment: what else is
    # installed there changes what httpx imports
    if contender.key == "httpx":
        return {"seconds": runner.import_time(contender, "httpx")}
    pair = [contender.module, "httpx"]
    times = {module: runner.import_time(contender, module) for module in pair}
    return {"seconds": times[contender.module], "floor": {"seconds": times["httpx"]}}


def summarise(row: Row, samples: dict[str, list[Any] | str], repetitions: int) -> dict[str, Any]:
    floor_samples = samples["httpx"]  # a reason instead: no floor (Measurement.alone)
    figures: dict[str, Any] = {}
    for key, results in samples.items():
        if isinstance(results, str):
            figures[key] = {"n/a": results}
            continue
        values = [row.value(result) for result in results]
        figure: dict[str, Any] = {"median": statistics.median(values), "values": values}
        if key != "httpx" and isinstance(floor_samples, list):
            floors = [
                row.value(result.get("floor", floor))
                for result, floor in zip(results, floor_samples, strict=True)
            ]
            figure["floor"] = statistics.median(floors)
            if all(floor > 0 for floor in floors):  # a floor of none (0 MiB grown): no ratio
                ratios = [value / floor for value, floor in zip(values, floors, strict=True)]
                figure.update(ratio=statistics.median(ratios), ratios=ratios)
        figures[key] = figure
    ours = figures["this"]
    if "median" not in ours:
        raise RuntimeError(f"{row.title}: this client has no figure: {ours}")
    ours["met"] = row.target.met(ours["median"], ours.get("ratio"), ours.get("floor"))
    return {
        "key": row.key,
        "title": row.title,
        "unit": row.unit,
        "target": {"text": _target_text(row), **vars(row.target)},
        "higher_is_better": row.higher_is_better,
        "chart": row.chart,
        "floor": isinstance(floor_samples, list),
        "repetitions": repetitions,
        "clients": figures,
    }


def _target_text(row: Row) -> str:
    text = row.target.text
    return text if row.target.kind == "ratio" else f"{text} {row.unit}"


SERVERS: dict[str, Callable[[Plan], AbstractContextManager[servers.Server]]] = {
    "canned": lambda plan: servers.canned(plan.listed),
    "emulator": lambda plan: servers.emulator(),
    "events": lambda plan: servers.events(),
    "files": lambda plan: servers.files(plan.file_mib * MIB),
}


def headroom(
    name: str, server: servers.Server, plan: Plan, rows: dict[str, Any]
) -> list[dict[str, Any]]:
    """The server's rate for a raw-socket client, beside the floor's (each floor's, for the
    event server: the sync and the async one)."""
    if name in ("canned", "emulator"):
        figures = servers.request_headroom(server, 0.3 if plan.smoke else 2.0)
        figures["floor_what"] = "httpx.Client, same loop"
        return [figures]
    if name == "events":
        raw = servers.events_headroom(server, plan.events)
        floors = []
        for key, what in (("events", "raw httpx"), ("events async", "raw httpx async")):
            floor_ms = rows[key]["clients"]["httpx"]["median"]
            floors.append(
                {
                    **raw,
                    "httpx": plan.events / (floor_ms / 1000),
                    "floor_what": f"{what}, as measured",
                }
            )
        return floors
    figures = servers.download_headroom(server, plan.file_mib * MIB)
    figures["httpx"] = rows["save"]["clients"]["httpx"]["median"]
    figures["floor_what"] = "raw httpx, as measured"
    return [figures]


def measure_all(
    plan: Plan, contenders: list[Contender], workdir: Path, only: frozenset[str] | None = None
) -> dict[str, Any]:
    """Every measurement of the plan (or those named in ``only``, without the servers'
    headroom, which a full run measures)."""
    runner = Runner(workdir)
    rows: dict[str, Any] = {}
    servers_seen: list[dict[str, Any]] = []
    failures: list[dict[str, str]] = []
    order = [m for m in measurements(plan) if only is None or m.key in only]
    for name in (None, *SERVERS):
        group = [measurement for measurement in order if measurement.server == name]
        if not group:
            continue
        with nullcontext() if name is None else SERVERS[name](plan) as server:
            for measurement in group:
                started = time.perf_counter()
                parameters = measurement.parameters(server, plan)
                samples = run_measurement(
                    runner, measurement, contenders, parameters, plan.warmup_round, failures
                )
                for row in measurement.rows:
                    rows[row.key] = summarise(row, samples, measurement.repetitions)
                print(
                    f"{measurement.key}: {time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
            if name is not None and only is None:
                servers_seen.extend(headroom(name, server, plan, rows))
    # the page's order: as the issue lists them
    return {
        "rows": [rows[row.key] for m in order for row in m.rows],
        "headroom": servers_seen,
        "failures": failures,
    }


def merged(
    base: dict[str, Any], partial: dict[str, Any], plan: Plan, measured: dict[str, str]
) -> dict[str, Any]:
    """A full run's results (``base``) with the rows of a run of a few measurements
    (``partial``) in their place, each saying when and from what it was measured."""
    new = {row["key"]: {**row, "measured": measured} for row in partial["rows"]}
    old = {row["key"]: row for row in base["rows"]}
    keys = [row.key for m in measurements(plan) for row in m.rows]
    rows = [new.get(key) or old[key] for key in keys if key in new or key in old]
    failures = [*base.get("failures", []), *partial["failures"]]
    return {**base, "rows": rows, "failures": failures}


# -- the record ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    memory = 0.0
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 1024 / 1024
    system = platform.system()
    try:
        release = platform.freedesktop_os_release()["PRETTY_NAME"]
    except OSError:
        release = system
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "os": f"{release}, {system} {platform.release()} ({platform.machine()})",
    }


def _git(*args: str) -> str | None:
    try:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    except OSError:  # no git at all
        return None
    return result.stdout if result.returncode == 0 else None


def uncommitted() -> list[str] | None:
    """``git status --porcelain``: the tree's changes since its commit, untracked files too
    (an empty list: none); None when git cannot tell (no git, or not a checkout)."""
    status = _git("status", "--porcelain")
    return None if status is None else status.splitlines()


def revision() -> str:
    """The commit measured, and whether the tree differs from it."""
    commit = (_git("rev-parse", "--short", "HEAD") or "").strip()
    if not commit:
        return "an unknown commit"
    return commit + (", with uncommitted changes" if uncommitted() else "")


def refuse_dirty(changes: list[str] | None) -> str | None:
    """Why the page cannot be written from this tree (None: it can): it names a commit, which
    must be what was measured. ``--allow-dirty`` overrides; the page then says so."""
    if changes is None:
        return "a tree git cannot read (not a checkout?)"
    if not changes:
        return None
    shown = ", ".join(line.strip() for line in changes[:5])
    more = f" and {len(changes) - 5} more" if len(changes) > 5 else ""
    return f"a tree with uncommitted changes ({shown}{more})"


def versions(contenders: list[Contender]) -> list[dict[str, str]]:
    described = []
    for contender in contenders:
        if contender.key == "this":
            version = f"this project at {revision()}"
        elif contender.key == "httpx":
            version = "httpx alone, in this client's environment"
        else:
            version = f"replicate {envs.installed(contender.env, 'replicate')}"
        httpx = envs.installed(contender.env, "httpx")
        described.append(
            {"key": contender.key, "label": contender.label, "version": version, "httpx": httpx}
        )
    return described


# -- the command -----------------------------------------------------------------------------


def prepare(plan: Plan, cache: Path) -> list[Contender]:
    this_env = envs.project_env(cache / "venvs" / "this-client")
    contenders = [
        Contender("httpx", "raw httpx", this_env, "httpx"),
        Contender("this", "this client", this_env, "replicate"),
    ]
    if not plan.smoke:
        for key, version in zip(("v1", "v2"), OFFICIAL, strict=True):
            env = envs.pip_env(cache / "venvs" / f"replicate-{version}", f"replicate=={version}")
            contenders.append(Contender(key, f"replicate {version}", env, "replicate"))
    return contenders


def render(results: dict[str, Any], out_dir: Path, cache: Path, chart: bool) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    png = out_dir / "benchmarks.png"
    if chart:
        env = envs.pip_env(cache / "venvs" / MATPLOTLIB, MATPLOTLIB)
        with tempfile.NamedTemporaryFile("w", suffix=".json") as data:
            json.dump(results, data)
            data.flush()
            subprocess.run([envs.python(env), CHART, data.name, png], check=True)
    page = _compare_page.render(results, chart=png.name if chart else None)
    (out_dir / "benchmarks.md").write_text(page)


def check_complete(results: dict[str, Any]) -> list[str]:
    """Every row has a figure from this client and raw httpx (what the smoke test requires),
    but for raw httpx in a row with no floor; an official client may have a reason instead
    (the page gives it)."""
    missing = []
    for row in results["rows"]:
        for key in ("httpx", "this") if row.get("floor", True) else ("this",):
            figure = row["clients"][key]
            if not isinstance(figure.get("median"), float | int):
                missing.append(f"{row['title']}: {key}: {figure}")
    return missing


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="seconds; judges no timing")
    parser.add_argument("--out-dir", type=Path, help="where the page goes (default docs/)")
    parser.add_argument("--from-results", type=Path, help="render this results file again")
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="write docs/benchmarks.md from a tree with uncommitted changes (the page says so)",
    )
    parser.add_argument(
        "--only",
        help="measure only these measurements (comma-separated keys, e.g. 'long run'); the "
        "page's other rows come from --onto, and it marks the rows measured again",
    )
    parser.add_argument(
        "--onto",
        type=Path,
        default=CACHE / "results.json",
        help="with --only: the full run's results file the new rows go into "
        "(default .bench/results.json)",
    )
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else Plan()

    if args.from_results:
        results = json.loads(args.from_results.read_text())
        out_dir = args.out_dir or ROOT / "docs"
        dirty = results.get("uncommitted", [])  # the tree the figures were measured from
        if _is_docs(out_dir) and not args.allow_dirty and (reason := refuse_dirty(dirty)):
            return _refused(f"the results were measured from {reason}")
        render(results, out_dir, CACHE, chart=not results["smoke"])
        return 0

    if plan.smoke:  # nothing in the project's folders; the page stays for a look
        out_dir = args.out_dir or Path(tempfile.mkdtemp(prefix="bench-smoke-"))
    else:
        out_dir = args.out_dir or ROOT / "docs"
    changes = uncommitted()
    # before ten minutes of measuring, not after
    if _is_docs(out_dir) and not args.allow_dirty and (reason := refuse_dirty(changes)):
        return _refused(f"measuring from {reason}")
    only = frozenset(key.strip() for key in args.only.split(",")) if args.only else None
    base: dict[str, Any] | None = None
    if only is not None:
        unknown = only - {m.key for m in measurements(plan)}
        if unknown:
            parser.error(f"--only: no measurement {', '.join(sorted(unknown))}")
        base = json.loads(args.onto.read_text())
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        workdir = Path(scratch)
        cache = workdir / "cache" if plan.smoke else CACHE
        started = time.perf_counter()
        contenders = prepare(plan, cache)
        command = " ".join(["scripts/bench", *argv])
        date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        measured = measure_all(plan, contenders, workdir, only)
        if base is not None:
            if [client["key"] for client in base["clients"]] != [c.key for c in contenders]:
                parser.error(f"--onto {args.onto}: measured with other clients")
            stamp = {"command": command, "date": date, "commit": revision()}
            results = merged(base, measured, plan, stamp)
            if changes:  # the rows measured again came from a tree that differs from its commit
                results["uncommitted"] = sorted({*(results.get("uncommitted") or []), *changes})
        else:
            results = {
                "command": command,
                "date": date,
                "smoke": plan.smoke,
                "uncommitted": changes,
                "machine": machine(),
                "clients": versions(contenders),
                **measured,
            }
            results["minutes"] = round((time.perf_counter() - started) / 60, 1)
        record = (out_dir if plan.smoke else cache) / "results.json"
        record.parent.mkdir(parents=True, exist_ok=True)
        record.write_text(json.dumps(results, indent=1))
        render(results, out_dir, cache, chart=not plan.smoke)
    print(_compare_page.table(results))
    print(f"wrote {out_dir / 'benchmarks.md'} from {record}", file=sys.stderr)
    missing = check_complete(results)
    if missing:
        print("missing figures:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    return 0


def _is_docs(out_dir: Path) -> bool:
    """Whether ``out_dir`` is where the committed page lives."""
    return out_dir.resolve() == (ROOT / "docs").resolve()


def _refused(reason: str) -> int:
    print(
        f"scripts/bench: {reason}: docs/benchmarks.md names the commit it measured, so it is "
        "written from a committed tree only. Commit or stash the changes, or pass "
        "--allow-dirty (the page then says it measured uncommitted changes).",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
