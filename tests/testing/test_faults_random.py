"""The "answer lost" fault and random faults, as a client sees them: over a real socket, and
in process where the two differ."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from replicate.testing import Emulator, FaultRecord
from replicate.testing._faults import RANDOM_KINDS

_unique = itertools.count()


def hello(label: str) -> dict[str, Any]:
    """A create body with an input no other request of the module sends."""
    return {"version": "replicate/hello-world", "input": {"text": f"{label}-{next(_unique)}"}}


def created_with(emu: Emulator, body: dict[str, Any]) -> list[str]:
    """The statuses of the predictions on the server made from ``body``'s input."""
    with emu.app.store.lock:
        runs = list(emu.app.store.predictions.values())
    return [run.status for run in runs if run.fields["input"] == body["input"]]


def wait_until_ended(emu: Emulator, body: dict[str, Any]) -> list[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        statuses = created_with(emu, body)
        if statuses and all(s in ("succeeded", "failed", "canceled") for s in statuses):
            return statuses
        time.sleep(0.01)
    return created_with(emu, body)


def label(record: FaultRecord) -> str:
    """A record's kind as :meth:`Faults.randomize` names it."""
    if record.kind == "status":
        return "429" if record.status == 429 else "5xx"
    return record.kind


@pytest.fixture(scope="module")
def served() -> Iterator[Emulator]:
    with Emulator(validate_requests=False, tokens_per_second=500) as emulator:
        yield emulator


@pytest.fixture
def emu(served: Emulator) -> Iterator[Emulator]:
    yield served
    served.faults.clear()


@pytest.fixture
def http(emu: Emulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {emu.api_token}"}
    with httpx.Client(base_url=emu.base_url, headers=headers, timeout=5) as client:
        yield client


@pytest.fixture
def prediction(http: httpx.Client) -> str:
    response = http.post("/predictions", json=hello("fixture"), headers={"Prefer": "wait"})
    assert response.status_code == 201
    return str(response.json()["id"])


def in_process(emulator: Emulator, scenario: Callable[[httpx.AsyncClient], Awaitable[Any]]) -> Any:
    """Run ``scenario(client)`` against ``emulator`` through httpx.ASGITransport."""

    async def main() -> Any:
        headers = {"Authorization": f"Bearer {emulator.api_token}"}
        transport = httpx.ASGITransport(emulator.asgi)
        async with httpx.AsyncClient(
            transport=transport, base_url=emulator.base_url, headers=headers
        ) as client:
            return await scenario(client)

    return asyncio.run(main())


@pytest.fixture
def local() -> Iterator[Emulator]:
    """An emulator for in-process requests only (no sockets)."""
    emulator = Emulator(validate_requests=False, tokens_per_second=500)
    yield emulator
    emulator.stop()


def new_records(emu: Emulator, before: int) -> list[FaultRecord]:
    return emu.faults.history[before:]


# --- drop_response: the request was acted on, its answer lost --------------------------------


def test_drop_response_creates_the_prediction_but_the_client_sees_a_dropped_connection(
    emu: Emulator, http: httpx.Client
) -> None:
    body = hello("dropped")
    emu.faults.add("POST /v1/predictions", drop_response=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/predictions", json=body, headers={"Prefer": "wait"})
    assert wait_until_ended(emu, body) == ["succeeded"]
    record = emu.faults.history[-1]
    assert (record.kind, record.route) == ("drop_response", "POST /v1/predictions")
    assert http.post("/predictions", json=hello("after")).status_code == 201  # a new connection


def test_close_creates_nothing_unlike_drop_response(emu: Emulator, http: httpx.Client) -> None:
    body = hello("closed")
    emu.faults.add("POST /v1/predictions", close=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/predictions", json=body)
    assert created_with(emu, body) == []


def test_drop_response_raises_the_same_error_in_process(local: Emulator) -> None:
    body = hello("dropped in process")
    local.faults.add("POST /v1/predictions", drop_response=True)

    async def scenario(client: httpx.AsyncClient) -> None:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/predictions", json=body, headers={"Prefer": "wait"})

    in_process(local, scenario)
    assert wait_until_ended(local, body) == ["succeeded"]


def test_drop_response_on_a_get_after_the_route_ran(
    emu: Emulator, http: httpx.Client, prediction: str
) -> None:
    emu.faults.add("GET /v1/predictions/{id}", drop_response=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(f"/predictions/{prediction}")
    assert http.get(f"/predictions/{prediction}").json()["status"] == "succeeded"


def test_drop_response_is_one_action_among_the_others(emu: Emulator) -> None:
    with pytest.raises(ValueError, match="only one"):
        emu.faults.add("POST /v1/predictions", drop_response=True, status=500)
    fault = emu.faults.add("POST /v1/predictions", drop_response=True, delay=0.1)
    assert fault.kind == "drop_response"


def test_malformed_json_on_a_list(emu: Emulator, http: httpx.Client, prediction: str) -> None:
    emu.faults.add("GET /v1/predictions", malformed_json=True)
    broken = http.get("/predictions")
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    assert http.get("/predictions").json()["results"]  # the next one is whole


# --- random faults: each kind, as a client sees it -------------------------------------------


def test_random_429_has_a_small_retry_after(emu: Emulator, http: httpx.Client) -> None:
    emu.faults.randomize(rate=1, seed=1, kinds={"429"})
    answers = [http.get("/predictions") for _ in range(10)]
    assert {answer.status_code for answer in answers} == {429}
    assert {answer.headers["retry-after"] for answer in answers} <= {"0", "1"}
    assert all(answer.json()["status"] == 429 for answer in answers)


def test_random_5xx(emu: Emulator, http: httpx.Client) -> None:
    emu.faults.randomize(rate=1, seed=2, kinds={"5xx"})
    codes = {http.get("/predictions").status_code for _ in range(30)}
    assert codes <= {500, 502, 503, 504} and len(codes) > 1


def test_random_close_and_drop_response(emu: Emulator, http: httpx.Client) -> None:
    closed, dropped = hello("random close"), hello("random drop")
    emu.faults.randomize(rate=1, seed=3, kinds={"close"})
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/predictions", json=closed)
    emu.faults.randomize(rate=1, seed=3, kinds={"drop_response"})
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/predictions", json=dropped, headers={"Prefer": "wait"})
    emu.faults.clear()
    assert created_with(emu, closed) == []
    assert wait_until_ended(emu, dropped) == ["succeeded"]
    assert [(r.kind, r.route) for r in emu.faults.history[-2:]] == [
        ("close", "random"),
        ("drop_response", "random"),
    ]


def test_random_delay_is_slow_but_right(emu: Emulator, http: httpx.Client, prediction: str) -> None:
    emu.faults.randomize(rate=1, seed=4, kinds={"delay"}, delay=(0.1, 0.2))
    started = time.monotonic()
    answer = http.get(f"/predictions/{prediction}")
    elapsed = time.monotonic() - started
    assert answer.json()["id"] == prediction
    record = emu.faults.history[-1]
    assert record.kind == "delay" and 0.1 <= record.delay <= 0.2
    assert elapsed >= record.delay


def test_random_malformed_json_on_a_get(emu: Emulator, http: httpx.Client, prediction: str) -> None:
    emu.faults.randomize(rate=1, seed=5, kinds={"malformed_json"})
    broken = http.get(f"/predictions/{prediction}")
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        broken.json()


def test_random_cut_stream(emu: Emulator, http: httpx.Client) -> None:
    created = http.post(
        "/models/replicate/language-model/predictions",
        json={"input": {"prompt": "cut me", "max_tokens": 8}},
    ).json()
    emu.faults.randomize(rate=1, seed=6, kinds={"cut_stream"}, cut_after=(2, 2))
    assert http.get(f"/predictions/{created['id']}").status_code == 200  # not a stream: no cut
    lines: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        http.stream("GET", created["urls"]["stream"]) as response,
    ):
        lines.extend(response.iter_lines())
    assert sum(line.startswith("id: ") for line in lines) == 2
    assert "event: done" not in lines
    record = emu.faults.history[-1]
    assert (record.kind, record.route, record.cut_after) == ("cut_stream", "random", 2)


# --- random faults: how many, which, and the same again for a seed ---------------------------


def test_rate_zero_faults_nothing(local: Emulator) -> None:
    local.faults.randomize(rate=0, seed=1)

    async def scenario(client: httpx.AsyncClient) -> list[int]:
        return [(await client.get("/predictions")).status_code for _ in range(50)]

    assert in_process(local, scenario) == [200] * 50
    assert local.faults.history == []


def test_rate_one_faults_every_request(local: Emulator) -> None:
    local.faults.randomize(rate=1, seed=1, delay=(0, 0.01))

    async def scenario(client: httpx.AsyncClient) -> int:
        for _ in range(40):
            with contextlib.suppress(httpx.RemoteProtocolError):
                await client.get("/predictions")
        return 40

    requests = in_process(local, scenario)
    records = local.faults.history
    assert len(records) == requests
    assert all(record.route == "random" for record in records)
    assert {label(record) for record in records} <= set(RANDOM_KINDS) - {"cut_stream"}
    assert len({label(record) for record in records}) >= 4  # kinds drawn, not one


def test_kinds_filter_is_respected(local: Emulator) -> None:
    local.faults.randomize(rate=1, seed=2, kinds={"5xx", "delay"}, delay=(0, 0.01))

    async def scenario(client: httpx.AsyncClient) -> list[int]:
        return [(await client.get("/predictions")).status_code for _ in range(30)]

    in_process(local, scenario)
    assert {label(record) for record in local.faults.history} == {"5xx", "delay"}

    local.faults.randomize(rate=1, seed=2, kinds={"cut_stream"})  # no kind fits a GET of a list
    before = len(local.faults.history)
    assert in_process(local, scenario) == [200] * 30
    assert new_records(local, before) == []


def test_a_rate_faults_about_that_share(local: Emulator) -> None:
    local.faults.randomize(rate=0.25, seed=3, kinds={"5xx"})

    async def scenario(client: httpx.AsyncClient) -> list[int]:
        return [(await client.get("/predictions")).status_code for _ in range(400)]

    faulted = sum(code >= 500 for code in in_process(local, scenario))
    assert 60 <= faulted <= 140


def test_the_same_seed_gives_the_same_faults(local: Emulator) -> None:
    async def scenario(client: httpx.AsyncClient) -> None:
        for _ in range(60):
            with contextlib.suppress(httpx.RemoteProtocolError):
                await client.get("/predictions")

    def faults_for(seed: int) -> list[tuple[str, int | None, float]]:
        before = len(local.faults.history)
        local.faults.randomize(rate=0.3, seed=seed, delay=(0, 0.01))
        in_process(local, scenario)
        return [(r.kind, r.status, r.delay) for r in new_records(local, before)]

    first = faults_for(11)
    assert first == faults_for(11)
    assert first != faults_for(12)


def test_random_faults_are_checked_and_cleared(emu: Emulator, http: httpx.Client) -> None:
    with pytest.raises(ValueError, match="unknown fault kinds"):
        emu.faults.randomize(kinds={"teapot"})
    with pytest.raises(ValueError, match="rate"):
        emu.faults.randomize(rate=1.5)
    with pytest.raises(ValueError, match="delay"):
        emu.faults.randomize(delay=(1.0, 0.5))
    emu.faults.randomize(rate=1, kinds={"5xx"})
    assert http.get("/predictions").status_code >= 500
    emu.faults.clear()
    assert http.get("/predictions").status_code == 200


def test_scripted_faults_come_before_random_ones(emu: Emulator, http: httpx.Client) -> None:
    emu.faults.randomize(rate=1, kinds={"5xx"})
    emu.faults.add("GET /v1/predictions", status=429)
    assert http.get("/predictions").status_code == 429
    assert http.get("/predictions").status_code >= 500
    assert [r.route for r in emu.faults.history[-2:]] == ["GET /v1/predictions", "random"]
