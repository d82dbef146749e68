"""Predictions: running a model once on one input."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict, Unpack, overload

from replicate import _wait
from replicate._created import CreateAttempt
from replicate._files import FileEncodingStrategy, async_encode_json, encode_json
from replicate._generated import (
    deployments_create_prediction,
    models_create_prediction,
    predictions_cancel,
    predictions_create,
    predictions_get,
    predictions_list,
)
from replicate._runs import Run, RunNamespace
from replicate._stream import ServerSentEvent
from replicate._wait import TERMINAL_STATUSES, WAIT_MARGIN
from replicate.identifier import Reference
from replicate.pagination import Page as Page  # replicate 1.x code imports it from here
from replicate.resource import Endpoint

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.deployment import Deployment
    from replicate.model import Model
    from replicate.version import Version

__all__ = [
    "TERMINAL_STATUSES",
    "WAIT_MARGIN",
    "CreatePredictionParams",
    "Prediction",
    "PredictionParams",
    "Predictions",
    "ServerSentEvent",
]


class Prediction(Run):
    """A prediction made by a model hosted on Replicate.

    Its fields are those of the API's prediction (``replicate_api.models.Prediction``),
    under the API's names. ``Prediction(**payload)`` builds one from a webhook delivery.

    Example::

        prediction = replicate.predictions.create(
            "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa",
            input={"text": "Alice"},
        )
        prediction.wait()
        print(prediction.status, prediction.output)
    """

    _generated = ("Prediction",)
    _namespace = "predictions"

    data_removed: bool | None
    """Whether the input and output were deleted."""

    deployment: str | None
    """The deployment that made the prediction, if any."""

    def output_iterator(self) -> Iterator[Any]:
        """Yield the items of a list output as they appear, polling until the prediction ends.

        Polls on the schedule of ``wait`` (50 ms first, backing off to ``poll_interval``).
        Raises ``ModelError`` if the prediction fails.

        Example::

            for token in prediction.output_iterator():
                print(token, end="")
        """
        return _wait.iter_output(self)

    def async_output_iterator(self) -> AsyncIterator[Any]:
        """Yield the items of a list output as they appear, asynchronously.

        Example::

            async for token in prediction.async_output_iterator():
                print(token, end="")
        """
        return _wait.aiter_output(self)


class PredictionParams(TypedDict, total=False):
    """Options of the prediction that ``run`` and ``stream`` create."""

    webhook: str
    """An HTTPS URL to receive a POST with the prediction's updates."""

    webhook_completed: str
    """An HTTPS URL to receive a POST when the prediction completes (older API option)."""

    webhook_events_filter: list[str]
    """Which events reach the webhook: ``start``, ``output``, ``logs``, ``completed``."""

    stream: bool
    """Request an output stream (``urls.stream``; deprecated by the API, which now adds it
    whenever the model streams)."""

    file_encoding_strategy: FileEncodingStrategy
    """How file inputs are sent: ``"url"`` (uploaded; the default), ``"base64"`` (inline), or
    ``"auto"`` (inline up to 256 KiB, uploaded above)."""

    cancel_after: str | float | timedelta
    """A server-side deadline after which the prediction is canceled: ``"30s"``, ``"5m"``,
    ``"1h30m"``, a number of seconds or a ``timedelta`` (5 s at least): ``Cancel-After``."""


class CreatePredictionParams(PredictionParams, total=False):
    """Options of every call that creates a prediction."""

    wait: int | bool
    """Hold the request open until the prediction ends: ``True`` for up to 60 s, or a number
    of seconds from 1 to 60 (``Prefer: wait``). ``False`` (the default) returns at once."""


class Predictions(RunNamespace[Prediction]):
    """Operations on predictions: ``create``, ``get``, ``list``, ``cancel``, and ``async_*``.

    Example::

        page = replicate.predictions.list()
        print([prediction.id for prediction in page])
    """

    _resource = Prediction
    _get = predictions_get
    _list = predictions_list
    _cancel = predictions_cancel

    @overload
    def create(
        self,
        version: Version | str,
        input: dict[str, Any] | None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction: ...

    @overload
    def create(
        self,
        *,
        model: str | tuple[str, str] | Model,
        input: dict[str, Any] | None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction: ...

    @overload
    def create(
        self,
        *,
        deployment: str | tuple[str, str] | Deployment,
        input: dict[str, Any] | None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction: ...

    def create(
        self,
        *args: Any,
        model: str | tuple[str, str] | Model | None = None,
        version: Version | str | None = None,
        deployment: str | tuple[str, str] | Deployment | None = None,
        input: dict[str, Any] | None = None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction of a version, a model, or a deployment (exactly one of them).

        Example::

            prediction = replicate.predictions.create(
                model="replicate/hello-world", input={"text": "Alice"}, wait=True
            )
        """
        version, input = _positional(args, version, input)
        reference = Reference.of(model=model, version=version, deployment=deployment)
        return self._create(reference, input, CreateOptions.of(params))

    @overload
    async def async_create(
        self,
        version: Version | str,
        input: dict[str, Any] | None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction: ...

    @overload
    async def async_create(
        self,
        *,
        model: str | tuple[str, str] | Model,
        input: dict[str, Any] | None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction: ...

    @overload
    async def async_create(
        self,
        *,
        deployment: str | tuple[str, str] | Deployment,
        input: dict[str, Any] | None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction: ...

    async def async_create(
        self,
        *args: Any,
        model: str | tuple[str, str] | Model | None = None,
        version: Version | str | None = None,
        deployment: str | tuple[str, str] | Deployment | None = None,
        input: dict[str, Any] | None = None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction of a version, a model, or a deployment, asynchronously.

        Example::

            prediction = await replicate.predictions.async_create(
                model="replicate/hello-world", input={"text": "Alice"}
            )
        """
        version, input = _positional(args, version, input)
        reference = Reference.of(model=model, version=version, deployment=deployment)
        return await self._async_create(reference, input, CreateOptions.of(params))

    def _create(
        self,
        reference: Reference,
        input: dict[str, Any] | None,
        options: CreateOptions,
        guard: _wait.Guard | None = None,
        on_encoded: Callable[[Any], object] | None = None,
    ) -> Prediction:
        """Create a prediction on a parsed reference (``run``, models and deployments too).

        The create is never sent twice. When its answer is lost (a dropped connection, a 5xx,
        a cut body), the prediction it made is found and returned; when an interrupt comes
        before the answer, the prediction is found and canceled (see ``replicate._created``).
        ``guard`` is given the prediction before this returns, so an interrupt at any later
        moment finds it there. ``on_encoded`` is called with the input as it will be sent
        (files uploaded or inlined), just before it is: a batch's journal records it there.
        """
        client = self._client
        encoded = encode_json(input or {}, client, options.file_encoding_strategy)
        if on_encoded is not None:
            on_encoded(encoded)
        request, endpoint = _create_request(reference, encoded, options, client)
        attempt = CreateAttempt(client, reference, encoded, request, sync=True)
        try:
            prediction = self._sent(Prediction, request, endpoint)
        except Exception as error:
            if not attempt.lost(error):
                raise
            prediction = attempt.recover(error)
        except BaseException:  # KeyboardInterrupt, SystemExit: the prediction must not run on
            attempt.interrupted()
            raise
        attempt.claim(prediction)
        if guard is not None:
            guard.run = prediction
        return prediction

    async def _async_create(
        self,
        reference: Reference,
        input: dict[str, Any] | None,
        options: CreateOptions,
        guard: _wait.Guard | None = None,
        on_encoded: Callable[[Any], Awaitable[object]] | None = None,
    ) -> Prediction:
        client = self._client
        encoded = await async_encode_json(input or {}, client, options.file_encoding_strategy)
        if on_encoded is not None:
            await on_encoded(encoded)
        request, endpoint = _create_request(reference, encoded, options, client)
        attempt = CreateAttempt(client, reference, encoded, request, sync=False)
        try:
            prediction = await self._async_sent(Prediction, request, endpoint)
        except Exception as error:
            if not attempt.lost(error):
                raise
            prediction = await attempt.async_recover(error)
        except BaseException:  # the task's cancellation, KeyboardInterrupt
            await attempt.async_interrupted()
            raise
        attempt.claim(prediction)
        if guard is not None:
            guard.run = prediction
        return prediction


# -- building create requests with the generated layer ----------------------------------------


def _positional(
    args: tuple[Any, ...], version: Version | str | None, input: dict[str, Any] | None
) -> tuple[Version | str | None, dict[str, Any] | None]:
    if len(args) > 2:
        raise TypeError("create() takes at most 2 positional arguments (version, input)")
    if args:
        version = args[0]
    if len(args) > 1:
        input = args[1]
    return version, input


@dataclass
class CreateOptions:
    """The options of a prediction create, checked once (before any file is uploaded)."""

    webhook: str | None = None
    webhook_completed: str | None = None
    webhook_events_filter: list[str] | None = None
    stream: bool | None = None
    wait: int | bool = False
    """The ``Prefer: wait`` window: False (none), True (the API's default) or seconds."""
    file_encoding_strategy: FileEncodingStrategy | None = None
    cancel_after: str | None = None
    """The ``Cancel-After`` header."""

    @classmethod
    def of(cls, params: Mapping[str, Any], *, window: bool | int | None = None) -> CreateOptions:
        """The options in ``params``; ``window`` is a ``Prefer: wait`` window already worked
        out (``run`` fits it to its deadline), else it comes from ``params["wait"]``."""
        unknown = set(params) - set(CreatePredictionParams.__annotations__)
        if unknown:
            raise TypeError(f"unexpected prediction option(s): {', '.join(sorted(unknown))}")
        options: dict[str, Any] = dict(params)
        wait = options.pop("wait", None)
        cancel_after = options.pop("cancel_after", None)
        return cls(
            **options,
            wait=_wait.wait_window(wait) if window is None else window,
            cancel_after=None if cancel_after is None else _wait.cancel_after_header(cancel_after),
        )

    def headers(self) -> dict[str, Any]:
        from replicate_api.types import UNSET

        prefer: Any = UNSET
        if self.wait is not False:
            prefer = "wait" if self.wait is True else f"wait={self.wait}"
        return {"prefer": prefer, "cancel_after": self.cancel_after or UNSET}

    def body_fields(self) -> dict[str, Any]:
        from replicate_api.models import WebhookEventType

        fields: dict[str, Any] = {}
        if self.stream is not None:
            fields["stream"] = self.stream
        if self.webhook is not None:
            fields["webhook"] = self.webhook
        if self.webhook_events_filter is not None:
            fields["webhook_events_filter"] = [
                WebhookEventType(event) for event in self.webhook_events_filter
            ]
        return fields


def _create_request(
    reference: Reference, input: Any, options: CreateOptions, client: Client
) -> tuple[dict[str, Any], Endpoint]:
    """The generated request that creates a prediction on ``reference``, and its endpoint."""
    from replicate_api.models import PredictionRequest, VersionPredictionRequest

    fields = options.body_fields()
    headers = options.headers()
    endpoint: Endpoint
    path: tuple[str, ...]
    if reference.kind == "version":
        body: Any = VersionPredictionRequest(version=reference.version_id, input_=input, **fields)
        endpoint, path = predictions_create, ()
    else:
        body = PredictionRequest(input_=input, **fields)
        on_model = reference.kind == "model"
        endpoint = models_create_prediction if on_model else deployments_create_prediction
        path = (reference.owner, reference.name)
    request = endpoint.build_request(*path, body=body, **headers)
    if options.webhook_completed is not None:
        # an older option the API still honours; the generated body does not list it
        request["json"]["webhook_completed"] = options.webhook_completed
    timeout = _wait.wait_read_timeout(options.wait, client.timeout)
    if timeout is not None:
        request["timeout"] = timeout
    return request, endpoint
