"""``use()`` on answers the emulator does not give: odd schemas, missing versions, errors while
fetching the schema, and real API shapes (an official model run by name)."""

from __future__ import annotations

import warnings
from typing import Any

import httpx
import pytest
from facade_tools import BASE, FakeAPI

from replicate.client import Client
from replicate.exceptions import ModelSchemaWarning, NotFoundError, ServerError
from replicate.function import URLPath

VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"


def model_body(schema: Any, latest: bool = True) -> dict[str, Any]:
    version = {
        "id": VERSION,
        "created_at": "2024-01-01T00:00:00Z",
        "cog_version": "0.9.0",
        "openapi_schema": schema,
    }
    return {
        "url": "https://replicate.com/acme/thing",
        "owner": "acme",
        "name": "thing",
        "description": None,
        "visibility": "public",
        "github_url": None,
        "paper_url": None,
        "license_url": None,
        "run_count": 0,
        "cover_image_url": None,
        "default_example": None,
        "latest_version": version if latest else None,
    }


def prediction(output: Any, status: str = "succeeded") -> dict[str, Any]:
    return {
        "id": "p1",
        "model": "acme/thing",
        "version": "dp-0123456789abcdef0123456789abcdef",
        "input": {},
        "logs": "",
        "output": output,
        "error": None,
        "status": status,
        "created_at": "2024-01-01T00:00:00.1Z",
        "started_at": "2024-01-01T00:00:00.2Z",
        "completed_at": "2024-01-01T00:00:01Z",
        "urls": {"get": f"{BASE}/predictions/p1", "cancel": f"{BASE}/predictions/p1/cancel"},
    }


COG = {
    "components": {
        "schemas": {
            "Input": {
                "type": "object",
                "required": ["prompt"],
                "properties": {"prompt": {"type": "string", "x-order": 0}},
            },
            "Output": {"type": "string", "format": "uri"},
        }
    }
}


def test_an_official_model_runs_by_name_with_its_latest_versions_schema(
    api: FakeAPI, client: Client
) -> None:
    api.json("GET", "/v1/models/acme/thing", model_body(COG))
    api.json("POST", "/v1/models/acme/thing/predictions", prediction("https://files.example/a.png"))
    output = client.use("acme/thing")(prompt="x")
    assert isinstance(output, URLPath) and output.url == "https://files.example/a.png"
    assert [r.url.path for r in api.requests] == [
        "/v1/models/acme/thing",
        "/v1/models/acme/thing/versions",  # 404: versions not addressable, so run by name
        "/v1/models/acme/thing/predictions",
    ]
    assert api.body() == {"input": {"prompt": "x"}}


@pytest.mark.parametrize(
    "schema",
    [None, "not a document", {"components": {"schemas": {"Input": "odd"}}}, {"openapi": "3"}],
)
def test_unreadable_schemas_run_unchecked_and_warn_once(
    api: FakeAPI, client: Client, schema: Any
) -> None:
    api.json("GET", "/v1/models/acme/thing", model_body(schema))
    api.json(
        "POST", "/v1/models/acme/thing/predictions", prediction(["https://files.example/a.png"])
    )
    fn = client.use("acme/thing")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = fn(anything=1)
        fn(anything=2)
    ours = [w for w in caught if issubclass(w.category, ModelSchemaWarning)]
    assert len(ours) == 1, [str(w.message) for w in caught]
    assert isinstance(first[0], URLPath)  # file URLs still wrapped, as run() does
    assert api.body() == {"input": {"anything": 2}}


def test_a_model_without_a_version_runs_unchecked(api: FakeAPI, client: Client) -> None:
    api.json("GET", "/v1/models/acme/thing", model_body(None, latest=False))
    api.json("POST", "/v1/models/acme/thing/predictions", prediction("done"))
    with pytest.warns(ModelSchemaWarning, match="acme/thing"):
        assert client.use("acme/thing")(x=1) == "done"
    assert client.use("acme/thing").version_id is None


def test_a_missing_model_raises_before_any_create(api: FakeAPI, client: Client) -> None:
    fn = client.use("acme/thing")
    with pytest.raises(NotFoundError):
        fn(prompt="x")
    assert [r.method for r in api.requests] == ["GET"]


def test_a_model_with_versions_runs_its_latest_version(api: FakeAPI, client: Client) -> None:
    api.json("GET", "/v1/models/acme/thing", model_body(COG))
    api.json(
        "GET", "/v1/models/acme/thing/versions", {"results": [model_body(COG)["latest_version"]]}
    )
    api.json("POST", "/v1/predictions", prediction(None, status="processing"))
    api.add(
        "GET",
        "/v1/predictions/p1",
        httpx.Response(200, json=prediction(None, status="processing")),
        httpx.Response(200, json=prediction("https://files.example/a.png")),
    )
    output = client.use("acme/thing")(prompt="x")
    # a create that waited and answered `processing` is waited for, not taken as final
    assert isinstance(output, URLPath) and output.url == "https://files.example/a.png"
    create = next(i for i, r in enumerate(api.requests) if r.method == "POST")
    assert api.body(create)["version"] == VERSION


@pytest.mark.parametrize("listed", [{"results": []}, None])
def test_a_model_with_no_listed_versions_runs_by_name(
    api: FakeAPI, client: Client, listed: Any
) -> None:
    api.json("GET", "/v1/models/acme/thing", model_body(COG))
    if listed is not None:
        api.json("GET", "/v1/models/acme/thing/versions", listed)
    api.json("POST", "/v1/models/acme/thing/predictions", prediction("https://files.example/a"))
    assert client.use("acme/thing")(prompt="x").url == "https://files.example/a"


def test_the_schema_is_the_models_part_and_callable(api: FakeAPI, client: Client) -> None:
    document = {
        "openapi": "3.0.2",
        "paths": {"/predictions": {}},
        "components": {
            "schemas": {
                "Input": {
                    "properties": {"size": {"allOf": [{"$ref": "#/components/schemas/size"}]}}
                },
                "size": {"type": "string", "enum": ["s", "m"]},
                "Output": {"$ref": "#/components/schemas/Result"},
                "Result": {"type": "object", "properties": {"n": {"type": "integer"}}},
                "Extra": {"type": "object"},
                "PredictionRequest": {"type": "object"},
                "Status": {"type": "string"},
            }
        },
    }
    api.json("GET", "/v1/models/acme/thing", model_body(document))
    fn = client.use("acme/thing")
    schema = fn.openapi_schema
    assert schema is not None and schema() == schema  # also spelled openapi_schema()
    assert schema["paths"] == {}
    assert sorted(schema["components"]["schemas"]) == ["Extra", "Input", "Output"]
    assert schema["components"]["schemas"]["Output"] == {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
    }
    size = schema["components"]["schemas"]["Input"]["properties"]["size"]
    assert size == {"allOf": [{"type": "string", "enum": ["s", "m"]}]}


def test_a_failed_schema_fetch_is_retried_by_the_next_call(api: FakeAPI, client: Client) -> None:
    api.add(
        "GET",
        "/v1/models/acme/thing",
        *[httpx.Response(500, json={"detail": "down"})] * (client.max_retries + 1),
        httpx.Response(200, json=model_body(COG)),
    )
    api.json("POST", "/v1/models/acme/thing/predictions", prediction("https://files.example/a.png"))
    fn = client.use("acme/thing")
    with pytest.raises(ServerError):
        fn(prompt="x")
    assert not [r for r in api.requests if r.method == "POST"]
    assert isinstance(fn(prompt="x"), URLPath)


def test_a_bare_version_whose_schema_cannot_be_found_still_gives_its_output(
    api: FakeAPI, client: Client
) -> None:
    api.json("POST", "/v1/predictions", prediction("https://files.example/a.png"))
    api.add("GET", f"/v1/models/acme/thing/versions/{VERSION}", httpx.Response(404, json={}))
    fn = client.use(VERSION)
    with pytest.warns(ModelSchemaWarning):
        output = fn(prompt="x")
    assert isinstance(output, URLPath)  # not lost: returned unshaped


def test_inputs_python_cannot_name_still_run_and_describe(api: FakeAPI, client: Client) -> None:
    import inspect

    document = {
        "components": {
            "schemas": {
                "Input": {
                    "properties": {
                        "class": {"type": "string"},
                        "lora-scale": {"type": "number", "default": 0.5},
                        "prompt": {"type": "string"},
                    }
                },
                "Output": {"type": "string"},
            }
        }
    }
    api.json("GET", "/v1/models/acme/thing", model_body(document))
    api.json("POST", "/v1/models/acme/thing/predictions", prediction("ok"))
    fn = client.use("acme/thing")
    assert list(inspect.signature(fn).parameters) == ["prompt"]
    assert "class: str" in repr(fn) and "lora-scale: float = 0.5" in repr(fn)
    assert fn(**{"class": "x", "lora-scale": 1.0}) == "ok"
    assert api.body() == {"input": {"class": "x", "lora-scale": 1.0}}


def test_a_copy_of_the_client_has_its_own_functions(api: FakeAPI, client: Client) -> None:
    api.json("GET", "/v1/models/acme/thing", model_body(COG))
    api.json("POST", "/v1/models/acme/thing/predictions", prediction("https://files.example/a"))
    fn = client.use("acme/thing")
    fn(prompt="x")
    copy = client.with_options(max_retries=0)
    other = copy.use("acme/thing")
    assert other is not fn and other is copy.use("acme/thing")
    gets = len([r for r in api.requests if r.method == "GET"])
    assert other(prompt="y").url == "https://files.example/a"
    assert len([r for r in api.requests if r.method == "GET"]) == gets  # the schema is shared
