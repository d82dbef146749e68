"""Streaming speed: 20,000 server-sent events, read three ways side by side, sync and async.

A minimal ASGI app on uvicorn, in a process of its own, serves a prediction-like stream
(``id:``, ``event: output``, ``data: <token>``, then ``done``) as fast as it can. Read with:

- raw httpx: ``response.iter_lines()`` and a minimal split of each line (the floor); async,
  ``response.aiter_lines()`` on one ``httpx.AsyncClient`` and the same split (the async floor);
- httpx-sse alone: ``EventSource(response).iter_sse()`` (and ``aiter_sse()``);
- this client: ``Prediction.stream()`` (what ``replicate.stream`` uses), through the client's
  own transport, and ``Prediction.async_stream()``.

The async readers all run on one event loop, so that each reuses its connection pool as the
sync ones do. Targets: ``Prediction.stream()`` at most 3x raw httpx line parsing, and
``Prediction.async_stream()`` at most 3x raw httpx async line parsing (replicate 1.x: about
10x; httpx-sse alone about 2.4x). Then the latency of the first event: the server sends one
event carrying its send time after a pause, and the client notes when it gets it. Target:
within 5 ms of its arrival.

    python benchmarks/stream.py [--events 20000] [--rounds 5]

It prints medians and ratios; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

# -- the server -----------------------------------------------------------------------------


def _body(count: int) -> bytes:
    parts = [f"id: {i}\nevent: output\ndata: token{i % 100}\n\n" for i in range(1, count + 1)]
    parts.append(f"id: {count + 1}\nevent: done\ndata: {{}}\n\n")
    return "".join(parts).encode()


async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    """``/events?n=N``: N output events then done; ``/first``: one timed event after 50 ms."""
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if scope["path"] == "/first":
        await asyncio.sleep(0.05)
        event = f"id: 1\nevent: output\ndata: {time.time():.6f}\n\n".encode()
        await send({"type": "http.response.body", "body": event, "more_body": True})
        await send({"type": "http.response.body", "body": b"id: 2\nevent: done\ndata: {}\n\n"})
        return
    count = int(scope["query_string"].decode().partition("=")[2] or 20000)
    body = _body(count)
    chunk = 64 * 1024  # as a busy stream arrives: many events per read
    for start in range(0, len(body), chunk):
        more = start + chunk < len(body)
        await send(
            {"type": "http.response.body", "body": body[start : start + chunk], "more_body": more}
        )


def serve(port: int) -> None:
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextmanager
def server() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/events?n=1").raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- the readers ------------------------------------------------------------------------------


def raw_lines(http: httpx.Client, url: str) -> int:
    """httpx's own line splitting, and nothing else: a lower bound, not a parser."""
    count = 0
    with http.stream("GET", url) as response:
        for line in response.iter_lines():
            if not line:
                count += 1
    return count


def raw_parse(http: httpx.Client, url: str) -> int:
    """Raw httpx line parsing: httpx's lines split into fields and gathered into events,
    the least an SSE reader does (no spec corners: no retry, comments or id rules)."""
    count = 0
    event, data, last_id = "", [], ""
    with http.stream("GET", url) as response:
        for line in response.iter_lines():
            if not line:
                _ = (event or "message", "\n".join(data), last_id)
                event, data = "", []
                count += 1
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field == "event":
                event = value
            elif field == "id":
                last_id = value
    return count


async def raw_parse_async(http: httpx.AsyncClient, url: str) -> int:
    """``raw_parse`` on an ``httpx.AsyncClient``: ``aiter_lines()``, the same split."""
    count = 0
    event, data, last_id = "", [], ""
    async with http.stream("GET", url) as response:
        async for line in response.aiter_lines():
            if not line:
                _ = (event or "message", "\n".join(data), last_id)
                event, data = "", []
                count += 1
                continue
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data":
                data.append(value)
            elif field == "event":
                event = value
            elif field == "id":
                last_id = value
    return count


def httpx_sse_alone(http: httpx.Client, url: str) -> int:
    from httpx_sse import EventSource

    count = 0
    with http.stream("GET", url) as response:
        for _ in EventSource(response).iter_sse():
            count += 1
    return count


def ours(client: Any, url: str) -> int:
    """What ``Prediction.stream()`` (and so ``replicate.stream``) does per event."""
    from replicate.prediction import Prediction

    prediction = Prediction(id="bench", urls={"stream": url}).bind(client)
    count = 0
    for _ in prediction.stream():
        count += 1
    return count


async def ours_async(client: Any, url: str) -> int:
    """What ``Prediction.async_stream()`` (and so ``replicate.async_stream``) does per event."""
    from replicate.prediction import Prediction

    prediction = Prediction(id="bench", urls={"stream": url}).bind(client)
    count = 0
    async for _ in prediction.async_stream():
        count += 1
    return count


async def httpx_sse_alone_async(http: httpx.AsyncClient, url: str) -> int:
    from httpx_sse import EventSource

    count = 0
    async with http.stream("GET", url) as response:
        async for _ in EventSource(response).aiter_sse():
            count += 1
    return count


def timed(read: Callable[[], int], expected: int) -> float:
    start = time.perf_counter()
    count = read()
    elapsed = time.perf_counter() - start
    if count != expected:
        raise RuntimeError(f"read {count} events, expected {expected}")
    return elapsed


def first_event_delay(client: Any, base: str) -> float:
    """Seconds from the server sending the first event to this client yielding it."""
    from replicate._stream import iter_events

    for event in iter_events(client, f"{base}/first"):
        return time.time() - float(event.data)
    raise RuntimeError("no event")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    from replicate.client import Client

    # one event loop for every async read, so that the async pools are reused as the sync
    # ones are (a new loop per read would make each reader a new pool, and time that)
    with server() as base, httpx.Client() as http, asyncio.Runner() as loop:
        client = Client(api_token="r8_benchmark", base_url=base)
        async_http = httpx.AsyncClient()
        url = f"{base}/events?n={args.events}"
        expected_raw = args.events + 1  # the done event counts too
        sync_floor, async_floor = "raw httpx line parsing", "raw httpx async line parsing"
        readers: dict[str, Callable[[], int]] = {
            "raw httpx iter_lines only": lambda: raw_lines(http, url),
            sync_floor: lambda: raw_parse(http, url),
            "httpx-sse alone": lambda: httpx_sse_alone(http, url),
            "Prediction.stream()": lambda: ours(client, url),
            async_floor: lambda: loop.run(raw_parse_async(async_http, url)),
            "httpx-sse alone, async": lambda: loop.run(httpx_sse_alone_async(async_http, url)),
            "Prediction.async_stream()": lambda: loop.run(ours_async(client, url)),
        }
        times: dict[str, list[float]] = {name: [] for name in readers}
        for read in readers.values():
            read()  # warm up: connections, imports
        for _ in range(args.rounds):
            for name, read in readers.items():  # interleaved, so drift hits all alike
                times[name].append(timed(read, expected_raw))
        medians = {name: statistics.median(values) for name, values in times.items()}
        lines = medians["raw httpx iter_lines only"]
        print(f"{args.events} events, median of {args.rounds} rounds:")
        print(f"  {'':30} {'time':>8}     {'/ floor':>8} {'/ lines':>8}")
        for name, value in medians.items():
            floor = medians[async_floor if "async" in name else sync_floor]
            print(
                f"  {name:30} {value * 1000:8.1f} ms  {value / floor:7.2f}x {value / lines:7.2f}x"
            )
        print("  / floor: to raw httpx line parsing, async for the async readers")
        for ours_name, floor_name in (
            ("Prediction.stream()", sync_floor),
            ("Prediction.async_stream()", async_floor),
        ):
            ratio = medians[ours_name] / medians[floor_name]
            print(
                f"  target: {ours_name} <= 3x {floor_name}: {ratio:.2f}x, "
                + ("met" if ratio <= 3 else "missed")
            )

        delays = sorted(first_event_delay(client, base) for _ in range(40))
        print("first event, from the server's send to the client yielding it, 40 streams:")
        print(
            f"  median {statistics.median(delays) * 1000:.2f} ms, 90th percentile "
            f"{delays[35] * 1000:.2f} ms   target: <= 5 ms"
        )
        loop.run(async_http.aclose())
        loop.run(client.aclose())  # both of its pools


if __name__ == "__main__":
    main()
