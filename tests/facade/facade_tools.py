"""What the facade tests share besides fixtures: a scripted fake API behind
``httpx.MockTransport``, recorded responses, and slow models to register on an emulator.

Tests import these by name (``from facade_tools import FakeAPI``); ``conftest.py`` holds the
fixtures. A module of its own, not ``conftest``: several test folders have a ``conftest``,
and only a unique name imports the right one whichever folders a run collects.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from replicate.testing import progress

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "responses"
TOKEN = "r8_facade_test_token_0123456789"
BASE = "https://api.replicate.com/v1"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def fixture(name: str) -> Any:
    """A recorded API response body from tests/fixtures/responses."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeAPI:
    """Answers requests by (method, path) from a script, and records every request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[httpx.Request] = []

    def add(self, method: str, path: str, *replies: Reply) -> None:
        """Queue replies for ``method path``; the last one repeats."""
        self.routes.setdefault((method.upper(), path), []).extend(replies)

    def json(self, method: str, path: str, body: Any, status: int = 200) -> None:
        self.add(method, path, httpx.Response(status, json=body))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        replies = self.routes.get((request.method, request.url.path))
        if not replies:
            return httpx.Response(404, json={"title": "Not found", "status": 404})
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return httpx.Response(reply.status_code, headers=reply.headers, content=reply.content)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


async def slow(seconds: float = 5.0, steps: int = 10) -> str:
    """``replicate/slow`` again, to register with ``streams=True``: the built-in one does not
    stream, as the API gives a stream URL only to models that support streaming."""
    for step in range(steps):
        await asyncio.sleep(seconds / steps)
        progress(step + 1, steps)
    return f"finished after {seconds} seconds"


async def slow_tokens(seconds: float = 5.0, steps: int = 10) -> AsyncIterator[str]:
    """``replicate/slow`` as a model that streams: ``steps`` tokens over ``seconds``.

    Register it (``emulator.register("tests/slow-tokens", slow_tokens)``) where a test needs a
    long-running prediction with ``urls.stream``: the built-in slow model does not stream.
    """
    for step in range(steps):
        await asyncio.sleep(seconds / steps)
        yield f"step {step} "


REAL_WAIT = 0.01
"""The longest real wait of a test clock's sleep: time passes, but little of it."""
