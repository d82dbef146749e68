"""The emulator's resources besides predictions and trainings, in-process through ASGITransport.

Every response body is also parsed with the generated models, and the generated low-level
client is run against the emulator, so the emulator speaks the API the client is built on.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from replicate_api import AuthenticatedClient, errors
from replicate_api.api.account import get as account_get
from replicate_api.api.collections import get as collections_get
from replicate_api.api.collections import list_ as collections_list
from replicate_api.api.deployments import create as deployments_create
from replicate_api.api.deployments import delete as deployments_delete
from replicate_api.api.deployments import get as deployments_get
from replicate_api.api.deployments import list_ as deployments_list
from replicate_api.api.deployments import update as deployments_update
from replicate_api.api.files import create as files_create
from replicate_api.api.files import delete as files_delete
from replicate_api.api.files import download as files_download
from replicate_api.api.files import get as files_get
from replicate_api.api.files import list_ as files_list
from replicate_api.api.hardware import list_ as hardware_list
from replicate_api.api.models import create as models_create
from replicate_api.api.models import delete as models_delete
from replicate_api.api.models import get as models_get
from replicate_api.api.models import get_readme as models_readme
from replicate_api.api.models import list_ as models_list
from replicate_api.api.models import list_examples as models_examples
from replicate_api.api.models import search as models_search
from replicate_api.api.models import update as models_update
from replicate_api.api.search import search as search_search
from replicate_api.api.versions import delete as versions_delete
from replicate_api.api.versions import get as versions_get
from replicate_api.api.versions import list_ as versions_list
from replicate_api.api.webhooks import get_default_secret
from replicate_api.models import (
    Account,
    Collection,
    Deployment,
    DeploymentCreateRequest,
    DeploymentUpdateRequest,
    FileCreateRequest,
    FileCreateRequestMetadata,
    FileResource,
    Hardware,
    Model,
    ModelCreateRequest,
    ModelSortBy,
    ModelUpdateRequest,
    ModelVersion,
    ModelVisibility,
    PaginatedCollectionList,
    PaginatedDeploymentList,
    PaginatedFileList,
    PaginatedModelList,
    PaginatedModelVersionList,
    PaginatedPredictionList,
    Prediction,
    SearchResults,
    SortDirection,
    WebhookSecret,
)
from replicate_api.types import File

from replicate.testing._app import EmulatorApp
from replicate.testing._models import HELLO_WORLD_VERSION, LANGUAGE_MODEL_VERSION, EmulatedModel
from replicate.testing._resources_files import FORM_OVERHEAD
from replicate.testing._state import Options

TOKEN = "r8_emulator_token"
BASE = "http://api.emulator.test/v1"
PROBLEM = "application/problem+json"
JSONObject = dict[str, Any]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def make_app() -> Iterator[Callable[..., EmulatorApp]]:
    apps: list[EmulatorApp] = []

    def make(**options: Any) -> EmulatorApp:
        apps.append(EmulatorApp(Options(**options), tokens_per_second=500))
        return apps[-1]

    yield make
    for app in apps:
        app.engine.close()


@pytest.fixture
def app(make_app: Callable[..., EmulatorApp]) -> EmulatorApp:
    return make_app()


def connect(app: EmulatorApp, token: str | None = TOKEN) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi), base_url=BASE, headers=headers
    )


@pytest.fixture
async def client(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with connect(app) as http:
        yield http


@pytest.fixture
async def anonymous(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with connect(app, token=None) as http:
        yield http


@pytest.fixture
async def api(app: EmulatorApp) -> AsyncIterator[AuthenticatedClient]:
    """The generated low-level client, talking to the emulator in-process."""
    generated = AuthenticatedClient(base_url=BASE, token=TOKEN)
    async with connect(app) as http:
        generated.set_async_httpx_client(http)
        yield generated


def problem(response: httpx.Response, status: int, *words: str) -> JSONObject:
    """Check a problem+json answer whose detail mentions ``words``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: JSONObject = response.json()
    assert body["status"] == status
    assert body["title"]
    for word in words:
        assert word in body["detail"], body
    return body


async def every_page(
    client: httpx.AsyncClient, method: str, path: str, **kwargs: Any
) -> tuple[list[JSONObject], list[JSONObject]]:
    """Follow ``next`` until it is null: (all results, the pages)."""
    pages: list[JSONObject] = []
    url: str | None = path
    while url is not None:
        response = await client.request(method, url, **kwargs)
        assert response.status_code == 200, response.text
        page: JSONObject = response.json()
        if pages:
            assert page["previous"] is not None
            assert page["previous"].startswith(BASE)
        else:
            assert page["previous"] is None
        if page["next"] is not None:
            assert page["next"].startswith(BASE)  # absolute, with a cursor
            assert "cursor=" in page["next"]
        pages.append(page)
        url = page["next"]
        assert len(pages) < 50
    return [item for page in pages for item in page["results"]], pages


def echo(text: str) -> str:
    """Repeats its input."""
    return text


def measure(file: Path) -> int:
    """The size of a file."""
    return file.stat().st_size


async def create_model(
    client: httpx.AsyncClient, name: str = "hot-dog-detector", **fields: Any
) -> httpx.Response:
    body = {"owner": "emulator", "name": name, "visibility": "public", "hardware": "cpu"}
    return await client.post("/models", json={**body, **fields})


async def upload(
    client: httpx.AsyncClient,
    data: bytes = b"hello file",
    part_filename: str | None = "hello.txt",
    part_type: str | None = "text/plain",
    **fields: str,
) -> httpx.Response:
    """POST /files: ``fields`` are the form's other fields (filename, type, metadata)."""
    return await client.post(
        "/files", files={"content": (part_filename, data, part_type)}, data=fields or None
    )


def deployment_body(**changes: Any) -> JSONObject:
    body = {
        "name": "hello-prod",
        "model": "replicate/hello-world",
        "version": HELLO_WORLD_VERSION,
        "hardware": "gpu-t4",
        "min_instances": 0,
        "max_instances": 2,
    }
    return {**body, **changes}


def timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- auth ------------------------------------------------------------------------------------

PRIVATE_ROUTES = [
    ("GET", "/account"),
    ("GET", "/hardware"),
    ("GET", "/webhooks/default/secret"),
    ("GET", "/collections"),
    ("GET", "/collections/text-to-image"),
    ("GET", "/models"),
    ("POST", "/models"),
    ("QUERY", "/models"),
    ("GET", "/models/replicate/hello-world"),
    ("PATCH", "/models/replicate/hello-world"),
    ("DELETE", "/models/replicate/hello-world"),
    ("GET", "/models/replicate/hello-world/examples"),
    ("GET", "/models/replicate/hello-world/readme"),
    ("GET", "/models/replicate/hello-world/versions"),
    ("GET", f"/models/replicate/hello-world/versions/{HELLO_WORLD_VERSION}"),
    ("DELETE", f"/models/replicate/hello-world/versions/{HELLO_WORLD_VERSION}"),
    ("GET", "/files"),
    ("POST", "/files"),
    ("GET", "/files/abc"),
    ("DELETE", "/files/abc"),
    ("GET", "/deployments"),
    ("POST", "/deployments"),
    ("GET", "/deployments/emulator/hello-prod"),
    ("PATCH", "/deployments/emulator/hello-prod"),
    ("DELETE", "/deployments/emulator/hello-prod"),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path"), PRIVATE_ROUTES)
async def test_every_route_needs_a_valid_token(
    app: EmulatorApp, anonymous: httpx.AsyncClient, method: str, path: str
) -> None:
    problem(await anonymous.request(method, path), 401, "authentication token")
    async with connect(app, token="r8_wrong") as wrong:
        problem(await wrong.request(method, path), 401, "valid authentication token")


# --- account, hardware, webhooks -------------------------------------------------------------


@pytest.mark.anyio
async def test_account(client: httpx.AsyncClient, api: AuthenticatedClient) -> None:
    body = (await client.get("/account")).json()
    assert body["type"] == "user"
    assert body["username"] == "emulator"
    assert body["name"] == "Emulator"
    assert body["github_url"] == "https://github.com/emulator"
    account = Account.from_dict(body)
    assert account.username == "emulator"
    assert (await account_get.asyncio(client=api)).to_dict() == body
    # The avatar is a real PNG, served by the delivery host.
    avatar = await client.get(body["avatar_url"])
    assert avatar.headers["content-type"] == "image/png"
    assert avatar.content.startswith(b"\x89PNG")


@pytest.mark.anyio
async def test_account_follows_the_username_option(make_app: Callable[..., EmulatorApp]) -> None:
    async with connect(make_app(username="acme")) as client:
        assert (await client.get("/account")).json()["username"] == "acme"


@pytest.mark.anyio
async def test_hardware(client: httpx.AsyncClient, api: AuthenticatedClient) -> None:
    body = (await client.get("/hardware")).json()
    skus = [item["sku"] for item in body]
    assert skus[0] == "cpu"
    assert {"gpu-t4", "gpu-l40s", "gpu-a100-large"} <= set(skus)
    assert all(item["name"] for item in body)
    assert [Hardware.from_dict(item).sku for item in body] == skus
    assert [item.sku for item in await hardware_list.asyncio(client=api)] == skus


@pytest.mark.anyio
async def test_webhook_secret(
    client: httpx.AsyncClient, api: AuthenticatedClient, app: EmulatorApp
) -> None:
    body = (await client.get("/webhooks/default/secret")).json()
    assert body == {"key": app.store.webhook_secret}
    assert body["key"].startswith("whsec_")
    assert WebhookSecret.from_dict(body).key == body["key"]
    assert (await get_default_secret.asyncio(client=api)).key == body["key"]


# --- collections -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_collections(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/collections")).json()
    PaginatedCollectionList.from_dict(listed)
    assert {item["slug"] for item in listed["results"]} == {"text-to-image", "language-models"}
    assert all(set(item) == {"name", "slug", "description"} for item in listed["results"])

    body = (await client.get("/collections/text-to-image")).json()
    collection = Collection.from_dict(body)
    assert collection.name == "Text to image"
    assert body["full_description"].startswith("## ")
    assert [f"{m['owner']}/{m['name']}" for m in body["models"]] == ["replicate/image"]
    language = (await client.get("/collections/language-models")).json()
    assert [m["name"] for m in language["models"]] == ["language-model"]

    problem(await client.get("/collections/no-such-collection"), 404, "no-such-collection")


@pytest.mark.anyio
async def test_collections_paginate(make_app: Callable[..., EmulatorApp]) -> None:
    async with connect(make_app(page_size=1)) as client:
        results, pages = await every_page(client, "GET", "/collections")
    assert len(pages) == 2
    assert [item["slug"] for item in results] == ["text-to-image", "language-models"]


# --- models ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_model_json(client: httpx.AsyncClient) -> None:
    body = (await client.get("/models/replicate/hello-world")).json()
    model = Model.from_dict(body)
    # beyond the spec, as real models have them
    assert set(model.additional_properties) == {"created_at", "weights_url"}
    assert body["url"] == "https://replicate.com/replicate/hello-world"
    assert (body["owner"], body["name"]) == ("replicate", "hello-world")
    assert body["description"] == "A tiny model that says hello"
    assert body["visibility"] == "public"
    assert body["is_official"] is False
    assert body["github_url"] == "https://github.com/replicate/cog-examples"
    assert body["paper_url"].startswith("https://")
    assert body["license_url"].startswith("https://")
    cover = await client.get(body["cover_image_url"])  # a real image on the delivery host
    assert cover.headers["content-type"] == "image/png"
    assert body["latest_version"]["id"] == HELLO_WORLD_VERSION
    schema = body["latest_version"]["openapi_schema"]["components"]["schemas"]
    assert schema["Input"]["required"] == ["text"]
    assert body["default_example"]["output"] == "hello Alice"

    # An official model has a latest version too, whose schema marks its token stream.
    official = (await client.get("/models/replicate/language-model")).json()
    assert official["is_official"] is True
    assert official["latest_version"]["id"] == LANGUAGE_MODEL_VERSION
    output = official["latest_version"]["openapi_schema"]["components"]["schemas"]["Output"]
    assert output["x-cog-array-type"] == "iterator"
    assert output["x-cog-array-display"] == "concatenate"
    assert official["default_example"]["status"] == "succeeded"
    Model.from_dict(official)

    problem(await client.get("/models/replicate/no-such-model"), 404, "replicate/no-such-model")


@pytest.mark.anyio
async def test_models_list_sorting(client: httpx.AsyncClient) -> None:
    async def names(**params: str) -> list[str]:
        response = await client.get("/models", params=params)
        assert response.status_code == 200, response.text
        PaginatedModelList.from_dict(response.json())
        return [f"{m['owner']}/{m['name']}" for m in response.json()["results"]]

    builtins = ["hello-world", "language-model", "image", "caption", "fails", "slow"]
    oldest_first = await names(sort_by="model_created_at", sort_direction="asc")
    assert oldest_first == [f"replicate/{name}" for name in builtins]
    assert await names(sort_by="model_created_at", sort_direction="desc") == oldest_first[::-1]
    # By latest version, newest first (the default); models without versions come last.
    await create_model(client, "no-versions-yet")
    by_version = await names()
    assert by_version == await names(sort_by="latest_version_created_at", sort_direction="desc")
    assert by_version == [*oldest_first[::-1], "emulator/no-versions-yet"]

    problem(await client.get("/models", params={"sort_by": "name"}), 422, "sort_by")
    problem(await client.get("/models", params={"sort_direction": "up"}), 422, "sort_direction")


@pytest.mark.anyio
async def test_models_list_paginates_and_shows_public_models_only(
    make_app: Callable[..., EmulatorApp],
) -> None:
    async with connect(make_app(page_size=2)) as client:
        await create_model(client, "secret-model", visibility="private")
        results, pages = await every_page(client, "GET", "/models")
    assert len(pages) == 3  # six built-in public models, two a page
    refs = [f"{m['owner']}/{m['name']}" for m in results]
    assert len(refs) == len(set(refs)) == 6
    assert "emulator/secret-model" not in refs
    for page in pages:
        PaginatedModelList.from_dict(page)


@pytest.mark.anyio
async def test_create_model(client: httpx.AsyncClient) -> None:
    response = await create_model(
        client,
        description="Detect hot dogs in images",
        github_url="https://github.com/emulator/hot-dog-detector",
        paper_url="https://arxiv.org/abs/2504.17639",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    Model.from_dict(body)
    assert body == {
        "url": "https://replicate.com/emulator/hot-dog-detector",
        "owner": "emulator",
        "name": "hot-dog-detector",
        "description": "Detect hot dogs in images",
        "visibility": "public",
        "is_official": False,
        "github_url": "https://github.com/emulator/hot-dog-detector",
        "paper_url": "https://arxiv.org/abs/2504.17639",
        "license_url": None,
        "weights_url": None,
        "run_count": 0,
        "cover_image_url": None,
        "created_at": body["created_at"],
        "default_example": None,
        "latest_version": None,
    }
    assert body["created_at"].endswith("Z")
    assert (await client.get("/models/emulator/hot-dog-detector")).json() == body
    # A model without versions cannot run yet.
    run = await client.post("/models/emulator/hot-dog-detector/predictions", json={"input": {}})
    problem(run, 422, "emulator/hot-dog-detector")


@pytest.mark.anyio
async def test_create_model_errors(client: httpx.AsyncClient) -> None:
    assert (await create_model(client)).status_code == 201
    problem(await create_model(client), 409, "emulator/hot-dog-detector", "already exists")
    problem(await create_model(client, owner="someone-else"), 403, "someone-else")
    problem(await create_model(client, visibility="secret"), 422, "visibility")
    problem(await create_model(client, hardware="gpu-imaginary"), 422, "hardware")
    problem(await create_model(client, name="Not A Name"), 422, "name")
    problem(await create_model(client, github_url="github.com/x"), 422, "github_url")
    missing = await client.post("/models", json={"owner": "emulator", "name": "x"})
    problem(missing, 422, "hardware", "visibility")


@pytest.mark.anyio
async def test_update_model_and_readme(client: httpx.AsyncClient) -> None:
    await create_model(client)
    path = "/models/emulator/hot-dog-detector"
    problem(await client.get(f"{path}/readme"), 404, "README")
    changes = {
        "description": "Finds hot dogs",
        "github_url": "https://github.com/emulator/hdd",
        "paper_url": "https://arxiv.org/abs/1",
        "license_url": "https://choosealicense.com/licenses/mit/",
        "weights_url": "https://huggingface.co/emulator/hdd",
        "readme": "# Hot dog detector\n\nFinds hot dogs.\n",
    }
    response = await client.patch(path, json=changes)
    assert response.status_code == 200, response.text
    body = response.json()
    Model.from_dict(body)
    for field in ("description", "github_url", "paper_url", "license_url"):
        assert body[field] == changes[field]
    readme = await client.get(f"{path}/readme")
    assert readme.status_code == 200
    assert readme.headers["content-type"].startswith("text/plain")
    assert readme.text == changes["readme"]

    problem(await client.patch(path, json={"github_url": 3}), 422, "github_url")
    problem(await client.patch(path, json={"paper_url": "not a url"}), 422, "paper_url")
    problem(await client.patch("/models/emulator/nope", json={}), 404, "emulator/nope")
    taken = await client.patch("/models/replicate/hello-world", json={"description": "mine"})
    problem(taken, 403, "replicate/hello-world")


@pytest.mark.anyio
async def test_readme_of_a_builtin_model(client: httpx.AsyncClient) -> None:
    readme = await client.get("/models/replicate/hello-world/readme")
    assert readme.headers["content-type"] == "text/plain; charset=utf-8"
    assert readme.text.startswith("# replicate/hello-world\n")
    problem(await client.get("/models/replicate/nope/readme"), 404, "replicate/nope")


@pytest.mark.anyio
async def test_delete_model(client: httpx.AsyncClient) -> None:
    await create_model(client)
    path = "/models/emulator/hot-dog-detector"
    response = await client.delete(path)
    assert response.status_code == 204
    assert response.content == b""
    problem(await client.get(path), 404)
    problem(await client.delete(path), 404)


@pytest.mark.anyio
async def test_delete_model_with_versions_is_refused(
    make_app: Callable[..., EmulatorApp],
) -> None:
    # Own the built-in models, to be allowed to delete them.
    async with connect(make_app(username="replicate")) as client:
        path = "/models/replicate/hello-world"
        refused = problem(await client.delete(path), 409, "1 version", "delete them first")
        assert "/versions/" in refused["detail"]
        deleted = await client.delete(f"{path}/versions/{HELLO_WORLD_VERSION}")
        assert deleted.status_code == 202
        assert (await client.delete(path)).status_code == 204
        # An official model has a version too.
        problem(await client.delete("/models/replicate/language-model"), 409, "1 version")


@pytest.mark.anyio
async def test_only_the_accounts_models_can_be_deleted(client: httpx.AsyncClient) -> None:
    problem(await client.delete("/models/replicate/language-model"), 403, "emulator")
    version = f"/models/replicate/hello-world/versions/{HELLO_WORLD_VERSION}"
    problem(await client.delete(version), 403)
    assert (await client.get(version)).status_code == 200


# --- versions --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_versions(make_app: Callable[..., EmulatorApp]) -> None:
    app = make_app(page_size=2)
    ids = [app.add_model(EmulatedModel("emulator", "echo", echo)).versions[-1].id for _ in "abc"]
    assert len(set(ids)) == 3
    async with connect(app) as client:
        results, pages = await every_page(client, "GET", "/models/emulator/echo/versions")
        assert len(pages) == 2
        for page in pages:
            PaginatedModelVersionList.from_dict(page)
        assert [item["id"] for item in results] == ids[::-1]  # newest first

        path = f"/models/emulator/echo/versions/{ids[0]}"
        body = (await client.get(path)).json()
        assert set(body) == {"id", "created_at", "cog_version", "openapi_schema"}
        assert ModelVersion.from_dict(body).id == ids[0]
        assert body["openapi_schema"]["components"]["schemas"]["Input"]["required"] == ["text"]
        model = (await client.get("/models/emulator/echo")).json()
        assert model["latest_version"]["id"] == ids[-1]

        deleted = await client.delete(path)
        assert (deleted.status_code, deleted.content) == (202, b"")
        problem(await client.get(path), 404, ids[0])
        problem(await client.delete(path), 404)
        remaining, _ = await every_page(client, "GET", "/models/emulator/echo/versions")
        assert [item["id"] for item in remaining] == ids[:0:-1]
        problem(await client.get("/models/emulator/nope/versions"), 404, "emulator/nope")


@pytest.mark.anyio
async def test_adding_the_same_model_twice_lists_one_version(app: EmulatorApp) -> None:
    model = EmulatedModel("emulator", "echo", echo)
    app.add_model(model)
    app.add_model(model)
    async with connect(app) as client:
        versions = (await client.get("/models/emulator/echo/versions")).json()["results"]
    assert [item["id"] for item in versions] == [model.version_id]


# --- examples --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_examples(client: httpx.AsyncClient) -> None:
    body = (await client.get("/models/replicate/hello-world/examples")).json()
    PaginatedPredictionList.from_dict(body)
    (example,) = body["results"]
    prediction = Prediction.from_dict(example)
    assert prediction.status == "succeeded"
    assert example["input"] == {"text": "Alice"}
    assert example["output"] == "hello Alice"
    assert example["version"] == HELLO_WORLD_VERSION
    assert example["completed_at"] >= example["started_at"] >= example["created_at"]
    model = (await client.get("/models/replicate/hello-world")).json()
    assert model["default_example"] == example
    # An example is not one of the account's own predictions.
    assert (await client.get("/predictions")).json()["results"] == []

    # Every built-in model has an example, its files on the delivery host.
    (image,) = (await client.get("/models/replicate/image/examples")).json()["results"]
    (url,) = image["output"]
    assert (await client.get(url)).content.startswith(b"\x89PNG")
    (failed,) = (await client.get("/models/replicate/fails/examples")).json()["results"]
    assert (failed["status"], failed["error"]) == ("failed", "this model fails on purpose")
    empty = await create_model(client, "no-examples")
    assert empty.json()["default_example"] is None
    problem(await client.get("/models/replicate/nope/examples"), 404, "replicate/nope")


# --- QUERY /models ---------------------------------------------------------------------------


async def query(client: httpx.AsyncClient, text: str, url: str = "/models") -> httpx.Response:
    return await client.request(
        "QUERY", url, content=text.encode(), headers={"content-type": "text/plain"}
    )


@pytest.mark.anyio
async def test_query_searches_models(client: httpx.AsyncClient) -> None:
    response = await query(client, "hello")
    assert response.status_code == 200, response.text
    PaginatedModelList.from_dict(response.json())
    assert [m["name"] for m in response.json()["results"]] == ["hello-world"]
    # Descriptions match too, and the best match comes first.
    found = [m["name"] for m in (await query(client, "streams tokens")).json()["results"]]
    assert found[0] == "language-model"
    assert (await query(client, "zebra-unicorn")).json()["results"] == []

    problem(await query(client, ""), 422, "body", "empty")
    problem(await query(client, "   \n"), 422, "body")


@pytest.mark.anyio
async def test_query_paginates(make_app: Callable[..., EmulatorApp]) -> None:
    async with connect(make_app(page_size=2)) as client:
        # Following next, a QUERY sends its body again, as any client must.
        results, pages = await every_page(
            client, "QUERY", "/models", content=b"replicate", headers={"content-type": "text/plain"}
        )
    assert len(pages) == 3  # the six built-in models, two a page
    assert len({m["name"] for m in results}) == 6


# --- GET /search -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_search_needs_no_token(anonymous: httpx.AsyncClient) -> None:
    response = await anonymous.get("/search", params={"query": "hello"})
    assert response.status_code == 200, response.text
    body = response.json()
    results = SearchResults.from_dict(body)
    assert results.query == "hello"
    first = body["models"][0]
    assert first["model"]["name"] == "hello-world"
    Model.from_dict(first["model"])
    assert 0 < first["metadata"]["score"] <= 1
    assert "text" in first["metadata"]["generated_description"]
    assert isinstance(first["metadata"]["tags"], list)
    assert body["collections"] == []


@pytest.mark.anyio
async def test_search_finds_collections_and_pages(client: httpx.AsyncClient) -> None:
    body = (await client.get("/search", params={"query": "language"})).json()
    SearchResults.from_dict(body)
    assert body["models"][0]["model"]["name"] == "language-model"
    assert body["models"][0]["metadata"]["tags"] == ["language-models", "official"]
    (collection,) = body["collections"]
    assert collection["slug"] == "language-models"
    assert collection["models"] == ["replicate/language-model"]
    pages = (await client.get("/search", params={"query": "webhooks"})).json()["pages"]
    assert pages == [
        {"name": "Receive webhooks", "href": "https://replicate.com/docs/topics/webhooks"}
    ]


@pytest.mark.anyio
async def test_search_limit(client: httpx.AsyncClient) -> None:
    many = (await client.get("/search", params={"query": "replicate"})).json()["models"]
    assert len(many) == 6  # every built-in model
    one = (await client.get("/search", params={"query": "replicate", "limit": 1})).json()
    assert one["models"] == many[:1]
    problem(await client.get("/search", params={"query": "x", "limit": 0}), 422, "limit")
    problem(await client.get("/search", params={"query": "x", "limit": 51}), 422, "limit")
    problem(await client.get("/search"), 422, "query")


# --- files -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_upload_a_file(client: httpx.AsyncClient) -> None:
    data = b"\x89PNG fake image \x00\xff"
    response = await upload(
        client,
        data,
        "mask.png",
        "image/png",
        filename="mask.png",
        type="image/png",
        metadata=json.dumps({"customer_reference_id": 123}),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    md5 = hashlib.md5(data).hexdigest()
    assert body["name"] == "mask.png"
    assert body["content_type"] == "image/png"
    assert body["size"] == len(data)
    assert body["etag"] == md5  # bare hex, as the API gives it
    assert body["checksums"] == {"sha256": hashlib.sha256(data).hexdigest(), "md5": md5}
    assert body["metadata"] == {"customer_reference_id": 123}
    created, expires = timestamp(body["created_at"]), timestamp(body["expires_at"])
    assert expires - created == timedelta(hours=24)
    assert body["urls"] == {"get": f"{BASE}/files/{body['id']}"}
    resource = FileResource.from_dict(body)
    assert resource.additional_properties == {"name": "mask.png", "etag": md5}
    assert len(body["id"]) == 48  # a UUID's text in base64, as the API's file ids
    assert base64.b64decode(body["id"]).count(b"-") == 4
    assert resource.to_dict() == body  # the undocumented fields survive a round trip

    fetched = await client.get(body["urls"]["get"])
    assert fetched.json() == body


@pytest.mark.anyio
async def test_upload_defaults(client: httpx.AsyncClient) -> None:
    # No type field: the part's content type. No filename field: the part's filename.
    body = (await upload(client, b"{}", "data.json", "application/json")).json()
    assert (body["name"], body["content_type"], body["metadata"]) == (
        "data.json",
        "application/json",
        {},
    )
    # A bare part with neither: application/octet-stream, and a name all the same.
    raw = b'--xyz\r\nContent-Disposition: form-data; name="content"\r\n\r\nraw bytes\r\n--xyz--\r\n'
    response = await client.post(
        "/files", content=raw, headers={"content-type": "multipart/form-data; boundary=xyz"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["name"], body["content_type"], body["size"]) == (
        "file",
        "application/octet-stream",
        9,
    )
    # Filenames keep their UTF-8.
    accented = (await upload(client, b"x", "résumé.txt")).json()
    assert accented["name"] == "résumé.txt"


@pytest.mark.anyio
async def test_upload_validation(client: httpx.AsyncClient) -> None:
    no_content = await client.post("/files", files={"filename": (None, b"a.txt", "text/plain")})
    problem(no_content, 422, "content")
    problem(await upload(client, filename="é" * 128), 422, "filename", "255")
    assert (await upload(client, filename="é" * 127 + "a")).status_code == 201  # 255 bytes
    problem(await upload(client, metadata="[1, 2]"), 422, "metadata", "object")
    problem(await upload(client, metadata="{not json"), 422, "metadata")
    problem(await client.post("/files", json={"content": "hello"}), 415, "multipart")
    malformed = await client.post(
        "/files",
        content=b"--xyz\r\nno end",
        headers={"content-type": "multipart/form-data; boundary=xyz"},
    )
    problem(malformed, 400)


@pytest.mark.anyio
async def test_upload_too_large(make_app: Callable[..., EmulatorApp]) -> None:
    async with connect(make_app(max_file_size=1024)) as client:
        problem(await upload(client, b"x" * 1025), 413, "1024 bytes")
        assert (await upload(client, b"x" * 1024)).status_code == 201
        # A body far over the limit is refused from its Content-Length, before it is read.
        problem(await upload(client, b"x" * (1024 + FORM_OVERHEAD + 1)), 413)
        assert len((await client.get("/files")).json()["results"]) == 1


@pytest.mark.anyio
async def test_files_list_newest_first_and_paginated(
    make_app: Callable[..., EmulatorApp],
) -> None:
    async with connect(make_app(page_size=2)) as client:
        ids = [(await upload(client, bytes([n]))).json()["id"] for n in range(3)]
        results, pages = await every_page(client, "GET", "/files")
    assert len(pages) == 2
    for page in pages:
        PaginatedFileList.from_dict(page)
    assert [item["id"] for item in results] == ids[::-1]


@pytest.mark.anyio
async def test_delete_a_file(client: httpx.AsyncClient, app: EmulatorApp) -> None:
    file_id = (await upload(client)).json()["id"]
    url = app.files_download_url(file_id)
    response = await client.delete(f"/files/{file_id}")
    assert (response.status_code, response.content) == (204, b"")
    problem(await client.get(f"/files/{file_id}"), 404, file_id)
    problem(await client.delete(f"/files/{file_id}"), 404, file_id)
    problem(await client.get(url), 404)
    with pytest.raises(LookupError):
        app.files_download_url(file_id)


@pytest.mark.anyio
async def test_signed_download(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, app: EmulatorApp
) -> None:
    data = b"%PDF- not really"
    file_id = (await upload(client, data, "doc.pdf", "application/pdf")).json()["id"]
    url = app.files_download_url(file_id)
    assert url.startswith(f"{BASE}/files/{file_id}/download?")
    params = {key: value[0] for key, value in parse_qs(urlparse(url).query).items()}
    assert params["owner"] == "emulator"

    response = await anonymous.get(url)  # the signature is the credential: no token
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    assert "doc.pdf" in response.headers["content-disposition"]

    def signed(**changes: str) -> str:
        return f"{BASE}/files/{file_id}/download?{urlencode({**params, **changes})}"

    problem(await anonymous.get(signed(signature="AAAA" + params["signature"][4:])), 404)
    problem(await anonymous.get(signed(owner="someone-else")), 404)
    later = str(int(params["expiry"]) + 60)
    problem(await anonymous.get(signed(expiry=later)), 404)  # the signature covers expiry
    expired = app.files_download_url(file_id, expires_in=-5)
    problem(await anonymous.get(expired), 404)
    missing = f"{BASE}/files/{file_id}/download?owner=emulator&expiry={params['expiry']}"
    problem(await anonymous.get(missing), 422, "signature")
    problem(await anonymous.get(signed(expiry="soon")), 422, "expiry")


@pytest.mark.anyio
async def test_the_owner_downloads_with_the_token_and_no_signature(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    # not in the spec: what `replicate files download ID` relies on
    file_id = (await upload(client, b"mine", "mine.txt", "text/plain")).json()["id"]
    response = await client.get(f"/files/{file_id}/download")
    assert (response.status_code, response.content) == (200, b"mine")
    assert response.headers["content-type"] == "text/plain"
    problem(await anonymous.get(f"/files/{file_id}/download"), 401)
    problem(await client.get("/files/nosuchfile/download"), 404)


@pytest.mark.anyio
async def test_files_expire_after_a_day(make_app: Callable[..., EmulatorApp]) -> None:
    now = [datetime(2024, 10, 15, 12, 0, tzinfo=UTC)]
    app = make_app(clock=lambda: now[0])
    async with connect(app) as client:
        file_id = (await upload(client)).json()["id"]
        now[0] += timedelta(hours=23)
        assert (await client.get(f"/files/{file_id}")).status_code == 200
        now[0] += timedelta(hours=2)
        problem(await client.get(f"/files/{file_id}"), 404)
        assert (await client.get("/files")).json()["results"] == []
        assert file_id not in app.store.file_contents


@pytest.mark.anyio
async def test_an_uploaded_file_is_a_prediction_input(
    client: httpx.AsyncClient, app: EmulatorApp
) -> None:
    app.add_model(EmulatedModel("emulator", "measure", measure))
    file_url = (await upload(client, b"twelve bytes")).json()["urls"]["get"]
    response = await client.post(
        "/models/emulator/measure/predictions",
        json={"input": {"file": file_url}},
        headers={"prefer": "wait"},
    )
    assert response.json()["output"] == 12


# --- deployments -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_deployment_lifecycle(client: httpx.AsyncClient, app: EmulatorApp) -> None:
    created = await client.post("/deployments", json=deployment_body())
    assert created.status_code == 200, created.text  # the spec lists 200 for a create
    body = created.json()
    Deployment.from_dict(body)
    assert (body["owner"], body["name"]) == ("emulator", "hello-prod")
    first = body["current_release"]
    assert first["number"] == 1
    assert (first["model"], first["version"]) == ("replicate/hello-world", HELLO_WORLD_VERSION)
    assert first["configuration"] == {"hardware": "gpu-t4", "min_instances": 0, "max_instances": 2}
    assert first["created_by"]["username"] == "emulator"
    assert first["created_by"]["type"] == "user"
    path = "/deployments/emulator/hello-prod"
    assert (await client.get(path)).json() == body

    scaled = (await client.patch(path, json={"min_instances": 1, "max_instances": 5})).json()
    Deployment.from_dict(scaled)
    second = scaled["current_release"]
    assert second["number"] == 2
    assert second["configuration"] == {"hardware": "gpu-t4", "min_instances": 1, "max_instances": 5}
    assert second["created_at"] >= first["created_at"]

    # A new version of the model, then a release that runs it.
    new_version = app.add_model(EmulatedModel("replicate", "hello-world", echo)).versions[-1].id
    third = (await client.patch(path, json={"version": new_version, "hardware": "cpu"})).json()
    assert third["current_release"]["number"] == 3
    assert third["current_release"]["version"] == new_version
    assert third["current_release"]["configuration"]["hardware"] == "cpu"
    prediction = await client.post(
        f"{path}/predictions", json={"input": {"text": "plain"}}, headers={"prefer": "wait"}
    )
    assert prediction.json()["version"] == new_version
    assert prediction.json()["output"] == "plain"  # echo, not hello
    assert prediction.json()["deployment"] == "emulator/hello-prod"

    # An empty update releases nothing.
    assert (await client.patch(path, json={})).json()["current_release"]["number"] == 3

    listed = (await client.get("/deployments")).json()
    PaginatedDeploymentList.from_dict(listed)
    assert [item["name"] for item in listed["results"]] == ["hello-prod"]

    deleted = await client.delete(path)
    assert (deleted.status_code, deleted.content) == (204, b"")
    problem(await client.get(path), 404, "emulator/hello-prod")
    problem(await client.delete(path), 404)
    problem(await client.patch(path, json={"min_instances": 1}), 404)
    problem(await client.post(f"{path}/predictions", json={"input": {"text": "x"}}), 404)


@pytest.mark.anyio
async def test_deployment_errors(client: httpx.AsyncClient) -> None:
    assert (await client.post("/deployments", json=deployment_body())).status_code == 200
    problem(await client.post("/deployments", json=deployment_body()), 409, "already exists")
    unknown = deployment_body(name="b", model="replicate/nope")
    problem(await client.post("/deployments", json=unknown), 422, "model", "replicate/nope")
    wrong_version = deployment_body(name="c", version="0" * 64)
    problem(await client.post("/deployments", json=wrong_version), 422, "version")
    inverted = deployment_body(name="d", min_instances=3, max_instances=1)
    problem(await client.post("/deployments", json=inverted), 422, "min_instances")
    too_many = deployment_body(name="e", max_instances=21)
    problem(await client.post("/deployments", json=too_many), 422, "max_instances")
    problem(
        await client.post("/deployments", json=deployment_body(name="f", hardware="tpu")),
        422,
        "hardware",
    )
    incomplete = {
        key: value for key, value in deployment_body(name="g").items() if key != "hardware"
    }
    problem(await client.post("/deployments", json=incomplete), 422, "hardware")

    path = "/deployments/emulator/hello-prod"
    problem(await client.patch(path, json={"version": "0" * 64}), 422, "version")
    problem(await client.patch(path, json={"min_instances": 4}), 422, "min_instances")
    problem(await client.patch(path, json={"max_instances": "many"}), 422, "max_instances")
    assert (await client.get(path)).json()["current_release"]["number"] == 1


@pytest.mark.anyio
async def test_a_version_in_use_cannot_be_deleted(make_app: Callable[..., EmulatorApp]) -> None:
    async with connect(make_app(username="replicate")) as client:
        assert (await client.post("/deployments", json=deployment_body())).status_code == 200
        version = f"/models/replicate/hello-world/versions/{HELLO_WORLD_VERSION}"
        problem(await client.delete(version), 409, "replicate/hello-prod")
        assert (await client.delete("/deployments/replicate/hello-prod")).status_code == 204
        assert (await client.delete(version)).status_code == 202


@pytest.mark.anyio
async def test_deployments_newest_first_and_paginated(
    make_app: Callable[..., EmulatorApp],
) -> None:
    async with connect(make_app(page_size=2)) as client:
        for name in ("one", "two", "three"):
            assert (await client.post("/deployments", json=deployment_body(name=name))).is_success
        results, pages = await every_page(client, "GET", "/deployments")
    assert len(pages) == 2
    for page in pages:
        PaginatedDeploymentList.from_dict(page)
    assert [item["name"] for item in results] == ["three", "two", "one"]


# --- switches --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_handlers_check_fields_when_validation_is_off(
    make_app: Callable[..., EmulatorApp],
) -> None:
    async with connect(make_app(validate_requests=False)) as client:
        missing = await client.post("/models", json={"owner": "emulator", "name": "x"})
        problem(missing, 422, "visibility")
        problem(await create_model(client, name=7), 422, "name", "string")
        bad = deployment_body(min_instances="one")
        problem(await client.post("/deployments", json=bad), 422, "min_instances", "integer")
        problem(await client.post("/deployments", json=deployment_body(min_instances=True)), 422)
        problem(await client.post("/deployments", json=deployment_body(max_instances=99)), 422)
        problem(await client.get("/search", params={"query": "x", "limit": 99}), 422, "limit")
        problem(await client.get("/models", params={"sort_by": "x"}), 422, "sort_by")
        problem(await client.patch("/models/replicate/hello-world", json={"readme": 1}), 422)


@pytest.mark.anyio
async def test_real_deviations(make_app: Callable[..., EmulatorApp]) -> None:
    async with connect(make_app(real_deviations=True, validate_requests=False)) as client:
        model = (await client.get("/models/replicate/hello-world")).json()
        example = model["default_example"]
        assert "web" not in example["urls"]  # as in every recorded prediction
        assert "webhook_completed" in example
        Model.from_dict(model)

        release = (await client.post("/deployments", json=deployment_body())).json()
        assert "created_at" in release["current_release"]["created_by"]
        assert Deployment.from_dict(release).to_dict() == release

        # Recorded traffic has an "unlisted" visibility, which the spec does not list.
        unlisted = await create_model(client, visibility="unlisted")
        assert unlisted.status_code == 201
        assert str(Model.from_dict(unlisted.json()).visibility) == "unlisted"


# --- the generated client against the emulator ----------------------------------------------


@pytest.mark.anyio
async def test_generated_client_runs_every_resource_operation(
    api: AuthenticatedClient, app: EmulatorApp
) -> None:
    assert (await account_get.asyncio(client=api)).username == "emulator"

    collections = await collections_list.asyncio(client=api)
    assert collections.results
    slug = str(collections.results[0].slug)
    collection = await collections_get.asyncio(slug, client=api)
    assert collection.models

    listed = await models_list.asyncio(
        client=api, sort_by=ModelSortBy.MODEL_CREATED_AT, sort_direction=SortDirection.ASC
    )
    assert listed.results and listed.results[0].name == "hello-world"
    request = ModelCreateRequest(
        owner="emulator",
        name="generated",
        visibility=ModelVisibility.PRIVATE,
        hardware="cpu",
        description="Made by the generated client",
    )
    created = await models_create.asyncio(client=api, body=request)
    assert (created.owner, created.name, created.latest_version) == ("emulator", "generated", None)
    updated = await models_update.asyncio(
        "emulator", "generated", client=api, body=ModelUpdateRequest(readme="# Generated\n")
    )
    assert updated.description == "Made by the generated client"
    assert await models_readme.asyncio("emulator", "generated", client=api) == "# Generated\n"
    assert (await models_get.asyncio("emulator", "generated", client=api)).visibility == "private"
    found = await models_search.asyncio(client=api, body="hello")
    assert found.results and found.results[0].name == "hello-world"
    examples = await models_examples.asyncio("replicate", "hello-world", client=api)
    assert examples.results and examples.results[0].output == "hello Alice"
    deleted = await models_delete.asyncio_detailed("emulator", "generated", client=api)
    assert deleted.status_code == 204
    with pytest.raises(errors.UnexpectedStatus) as missing:
        await models_get.asyncio("emulator", "generated", client=api)
    assert missing.value.status_code == 404
    assert missing.value.detail == "Model emulator/generated not found"

    app.add_model(EmulatedModel("emulator", "echo", echo))
    versions = await versions_list.asyncio("emulator", "echo", client=api)
    assert versions.results
    version_id = str(versions.results[0].id)
    version = await versions_get.asyncio("emulator", "echo", version_id, client=api)
    assert version.id == version_id

    deployment = await deployments_create.asyncio(
        client=api,
        body=DeploymentCreateRequest(
            name="echo-prod",
            model="emulator/echo",
            version=version_id,
            hardware="cpu",
            min_instances=0,
            max_instances=1,
        ),
    )
    assert deployment.current_release and deployment.current_release.number == 1
    updated_deployment = await deployments_update.asyncio(
        "emulator", "echo-prod", client=api, body=DeploymentUpdateRequest(max_instances=4)
    )
    assert updated_deployment.current_release
    assert updated_deployment.current_release.number == 2
    fetched = await deployments_get.asyncio("emulator", "echo-prod", client=api)
    assert fetched.to_dict() == updated_deployment.to_dict()
    assert (await deployments_list.asyncio(client=api)).results
    gone = await deployments_delete.asyncio_detailed("emulator", "echo-prod", client=api)
    assert gone.status_code == 204
    removed = await versions_delete.asyncio_detailed("emulator", "echo", version_id, client=api)
    assert removed.status_code == 202

    upload_request = FileCreateRequest(
        content=File(
            payload=BytesIO(b"generated bytes"), file_name="g.txt", mime_type="text/plain"
        ),
        filename="g.txt",
        type_="text/plain",
        metadata=FileCreateRequestMetadata.from_dict({"origin": "generated"}),
    )
    uploaded = await files_create.asyncio(client=api, body=upload_request)
    assert (uploaded.size, uploaded.content_type) == (15, "text/plain")
    assert uploaded.additional_properties["name"] == "g.txt"
    assert (await files_get.asyncio(uploaded.id, client=api)).to_dict() == uploaded.to_dict()
    assert [item.id for item in (await files_list.asyncio(client=api)).results or []] == [
        uploaded.id
    ]
    url = app.files_download_url(uploaded.id)
    params = {key: value[0] for key, value in parse_qs(urlparse(url).query).items()}
    downloaded = await files_download.asyncio(
        uploaded.id,
        client=api,
        owner=params["owner"],
        expiry=int(params["expiry"]),
        signature=params["signature"],
    )
    assert downloaded.payload.read() == b"generated bytes"
    assert (await files_delete.asyncio_detailed(uploaded.id, client=api)).status_code == 204

    results = await search_search.asyncio(client=api, query="image", limit=5)
    assert results.models and results.models[0].model
    assert results.models[0].model.name == "image"
    assert results.collections and results.collections[0].slug == "text-to-image"


def test_seeding_is_deterministic_with_a_seed() -> None:
    first, second = EmulatorApp(Options(seed=3)), EmulatorApp(Options(seed=3))
    try:
        assert first.store.models["replicate/hello-world"].examples == (
            second.store.models["replicate/hello-world"].examples
        )
    finally:
        first.engine.close()
        second.engine.close()


@pytest.mark.anyio
async def test_concurrent_uploads_get_distinct_ids(client: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(*(upload(client, bytes([n]) * 10) for n in range(10)))
    assert len({response.json()["id"] for response in responses}) == 10
