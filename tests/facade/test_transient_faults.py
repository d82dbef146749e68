"""Waiting survives transient faults; an undecodable body is a ReplicateError, never bare JSON.

Scripted over httpx.MockTransport: 500s, read timeouts and bodies cut short on the polls of a
prediction that goes on to succeed, more of them in a row than one request's retries allow.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from facade_tools import BASE, TOKEN, FakeAPI

from replicate import _retry
from replicate.client import Client
from replicate.exceptions import (
    DeadlineExceededError,
    InvalidResponseError,
    NotFoundError,
    ReplicateError,
)

VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
ID = "p1"
GET = f"/v1/predictions/{ID}"


def prediction(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": ID,
        "version": VERSION,
        "status": status,
        "input": {"text": "Alice"},
        "urls": {"get": f"{BASE}/predictions/{ID}", "cancel": f"{BASE}/predictions/{ID}/cancel"},
        **fields,
    }


def cut(body: dict[str, Any]) -> httpx.Response:
    raw = httpx.Response(200, json=body).content
    return httpx.Response(200, headers={"content-type": "application/json"}, content=raw[:20])


def make_client(api: FakeAPI, **options: Any) -> Client:
    return Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(api), **options)


FAULTS = [
    httpx.Response(500, json={"title": "Internal Server Error", "status": 500}),
    httpx.ReadTimeout("the poll timed out"),
    cut(prediction("processing")),
    httpx.Response(503),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    cut(prediction("processing")),
    httpx.Response(500),
]


def test_a_run_returns_its_output_through_faults_on_every_poll(api: FakeAPI, call: Any) -> None:
    api.json("POST", "/v1/predictions", prediction("starting"), status=201)
    api.add("GET", GET, *FAULTS, httpx.Response(200, json=prediction("succeeded", output="hi")))
    client = make_client(api, max_retries=1)  # fewer retries than faults in a row
    assert call(client, "run", f"acme/hello:{VERSION}", {"text": "Alice"}, wait=False) == "hi"
    assert [r.method for r in api.requests].count("POST") == 1
    assert len([r for r in api.requests if r.url.path == GET]) == len(FAULTS) + 1


def test_a_single_get_is_retried_on_500_timeouts_and_cut_bodies(api: FakeAPI, call: Any) -> None:
    api.add(
        "GET",
        GET,
        httpx.Response(500),
        httpx.ReadTimeout("slow"),
        cut(prediction("processing")),
        httpx.Response(200, json=prediction("processing")),
    )
    client = make_client(api)
    assert call(client.predictions, "get", ID).status == "processing"
    assert len(api.requests) == 4


def test_a_cancel_is_retried_on_500(api: FakeAPI, call: Any) -> None:
    api.add(
        "POST",
        f"{GET}/cancel",
        httpx.Response(500),
        httpx.Response(200, json=prediction("canceled")),
    )
    assert call(make_client(api).predictions, "cancel", ID).status == "canceled"
    assert len(api.requests) == 2


def test_an_undecodable_body_outside_a_wait_is_a_replicate_error(api: FakeAPI, call: Any) -> None:
    api.add("GET", GET, cut(prediction("processing")))
    client = make_client(api, max_retries=2)
    with pytest.raises(InvalidResponseError) as raised:
        call(client.predictions, "get", ID)
    error = raised.value
    assert isinstance(error, ReplicateError)
    assert error.status == 200 and "could not be decoded" in str(error)
    assert "JSONDecodeError" in str(error)
    assert len(api.requests) == 3  # the first attempt and two retries


def test_a_create_with_an_undecodable_body_is_not_sent_again(api: FakeAPI, call: Any) -> None:
    api.add("POST", "/v1/predictions", cut(prediction("starting")))
    with pytest.raises(InvalidResponseError) as raised:
        call(make_client(api).predictions, "create", VERSION, {"text": "Alice"})
    assert "prediction may exist" in str(raised.value)
    assert [r.method for r in api.requests].count("POST") == 1


def test_an_error_that_is_not_transient_still_ends_the_wait(api: FakeAPI, call: Any) -> None:
    api.json("POST", "/v1/predictions", prediction("starting"), status=201)
    api.json("GET", GET, {"title": "Not found", "status": 404}, status=404)
    with pytest.raises(NotFoundError):
        call(make_client(api), "run", f"acme/hello:{VERSION}", {"text": "Alice"}, wait=False)


def test_a_wait_through_an_outage_still_ends_at_its_deadline(api: FakeAPI, call: Any) -> None:
    api.json("POST", "/v1/predictions", prediction("starting"), status=201)
    api.add("GET", GET, httpx.ReadTimeout("down"))
    client = make_client(api)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError):
        call(client, "run", f"acme/hello:{VERSION}", {"text": "Alice"}, wait=False, deadline=0.5)
    assert time.monotonic() - started < 5.0
    assert api.last.url.path == f"{GET}/cancel"  # run cancels what it gave up on


def test_no_retry_is_started_that_the_deadline_would_cut() -> None:
    attempts: list[httpx.Request] = []

    def send(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise httpx.ReadTimeout("slow", request=request)

    request = httpx.Request("GET", f"{BASE}{GET}", extensions={"timeout": {"read": 30.0}})
    with pytest.raises(httpx.ReadTimeout):
        _retry.send_with_retries(
            send, request, max_retries=5, sleep=lambda _: None, remaining=lambda: 0.2
        )
    assert len(attempts) == 1  # the first backoff (0.375 s at least) outlasts what is left


def test_each_retry_gets_what_is_left_of_the_deadline_as_its_timeout() -> None:
    timeouts: list[Any] = []

    def send(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        if len(timeouts) < 3:
            return httpx.Response(503, request=request)
        return httpx.Response(200, request=request)

    left = iter([50.0, 7.0, 50.0, 3.0])  # asked before each retry, then for its timeout
    request = httpx.Request("GET", f"{BASE}{GET}", extensions={"timeout": {"read": 30.0}})
    response = _retry.send_with_retries(
        send, request, max_retries=5, sleep=lambda _: None, remaining=lambda: next(left)
    )
    assert response.status_code == 200
    assert timeouts == [30.0, 7.0, 3.0]


def test_the_generated_layer_through_client_api_retries_and_raises_the_same(
    api: FakeAPI,
) -> None:
    from replicate_api.api.predictions import get

    api.add("GET", GET, cut(prediction("processing")), httpx.Response(200, json=prediction("ok")))
    client = make_client(api)
    assert get.sync(ID, client=client.api).status == "ok"
    assert len(api.requests) == 2
    api.add("GET", "/v1/predictions/p2", cut(prediction("processing")))
    with pytest.raises(InvalidResponseError):
        get.sync("p2", client=client.with_options(max_retries=0).api)


def test_a_lost_create_answer_is_looked_for_briefly_in_an_outage(
    api: FakeAPI, waits: list[float]
) -> None:
    api.add("POST", "/v1/predictions", httpx.Response(500))
    api.add("GET", "/v1/predictions", httpx.Response(503))
    client = make_client(api)  # 5 retries for its own calls
    with pytest.raises(ReplicateError) as raised:
        client.predictions.create(VERSION, {"text": "Alice"})
    assert raised.value.status == 500  # the create's own error, not the search's
    looks = [r for r in api.requests if r.method == "GET"]
    assert len(looks) == 6  # three looks, each retried once at most
    assert sum(waits) < 5


def test_a_found_prediction_waits_with_the_callers_client(api: FakeAPI) -> None:
    api.add("POST", "/v1/predictions", httpx.RemoteProtocolError("dropped"))
    found = prediction("starting", created_at="2026-11-30T10:00:00Z")
    api.json("GET", "/v1/predictions", {"results": [found], "next": None, "previous": None})
    api.add(
        "GET",
        GET,
        httpx.Response(503),
        httpx.Response(503),
        httpx.Response(200, json=prediction("succeeded", output="hi")),
    )
    client = make_client(api, max_retries=3)
    assert client.run(f"acme/hello:{VERSION}", {"text": "Alice"}, wait=False) == "hi"
    assert [r.method for r in api.requests].count("POST") == 1
