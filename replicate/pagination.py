"""Pages of results, and iteration over all of them.

A list call returns one ``Page``. ``paginate`` yields page after page, as in replicate 1.x;
``paginate_items`` yields the items themselves, fetching the next page only when the current
one is used up and stopping when the API answers ``next: null``. Both take any list method
of this package (``replicate.predictions.list``, ``replicate.models.list``,
``model.versions.list``, ``replicate.files.list``, ...), and both have async twins.

Example::

    for prediction in replicate.pagination.paginate_items(replicate.predictions.list):
        print(prediction.id, prediction.status)

    async for model in replicate.pagination.async_paginate_items(replicate.models.async_list):
        print(model.id)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from types import EllipsisType
from typing import Any, Generic, TypeVar, overload

__all__ = [
    "Cursor",
    "Page",
    "async_paginate",
    "async_paginate_items",
    "paginate",
    "paginate_items",
]

T = TypeVar("T")

Cursor = str | EllipsisType | None
"""A list method's ``cursor``: ``...`` for the first page, or a page's ``next``/``previous``."""


@dataclass
class Page(Generic[T]):
    """One page of results; iterating over it gives its results.

    Example::

        page = replicate.predictions.list()
        for prediction in page:
            print(prediction.id)
        if page.next:
            page = replicate.predictions.list(page.next)
    """

    results: list[T] = field(default_factory=list)
    """The results on this page."""

    next: str | None = None
    """The URL of the next page, or None on the last one."""

    previous: str | None = None
    """The URL of the previous page, or None on the first one."""

    def __iter__(self) -> Iterator[T]:
        return iter(self.results)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self.results[index]

    def __len__(self) -> int:
        return len(self.results)


def paginate(list_method: Callable[[Cursor], Page[T]]) -> Iterator[Page[T]]:
    """Yield every page of a list method, the first one first.

    Example::

        for page in replicate.paginate(replicate.models.list):
            print(len(page), "models")
    """
    cursor: Cursor = ...
    while cursor is not None:
        page = list_method(cursor)
        yield page
        cursor = page.next


async def async_paginate(
    list_method: Callable[[Cursor], Awaitable[Page[T]]],
) -> AsyncIterator[Page[T]]:
    """Yield every page of an async list method, the first one first.

    Example::

        async for page in replicate.async_paginate(replicate.models.async_list):
            print(len(page), "models")
    """
    cursor: Cursor = ...
    while cursor is not None:
        page = await list_method(cursor)
        yield page
        cursor = page.next


def paginate_items(list_method: Callable[[Cursor], Page[T]]) -> Iterator[T]:
    """Yield every item of a list method, across pages, fetching each page when needed.

    Example::

        for prediction in paginate_items(replicate.predictions.list):
            if prediction.status == "failed":
                print(prediction.id)
                break  # no further page is fetched
    """
    for page in paginate(list_method):
        yield from page.results


async def async_paginate_items(
    list_method: Callable[[Cursor], Awaitable[Page[T]]],
) -> AsyncIterator[T]:
    """Yield every item of an async list method, across pages, fetching each page when needed.

    Example::

        async for prediction in async_paginate_items(replicate.predictions.async_list):
            print(prediction.id)
    """
    async for page in async_paginate(list_method):
        for item in page.results:
            yield item


def cursor_request(cursor: Cursor, first: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The request for a page: the generated first request, or the API's own next/previous link."""
    if cursor is None:
        raise ValueError("cursor cannot be None")
    if cursor is ...:
        return first()
    return {"method": "get", "url": cursor}


def page_from_json(data: dict[str, Any], decode: Callable[[dict[str, Any]], T]) -> Page[T]:
    """A Page of decoded results from a ``{next, previous, results}`` response."""
    return Page(
        results=[decode(item) for item in data.get("results") or ()],
        next=data.get("next"),
        previous=data.get("previous"),
    )
