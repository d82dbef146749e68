"""Scripted faults and rate limits: what a flaky network and a busy service do to a client.

Faults are scripted per route, with starlette-style ``{param}`` placeholders, and counted
down as requests match them::

    emu.faults.add("POST /v1/predictions", status=429, times=2, retry_after=1)
    emu.faults.add("GET /v1/predictions/{id}", status=503, times=5)
    emu.faults.add("GET /v1/predictions/{id}", close=True)
    emu.faults.add("GET /v1/predictions/{id}", delay=2.0)
    emu.faults.add("GET /v1/predictions/{id}", malformed_json=True)
    emu.faults.add("POST /v1/predictions", drop_response=True)  # created, answer lost
    emu.faults.cut_stream(after=3)

Or drawn at random, a given share of all API requests, each with a fault that fits it::

    emu.faults.randomize(rate=0.05, seed=1)

The application's outer middleware asks :meth:`Faults.intercept` about every API request
before routing, and the SSE route asks :meth:`Faults.stream_cut` where to cut its stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, MutableMapping
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
# Set on the scope of a stream request whose random fault is a cut: after how many events.
_RANDOM_CUT = "replicate.emulator.random_cut"

CREATE_LIMIT = 600  # prediction creates per minute per token, as published
OTHER_LIMIT = 3000  # other requests per minute per token, as published
PROBLEM = b"application/problem+json"
STREAM_ROUTE = "GET /v1/predictions/{id}/stream"
RANDOM_KINDS = ("429", "5xx", "close", "drop_response", "delay", "malformed_json", "cut_stream")
"""The kinds of :meth:`Faults.randomize`; the stream route gets no drop_response and no
malformed_json (it has no JSON body), the other routes no cut_stream."""
_STREAM_KINDS = frozenset({"429", "5xx", "close", "delay", "cut_stream"})
_SERVER_ERRORS = (500, 502, 503, 504)


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
    drop_response: bool = False
    cut_after: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = field(init=False)
    pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.method, self.pattern = compile_route(self.route)

    @property
    def kind(self) -> str:
        """What it does: ``status``, ``close``, ``drop_response``, ``malformed_json``,
        ``cut_stream`` or ``delay``."""
        if self.cut_after is not None:
            return "cut_stream"
        if self.close:
            return "close"
        if self.drop_response:
            return "drop_response"
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

    ``route`` is the scripted fault's route, ``"random"`` for one drawn by
    :meth:`Faults.randomize`, or the rate limit's name. Example:
    ``assert [r.kind for r in emu.faults.history] == ["status", "close"]``.
    """

    kind: str  # status, close, drop_response, delay, malformed_json, cut_stream or rate_limit
    method: str
    path: str
    route: str
    status: int | None = None
    delay: float = 0.0
    cut_after: int | None = None
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
        self._random: _RandomFaults | None = None

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
        drop_response: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Script a fault for the next ``times`` requests matching ``route``.

        Give one of ``status`` (a problem+json error; ``retry_after`` in seconds or as an
        HTTP date adds ``Retry-After``), ``close`` (the connection drops before the request
        is acted on), ``drop_response`` (the request is acted on, a prediction created say,
        then the connection drops before any byte of the answer) or ``malformed_json`` (the
        real response, its JSON body cut in half), and/or ``delay`` seconds before answering
        (alone: a slow but correct answer). A dropped connection is ``RemoteProtocolError``
        for an httpx client, over a socket and in process alike. Faults apply in the order
        added, one per request. Example::

            emu.faults.add("POST /v1/predictions", status=429, times=2, retry_after=1)
            emu.faults.add("POST /v1/predictions", drop_response=True)
        """
        actions = [status is not None, close, malformed_json, drop_response]
        if sum(actions) > 1:
            raise ValueError("give only one of status, close, drop_response and malformed_json")
        if not any(actions) and not delay:
            raise ValueError("give status, close, drop_response, malformed_json or delay")
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
            drop_response=drop_response,
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

    def randomize(
        self,
        rate: float = 0.05,
        *,
        seed: int | None = None,
        kinds: Iterable[str] = RANDOM_KINDS,
        retry_after: tuple[int, int] = (0, 1),
        delay: tuple[float, float] = (0.2, 1.5),
        cut_after: tuple[int, int] = (0, 10),
    ) -> None:
        """Fault a share ``rate`` of all API requests, each with a kind drawn at random.

        For each request (after any scripted fault, which comes first), with probability
        ``rate``, one of ``kinds`` that fits the request (see :data:`RANDOM_KINDS`) is drawn:
        ``429`` with a ``Retry-After`` of ``retry_after`` whole seconds (a range), ``5xx``
        (500, 502, 503 or 504), ``close``, ``drop_response``, ``delay`` (a correct answer
        after ``delay`` seconds, a range), ``malformed_json``, or ``cut_stream`` (the SSE
        stream cut after ``cut_after`` events, a range; it may end before). They are recorded
        in :attr:`history` with the route ``"random"``. The same ``seed`` and the same order
        of requests give the same faults. ``rate=0`` or :meth:`clear` turns it off. Example::

            emu.faults.randomize(rate=0.05, seed=7)
            emu.faults.randomize(rate=0.2, seed=7, kinds={"5xx", "malformed_json"})
        """
        chosen = frozenset(kinds)
        unknown = chosen.difference(RANDOM_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}: choose from {RANDOM_KINDS}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        for name, (low, high) in (
            ("retry_after", retry_after),
            ("delay", delay),
            ("cut_after", cut_after),
        ):
            if not 0 <= low <= high:
                raise ValueError(f"{name}: expected a range (low, high) with 0 <= low <= high")
        faults = None
        if rate > 0 and chosen:
            faults = _RandomFaults(rate, random.Random(seed), chosen, retry_after, delay, cut_after)
        with self._lock:
            self._random = faults

    def clear(self) -> None:
        """Drop every pending fault, random faults and the rate limiter's counts (``history``
        stays).

        Example: ``emu.faults.clear()``.
        """
        with self._lock:
            self._faults.clear()
            self._windows.clear()
            self._random = None

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

    def stream_cut(self, path: str, scope: Scope | None = None) -> int | None:
        """After how many events to cut the SSE stream at ``path`` (None: do not cut).

        Called by the stream route with its request's scope; consumes a :meth:`cut_stream`
        fault, or applies the cut :meth:`intercept` drew at random for this request. Example:
        ``cut_after = app.faults.stream_cut(request.url.path, request.scope)``.
        """
        fault = self._take("GET", path, streams=True)
        if fault is not None:
            self._record(fault.kind, "GET", path, fault.route, cut_after=fault.cut_after)
            return fault.cut_after
        cut_after: int | None = None if scope is None else scope.get(_RANDOM_CUT)
        if cut_after is not None:
            self._record("cut_stream", "GET", path, "random", cut_after=cut_after)
        return cut_after

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
        drawn = self._random
        if drawn is not None:
            with self._lock:
                fault = drawn.draw(method, path)
            if fault is not None:
                if fault.cut_after is not None:
                    scope[_RANDOM_CUT] = fault.cut_after  # the stream route cuts it
                else:
                    return await self._apply(fault, scope, receive, send, route="random")
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

    async def _apply(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send, route: str | None = None
    ) -> bool:
        method, path = scope["method"], scope["path"]
        route = route or fault.route
        self._record(fault.kind, method, path, route, status=fault.status, delay=fault.delay)
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
        if fault.drop_response:
            await self._drop_response(scope, receive, connection)
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

    async def _drop_response(
        self, scope: Scope, receive: Receive, connection: dict[str, Any] | None
    ) -> None:
        """Run the request for real, then drop the connection instead of answering."""

        async def discard(message: MutableMapping[str, Any]) -> None:
            pass

        await self._app.asgi({**scope, _PASSED: True}, receive, discard)
        if connection is None:
            import httpx  # in process: what httpx raises when the server hangs up (see close)

            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        connection["abort"]()
        await until_disconnected(receive)

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


class _RandomFaults:
    """The draws of :meth:`Faults.randomize`; called under the faults' lock."""

    def __init__(
        self,
        rate: float,
        rng: random.Random,
        kinds: frozenset[str],
        retry_after: tuple[int, int],
        delay: tuple[float, float],
        cut_after: tuple[int, int],
    ) -> None:
        self.rate, self.rng = rate, rng
        # In RANDOM_KINDS order, so that a seed draws the same kind whatever set was given.
        self.for_streams = [k for k in RANDOM_KINDS if k in kinds and k in _STREAM_KINDS]
        self.for_others = [k for k in RANDOM_KINDS if k in kinds and k != "cut_stream"]
        self.retry_after, self.delay, self.cut_after = retry_after, delay, cut_after
        self.stream_method, self.stream_pattern = compile_route(STREAM_ROUTE)

    def draw(self, method: str, path: str) -> Fault | None:
        """The fault for this request, or None (most of the time)."""
        rng = self.rng
        if rng.random() >= self.rate:
            return None
        streams = method == self.stream_method and self.stream_pattern.fullmatch(path)
        kinds = self.for_streams if streams else self.for_others
        if not kinds:
            return None
        kind = rng.choice(kinds)
        route = STREAM_ROUTE if streams else _ANY_ROUTE
        if kind == "429":
            return Fault(route, status=429, retry_after=rng.randint(*self.retry_after))
        if kind == "5xx":
            return Fault(route, status=rng.choice(_SERVER_ERRORS))
        if kind == "delay":
            return Fault(route, delay=round(rng.uniform(*self.delay), 3))
        if kind == "cut_stream":
            return Fault(route, cut_after=rng.randint(*self.cut_after))
        return Fault(
            route,
            close=kind == "close",
            drop_response=kind == "drop_response",
            malformed_json=kind == "malformed_json",
        )


_ANY_ROUTE = "* /v1/{path:path}"


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
    "RANDOM_KINDS",
    "Fault",
    "FaultRecord",
    "Faults",
    "compile_route",
    "until_disconnected",
]
