"""Trainings: fine-tuning a model version into a new version of a destination model."""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, Unpack, overload

import httpx

from replicate import _wait
from replicate.helpers import FileEncodingStrategy, async_encode_json, encode_json
from replicate.identifier import ModelVersionIdentifier
from replicate.pagination import Cursor, Page, cursor_request, page_from_json
from replicate.resource import Namespace, Resource
from replicate.version import Version

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.model import Model
    from replicate.prediction import Prediction

__all__ = ["CreateTrainingParams", "Training", "Trainings"]


@dataclass(kw_only=True)
class Training(Resource):
    """A training of a model hosted on Replicate.

    Example::

        training = replicate.trainings.get("zz4ibbonubfz7carwiefibzgga")
        training.reload()
        print(training.status, training.output)
    """

    id: str
    """The unique ID of the training."""

    model: str | None = None
    """The model trained, as ``owner/name``."""

    version: str | None = None
    """The version of the model trained."""

    destination: str | None = None
    """The model the new version goes to, as ``owner/name``."""

    status: str = "starting"
    """``starting``, ``processing``, ``succeeded``, ``failed``, ``canceled`` or ``aborted``."""

    input: dict[str, Any] | None = None
    """The input to the training."""

    output: Any | None = None
    """The output: the new ``version`` and its ``weights``."""

    logs: str | None = None
    """The logs of the training."""

    error: str | None = None
    """The error encountered during the training, if any."""

    metrics: dict[str, Any] | None = None
    """Metrics for the training."""

    created_at: str | None = None
    """When the training was created."""

    started_at: str | None = None
    """When the training started."""

    completed_at: str | None = None
    """When the training completed, if it has."""

    urls: dict[str, str] | None = None
    """URLs of the training: ``get`` and ``cancel``."""

    source: str | None = None
    """How the training was created: ``api``, ``web``, ..."""

    _client: Client = field(repr=False, compare=False)

    @property
    def progress(self) -> Prediction.Progress | None:
        """The progress of the training, if its logs show a tqdm-style bar.

        Example::

            if training.progress:
                print(f"{training.progress.percentage:.0%}")
        """
        from replicate.prediction import Prediction

        return Prediction.Progress.parse(self.logs) if self.logs else None

    def wait(
        self,
        *,
        deadline: float | None = None,
        on_progress: _wait.ProgressCallback | None = None,
    ) -> None:
        """Wait until the training has ended, updating it (as ``Prediction.wait``).

        Trainings have no stream: this polls after 50, 100, 200, 400 ms, then every
        ``client.poll_interval`` (at most 2 requests a second by default). ``deadline``
        raises ``DeadlineExceededError``; ``on_progress`` gets each new state; a
        KeyboardInterrupt cancels the training first, unless ``cancel_on_interrupt=False``.

        Example::

            training.wait(on_progress=lambda t: print(t.status, t.progress))
            print(training.output["version"])
        """
        _wait.wait(self, deadline=deadline, on_progress=on_progress)

    async def async_wait(
        self,
        *,
        deadline: float | None = None,
        on_progress: _wait.ProgressCallback | None = None,
    ) -> None:
        """Wait until the training has ended, asynchronously (see ``wait``).

        Example::

            await training.async_wait(deadline=3600)
        """
        await _wait.async_wait(self, deadline=deadline, on_progress=on_progress)

    def cancel(self) -> None:
        """Cancel the training, and update this object.

        Example::

            training.cancel()
        """
        self._update_from(self._client.trainings.cancel(self.id))

    async def async_cancel(self) -> None:
        """Cancel the training, asynchronously.

        Example::

            await training.async_cancel()
        """
        self._update_from(await self._client.trainings.async_cancel(self.id))

    def reload(self) -> None:
        """Fetch the training again and update this object.

        Example::

            training.reload()
        """
        self._update_from(self._client.trainings.get(self.id))

    async def async_reload(self) -> None:
        """Fetch the training again, asynchronously.

        Example::

            await training.async_reload()
        """
        self._update_from(await self._client.trainings.async_get(self.id))

    # -- what waiting needs (see replicate._wait) ---------------------------------------------

    def _refresh(self, timeout: httpx.Timeout | None) -> None:
        self._update_from(self._client.trainings._get(self.id, timeout))

    async def _async_refresh(self, timeout: httpx.Timeout | None) -> None:
        self._update_from(await self._client.trainings._async_get(self.id, timeout))

    def _cancel_quietly(self) -> None:
        try:
            quick = self._client.with_options(timeout=_wait.CANCEL_TIMEOUT, max_retries=0)
            self._update_from(quick.trainings.cancel(self.id))
        except Exception:  # best effort: the interrupt or deadline error matters more
            pass

    async def _async_cancel_quietly(self) -> None:
        try:
            quick = self._client.with_options(timeout=_wait.CANCEL_TIMEOUT, max_retries=0)
            self._update_from(await quick.trainings.async_cancel(self.id))
        except Exception:
            pass


def training_from_json(client: Client, data: dict[str, Any]) -> Training:
    """A Training from the API's JSON (kept in step with the generated model by a test)."""
    get = data.get
    output = get("output")
    destination = get("destination")
    if destination is None and isinstance(output, dict) and isinstance(output.get("version"), str):
        try:
            owner, name, _ = ModelVersionIdentifier.parse(output["version"])
            destination = f"{owner}/{name}"
        except ValueError:
            pass
    return Training(
        id=data.get("id") or "",
        model=get("model"),
        version=get("version"),
        destination=destination,
        status=get("status") or "starting",
        input=get("input"),
        output=output,
        logs=get("logs"),
        error=get("error"),
        metrics=get("metrics"),
        created_at=get("created_at"),
        started_at=get("started_at"),
        completed_at=get("completed_at"),
        urls=get("urls"),
        source=get("source"),
        _client=client,
    )


class CreateTrainingParams(TypedDict):
    """Options of ``trainings.create``."""

    destination: str | tuple[str, str] | Model
    """The model the new version goes to (``owner/name``); it must exist."""

    webhook: NotRequired[str]
    webhook_completed: NotRequired[str]
    webhook_events_filter: NotRequired[list[str]]
    file_encoding_strategy: NotRequired[FileEncodingStrategy]


class Trainings(Namespace):
    """Operations on trainings: ``create``, ``get``, ``list``, ``cancel``, and ``async_*``.

    Example::

        training = replicate.trainings.create(
            model="replicate/hello-world", version="5c7d5dc6dd8b...",
            input={"max_train_steps": 1000}, destination="acme/hello-world-trained",
        )
    """

    def list(self, cursor: Cursor = ...) -> Page[Training]:
        """One page of your trainings.

        Example::

            page = replicate.trainings.list()
        """
        from replicate_api.api.trainings import list_

        response = self._client._request(cursor_request(cursor, list_._get_kwargs))
        return page_from_json(response.json(), self._decode)

    async def async_list(self, cursor: Cursor = ...) -> Page[Training]:
        """One page of your trainings, asynchronously.

        Example::

            page = await replicate.trainings.async_list()
        """
        from replicate_api.api.trainings import list_

        response = await self._client._async_request(cursor_request(cursor, list_._get_kwargs))
        return page_from_json(response.json(), self._decode)

    def get(self, id: str) -> Training:
        """A training, by ID.

        Example::

            training = replicate.trainings.get("zz4ibbonubfz7carwiefibzgga")
        """
        return self._get(id, None)

    async def async_get(self, id: str) -> Training:
        """A training, by ID, asynchronously.

        Example::

            training = await replicate.trainings.async_get("zz4ibbonubfz7carwiefibzgga")
        """
        return await self._async_get(id, None)

    def _get(self, id: str, timeout: httpx.Timeout | None) -> Training:
        from replicate_api.api.trainings import get

        options = {} if timeout is None else {"timeout": timeout}
        return self._decode(self._client._request(get._get_kwargs(id), **options).json())

    async def _async_get(self, id: str, timeout: httpx.Timeout | None) -> Training:
        from replicate_api.api.trainings import get

        options = {} if timeout is None else {"timeout": timeout}
        response = await self._client._async_request(get._get_kwargs(id), **options)
        return self._decode(response.json())

    def cancel(self, id: str) -> Training:
        """Cancel a training, by ID; returns it as it is after canceling.

        Example::

            replicate.trainings.cancel("zz4ibbonubfz7carwiefibzgga")
        """
        from replicate_api.api.trainings import cancel

        return self._decode(self._client._request(cancel._get_kwargs(id)).json())

    async def async_cancel(self, id: str) -> Training:
        """Cancel a training, asynchronously.

        Example::

            await replicate.trainings.async_cancel("zz4ibbonubfz7carwiefibzgga")
        """
        from replicate_api.api.trainings import cancel

        return self._decode((await self._client._async_request(cancel._get_kwargs(id))).json())

    @overload
    def create(
        self,
        version: str,
        input: dict[str, Any],
        destination: str,
        webhook: str | None = None,
        webhook_events_filter: builtins.list[str] | None = None,
        **kwargs: Any,
    ) -> Training: ...

    @overload
    def create(
        self,
        model: str | tuple[str, str] | Model,
        version: str | Version,
        input: dict[str, Any] | None = None,
        **params: Unpack[CreateTrainingParams],
    ) -> Training: ...

    def create(
        self,
        *args: Any,
        model: str | tuple[str, str] | Model | None = None,
        version: str | Version | None = None,
        input: dict[str, Any] | None = None,
        **params: Any,
    ) -> Training:
        """Create a training of a model version.

        Either ``model=`` and ``version=`` (or ``version="owner/name:id"``), or, as in older
        releases, positional ``(version, input, destination, webhook, webhook_completed,
        webhook_events_filter)`` with ``version`` as ``owner/name:id``.

        Example::

            training = replicate.trainings.create(
                model="replicate/hello-world", version="5c7d5dc6dd8b...",
                input={"max_train_steps": 1000}, destination="acme/hello-world-trained",
            )
        """
        owner, name, version_id, input = _target(args, model, version, input, params)
        strategy = params.pop("file_encoding_strategy", None)
        encoded = encode_json(input or {}, self._client, strategy)
        request = _create_request(owner, name, version_id, encoded, params)
        return self._decode(self._client._request(request).json())

    async def async_create(
        self,
        model: str | tuple[str, str] | Model | None = None,
        version: str | Version | None = None,
        input: dict[str, Any] | None = None,
        **params: Unpack[CreateTrainingParams],
    ) -> Training:
        """Create a training of a model version, asynchronously.

        Example::

            training = await replicate.trainings.async_create(
                model="replicate/hello-world", version="5c7d5dc6dd8b...",
                input={"max_train_steps": 1000}, destination="acme/hello-world-trained",
            )
        """
        options: dict[str, Any] = dict(params)
        owner, name, version_id, input = _target((), model, version, input, options)
        strategy = options.pop("file_encoding_strategy", None)
        encoded = await async_encode_json(input or {}, self._client, strategy)
        request = _create_request(owner, name, version_id, encoded, options)
        return self._decode((await self._client._async_request(request)).json())

    def _decode(self, data: dict[str, Any]) -> Training:
        return training_from_json(self._client, data)


_LEGACY_POSITIONAL = ("destination", "webhook", "webhook_completed", "webhook_events_filter")


def _target(
    args: tuple[Any, ...],
    model: str | tuple[str, str] | Model | None,
    version: str | Version | None,
    input: dict[str, Any] | None,
    params: dict[str, Any],
) -> tuple[str, str, str, dict[str, Any] | None]:
    """``(owner, name, version_id, input)`` from the forms ``create`` accepts."""
    from replicate.model import Model

    if args:
        # older form: create("owner/name:version", input, destination, webhook, ...)
        if len(args) > 6:
            raise TypeError("create() takes at most 6 positional arguments")
        version = args[0]
        if len(args) > 1:
            input = args[1]
        for key, value in zip(_LEGACY_POSITIONAL, args[2:], strict=False):
            params[key] = value
    if isinstance(version, Version):
        version_id: str | None = version.id
    else:
        version_id = version
    if model is None:
        if not isinstance(version, str):
            raise ValueError("model and version or shorthand version must be specified")
        owner, name, version_id = ModelVersionIdentifier.parse(version)
    elif isinstance(model, Model):
        owner, name = model.owner, model.name
    elif isinstance(model, tuple):
        owner, name = model
    else:
        owner, name, _ = ModelVersionIdentifier.parse(model)
    if not version_id:
        raise ValueError("model and version or shorthand version must be specified")
    return owner, name, version_id, input


def _create_request(
    owner: str, name: str, version_id: str, input: Any, params: dict[str, Any]
) -> dict[str, Any]:
    from replicate_api.api.trainings import create
    from replicate_api.models import TrainingRequest, WebhookEventType
    from replicate_api.types import UNSET

    from replicate.model import Model

    destination = params.pop("destination", None)
    if destination is None:
        raise ValueError("A destination must be provided as a positional or keyword argument.")
    if isinstance(destination, Model):
        destination = destination.id
    elif isinstance(destination, tuple):
        destination = f"{destination[0]}/{destination[1]}"
    events = params.pop("webhook_events_filter", None)
    webhook = params.pop("webhook", None)
    webhook_completed = params.pop("webhook_completed", None)
    if params:
        raise TypeError(f"unexpected training option(s): {', '.join(sorted(params))}")
    body = TrainingRequest(
        destination=destination,
        input_=input,
        webhook=UNSET if webhook is None else webhook,
        webhook_events_filter=(
            UNSET if events is None else [WebhookEventType(event) for event in events]
        ),
    )
    if webhook_completed is not None:
        body.additional_properties["webhook_completed"] = webhook_completed
    return create._get_kwargs(owner, name, version_id, body=body)
