"""Facade overhead: this client, and its generated layer called directly, against raw httpx,
side by side, over loopback.

What is measured, each time in a fresh process after a warm-up, the three clients interleaved
(the order rotated between repetitions) with each ratio taken per repetition:

- ``get``: sequential ``client.predictions.get(id)``, and
  ``replicate_api.api.predictions.get.sync(id, client=...)`` on one reused
  ``AuthenticatedClient``, against ``http.get(f"/predictions/{id}").json()`` on one reused
  ``httpx.Client``;
- ``list``: ``for p in replicate.pagination.paginate_items(client.predictions.list)`` over
  every page; and ``replicate_api``'s ``list_.sync(client=...)`` for the first page, then each
  page's ``next_`` URL sent through the same client's httpx client and decoded with
  ``list_.parse_response`` (the list operation takes no cursor); against raw httpx following
  ``next`` and decoding each page's JSON;
- the peak memory (``VmHWM``) of the facade's ``get`` processes.

Targets: ``get`` at most 1.05x raw httpx and ``list`` at most 1.5x, for the facade and for
``replicate_api`` direct; peak memory at most 1.1x.

The server is a minimal ASGI app on uvicorn with httptools, in a process of its own, serving
canned JSON (shaped like the emulator's predictions) for the same two routes. The emulator
itself would be the bottleneck of ``list``: it renders every stored prediction on each list
call (about 24 ms a page with 5000 of them), which would hide the client's own cost. Before
measuring, the script shows that a raw-socket client gets several times the httpx rate from
the server (with ``benchmarks/emulator_rate.py``'s two loops), so the server is not what
limits the clients.

    python benchmarks/facade.py [--repetitions 15] [--quick]

``--quick`` takes a few seconds, to show in CI that the script still works: it prints the
same table from fewer, smaller runs, and never fails on a timing.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

PAGE_SIZE = 100
WARMUP_GETS = 200


# -- the canned server (``facade.py serve COUNT``) ---------------------------------------------


def canned_prediction(base_url: str, index: int) -> dict[str, Any]:
    """A finished prediction as the API (and the emulator) shows it; the index makes its id."""
    prediction_id = f"{index:08d}bench2vq5xn7mzx4a3g"
    url = f"{base_url}/predictions/{prediction_id}"
    second = f"{index % 60:02d}"
    return {
        "id": prediction_id,
        "model": "replicate/hello-world",
        "version": "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa",
        "input": {"text": f"Alice {index}"},
        "logs": "",
        "output": f"hello Alice {index}",
        "data_removed": False,
        "error": None,
        "status": "succeeded",
        "created_at": f"2025-03-04T12:09:{second}.338802Z",
        "started_at": f"2025-03-04T12:09:{second}.361047Z",
        "completed_at": f"2025-03-04T12:09:{second}.364228Z",
        "source": "api",
        "metrics": {"predict_time": 0.003181, "total_time": 0.025426},
        "urls": {
            "get": url,
            "cancel": f"{url}/cancel",
            "stream": f"{url}/stream",
            "web": f"https://replicate.com/p/{prediction_id}",
        },
    }


class CannedAPI:
    """``GET /v1/predictions/{id}`` and ``GET /v1/predictions?cursor=N``, from bytes made once.

    Requests without the bearer token get a 401, so both clients are seen to send it.
    """

    def __init__(self, base_url: str, token: str, count: int, page_size: int) -> None:
        predictions = [canned_prediction(base_url, index) for index in range(count)]
        self.authorization = f"Bearer {token}".encode()
        self.by_id = {p["id"]: json.dumps(p).encode() for p in predictions}
        self.pages: dict[bytes, bytes] = {}
        for offset in range(0, max(count, 1), page_size):
            end = offset + page_size
            page = {
                "next": f"{base_url}/predictions?cursor={end}" if end < count else None,
                "previous": (
                    f"{base_url}/predictions?cursor={max(offset - page_size, 0)}"
                    if offset
                    else None
                ),
                "results": predictions[offset:end],
            }
            self.pages[b"cursor=%d" % offset if offset else b""] = json.dumps(page).encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        path: str = scope["path"]
        body: bytes | None = None
        if (b"authorization", self.authorization) not in scope["headers"]:
            status, body = 401, b'{"title":"Unauthenticated","status":401}'
        else:
            if path == "/v1/predictions":
                body = self.pages.get(scope["query_string"])
            elif path.startswith("/v1/predictions/"):
                body = self.by_id.get(path.removeprefix("/v1/predictions/"))
            status = 200
            if body is None:
                status, body = 404, b'{"title":"Not found","status":404}'
        content_type = b"application/json" if status == 200 else b"application/problem+json"
        headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def serve(count: int) -> None:
    """Serve the canned API on a free loopback port; print its base URL and token first."""
    import socket

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # clients may connect at once; uvicorn accepts from the backlog
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    token = "r8_benchmark_token"
    app = CannedAPI(base_url, token, count, PAGE_SIZE)
    config = uvicorn.Config(
        app, http="httptools", log_level="warning", lifespan="off", access_log=False
    )
    print(f"REPLICATE_BASE_URL={base_url}", flush=True)
    print(f"REPLICATE_API_TOKEN={token}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


@contextmanager
def canned_server(count: int) -> Iterator[tuple[str, str]]:
    """Serve ``count`` canned predictions from a process of its own: ``(base_url, token)``."""
    import subprocess

    command = [sys.executable, __file__, "serve", str(count)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        lines = dict(server.stdout.readline().strip().split("=", 1) for _ in range(2))
        yield lines["REPLICATE_BASE_URL"], lines["REPLICATE_API_TOKEN"]
    finally:
        server.terminate()
        server.wait(timeout=10)


# -- the measurements (``facade.py measure KIND CLIENT BASE_URL TOKEN N``) ---------------------


def get_with_facade(base_url: str, token: str, count: int) -> float:
    import replicate

    prediction_id = canned_prediction(base_url, 0)["id"]
    with replicate.Client(api_token=token, base_url=base_url) as client:
        for _ in range(WARMUP_GETS):
            client.predictions.get(prediction_id)
        start = time.perf_counter()
        for _ in range(count):
            client.predictions.get(prediction_id)
        return time.perf_counter() - start


def get_with_api(base_url: str, token: str, count: int) -> float:
    from replicate_api import AuthenticatedClient
    from replicate_api.api.predictions import get

    prediction_id = canned_prediction(base_url, 0)["id"]
    with AuthenticatedClient(base_url=base_url, token=token) as client:
        for _ in range(WARMUP_GETS):
            get.sync(prediction_id, client=client)
        start = time.perf_counter()
        for _ in range(count):
            get.sync(prediction_id, client=client)
        return time.perf_counter() - start


def get_with_httpx(base_url: str, token: str, count: int) -> float:
    import httpx

    prediction_id = canned_prediction(base_url, 0)["id"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers) as http:
        for _ in range(WARMUP_GETS):
            http.get(f"/predictions/{prediction_id}").json()
        start = time.perf_counter()
        for _ in range(count):
            http.get(f"/predictions/{prediction_id}").json()
        return time.perf_counter() - start


def list_with_facade(base_url: str, token: str, count: int) -> float:
    import replicate

    with replicate.Client(api_token=token, base_url=base_url) as client:

        def iterate() -> int:
            seen = 0
            for _ in replicate.pagination.paginate_items(client.predictions.list):
                seen += 1
            return seen

        iterate()  # the warm-up: one pass over every page
        start = time.perf_counter()
        seen = iterate()
        elapsed = time.perf_counter() - start
    if seen != count:
        raise RuntimeError(f"this client saw {seen} predictions, not {count}")
    return elapsed


def list_with_api(base_url: str, token: str, count: int) -> float:
    from replicate_api import AuthenticatedClient
    from replicate_api.api.predictions import list_

    with AuthenticatedClient(base_url=base_url, token=token) as client:
        http = client.get_httpx_client()

        def iterate() -> int:
            seen = 0
            page = list_.sync(client=client)
            while True:
                for _ in page.results or ():
                    seen += 1
                if not isinstance(page.next_, str):  # None on the last page
                    return seen
                page = list_.parse_response(http.get(page.next_))

        iterate()
        start = time.perf_counter()
        seen = iterate()
        elapsed = time.perf_counter() - start
    if seen != count:
        raise RuntimeError(f"replicate_api saw {seen} predictions, not {count}")
    return elapsed


def list_with_httpx(base_url: str, token: str, count: int) -> float:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers) as http:

        def iterate() -> int:
            seen = 0
            url: str | None = "/predictions"
            while url is not None:
                page = http.get(url).json()
                for _ in page["results"]:
                    seen += 1
                url = page["next"]
            return seen

        iterate()
        start = time.perf_counter()
        seen = iterate()
        elapsed = time.perf_counter() - start
    if seen != count:
        raise RuntimeError(f"raw httpx saw {seen} predictions, not {count}")
    return elapsed


MEASUREMENTS = {
    ("get", "facade"): get_with_facade,
    ("get", "api"): get_with_api,
    ("get", "httpx"): get_with_httpx,
    ("list", "facade"): list_with_facade,
    ("list", "api"): list_with_api,
    ("list", "httpx"): list_with_httpx,
}
CLIENTS = ("facade", "api", "httpx")


def peak_rss_kib() -> int:
    """This process's peak resident memory (``VmHWM``), in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (this benchmark needs Linux)")


def measure(kind: str, client: str, base_url: str, token: str, count: int) -> None:
    seconds = MEASUREMENTS[kind, client](base_url, token, count)
    print(json.dumps({"seconds": seconds, "peak_rss_kib": peak_rss_kib()}))


# -- the driver --------------------------------------------------------------------------------


def run_measurement(kind: str, client: str, base_url: str, token: str, count: int) -> Any:
    import subprocess

    command = [sys.executable, __file__, "measure", kind, client, base_url, token, str(count)]
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(output)


def main(argv: list[str]) -> int:
    import argparse
    import statistics

    from emulator_rate import Target, httpx_rate, raw_rate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, help="fresh-process pairs (default 15; 2 quick)")
    parser.add_argument("--quick", action="store_true", help="a few seconds; no timing is judged")
    args = parser.parse_args(argv)
    repetitions = args.repetitions or (2 if args.quick else 15)
    gets, listed = (200, 1000) if args.quick else (2000, 5000)

    with canned_server(listed) as (base_url, token):
        target = Target(base_url, token)
        prediction_id = canned_prediction(base_url, 0)["id"]
        seconds = 0.3 if args.quick else 2.0
        with_httpx = httpx_rate(target, prediction_id, seconds)
        raw = raw_rate(target, prediction_id, seconds)
        print(f"server: canned JSON on uvicorn + httptools, own process, {base_url}")
        print(
            f"GET /v1/predictions/{{id}}: httpx.Client {with_httpx:.0f}/s, "
            f"raw socket {raw:.0f}/s ({raw / with_httpx:.1f}x httpx)"
        )

        samples: dict[tuple[str, str], list[Any]] = {key: [] for key in MEASUREMENTS}
        for kind, count in (("get", gets), ("list", listed)):
            for client in ("facade", "api"):  # warm the file caches
                run_measurement(kind, client, base_url, token, count)
            for repetition in range(repetitions):
                shift = repetition % len(CLIENTS)
                for client in CLIENTS[shift:] + CLIENTS[:shift]:
                    result = run_measurement(kind, client, base_url, token, count)
                    samples[kind, client].append(result)

    get_title = f"{gets} x predictions.get"
    list_title = f"{listed} predictions, {listed // PAGE_SIZE} pages"
    direct = "replicate_api direct"
    table = (  # measurement, samples, client, field, unit, scale, target ratio
        (f"{get_title}, facade", "get", "facade", "seconds", "ms", 1000.0, 1.05),
        (f"{get_title}, {direct}", "get", "api", "seconds", "ms", 1000.0, 1.05),
        (f"{list_title}, facade", "list", "facade", "seconds", "ms", 1000.0, 1.5),
        (f"{list_title}, {direct}", "list", "api", "seconds", "ms", 1000.0, 1.5),
        (
            "peak RSS of the get process, facade",
            "get",
            "facade",
            "peak_rss_kib",
            "MiB",
            1 / 1024,
            1.1,
        ),
    )
    rows, spreads = [], []
    for name, kind, client, field, unit, scale, target_ratio in table:
        ours = [sample[field] for sample in samples[kind, client]]
        theirs = [sample[field] for sample in samples[kind, "httpx"]]
        ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
        ratio = statistics.median(ratios)
        spreads.append(f"{min(ratios):.2f}-{max(ratios):.2f}")
        rows.append(
            (
                name,
                f"{statistics.median(ours) * scale:.1f} {unit}",
                f"{statistics.median(theirs) * scale:.1f} {unit}",
                f"{ratio:.3f}x",
                f"<= {target_ratio}x",
                "yes" if ratio <= target_ratio else "no",
            )
        )
    header = ("measurement", "this project", "raw httpx", "ratio", "target", "met")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    print(
        f"\npython {sys.version.split()[0]}, {repetitions} repetitions, "
        "medians; ratio: median of per-repetition ratios"
        + (" (--quick: too few runs to judge)" if args.quick else "")
    )
    for row in (header, *rows):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print(f"per-repetition ratios, lowest-highest: {', '.join(spreads)} (rows in order)")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]))
    elif sys.argv[1:2] == ["measure"]:
        kind, client, base_url, token, count = sys.argv[2:7]
        measure(kind, client, base_url, token, int(count))
    else:
        sys.exit(main(sys.argv[1:]))
