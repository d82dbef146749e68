"""Emulator speed: GET /v1/predictions/{id} over loopback, httpx against a raw socket.

Starts the emulator with request validation off, creates one prediction, then fetches it
again and again over one keep-alive connection for a few seconds: first with a reused
``httpx.Client``, then with a plain-socket HTTP/1.1 loop that does almost no work of its
own. When the raw loop gets several times the httpx rate, the server is not what limits a
client benchmark run against it.

Two setups: the emulator on a thread of this process (as the ``with Emulator()`` context
manager and the pytest fixture run it, sharing the GIL with the client), and the emulator
in a process of its own (``python -m replicate.testing``).

    python benchmarks/emulator_rate.py [--seconds 2] [--setup thread|process|both]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import httpx

MAX_REQUESTS = 500_000  # a bound on every loop, whatever the duration


@dataclass
class Target:
    base_url: str  # http://127.0.0.1:PORT/v1
    token: str

    @property
    def address(self) -> tuple[str, int]:
        host_port = self.base_url.split("://", 1)[1].split("/", 1)[0]
        host, _, port = host_port.rpartition(":")
        return host, int(port)


@contextmanager
def in_thread() -> Iterator[Target]:
    from replicate.testing import Emulator

    with Emulator(validate_requests=False) as emulator:
        yield Target(emulator.base_url, emulator.api_token)


@contextmanager
def in_process() -> Iterator[Target]:
    command = [sys.executable, "-m", "replicate.testing", "--port", "0", "--no-validate"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        lines = dict(server.stdout.readline().strip().split("=", 1) for _ in range(2))
        yield Target(lines["REPLICATE_BASE_URL"], lines["REPLICATE_API_TOKEN"])
    finally:
        server.terminate()
        server.wait(timeout=10)


def create_prediction(target: Target) -> str:
    response = httpx.post(
        f"{target.base_url}/predictions",
        json={"version": "replicate/hello-world", "input": {"text": "bench"}},
        headers={"Authorization": f"Bearer {target.token}", "Prefer": "wait"},
    )
    response.raise_for_status()
    return str(response.json()["id"])


def httpx_rate(target: Target, prediction: str, seconds: float) -> float:
    headers = {"Authorization": f"Bearer {target.token}"}
    with httpx.Client(base_url=target.base_url, headers=headers) as client:
        path = f"/predictions/{prediction}"
        client.get(path).raise_for_status()  # connect before the clock starts
        count, start = 0, time.perf_counter()
        deadline = start + seconds
        while count < MAX_REQUESTS and time.perf_counter() < deadline:
            client.get(path)
            count += 1
        return count / (time.perf_counter() - start)


def raw_rate(target: Target, prediction: str, seconds: float) -> float:
    """A keep-alive HTTP/1.1 loop on a plain socket: send, read headers, read the body."""
    host, port = target.address
    request = (
        f"GET /v1/predictions/{prediction} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: Bearer {target.token}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""

        def one() -> int:
            nonlocal buffer
            sock.sendall(request)
            while (end := buffer.find(b"\r\n\r\n")) < 0:
                buffer += _recv(sock)
            head, buffer = buffer[:end], buffer[end + 4 :]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(buffer) < length:
                buffer += _recv(sock)
            buffer = buffer[length:]
            return int(head.split(b" ", 2)[1])

        status = one()
        if status != 200:
            raise RuntimeError(f"the raw client got HTTP {status}")
        count, start = 0, time.perf_counter()
        deadline = start + seconds
        while count < MAX_REQUESTS and time.perf_counter() < deadline:
            one()
            count += 1
        return count / (time.perf_counter() - start)


def _recv(sock: socket.socket) -> bytes:
    data = sock.recv(65536)
    if not data:
        raise ConnectionError("the server closed the connection")
    return data


def measure(name: str, setup: Callable[[], AbstractContextManager[Target]], seconds: float) -> None:
    with setup() as target:
        prediction = create_prediction(target)
        with_httpx = httpx_rate(target, prediction, seconds)
        raw = raw_rate(target, prediction, seconds)
    print(f"emulator {name}:")
    print(f"  httpx.Client (reused)   {with_httpx:8.0f} requests/s")
    print(f"  raw socket (keep-alive) {raw:8.0f} requests/s")
    print(f"  raw / httpx             {raw / with_httpx:8.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement (default 2)")
    parser.add_argument("--setup", choices=["thread", "process", "both"], default="both")
    args = parser.parse_args()

    parser_name = "httptools" if importlib.util.find_spec("httptools") else "h11"
    print(f"GET /v1/predictions/{{id}}, validation off, HTTP parser: {parser_name}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.seconds:g} s each")
    if args.setup in ("thread", "both"):
        measure("on a thread of this process", in_thread, args.seconds)
    if args.setup in ("process", "both"):
        measure("in its own process", in_process, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
