"""Running predictions and trainings: the lifecycle, SSE events and webhooks.

Runs execute on the engine's own event loop, in a background thread, so that they go on
whichever loop or thread served the request that created them (uvicorn's, or a test's
``asyncio.run`` through ``httpx.ASGITransport``). Handlers wait for changes through
:class:`Signal`, which wakes waiters on their own loops.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import hashlib
import hmac
import inspect
import json
import mimetypes
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ._models import EmulatedModel, OutputFile, _current_log, iterate
from ._state import JSON, Store

TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})
# Events sent when a prediction gives no filter: new outputs, and the end (as documented).
DEFAULT_WEBHOOK_EVENTS = frozenset({"output", "completed"})
WEBHOOK_THROTTLE = 0.5  # seconds between output/logs webhooks, as documented


class Signal:
    """Wakes coroutines on any loop (or thread) when something changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def notify(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop is closed: nobody is waiting there any more
                with self._lock:
                    self._waiters.discard((loop, event))

    async def wait_for(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Wait until ``predicate()`` holds or ``timeout`` seconds pass; return the predicate."""
        deadline = None if timeout is None else time.monotonic() + timeout
        loop = asyncio.get_running_loop()
        while True:
            event = asyncio.Event()
            entry = (loop, event)
            with self._lock:
                self._waiters.add(entry)
            try:
                if predicate():
                    return True
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    return predicate()
            finally:
                with self._lock:
                    self._waiters.discard(entry)


@dataclass
class StreamEvent:
    id: str
    event: str
    data: str


@dataclass
class Run:
    """A prediction or a training: its API fields, its SSE events, its waiters."""

    id: str
    kind: str  # "prediction" or "training"
    fields: JSON
    model: EmulatedModel | None = None
    webhook: str | None = None
    webhook_events: frozenset[str] = DEFAULT_WEBHOOK_EVENTS
    events: list[StreamEvent] = field(default_factory=list)
    signal: Signal = field(default_factory=Signal)
    cancel_requested: bool = False
    future: concurrent.futures.Future[None] | None = None
    on_success: Callable[[Run], None] | None = None
    last_webhook: float = 0.0
    streams: bool = False  # whether the API gives it a stream URL
    first_output_at: str | None = None  # when its first output came (for token metrics)
    _event_counter: int = 0

    @property
    def status(self) -> str:
        return str(self.fields["status"])

    @property
    def done(self) -> bool:
        return self.status in TERMINAL

    def add_event(self, event: str, data: str) -> None:
        self._event_counter += 1
        created = int(time.time() * 1000)
        self.events.append(StreamEvent(f"{created}-{self._event_counter}", event, data))


class Engine:
    """Executes runs on a background event loop; delivers webhooks."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.webhook_transport: Any = None  # an httpx transport for deliveries (tests)

    # --- the loop ------------------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._start_lock:
            if self._loop is None:
                ready = threading.Event()

                def serve() -> None:
                    self._loop = asyncio.new_event_loop()
                    ready.set()
                    self._loop.run_forever()

                self._thread = threading.Thread(target=serve, name="emulator-engine", daemon=True)
                self._thread.start()
                ready.wait()
            assert self._loop is not None
            return self._loop

    def submit(self, coroutine: Coroutine[Any, Any, None]) -> concurrent.futures.Future[None]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        self.loop.call_soon_threadsafe(self.loop.call_later, delay, callback)

    def close(self) -> None:
        with self._start_lock:
            loop, thread = self._loop, self._thread
        if loop is not None and thread is not None:
            # Cancel unfinished runs and deliveries first (while ``self.loop`` still names this
            # loop, which cancelled runs use), so that no task is destroyed while pending.
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(_cancel_tasks(), loop).result(timeout=5)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            if not loop.is_running():
                loop.close()
        with self._start_lock:
            self._loop = self._thread = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, run: Run, inputs: JSON, cancel_after: float | None) -> None:
        assert run.model is not None
        run.future = self.submit(self._execute(run, run.model, inputs))
        if cancel_after is not None:
            self.call_later(cancel_after, lambda: self.cancel(run, deadline=True))

    def cancel(self, run: Run, deadline: bool = False) -> None:
        """Cancel a run; one that has not started yet ends ``aborted`` on a deadline."""
        with self.store.lock:
            if run.done:
                return
            run.cancel_requested = True
            if deadline and run.status == "starting":
                self._finish(run, "aborted")
        if run.future is not None:
            run.future.cancel()

    def update(self, run: Run, **changes: Any) -> None:
        with self.store.lock:
            run.fields.update(changes)
        run.signal.notify()

    def _finish(self, run: Run, status: str, error: str | None = None) -> None:
        now = self.store.now()
        fields = run.fields
        fields["status"] = status
        fields["completed_at"] = now
        if error is not None:
            fields["error"] = error
        metrics = fields.setdefault("metrics", {})
        started = fields.get("started_at")
        if started:
            metrics["predict_time"] = _seconds_between(started, now)
        metrics["total_time"] = _seconds_between(fields["created_at"], now)
        if run.model is not None and run.model.makes_text and started:
            metrics.update(token_metrics(run, started, now))
        if status == "succeeded" and run.on_success is not None:
            run.on_success(run)
        if status == "failed":
            run.add_event("error", json.dumps({"detail": error or "failed"}))
        reason = {"canceled": "canceled", "aborted": "canceled"}.get(status)
        run.add_event("done", json.dumps({"reason": reason}) if reason else "{}")
        run.signal.notify()
        self._webhook(run, "completed")

    async def _execute(self, run: Run, model: EmulatedModel, inputs: JSON) -> None:
        try:
            if model.setup_time:
                await asyncio.sleep(model.setup_time)
            with self.store.lock:
                if run.done:
                    return
                run.fields["status"] = "processing"
                run.fields["started_at"] = self.store.now()
            run.signal.notify()
            self._webhook(run, "start")
            token = _current_log.set(lambda line: self._log(run, line))
            try:
                await self._call(run, model, inputs)
            finally:
                _current_log.reset(token)
        except asyncio.CancelledError:
            with self.store.lock:
                if not run.done:
                    self._finish(run, "canceled")
            return
        except Exception as error:  # the model failed: that is the prediction's result
            with self.store.lock:
                if not run.done:
                    self._finish(run, "failed", error=str(error) or type(error).__name__)
            return
        with self.store.lock:
            if not run.done:
                self._finish(run, "succeeded")

    async def _call(self, run: Run, model: EmulatedModel, inputs: JSON) -> None:
        function = model.function
        if inspect.iscoroutinefunction(function):
            result = await function(**inputs)
        elif inspect.isasyncgenfunction(function) or inspect.isgeneratorfunction(function):
            result = function(**inputs)
        else:
            result = await asyncio.to_thread(function, **inputs)
        items = iterate(result)
        if items is None:
            output = self._to_output(run, result)
            with self.store.lock:
                run.fields["output"] = output
                run.add_event("output", output if isinstance(output, str) else json.dumps(output))
            run.signal.notify()
            self._webhook(run, "output")
            return
        with self.store.lock:
            run.fields["output"] = []
        if hasattr(items, "__anext__"):
            async for item in items:  # type: ignore[union-attr]
                self._add_output(run, item)
        else:
            sentinel = object()
            while (item := await asyncio.to_thread(next, items, sentinel)) is not sentinel:
                self._add_output(run, item)

    def _add_output(self, run: Run, item: Any) -> None:
        value = self._to_output(run, item)
        with self.store.lock:
            if run.first_output_at is None:
                run.first_output_at = self.store.now()
            run.fields["output"].append(value)
            run.add_event("output", value if isinstance(value, str) else json.dumps(value))
        run.signal.notify()
        self._webhook(run, "output")

    def _log(self, run: Run, line: str) -> None:
        with self.store.lock:
            run.fields["logs"] = (run.fields.get("logs") or "") + line
            run.add_event("logs", line.rstrip("\n"))
        run.signal.notify()
        self._webhook(run, "logs")

    def _to_output(self, run: Run, value: Any) -> Any:
        """JSON for the API: files become URLs on the delivery origin."""
        if isinstance(value, Path):
            content_type = mimetypes.guess_type(value.name)[0] or "application/octet-stream"
            value = OutputFile(value.read_bytes(), value.name, content_type)
        if isinstance(value, OutputFile):
            path = f"/{run.id}/{value.filename}"
            with self.store.lock:
                self.store.outputs[path] = (value.data, value.content_type)
            return f"{self.store.delivery_base_url}{path}"
        if isinstance(value, list | tuple):
            return [self._to_output(run, item) for item in value]
        if isinstance(value, dict):
            return {key: self._to_output(run, item) for key, item in value.items()}
        return value

    # --- webhooks ------------------------------------------------------------------------

    def _webhook(self, run: Run, event: str) -> None:
        if not run.webhook or event not in run.webhook_events:
            return
        if event in ("output", "logs"):
            now = time.monotonic()
            if now - run.last_webhook < WEBHOOK_THROTTLE:
                return
            run.last_webhook = now
        body = json.dumps(self.store.render(run))
        self.loop.call_soon_threadsafe(
            lambda: self.loop.create_task(self._deliver(str(run.webhook), body))
        )

    def sign(self, message_id: str, timestamp: int, body: str) -> str:
        """The ``webhook-signature`` header value for a delivery."""
        key = base64.b64decode(self.store.webhook_key)
        digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256)
        return "v1," + base64.b64encode(digest.digest()).decode()

    async def _deliver(self, url: str, body: str, attempts: int = 3) -> None:
        import httpx

        message_id = "msg_" + self.store.ids.token(27)
        async with httpx.AsyncClient(transport=self.webhook_transport, timeout=10) as client:
            for attempt in range(attempts):
                timestamp = int(time.time())
                headers = {
                    "content-type": "application/json",
                    "webhook-id": message_id,
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": self.sign(message_id, timestamp, body),
                }
                try:
                    response = await client.post(url, content=body, headers=headers)
                    if response.status_code < 300:
                        self.store.webhook_deliveries.append((url, headers, body))
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2 * 2**attempt)


async def _cancel_tasks() -> None:
    current = asyncio.current_task()
    for _ in range(3):  # a cancelled run sends its "completed" webhook: sweep again
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        if not tasks:
            return
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def token_metrics(run: Run, started: str, completed: str) -> JSON:
    """What a language model's predictions add to ``metrics``: tokens in and out, and pace.

    Input tokens are the words of the text inputs (the emulated model's tokens are words).
    """
    inputs = run.fields.get("input") or {}
    words = sum(len(value.split()) for value in inputs.values() if isinstance(value, str))
    output = run.fields.get("output")
    count = len(output) if isinstance(output, list) else 0
    first = run.first_output_at or completed
    generating = _seconds_between(first, completed)
    predict_time = _seconds_between(started, completed)
    return {
        "input_token_count": words,
        "output_token_count": count,
        "tokens_per_second": round(count / (generating or predict_time or 1), 3),
        "time_to_first_token": _seconds_between(started, first),
    }


def _seconds_between(start: str, end: str) -> float:
    first = datetime.fromisoformat(start)
    last = datetime.fromisoformat(end)
    return round((last - first).total_seconds(), 6)
