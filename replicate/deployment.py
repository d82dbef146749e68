"""Deployments: a model version on dedicated, scalable hardware."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from replicate._generated import (
    deployments_create,
    deployments_delete,
    deployments_get,
    deployments_list,
    deployments_update,
)
from replicate.account import Account
from replicate.identifier import Reference
from replicate.pagination import Page as Page  # replicate 1.x code imports it from here
from replicate.prediction import CreateOptions, CreatePredictionParams, Prediction
from replicate.resource import Listing, Namespace, OwnedResource, Resource

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["Deployment", "DeploymentPredictions", "Deployments", "DeploymentsPredictions"]


class Deployment(OwnedResource):
    """A deployment of a model hosted on Replicate.

    Its fields are those of the API's deployment (``replicate_api.models.Deployment``), under
    the API's names; ``current_release`` is a ``Deployment.Release``.

    Example::

        deployment = replicate.deployments.get("acme/hello-world-prod")
        print(deployment.current_release.number)
        prediction = deployment.predictions.create(input={"text": "Alice"})
    """

    class Release(Resource):
        """A release of a deployment; its number grows by one on every update."""

        class Configuration(Resource):
            """The hardware and scaling of a release."""

            _generated = ("DeploymentReleaseConfiguration",)

            hardware: str | None
            """The SKU of the hardware the model runs on."""

            min_instances: int | None
            """The minimum number of instances."""

            max_instances: int | None
            """The maximum number of instances."""

        _generated = ("DeploymentRelease",)

        number: int | None
        """The release number."""

        model: str | None
        """The model, as ``owner/name``."""

        version: str | None
        """The ID of the model version."""

        created_at: str | None
        """When the release was made."""

        created_by: Account | None
        """The account that made the release."""

        configuration: Deployment.Release.Configuration | None
        """The release's hardware and scaling."""

    _generated = ("Deployment",)

    current_release: Deployment.Release | None
    """The current release."""

    @property
    def predictions(self) -> DeploymentPredictions:
        """Predictions on this deployment.

        Example::

            deployment.predictions.create(input={"text": "Alice"})
        """
        return DeploymentPredictions(self._bound(), self)


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


class Deployments(Listing[Deployment]):
    """Operations on deployments: ``list``, ``get``, ``create``, ``update``, ``delete``,
    ``predictions``, and ``async_*``.

    Example::

        for deployment in replicate.deployments.list():
            print(deployment.id)
    """

    _resource = Deployment
    _list = deployments_list

    def get(self, name: str) -> Deployment:
        """A deployment, by ``owner/name``.

        Example::

            deployment = replicate.deployments.get("acme/hello-world-prod")
        """
        return self._one(Deployment, deployments_get, *_split(name))

    async def async_get(self, name: str) -> Deployment:
        """A deployment, by ``owner/name``, asynchronously.

        Example::

            deployment = await replicate.deployments.async_get("acme/hello-world-prod")
        """
        return await self._async_one(Deployment, deployments_get, *_split(name))

    def create(self, **params: Unpack[CreateDeploymentParams]) -> Deployment:
        """Create a deployment.

        Example::

            deployment = replicate.deployments.create(
                name="hello-world-prod", model="replicate/hello-world",
                version="5c7d5dc6dd8b...", hardware="gpu-t4", min_instances=1, max_instances=5,
            )
        """
        return self._sent(Deployment, _create_request(params), deployments_create)

    async def async_create(self, **params: Unpack[CreateDeploymentParams]) -> Deployment:
        """Create a deployment, asynchronously.

        Example::

            deployment = await replicate.deployments.async_create(name="hello-world-prod", ...)
        """
        return await self._async_sent(Deployment, _create_request(params), deployments_create)

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
        return self._sent(Deployment, request, deployments_update)

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
        return await self._async_sent(Deployment, request, deployments_update)

    def delete(self, deployment_owner: str, deployment_name: str) -> bool:
        """Delete a deployment; True when it was deleted.

        Example::

            replicate.deployments.delete("acme", "hello-world-prod")
        """
        return self._done(deployments_delete, deployment_owner, deployment_name)

    async def async_delete(self, deployment_owner: str, deployment_name: str) -> bool:
        """Delete a deployment, asynchronously.

        Example::

            await replicate.deployments.async_delete("acme", "hello-world-prod")
        """
        return await self._async_done(deployments_delete, deployment_owner, deployment_name)

    @property
    def predictions(self) -> DeploymentsPredictions:
        """Predictions on deployments, by name.

        Example::

            replicate.deployments.predictions.create("acme/hello-world-prod", {"text": "Bob"})
        """
        return DeploymentsPredictions(self._client)


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
        return DeploymentsPredictions(self._client).create(self._deployment, input, **params)

    async def async_create(
        self, input: dict[str, Any] | None = None, **params: Unpack[CreatePredictionParams]
    ) -> Prediction:
        """Create a prediction on this deployment, asynchronously.

        Example::

            prediction = await deployment.predictions.async_create(input={"text": "Bob"})
        """
        predictions = DeploymentsPredictions(self._client)
        return await predictions.async_create(self._deployment, input, **params)


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
        reference = Reference.deployment(deployment)
        return self._client.predictions._create(reference, input, CreateOptions.of(params))

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
        reference = Reference.deployment(deployment)
        options = CreateOptions.of(params)
        return await self._client.predictions._async_create(reference, input, options)


def _split(name: str) -> tuple[str, str]:
    reference = Reference.deployment(name)  # checks both parts (see replicate.identifier)
    return reference.owner, reference.name


def _create_request(params: CreateDeploymentParams) -> dict[str, Any]:
    from replicate_api.models import DeploymentCreateRequest

    options: dict[str, Any] = dict(params)
    options["name"] = options["name"].rpartition("/")[2]  # "owner/name" is accepted too
    request: dict[str, Any] = deployments_create.build_request(
        body=DeploymentCreateRequest(**options)
    )
    return request


def _update_request(owner: str, name: str, params: UpdateDeploymentParams) -> dict[str, Any]:
    from replicate_api.models import DeploymentUpdateRequest

    body = DeploymentUpdateRequest(**params)
    request: dict[str, Any] = deployments_update.build_request(owner, name, body=body)
    return request
