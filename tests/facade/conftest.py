"""Fixtures of the facade tests: a scripted fake API behind ``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from facade_tools import BASE, REAL_WAIT, TOKEN, FakeAPI

import replicate
from replicate._clock import Clock
from replicate.client import Client


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def client(api: FakeAPI) -> Client:
    return Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(api), poll_interval=0)


@pytest.fixture(autouse=True)
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait a client's clock is asked for (retry backoffs, polls, stream reconnects),
    recorded; each lasts ``REAL_WAIT`` at most, so real time still passes for deadlines."""
    recorded: list[float] = []

    def sleep(self: Clock, seconds: float) -> None:
        recorded.append(seconds)
        time.sleep(min(seconds, REAL_WAIT))

    async def async_sleep(self: Clock, seconds: float) -> None:
        recorded.append(seconds)
        await anyio.sleep(min(seconds, REAL_WAIT))

    monkeypatch.setattr(Clock, "sleep", sleep)
    monkeypatch.setattr(Clock, "async_sleep", async_sleep)
    return recorded


@pytest.fixture(params=["sync", "async"])
def call(request: pytest.FixtureRequest) -> Callable[..., Any]:
    """Call a method by name, as ``obj.name(...)`` or ``asyncio.run(obj.async_name(...))``."""

    def invoke(obj: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
        if request.param == "sync":
            return getattr(obj, name)(*args, **kwargs)
        return asyncio.run(getattr(obj, f"async_{name}")(*args, **kwargs))

    invoke.mode = request.param  # type: ignore[attr-defined]
    return invoke


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REPLICATE_API_TOKEN", "REPLICATE_BASE_URL", "REPLICATE_POLL_INTERVAL"):
        monkeypatch.delenv(name, raising=False)
    assert replicate.__version__
