"""Accounts: the user or organization a token belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from replicate.resource import Namespace, Resource

__all__ = ["Account", "Accounts"]


@dataclass(kw_only=True)
class Account(Resource):
    """A user or organization account on Replicate.

    Example::

        account = replicate.default_client.accounts.current()
        print(account.type, account.username)
    """

    type: str | None = None
    """``user`` or ``organization``."""

    username: str | None = None
    """The account's username."""

    name: str | None = None
    """The account's display name."""

    github_url: str | None = None
    """The account's GitHub URL."""

    avatar_url: str | None = None
    """The account's avatar."""


def account_from_json(data: dict[str, Any]) -> Account:
    """An Account from the API's JSON (kept in step with the generated model by a test)."""
    get = data.get
    return Account(
        type=get("type"),
        username=get("username"),
        name=get("name"),
        github_url=get("github_url"),
        avatar_url=get("avatar_url"),
    )


class Accounts(Namespace):
    """Operations on accounts: ``current``, ``async_current``.

    Example::

        print(client.accounts.current().username)
    """

    def current(self) -> Account:
        """The account the API token belongs to.

        Example::

            account = client.accounts.current()
        """
        from replicate_api.api.account import get

        return account_from_json(self._client._request(get._get_kwargs()).json())

    async def async_current(self) -> Account:
        """The account the API token belongs to, asynchronously.

        Example::

            account = await client.accounts.async_current()
        """
        from replicate_api.api.account import get

        return account_from_json((await self._client._async_request(get._get_kwargs())).json())
