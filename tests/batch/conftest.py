"""Fixtures the batch tests share: an emulator over sockets with models made for batches."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

import replicate
from replicate.pagination import paginate_items
from replicate.testing import Emulator


async def echo(text: str, wait: float = 0.0) -> str:
    """Says ``text`` back after ``wait`` seconds; fails on the text ``bad``."""
    if wait:
        await asyncio.sleep(wait)
    if text == "bad":
        raise RuntimeError("bad text, on purpose")
    return f"echo {text}"


def add(a: int, b: int = 0) -> int:
    """Adds two integers."""
    return a + b


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    """An emulator served on 127.0.0.1, with ``me/echo`` and ``me/add``, one per module."""
    with Emulator() as emulator:
        emulator.register("me/echo", echo)
        emulator.register("me/add", add)
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[replicate.Client]:
    with replicate.Client(api_token=emu.api_token, base_url=emu.base_url) as made:
        yield made


def server_predictions(
    client: replicate.Client, prefix: str
) -> list[replicate.prediction.Prediction]:
    """The account's predictions whose ``text`` input starts with ``prefix`` (from the API)."""
    return [
        prediction
        for prediction in paginate_items(client.predictions.list)
        if str((prediction.input or {}).get("text", "")).startswith(prefix)
    ]
