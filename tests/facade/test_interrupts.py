"""An interrupt at any moment of run() or stream() leaves no prediction running.

Ctrl-C is a real SIGINT sent to the main thread at a random moment (hypothesis draws it): in
the create's ``Prefer: wait`` window, while waiting, or after the end. Task cancellation is the
async twin. Against the emulator over sockets; afterwards every prediction the call made has
ended on the server, and none was left to warn about.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from facade_tools import slow_tokens
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# imported now, not on the first run: a SIGINT must not land while a module compiles
import replicate._created
import replicate._run
import replicate._stream  # noqa: F401
from replicate.client import Client
from replicate.exceptions import PredictionMayBeRunningWarning
from replicate.testing import Emulator

SECONDS = 0.8
"""How long the model runs: well inside the default 60 s window of the create."""

moments = st.floats(min_value=0.0, max_value=SECONDS + 0.3)
serial = itertools.count()

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "pthread_kill"), reason="needs signal.pthread_kill"
)


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        emulator.register("tests/slow-tokens", slow_tokens)
        yield emulator


@pytest.fixture(scope="module")
def client(emu: Emulator) -> Client:
    return Client(api_token=emu.api_token, base_url=emu.base_url)


@pytest.fixture(autouse=True)
def sigint_raises_keyboard_interrupt() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def unique_input() -> dict[str, Any]:
    """An input no other test sends: its predictions are this test's."""
    return {"seconds": SECONDS + next(serial) * 1e-6, "steps": 4}


def made(emu: Emulator, input: dict[str, Any]) -> list[Any]:
    return [p for p in list(emu.app.store.predictions.values()) if p.fields.get("input") == input]


def running(emu: Emulator, input: dict[str, Any]) -> list[str]:
    """Ids of the predictions made with ``input`` that have not ended on the server."""
    return [p.id for p in made(emu, input) if not p.done]


class Interrupter:
    """Sends SIGINT to the main thread ``delay`` seconds after ``go()``."""

    def __init__(self, delay: float) -> None:
        self.main = threading.main_thread().ident
        self.delay = delay
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._send, daemon=True)
        self.thread.start()

    def _send(self) -> None:
        self.started.wait()
        time.sleep(self.delay)
        assert self.main is not None
        signal.pthread_kill(self.main, signal.SIGINT)

    def go(self) -> None:
        self.started.set()


def ctrl_c_during(call: Any, delay: float) -> bool:
    """Call ``call()`` with a SIGINT ``delay`` seconds in; True if it was interrupted."""
    interrupter = Interrupter(delay)
    try:
        interrupter.go()
        call()
        interrupter.thread.join()
        time.sleep(0.05)  # a signal sent as the call returned is handled here, inside the try
    except KeyboardInterrupt:
        interrupter.thread.join()
        return True
    return False


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(delay=moments)
def test_ctrl_c_at_any_moment_of_run_leaves_nothing_running(
    emu: Emulator, client: Client, delay: float
) -> None:
    input = unique_input()
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always", PredictionMayBeRunningWarning)
        ctrl_c_during(lambda: client.run("replicate/slow", input=input), delay)
    assert running(emu, input) == []
    assert len(made(emu, input)) <= 1
    if warned:  # only when the interrupt came as the body was being written: never sent
        assert made(emu, input) == []


@pytest.mark.parametrize("delay", [0.0, 0.002, 0.01])
def test_ctrl_c_as_the_create_is_sent_leaves_nothing_running(
    emu: Emulator, client: Client, delay: float
) -> None:
    input = unique_input()
    ctrl_c_during(lambda: client.run("replicate/slow", input=input), delay)
    assert running(emu, input) == []


@pytest.mark.parametrize("delay", [0.1, 0.4])
def test_ctrl_c_in_the_create_window_cancels_the_prediction_it_made(
    emu: Emulator, client: Client, delay: float
) -> None:
    input = unique_input()
    with warnings.catch_warnings():
        warnings.simplefilter("error", PredictionMayBeRunningWarning)
        assert ctrl_c_during(lambda: client.run("replicate/slow", input=input), delay)
    assert [p.status for p in made(emu, input)] == ["canceled"]


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(delay=moments)
def test_ctrl_c_at_any_moment_of_stream_leaves_nothing_running(
    emu: Emulator, client: Client, delay: float
) -> None:
    input = unique_input()
    ctrl_c_during(lambda: list(client.stream("tests/slow-tokens", input=input)), delay)
    assert running(emu, input) == []


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(delay=moments)
def test_cancelling_the_task_at_any_moment_of_async_run_leaves_nothing_running(
    emu: Emulator, delay: float
) -> None:
    input = unique_input()

    async def main() -> None:
        client = Client(api_token=emu.api_token, base_url=emu.base_url)
        task = asyncio.create_task(client.async_run("replicate/slow", input=input))
        await asyncio.sleep(delay)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await client.aclose()

    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always", PredictionMayBeRunningWarning)
        asyncio.run(main())
    assert running(emu, input) == []
    assert len(made(emu, input)) <= 1
    if warned:
        assert made(emu, input) == []


def test_turned_off_an_interrupt_leaves_the_prediction_running(emu: Emulator) -> None:
    client = Client(api_token=emu.api_token, base_url=emu.base_url, cancel_on_interrupt=False)
    input = unique_input()
    assert ctrl_c_during(lambda: client.run("replicate/slow", input=input), 0.3)
    assert len(running(emu, input)) == 1


def test_an_interrupted_create_that_cannot_be_found_is_named_in_a_warning() -> None:
    """The server took the create, but lists nothing: the user is told what may be running."""

    def serve(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            raise KeyboardInterrupt  # Ctrl-C while the create's answer is awaited
        return httpx.Response(200, json={"results": [], "next": None, "previous": None})

    client = Client("r8_test", transport=httpx.MockTransport(serve))
    with (
        pytest.warns(PredictionMayBeRunningWarning, match="acme/model") as caught,
        pytest.raises(KeyboardInterrupt),
    ):
        client.run("acme/model", input={"text": "hi"})
    assert "predictions.list()" in str(caught[0].message)
