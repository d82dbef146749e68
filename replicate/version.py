"""Model versions."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from replicate._generated import versions_delete, versions_get, versions_list
from replicate.pagination import Page as Page  # replicate 1.x code imports it from here
from replicate.resource import Listing, Resource

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.model import Model

__all__ = ["Version", "Versions"]


class Version(Resource):
    """A version of a model.

    Its fields are those of the API's version (``replicate_api.models.ModelVersion``);
    ``created_at`` is a ``datetime``, as in replicate 1.x.

    Example::

        version = replicate.models.get("replicate/hello-world").latest_version
        print(version.id, version.created_at.year)
    """

    _generated = ("ModelVersion",)
    _timestamps_as_text = False

    id: str
    """The unique ID of the version."""

    created_at: datetime.datetime | None
    """When the version was created."""

    cog_version: str | None
    """The version of Cog that built the version."""

    openapi_schema: dict[str, Any] | None
    """An OpenAPI description of the model's inputs and outputs."""


class Versions(Listing[Version]):
    """The versions of one model: ``get``, ``list``, ``delete``, and ``async_*``.

    Example::

        versions = replicate.models.get("replicate/hello-world").versions
        print([version.id for version in versions.list()])
    """

    _resource = Version
    _list = versions_list

    model: tuple[str, str]
    """The model, as ``(owner, name)``."""

    def __init__(self, client: Client, model: str | tuple[str, str] | Model) -> None:
        super().__init__(client)
        from replicate.identifier import Reference

        reference = Reference.model(model)
        self.model = (reference.owner, reference.name)

    def get(self, id: str) -> Version:
        """A version of the model, by ID.

        Example::

            version = model.versions.get(
                "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
            )
        """
        return self._one(Version, versions_get, *self.model, id)

    async def async_get(self, id: str) -> Version:
        """A version of the model, by ID, asynchronously.

        Example::

            version = await model.versions.async_get("5c7d5dc6dd8b...")
        """
        return await self._async_one(Version, versions_get, *self.model, id)

    def delete(self, id: str) -> bool:
        """Delete a version (of a private model you own) and its predictions.

        Example::

            model.versions.delete("5c7d5dc6dd8b...")  # True
        """
        return self._done(versions_delete, *self.model, id)

    async def async_delete(self, id: str) -> bool:
        """Delete a version, asynchronously.

        Example::

            await model.versions.async_delete("5c7d5dc6dd8b...")
        """
        return await self._async_done(versions_delete, *self.model, id)

    def _list_args(self) -> tuple[Any, ...]:
        return self.model
