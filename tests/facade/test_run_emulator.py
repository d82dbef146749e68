"""run, wait and trainings against the emulator over real sockets, sync and async.

One emulator serves the whole module; each test clears the faults it scripted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from facade_tools import slow

from replicate.client import Client
from replicate.exceptions import (
    DeadlineExceededError,
    ModelError,
    RateLimitError,
    StreamError,
)
from replicate.prediction import Prediction
from replicate.testing import HELLO_WORLD_VERSION, Emulator, log


def tokens(prompt: str, count: int = 5) -> Iterator[str]:
    """Yields numbered tokens."""
    for index in range(count):
        yield f"{prompt}{index} "


def numbers(count: int = 3) -> Iterator[int]:
    """Yields numbers (not text: an iterator read by polling)."""
    yield from range(count)


def breaks(text: str = "") -> Iterator[str]:
    """Yields two tokens, then fails."""
    time.sleep(0.1)  # still running when the create request returns
    yield "one "
    yield "two "
    log("about to break")
    raise RuntimeError("broke on purpose")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(tokens_per_second=2000) as emulator:
        emulator.register("tests/tokens", tokens)
        emulator.register("tests/numbers", numbers)
        emulator.register("tests/breaks", breaks)
        emulator.register("tests/slow-streaming", slow, streams=True)
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[Client]:
    client = Client(api_token=emu.api_token, base_url=emu.base_url)
    yield client
    emu.faults.clear()
    client.close()


def _version(emu: Emulator, ref: str) -> str:
    model = emu.app.store.models[ref]
    return f"{ref}:{model.versions[-1].id}"


def run_both(client: Client, mode: str, *args: Any, **kwargs: Any) -> Any:
    """``client.run`` or ``client.async_run``; async iterators come back as lists."""
    if mode == "sync":
        return client.run(*args, **kwargs)

    async def go() -> Any:
        output = await client.async_run(*args, **kwargs)
        if isinstance(output, AsyncIterator):
            return [item async for item in output]
        return output

    return asyncio.run(go())


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- references and outputs --------------------------------------------------------------------


def test_run_every_kind_of_reference(client: Client, mode: str) -> None:
    model = client.models.get("replicate/hello-world")
    assert model.latest_version is not None
    for ref in (
        "replicate/hello-world",
        f"replicate/hello-world:{HELLO_WORLD_VERSION}",
        HELLO_WORLD_VERSION,
        model,
        model.latest_version,
    ):
        assert run_both(client, mode, ref, input={"text": "Alice"}) == "hello Alice"


def test_official_model_runs_through_model_predictions(client: Client, mode: str) -> None:
    output = run_both(
        client, mode, "replicate/language-model", input={"prompt": "a b", "max_tokens": 4}
    )
    assert output == ["a", " b", " Replicate", " runs"]  # a list, as in 1.x for owner/name


def test_official_model_by_its_latest_version_iterates_its_stream(
    client: Client, mode: str
) -> None:
    """As against the real API: the model's latest version marks its output as an iterator."""
    model = client.models.get("replicate/language-model")
    assert model.latest_version is not None
    ref = f"replicate/language-model:{model.latest_version.id}"
    output = run_both(client, mode, ref, input={"prompt": "a b", "max_tokens": 4}, wait=False)
    assert list(output) == ["a", " b", " Replicate", " runs"]


def test_iterator_output_of_a_named_version(client: Client, emu: Emulator, mode: str) -> None:
    ref = _version(emu, "tests/tokens")
    output = run_both(client, mode, ref, input={"prompt": "t", "count": 3}, wait=False)
    assert list(output) == ["t0 ", "t1 ", "t2 "]
    # finished within the Prefer: wait window: an iterator over the whole list
    finished = client.run(ref, input={"prompt": "u", "count": 2})
    assert isinstance(finished, Iterator) and list(finished) == ["u0 ", "u1 "]
    # owner/name gives the plain list (no version to read the type from), as in 1.x
    assert client.run("tests/tokens", input={"prompt": "v", "count": 2}) == ["v0 ", "v1 "]


def test_iterator_output_of_numbers_is_polled(client: Client, emu: Emulator, mode: str) -> None:
    ref = _version(emu, "tests/numbers")
    assert list(run_both(client, mode, ref, input={"count": 4}, wait=False)) == [0, 1, 2, 3]


def test_failed_prediction_raises_model_error(client: Client, mode: str) -> None:
    with pytest.raises(ModelError, match="fails on purpose") as raised:
        run_both(client, mode, "replicate/fails", input={"text": "x"})
    assert raised.value.prediction.status == "failed"
    assert "about to fail" in (raised.value.prediction.logs or "")


def test_iterator_that_breaks_midway_raises(client: Client, emu: Emulator, mode: str) -> None:
    ref = _version(emu, "tests/breaks")
    with pytest.raises(StreamError, match="broke on purpose") as raised:
        list(run_both(client, mode, ref, input={}, wait=False))
    assert isinstance(raised.value, ModelError) and isinstance(raised.value, RuntimeError)


def test_file_outputs_are_wrapped(client: Client, emu: Emulator) -> None:
    images = client.run("replicate/image", input={"prompt": "fox", "num_outputs": 2})
    assert [str(image).startswith(emu.delivery_url) for image in images] == [True, True]
    assert images[0].read().startswith(b"\x89PNG")
    plain = client.run("replicate/image", input={"prompt": "fox"}, use_file_output=False)
    assert isinstance(plain[0], str)


# -- time to result ----------------------------------------------------------------------------


class Recorder(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Real sockets, with every request's method and path noted."""

    def __init__(self) -> None:
        self.sync, self.async_ = httpx.HTTPTransport(), httpx.AsyncHTTPTransport()
        self.seen: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        return self.sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        return await self.async_.handle_async_request(request)


def test_outliving_the_window_follows_the_stream(emu: Emulator, mode: str) -> None:
    recorder = Recorder()
    client = Client(api_token=emu.api_token, base_url=emu.base_url, transport=recorder)
    states: list[tuple[str, Any]] = []
    ids: set[str] = set()

    seen: list[tuple[str, str | None]] = []

    def progress(prediction: Prediction) -> None:
        states.append((prediction.status, prediction.progress))
        ids.add(prediction.id)
        seen.append((prediction.status, prediction.started_at))

    start = time.monotonic()
    output = run_both(
        client,
        mode,
        "tests/slow-streaming",
        input={"seconds": 1.3, "steps": 4},
        wait=1,
        on_progress=progress,
    )
    elapsed = time.monotonic() - start
    assert output == "finished after 1.3 seconds"
    assert elapsed < 2.2  # no 0.5 s polling tax, and no 30 s read timeout on the window
    assert states[0][0] == "starting" and states[-1][0] == "succeeded"
    steps = [progress.current for status, progress in states if progress is not None]
    assert steps == sorted(steps) and steps[-1] == 4
    # the create (held 1 s), the stream until done, one fetch when the stream shows it started
    # (for its started_at, with on_progress only), one after done: no polling
    (prediction_id,) = ids
    assert recorder.seen == [
        "POST /v1/models/tests/slow-streaming/predictions",
        f"GET /v1/predictions/{prediction_id}/stream",
        f"GET /v1/predictions/{prediction_id}",
        f"GET /v1/predictions/{prediction_id}",
    ]
    assert all(started_at for status, started_at in seen if status == "processing")


def test_outliving_the_window_without_a_stream_polls(
    emu: Emulator, mode: str, waits: list[float]
) -> None:
    """replicate/slow has no stream URL, as a real model that does not stream: polled."""
    recorder = Recorder()
    client = Client(api_token=emu.api_token, base_url=emu.base_url, transport=recorder)
    output = run_both(client, mode, "replicate/slow", input={"seconds": 1.3, "steps": 4}, wait=1)
    assert output == "finished after 1.3 seconds"
    assert recorder.seen[0] == "POST /v1/models/replicate/slow/predictions"
    polls = recorder.seen[1:]
    assert polls and all(seen.startswith("GET /v1/predictions/") for seen in polls)
    assert not any(seen.endswith("/stream") for seen in polls)
    # on the polling schedule (conftest's clock shortens each wait to 10 ms)
    assert waits[:5] == [0.05, 0.1, 0.2, 0.4, 0.5]
    assert set(waits[5:]) <= {0.5}


@pytest.mark.parametrize(
    ("ref", "input", "expected", "streams"),
    [
        ("replicate/hello-world", {"text": "Bo"}, "hello Bo", False),
        ("replicate/language-model", {"prompt": "Bo", "max_tokens": 2}, ["Bo", " Replicate"], True),
    ],
)
def test_run_waits_on_a_stream_or_polls(
    emu: Emulator, mode: str, ref: str, input: dict[str, Any], expected: Any, streams: bool
) -> None:
    """Both ways of waiting give the output: the stream where the model has one, else polls."""
    recorder = Recorder()
    client = Client(api_token=emu.api_token, base_url=emu.base_url, transport=recorder)
    assert run_both(client, mode, ref, input=input, wait=False) == expected
    assert any(seen.endswith("/stream") for seen in recorder.seen) is streams


def test_wait_stops_on_every_terminal_state(client: Client, mode: str) -> None:
    prediction = client.predictions.create(
        model="replicate/slow", input={"seconds": 0.2, "steps": 2}
    )
    if mode == "sync":
        prediction.wait()
    else:
        asyncio.run(prediction.async_wait())
    assert prediction.status == "succeeded"
    assert prediction.output == "finished after 0.2 seconds"


def test_wait_without_a_stream_polls(client: Client, mode: str) -> None:
    prediction = client.predictions.create(
        model="replicate/slow", input={"seconds": 0.3, "steps": 3}
    )
    assert prediction.urls is not None
    assert "stream" not in prediction.urls  # a model that does not stream
    seen: list[str] = []
    if mode == "sync":
        prediction.wait(on_progress=lambda p: seen.append(p.status))
    else:
        asyncio.run(prediction.async_wait(on_progress=lambda p: seen.append(p.status)))
    assert prediction.status == "succeeded"
    assert "processing" in seen and seen[-1] == "succeeded"


# -- faults ------------------------------------------------------------------------------------


def test_a_storm_of_429s_during_run(client: Client, emu: Emulator, mode: str) -> None:
    before = len(emu.app.store.predictions)
    emu.faults.add("POST /v1/models/{owner}/{name}/predictions", status=429, times=3, retry_after=0)
    assert run_both(client, mode, "replicate/hello-world", input={"text": "Bo"}) == "hello Bo"
    assert [r.status for r in emu.faults.history[-3:]] == [429, 429, 429]
    assert len(emu.app.store.predictions) == before + 1  # created once, not four times


def test_too_many_429s_raise_rate_limit_error(client: Client, emu: Emulator) -> None:
    emu.faults.add("POST /v1/predictions", status=429, times=5, retry_after=0)
    with pytest.raises(RateLimitError):
        client.with_options(max_retries=2).run(HELLO_WORLD_VERSION, input={"text": "x"})


def test_5xx_while_waiting(client: Client, emu: Emulator, mode: str) -> None:
    emu.faults.add("GET /v1/predictions/{id}/stream", status=503, times=2)
    emu.faults.add("GET /v1/predictions/{id}", status=502, times=2)
    output = run_both(
        client, mode, "tests/slow-streaming", input={"seconds": 0.2, "steps": 1}, wait=False
    )
    assert output == "finished after 0.2 seconds"
    assert emu.faults.pending == []


def test_a_stream_that_always_fails_falls_back_to_polling(
    client: Client, emu: Emulator, mode: str
) -> None:
    emu.faults.add("GET /v1/predictions/{id}/stream", status=503, times=None)
    output = run_both(
        client, mode, "tests/slow-streaming", input={"seconds": 0.2, "steps": 1}, wait=False
    )
    assert output == "finished after 0.2 seconds"


def test_a_stream_cut_in_the_middle_of_a_wait(client: Client, emu: Emulator, mode: str) -> None:
    emu.faults.cut_stream(after=2)
    output = run_both(
        client, mode, "tests/slow-streaming", input={"seconds": 0.3, "steps": 6}, wait=False
    )
    assert output == "finished after 0.3 seconds"
    assert [r.kind for r in emu.faults.history[-1:]] == ["cut_stream"]


# -- deadlines, cancellation -------------------------------------------------------------------


def _server_status(emu: Emulator, prediction_id: str) -> str:
    return str(emu.app.store.predictions[prediction_id].status)


def test_run_deadline_cancels_and_raises(client: Client, emu: Emulator, mode: str) -> None:
    start = time.monotonic()
    with pytest.raises(DeadlineExceededError) as raised:
        run_both(client, mode, "replicate/slow", input={"seconds": 5, "steps": 5}, deadline=0.4)
    assert time.monotonic() - start < 1.5
    assert isinstance(raised.value, TimeoutError)
    assert _server_status(emu, raised.value.prediction.id) == "canceled"


def test_wait_deadline_leaves_the_prediction_running(client: Client, emu: Emulator) -> None:
    prediction = client.predictions.create(model="replicate/slow", input={"seconds": 5})
    with pytest.raises(DeadlineExceededError):
        prediction.wait(deadline=0.2)
    assert _server_status(emu, prediction.id) in ("starting", "processing")
    prediction.cancel()
    assert prediction.status == "canceled"


def test_keyboard_interrupt_cancels_the_prediction(client: Client, emu: Emulator) -> None:
    seen: list[Prediction] = []

    def interrupt(prediction: Prediction) -> None:
        seen.append(prediction)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client.run("replicate/slow", input={"seconds": 5}, wait=False, on_progress=interrupt)
    assert _server_status(emu, seen[0].id) == "canceled"


def test_cancel_on_interrupt_can_be_turned_off(emu: Emulator) -> None:
    client = Client(api_token=emu.api_token, base_url=emu.base_url, cancel_on_interrupt=False)
    seen: list[Prediction] = []

    def interrupt(prediction: Prediction) -> None:
        seen.append(prediction)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client.run("replicate/slow", input={"seconds": 5}, wait=False, on_progress=interrupt)
    assert _server_status(emu, seen[0].id) in ("starting", "processing")
    client.predictions.cancel(seen[0].id)


def test_task_cancellation_cancels_the_prediction(client: Client, emu: Emulator) -> None:
    async def go() -> str:
        seen: list[Prediction] = []
        task = asyncio.create_task(
            client.async_run(
                "replicate/slow", input={"seconds": 5}, wait=False, on_progress=seen.append
            )
        )
        while not seen:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return seen[0].id

    assert _server_status(emu, asyncio.run(go())) == "canceled"


def test_cancel_after_reaches_the_server(client: Client, emu: Emulator) -> None:
    prediction = client.predictions.create(
        model="replicate/slow", input={"seconds": 5}, cancel_after=300
    )
    assert "deadline" in emu.app.store.predictions[prediction.id].fields
    prediction.cancel()
    with pytest.raises(ValueError, match="at least 5"):
        client.run("replicate/slow", input={}, cancel_after=1)


# -- trainings ---------------------------------------------------------------------------------


def test_training_wait(client: Client, mode: str) -> None:
    name = f"trained-{mode}"
    client.models.create("emulator", name, visibility="private", hardware="cpu")
    training = client.trainings.create(
        model="replicate/hello-world",
        version=HELLO_WORLD_VERSION,
        input={"steps": 3},
        destination=f"emulator/{name}",
    )
    seen: list[str] = []
    if mode == "sync":
        training.wait(on_progress=lambda t: seen.append(t.status))
    else:
        asyncio.run(training.async_wait(on_progress=lambda t: seen.append(t.status)))
    assert training.status == "succeeded"
    assert training.output["version"].startswith(f"emulator/{name}:")
    assert training.progress is not None and training.progress.percentage == 1.0
    assert seen[0] in ("starting", "processing") and seen[-1] == "succeeded"


def test_on_progress_sees_a_prediction_that_ended_within_the_create(
    client: Client, mode: str
) -> None:
    seen: list[str] = []
    output = run_both(
        client,
        mode,
        "replicate/hello-world",
        input={"text": "a"},
        wait=60,  # a window asked for: its answer is the one state there is to see
        on_progress=lambda prediction: seen.append(prediction.status),
    )
    assert output == "hello a"
    assert seen == ["succeeded"]


def test_on_progress_under_the_default_wait_sees_the_model_progress(
    client: Client, mode: str
) -> None:
    seen: list[tuple[str, str | None, str | None]] = []
    output = run_both(
        client,
        mode,
        "replicate/slow",
        input={"seconds": 0.6, "steps": 3},
        on_progress=lambda p: seen.append((p.status, p.started_at, p.logs)),
    )
    assert output is not None
    logs = [entry[2] or "" for entry in seen]
    assert any("1/3" in text and "3/3" not in text for text in logs)  # seen before the end
    assert seen[-1][0] == "succeeded"
    for status, started_at, _ in seen:
        assert status != "processing" or started_at is not None
