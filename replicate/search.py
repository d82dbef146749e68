"""Search across models, collections and documentation (``GET /search``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from replicate.model import Model, model_from_json
from replicate.resource import Resource

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["SearchCollection", "SearchModel", "SearchPage", "SearchResults", "search"]


@dataclass(kw_only=True)
class SearchModel(Resource):
    """A model found by a search, with the search's metadata about it."""

    model: Model | None = None
    """The model."""

    metadata: dict[str, Any] = field(default_factory=dict)
    """``generated_description``, ``score``, ``tags``."""


@dataclass(kw_only=True)
class SearchCollection(Resource):
    """A collection found by a search."""

    slug: str | None = None
    name: str | None = None
    description: str | None = None
    models: list[str] = field(default_factory=list)
    """The names (``owner/name``) of the collection's models."""


@dataclass(kw_only=True)
class SearchPage(Resource):
    """A documentation page found by a search."""

    name: str | None = None
    href: str | None = None


@dataclass(kw_only=True)
class SearchResults(Resource):
    """What a search found.

    Example::

        results = replicate.default_client.search("upscale images", limit=5)
        for found in results.models:
            print(found.model.id, found.metadata.get("score"))
    """

    query: str | None = None
    models: list[SearchModel] = field(default_factory=list)
    collections: list[SearchCollection] = field(default_factory=list)
    pages: list[SearchPage] = field(default_factory=list)


def results_from_json(client: Client, data: dict[str, Any]) -> SearchResults:
    """SearchResults from the API's JSON (kept in step with the generated model by a test)."""
    return SearchResults(
        query=data.get("query"),
        models=[
            SearchModel(
                model=model_from_json(client, item["model"]) if item.get("model") else None,
                metadata=item.get("metadata") or {},
            )
            for item in data.get("models") or ()
        ],
        collections=[
            SearchCollection(
                slug=item.get("slug"),
                name=item.get("name"),
                description=item.get("description"),
                models=item.get("models") or [],
            )
            for item in data.get("collections") or ()
        ],
        pages=[
            SearchPage(name=item.get("name"), href=item.get("href"))
            for item in data.get("pages") or ()
        ],
    )


def search(client: Client, query: str, *, limit: int = 20) -> SearchResults:
    """Search with a client (see ``Client.search``)."""
    from replicate_api.api.search import search as operation

    response = client._request(operation._get_kwargs(query=query, limit=limit))
    return results_from_json(client, response.json())


async def async_search(client: Client, query: str, *, limit: int = 20) -> SearchResults:
    """Search with a client, asynchronously (see ``Client.async_search``)."""
    from replicate_api.api.search import search as operation

    response = await client._async_request(operation._get_kwargs(query=query, limit=limit))
    return results_from_json(client, response.json())
