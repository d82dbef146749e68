"""The local servers ``benchmarks/compare.py`` measures against, and their headroom.

Each runs in a process of its own on 127.0.0.1, and each is the fastest that fits its
measurements:

- ``canned``: facade.py's canned JSON (uvicorn + httptools): ``predictions.get`` and pages;
- ``emulator``: ``replicate.testing`` with ``bench/tokens`` (a streaming model) and
  ``bench/slow-streaming`` (``replicate/slow`` with a stream URL) registered: ``run()`` with and
  without a stream URL, and the first streamed event, where the prediction's lifecycle matters;
- ``events``: stream.py's event server, which also answers the create call a client makes
  before it reads the stream: 20,000 events, as fast as uvicorn sends them;
- ``files``: file_output.py's raw-socket file server: a 1 GiB download.

Headroom: a raw-socket client (emulator_rate.py's, and the like for a stream and a download)
against the same server, to show that the server is not what limits the clients.

    python benchmarks/_compare_servers.py emulator|events   (serves; started by compare.py)
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import facade
import file_output
import stream
from emulator_rate import Target, create_prediction, httpx_rate, raw_rate

HERE = Path(__file__).resolve()
TOKENS_MODEL = "bench/tokens"
SLOW_STREAMING_MODEL = "bench/slow-streaming"


@dataclass
class Server:
    name: str
    base_url: str  # http://127.0.0.1:PORT/v1 (the origin alone for the file server)
    token: str
    description: str

    @property
    def origin(self) -> str:
        return self.base_url.removesuffix("/v1")


@contextmanager
def _process(command: list[str]) -> Iterator[dict[str, str]]:
    """Start a server; yield the ``KEY=VALUE`` lines it prints first (two of them)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = dict(process.stdout.readline().strip().split("=", 1) for _ in range(2))
        yield lines
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def canned(count: int) -> Iterator[Server]:
    with facade.canned_server(count) as (base_url, token):
        description = "facade.py's canned JSON on uvicorn + httptools"
        yield Server("canned JSON", base_url, token, description)


@contextmanager
def emulator() -> Iterator[Server]:
    with _process([sys.executable, str(HERE), "emulator"]) as lines:
        description = "replicate.testing, request validation off"
        base_url, token = lines["REPLICATE_BASE_URL"], lines["REPLICATE_API_TOKEN"]
        yield Server("emulator", base_url, token, description)


@contextmanager
def events() -> Iterator[Server]:
    with _process([sys.executable, str(HERE), "events"]) as lines:
        description = "stream.py's event server on uvicorn, plus the create call"
        base_url, token = lines["REPLICATE_BASE_URL"], lines["REPLICATE_API_TOKEN"]
        yield Server("event stream", base_url, token, description)


@contextmanager
def files(size: int) -> Iterator[Server]:
    command = [sys.executable, file_output.__file__, "--serve", str(size)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        origin = f"http://127.0.0.1:{int(process.stdout.readline())}"
        yield Server("file host", origin, "", "file_output.py's raw-socket server")
    finally:
        process.kill()
        process.wait()


# -- the emulator, with a streaming model ------------------------------------------------------


async def tokens(count: int = 8, interval: float = 0.01) -> AsyncIterator[str]:
    """Streams ``count`` tokens, the first at once, then one every ``interval`` seconds."""
    for index in range(count):
        if index:
            await asyncio.sleep(interval)
        yield f"token{index} "


async def slow(seconds: float = 5.0, steps: int = 10) -> str:
    """``replicate/slow``'s model, registered again with a stream URL (the built-in one has
    none, as a model that does not stream): ``run()`` then has a stream to follow."""
    for _ in range(steps):
        await asyncio.sleep(seconds / steps)
    return f"finished after {seconds} seconds"


def serve_emulator() -> None:
    from replicate.testing import Emulator

    emulator = Emulator(validate_requests=False)
    # versioned, as replicate 2.x's stream() (use()) needs a version's schema to stream
    emulator.register(TOKENS_MODEL, tokens)
    emulator.register(SLOW_STREAMING_MODEL, slow, streams=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda number, frame: stop.set())
    with emulator:
        print(f"REPLICATE_BASE_URL={emulator.base_url}")
        print(f"REPLICATE_API_TOKEN={emulator.api_token}", flush=True)
        stop.wait()


# -- the event server: stream.py's app, plus the create call ------------------------------------


class EventsAPI:
    """``POST .../predictions`` answers a prediction whose ``urls.stream`` serves
    ``input.count`` events (stream.py's ``/events?n=N``); anything else is stream.py's app."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.authorization = f"Bearer {token}".encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await stream.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if (b"authorization", self.authorization) not in scope["headers"]:
            status, payload = 401, b'{"title":"Unauthenticated","status":401}'
        else:
            count = int(json.loads(body)["input"]["count"])
            prediction = facade.canned_prediction(self.base_url, 0)
            prediction.update(status="starting", output=None, started_at=None, completed_at=None)
            prediction["urls"]["stream"] = f"{self.base_url.removesuffix('/v1')}/events?n={count}"
            status, payload = 201, json.dumps(prediction).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(payload)),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def serve_events() -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    token = "r8_benchmark_token"
    app = EventsAPI(base_url, token)
    config = uvicorn.Config(
        app, http="httptools", log_level="warning", lifespan="off", access_log=False
    )
    print(f"REPLICATE_BASE_URL={base_url}")
    print(f"REPLICATE_API_TOKEN={token}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


# -- headroom ----------------------------------------------------------------------------------


def request_headroom(server: Server, seconds: float) -> dict[str, Any]:
    """GET /v1/predictions/{id} in a loop: a raw socket's rate, and a reused httpx.Client's."""
    target = Target(server.base_url, server.token)
    if server.name == "emulator":
        prediction_id = create_prediction(target)
    else:
        prediction_id = facade.canned_prediction(server.base_url, 0)["id"]
    return {
        "server": server.name,
        "description": server.description,
        "what": "GET /v1/predictions/{id}, one keep-alive connection",
        "unit": "requests/s",
        "raw": raw_rate(target, prediction_id, seconds),
        "httpx": httpx_rate(target, prediction_id, seconds),
    }


def _raw_get(origin: str, path: str) -> tuple[int, float]:
    """GET ``path`` on a plain socket, read the body and drop it: ``(bytes, seconds)``.

    The body ends after ``content-length`` bytes, or else with the connection (a stream,
    asked with ``Connection: close``; its chunk framing is counted, not decoded).
    """
    host, _, port = origin.removeprefix("http://").rpartition(":")
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    buffer = bytearray(1024 * 1024)
    with socket.create_connection((host, int(port))) as sock:
        start = time.perf_counter()
        sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection before its headers")
            head += data
        header, _, body = head.partition(b"\r\n\r\n")
        length = None
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        received = len(body)
        while length is None or received < length:
            count = sock.recv_into(buffer)
            if not count:
                break
            received += count
        return received, time.perf_counter() - start


def events_headroom(server: Server, count: int, repeat: int = 5) -> dict[str, Any]:
    """The event stream read on a raw socket, without parsing: events a second (best run)."""
    seconds = min(_raw_get(server.origin, f"/events?n={count}")[1] for _ in range(repeat))
    return {
        "server": server.name,
        "description": server.description,
        "what": f"{count} events, read without parsing",
        "unit": "events/s",
        "raw": count / seconds,
    }


def download_headroom(server: Server, size: int, repeat: int = 2) -> dict[str, Any]:
    """The file read on a raw socket into one buffer: MiB a second (best run)."""
    runs = [_raw_get(server.origin, "/big") for _ in range(repeat)]
    received, seconds = min(runs, key=lambda run: run[1])
    if received < size:
        raise RuntimeError(f"the raw socket read {received} bytes, expected {size} and headers")
    return {
        "server": server.name,
        "description": server.description,
        "what": f"{size_text(size)} body, read into one buffer",
        "unit": "MiB/s",
        "raw": size / file_output.MIB / seconds,
    }


def size_text(size: int) -> str:
    """``1 GiB``, ``8 MiB``."""
    mib = size // file_output.MIB
    return f"{mib // 1024} GiB" if mib >= 1024 else f"{mib} MiB"


if __name__ == "__main__":
    {"emulator": serve_emulator, "events": serve_events}[sys.argv[1]]()
