"""Deployments: a model version on dedicated, scalable hardware."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from replicate.account import Account, account_from_json
from replicate.pagination import Cursor, Page, cursor_request, page_from_json
from replicate.prediction import (
    CreatePredictionParams,
    Prediction,
    _Target,
    async_create_on,
    create_on,
)
from replicate.resource import Namespace, Resource

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["Deployment", "DeploymentPredictions", "Deployments", "DeploymentsPredictions"]


@dataclass(kw_only=True)
class Deployment(Resource):
    """A deployment of a model hosted on Replicate.

    Example::

        deployment = replicate.deployments.get("acme/hello-world-prod")
        print(deployment.current_release.number)
        prediction = deployment.predictions.create(input={"text": "Alice"})
    """

    @dataclass(kw_only=True)
    class Release(Resource):
        """A release of a deployment; its number grows by one on every update."""

        @dataclass(kw_only=True)
        class Configuration(Resource):
            """The hardware and scaling of a release."""

            hardware: str | None = None
            """The SKU of the hardware the model runs on."""

            min_instances: int | None = None
            """The minimum number of instances."""

            max_instances: int | None = None
            """The maximum number of instances."""

        number: int | None = None
        """The release number."""

        model: str | None = None
        """The model, as ``owner/name``."""

        version: str | None = None
        """The ID of the model version."""

        created_at: str | None = None
        """When the release was made."""

        created_by: Account | None = None
        """The account that made the release."""

        configuration: Deployment.Release.Configuration | None = None
        """The release's hardware and scaling."""

    owner: str
    """The user or organization that owns the deployment."""

    name: str
    """The name of the deployment."""

    current_release: Deployment.Release | None = None
    """The current release."""

    _client: Client = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        """The qualified name, ``owner/name``.

        Example::

            replicate.deployments.get("acme/hello-world-prod").id  # 'acme/hello-world-prod'
        """
        return f"{self.owner}/{self.name}"

    @property
    def username(self) -> str:
        """Deprecated: use ``owner``."""
        warnings.warn("Use `deployment.owner` instead.", DeprecationWarning, stacklevel=2)
        return self.owner

    @property
    def predictions(self) -> DeploymentPredictions:
        """Predictions on this deployment.

        Example::

            deployment.predictions.create(input={"text": "Alice"})
        """
        return DeploymentPredictions(self._client, self)


def deployment_from_json(client: Client, data: dict[str, Any]) -> Deployment:
    """A Deployment from the API's JSON (kept in step with the generated model by a test)."""
    release = data.get("current_release")
    return Deployment(
        owner=data.get("owner") or "",
        name=data.get("name") or "",
        current_release=_release(release) if release else None,
        _client=client,
    )


def _release(data: dict[str, Any]) -> Deployment.Release:
    creator = data.get("created_by")
    configuration = data.get("configuration")
    return Deployment.Release(
        number=data.get("number"),
        model=data.get("model"),
        version=data.get("version"),
        created_at=data.get("created_at"),
        created_by=account_from_json(creator) if creator else None,
        configuration=(
            Deployment.Release.Configuration(
                hardware=configuration.get("hardware"),
                min_instances=configuration.get("min_instances"),
                max_instances=configuration.get("max_instances"),
            )
            if configuration
            else None
        ),
    )


class CreateDeploymentParams(TypedDict):
    """Options of ``deployments.create``."""

    name: str
    model: str
    version: str
    hardware: str
    min_instances: int
    max_instances: int


class UpdateDeploymentParams(TypedDict, total=False):
    """Options of ``deployments.update``: the fields to change."""

    version: str
    hardware: str
    min_instances: int
    max_instances: int


class Deployments(Namespace):
    """Operations on deployments: ``list``, ``get``, ``create``, ``update``, ``delete``,
    ``predictions``, and ``async_*``.

    Example::

        for deployment in replicate.deployments.list():
            print(deployment.id)
    """

    def list(self, cursor: Cursor = ...) -> Page[Deployment]:
        """One page of your deployments.

        Example::

            page = replicate.deployments.list()
        """
        from replicate_api.api.deployments import list_

        response = self._client._request(cursor_request(cursor, list_._get_kwargs))
        return page_from_json(response.json(), self._decode)

    async def async_list(self, cursor: Cursor = ...) -> Page[Deployment]:
        """One page of your deployments, asynchronously.

        Example::

            page = await replicate.deployments.async_list()
        """
        from replicate_api.api.deployments import list_

        response = await self._client._async_request(cursor_request(cursor, list_._get_kwargs))
        return page_from_json(response.json(), self._decode)

    def get(self, name: str) -> Deployment:
        """A deployment, by ``owner/name``.

        Example::

            deployment = replicate.deployments.get("acme/hello-world-prod")
        """
        from replicate_api.api.deployments import get

        return self._decode(self._client._request(get._get_kwargs(*_split(name))).json())

    async def async_get(self, name: str) -> Deployment:
        """A deployment, by ``owner/name``, asynchronously.

        Example::

            deployment = await replicate.deployments.async_get("acme/hello-world-prod")
        """
        from replicate_api.api.deployments import get

        response = await self._client._async_request(get._get_kwargs(*_split(name)))
        return self._decode(response.json())

    def create(self, **params: Unpack[CreateDeploymentParams]) -> Deployment:
        """Create a deployment.

        Example::

            deployment = replicate.deployments.create(
                name="hello-world-prod", model="replicate/hello-world",
                version="5c7d5dc6dd8b...", hardware="gpu-t4", min_instances=1, max_instances=5,
            )
        """
        return self._decode(self._client._request(_create_request(params)).json())

    async def async_create(self, **params: Unpack[CreateDeploymentParams]) -> Deployment:
        """Create a deployment, asynchronously.

        Example::

            deployment = await replicate.deployments.async_create(name="hello-world-prod", ...)
        """
        return self._decode((await self._client._async_request(_create_request(params))).json())

    def update(
        self,
        deployment_owner: str,
        deployment_name: str,
        **params: Unpack[UpdateDeploymentParams],
    ) -> Deployment:
        """Change a deployment (a new release); returns the updated deployment.

        Example::

            replicate.deployments.update("acme", "hello-world-prod", max_instances=10)
        """
        request = _update_request(deployment_owner, deployment_name, params)
        return self._decode(self._client._request(request).json())

    async def async_update(
        self,
        deployment_owner: str,
        deployment_name: str,
        **params: Unpack[UpdateDeploymentParams],
    ) -> Deployment:
        """Change a deployment, asynchronously.

        Example::

            await replicate.deployments.async_update("acme", "hello-world-prod", min_instances=0)
        """
        request = _update_request(deployment_owner, deployment_name, params)
        return self._decode((await self._client._async_request(request)).json())

    def delete(self, deployment_owner: str, deployment_name: str) -> bool:
        """Delete a deployment; True when it was deleted.

        Example::

            replicate.deployments.delete("acme", "hello-world-prod")
        """
        from replicate_api.api.deployments import delete

        request = delete._get_kwargs(deployment_owner, deployment_name)
        return self._client._request(request).status_code == 204

    async def async_delete(self, deployment_owner: str, deployment_name: str) -> bool:
        """Delete a deployment, asynchronously.

        Example::

            await replicate.deployments.async_delete("acme", "hello-world-prod")
        """
        from replicate_api.api.deployments import delete

        request = delete._get_kwargs(deployment_owner, deployment_name)
        return (await self._client._async_request(request)).status_code == 204

    @property
    def predictions(self) -> DeploymentsPredictions:
        """Predictions on deployments, by name.

        Example::

            replicate.deployments.predictions.create("acme/hello-world-prod", {"text": "Bob"})
        """
        return DeploymentsPredictions(self._client)

    def _decode(self, data: dict[str, Any]) -> Deployment:
        return deployment_from_json(self._client, data)


class DeploymentPredictions(Namespace):
    """Predictions on one deployment.

    Example::

        replicate.deployments.get("acme/hello-world-prod").predictions.create({"text": "Bob"})
    """

    def __init__(self, client: Client, deployment: Deployment) -> None:
        super().__init__(client)
        self._deployment = deployment

    def create(
        self, input: dict[str, Any] | None = None, **params: Unpack[CreatePredictionParams]
    ) -> Prediction:
        """Create a prediction on this deployment.

        Example::

            prediction = deployment.predictions.create(input={"text": "Bob"}, wait=True)
        """
        return create_on(self._client, _Target.deployment(self._deployment), input, params)

    async def async_create(
        self, input: dict[str, Any] | None = None, **params: Unpack[CreatePredictionParams]
    ) -> Prediction:
        """Create a prediction on this deployment, asynchronously.

        Example::

            prediction = await deployment.predictions.async_create(input={"text": "Bob"})
        """
        target = _Target.deployment(self._deployment)
        return await async_create_on(self._client, target, input, params)


class DeploymentsPredictions(Namespace):
    """Predictions on deployments, named by ``owner/name``, a tuple, or a Deployment.

    Example::

        replicate.deployments.predictions.create("acme/hello-world-prod", {"text": "Bob"})
    """

    def create(
        self,
        deployment: str | tuple[str, str] | Deployment,
        input: dict[str, Any] | None = None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction on a deployment.

        Example::

            replicate.deployments.predictions.create(("acme", "hello-world-prod"), {"text": "Bob"})
        """
        return create_on(self._client, _Target.deployment(deployment), input, params)

    async def async_create(
        self,
        deployment: str | tuple[str, str] | Deployment,
        input: dict[str, Any] | None = None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction on a deployment, asynchronously.

        Example::

            await replicate.deployments.predictions.async_create("acme/hello-world-prod", {})
        """
        return await async_create_on(self._client, _Target.deployment(deployment), input, params)


def _split(name: str) -> tuple[str, str]:
    owner, _, rest = name.partition("/")
    if not owner or not rest:
        raise ValueError(f"Expected a deployment name in the format 'owner/name', got {name!r}")
    return owner, rest


def _create_request(params: CreateDeploymentParams) -> dict[str, Any]:
    from replicate_api.api.deployments import create
    from replicate_api.models import DeploymentCreateRequest

    options: dict[str, Any] = dict(params)
    options["name"] = options["name"].rpartition("/")[2]  # "owner/name" is accepted too
    return create._get_kwargs(body=DeploymentCreateRequest(**options))


def _update_request(owner: str, name: str, params: UpdateDeploymentParams) -> dict[str, Any]:
    from replicate_api.api.deployments import update
    from replicate_api.models import DeploymentUpdateRequest

    return update._get_kwargs(owner, name, body=DeploymentUpdateRequest(**params))
