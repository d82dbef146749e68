"""``client.api``: the generated client, sending through the facade client it belongs to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from attrs import define, field
from replicate_api import AuthenticatedClient

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["APIClient"]


@define
class APIClient(AuthenticatedClient):
    """The generated ``AuthenticatedClient``, sending every request through a ``Client``.

    Generated endpoint functions take it as ``client=``; their requests then get that client's
    connection pool, auth, base URL, timeout, retries and errors (``ReplicateError``, which is
    also the generated layer's ``UnexpectedStatus``). ``with_timeout``, ``with_headers`` and
    ``with_cookies`` give copies whose changes apply to the calls made through them only.
    """

    _facade: Any = field(default=None, kw_only=True, alias="facade", repr=False)

    def send_request(self, request: dict[str, Any]) -> httpx.Response:
        client: Client = self._facade
        return client._send(self.prepare_request(request))

    async def async_send_request(self, request: dict[str, Any]) -> httpx.Response:
        client: Client = self._facade
        return await client._async_send(self.prepare_request(request))

    def get_httpx_client(self) -> httpx.Client:
        client: Client = self._facade
        return client._connections.sync_http()

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        client: Client = self._facade
        return client._connections.async_http()
