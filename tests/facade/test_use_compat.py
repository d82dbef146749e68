"""``use()`` as code written for the official SDK's ``use()`` expects it: its module path,
``OutputIterator``'s positional form, ``URLPath(url)``, ``run._prediction``, and a streamed
output passed on as another model's input."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from facade_tools import TOKEN

import replicate
from replicate.client import Client
from replicate.testing import Emulator


def test_the_official_module_path_gives_the_same_types() -> None:
    from replicate import function
    from replicate.use import AsyncRun, OutputIterator, Run, URLPath, get_path_url

    assert (OutputIterator, Run, AsyncRun, URLPath) == (
        function.OutputIterator,
        function.Run,
        function.AsyncRun,
        function.URLPath,
    )
    assert get_path_url is replicate.get_path_url
    assert callable(replicate.use)  # the module took the name, and is callable as use() is


def test_replicate_use_still_runs_after_the_module_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import replicate.use  # the import is what is tested

    with Emulator() as emu:
        client = Client(api_token=emu.api_token, base_url=emu.base_url)
        monkeypatch.setattr(replicate, "default_client", client, raising=False)
        assert replicate.use("replicate/hello-world")(text="module") == "hello module"
        client.close()


def _sync_items() -> Iterator[str]:
    return iter(["Hello", " ", "world", "!"])


async def _async_items() -> AsyncIterator[str]:
    for item in ["Hello", " ", "world", "!"]:
        yield item


def test_output_iterator_in_its_positional_form() -> None:
    from replicate.use import OutputIterator

    tokens = OutputIterator(_sync_items, _async_items, {}, is_concatenate=True)
    assert list(tokens) == ["Hello", " ", "world", "!"]
    assert str(tokens) == "Hello world!"

    async def read() -> tuple[list[str], Any]:
        return [item async for item in tokens], await tokens

    assert asyncio.run(read()) == (["Hello", " ", "world", "!"], "Hello world!")

    items = OutputIterator(_sync_items, _async_items, {}, is_concatenate=False)
    assert asyncio.run(items._gather()) == ["Hello", " ", "world", "!"]
    assert str(items) == str(["Hello", " ", "world", "!"])


def test_output_iterator_resumes_where_reading_stopped() -> None:
    from replicate.use import OutputIterator

    made: list[int] = []

    def numbers() -> Iterator[int]:
        made.append(1)
        yield from range(5)

    items = OutputIterator(numbers, None, None, shape=lambda n: n * 10)
    for item in items:
        if item == 20:
            break
    assert list(items) == [0, 10, 20, 30, 40]
    assert made == [1]  # one read of the source, replayed and continued

    async def read() -> list[int]:
        return [item async for item in items]

    assert asyncio.run(read()) == [0, 10, 20, 30, 40]  # a sync source serves async too


def test_an_async_only_output_iterator_refuses_sync_iteration() -> None:
    from replicate.use import OutputIterator

    items = OutputIterator(None, _async_items, None)
    with pytest.raises(TypeError, match="async for"):
        list(items)


def test_urlpath_without_a_client_downloads_with_the_default_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from replicate.use import URLPath

    seen: list[httpx.Request] = []

    def files(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"fake image data")

    client = Client(TOKEN, transport=httpx.MockTransport(files))
    monkeypatch.setattr(replicate, "default_client", client, raising=False)
    path = URLPath("https://example.com/output.jpg")
    assert seen == []  # nothing until it is used as a path
    assert os.path.exists(path)
    with open(path, "rb") as file:
        assert file.read() == b"fake image data"
    assert len(seen) == 1 and "authorization" not in seen[0].headers
    assert path.filename == "output.jpg" and os.fspath(path).endswith("output.jpg")


def test_a_streamed_token_output_is_sent_as_its_text() -> None:
    with Emulator(tokens_per_second=2000) as emu:
        client = Client(api_token=emu.api_token, base_url=emu.base_url)
        tokens = client.use("replicate/language-model", streaming=True)(prompt="a b", max_tokens=3)
        hello = client.use("replicate/hello-world")
        assert hello(text=tokens) == "hello a b Replicate"
        run = hello.create(text=tokens)
        assert run._prediction is run.prediction
        assert json.dumps(run.prediction.input) == json.dumps({"text": "a b Replicate"})
        client.close()


@pytest.mark.parametrize("url", ["https://x/..", "https://x/a/%2E%2E", "https://x/.", "https://x/"])
def test_a_url_without_a_file_name_is_named_output(url: str) -> None:
    from replicate.use import URLPath

    assert URLPath(url, Client(TOKEN)).filename == "output"


def test_a_url_without_a_file_name_downloads_as_output() -> None:
    from replicate.use import URLPath

    client = Client(
        TOKEN, transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"x"))
    )
    local = URLPath("https://x/", client).path
    assert local.name == "output" and local.read_bytes() == b"x"
