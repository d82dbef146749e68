"""Behaviour 1.x code relies on: what ``run`` does with the answer to a create that waited."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from facade_tools import FakeAPI, fixture

from replicate.client import Client
from replicate.helpers import FileOutput
from replicate.prediction import Prediction

VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
STARTING = {**fixture("prediction_starting_no_output"), "urls": {}}
PID = STARTING["id"]
GET = f"/v1/predictions/{PID}"
ITERATOR_VERSION = {
    "id": VERSION,
    "cog_version": "0.9.4",
    "openapi_schema": {
        "components": {
            "schemas": {
                "Output": {
                    "type": "array",
                    "items": {"type": "string"},
                    "x-cog-array-type": "iterator",
                }
            }
        }
    },
}


def state(status: str, **fields: Any) -> dict[str, Any]:
    return {**STARTING, "status": status, **fields}


def items(output: Any) -> list[Any]:
    """The items of a sync or async iterator output."""
    if isinstance(output, AsyncIterator):

        async def collect(source: AsyncIterator[Any] = output) -> list[Any]:
            return [item async for item in source]

        return asyncio.run(collect())
    assert isinstance(output, Iterator)
    return list(output)


@pytest.mark.parametrize("wait", [True, 10])
def test_a_waited_create_answered_processing_is_final(
    client: Client, api: FakeAPI, call: Any, wait: Any
) -> None:
    api.json("POST", "/v1/models/a/b/predictions", state("processing", output="done"), 201)
    api.json("GET", GET, state("succeeded", output="polled"))
    assert call(client, "run", "a/b", {"text": "hi"}, wait=wait) == "done"
    assert [r.url.path for r in api.requests] == ["/v1/models/a/b/predictions"]
    assert api.requests[0].headers["prefer"] in ("wait", "wait=10")


def test_an_iterator_output_answered_processing_iterates_without_polling(
    client: Client, api: FakeAPI, call: Any
) -> None:
    api.json("POST", "/v1/predictions", state("processing", output=["Hello, ", "world!"]), 201)
    api.json("GET", f"/v1/models/a/b/versions/{VERSION}", ITERATOR_VERSION)
    output = call(client, "run", f"a/b:{VERSION}", {"text": "hi"})
    assert items(output) == ["Hello, ", "world!"]
    assert GET not in [r.url.path for r in api.requests]


def test_a_file_output_answered_processing_is_a_file_output(
    client: Client, api: FakeAPI, call: Any
) -> None:
    data_url = "data:text/plain;base64,SGVsbG8sIHdvcmxkIQ=="
    api.json("POST", "/v1/models/a/b/predictions", state("processing", output=data_url), 201)
    output = call(client, "run", "a/b", {})
    assert isinstance(output, FileOutput)
    assert output.url == data_url and output.read() == b"Hello, world!"
    assert len(api.requests) == 1


def test_on_progress_with_an_explicit_window_sees_the_final_answer_once(
    client: Client, api: FakeAPI, call: Any
) -> None:
    api.json("POST", "/v1/models/a/b/predictions", state("processing", output="done"), 201)
    seen: list[Prediction] = []
    assert call(client, "run", "a/b", {}, wait=30, on_progress=seen.append) == "done"
    assert [p.status for p in seen] == ["processing"]
    assert api.requests[0].headers["prefer"] == "wait=30"


def test_on_progress_under_the_default_wait_follows_the_prediction(
    client: Client, api: FakeAPI, call: Any
) -> None:
    api.json("POST", "/v1/models/a/b/predictions", STARTING, 201)
    api.add(
        "GET",
        GET,
        httpx.Response(200, json=state("processing", logs="step 1\n")),
        httpx.Response(200, json=state("processing", logs="step 1\nstep 2\n")),
        httpx.Response(200, json=state("succeeded", output="done", logs="step 1\nstep 2\n")),
    )
    seen: list[tuple[str, str | None]] = []
    output = call(client, "run", "a/b", {}, on_progress=lambda p: seen.append((p.status, p.logs)))
    assert output == "done"
    assert "prefer" not in api.requests[0].headers  # no window: nothing to see in it
    assert seen[1:] == [
        ("processing", "step 1\n"),
        ("processing", "step 1\nstep 2\n"),
        ("succeeded", "step 1\nstep 2\n"),
    ]


def test_a_waited_create_answered_starting_is_followed(
    client: Client, api: FakeAPI, call: Any
) -> None:
    # the window ran out: the API answers "starting", and run waits for the end
    api.json("POST", "/v1/models/a/b/predictions", STARTING, 201)
    api.add(
        "GET",
        GET,
        httpx.Response(200, json=state("processing", output="partial")),
        httpx.Response(200, json=state("succeeded", output="done")),
    )
    assert call(client, "run", "a/b", {}) == "done"
    assert [r.url.path for r in api.requests].count(GET) == 2


def test_without_a_wait_a_processing_answer_is_followed(
    client: Client, api: FakeAPI, call: Any
) -> None:
    api.json("POST", "/v1/models/a/b/predictions", state("processing"), 201)
    api.json("GET", GET, state("succeeded", output="done"))
    assert call(client, "run", "a/b", {}, wait=False) == "done"
    assert api.requests[-1].url.path == GET
    assert "prefer" not in api.requests[0].headers


@pytest.mark.parametrize(
    "module", ["collection", "deployment", "file", "model", "prediction", "training", "version"]
)
def test_page_imports_from_where_1x_code_finds_it(module: str) -> None:
    import importlib

    from replicate.pagination import Page

    assert (
        importlib.import_module(f"replicate.{module}").Page is Page
    )  # `from replicate.model import Page`
