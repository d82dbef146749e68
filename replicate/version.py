"""Model versions."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from replicate.pagination import Cursor, Page, cursor_request, page_from_json
from replicate.resource import Namespace, Resource

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.model import Model

__all__ = ["Version", "Versions"]


@dataclass(kw_only=True)
class Version(Resource):
    """A version of a model.

    Example::

        version = replicate.models.get("replicate/hello-world").latest_version
        print(version.id, version.created_at.year)
    """

    id: str
    """The unique ID of the version."""

    created_at: datetime.datetime | None = None
    """When the version was created."""

    cog_version: str | None = None
    """The version of Cog that built the version."""

    openapi_schema: dict[str, Any] | None = None
    """An OpenAPI description of the model's inputs and outputs."""


def version_from_json(data: dict[str, Any]) -> Version:
    """A Version from the API's JSON (kept in step with the generated model by a test)."""
    created_at = data.get("created_at")
    return Version(
        id=data["id"],
        created_at=_timestamp(created_at) if isinstance(created_at, str) else None,
        cog_version=data.get("cog_version"),
        openapi_schema=data.get("openapi_schema"),
    )


def _timestamp(text: str) -> datetime.datetime:
    from replicate_api.types import parse_timestamp

    return parse_timestamp(text)


class Versions(Namespace):
    """The versions of one model: ``get``, ``list``, ``delete``, and ``async_*``.

    Example::

        versions = replicate.models.get("replicate/hello-world").versions
        print([version.id for version in versions.list()])
    """

    model: tuple[str, str]
    """The model, as ``(owner, name)``."""

    def __init__(self, client: Client, model: str | tuple[str, str] | Model) -> None:
        super().__init__(client)
        from replicate.model import Model

        if isinstance(model, Model):
            self.model = (model.owner, model.name)
        elif isinstance(model, str):
            owner, _, name = model.partition("/")
            self.model = (owner, name)
        else:
            self.model = (model[0], model[1])

    def get(self, id: str) -> Version:
        """A version of the model, by ID.

        Example::

            version = model.versions.get(
                "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
            )
        """
        from replicate_api.api.versions import get

        response = self._client._request(get._get_kwargs(*self.model, id))
        return version_from_json(response.json())

    async def async_get(self, id: str) -> Version:
        """A version of the model, by ID, asynchronously.

        Example::

            version = await model.versions.async_get("5c7d5dc6dd8b...")
        """
        from replicate_api.api.versions import get

        response = await self._client._async_request(get._get_kwargs(*self.model, id))
        return version_from_json(response.json())

    def list(self, cursor: Cursor = ...) -> Page[Version]:
        """One page of the model's versions, newest first.

        Example::

            for version in model.versions.list():
                print(version.id)
        """
        from replicate_api.api.versions import list_

        request = cursor_request(cursor, lambda: list_._get_kwargs(*self.model))
        return page_from_json(self._client._request(request).json(), version_from_json)

    async def async_list(self, cursor: Cursor = ...) -> Page[Version]:
        """One page of the model's versions, asynchronously.

        Example::

            page = await model.versions.async_list()
        """
        from replicate_api.api.versions import list_

        request = cursor_request(cursor, lambda: list_._get_kwargs(*self.model))
        response = await self._client._async_request(request)
        return page_from_json(response.json(), version_from_json)

    def delete(self, id: str) -> bool:
        """Delete a version (of a private model you own) and its predictions.

        Example::

            model.versions.delete("5c7d5dc6dd8b...")  # True
        """
        from replicate_api.api.versions import delete

        # 202 Accepted is what the API answers; 204 is accepted too.
        response = self._client._request(delete._get_kwargs(*self.model, id))
        return response.status_code in (202, 204)

    async def async_delete(self, id: str) -> bool:
        """Delete a version, asynchronously.

        Example::

            await model.versions.async_delete("5c7d5dc6dd8b...")
        """
        from replicate_api.api.versions import delete

        response = await self._client._async_request(delete._get_kwargs(*self.model, id))
        return response.status_code in (202, 204)
