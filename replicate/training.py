"""Trainings: fine-tuning a model version into a new version of a destination model."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict, Unpack, overload

from replicate._files import FileEncodingStrategy, async_encode_json, encode_json
from replicate._generated import trainings_cancel, trainings_create, trainings_get, trainings_list
from replicate._runs import Run, RunNamespace
from replicate.identifier import ModelVersionIdentifier, Reference
from replicate.pagination import Page as Page  # replicate 1.x code imports it from here
from replicate.version import Version

if TYPE_CHECKING:
    from replicate.model import Model

__all__ = ["CreateTrainingParams", "Training", "Trainings"]


class Training(Run):
    """A training of a model hosted on Replicate.

    Its fields are those of the API's training (``replicate_api.models.Training``), under the
    API's names, and ``destination``. ``Training(**payload)`` builds one from a webhook
    delivery.

    Example::

        training = replicate.trainings.get("zz4ibbonubfz7carwiefibzgga")
        training.wait()
        print(training.status, training.output)
    """

    _generated = ("Training",)
    _namespace = "trainings"
    _computed = ("destination",)

    @property
    def destination(self) -> str | None:
        """The model the new version goes to, as ``owner/name`` (from the new version's name
        when the API does not say).

        Example::

            replicate.trainings.get("zz4ibbonubfz7carwiefibzgga").destination
        """
        extras = getattr(self._data, "additional_properties", None) or {}
        destination = extras.get("destination")
        if isinstance(destination, str):
            return destination
        output = self.output
        if isinstance(output, dict) and isinstance(output.get("version"), str):
            try:
                owner, name, _ = ModelVersionIdentifier.parse(output["version"])
            except ValueError:
                return None
            return f"{owner}/{name}"
        return None


class CreateTrainingParams(TypedDict):
    """Options of ``trainings.create``."""

    destination: str | tuple[str, str] | Model
    """The model the new version goes to (``owner/name``); it must exist."""

    webhook: NotRequired[str]
    webhook_completed: NotRequired[str]
    webhook_events_filter: NotRequired[list[str]]
    file_encoding_strategy: NotRequired[FileEncodingStrategy]


class Trainings(RunNamespace[Training]):
    """Operations on trainings: ``create``, ``get``, ``list``, ``cancel``, and ``async_*``.

    Example::

        training = replicate.trainings.create(
            model="replicate/hello-world", version="5c7d5dc6dd8b...",
            input={"max_train_steps": 1000}, destination="acme/hello-world-trained",
        )
    """

    _resource = Training
    _get = trainings_get
    _list = trainings_list
    _cancel = trainings_cancel

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
        reference, input = _target(args, model, version, input, params)
        strategy = params.pop("file_encoding_strategy", None)
        encoded = encode_json(input or {}, self._client, strategy)
        return self._sent(Training, _create_request(reference, encoded, params), trainings_create)

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
        reference, input = _target((), model, version, input, options)
        strategy = options.pop("file_encoding_strategy", None)
        encoded = await async_encode_json(input or {}, self._client, strategy)
        request = _create_request(reference, encoded, options)
        return await self._async_sent(Training, request, trainings_create)


_LEGACY_POSITIONAL = ("destination", "webhook", "webhook_completed", "webhook_events_filter")


def _target(
    args: tuple[Any, ...],
    model: str | tuple[str, str] | Model | None,
    version: str | Version | None,
    input: dict[str, Any] | None,
    params: dict[str, Any],
) -> tuple[Reference, dict[str, Any] | None]:
    """The version to train, and the input, from the forms ``create`` accepts."""
    if args:
        # older form: create("owner/name:version", input, destination, webhook, ...)
        if len(args) > 6:
            raise TypeError("create() takes at most 6 positional arguments")
        version = args[0]
        if len(args) > 1:
            input = args[1]
        for key, value in zip(_LEGACY_POSITIONAL, args[2:], strict=False):
            params[key] = value
    version_id = version.id if isinstance(version, Version) else version
    if model is None:
        if not isinstance(version, str):
            raise ValueError("model and version or shorthand version must be specified")
        reference = Reference.model(version)
    else:
        reference = Reference.model(model)
        if version_id:
            reference = reference.with_version(version_id)
    if reference.kind != "version" or not reference.version_id:
        raise ValueError("model and version or shorthand version must be specified")
    return reference, input


def _create_request(reference: Reference, input: Any, params: dict[str, Any]) -> dict[str, Any]:
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
    return trainings_create.build_request(
        reference.owner, reference.name, reference.version_id, body=body
    )
