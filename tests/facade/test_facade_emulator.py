"""The facade against the emulator over real sockets, sync and async.

One test per family of resource methods, then pages, raw access through ``client.api``,
retries (and the POST that must not be retried), errors and token redaction. The emulator
validates every request against Replicate's OpenAPI description, so these tests also show
that the requests the facade sends are valid ones.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from replicate.client import Client
from replicate.exceptions import (
    AuthenticationError,
    NotFoundError,
    ReplicateError,
    UnprocessableEntityError,
)
from replicate.pagination import async_paginate, async_paginate_items, paginate, paginate_items
from replicate.testing import HELLO_WORLD_VERSION, Emulator

TOKEN = "r8_facade_emulator_secret_9d41c7e2"
PRIVATE_CPU: dict[str, Any] = {"visibility": "private", "hardware": "cpu"}


def echo(text: str) -> str:
    """Says it back."""
    return text


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(api_token=TOKEN) as emulator:
        emulator.register("emulator/official-echo", echo, official=True)
        yield emulator


@pytest.fixture(autouse=True)
def no_leftover_faults(emu: Emulator) -> Iterator[None]:
    yield
    emu.faults.clear()


class Caller:
    """Calls ``obj.name(...)``, or ``obj.async_name(...)`` on the test's own event loop.

    Unlike conftest's ``call`` (a new loop per call), the async calls of one test share a
    loop, so they share the client's async connection pool, which the test closes at its end.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.loop = asyncio.new_event_loop() if mode == "async" else None

    def __call__(self, obj: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
        if self.loop is None:
            return getattr(obj, name)(*args, **kwargs)
        return self.loop.run_until_complete(getattr(obj, f"async_{name}")(*args, **kwargs))

    def close(self, client: Client) -> None:
        client.close()
        if self.loop is not None:
            self.loop.run_until_complete(client.aclose())
            self.loop.close()


@pytest.fixture(params=["sync", "async"])
def call(request: pytest.FixtureRequest) -> Caller:
    return Caller(request.param)


@pytest.fixture
def client(emu: Emulator, call: Caller) -> Iterator[Client]:
    live = Client(api_token=emu.api_token, base_url=emu.base_url)
    yield live
    call.close(live)


# -- every resource --------------------------------------------------------------------------


def test_predictions_create_get_list_cancel(client: Client, call: Caller) -> None:
    created = call(client.predictions, "create", HELLO_WORLD_VERSION, {"text": "Alice"}, wait=True)
    assert (created.status, created.output) == ("succeeded", "hello Alice")
    assert created.model == "replicate/hello-world"

    fetched = call(client.predictions, "get", created.id)
    assert fetched.output == "hello Alice"
    assert fetched.urls is not None and fetched.urls["get"].endswith(f"/predictions/{created.id}")
    assert isinstance(fetched.created_at, str)  # timestamps stay strings, as in 1.x

    assert created.id in [prediction.id for prediction in call(client.predictions, "list")]

    slow = call(client.predictions, "create", model="replicate/slow", input={"seconds": 30})
    assert slow.status in ("starting", "processing")
    assert call(client.predictions, "cancel", slow.id).status == "canceled"
    call(slow, "reload")
    assert slow.status == "canceled"


def test_models(client: Client, call: Caller, emu: Emulator) -> None:
    model = call(client.models, "get", "replicate/hello-world")
    assert model.id == "replicate/hello-world"
    assert model.latest_version is not None and model.latest_version.id == HELLO_WORLD_VERSION
    assert "replicate/hello-world" in [listed.id for listed in call(client.models, "list")]
    assert "replicate/hello-world" in [found.id for found in call(client.models, "search", "hello")]

    examples = call(client.models, "examples", "replicate/hello-world")
    assert [(example.input, example.output) for example in examples] == [
        ({"text": "Alice"}, "hello Alice")
    ]

    name = f"facade-{call.mode}"
    created = call(
        client.models, "create", "emulator", name, description="By the tests", **PRIVATE_CPU
    )
    assert (created.id, created.visibility) == (f"emulator/{name}", "private")
    updated = call(
        client.models, "update", f"emulator/{name}", description="Changed", readme="# Hi"
    )
    assert updated.description == "Changed"
    assert call(client.models, "readme", f"emulator/{name}") == "# Hi"
    assert call(client.models, "delete", "emulator", name) is True
    with pytest.raises(NotFoundError):
        call(client.models, "get", f"emulator/{name}")


def test_model_versions_list_get_delete(client: Client, call: Caller, emu: Emulator) -> None:
    ref = f"emulator/echo-{call.mode}"
    first = emu.register(ref, echo).version_id
    second = emu.register(ref, echo).version_id
    versions = call(client.models, "get", ref).versions

    assert [version.id for version in call(versions, "list")] == [second, first]  # newest first
    got = call(versions, "get", first)
    assert got.id == first and got.openapi_schema is not None
    call(versions, "delete", first)
    assert [version.id for version in call(versions, "list")] == [second]


def test_version_delete_returns_true(client: Client, call: Caller, emu: Emulator) -> None:
    ref = f"emulator/deleted-{call.mode}"
    version_id = emu.register(ref, echo).version_id
    model = call(client.models, "get", ref)
    assert model.latest_version.id == version_id
    assert call(model.versions, "delete", version_id) is True


def test_model_predictions_create(client: Client, call: Caller) -> None:
    prediction = call(
        client.models.predictions, "create", "emulator/official-echo", {"text": "Bo"}, wait=True
    )
    assert prediction.output == "Bo"
    assert prediction.version.startswith("dp-")  # an official model's: opaque, not hex
    assert prediction.model == "emulator/official-echo"


def test_deployments(client: Client, call: Caller) -> None:
    name = f"hello-{call.mode}"
    created = call(
        client.deployments,
        "create",
        name=name,
        model="replicate/hello-world",
        version=HELLO_WORLD_VERSION,
        hardware="cpu",
        min_instances=0,
        max_instances=1,
    )
    assert created.id == f"emulator/{name}"
    assert created.current_release is not None and created.current_release.number == 1
    assert (
        call(client.deployments, "get", created.id).current_release.version == HELLO_WORLD_VERSION
    )
    assert created.id in [listed.id for listed in call(client.deployments, "list")]

    updated = call(client.deployments, "update", "emulator", name, max_instances=3)
    release = updated.current_release
    assert release.number == 2  # every update is a new release
    assert release.configuration.max_instances == 3
    assert release.created_by.username == "emulator"

    on_object = call(updated.predictions, "create", {"text": "Dee"}, wait=True)
    by_name = call(client.deployments.predictions, "create", created.id, {"text": "Eve"}, wait=True)
    assert (on_object.output, by_name.output) == ("hello Dee", "hello Eve")
    assert on_object.deployment == by_name.deployment == created.id

    assert call(client.deployments, "delete", "emulator", name) is True
    with pytest.raises(NotFoundError):
        call(client.deployments, "get", created.id)


def test_trainings(client: Client, call: Caller) -> None:
    destination = f"emulator/trained-{call.mode}"
    call(client.models, "create", "emulator", destination.split("/")[1], **PRIVATE_CPU)
    training = call(
        client.trainings,
        "create",
        model="replicate/hello-world",
        version=HELLO_WORLD_VERSION,
        input={"steps": 3},
        destination=destination,
    )
    assert training.model == "replicate/hello-world"
    assert training.input == {"steps": 3}
    assert call(client.trainings, "get", training.id).id == training.id
    assert training.id in [listed.id for listed in call(client.trainings, "list")]
    # the emulated training takes 150 ms: the cancel arrives well before its end
    assert call(client.trainings, "cancel", training.id).status == "canceled"


def test_files(client: Client, call: Caller, emu: Emulator) -> None:
    content = b"Hello, file!\n"
    file = call(
        client.files,
        "create",
        content,
        filename="greeting.txt",
        content_type="text/plain",
        metadata={"customer": 42},
    )
    assert (file.name, file.content_type, file.size) == ("greeting.txt", "text/plain", len(content))
    assert file.metadata == {"customer": 42}
    assert call(client.files, "get", file.id).checksums == file.checksums
    assert file.id in [listed.id for listed in call(client.files, "list")]

    signed = parse_qs(urlparse(emu.app.files_download_url(file.id)).query)
    downloaded = call(
        client.files,
        "download",
        file.id,
        owner=signed["owner"][0],
        expiry=int(signed["expiry"][0]),
        signature=signed["signature"][0],
    )
    assert downloaded == content

    assert call(client.files, "delete", file.id) is True
    with pytest.raises(NotFoundError):
        call(client.files, "get", file.id)


def test_collections(client: Client, call: Caller) -> None:
    slugs = [collection.slug for collection in call(client.collections, "list")]
    assert slugs == ["text-to-image", "language-models"]
    collection = call(client.collections, "get", "text-to-image")
    assert [model.id for model in collection] == ["replicate/image"]
    assert collection.full_description and collection.full_description.startswith("## Overview")


def test_hardware_account_and_search(client: Client, call: Caller) -> None:
    skus = [hardware.sku for hardware in call(client.hardware, "list")]
    assert {"cpu", "gpu-t4"} <= set(skus)

    account = call(client.accounts, "current")
    assert (account.type, account.username) == ("user", "emulator")

    results = call(client, "search", "hello", limit=5)
    assert results.query == "hello"
    assert results.models[0].model is not None
    assert results.models[0].model.id == "replicate/hello-world"
    assert 0 < results.models[0].metadata["score"] <= 1


def test_default_webhook_secret(client: Client, call: Caller, emu: Emulator) -> None:
    secret = call(client.webhooks.default, "secret")
    assert secret.key == emu.webhook_secret
    assert secret.key not in repr(secret)


# -- pages -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def paged() -> Iterator[tuple[Emulator, list[str]]]:
    """An emulator with pages of two, and five predictions (their ids, newest first)."""
    with (
        Emulator(page_size=2) as emulator,
        Client(emulator.api_token, base_url=emulator.base_url) as client,
    ):
        created = [
            client.predictions.create(HELLO_WORLD_VERSION, {"text": f"page {index}"}).id
            for index in range(5)
        ]
        yield emulator, created[::-1]


def test_paginate_yields_every_page_until_next_is_null(paged: tuple[Emulator, list[str]]) -> None:
    emulator, newest_first = paged
    with Client(emulator.api_token, base_url=emulator.base_url) as client:
        pages = list(paginate(client.predictions.list))
    assert [[prediction.id for prediction in page] for page in pages] == [
        newest_first[0:2],
        newest_first[2:4],
        newest_first[4:],
    ]
    assert pages[0].previous is None and pages[0].next is not None
    assert pages[-1].next is None and pages[-1].previous is not None

    async def collect() -> list[list[str]]:
        async with Client(emulator.api_token, base_url=emulator.base_url) as client:
            return [
                [p.id for p in page] async for page in async_paginate(client.predictions.async_list)
            ]

    assert asyncio.run(collect()) == [newest_first[0:2], newest_first[2:4], newest_first[4:]]


def test_other_list_methods_page_the_same_way(paged: tuple[Emulator, list[str]]) -> None:
    emulator, _ = paged
    versions = [emulator.register("emulator/paged", echo).version_id for _ in range(3)]
    with Client(emulator.api_token, base_url=emulator.base_url) as client:
        files = [
            client.files.create(b"%d" % index, filename=f"{index}.txt").id for index in range(3)
        ]
        model_versions = client.models.get("emulator/paged").versions
        assert [v.id for v in paginate_items(model_versions.list)] == versions[::-1]
        assert [f.id for f in paginate_items(client.files.list)] == files[::-1]

    async def collect() -> tuple[list[str], list[str]]:
        async with Client(emulator.api_token, base_url=emulator.base_url) as client:
            model_versions = (await client.models.async_get("emulator/paged")).versions
            found_versions = [v.id async for v in async_paginate_items(model_versions.async_list)]
            found_files = [f.id async for f in async_paginate_items(client.files.async_list)]
            return found_versions, found_files

    assert asyncio.run(collect()) == (versions[::-1], files[::-1])


def test_items_are_fetched_lazily_page_by_page(paged: tuple[Emulator, list[str]]) -> None:
    emulator, newest_first = paged
    sent: list[str] = []

    def record(request: httpx.Request) -> None:
        sent.append(str(request.url))

    hooks = {"request": [record]}
    with Client(emulator.api_token, base_url=emulator.base_url, event_hooks=hooks) as client:
        assert [p.id for p in paginate_items(client.predictions.list)] == newest_first
        assert len(sent) == 3  # three pages, and no request after the one with next: null
        sent.clear()
        first = next(iter(paginate_items(client.predictions.list)))
        assert first.id == newest_first[0]
        assert len(sent) == 1  # the second page is fetched only when the first is used up


def test_async_items_are_fetched_lazily_page_by_page(paged: tuple[Emulator, list[str]]) -> None:
    emulator, newest_first = paged
    sent: list[str] = []

    async def record(request: httpx.Request) -> None:
        sent.append(str(request.url))

    async def scenario() -> None:
        hooks = {"request": [record]}
        async with Client(
            emulator.api_token, base_url=emulator.base_url, event_hooks=hooks
        ) as client:
            items = async_paginate_items(client.predictions.async_list)
            assert [p.id async for p in items] == newest_first
            assert len(sent) == 3
            sent.clear()
            async for prediction in async_paginate_items(client.predictions.async_list):
                assert prediction.id == newest_first[0]
                break
            assert len(sent) == 1

    asyncio.run(scenario())


# -- raw access ------------------------------------------------------------------------------


def test_raw_access_through_client_api(client: Client, call: Caller, emu: Emulator) -> None:
    from replicate_api.api.predictions import get as get_prediction

    created = call(client.predictions, "create", HELLO_WORLD_VERSION, {"text": "Raw"}, wait=True)
    # the generated layer shares the facade's retries too
    emu.faults.add("GET /v1/predictions/{id}", status=503)
    if call.loop is None:
        response = get_prediction.sync_detailed(created.id, client=client.api)
    else:
        detailed = get_prediction.asyncio_detailed(created.id, client=client.api)
        response = call.loop.run_until_complete(detailed)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert json.loads(response.content)["output"] == "hello Raw"
    assert response.parsed is not None and response.parsed.id == created.id
    assert emu.faults.pending == []  # the 503 was met, and retried


# -- retries ---------------------------------------------------------------------------------


def test_get_is_retried_after_503s(
    client: Client, call: Caller, emu: Emulator, waits: list[float]
) -> None:
    created = call(client.predictions, "create", HELLO_WORLD_VERSION, {"text": "again"})
    seen = len(emu.faults.history)
    emu.faults.add("GET /v1/predictions/{id}", status=503, times=2)
    assert call(client.predictions, "get", created.id).id == created.id
    assert [record.status for record in emu.faults.history[seen:]] == [503, 503]
    assert len(waits) == 2


def test_create_is_retried_through_a_429_storm(
    client: Client, call: Caller, emu: Emulator, waits: list[float]
) -> None:
    predictions = emu.app.store.predictions
    count = len(predictions)
    emu.faults.add("POST /v1/predictions", status=429, times=3, retry_after=0)
    created = call(client.predictions, "create", HELLO_WORLD_VERSION, {"text": "storm"})
    assert list(predictions)[count:] == [created.id]  # created once, after three refusals
    assert waits == [0.0, 0.0, 0.0]  # Retry-After: 0 honoured


def test_create_that_reached_the_server_is_not_retried(
    client: Client, call: Caller, emu: Emulator, waits: list[float]
) -> None:
    predictions = emu.app.store.predictions
    count, seen = len(predictions), len(emu.faults.history)
    emu.faults.add("POST /v1/predictions", close=True)  # the server hangs up on the request
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)) as caught:
        call(client.predictions, "create", HELLO_WORLD_VERSION, {"text": "once"})
    assert [record.kind for record in emu.faults.history[seen:]] == ["close"]  # sent once
    assert len(predictions) == count  # the emulator drops it before its route runs
    assert waits == [0.3, 0.7]  # it was looked for three times, and not found
    assert "the prediction may exist" in str(caught.value)
    assert "replicate.predictions.list()" in str(caught.value)


def test_a_create_whose_answer_was_lost_carries_on_with_its_prediction(
    client: Client, call: Caller, emu: Emulator
) -> None:
    predictions = emu.app.store.predictions
    count = len(predictions)
    # the route runs (the prediction is made), then the connection drops before the answer
    emu.faults.add("POST /v1/predictions", drop_response=True)
    created = call(client.predictions, "create", HELLO_WORLD_VERSION, {"text": "lost answer"})
    assert list(predictions)[count:] == [created.id]  # found, not created twice
    assert created.input == {"text": "lost answer"}
    assert [record.kind for record in emu.faults.history[-1:]] == ["drop_response"]


# -- errors and the token --------------------------------------------------------------------


def test_problem_details_become_replicate_errors(client: Client, call: Caller) -> None:
    with pytest.raises(NotFoundError) as not_found:
        call(client.predictions, "get", "nosuchpredictionxxxxxxxxxx")
    error = not_found.value
    assert isinstance(error, ReplicateError)
    assert (error.status, error.title) == (404, "Not found")
    assert error.detail == "Prediction nosuchpredictionxxxxxxxxxx not found"

    with pytest.raises(UnprocessableEntityError) as invalid:
        call(client.predictions, "create", HELLO_WORLD_VERSION, {"txet": "typo"})
    assert invalid.value.status == 422
    assert invalid.value.title
    assert invalid.value.detail and "text" in invalid.value.detail


def test_the_token_is_never_shown(
    client: Client, call: Caller, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    shown: list[str] = [repr(client), repr(client.api), repr(client.predictions), str(client.api)]

    caplog.set_level(logging.DEBUG)
    emu.faults.add("GET /v1/predictions/{id}", status=503)
    emu.faults.add("POST /v1/predictions", close=True)
    failures: list[Callable[[], Any]] = [
        lambda: call(client.predictions, "get", "nosuchpredictionxxxxxxxxxx"),
        lambda: call(client.predictions, "create", HELLO_WORLD_VERSION, {"text": "x"}),
    ]
    for fail in failures:
        with pytest.raises(Exception) as caught:
            fail()
        shown += [str(caught.value), repr(caught.value)]
    shown.append(caplog.text)  # the retry of the 503 was logged

    with Client(api_token=TOKEN[::-1], base_url=emu.base_url) as wrong:
        with pytest.raises(AuthenticationError) as refused:
            wrong.accounts.current()
        shown += [str(refused.value), repr(refused.value), repr(wrong)]

    assert "Retrying GET" in caplog.text
    for text in shown:
        assert TOKEN not in text and TOKEN[::-1] not in text
