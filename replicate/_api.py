"""``client.api``: the generated client, wired to the facade's connection pool."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
from attrs import define, field
from replicate_api import AuthenticatedClient

if TYPE_CHECKING:
    from replicate.client import _Pool

__all__ = ["APIClient"]


@define
class APIClient(AuthenticatedClient):
    """The generated ``AuthenticatedClient``, sending through the facade's httpx clients.

    Generated endpoint functions take it as ``client=``; they then share the facade's
    connection pool, auth, base URL, timeout and retries. The async pool follows the running
    event loop, as the facade's does.
    """

    _pool: Any = field(default=None, kw_only=True, alias="pool", repr=False)

    def get_httpx_client(self) -> httpx.Client:
        pool: _Pool = self._pool
        client = pool.sync_http()
        self.set_httpx_client(client)
        return client

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        pool: _Pool = self._pool
        client = pool.async_http()
        self.set_async_httpx_client(client)
        return client
