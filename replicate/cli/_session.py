"""The client a command talks through: to the API, or to an emulator started for it.

Example::

    with open_session(args) as session:
        print(session.client.accounts.current().username)
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from replicate.cli._errors import MissingExtra, UsageError

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["Session", "open_session"]


class Session:
    """A command's parsed arguments and its client (made when first used)."""

    def __init__(
        self, args: argparse.Namespace, *, api_token: str | None, base_url: str | None
    ) -> None:
        self.args = args
        self._api_token = api_token
        self._base_url = base_url
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            from replicate.client import Client

            options = {}
            if self.args.max_retries is not None:
                options["max_retries"] = self.args.max_retries
            self._client = Client(api_token=self._api_token, base_url=self._base_url, **options)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


@contextlib.contextmanager
def open_session(args: argparse.Namespace) -> Iterator[Session]:
    """A session for ``args``; with ``--emulator``, an emulator serves it until it ends."""
    if not args.emulator:
        session = Session(args, api_token=args.token, base_url=args.base_url)
        try:
            yield session
        finally:
            session.close()
        return
    if args.base_url:
        raise UsageError("--emulator and --base-url cannot be used together")
    with start_emulator() as (base_url, api_token):
        session = Session(args, api_token=api_token, base_url=base_url)
        try:
            yield session
        finally:
            session.close()


@contextlib.contextmanager
def start_emulator() -> Iterator[tuple[str, str]]:
    """Serve a fresh emulator on a free local port: ``(base_url, api_token)``."""
    try:
        from replicate.testing import Emulator
    except ImportError:
        raise MissingExtra("emulator", "--emulator") from None
    with Emulator() as emulator:
        yield emulator.base_url, emulator.api_token


def serve_emulator(argv: list[str]) -> int:
    """Run ``python -m replicate.testing`` with ``argv``, in the foreground, until Ctrl-C."""
    try:
        import uvicorn  # noqa: F401

        from replicate.testing.__main__ import main
    except ImportError:
        raise MissingExtra("emulator", "`replicate emulator`") from None
    try:
        return main(argv)
    except OSError as error:  # the port is taken, or the address is not this machine's
        raise UsageError(f"cannot serve the emulator: {error.strerror or error}") from None
