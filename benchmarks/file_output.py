"""Downloading a large model output: peak memory and throughput of ``FileOutput.save``.

A local server (a raw-socket HTTP/1.1 server in a process of its own) serves a body of
``--size-mib`` MiB (1 GiB by default) from one pre-built block. Each download runs in a fresh
interpreter, which first makes a small warm-up download the same way (so the connection pool,
SSL context and imports are in place), then resets its peak-RSS mark (``/proc/self/clear_refs``)
and downloads the large body to a file. Peak RSS growth is ``VmHWM`` after minus ``VmRSS``
before. Four ways, interleaved run by run so that noise hits all alike:

- ``raw``: ``httpx.Client().stream()`` and ``iter_bytes()`` written to the file, the floor;
- ``save``: ``FileOutput(url, client).save(path)``;
- ``raw-async``: ``httpx.AsyncClient().stream()`` and ``aiter_bytes()``;
- ``asave``: ``await FileOutput(url, client).asave(path)``.

Targets: the download adds at most 32 MiB to peak memory, and ``save`` runs at 0.9x the
throughput of ``raw`` or better (``asave`` against ``raw-async``). Prints figures; asserts nothing.

    python benchmarks/file_output.py [--size-mib 1024] [--runs 5] [--dir /tmp] [--devnull]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

MIB = 1024 * 1024
BLOCK = bytes(range(256)) * (MIB // 256)  # 1 MiB, sent again and again
WARM_UP_BYTES = 64 * 1024
METHODS = ("raw", "save", "raw-async", "asave")
PAIRS = {"save": "raw", "asave": "raw-async"}
MEMORY_TARGET_MIB = 32
THROUGHPUT_TARGET = 0.9


# -- the server: raw sockets, one thread per connection ------------------------------------------


def serve(size: int) -> None:
    """Serve ``size`` bytes at any path (``WARM_UP_BYTES`` at ``/warm-up``); print the port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(listener.getsockname()[1], flush=True)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=_answer, args=(connection, size), daemon=True).start()


def _answer(connection: socket.socket, size: int) -> None:
    with connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:  # keep-alive: the warm-up and the download share a connection
            head = b""
            while b"\r\n\r\n" not in head:
                data = connection.recv(65536)
                if not data:
                    return
                head += data
            length = WARM_UP_BYTES if b" /warm-up " in head.split(b"\r\n", 1)[0] else size
            connection.sendall(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\n"
                b"content-length: %d\r\n\r\n" % length
            )
            view = memoryview(BLOCK)
            remaining = length
            while remaining > 0:
                chunk = view[: min(len(view), remaining)]
                connection.sendall(chunk)
                remaining -= len(chunk)


# -- one download, in a fresh interpreter ---------------------------------------------------------


def _status() -> dict[str, int]:
    """Current and peak resident memory, in bytes (Linux)."""
    text = Path("/proc/self/status").read_text()
    figures = {}
    for key in ("VmRSS", "VmHWM"):
        found = re.search(rf"{key}:\s+(\d+) kB", text)
        assert found is not None, f"no {key} in /proc/self/status"
        figures[key] = int(found.group(1)) * 1024
    return figures


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux 4.0+: VmHWM := VmRSS
    except OSError:
        return False
    return True


def download(method: str, base: str, target: str, repeat: int) -> dict[str, Any]:
    """Warm up, then download ``base + /big`` to ``target`` by ``method``, ``repeat`` times.

    Gives the fastest time (the least disturbed by the rest of the machine) and the peak
    memory growth over all of them.
    """
    import asyncio

    import httpx

    from replicate.client import Client
    from replicate.helpers import FileOutput

    times: list[float] = []
    result: dict[str, Any] = {}

    def measured(fetch: Any) -> None:
        fetch(base + "/warm-up")
        result["reset"] = _reset_peak()
        result["before"] = _status()
        for _ in range(repeat):
            start = time.perf_counter()
            fetch(base + "/big")
            times.append(time.perf_counter() - start)
        result["after"] = _status()

    async def async_measured(fetch: Any) -> None:
        await fetch(base + "/warm-up")
        result["reset"] = _reset_peak()
        result["before"] = _status()
        for _ in range(repeat):
            start = time.perf_counter()
            await fetch(base + "/big")
            times.append(time.perf_counter() - start)
        result["after"] = _status()

    api = "https://api.replicate.com/v1"  # never contacted: the file host is another origin
    if method == "raw":
        with httpx.Client() as http:

            def raw(url: str) -> None:
                with http.stream("GET", url) as response, open(target, "wb") as file:
                    for chunk in response.iter_bytes():
                        file.write(chunk)

            measured(raw)
    elif method == "save":
        with Client(api_token="r8_benchmark", base_url=api) as client:
            measured(lambda url: FileOutput(url, client).save(target))
    elif method == "raw-async":

        async def raw_async() -> None:
            async with httpx.AsyncClient() as http:

                async def fetch(url: str) -> None:
                    async with http.stream("GET", url) as response:
                        with open(target, "wb") as file:  # blocks the loop: the floor
                            async for chunk in response.aiter_bytes():
                                file.write(chunk)

                await async_measured(fetch)

        asyncio.run(raw_async())
    elif method == "asave":

        async def asave() -> None:
            async with Client(api_token="r8_benchmark", base_url=api) as client:

                async def fetch(url: str) -> None:
                    await FileOutput(url, client).asave(target)

                await async_measured(fetch)

        asyncio.run(asave())
    else:
        raise ValueError(method)
    result["seconds"] = min(times)
    result["bytes"] = os.path.getsize(target) if os.path.isfile(target) else None
    result["growth"] = result["after"]["VmHWM"] - result["before"]["VmRSS"]
    return result


# -- the parent: start the server, run the children, print ---------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", default=None, help="where to write (default: a temp folder)")
    parser.add_argument("--devnull", action="store_true", help="write to /dev/null instead")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3, help="downloads per process")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    if args.child:
        print(json.dumps(download(*args.child, repeat=args.repeat)))
        return

    size = args.size_mib * MIB
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(size)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        base = f"http://127.0.0.1:{int(server.stdout.readline())}"
        results: dict[str, list[dict[str, Any]]] = {method: [] for method in METHODS}
        with tempfile.TemporaryDirectory(dir=args.dir) as folder:
            for run in range(args.runs):
                order = METHODS if run % 2 == 0 else tuple(reversed(METHODS))
                for method in order:
                    target = "/dev/null" if args.devnull else os.path.join(folder, method + ".bin")
                    line = subprocess.run(
                        [
                            sys.executable,
                            __file__,
                            "--child",
                            method,
                            base,
                            target,
                            "--repeat",
                            str(args.repeat),
                        ],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                    result = json.loads(line)
                    if not args.devnull:
                        assert result["bytes"] == size, f"{method}: wrote {result['bytes']}"
                        os.unlink(target)
                    results[method].append(result)
    finally:
        server.kill()
        server.wait()
    report(results, size, args)


def report(results: dict[str, list[dict[str, Any]]], size: int, args: Any) -> None:
    sink = "/dev/null" if args.devnull else "a file"
    print(
        f"Downloading {size // MIB} MiB from a local server to {sink}: {args.runs} processes "
        f"per method, the best of {args.repeat} downloads in each"
    )
    print(f"{'method':<10} {'MiB/s (median)':>15} {'peak RSS growth (max)':>22}")
    rates: dict[str, float] = {}
    for method, runs in results.items():
        rates[method] = statistics.median(size / MIB / run["seconds"] for run in runs)
        growth = max(run["growth"] for run in runs) / MIB
        print(f"{method:<10} {rates[method]:>15.0f} {growth:>19.1f} MiB")
    if not all(run["reset"] for runs in results.values() for run in runs):
        print("note: /proc/self/clear_refs was not writable: growth includes the warm-up's peak")
    for method, floor in PAIRS.items():
        # each run measured both side by side: the median of those ratios resists noise best
        ratios = [
            theirs["seconds"] / mine["seconds"]
            for mine, theirs in zip(results[method], results[floor], strict=True)
        ]
        ratio = statistics.median(ratios)
        growth = max(run["growth"] for run in results[method]) / MIB
        print(
            f"{method}: {ratio:.2f}x the throughput of {floor} (median of {len(ratios)} paired "
            f"runs; target >= {THROUGHPUT_TARGET}x); peak memory +{growth:.1f} MiB "
            f"(target <= {MEMORY_TARGET_MIB} MiB)"
        )


if __name__ == "__main__":
    main()
