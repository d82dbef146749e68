"""What 1.x code reaches into on the client: the token lookup and ``_request(method, path)``."""

from __future__ import annotations

import asyncio
import os
import sys
from unittest import mock

import httpx
import pytest

from replicate.client import Client, api_token_from_environment
from replicate.exceptions import ReplicateError


def cog_with_context(context: object) -> mock.MagicMock:
    cog = mock.MagicMock()
    cog.current_scope.return_value.context = context
    return cog


def test_token_from_the_cog_context_wins_over_the_environment() -> None:
    with (
        mock.patch.dict(os.environ, {"REPLICATE_API_TOKEN": "r8_env"}),
        mock.patch.dict(sys.modules, {"cog": cog_with_context({"replicate_api_token": "r8_cog"})}),
    ):
        assert api_token_from_environment() == "r8_cog"


@pytest.mark.parametrize(
    "cog",
    [
        None,  # not installed
        cog_with_context("not a dict"),
        cog_with_context({"other": "x"}),
        mock.MagicMock(current_scope=mock.MagicMock(side_effect=RuntimeError("no scope"))),
    ],
)
def test_token_falls_back_to_the_environment(cog: object) -> None:
    with (
        mock.patch.dict(os.environ, {"REPLICATE_API_TOKEN": "r8_env"}),
        mock.patch.dict(sys.modules, {"cog": cog}),
    ):
        assert api_token_from_environment() == "r8_env"


def test_the_cog_token_reaches_the_request() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200, json={"type": "user", "username": "u"})

    client = Client(transport=httpx.MockTransport(handler))
    with mock.patch.dict(sys.modules, {"cog": cog_with_context({"REPLICATE_API_TOKEN": "r8_c"})}):
        client.accounts.current()
    assert seen == ["Bearer r8_c"]


def test_request_with_method_and_path_from_the_origin() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url}")
        if request.url.path == "/v1/fail":
            return httpx.Response(400, json={"detail": "Client error occurred"})
        return httpx.Response(200, json={})

    client = Client(api_token="r8_x", transport=httpx.MockTransport(handler))
    assert client._request("GET", "/").status_code == 200
    assert client._request("GET", "/v1/predictions", params={"cursor": "c"}).status_code == 200
    with pytest.raises(ReplicateError) as caught:
        client._request("GET", "/v1/fail")
    assert "status: 400" in str(caught.value)
    assert "detail: Client error occurred" in str(caught.value)
    response = asyncio.run(client._async_request("GET", "/v1/account"))
    assert response.status_code == 200
    assert seen == [
        "GET https://api.replicate.com/",
        "GET https://api.replicate.com/v1/predictions?cursor=c",
        "GET https://api.replicate.com/v1/fail",
        "GET https://api.replicate.com/v1/account",
    ]
