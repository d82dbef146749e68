"""Collections of models."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import overload

from replicate._generated import collections_get, collections_list
from replicate.model import Model
from replicate.pagination import Page as Page  # replicate 1.x code imports it from here
from replicate.resource import Listing, Resource, defaults

__all__ = ["Collection", "Collections"]


class Collection(Resource):
    """A collection of models; iterating over it gives its models.

    Its fields are those of the API's collection (``replicate_api.models.Collection``, or
    ``CollectionSummary`` in a list, which has no ``models``).

    Example::

        collection = replicate.collections.get("text-to-image")
        print(collection.name, [model.id for model in collection])
    """

    _generated = ("Collection", "CollectionSummary")
    _defaults = defaults(slug=str)

    slug: str
    """The slug that identifies the collection."""

    name: str | None
    """The name of the collection."""

    description: str | None
    """A description of the collection."""

    full_description: str | None
    """The long description, in markdown (only from ``collections.get``)."""

    models: list[Model] | None
    """The models in the collection (only from ``collections.get``)."""

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


class Collections(Listing[Collection]):
    """Operations on collections: ``list``, ``get``, and ``async_*``.

    Example::

        for collection in replicate.collections.list():
            print(collection.slug)
    """

    _resource = Collection
    _list = collections_list

    def get(self, slug: str) -> Collection:
        """A collection with its models, by slug.

        Example::

            collection = replicate.collections.get("text-to-image")
        """
        return self._one(Collection, collections_get, slug)

    async def async_get(self, slug: str) -> Collection:
        """A collection with its models, by slug, asynchronously.

        Example::

            collection = await replicate.collections.async_get("text-to-image")
        """
        return await self._async_one(Collection, collections_get, slug)
