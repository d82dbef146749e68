"""Search across models, collections and documentation (``GET /search``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from replicate._generated import search_search
from replicate.model import Model
from replicate.resource import Resource, defaults

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["SearchCollection", "SearchModel", "SearchPage", "SearchResults", "search"]


class SearchModel(Resource):
    """A model found by a search, with the search's metadata about it."""

    _generated = ("SearchModelResult",)
    _defaults = defaults(metadata=dict)

    model: Model | None
    """The model."""

    metadata: dict[str, Any]
    """``generated_description``, ``score``, ``tags``."""


class SearchCollection(Resource):
    """A collection found by a search."""

    _generated = ("SearchCollection",)
    _defaults = defaults(models=list)

    slug: str | None
    name: str | None
    description: str | None
    models: list[str]
    """The names (``owner/name``) of the collection's models."""


class SearchPage(Resource):
    """A documentation page found by a search."""

    _generated = ("SearchPage",)

    name: str | None
    href: str | None


class SearchResults(Resource):
    """What a search found.

    Example::

        results = replicate.default_client.search("upscale images", limit=5)
        for found in results.models:
            print(found.model.id, found.metadata.get("score"))
    """

    _generated = ("SearchResults",)
    _defaults = defaults(models=list, collections=list, pages=list)

    query: str | None
    models: list[SearchModel]
    collections: list[SearchCollection]
    pages: list[SearchPage]


def search(client: Client, query: str, *, limit: int = 20) -> SearchResults:
    """Search with a client (see ``Client.search``)."""
    data = client._call(
        search_search.build_request(query=query, limit=limit), search_search.parse_response
    )
    return SearchResults._wrap(data, client)


async def async_search(client: Client, query: str, *, limit: int = 20) -> SearchResults:
    """Search with a client, asynchronously (see ``Client.async_search``)."""
    request = search_search.build_request(query=query, limit=limit)
    return SearchResults._wrap(
        await client._async_call(request, search_search.parse_response), client
    )
