"""Scripted faults and rate limits: what a flaky network and a busy service do to a client.

Faults are scripted per route, with starlette-style ``{param}`` placeholders, and counted
down as requests match them::

    emu.faults.add("POST /v1/predictions", status=429, times=2, retry_after=1)
    emu.faults.add("GET /v1/predictions/{id}", status=503, times=5)
    emu.faults.add("GET /v1/predictions/{id}", close=True)
    emu.faults.add("GET /v1/predictions/{id}", delay=2.0)
    emu.faults.add("GET /v1/predictions/{id}", malformed_json=True)
    emu.faults.cut_stream(after=3)

The application's outer middleware asks :meth:`Faults.intercept` about every API request
before routing, and the SSE route asks :meth:`Faults.stream_cut` where to cut its stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from ._app import EmulatorApp

# The server puts ``{"abort": ..., "closing": ...}`` under this key of ``scope["extensions"]``
# so that faults can drop the TCP connection; in-process requests have no such extension.
CONNECTION_EXTENSION = "replicate.emulator.connection"
# Set on the scope of a request that faults pass on to the routes themselves (malformed
# JSON needs the real response to cut it), so that the second pass is not intercepted.
_PASSED = "replicate.emulator.faults_passed"

CREATE_LIMIT = 600  # prediction creates per minute per token, as published
OTHER_LIMIT = 3000  # other requests per minute per token, as published
PROBLEM = b"application/problem+json"
STREAM_ROUTE = "GET /v1/predictions/{id}/stream"


def compile_route(route: str) -> tuple[str | None, re.Pattern[str]]:
    """``"GET /v1/predictions/{id}"`` -> (``"GET"``, a regex for the path).

    The method may be left out (any method) or ``*``; a path without ``/v1`` gets it.

    >>> method, pattern = compile_route("GET /predictions/{id}")
    >>> method, bool(pattern.fullmatch("/v1/predictions/abc"))
    ('GET', True)
    """
    text = route.strip()
    method, _, path = text.partition(" ")
    if not path:
        method, path = "*", method
    path = path.strip()
    if not path.startswith("/"):
        raise ValueError(f"route {route!r}: expected 'METHOD /path', e.g. 'GET /v1/predictions'")
    if path != "/v1" and not path.startswith("/v1/"):
        path = "/v1" + path
    regex, position = "", 0
    for match in re.finditer(r"\{(\w+)(?::(\w+))?\}", path):
        regex += re.escape(path[position : match.start()])
        regex += ".+" if match.group(2) == "path" else "[^/]+"
        position = match.end()
    regex += re.escape(path[position:])
    method = method.upper()
    return (None if method == "*" else method), re.compile(regex)


_CREATES = [
    compile_route("POST /v1/predictions"),
    compile_route("POST /v1/models/{owner}/{name}/predictions"),
    compile_route("POST /v1/deployments/{owner}/{name}/predictions"),
]


@dataclass
class Fault:
    """One scripted fault; :meth:`Faults.add` and :meth:`Faults.cut_stream` make them.

    ``times`` is how many more requests it applies to (``None``: until cleared). Example::

        fault = emu.faults.add("GET /v1/predictions/{id}", status=503, times=3)
        ...
        assert fault.times == 0  # all three were used
    """

    route: str
    times: int | None = 1
    status: int | None = None
    retry_after: float | str | None = None
    close: bool = False
    delay: float = 0.0
    malformed_json: bool = False
    cut_after: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = field(init=False)
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.method, self.pattern = compile_route(self.route)

    @property
    def kind(self) -> str:
        """What it does: ``status``, ``close``, ``malformed_json``, ``cut_stream`` or ``delay``."""
        if self.cut_after is not None:
            return "cut_stream"
        if self.close:
            return "close"
        if self.status is not None:
            return "status"
        if self.malformed_json:
            return "malformed_json"
        return "delay"

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        return self.pattern.fullmatch(path) is not None


@dataclass(frozen=True)
class FaultRecord:
    """What a fault (or the rate limiter) did to one request; see :attr:`Faults.history`.

    Example: ``assert [r.kind for r in emu.faults.history] == ["status", "close"]``.
    """

    kind: str  # status, close, delay, malformed_json, cut_stream or rate_limit
    method: str
    path: str
    route: str
    status: int | None = None
    delay: float = 0.0
    at: float = field(default_factory=time.time)


class Faults:
    """Scripted faults per route, and the service's rate limits (off unless switched on).

    Example::

        with Emulator(rate_limits=True) as emu:
            emu.faults.create_limit = 5  # instead of 600 creates a minute
            emu.faults.add("GET /v1/predictions/{id}", status=503, times=2)
            ...
            assert [record.status for record in emu.faults.history] == [503, 503]
    """

    def __init__(
        self,
        app: EmulatorApp,
        *,
        create_limit: int = CREATE_LIMIT,
        other_limit: int = OTHER_LIMIT,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app = app
        self._lock = threading.Lock()  # tests script faults while the server's thread reads them
        self._faults: list[Fault] = []
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self.create_limit = create_limit
        self.other_limit = other_limit
        self.window = window
        self.clock = clock  # seconds, for the rate limiter's sliding window
        self.history: list[FaultRecord] = []

    # --- scripting -----------------------------------------------------------------------

    def add(
        self,
        route: str,
        *,
        status: int | None = None,
        times: int | None = 1,
        retry_after: float | str | None = None,
        close: bool = False,
        delay: float | None = None,
        malformed_json: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Script a fault for the next ``times`` requests matching ``route``.

        Give one of ``status`` (a problem+json error; ``retry_after`` in seconds or as an
        HTTP date adds ``Retry-After``), ``close`` (the connection drops before any byte of
        the response) or ``malformed_json`` (the real response, its JSON body cut in half),
        and/or ``delay`` seconds before answering (alone: a slow but correct answer).
        Faults apply in the order added, one per request. Example::

            emu.faults.add("POST /v1/predictions", status=429, times=2, retry_after=1)
        """
        actions = [status is not None, close, malformed_json]
        if sum(actions) > 1:
            raise ValueError("give only one of status, close and malformed_json")
        if not any(actions) and not delay:
            raise ValueError("give status, close, malformed_json or delay")
        if status is not None and not 100 <= status <= 599:
            raise ValueError(f"status {status} is not an HTTP status")
        fault = Fault(
            route,
            times=_check_times(times),
            status=status,
            retry_after=retry_after,
            close=close,
            delay=float(delay or 0.0),
            malformed_json=malformed_json,
            headers=dict(headers or {}),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def cut_stream(self, after: int, *, times: int | None = 1, route: str = STREAM_ROUTE) -> Fault:
        """Cut the next ``times`` SSE streams after ``after`` events.

        Over a socket the TCP connection drops mid-stream; in process the stream just ends
        (without its ``done`` event). A client resumes with ``Last-Event-ID``. Example::

            emu.faults.cut_stream(after=3)
        """
        if after < 0:
            raise ValueError("after must be 0 or more")
        fault = Fault(route, times=_check_times(times), cut_after=after)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Drop every pending fault and the rate limiter's counts (``history`` stays).

        Example: ``emu.faults.clear()``.
        """
        with self._lock:
            self._faults.clear()
            self._windows.clear()

    @property
    def pending(self) -> list[Fault]:
        """Faults that still apply to some request.

        Example: ``assert emu.faults.pending == []  # every scripted fault was used``.
        """
        with self._lock:
            return [f for f in self._faults if f.times is None or f.times > 0]

    @property
    def rate_limits(self) -> bool:
        """Whether the rate limits apply (the emulator's ``rate_limits`` option).

        Example: ``emu.faults.rate_limits = True``.
        """
        return self._app.options.rate_limits

    @rate_limits.setter
    def rate_limits(self, enabled: bool) -> None:
        self._app.options.rate_limits = enabled

    # --- the hooks the application calls -------------------------------------------------

    def stream_cut(self, path: str) -> int | None:
        """After how many events to cut the SSE stream at ``path`` (None: do not cut).

        Called by the stream route; consumes a :meth:`cut_stream` fault. Example:
        ``cut_after = app.faults.stream_cut(request.url.path)``.
        """
        fault = self._take("GET", path, streams=True)
        if fault is None:
            return None
        self._record(fault.kind, "GET", path, fault.route)
        return fault.cut_after

    async def intercept(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Apply a scripted fault or the rate limit to a request; True if it was answered.

        Called by the application before routing. Example:
        ``if await app.faults.intercept(scope, receive, send): return``.
        """
        if scope.get(_PASSED):
            return False
        method, path = scope["method"], scope["path"]
        fault = self._take(method, path, streams=False)
        if fault is not None:
            return await self._apply(fault, scope, receive, send)
        if self._app.options.rate_limits:
            return await self._limit(scope, send)
        return False

    # --- internals -----------------------------------------------------------------------

    def _take(self, method: str, path: str, *, streams: bool) -> Fault | None:
        """The first pending fault for this request, counted down."""
        with self._lock:
            for fault in self._faults:
                if (fault.cut_after is not None) == streams and fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def _record(self, kind: str, method: str, path: str, route: str, **details: Any) -> None:
        with self._lock:
            self.history.append(FaultRecord(kind, method, path, route, **details))

    async def _apply(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> bool:
        method, path = scope["method"], scope["path"]
        self._record(fault.kind, method, path, fault.route, status=fault.status, delay=fault.delay)
        connection = scope.get("extensions", {}).get(CONNECTION_EXTENSION)
        if fault.delay:
            gone = await _sleep(fault.delay, connection)
            if gone:  # the client gave up (a timeout): nobody is left to answer
                await until_disconnected(receive)
                return True
        if fault.close:
            if connection is None:
                # In process there is no connection to drop: raise what httpx raises when the
                # server hangs up before answering, so the client sees the same error type.
                import httpx

                raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
            connection["abort"]()
            # Wait until the server has seen the connection go, so it sends no 500 instead.
            await until_disconnected(receive)
            return True
        if fault.status is not None:
            headers = dict(fault.headers)
            if fault.retry_after is not None:
                headers["retry-after"] = _retry_after(fault.retry_after)
            await _send_problem(send, fault.status, _scripted_detail(fault), headers)
            return True
        if fault.malformed_json:
            await self._malformed(scope, receive, send)
            return True
        return False  # a delay alone: the request now goes on to its route

    async def _malformed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request for real, then send its response with the body cut in half."""
        start: MutableMapping[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self._app.asgi({**scope, _PASSED: True}, receive, capture)
        body = b"".join(chunks)
        # API bodies are JSON objects, so any strict prefix is invalid JSON.
        cut = body[: len(body) // 2] if len(body) > 1 else b"{"
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(cut)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": cut})

    async def _limit(self, scope: Scope, send: Send) -> bool:
        """The sliding-window rate limit per token: 429 once a minute's quota is used."""
        token = _bearer(scope)
        if not token:
            return False  # no token: the route answers 401
        method, path = scope["method"], scope["path"]
        creates = method == "POST" and any(p.fullmatch(path) for _, p in _CREATES)
        kind = "create" if creates else "other"
        limit = self.create_limit if creates else self.other_limit
        now = self.clock()
        with self._lock:
            window = self._windows.setdefault((token, kind), deque())
            while window and window[0] <= now - self.window:
                window.popleft()
            if len(window) < limit:
                window.append(now)
                return False
            wait = max(1, math.ceil(window[0] + self.window - now))
        self._record("rate_limit", method, path, f"rate limit: {kind}", status=429)
        what = "creating predictions" if creates else "API requests"
        per = f"{limit} requests per {self.window:g} seconds"
        detail = (
            f"Request was throttled. Your rate limit for {what} is {per}. "
            f"Your rate limit resets in ~{wait}s."
        )
        limits = {
            "scope": "predictions.create" if creates else "other",
            "limit": limit,
            "remaining": 0,
            "window_seconds": self.window,
            "limits": {
                "predictions.create": {"limit": self.create_limit, "window_seconds": self.window},
                "other": {"limit": self.other_limit, "window_seconds": self.window},
            },
        }
        await _send_problem(send, 429, detail, {"retry-after": str(wait)}, **limits)
        return True


def _check_times(times: int | None) -> int | None:
    if times is not None and times < 1:
        raise ValueError("times must be 1 or more (or None: until cleared)")
    return times


def _bearer(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return ""


def _retry_after(value: float | str) -> str:
    if isinstance(value, str):
        return value  # an HTTP date, or seconds already written out
    return str(int(value)) if float(value).is_integer() else str(value)


def _scripted_detail(fault: Fault) -> str:
    if fault.status == 429:
        if fault.retry_after is None:
            return "Request was throttled."
        seconds = _retry_after(fault.retry_after)
        return f"Request was throttled. Expected available in {seconds} seconds."
    return f"A fault scripted in the emulator for {fault.route}."


async def _send_problem(
    send: Send, status: int, detail: str, headers: dict[str, str], **extra: Any
) -> None:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    raw = json.dumps(body).encode()
    header_list = [
        (b"content-type", PROBLEM),
        (b"content-length", str(len(raw)).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": header_list})
    await send({"type": "http.response.body", "body": raw})


async def _sleep(seconds: float, connection: dict[str, Any] | None) -> bool:
    """Sleep; over a socket, stop early (returning True) if the client hangs up."""
    if connection is None:
        await asyncio.sleep(seconds)
        return False
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (remaining := deadline - loop.time()) > 0:
        if connection["closing"]():
            return True
        await asyncio.sleep(min(remaining, 0.05))
    return False


async def until_disconnected(receive: Receive) -> None:
    """Wait (2 s at most) until the server has seen the client's connection go."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2.0):
            while (await receive())["type"] != "http.disconnect":
                pass


__all__ = [
    "CONNECTION_EXTENSION",
    "Fault",
    "FaultRecord",
    "Faults",
    "compile_route",
    "until_disconnected",
]
