"""The retry policy: what is retried, how long it waits, and what is never retried."""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import Any

import httpx
import pytest
from facade_tools import BASE, TOKEN, FakeAPI, fixture

from replicate import _retry
from replicate.client import Client
from replicate.exceptions import RateLimitError, ServerError

PREDICTION = fixture("prediction_source_cli")
GET_PATH = f"/v1/predictions/{PREDICTION['id']}"


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    assert _retry.backoff(0, rand=lambda: 0.0) == _retry.INITIAL_BACKOFF
    assert _retry.backoff(1, rand=lambda: 0.0) == 2 * _retry.INITIAL_BACKOFF
    assert _retry.backoff(30, rand=lambda: 0.0) == _retry.MAX_BACKOFF
    jittered = _retry.backoff(2, rand=lambda: 1.0)
    assert jittered == pytest.approx(4 * _retry.INITIAL_BACKOFF * (1 - _retry.JITTER))


def test_retry_after_seconds_and_http_date_are_honoured_and_capped() -> None:
    assert _retry.retry_after({"Retry-After": "7"}) == 7.0
    now = time.time()
    date = email.utils.formatdate(now + 12, usegmt=True)
    assert _retry.retry_after({"retry-after": date}, now=now) == pytest.approx(12, abs=1)
    assert _retry.retry_after({"Retry-After": "3600"}) == _retry.MAX_RETRY_AFTER
    assert _retry.retry_after({"Retry-After": "not a date"}) is None
    past = email.utils.formatdate(now - 100, usegmt=True)
    assert _retry.retry_after({"Retry-After": past}, now=now) == 0.0


@pytest.mark.parametrize(
    ("method", "status", "retried"),
    [
        ("GET", 429, True),
        ("GET", 502, True),
        ("GET", 503, True),
        ("GET", 504, True),
        ("GET", 500, True),
        ("GET", 404, False),
        ("POST", 500, False),
        ("DELETE", 503, True),
        ("POST", 429, True),
        ("POST", 503, False),
        ("POST", 502, False),
        ("PATCH", 504, False),
    ],
)
def test_which_statuses_are_retried(method: str, status: int, retried: bool) -> None:
    delay = _retry.retry_delay_after_response(method, status, {}, 0, 3)
    assert (delay is not None) is retried


@pytest.mark.parametrize(
    ("url", "retried"),
    [
        ("https://api.replicate.com/v1/predictions/abc/cancel", True),
        ("https://api.replicate.com/v1/trainings/abc/cancel/", True),
        ("https://api.replicate.com/v1/predictions", False),
        ("https://api.replicate.com/v1/models/a/b/predictions", False),
    ],
)
def test_a_cancel_is_retried_as_an_idempotent_request(url: str, retried: bool) -> None:
    delay = _retry.retry_delay_after_response("POST", 500, {}, 0, 3, url=url)
    assert (delay is not None) is retried
    error = httpx.ReadTimeout("slow")
    assert (_retry.retry_delay_after_error("POST", error, 0, 3, url=url) is not None) is retried


@pytest.mark.parametrize(
    ("method", "error", "retried"),
    [
        ("GET", httpx.ConnectError("refused"), True),
        ("GET", httpx.ReadError("reset"), True),
        ("GET", httpx.RemoteProtocolError("closed"), True),
        ("GET", httpx.ReadTimeout("slow"), True),
        ("GET", httpx.WriteTimeout("slow"), True),
        ("POST", httpx.ConnectError("refused"), True),
        ("POST", httpx.ConnectTimeout("slow"), True),
        ("POST", httpx.PoolTimeout("busy"), True),
        ("POST", httpx.ReadError("reset"), False),
        ("POST", httpx.ReadTimeout("slow"), False),
        ("POST", httpx.RemoteProtocolError("closed"), False),
    ],
)
def test_which_errors_are_retried(method: str, error: Exception, retried: bool) -> None:
    assert (_retry.retry_delay_after_error(method, error, 0, 3) is not None) is retried


def test_no_retry_once_the_limit_is_reached() -> None:
    assert _retry.retry_delay_after_response("GET", 503, {}, 3, 3) is None
    assert _retry.retry_delay_after_error("GET", httpx.ConnectError("x"), 3, 3) is None


def test_get_is_retried_on_503_with_backoff(
    client: Client, api: FakeAPI, call: Any, waits: list[float]
) -> None:
    api.add(
        "GET",
        GET_PATH,
        httpx.Response(503),
        httpx.Response(502),
        httpx.Response(200, json=PREDICTION),
    )
    assert call(client.predictions, "get", PREDICTION["id"]).id == PREDICTION["id"]
    assert len(api.requests) == 3
    assert len(waits) == 2 and waits[1] > waits[0] * 1.2


def test_retry_after_header_sets_the_wait(
    client: Client, api: FakeAPI, call: Any, waits: list[float]
) -> None:
    throttled = httpx.Response(
        429, headers={"Retry-After": "3"}, json=fixture("problem_429_predictions_create")
    )
    api.add("POST", "/v1/predictions", throttled, httpx.Response(201, json=PREDICTION))
    call(client.predictions, "create", "a" * 64, {})
    assert waits == [3.0]
    assert len(api.requests) == 2  # a 429 means the server refused: safe to send again


def test_a_post_that_reached_the_server_is_not_retried(
    client: Client, api: FakeAPI, call: Any
) -> None:
    api.add("POST", "/v1/predictions", httpx.ReadTimeout("timed out"))
    with pytest.raises(httpx.ReadTimeout) as raised:  # still httpx's own exception
        call(client.predictions, "create", "a" * 64, {})
    assert [request.method for request in api.requests].count("POST") == 1
    message = str(raised.value)
    assert "prediction may exist" in message and "predictions.list()" in message


def test_a_post_answered_with_503_is_not_retried_and_says_so(
    client: Client, api: FakeAPI, call: Any
) -> None:
    api.add("POST", "/v1/models/a/b/predictions", httpx.Response(503, json={"title": "Busy"}))
    with pytest.raises(ServerError) as raised:
        call(client.models.predictions, "create", "a/b", {})
    assert [request.method for request in api.requests].count("POST") == 1
    assert "prediction may exist" in str(raised.value)


def test_a_post_that_never_left_is_retried(client: Client, api: FakeAPI, call: Any) -> None:
    api.add(
        "POST",
        "/v1/predictions",
        httpx.ConnectError("refused"),
        httpx.Response(201, json=PREDICTION),
    )
    call(client.predictions, "create", "a" * 64, {})
    assert len(api.requests) == 2


def test_retries_give_up_after_max_retries(api: FakeAPI, call: Any) -> None:
    client = Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(api), max_retries=2)
    api.add("GET", GET_PATH, httpx.Response(429, json={"title": "Slow down"}))
    with pytest.raises(RateLimitError):
        call(client.predictions, "get", PREDICTION["id"])
    assert len(api.requests) == 3


def test_max_retries_zero_turns_retries_off(api: FakeAPI, call: Any) -> None:
    client = Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(api), max_retries=0)
    api.add("GET", GET_PATH, httpx.Response(503), httpx.Response(200, json=PREDICTION))
    with pytest.raises(ServerError):
        call(client.predictions, "get", PREDICTION["id"])
    assert len(api.requests) == 1
    # and per call, on a client that retries
    retrying = Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(api))
    api.requests.clear()
    api.routes.clear()
    api.add("GET", GET_PATH, httpx.Response(503))
    with pytest.raises(ServerError):
        call(retrying.with_options(max_retries=0).predictions, "get", PREDICTION["id"])
    assert len(api.requests) == 1


def test_raw_api_calls_get_retries_too(client: Client, api: FakeAPI) -> None:
    from replicate_api.api.predictions import get

    api.add("GET", GET_PATH, httpx.Response(503), httpx.Response(200, json=PREDICTION))
    assert get.sync(PREDICTION["id"], client=client.api).id == PREDICTION["id"]

    async def main() -> str:
        api.routes.clear()
        api.add("GET", GET_PATH, httpx.Response(504), httpx.Response(200, json=PREDICTION))
        return (await get.asyncio(PREDICTION["id"], client=client.api)).id

    assert asyncio.run(main()) == PREDICTION["id"]
    assert len(api.requests) == 4
