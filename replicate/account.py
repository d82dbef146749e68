"""Accounts: the user or organization a token belongs to."""

from __future__ import annotations

from replicate._generated import account_get
from replicate.resource import Namespace, Resource

__all__ = ["Account", "Accounts"]


class Account(Resource):
    """A user or organization account on Replicate.

    Its fields are those of the API's account (``replicate_api.models.Account``).

    Example::

        account = replicate.default_client.accounts.current()
        print(account.type, account.username)
    """

    _generated = ("Account",)

    type: str | None
    """``user`` or ``organization``."""

    username: str | None
    """The account's username."""

    name: str | None
    """The account's display name."""

    github_url: str | None
    """The account's GitHub URL."""

    avatar_url: str | None
    """The account's avatar."""


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
        return self._one(Account, account_get)

    async def async_current(self) -> Account:
        """The account the API token belongs to, asynchronously.

        Example::

            account = await client.accounts.async_current()
        """
        return await self._async_one(Account, account_get)
