"""``run``: create a prediction, wait for it, and give its output."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from replicate.exceptions import ModelError
from replicate.helpers import transform_output
from replicate.identifier import resolve
from replicate.prediction import TERMINAL_STATUSES, Prediction

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.identifier import ModelVersionIdentifier
    from replicate.model import Model
    from replicate.version import Version

__all__ = ["async_run", "run", "stream_not_available"]


def run(
    client: Client,
    ref: str | Model | Version | ModelVersionIdentifier,
    input: dict[str, Any] | None = None,
    *,
    use_file_output: bool | None = True,
    **params: Any,
) -> Any:
    """Run a model: create the prediction (holding the request open with ``Prefer: wait``
    unless ``wait=False``), poll until it ends, and return its output."""
    params.setdefault("wait", True)
    prediction = _create(client, ref, input, params)
    if prediction.status not in TERMINAL_STATUSES:
        prediction.wait()
    return _output(client, prediction, use_file_output)


async def async_run(
    client: Client,
    ref: str | Model | Version | ModelVersionIdentifier,
    input: dict[str, Any] | None = None,
    *,
    use_file_output: bool | None = True,
    **params: Any,
) -> Any:
    """Run a model, asynchronously (see ``run``)."""
    params.setdefault("wait", True)
    version_id, owner, name = _target(ref)
    if version_id is not None:
        prediction = await client.predictions.async_create(
            version=version_id, input=input or {}, **params
        )
    else:
        prediction = await client.models.predictions.async_create(
            (owner, name), input=input or {}, **params
        )
    if prediction.status not in TERMINAL_STATUSES:
        await prediction.async_wait()
    return _output(client, prediction, use_file_output)


def _target(ref: str | Model | Version | ModelVersionIdentifier) -> tuple[str | None, str, str]:
    _, owner, name, version_id = resolve(ref)
    if version_id is None and not (owner and name):
        raise ValueError(
            f"Invalid argument: {ref}. Expected model, version, or reference in the format "
            "owner/name or owner/name:version"
        )
    return version_id, owner or "", name or ""


def _create(
    client: Client,
    ref: str | Model | Version | ModelVersionIdentifier,
    input: dict[str, Any] | None,
    params: dict[str, Any],
) -> Prediction:
    version_id, owner, name = _target(ref)
    if version_id is not None:
        return client.predictions.create(version=version_id, input=input or {}, **params)
    return client.models.predictions.create((owner, name), input=input or {}, **params)


def _output(client: Client, prediction: Prediction, use_file_output: bool | None) -> Any:
    if prediction.status == "failed":
        raise ModelError(prediction)
    if use_file_output:
        return transform_output(prediction.output, client)
    return prediction.output


def stream_not_available() -> NotImplementedError:
    """The error streaming calls raise until server-sent event streaming is implemented."""
    return NotImplementedError(
        "Streaming output is not available yet in this version of replicate-client. "
        "Use replicate.run(), or prediction.wait() and prediction.output_iterator() instead."
    )
