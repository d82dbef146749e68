"""replicate.stream, Prediction.stream and their async twins, against the emulator over sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from facade_tools import slow_tokens

import replicate
from replicate.client import Client
from replicate.exceptions import ModelError, ReplicateError, StreamError
from replicate.prediction import Prediction, ServerSentEvent
from replicate.testing import Emulator


def chatty(words: int = 3) -> Iterator[str]:
    """Yields words, the second one over two lines."""
    for index in range(words):
        yield f"w{index}\nmore" if index == 1 else f"w{index}"


def stumbles(text: str = "") -> Iterator[str]:
    """Yields once, then fails."""
    yield "before "
    raise ValueError("stumbled")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(tokens_per_second=2000) as emulator:
        emulator.register("tests/chatty", chatty)
        emulator.register("tests/stumbles", stumbles)
        emulator.register("tests/slow-tokens", slow_tokens)
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Iterator[Client]:
    client = Client(api_token=emu.api_token, base_url=emu.base_url)
    yield client
    emu.faults.clear()
    client.close()


PROMPT = {"prompt": "one two", "max_tokens": 12}


def _collect(events: Iterator[ServerSentEvent]) -> list[ServerSentEvent]:
    return list(events)


def test_stream_yields_every_event_through_done(client: Client) -> None:
    events = list(client.stream("replicate/language-model", input=PROMPT))
    kinds = [event.event for event in events]
    assert kinds[0] == "logs" and kinds[-1] == "done" and kinds.count("done") == 1
    assert kinds[-1] == ServerSentEvent.EventType.DONE  # 1.x compares with the enum
    text = "".join(str(event) for event in events)
    assert text.startswith("one two Replicate runs")
    assert str(events[0]) == ""  # logs are not output text
    ids = [event.id for event in events]
    assert all(ids) and len(set(ids)) == len(ids)


def test_multiline_data_joins_with_newlines(client: Client, emu: Emulator) -> None:
    ref = f"tests/chatty:{emu.app.store.models['tests/chatty'].versions[-1].id}"
    outputs = [str(e) for e in client.stream(ref, input={"words": 3}) if e.event == "output"]
    assert outputs == ["w0", "w1\nmore", "w2"]


def test_prediction_stream_and_async_stream(client: Client) -> None:
    prediction = client.models.predictions.create("replicate/language-model", input=PROMPT)
    sync_events = list(prediction.stream())

    async def collect() -> list[ServerSentEvent]:
        return [event async for event in prediction.async_stream()]

    async_events = asyncio.run(collect())
    assert sync_events == async_events  # a finished prediction's stream replays it all
    prediction.wait()
    assert "".join(str(e) for e in sync_events) == "".join(prediction.output)


def test_async_stream_needs_await_as_in_1x(client: Client) -> None:
    async def collect() -> str:
        events = await client.async_stream("replicate/language-model", input=PROMPT)
        return "".join([str(event) async for event in events])

    assert asyncio.run(collect()).startswith("one two Replicate")


@pytest.mark.parametrize("after", [0, 1, 4, 9])
def test_a_cut_stream_resumes_without_losing_or_repeating(
    client: Client, emu: Emulator, after: int
) -> None:
    prediction = client.models.predictions.create("replicate/language-model", input=PROMPT)
    prediction.wait()
    emu.faults.cut_stream(after=after)
    events = list(prediction.stream())
    assert [record.kind for record in emu.faults.history[-1:]] == ["cut_stream"]
    run = emu.app.store.predictions[prediction.id]
    assert [(e.id, e.event, str(e.data)) for e in events] == [
        (e.id, e.event, e.data) for e in run.events
    ]


def test_a_stream_cut_twice_while_running_async(client: Client, emu: Emulator) -> None:
    emu.faults.cut_stream(after=3, times=2)

    async def collect() -> tuple[str, str]:
        prediction = await client.models.predictions.async_create(
            "replicate/language-model", input={"prompt": "x", "max_tokens": 30}
        )
        text = "".join([str(e) async for e in prediction.async_stream()])
        await prediction.async_wait()
        return text, "".join(prediction.output)

    streamed, output = asyncio.run(collect())
    assert streamed == output


def test_error_event_raises_stream_error(client: Client, emu: Emulator) -> None:
    ref = f"tests/stumbles:{emu.app.store.models['tests/stumbles'].versions[-1].id}"
    seen: list[str] = []
    with pytest.raises(StreamError, match="stumbled") as raised:
        for event in client.stream(ref, input={}):
            seen.append(str(event))
    assert "before " in seen
    error = raised.value
    assert isinstance(error, ModelError) and isinstance(error, RuntimeError)
    assert error.prediction.status == "failed" and error.prediction.error == "stumbled"

    async def collect() -> None:
        async for _ in await client.async_stream(ref, input={}):
            pass

    with pytest.raises(StreamError, match="stumbled"):
        asyncio.run(collect())


def test_a_prediction_without_a_stream(client: Client) -> None:
    prediction = Prediction(**{"id": "abc", "urls": {"get": "x"}}).bind(client)
    with pytest.raises(ReplicateError, match="does not support streaming"):
        list(prediction.stream())


def test_module_level_stream_functions(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replicate, "default_client", client)
    for name in ("stream", "async_stream"):
        monkeypatch.delitem(vars(replicate), name, raising=False)
    text = "".join(str(e) for e in replicate.stream("replicate/language-model", input=PROMPT))
    assert text.startswith("one two")

    async def collect() -> str:
        events = await replicate.async_stream("replicate/language-model", PROMPT)
        return "".join([str(event) async for event in events])

    assert asyncio.run(collect()) == text
    assert callable(replicate.stream)  # a function, not a module


def test_interrupting_a_stream_cancels_the_prediction(
    client: Client, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from replicate import _stream

    read = _stream.iter_sse

    def interrupted(chunks: Any, decoder: Any) -> Iterator[Any]:
        for event in read(chunks, decoder):
            yield event
            raise KeyboardInterrupt  # Ctrl-C while the stream is being read

    monkeypatch.setattr(_stream, "iter_sse", interrupted)
    prediction = client.predictions.create(model="tests/slow-tokens", input={"seconds": 5})
    with pytest.raises(KeyboardInterrupt):
        list(prediction.stream())
    assert emu.app.store.predictions[prediction.id].status == "canceled"
    assert prediction.status == "canceled"


def test_cancelling_an_async_stream_cancels_the_prediction(client: Client, emu: Emulator) -> None:
    async def go() -> str:
        prediction = await client.predictions.async_create(
            model="tests/slow-tokens", input={"seconds": 5, "steps": 50}
        )
        first = asyncio.Event()

        async def consume() -> None:
            async for _ in prediction.async_stream():
                first.set()

        task = asyncio.create_task(consume())
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return prediction.id

    assert emu.app.store.predictions[asyncio.run(go())].status == "canceled"


def test_prediction_type_is_exported(client: Client) -> None:
    assert Prediction.stream.__doc__ and "StreamError" in Prediction.stream.__doc__
