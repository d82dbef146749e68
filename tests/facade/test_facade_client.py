"""Client configuration, connection sharing, timeouts and lifecycle."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from facade_tools import BASE, TOKEN, FakeAPI, fixture

import replicate
from replicate.client import Client
from replicate.testing import Emulator

PREDICTION = fixture("prediction_source_cli")


def recording_client(api: FakeAPI, **kwargs: Any) -> Client:
    api.json("GET", f"/v1/predictions/{PREDICTION['id']}", PREDICTION)
    api.json("GET", f"/api/v1/predictions/{PREDICTION['id']}", PREDICTION)
    return Client(transport=httpx.MockTransport(api), **kwargs)


def test_token_and_base_url_are_read_at_the_first_request(
    api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = recording_client(api)  # nothing in the environment yet
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_from_dotenv_loaded_later")
    monkeypatch.setenv("REPLICATE_BASE_URL", "https://proxy.example.com/api")
    client.predictions.get(PREDICTION["id"])
    assert api.last.headers["authorization"] == "Bearer r8_from_dotenv_loaded_later"
    assert str(api.last.url).startswith("https://proxy.example.com/api/v1/predictions/")


@pytest.mark.parametrize(
    "base_url",
    ["https://api.replicate.com", "https://api.replicate.com/v1", "https://api.replicate.com/v1/"],
)
def test_base_url_with_or_without_v1(api: FakeAPI, base_url: str) -> None:
    client = recording_client(api, api_token=TOKEN, base_url=base_url)
    client.predictions.get(PREDICTION["id"])
    assert api.last.url.path == f"/v1/predictions/{PREDICTION['id']}"
    assert client.base_url == "https://api.replicate.com/v1"


def test_default_base_url_user_agent_and_custom_headers(api: FakeAPI) -> None:
    client = recording_client(api, api_token=TOKEN, headers={"X-Trace": "1"})
    client.predictions.get(PREDICTION["id"])
    assert api.last.url.host == "api.replicate.com"
    assert api.last.headers["user-agent"].startswith(f"replicate-client/{replicate.__version__}")
    assert api.last.headers["x-trace"] == "1"
    custom = recording_client(api, api_token=TOKEN, headers={"User-Agent": "my-app/1.0"})
    custom.predictions.get(PREDICTION["id"])
    assert api.last.headers["user-agent"] == "my-app/1.0"


def test_poll_interval_from_argument_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    client = Client()
    assert client.poll_interval == 0.5
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "0.2")
    assert client.poll_interval == 0.2
    client.poll_interval = 1.5
    assert client.poll_interval == 1.5
    assert Client(poll_interval=0.1).poll_interval == 0.1


def test_timeouts_per_client_and_per_call(api: FakeAPI) -> None:
    client = recording_client(api, api_token=TOKEN, timeout=12.0)
    client.predictions.get(PREDICTION["id"])
    assert api.last.extensions["timeout"]["read"] == 12.0
    client.with_options(timeout=httpx.Timeout(3.0)).predictions.get(PREDICTION["id"])
    assert api.last.extensions["timeout"]["read"] == 3.0
    assert client.timeout.read == 12.0  # the original is unchanged


def test_one_pool_shared_by_copies_and_by_the_raw_api(api: FakeAPI) -> None:
    client = recording_client(api, api_token=TOKEN)
    client.predictions.get(PREDICTION["id"])
    pool = client._connections.sync_http()
    client.predictions.get(PREDICTION["id"])
    assert client._connections.sync_http() is pool
    assert client.with_options(timeout=1)._connections.sync_http() is pool
    assert client.api.get_httpx_client() is pool

    from replicate_api.api.predictions import get

    response = get.sync_detailed(PREDICTION["id"], client=client.api)
    assert response.status_code == 200 and response.parsed.id == PREDICTION["id"]
    assert api.last.headers["authorization"] == f"Bearer {TOKEN}"


def test_async_functions_survive_repeated_asyncio_run(api: FakeAPI) -> None:
    client = recording_client(api, api_token=TOKEN)
    pools = []

    async def main() -> str:
        prediction = await client.predictions.async_get(PREDICTION["id"])
        pools.append(client._connections.async_http())
        return prediction.id

    assert asyncio.run(main()) == asyncio.run(main()) == PREDICTION["id"]
    assert pools[0] is not pools[1]  # a pool bound to a closed loop is never reused


def test_context_managers_close_the_pool(api: FakeAPI) -> None:
    with recording_client(api, api_token=TOKEN) as client:
        client.predictions.get(PREDICTION["id"])
        pool = client._connections.sync_http()
    assert pool.is_closed

    async def main() -> bool:
        async with recording_client(api, api_token=TOKEN) as client:
            await client.predictions.async_get(PREDICTION["id"])
            async_pool = client._connections.async_http()
        return async_pool.is_closed

    assert asyncio.run(main())


def test_a_custom_transport_sees_every_request(api: FakeAPI) -> None:
    client = recording_client(api, api_token=TOKEN)
    client.predictions.get(PREDICTION["id"])
    assert len(api.requests) == 1


def test_max_retries_must_not_be_negative() -> None:
    with pytest.raises(ValueError):
        Client(max_retries=-1)


def test_an_async_only_transport_serves_async_calls_and_refuses_sync_ones(api: FakeAPI) -> None:
    emu = Emulator()  # not started: served in process, no socket
    client = Client(emu.api_token, base_url=emu.base_url, transport=httpx.ASGITransport(emu.asgi))
    output = asyncio.run(client.async_run("replicate/hello-world", input={"text": "world"}))
    assert output == "hello world"
    started = time.monotonic()
    with pytest.raises(TypeError, match=r"ASGITransport.* serves async calls only.*async_ methods"):
        client.run("replicate/hello-world", input={"text": "world"})
    assert time.monotonic() - started < 1  # no network, no retries

    # what the message suggests: a transport of their own for sync calls
    both = Client(
        TOKEN,
        base_url=BASE,
        transport=httpx.ASGITransport(emu.asgi),
        http_client=httpx.Client(transport=httpx.MockTransport(api)),
    )
    api.json("GET", f"/v1/predictions/{PREDICTION['id']}", PREDICTION)
    assert both.predictions.get(PREDICTION["id"]).id == PREDICTION["id"]


def test_a_sync_only_transport_refuses_async_calls() -> None:
    def app(environ: Any, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(PREDICTION).encode()]

    client = Client(TOKEN, base_url=BASE, transport=httpx.WSGITransport(app=app))
    assert client.predictions.get(PREDICTION["id"]).id == PREDICTION["id"]
    with pytest.raises(TypeError, match=r"WSGITransport.* serves sync calls only"):
        asyncio.run(client.predictions.async_get(PREDICTION["id"]))
    with pytest.raises(TypeError, match="not an httpx transport"):
        Client(TOKEN, transport="http://proxy").predictions.get(PREDICTION["id"])
