"""Time to result: how long ``run`` takes beyond the model, and many runs at once.

Against the emulator in a process of its own (``_compare_servers.py emulator``), so that its
work does not share this process's GIL:

1. Excess over the model: ``run(wait=1)`` of a model taking 1.5 s (then 1.6, 1.7, 1.8, 1.9 s,
   and again: a fixed polling period would otherwise always meet the end at the same phase),
   so the prediction outlives the ``Prefer: wait`` window. The excess is the time from the
   prediction's ``completed_at`` (the server's clock, the same machine's) to ``run``
   returning. Three ways, side by side: a model with ``urls.stream`` (``bench/slow-streaming``:
   ``run`` follows the stream), one without (``replicate/slow``, as a model that does not
   stream: ``run`` polls on its schedule), and replicate 1.x's fixed 0.5 s polling
   (``time.sleep(0.5)`` and ``reload()``). Target: stream median at most 20 ms (polling, on
   either schedule: about 250 ms on average). Then an early ``starting`` reply without a
   stream: a 0.1 s model created without ``Prefer: wait``, polled by the schedule and by 1.x.
2. Many at once: 500 concurrent ``async_run`` of a 200 ms model (``Prefer: wait``), against
   500 concurrent raw ``httpx.AsyncClient`` POSTs with httpx's default pool (100
   connections, 20 kept alive). Target: at most 0.75x the raw wall time. Raw httpx with a
   pool sized like this client's is shown too.

    python benchmarks/run_latency.py [--runs 5] [--concurrency 500] [--rounds 3]

It prints medians and ratios; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from replicate.client import Client, default_limits
from replicate.prediction import Prediction

MODEL = "replicate/slow"  # no stream URL, as a model that does not stream
STREAMING_MODEL = "bench/slow-streaming"  # the same, with one (_compare_servers registers it)
SERVERS = Path(__file__).resolve().parent / "_compare_servers.py"


@contextmanager
def emulator() -> Iterator[tuple[str, str]]:
    server = subprocess.Popen(
        [sys.executable, SERVERS, "emulator"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        lines = dict(server.stdout.readline().strip().split("=", 1) for _ in range(2))
        yield lines["REPLICATE_BASE_URL"], lines["REPLICATE_API_TOKEN"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def _completed(prediction: Prediction) -> float:
    assert prediction.completed_at, prediction
    return datetime.fromisoformat(prediction.completed_at.replace("Z", "+00:00")).timestamp()


def excess_stream(client: Client, seconds: float) -> float:
    final: list[Prediction] = []
    client.run(
        STREAMING_MODEL, input={"seconds": seconds, "steps": 1}, wait=1, on_progress=final.append
    )
    returned = time.time()
    return returned - _completed(final[-1])


def excess_polling(client: Client, seconds: float) -> float:
    prediction = client.predictions.create(
        model=MODEL, input={"seconds": seconds, "steps": 1}, wait=1
    )
    assert prediction.urls is not None and "stream" not in prediction.urls
    prediction.wait()
    returned = time.time()
    return returned - _completed(prediction)


def excess_fixed_polling(client: Client, seconds: float) -> float:
    """replicate 1.x: sleep 0.5 s, reload, until done."""
    prediction = client.predictions.create(
        model=MODEL, input={"seconds": seconds, "steps": 1}, wait=1
    )
    while prediction.status not in ("succeeded", "failed", "canceled"):
        time.sleep(0.5)
        prediction.reload()
    returned = time.time()
    return returned - _completed(prediction)


def early_polling(client: Client, seconds: float) -> float:
    """No Prefer: wait, no stream: the create answers "starting" for a model taking 0.1 s."""
    prediction = client.predictions.create(model=MODEL, input={"seconds": 0.1, "steps": 1})
    assert prediction.urls is not None and "stream" not in prediction.urls
    prediction.wait()
    return time.time() - _completed(prediction)


def early_fixed_polling(client: Client, seconds: float) -> float:
    prediction = client.predictions.create(model=MODEL, input={"seconds": 0.1, "steps": 1})
    while prediction.status not in ("succeeded", "failed", "canceled"):
        time.sleep(0.5)
        prediction.reload()
    return time.time() - _completed(prediction)


DURATIONS = (1.5, 1.6, 1.7, 1.8, 1.9)


def median_ms(measure: Callable[[Client, float], float], client: Client, runs: int) -> float:
    excess = [measure(client, DURATIONS[run % len(DURATIONS)]) for run in range(runs)]
    return statistics.median(excess) * 1000


async def many_ours(base_url: str, token: str, count: int) -> float:
    client = Client(api_token=token, base_url=base_url, max_retries=0)
    start = time.perf_counter()
    outputs = await asyncio.gather(
        *(client.async_run(MODEL, input={"seconds": 0.2, "steps": 1}) for _ in range(count))
    )
    elapsed = time.perf_counter() - start
    await client.aclose()
    assert all(output == "finished after 0.2 seconds" for output in outputs), outputs[:3]
    return elapsed


async def many_raw(
    base_url: str, token: str, count: int, limits: httpx.Limits | None = None
) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    body: dict[str, Any] = {"version": MODEL, "input": {"seconds": 0.2, "steps": 1}}
    pool = {} if limits is None else {"limits": limits}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120, **pool) as client:
        start = time.perf_counter()
        responses = await asyncio.gather(
            *(
                client.post("/predictions", json=body, headers={"Prefer": "wait"})
                for _ in range(count)
            )
        )
        elapsed = time.perf_counter() - start
    assert all(response.json()["status"] == "succeeded" for response in responses)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of the slow model per way")
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the concurrent test")
    args = parser.parse_args()
    with emulator() as (base_url, token):
        with Client(api_token=token, base_url=base_url) as client:
            client.run("replicate/hello-world", input={"text": "warm up"})
            stream = median_ms(excess_stream, client, args.runs)
            polling = median_ms(excess_polling, client, args.runs)
            fixed = median_ms(excess_fixed_polling, client, args.runs)
        print(
            f"run(wait=1) of a 1.5-1.9 s model: time from completed_at to return, median of "
            f"{args.runs}"
        )
        print(f"  following urls.stream       {stream:8.1f} ms   (target <= 20 ms)")
        print(f"  no stream URL: the schedule {polling:8.1f} ms")
        print(f"  fixed 0.5 s polling (1.x)   {fixed:8.1f} ms")
        print(f"  ratio stream / 1.x          {stream / fixed:8.3f}")
        with Client(api_token=token, base_url=base_url) as client:
            early = median_ms(early_polling, client, args.runs)
            early_fixed = median_ms(early_fixed_polling, client, args.runs)
        print("an early 'starting' reply (wait=False, no stream, a 0.1 s model):")
        print(f"  polling schedule            {early:8.1f} ms")
        print(f"  fixed 0.5 s polling (1.x)   {early_fixed:8.1f} ms")

        ours, raw, raw_sized = [], [], []
        sized = default_limits()
        for _ in range(args.rounds):
            raw.append(asyncio.run(many_raw(base_url, token, args.concurrency)))
            raw_sized.append(asyncio.run(many_raw(base_url, token, args.concurrency, sized)))
            ours.append(asyncio.run(many_ours(base_url, token, args.concurrency)))
        ours_median, raw_median = statistics.median(ours), statistics.median(raw)
        sized_median = statistics.median(raw_sized)
        print(f"{args.concurrency} concurrent runs of a 200 ms model, median of {args.rounds}:")
        print(f"  async_run                   {ours_median * 1000:8.1f} ms")
        print(f"  raw httpx, default pool     {raw_median * 1000:8.1f} ms")
        print(f"  raw httpx, this client's pool {sized_median * 1000:6.1f} ms")
        print(f"  ratio async_run / default   {ours_median / raw_median:8.3f}   (target <= 0.75)")
        print(f"  ratio async_run / same pool {ours_median / sized_median:8.3f}")


if __name__ == "__main__":
    main()
