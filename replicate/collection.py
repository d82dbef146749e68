"""Collections of models."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from replicate.model import Model, model_from_json
from replicate.pagination import Cursor, Page, cursor_request, page_from_json
from replicate.resource import Namespace, Resource

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["Collection", "Collections"]


@dataclass(kw_only=True)
class Collection(Resource):
    """A collection of models; iterating over it gives its models.

    Example::

        collection = replicate.collections.get("text-to-image")
        print(collection.name, [model.id for model in collection])
    """

    slug: str
    """The slug that identifies the collection."""

    name: str | None = None
    """The name of the collection."""

    description: str | None = None
    """A description of the collection."""

    full_description: str | None = None
    """The long description, in markdown (only from ``collections.get``)."""

    models: list[Model] | None = None
    """The models in the collection (only from ``collections.get``)."""

    _client: Client | None = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        """Deprecated: use ``slug``."""
        warnings.warn("Use `slug` instead of `id`", DeprecationWarning, stacklevel=2)
        return self.slug

    def __iter__(self) -> Iterator[Model]:  # type: ignore[override]
        return iter(self.models or [])

    @overload
    def __getitem__(self, index: int) -> Model | None: ...

    @overload
    def __getitem__(self, index: slice) -> list[Model] | None: ...

    def __getitem__(self, index: int | slice) -> Model | list[Model] | None:
        if self.models is None:
            return None
        return self.models[index]

    def __len__(self) -> int:
        return len(self.models or [])


def collection_from_json(client: Client, data: dict[str, Any]) -> Collection:
    """A Collection from the API's JSON (kept in step with the generated model by a test)."""
    models = data.get("models")
    return Collection(
        slug=data.get("slug") or "",
        name=data.get("name"),
        description=data.get("description"),
        full_description=data.get("full_description"),
        models=None if models is None else [model_from_json(client, item) for item in models],
        _client=client,
    )


class Collections(Namespace):
    """Operations on collections: ``list``, ``get``, and ``async_*``.

    Example::

        for collection in replicate.collections.list():
            print(collection.slug)
    """

    def list(self, cursor: Cursor = ...) -> Page[Collection]:
        """One page of collections.

        Example::

            page = replicate.collections.list()
        """
        from replicate_api.api.collections import list_

        response = self._client._request(cursor_request(cursor, list_._get_kwargs))
        return page_from_json(response.json(), self._decode)

    async def async_list(self, cursor: Cursor = ...) -> Page[Collection]:
        """One page of collections, asynchronously.

        Example::

            page = await replicate.collections.async_list()
        """
        from replicate_api.api.collections import list_

        response = await self._client._async_request(cursor_request(cursor, list_._get_kwargs))
        return page_from_json(response.json(), self._decode)

    def get(self, slug: str) -> Collection:
        """A collection with its models, by slug.

        Example::

            collection = replicate.collections.get("text-to-image")
        """
        from replicate_api.api.collections import get

        return self._decode(self._client._request(get._get_kwargs(slug)).json())

    async def async_get(self, slug: str) -> Collection:
        """A collection with its models, by slug, asynchronously.

        Example::

            collection = await replicate.collections.async_get("text-to-image")
        """
        from replicate_api.api.collections import get

        return self._decode((await self._client._async_request(get._get_kwargs(slug))).json())

    def _decode(self, data: dict[str, Any]) -> Collection:
        return collection_from_json(self._client, data)
