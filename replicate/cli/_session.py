"""The client a command talks through: to the API, or to an emulator started for it.

The base URL and the token are checked before the client is made, wherever they come from
(``--base-url``/``REPLICATE_BASE_URL``, ``--token``/``REPLICATE_API_TOKEN``): a base URL that
is not an ``http(s)://host`` URL, or a token an HTTP header cannot carry, is a usage error
that names its source (and never shows the token).

Example::

    with open_session(args) as session:
        print(session.client.accounts.current().username)
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from replicate.cli._errors import MissingExtra, UsageError
from replicate.cli._inputs import is_utf8

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["Session", "check_base_url", "check_token", "open_session"]


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
        check_base_url(*_given(args.base_url, "--base-url", "REPLICATE_BASE_URL"))
        check_token(*_given(args.token, "--token", "REPLICATE_API_TOKEN"))
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


def _given(option_value: str | None, option: str, variable: str) -> tuple[str | None, str]:
    """The value the client will use (the option's, else the variable's), and its source."""
    if option_value is not None:
        return option_value, option
    return os.environ.get(variable), variable


def check_base_url(url: str | None, source: str) -> None:
    """Raise ``UsageError`` unless ``url`` (from ``source``) is an ``http(s)://host`` URL.

    None and empty are fine: the client uses the default base URL then.

    Example::

        check_base_url("notaurl", "REPLICATE_BASE_URL")  # UsageError
    """
    import httpx

    if not url:
        return
    problem = f"{source} must be an http:// or https:// URL such as https://api.replicate.com/v1"
    if not is_utf8(url):
        raise UsageError(f"{problem}; it is not valid UTF-8 text: {url!r}")
    try:
        parsed = httpx.URL(url.strip())
        port = parsed.port
    except (httpx.InvalidURL, ValueError):
        raise UsageError(f"{problem}, got {url!r}") from None
    if (
        parsed.scheme not in ("http", "https")
        or not parsed.host
        or any(char.isspace() for char in url.strip())
    ):
        raise UsageError(f"{problem}, got {url!r}")
    if port is not None and not 0 < port < 65536:
        raise UsageError(f"{source}: the port {port} is not 1 to 65535")


def check_token(token: str | None, source: str) -> None:
    """Raise ``UsageError`` if ``token`` (from ``source``) cannot go in an HTTP header; the
    message never shows the token.

    Example::

        check_token("r8_abc def", "--token")  # UsageError: a space or a line break
    """
    if token is None:
        return
    if any(char.isspace() for char in token):
        raise UsageError(f"the API token from {source} has a space or a line break in it")
    if not all("!" <= char <= "~" for char in token):
        raise UsageError(
            f"the API token from {source} has a character other than ASCII letters, digits "
            "and punctuation"
        )


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
