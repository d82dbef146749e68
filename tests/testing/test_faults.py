"""Scripted faults and rate limits, over a real socket (and in process where it differs)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
import pytest

from replicate.testing import Emulator
from replicate.testing._faults import compile_route

HELLO = {"version": "replicate/hello-world", "input": {"text": "faults"}}


@pytest.fixture(scope="module")
def served() -> Iterator[Emulator]:
    with Emulator(validate_requests=False, tokens_per_second=200) as emulator:
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
    response = http.post("/predictions", json=HELLO, headers={"Prefer": "wait"})
    assert response.status_code == 201
    return str(response.json()["id"])


def in_process(emulator: Emulator, scenario: Any) -> Any:
    """Run ``scenario(client)`` against ``emulator`` through httpx.ASGITransport."""

    async def main() -> Any:
        headers = {"Authorization": f"Bearer {emulator.api_token}"}
        transport = httpx.ASGITransport(emulator.asgi)
        async with httpx.AsyncClient(
            transport=transport, base_url=emulator.base_url, headers=headers
        ) as client:
            return await scenario(client)

    return asyncio.run(main())


# --- status faults ---------------------------------------------------------------------------


def test_429_with_retry_after_n_times_then_success(emu: Emulator, http: httpx.Client) -> None:
    emu.faults.add("POST /v1/predictions", status=429, times=2, retry_after=1)
    for _ in range(2):
        throttled = http.post("/predictions", json=HELLO)
        assert throttled.status_code == 429
        assert throttled.headers["retry-after"] == "1"
        assert throttled.headers["content-type"] == "application/problem+json"
        assert throttled.json()["status"] == 429
    assert http.post("/predictions", json=HELLO).status_code == 201
    assert [(r.kind, r.status, r.route) for r in emu.faults.history[-2:]] == [
        ("status", 429, "POST /v1/predictions"),
        ("status", 429, "POST /v1/predictions"),
    ]
    assert emu.faults.pending == []


def test_a_burst_of_5xx_hits_only_its_route(
    emu: Emulator, http: httpx.Client, prediction: str
) -> None:
    emu.faults.add("GET /v1/predictions/{id}", status=503, times=5)
    statuses = []
    for _ in range(6):
        statuses.append(http.get(f"/predictions/{prediction}").status_code)
        assert http.get("/predictions").status_code == 200  # another route: untouched
    assert statuses == [503] * 5 + [200]


def test_faults_apply_in_order_and_until_cleared(
    emu: Emulator, http: httpx.Client, prediction: str
) -> None:
    emu.faults.add(f"/predictions/{prediction}", status=500, times=1)  # any method, no /v1
    emu.faults.add("GET /predictions/{id}", status=502, times=None)
    codes = [http.get(f"/predictions/{prediction}").status_code for _ in range(4)]
    assert codes == [500, 502, 502, 502]
    emu.faults.clear()
    assert http.get(f"/predictions/{prediction}").status_code == 200


# --- the connection closed before any response -----------------------------------------------


def test_close_drops_the_connection_over_a_socket(
    emu: Emulator, http: httpx.Client, prediction: str
) -> None:
    emu.faults.add("GET /v1/predictions/{id}", close=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(f"/predictions/{prediction}")
    assert http.get(f"/predictions/{prediction}").status_code == 200  # a new connection
    assert emu.faults.history[-1].kind == "close"


def test_close_raises_the_same_error_in_process() -> None:
    emulator = Emulator(validate_requests=False)
    emulator.faults.add("POST /v1/predictions", close=True)

    async def scenario(client: httpx.AsyncClient) -> int:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/predictions", json=HELLO)
        return (await client.post("/predictions", json=HELLO)).status_code

    try:
        assert in_process(emulator, scenario) == 201
    finally:
        emulator.stop()


# --- slow responses and malformed bodies -----------------------------------------------------


def test_a_delay_makes_a_client_timeout_fire(
    emu: Emulator, http: httpx.Client, prediction: str
) -> None:
    emu.faults.add("GET /v1/predictions/{id}", delay=1.0)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        http.get(f"/predictions/{prediction}", timeout=0.2)
    assert time.monotonic() - started < 0.9
    emu.faults.add("GET /v1/predictions/{id}", delay=0.2)
    started = time.monotonic()
    slow = http.get(f"/predictions/{prediction}")
    assert slow.status_code == 200
    assert time.monotonic() - started >= 0.2
    assert [r.kind for r in emu.faults.history[-2:]] == ["delay", "delay"]


def test_a_delay_before_an_error(emu: Emulator, http: httpx.Client, prediction: str) -> None:
    emu.faults.add("GET /v1/predictions/{id}", delay=0.1, status=504)
    started = time.monotonic()
    assert http.get(f"/predictions/{prediction}").status_code == 504
    assert time.monotonic() - started >= 0.1


def test_malformed_json_is_the_real_body_cut_short(
    emu: Emulator, http: httpx.Client, prediction: str
) -> None:
    whole = http.get(f"/predictions/{prediction}").text
    emu.faults.add("GET /v1/predictions/{id}", malformed_json=True)
    broken = http.get(f"/predictions/{prediction}")
    assert broken.status_code == 200
    assert broken.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    assert whole.startswith(broken.text) and len(broken.text) < len(whole)


# --- SSE streams cut after K events ----------------------------------------------------------


def parse_events(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """A minimal SSE parser: yields {id, event, data} at each blank line."""
    event: dict[str, str] = {}
    for line in lines:
        if not line:
            if event:
                yield event
            event = {}
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        event[name] = f"{event[name]}\n{value}" if name == "data" and name in event else value


def read_stream(
    http: httpx.Client, url: str, last_id: str | None = None
) -> tuple[list[dict[str, str]], bool]:
    """The events read, and whether the connection broke before the end."""
    headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
    if last_id:
        headers["Last-Event-ID"] = last_id
    events: list[dict[str, str]] = []
    try:
        with http.stream("GET", url, headers=headers) as response:
            events.extend(parse_events(response.iter_lines()))
    except httpx.RemoteProtocolError:
        return events, True
    return events, False


def test_a_cut_stream_resumes_from_last_event_id_without_loss_or_repeat(
    emu: Emulator, http: httpx.Client
) -> None:
    created = http.post(
        "/models/replicate/language-model/predictions",
        json={"input": {"prompt": "one two three", "max_tokens": 8}},
    ).json()
    stream_url = created["urls"]["stream"]
    emu.faults.cut_stream(after=3)

    first, broken = read_stream(http, stream_url)
    assert broken
    assert len(first) == 3
    rest, broken = read_stream(http, stream_url, last_id=first[-1]["id"])
    assert not broken
    assert rest[-1]["event"] == "done"

    everything, _ = read_stream(http, stream_url)  # the whole stream, uncut, for comparison
    assert [e["id"] for e in first + rest] == [e["id"] for e in everything]
    text = "".join(e["data"] for e in first + rest if e["event"] == "output")
    final = http.get(f"/predictions/{created['id']}").json()
    assert text == "".join(final["output"])
    assert emu.faults.history[-1].kind == "cut_stream"


def test_a_cut_stream_in_process_ends_early_and_resumes() -> None:
    emulator = Emulator(validate_requests=False, tokens_per_second=500)
    emulator.faults.cut_stream(after=2)

    async def scenario(client: httpx.AsyncClient) -> tuple[list[str], list[str]]:
        created = await client.post(
            "/models/replicate/language-model/predictions",
            json={"input": {"prompt": "a b", "max_tokens": 5}},
        )
        url = created.json()["urls"]["stream"]
        first = list(parse_events((await client.get(url)).text.splitlines()))
        rest_response = await client.get(url, headers={"Last-Event-ID": first[-1]["id"]})
        rest = list(parse_events(rest_response.text.splitlines()))
        whole = list(parse_events((await client.get(url)).text.splitlines()))
        assert [e["id"] for e in first + rest] == [e["id"] for e in whole]
        return [e["event"] for e in first], [e["event"] for e in rest]

    try:
        first, rest = in_process(emulator, scenario)
    finally:
        emulator.stop()
    assert len(first) == 2 and "done" not in first
    assert rest[-1] == "done"


# --- rate limits -----------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limits_throttle_creates_and_other_requests_per_minute() -> None:
    clock = FakeClock()
    with Emulator(validate_requests=False, rate_limits=True) as emulator:
        faults = emulator.faults
        faults.create_limit, faults.other_limit, faults.clock = 3, 4, clock
        headers = {"Authorization": f"Bearer {emulator.api_token}"}
        with httpx.Client(base_url=emulator.base_url, headers=headers) as http:
            codes = [http.post("/predictions", json=HELLO).status_code for _ in range(4)]
            assert codes == [201, 201, 201, 429]
            throttled = http.post("/predictions", json=HELLO)
            assert throttled.headers["retry-after"] == "60"
            body = throttled.json()
            assert body["status"] == 429 and body["limit"] == 3 and body["remaining"] == 0
            assert body["limits"]["predictions.create"]["limit"] == 3
            assert body["limits"]["other"]["limit"] == 4
            assert "throttled" in body["detail"]

            # Other requests have their own quota, per minute too.
            codes = [http.get("/predictions").status_code for _ in range(5)]
            assert codes == [200, 200, 200, 200, 429]

            clock.now += 30  # a sliding window: the oldest creates leave it after 60 s
            assert http.post("/predictions", json=HELLO).headers["retry-after"] == "30"
            clock.now += 31
            assert http.post("/predictions", json=HELLO).status_code == 201
            assert http.get("/predictions").status_code == 200
        assert emulator.faults.history[-1].kind == "rate_limit"


def test_rate_limits_are_off_by_default(emu: Emulator, http: httpx.Client) -> None:
    assert emu.faults.rate_limits is False
    emu.faults.create_limit = 1
    try:
        codes = [http.post("/predictions", json=HELLO).status_code for _ in range(3)]
    finally:
        emu.faults.create_limit = 600
    assert codes == [201, 201, 201]


# --- scripting errors and route patterns -----------------------------------------------------


def test_route_patterns_follow_starlette_placeholders() -> None:
    method, pattern = compile_route("GET /v1/predictions/{id}")
    assert method == "GET"
    assert pattern.fullmatch("/v1/predictions/abc")
    assert not pattern.fullmatch("/v1/predictions/abc/cancel")
    assert not pattern.fullmatch("/v1/predictions")
    method, pattern = compile_route("/models/{owner}/{name}")
    assert method is None
    assert pattern.fullmatch("/v1/models/replicate/hello-world")
    _, pattern = compile_route("* /v1/files/{rest:path}")
    assert pattern.fullmatch("/v1/files/a/b/c")
    with pytest.raises(ValueError):
        compile_route("GET predictions")


def test_fault_scripts_are_checked(emu: Emulator) -> None:
    route = "GET /v1/predictions"
    with pytest.raises(ValueError):
        emu.faults.add(route)
    with pytest.raises(ValueError):
        emu.faults.add(route, status=500, close=True)
    with pytest.raises(ValueError):
        emu.faults.add(route, status=42)
    with pytest.raises(ValueError):
        emu.faults.add(route, status=500, times=0)
    with pytest.raises(ValueError):
        emu.faults.cut_stream(after=-1)
    assert emu.faults.pending == []
