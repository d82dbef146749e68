"""What predictions and trainings share: the object (wait, cancel, reload, stream, progress)
and the namespace (get, list, cancel), written once for both."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from replicate import _wait
from replicate.resource import Endpoint, Listing, Resource, defaults

if TYPE_CHECKING:
    from replicate._stream import ServerSentEvent

__all__ = ["Progress", "Run", "RunNamespace"]

RunT = TypeVar("RunT", bound="Run")


@dataclass
class Progress:
    """The progress of a run, read from the tqdm-style bar in its logs.

    Example::

        Prediction.Progress.parse(" 45%|####      | 9/20 [00:01<00:01,  8.04it/s]")
        # Progress(percentage=0.45, current=9, total=20)
    """

    percentage: float
    """The fraction done, from 0.0 to 1.0."""

    current: int
    """The number of steps done."""

    total: int
    """The number of steps in all."""

    _pattern: ClassVar[re.Pattern[str]] = re.compile(
        r"^\s*(?P<percentage>\d+)%\s*\|.+?\|\s*(?P<current>\d+)\/(?P<total>\d+)"
    )

    @classmethod
    def parse(cls, logs: str) -> Progress | None:
        """The progress of the last progress bar line in ``logs``, or None.

        Example::

            Prediction.Progress.parse("step\\n 10%|#    | 1/10")
        """
        for line in reversed(logs.split("\n")):
            match = cls._pattern.match(line.strip())
            if match:
                return cls(
                    int(match["percentage"]) / 100.0, int(match["current"]), int(match["total"])
                )
        return None


_Progress = Progress


class Run(Resource):
    """A prediction or a training: a model running on Replicate until it ends."""

    _namespace: ClassVar[str]
    """The client's namespace of this kind of run: ``predictions`` or ``trainings``."""

    _defaults = defaults(status="starting")

    id: str
    """The unique ID of the run."""

    model: str | None
    """The model that ran, as ``owner/name``."""

    version: str | None
    """The version of the model (``"hidden"`` for models run without a version)."""

    status: str
    """``starting``, ``processing``, ``succeeded``, ``failed``, ``canceled`` or ``aborted``."""

    input: dict[str, Any] | None
    """The input to the run."""

    output: Any
    """The output of the run (for a training: the new ``version`` and its ``weights``)."""

    logs: str | None
    """The logs of the run."""

    error: str | None
    """The error encountered during the run, if any."""

    metrics: dict[str, Any] | None
    """Metrics of the run (``predict_time``, ...)."""

    created_at: str | None
    """When the run was created, as the API wrote it (ISO 8601)."""

    started_at: str | None
    """When the run started."""

    completed_at: str | None
    """When the run completed, if it has."""

    urls: dict[str, str] | None
    """URLs of the run: ``get``, ``cancel``, and ``stream`` when it streams."""

    source: str | None
    """How the run was created: ``api``, ``web``, ..."""

    Progress = Progress
    """The progress of a run (``Prediction.Progress``, as 1.x names it)."""

    @property
    def progress(self) -> _Progress | None:
        """The progress of the run, if its logs show a tqdm-style bar.

        Example::

            if prediction.progress:
                print(f"{prediction.progress.percentage:.0%}")
        """
        return Progress.parse(self.logs) if self.logs else None

    def wait(
        self,
        *,
        deadline: float | None = None,
        on_progress: _wait.ProgressCallback | None = None,
    ) -> None:
        """Wait until the run has ended (any of ``TERMINAL_STATUSES``), updating it.

        With ``urls.stream`` it follows the stream and returns right after the end; without
        (trainings, models that do not stream), it polls after 50, 100, 200, 400 ms, then every
        ``client.poll_interval`` (at most 2 requests a second by default). ``deadline``
        (seconds) raises ``DeadlineExceededError`` when it passes, leaving the run going.
        ``on_progress`` is called with the run each time its status, logs or output change. A
        KeyboardInterrupt cancels the run on the server first, unless
        ``Client(cancel_on_interrupt=False)``.

        Example::

            prediction.wait(deadline=300, on_progress=lambda p: print(p.status, p.progress))
            assert prediction.status in ("succeeded", "failed", "canceled", "aborted")
        """
        _wait.wait(self, deadline=deadline, on_progress=on_progress)

    async def async_wait(
        self,
        *,
        deadline: float | None = None,
        on_progress: _wait.ProgressCallback | None = None,
    ) -> None:
        """Wait until the run has ended, asynchronously (see ``wait``).

        ``on_progress`` may be a coroutine function. Cancelling the task cancels the run on
        the server first, unless ``Client(cancel_on_interrupt=False)``.

        Example::

            await prediction.async_wait(deadline=300)
        """
        await _wait.async_wait(self, deadline=deadline, on_progress=on_progress)

    def stream(self, use_file_output: bool | None = None) -> Iterator[ServerSentEvent]:
        """The run's server-sent events (``urls.stream``), through ``done``.

        Each event has ``event``, ``data`` and ``id``; ``str(event)`` is the output text.
        An ``error`` event raises ``StreamError``; a dropped connection resumes where it left
        off. File outputs come as ``FileOutput`` unless ``use_file_output=False``. Raises
        ``ReplicateError`` if the model does not stream.

        Example::

            for event in prediction.stream():
                print(str(event), end="")
        """
        from replicate._stream import stream_events

        return stream_events(self, use_file_output=use_file_output)

    def async_stream(self, use_file_output: bool | None = None) -> AsyncIterator[ServerSentEvent]:
        """The run's server-sent events, asynchronously (see ``stream``).

        Example::

            async for event in prediction.async_stream():
                print(str(event), end="")
        """
        from replicate._stream import async_stream_events

        return async_stream_events(self, use_file_output=use_file_output)

    def cancel(self) -> None:
        """Cancel the run, and update this object.

        Example::

            prediction.cancel()
        """
        self._update_from(self._runs().cancel(self.id))

    async def async_cancel(self) -> None:
        """Cancel the run, asynchronously.

        Example::

            await prediction.async_cancel()
        """
        self._update_from(await self._runs().async_cancel(self.id))

    def reload(self) -> None:
        """Fetch the run again and update this object.

        Example::

            prediction.reload()
            print(prediction.status)
        """
        self._update_from(self._runs().get(self.id))

    async def async_reload(self) -> None:
        """Fetch the run again, asynchronously.

        Example::

            await prediction.async_reload()
        """
        self._update_from(await self._runs().async_get(self.id))

    # -- what waiting needs (see replicate._wait) ---------------------------------------------

    def _runs(self) -> RunNamespace[Any]:
        runs: RunNamespace[Any] = getattr(self._bound(), self._namespace)
        return runs

    def _refresh(self, deadline: _wait.Deadline | None = None) -> None:
        self._update_from(self._runs()._get_within(self.id, deadline))

    async def _async_refresh(self, deadline: _wait.Deadline | None = None) -> None:
        self._update_from(await self._runs()._async_get_within(self.id, deadline))

    def _quick(self) -> RunNamespace[Any]:
        """The namespace on a client that cancels in one short request, without retries."""
        quick = self._bound().with_options(timeout=_wait.CANCEL_TIMEOUT, max_retries=0)
        runs: RunNamespace[Any] = getattr(quick, self._namespace)
        return runs

    def _cancel_quietly(self) -> None:
        """Cancel on the server in one short request; errors are swallowed (see ``_wait``):
        best effort, as the interrupt or deadline error matters more."""
        with contextlib.suppress(Exception):
            self._update_from(self._quick().cancel(self.id))

    async def _async_cancel_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self._update_from(await self._quick().async_cancel(self.id))


class RunNamespace(Listing[RunT]):
    """``get``, ``list`` and ``cancel`` of predictions or trainings, and their ``async_*``."""

    _get: Endpoint
    _cancel: Endpoint
    """The generated endpoint modules of this kind of run (``_list`` lists them)."""

    def get(self, id: str) -> RunT:
        """A run, by ID.

        Example::

            prediction = replicate.predictions.get("ufawqhfynnddngldkgtslldrkq")
        """
        return self._get_within(id, None)

    async def async_get(self, id: str) -> RunT:
        """A run, by ID, asynchronously.

        Example::

            prediction = await replicate.predictions.async_get("ufawqhfynnddngldkgtslldrkq")
        """
        return await self._async_get_within(id, None)

    def cancel(self, id: str) -> RunT:
        """Cancel a run, by ID; returns it as it is after canceling.

        Example::

            replicate.predictions.cancel("ufawqhfynnddngldkgtslldrkq").status  # 'canceled'
        """
        return self._one(self._resource, self._cancel, id)

    async def async_cancel(self, id: str) -> RunT:
        """Cancel a run, by ID, asynchronously.

        Example::

            await replicate.predictions.async_cancel("ufawqhfynnddngldkgtslldrkq")
        """
        return await self._async_one(self._resource, self._cancel, id)

    def _get_within(self, id: str, deadline: _wait.Deadline | None) -> RunT:
        """``get`` within a wait's deadline: its timeouts and retries end there."""
        return self._sent(self._resource, self._get_request(id, deadline), self._get)

    async def _async_get_within(self, id: str, deadline: _wait.Deadline | None) -> RunT:
        return await self._async_sent(self._resource, self._get_request(id, deadline), self._get)

    def _get_request(self, id: str, deadline: _wait.Deadline | None) -> dict[str, Any]:
        request: dict[str, Any] = self._get.build_request(id)
        if deadline is not None and deadline.seconds is not None:
            timeout = deadline.timeout(self._client.timeout)
            if timeout is not None:
                request["timeout"] = timeout
            request["deadline"] = deadline
        return request
