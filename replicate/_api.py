"""``client.api``: the generated client, sending through the facade client it belongs to."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
from attrs import define, field
from replicate_api import AuthenticatedClient

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["APIClient"]


def _decodable(response: httpx.Response) -> httpx.Response:
    """The response, once its JSON body is known to decode: a body cut short is then sent for
    again, or raised as ``InvalidResponseError``, as facade calls do (never a bare
    ``JSONDecodeError`` from the generated layer)."""
    if response.content and "json" in response.headers.get("content-type", ""):
        json.loads(response.content)
    return response


@define
class APIClient(AuthenticatedClient):
    """The generated ``AuthenticatedClient``, sending every request through a ``Client``.

    Generated endpoint functions take it as ``client=``; their requests then get that client's
    connection pool, auth, base URL, timeout, retries and errors (``ReplicateError``, which is
    also the generated layer's ``UnexpectedStatus``; ``InvalidResponseError`` for a JSON body
    that cannot be decoded). ``with_timeout``, ``with_headers`` and
    ``with_cookies`` give copies whose changes apply to the calls made through them only.
    """

    _facade: Any = field(default=None, kw_only=True, alias="facade", repr=False)

    def send_request(self, request: dict[str, Any]) -> httpx.Response:
        client: Client = self._facade
        return client._call(self.prepare_request(request), _decodable)

    async def async_send_request(self, request: dict[str, Any]) -> httpx.Response:
        client: Client = self._facade
        return await client._async_call(self.prepare_request(request), _decodable)

    def get_httpx_client(self) -> httpx.Client:
        client: Client = self._facade
        return client._connections.sync_http()

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        client: Client = self._facade
        return client._connections.async_http()
