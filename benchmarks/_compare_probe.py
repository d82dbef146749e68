"""One measurement of one client, in a fresh process: run by ``benchmarks/compare.py`` with
the interpreter of that client's environment.

    python _compare_probe.py CLIENT MEASUREMENT 'JSON PARAMETERS'

``CLIENT`` is ``httpx`` (the floor: raw httpx), ``this`` (this project's ``replicate``; for
the ``*_api`` measurements, its generated layer ``replicate_api`` called directly), ``v1``
(``replicate`` 1.x) or ``v2`` (``replicate`` 2.x). Prints one JSON object: the figures, or
``{"n/a": reason}`` where the client has nothing equivalent (``NOT_AVAILABLE``).

This file imports only the client measured, httpx and the standard library: the official
clients' environments hold neither this project nor its other benchmarks, and they install
their package under the same name, ``replicate``. (So the floors of facade.py, stream.py
and file_output.py are restated here, not imported.)

Each client below does each thing the way its documentation shows, through its public API;
the harnesses at the bottom time them all alike, after a warm-up in the same process.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import os
import re
import statistics
import sys
import time
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

TERMINAL = ("succeeded", "failed", "canceled", "aborted")


# -- the clients -------------------------------------------------------------------------------


class RawHttpx:
    """The floor: httpx alone, doing the least a correct client must."""

    def __init__(self, base_url: str, token: str) -> None:
        import httpx

        self.httpx = httpx
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = httpx.Client(base_url=base_url, headers=self.headers, timeout=120)

    def get(self, prediction_id: str) -> Any:
        return self.http.get(f"/predictions/{prediction_id}").json()

    def iterate(self) -> Iterator[Any]:
        url: str | None = "/predictions"
        while url is not None:
            page = self.http.get(url).json()
            yield from page["results"]
            url = page["next"]

    def run(self, model: str, input: dict[str, Any], wait: int | None) -> Any:
        """Create with ``Prefer: wait``; if the window ends first, read the prediction's
        event stream until ``done``, then get it: what this client's ``run`` does. Without a
        stream URL (a model that does not stream), poll on this client's schedule: 50, 100,
        200 and 400 ms, then every 0.5 s."""
        prefer = "wait" if wait is None else f"wait={wait}"
        prediction = self.http.post(
            f"/models/{model}/predictions", json={"input": input}, headers={"Prefer": prefer}
        ).json()
        if prediction["status"] not in TERMINAL and "stream" in prediction["urls"]:
            with self.http.stream("GET", prediction["urls"]["stream"]) as response:
                for line in response.iter_lines():
                    if line == "event: done":
                        break
            prediction = self.http.get(prediction["urls"]["get"]).json()
        delay = 0.05
        while prediction["status"] not in TERMINAL:
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
            prediction = self.http.get(prediction["urls"]["get"]).json()
        assert prediction["status"] == "succeeded", prediction
        return prediction["output"]

    def stream(self, model: str, input: dict[str, Any]) -> Iterator[str]:
        """stream.py's raw line parsing: lines split into fields and gathered into events."""
        prediction = self.http.post(
            f"/models/{model}/predictions", json={"input": input, "stream": True}
        ).json()
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        with self.http.stream("GET", prediction["urls"]["stream"], headers=headers) as response:
            event, data = "", []
            for line in response.iter_lines():
                if not line:
                    if event == "done":
                        return
                    if event == "output":
                        yield "\n".join(data)
                    event, data = "", []
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "data":
                    data.append(value)
                elif field == "event":
                    event = value

    def _async_http(self) -> Any:
        if not hasattr(self, "async_http"):  # httpx's default pool: 100 connections
            self.async_http = self.httpx.AsyncClient(
                base_url=self.base_url, headers=self.headers, timeout=120
            )
        return self.async_http

    async def async_run(self, model: str, input: dict[str, Any]) -> Any:
        response = await self._async_http().post(
            f"/models/{model}/predictions", json={"input": input}, headers={"Prefer": "wait"}
        )
        prediction = response.json()
        assert prediction["status"] == "succeeded", prediction
        return prediction["output"]

    async def async_stream(self, model: str, input: dict[str, Any]) -> AsyncIterator[str]:
        """``stream`` on one ``httpx.AsyncClient``: ``aiter_lines()``, the same field split."""
        http = self._async_http()
        response = await http.post(
            f"/models/{model}/predictions", json={"input": input, "stream": True}
        )
        prediction = response.json()
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-store"}
        async with http.stream("GET", prediction["urls"]["stream"], headers=headers) as response:
            event, data = "", []
            async for line in response.aiter_lines():
                if not line:
                    if event == "done":
                        return
                    if event == "output":
                        yield "\n".join(data)
                    event, data = "", []
                    continue
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "data":
                    data.append(value)
                elif field == "event":
                    event = value

    async def aclose(self) -> None:
        if hasattr(self, "async_http"):
            await self.async_http.aclose()

    def save(self, url: str, path: str) -> None:
        with self.http.stream("GET", url) as response, open(path, "wb") as file:
            for chunk in response.iter_bytes():
                file.write(chunk)


class Replicate1:
    """replicate 1.x: ``base_url`` without ``/v1``."""

    def __init__(self, base_url: str, token: str) -> None:
        import replicate

        self.replicate = replicate
        self.client = replicate.Client(api_token=token, base_url=base_url.removesuffix("/v1"))

    def get(self, prediction_id: str) -> Any:
        return self.client.predictions.get(prediction_id)

    def iterate(self) -> Iterator[Any]:
        for page in self.replicate.paginate(self.client.predictions.list):
            yield from page.results

    def run(self, model: str, input: dict[str, Any], wait: int | None) -> Any:
        options = {} if wait is None else {"wait": wait}
        return self.client.run(model, input=input, **options)

    def stream(self, model: str, input: dict[str, Any]) -> Iterator[str]:
        for event in self.client.stream(model, input=input):
            if getattr(event.event, "value", event.event) == "output":  # 1.x: an Enum
                yield event.data

    async def async_run(self, model: str, input: dict[str, Any]) -> Any:
        return await self.client.async_run(model, input=input)

    async def async_stream(self, model: str, input: dict[str, Any]) -> AsyncIterator[str]:
        """``async_stream()``: it creates the prediction, then reads its
        ``Prediction.async_stream()``."""
        async for event in await self.client.async_stream(model, input=input):
            if getattr(event.event, "value", event.event) == "output":  # 1.x: an Enum
                yield event.data

    async def aclose(self) -> None:
        pass  # 1.x clients have no close()

    def use(self, model: str) -> Callable[..., Any] | None:
        """The model as a function, or None where this version has no ``use()``."""
        use = getattr(self.replicate, "use", None)
        return None if use is None else use(model)

    def save(self, url: str, path: str) -> None:
        from replicate.helpers import FileOutput

        with open(path, "wb") as file:
            for chunk in FileOutput(url, self.client):
                file.write(chunk)


class ThisClient(Replicate1):
    """This project's ``replicate``: the 1.x code above runs on it unchanged; where it has
    a shorter way (items across pages, ``FileOutput.save``), that way."""

    def iterate(self) -> Iterator[Any]:
        return self.replicate.pagination.paginate_items(self.client.predictions.list)

    async def aclose(self) -> None:
        await self.client.aclose()

    def use(self, model: str) -> Callable[..., Any]:
        return self.client.use(model)

    def save(self, url: str, path: str) -> None:
        from replicate.helpers import FileOutput

        FileOutput(url, self.client).save(path)


class GeneratedLayer:
    """This project's generated layer, ``replicate_api``, called directly: the endpoint
    modules' ``sync`` on one reused ``AuthenticatedClient``.

    The list operation takes no cursor: the next page is the page's ``next`` URL, sent through
    the same client's httpx client and decoded with the operation's ``parse_response``.
    """

    def __init__(self, base_url: str, token: str) -> None:
        from replicate_api import AuthenticatedClient
        from replicate_api.api.predictions import get, list_

        self.client = AuthenticatedClient(base_url=base_url, token=token)
        self.get_operation, self.list_operation = get, list_

    def get(self, prediction_id: str) -> Any:
        return self.get_operation.sync(prediction_id, client=self.client)

    def iterate(self) -> Iterator[Any]:
        page = self.list_operation.sync(client=self.client)
        http = self.client.get_httpx_client()
        while True:
            yield from page.results or ()
            if not isinstance(page.next_, str):  # None on the last page
                return
            page = self.list_operation.parse_response(http.get(page.next_))


class Replicate2:
    """replicate 2.x (the beta): ``base_url`` with ``/v1``; ``stream()`` is ``use(...,
    streaming=True)``, which makes its own client from the environment and polls."""

    def __init__(self, base_url: str, token: str) -> None:
        import replicate

        self.replicate = replicate
        self.base_url, self.token = base_url, token
        self.client = replicate.Replicate(bearer_token=token, base_url=base_url)
        os.environ["REPLICATE_API_TOKEN"], os.environ["REPLICATE_BASE_URL"] = token, base_url
        warnings.simplefilter("ignore", DeprecationWarning)  # stream() is deprecated in 2.x

    def get(self, prediction_id: str) -> Any:
        return self.client.predictions.get(prediction_id=prediction_id)

    def iterate(self) -> Iterator[Any]:
        return iter(self.client.predictions.list())  # pages are fetched as it goes

    def run(self, model: str, input: dict[str, Any], wait: int | None) -> Any:
        options = {} if wait is None else {"wait": wait}
        return self.client.run(model, input=input, **options)

    def stream(self, model: str, input: dict[str, Any]) -> Iterator[str]:
        return iter(self.client.stream(model, input=input))

    async def async_run(self, model: str, input: dict[str, Any]) -> Any:
        if not hasattr(self, "async_client"):
            self.async_client = self.replicate.AsyncReplicate(
                bearer_token=self.token, base_url=self.base_url
            )
        return await self.async_client.run(model, input=input)

    async def aclose(self) -> None:
        await self.async_client.close()

    def use(self, model: str) -> Callable[..., Any]:
        """``replicate.use()``, which makes its clients from the environment (in 2.0.0b4,
        ``Replicate.use()`` raises a TypeError: it passes the client where a class goes)."""
        return self.replicate.use(model)

    def save(self, url: str, path: str) -> None:
        with open(path, "wb") as file:
            for chunk in self.replicate.FileOutput(url, self.client):
                file.write(chunk)


CLIENTS: dict[str, Any] = {
    "httpx": RawHttpx,
    "this": ThisClient,
    "v1": Replicate1,
    "v2": Replicate2,
}

# the measurements where ``this`` is GeneratedLayer (timed by the same harnesses as the
# facade's, ``get`` and ``pages``)
GENERATED_LAYER = ("get_api", "pages_api")

_NO_GENERATED_LAYER = (
    "replicate_api is this project's own generated layer: the official clients have no "
    "equivalent of calling it directly"
)

# (client, measurement): why the client has nothing to measure there
NOT_AVAILABLE = {
    ("v2", "events"): (
        "2.x reads no event stream: its stream() (use(..., streaming=True)) polls the "
        "prediction every 0.5 s and yields the new output"
    ),
    ("v2", "events_async"): (
        "2.x reads no event stream: its async stream() (AsyncReplicate.stream, use(..., "
        "streaming=True)) polls the prediction every 0.5 s and yields the new output"
    ),
    **{(client, name): _NO_GENERATED_LAYER for client in ("v1", "v2") for name in GENERATED_LAYER},
    ("httpx", "use"): (
        "no floor: raw httpx has nothing like use(); each client's use() is judged against "
        "its own run() of the same model, called in turn in the same process"
    ),
}


# -- the harnesses: one per measurement --------------------------------------------------------


def get(client: Any, p: dict[str, Any]) -> dict[str, Any]:
    """``count`` sequential gets of one prediction; the process's peak memory after."""
    for _ in range(p["warmup"]):
        client.get(p["prediction_id"])
    start = time.perf_counter()
    for _ in range(p["count"]):
        client.get(p["prediction_id"])
    return {"seconds": time.perf_counter() - start, "peak_rss_kib": _memory()["VmHWM"] // 1024}


def pages(client: Any, p: dict[str, Any]) -> dict[str, Any]:
    """Every prediction, across every page (the warm-up: one pass)."""
    seen = sum(1 for _ in client.iterate())
    start = time.perf_counter()
    seen = sum(1 for _ in client.iterate())
    elapsed = time.perf_counter() - start
    if seen != p["count"]:
        raise RuntimeError(f"saw {seen} predictions, not {p['count']}")
    return {"seconds": elapsed}


def run(client: Any, p: dict[str, Any]) -> dict[str, Any]:
    """``run()`` of a model that sleeps each of ``durations``: the time beyond the sleep."""
    client.run(p["model"], {"seconds": 0, "steps": 1}, None)
    excess = []
    for seconds in p["durations"]:
        start = time.perf_counter()
        output = client.run(p["model"], {"seconds": seconds, "steps": 1}, p["wait"])
        excess.append(time.perf_counter() - start - seconds)
        if not str(output).startswith("finished after"):
            raise RuntimeError(f"run() returned {output!r} before the model finished")
    return {"excess": excess, "median": statistics.median(excess)}


def events(client: Any, p: dict[str, Any]) -> dict[str, Any]:
    """Every ``output`` event of a stream of ``count``, one by one."""
    sum(1 for _ in client.stream(p["model"], {"count": 100}))
    start = time.perf_counter()
    seen = sum(1 for _ in client.stream(p["model"], {"count": p["count"]}))
    elapsed = time.perf_counter() - start
    if seen != p["count"]:
        raise RuntimeError(f"read {seen} events, not {p['count']}")
    return {"seconds": elapsed}


def events_async(client: Any, p: dict[str, Any]) -> dict[str, Any]:
    """``events``, asynchronously: the warm-up and the timed stream on one event loop."""

    async def read(count: int) -> int:
        seen = 0
        async for _ in client.async_stream(p["model"], {"count": count}):
            seen += 1
        return seen

    async def timed() -> tuple[float, int]:
        try:
            await read(100)
            start = time.perf_counter()
            seen = await read(p["count"])
            return time.perf_counter() - start, seen
        finally:
            await client.aclose()

    elapsed, seen = asyncio.run(timed())
    if seen != p["count"]:
        raise RuntimeError(f"read {seen} events, not {p['count']}")
    return {"seconds": elapsed}


def first_event(client: Any, p: dict[str, Any]) -> dict[str, Any]:
    """From calling ``stream()`` to its first output, for a model that sends one at once."""
    delays = []
    for sample in range(p["samples"] + 1):  # the first: the warm-up
        start = time.perf_counter()
        outputs = client.stream(p["model"], p["input"])
        first = next(outputs)
        delay = time.perf_counter() - start
        if not str(first).startswith("token0"):
            raise RuntimeError(f"the first output was {first!r}")
        if hasattr(outputs, "close"):
            outputs.close()
        if sample:
            delays.append(delay)
    return {"delays": delays, "median": statistics.median(delays)}


def concurrent(client: Any, p: dict[str, Any]) -> dict[str, Any]:
    """``count`` concurrent async runs of a model that sleeps ``seconds``: the wall time."""

    async def together() -> float:
        try:
            await client.async_run(p["model"], {"seconds": 0, "steps": 1})
            model_input = {"seconds": p["seconds"], "steps": 1}
            start = time.perf_counter()
            outputs = await asyncio.gather(
                *(client.async_run(p["model"], model_input) for _ in range(p["count"]))
            )
            elapsed = time.perf_counter() - start
        finally:
            await client.aclose()
        if not all(str(output).startswith("finished after") for output in outputs):
            raise RuntimeError(f"unexpected outputs: {outputs[:3]!r}")
        return elapsed

    return {"seconds": asyncio.run(together())}


def save(client: Any, p: dict[str, Any]) -> dict[str, Any]:
    """Download ``url`` to ``path``, ``repeat`` times: the best time, and the growth of peak
    memory over the memory in use before (after a small warm-up download).

    Each download makes a new file: the last one is deleted first, untimed. Overwriting
    would time the file system instead (truncating in place, or writing beside the old file
    and renaming, as ``FileOutput.save`` does so as never to leave half a file).
    """
    client.save(p["warmup_url"], p["path"])
    reset = _reset_peak()
    before = _memory()
    times = []
    for _ in range(p["repeat"]):
        os.unlink(p["path"])
        start = time.perf_counter()
        client.save(p["url"], p["path"])
        times.append(time.perf_counter() - start)
    after = _memory()
    size = os.path.getsize(p["path"])
    os.unlink(p["path"])
    if size != p["size"]:
        raise RuntimeError(f"wrote {size} bytes, not {p['size']}")
    # never below 0: the kernel's per-thread RSS counters lag by a few pages, so a peak read
    # after can come out a little under the RSS read before
    growth = max(0, after["VmHWM"] - before["VmRSS"])
    return {"seconds": min(times), "bytes": size, "growth": growth, "reset": reset}


def use(client: Any, p: dict[str, Any]) -> dict[str, Any]:
    """``use()`` beside ``run()`` of the same model: ``count`` calls of each, in turn (which
    goes first swaps every pair), after ``warmup`` untimed calls of each (the function's
    first call fetches the model's schema). The median time of a call of each, their ratio,
    and the requests each sent per call (counted by ``_count_requests``)."""
    function = client.use(p["model"])
    if function is None:
        return {"n/a": f"replicate {importlib.metadata.version('replicate')} has no use()"}
    sent = _count_requests()
    calls: dict[str, Callable[[dict[str, Any]], Any]] = {
        "use": lambda given: function(**given),
        "run": lambda given: client.run(p["model"], given, None),
    }
    for index in range(p["warmup"]):
        for call in calls.values():
            call({"text": f"warm-up {index}"})
    times: dict[str, list[float]] = {name: [] for name in calls}
    requests = dict.fromkeys(calls, 0)
    for index in range(p["count"]):
        given = {"text": f"call {index}"}
        outputs = {}
        for name in ("use", "run") if index % 2 == 0 else ("run", "use"):
            before = len(sent)
            start = time.perf_counter()
            outputs[name] = calls[name](given)
            times[name].append(time.perf_counter() - start)
            requests[name] += len(sent) - before
        if outputs["use"] != outputs["run"]:
            raise RuntimeError(f"use() returned {outputs['use']!r}, run() {outputs['run']!r}")
    medians = {name: statistics.median(figures) for name, figures in times.items()}
    return {
        "use": medians["use"],
        "run": medians["run"],
        "ratio": medians["use"] / medians["run"],
        "use requests": requests["use"] / p["count"],
        "run requests": requests["run"] / p["count"],
    }


MEASUREMENTS = {
    "get": get,
    "get_api": get,
    "pages": pages,
    "pages_api": pages,
    "run": run,
    "events": events,
    "events_async": events_async,
    "first_event": first_event,
    "concurrent": concurrent,
    "save": save,
    "use": use,
}


def _memory() -> dict[str, int]:
    """Current and peak resident memory, in bytes (Linux)."""
    text = Path("/proc/self/status").read_text()
    figures = {}
    for key in ("VmRSS", "VmHWM"):
        found = re.search(rf"{key}:\s+(\d+) kB", text)
        if found is None:
            raise RuntimeError(f"no {key} in /proc/self/status (this benchmark needs Linux)")
        figures[key] = int(found.group(1)) * 1024
    return figures


def _count_requests() -> list[str]:
    """Every request sent from now on by any client in this process, as ``METHOD /path``.

    Noted where httpx's transport sends it, which every client measured goes through: an
    event hook would miss replicate 2.x's ``use()``, which makes clients of its own.
    """
    import httpx

    sent: list[str] = []
    handle = httpx.HTTPTransport.handle_request

    def counted(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        sent.append(f"{request.method} {request.url.path}")
        return handle(transport, request)

    httpx.HTTPTransport.handle_request = counted  # type: ignore[method-assign]
    return sent


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux 4.0+: VmHWM := VmRSS
    except OSError:
        return False
    return True


def main(client_name: str, measurement: str, parameters: str) -> None:
    reason = NOT_AVAILABLE.get((client_name, measurement))
    if reason is not None:
        print(json.dumps({"n/a": reason}))
        return
    p = json.loads(parameters)
    factory = CLIENTS[client_name]
    if client_name == "this" and measurement in GENERATED_LAYER:
        factory = GeneratedLayer
    client = factory(p["base_url"], p["token"])
    print(json.dumps(MEASUREMENTS[measurement](client, p)))


if __name__ == "__main__":
    main(*sys.argv[1:4])
