"""Fixtures the command line's tests share: an emulator, and a port nothing listens on."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from replicate.testing import Emulator


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """An emulator served on local sockets, one per test module."""
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def closed_port_url() -> str:
    """The base URL of a local port nothing listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
