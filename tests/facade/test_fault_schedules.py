"""``run`` and ``stream`` against the emulator under fault schedules drawn by hypothesis.

Each example scripts a few faults on the routes a run uses, switches on random faults at a
rate (seeded by hypothesis), then makes a few calls, sync and async, each with an input of
its own. Whatever the faults, as a user would see it:

- every call whose prediction succeeded on the server returned that prediction's output;
- no call's prediction was created twice;
- no call outlived its ``deadline=`` by more than a margin (nor, for a stream, that long).

Retry backoffs and ``Retry-After`` waits cost next to nothing (the facade's conftest patches
the client's clock); the emulator's own delays are kept short.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")  # a dev dependency
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from replicate.client import Client  # noqa: E402
from replicate.testing import HELLO_WORLD_VERSION, Emulator  # noqa: E402
from replicate.testing._faults import STREAM_ROUTE  # noqa: E402

DEADLINE = 5.0  # seconds, given to every run
MARGIN = 3.0  # seconds past it that make a call hung
ENDED = frozenset({"succeeded", "failed", "canceled", "aborted"})
HELLO, LANGUAGE = "replicate/hello-world", "replicate/language-model"

_inputs = itertools.count()


@dataclass(frozen=True)
class Call:
    """One call a user makes: ``run`` (waiting or not) or ``stream``, sync or async."""

    model: str
    streams: bool = False
    wait: bool = True
    sync: bool = True

    def __str__(self) -> str:
        how = "stream" if self.streams else f"run(wait={self.wait})"
        return f"{how} {self.model} ({'sync' if self.sync else 'async'})"


CALLS = [
    Call(HELLO),
    Call(f"{HELLO}:{HELLO_WORLD_VERSION}"),
    Call(HELLO, wait=False),
    Call(LANGUAGE, wait=False),
    Call(LANGUAGE, streams=True),
]
ROUTES = [
    "POST /v1/predictions",  # a run of a version
    "POST /v1/models/{owner}/{name}/predictions",  # the others
    "GET /v1/predictions/{id}",
    STREAM_ROUTE,
]
FAULTS = [
    {"status": 429, "retry_after": 1},
    {"status": 500},
    {"status": 502},
    {"status": 503},
    {"status": 504},
    {"close": True},
    {"drop_response": True},
    {"malformed_json": True},
    {"delay": 0.1},
]

calls = st.builds(
    lambda call, sync: Call(call.model, call.streams, call.wait, sync),
    st.sampled_from(CALLS),
    st.booleans(),
)
scripted = st.tuples(
    st.sampled_from(ROUTES), st.sampled_from(FAULTS), st.integers(min_value=1, max_value=2)
)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(tokens_per_second=2000) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def client(emu: Emulator) -> Iterator[Client]:
    with Client(api_token=emu.api_token, base_url=emu.base_url) as client:
        yield client


def make(client: Client, call: Call, key: str) -> str:
    """Make the call; its output as text."""
    model = call.model
    given = {"prompt": key, "max_tokens": 6} if model == LANGUAGE else {"text": key}
    if call.sync:
        if call.streams:
            return "".join(str(e) for e in client.stream(model, input=given) if e.event == "output")
        return joined(client.run(model, input=given, wait=call.wait, deadline=DEADLINE))

    async def go() -> str:
        if call.streams:
            events = await client.async_stream(model, input=given)
            return "".join([str(e) async for e in events if e.event == "output"])
        output = await client.async_run(model, input=given, wait=call.wait, deadline=DEADLINE)
        return joined(output)

    return asyncio.run(go())


def joined(output: Any) -> str:
    return output if isinstance(output, str) else "".join(output)


def predictions_of(emu: Emulator, key: str) -> list[dict[str, Any]]:
    """The predictions made from ``key``'s input, once they have ended (5 s at most)."""
    give_up = time.monotonic() + 5
    while True:
        with emu.app.store.lock:
            found = [
                dict(run.fields)
                for run in emu.app.store.predictions.values()
                if key in (run.fields["input"].get("text"), run.fields["input"].get("prompt"))
            ]
        if all(f["status"] in ENDED for f in found) or time.monotonic() > give_up:
            return found
        time.sleep(0.01)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    faults=st.lists(scripted, max_size=3),
    rate=st.sampled_from([0.0, 0.1, 0.3]),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    made=st.lists(calls, min_size=1, max_size=6),
)
def test_runs_under_faults_lose_nothing_and_create_nothing_twice(
    emu: Emulator,
    client: Client,
    faults: list[tuple[str, dict[str, Any], int]],
    rate: float,
    seed: int,
    made: list[Call],
) -> None:
    emu.faults.clear()
    for route, fault, times in faults:
        emu.faults.add(route, times=times, **fault)
    emu.faults.randomize(rate=rate, seed=seed, delay=(0.05, 0.2), cut_after=(0, 8))
    history = len(emu.faults.history)
    workers = concurrent.futures.ThreadPoolExecutor(1)
    outcomes: list[tuple[Call, str, str | None, Exception | None]] = []
    try:
        for call in made:
            key = f"schedule {next(_inputs)}"
            started = time.monotonic()
            future = workers.submit(make, client, call, key)
            try:
                output, error = future.result(timeout=DEADLINE + MARGIN), None
            except Exception as raised:  # the call's own, DeadlineExceededError say, or a hang
                if not future.done():
                    pytest.fail(f"{call} hung: still running after {DEADLINE + MARGIN} s")
                output, error = None, raised
            elapsed = time.monotonic() - started
            assert elapsed <= DEADLINE + MARGIN, f"{call} took {elapsed:.1f} s"
            outcomes.append((call, key, output, error))
    finally:
        emu.faults.clear()
        workers.shutdown(wait=False)
    injected = [(r.method, r.path, r.kind, r.status) for r in emu.faults.history[history:]]

    for call, key, output, error in outcomes:
        found = predictions_of(emu, key)
        statuses = [f["status"] for f in found]
        assert len(found) <= 1, f"{call}: created {len(found)} times ({statuses}); {injected}"
        if found and found[0]["status"] == "succeeded":
            assert error is None, f"{call}: raised {error!r}, yet it succeeded; {injected}"
            assert output == joined(found[0]["output"]), f"{call}: wrong output; {injected}"
        else:
            assert output is None, f"{call}: returned {output!r}, yet {statuses}; {injected}"
