"""run and wait, precisely: the requests they send and when, against a scripted fake API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from facade_tools import BASE, TOKEN, FakeAPI, fixture

from replicate._clock import Clock
from replicate.client import Client
from replicate.exceptions import DeadlineExceededError, ModelError
from replicate.prediction import Prediction
from replicate.version import Version

VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
STARTING = {**fixture("prediction_starting_no_output"), "urls": {}}
PID = STARTING["id"]
GET = f"/v1/predictions/{PID}"
ITERATOR_SCHEMA = {
    "components": {
        "schemas": {
            "Output": {
                "type": "array",
                "items": {"type": "string"},
                "x-cog-array-type": "iterator",
            }
        }
    }
}


def state(status: str, **fields: Any) -> dict[str, Any]:
    return {**STARTING, "status": status, **fields}


@pytest.fixture
def polling_client(api: FakeAPI) -> Client:
    return Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(api), poll_interval=0.5)


@pytest.mark.parametrize(
    ("wait", "prefer", "read"),
    [(True, "wait", 65.0), (60, "wait=60", 65.0), (1, "wait=1", 30.0), (False, None, 30.0)],
)
def test_prefer_header_and_read_timeout(
    client: Client, api: FakeAPI, call: Any, wait: Any, prefer: str | None, read: float
) -> None:
    api.json("POST", "/v1/models/a/b/predictions", state("succeeded", output="ok"), status=201)
    assert call(client, "run", "a/b", {}, wait=wait) == "ok"
    request = api.requests[0]
    assert request.headers.get("prefer") == prefer
    # a Prefer: wait=60 request must not fail at the usual 30 s read timeout
    assert request.extensions["timeout"]["read"] == read


def test_deadline_shrinks_the_wait_window(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("POST", "/v1/models/a/b/predictions", state("succeeded", output="ok"), status=201)
    call(client, "run", "a/b", {}, deadline=10.5)
    assert api.requests[0].headers["prefer"] == "wait=10"


def test_cancel_after_header(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("POST", "/v1/models/a/b/predictions", state("succeeded", output="ok"), status=201)
    call(client, "run", "a/b", {}, cancel_after=90)
    assert api.requests[0].headers["cancel-after"] == "90s"
    call(client, "run", "a/b", {}, cancel_after="1h30m")
    assert api.requests[1].headers["cancel-after"] == "1h30m"


def test_polling_starts_fast_and_backs_off(
    polling_client: Client, api: FakeAPI, waits: list[float], call: Any
) -> None:
    api.json("POST", "/v1/models/a/b/predictions", STARTING, status=201)
    api.add(
        "GET",
        GET,
        *(httpx.Response(200, json=state("starting")) for _ in range(2)),
        *(httpx.Response(200, json=state("processing")) for _ in range(4)),
        httpx.Response(200, json=state("succeeded", output="done")),
    )
    assert call(polling_client, "run", "a/b", {}, wait=False) == "done"
    # an early "starting" reply costs 50 ms, not a whole interval
    assert waits == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5, 0.5]


def test_unknown_statuses_do_not_crash_or_hang(
    polling_client: Client, api: FakeAPI, waits: list[float], call: Any
) -> None:
    api.json("POST", "/v1/models/a/b/predictions", STARTING, status=201)
    api.add(
        "GET",
        GET,
        httpx.Response(200, json=state("queued_for_gpu")),
        httpx.Response(
            200, json=state("archived", output="kept", completed_at="2026-01-01T00:00:00.1Z")
        ),
    )
    assert call(polling_client, "run", "a/b", {}, wait=False) == "kept"
    assert len(waits) == 2


@pytest.mark.parametrize("status", ["canceled", "aborted"])
def test_wait_stops_on_canceled_and_aborted(
    polling_client: Client, api: FakeAPI, waits: list[float], call: Any, status: str
) -> None:
    api.add("GET", GET, httpx.Response(200, json=state(status)))
    prediction = Prediction(**dict(STARTING)).bind(polling_client)
    call(prediction, "wait")
    assert prediction.status == status and len(api.requests) == 1


def test_done_before_the_api_shows_it(
    polling_client: Client, api: FakeAPI, waits: list[float]
) -> None:
    stream_url = f"{BASE}/predictions/{PID}/stream"
    body = b"id: 1\nevent: output\ndata: hi\n\nid: 2\nevent: done\ndata: {}\n\n"
    api.add(
        "GET",
        f"/v1/predictions/{PID}/stream",
        httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body),
    )
    api.add(
        "GET",
        GET,
        httpx.Response(200, json=state("processing")),
        httpx.Response(200, json=state("succeeded", output="hi")),
    )
    prediction = Prediction(**{**STARTING, "urls": {"stream": stream_url}}).bind(polling_client)
    prediction.wait()
    assert prediction.status == "succeeded"
    assert waits == [0.05]  # one fetch after done, then the fast schedule


def test_version_output_type_is_fetched_once(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("POST", "/v1/predictions", state("succeeded", output=["a", "b"]), status=201)
    api.json(
        "GET",
        f"/v1/models/a/b/versions/{VERSION}",
        {"id": VERSION, "openapi_schema": ITERATOR_SCHEMA, "cog_version": "0.9.4"},
    )
    for _ in range(2):
        output = call(client, "run", f"a/b:{VERSION}", {})
        if isinstance(output, AsyncIterator):

            async def collect(items: AsyncIterator[Any] = output) -> list[Any]:
                return [item async for item in items]

            output = asyncio.run(collect())
        else:
            assert isinstance(output, Iterator)
        assert list(output) == ["a", "b"]
    versions = [r for r in api.requests if "/versions/" in r.url.path]
    assert len(versions) == 1


def test_a_version_object_from_old_cog_iterates(client: Client, api: FakeAPI) -> None:
    api.json("POST", "/v1/predictions", state("succeeded", output=["x"]), status=201)
    old = Version(
        id=VERSION,
        cog_version="0.3.8",
        openapi_schema={"components": {"schemas": {"Output": {"type": "array"}}}},
    )
    assert list(client.run(old, {})) == ["x"]
    assert not any("/versions/" in r.url.path for r in api.requests)


def test_failed_after_waiting_raises_model_error(
    polling_client: Client, api: FakeAPI, waits: list[float], call: Any
) -> None:
    api.json("POST", "/v1/models/a/b/predictions", STARTING, status=201)
    api.json("GET", GET, state("failed", error="CUDA out of memory"))
    with pytest.raises(ModelError, match="CUDA") as raised:
        call(polling_client, "run", "a/b", {}, wait=False)
    assert raised.value.prediction.status == "failed"


class Interrupted(Clock):
    """A clock whose first wait is cut short by Ctrl-C."""

    def sleep(self, seconds: float) -> None:
        raise KeyboardInterrupt


def test_interrupt_while_polling_cancels(api: FakeAPI) -> None:
    polling_client = Client(
        TOKEN, base_url=BASE, transport=httpx.MockTransport(api), clock=Interrupted()
    )
    api.json("POST", "/v1/models/a/b/predictions", STARTING, status=201)
    api.json("POST", f"{GET}/cancel", state("canceled"))
    with pytest.raises(KeyboardInterrupt):
        polling_client.run("a/b", {}, wait=False)
    cancel = api.requests[-1]
    assert cancel.url.path == f"{GET}/cancel"
    assert cancel.extensions["timeout"]["read"] == 5.0  # a short, single try

    polling_client.cancel_on_interrupt = False
    count = len(api.requests)
    with pytest.raises(KeyboardInterrupt):
        polling_client.run("a/b", {}, wait=False)
    assert [r.url.path for r in api.requests[count:]] == ["/v1/models/a/b/predictions"]


def test_deadline_while_polling(
    polling_client: Client, api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.json("POST", "/v1/models/a/b/predictions", STARTING, status=201)
    api.json("GET", GET, state("processing"))
    api.json("POST", f"{GET}/cancel", state("canceled"))
    with pytest.raises(DeadlineExceededError) as raised:
        polling_client.run("a/b", {}, wait=False, deadline=0.2)
    assert raised.value.prediction.status == "canceled"
    assert api.requests[-1].url.path == f"{GET}/cancel"
