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

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from types import EllipsisType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from replicate.resource import Resource

if TYPE_CHECKING:
    from replicate.client import Client

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


class Page(Resource, Generic[T]):
    """One page of results; iterating over it gives its results.

    Its fields are the list response's (``results``, ``next``, ``previous``, and any the API
    adds). It indexes and has a length, like a list.

    Example::

        page = replicate.predictions.list()
        for prediction in page:
            print(prediction.id)
        if page.next:
            page = replicate.predictions.list(page.next)
    """

    results: list[T]
    """The results on this page."""

    next: str | None
    """The URL of the next page, or None on the last one."""

    previous: str | None
    """The URL of the previous page, or None on the first one."""

    def __init__(
        self,
        results: Iterable[T] | None = None,
        next: str | None = None,
        previous: str | None = None,
    ) -> None:
        self._data = None
        self._client = None
        self.results = list(results or ())
        self.next = next
        self.previous = previous

    @classmethod
    def _of(cls, data: Any, resource: type[Any], client: Client) -> Self:
        """The page showing a generated ``Paginated...List``, its results as ``resource``."""
        page = cls._wrap(data, client)
        results = data.results
        wrap = resource._wrap
        page.results = [wrap(item, client) for item in results] if type(results) is list else []
        return page

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]
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


def page_request(cursor: Cursor, first: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The request for a page: the generated first request, or the API's own next/previous link."""
    if cursor is None:
        raise ValueError("cursor cannot be None")
    if cursor is ...:
        return first()
    return {"method": "get", "url": cursor}
