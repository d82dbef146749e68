"""Pages, paginate() as in 1.x, and lazy item iteration across pages."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from facade_tools import FakeAPI, fixture

import replicate
from replicate.client import Client
from replicate.pagination import async_paginate_items, paginate_items
from replicate.version import Versions

ITEM = fixture("prediction_source_cli")
NEXT = "https://api.replicate.com/v1/predictions?cursor=page2"


def _two_pages(api: FakeAPI) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("cursor") == "page2":
            return httpx.Response(
                200, json={"next": None, "previous": None, "results": [{**ITEM, "id": "c"}]}
            )
        return httpx.Response(
            200,
            json={
                "next": NEXT,
                "previous": None,
                "results": [{**ITEM, "id": "a"}, {**ITEM, "id": "b"}],
            },
        )

    api.add("GET", "/v1/predictions", answer)


def test_paginate_yields_pages(client: Client, api: FakeAPI) -> None:
    _two_pages(api)
    pages = list(replicate.paginate(client.predictions.list))
    assert [[p.id for p in page] for page in pages] == [["a", "b"], ["c"]]

    async def collect() -> list[list[str]]:
        return [
            [p.id for p in page]
            async for page in replicate.async_paginate(client.predictions.async_list)
        ]

    assert asyncio.run(collect()) == [["a", "b"], ["c"]]


def test_items_are_iterated_lazily_across_pages(client: Client, api: FakeAPI) -> None:
    _two_pages(api)
    assert [p.id for p in paginate_items(client.predictions.list)] == ["a", "b", "c"]
    assert len(api.requests) == 2  # stops at next: null
    api.requests.clear()
    for prediction in paginate_items(client.predictions.list):
        assert prediction.id == "a"
        break
    assert len(api.requests) == 1  # the second page is never fetched

    async def collect() -> list[str]:
        return [p.id async for p in async_paginate_items(client.predictions.async_list)]

    assert asyncio.run(collect()) == ["a", "b", "c"]


def test_every_list_endpoint_paginates(client: Client, api: FakeAPI) -> None:
    empty: dict[str, Any] = {"next": None, "previous": None, "results": []}
    listers = {
        "/v1/predictions": client.predictions.list,
        "/v1/models": client.models.list,
        "/v1/trainings": client.trainings.list,
        "/v1/deployments": client.deployments.list,
        "/v1/collections": client.collections.list,
        "/v1/files": client.files.list,
        "/v1/models/a/b/versions": Versions(client, "a/b").list,
    }
    for path, lister in listers.items():
        api.json("GET", path, empty)
        assert list(paginate_items(lister)) == []
        assert api.last.url.path == path
