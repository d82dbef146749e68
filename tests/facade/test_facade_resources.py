"""Every resource method, sync and async: the request it sends and what it returns."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from facade_tools import FakeAPI, fixture

from replicate.client import Client
from replicate.collection import Collection
from replicate.deployment import Deployment
from replicate.exceptions import ModelError
from replicate.file import File
from replicate.hardware import Hardware
from replicate.model import Model
from replicate.pagination import Page
from replicate.prediction import Prediction
from replicate.training import Training
from replicate.version import Version

VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
PREDICTION = fixture("prediction_source_cli")
STARTING = fixture("prediction_starting_no_output")
MODEL = fixture("model_hello_world")
DEPLOYMENT = fixture("deployment_nested_created_at")
TRAINING = fixture("training_succeeded_weights_url")
FILE = fixture("file_undocumented_fields")


def page(*results: Any, next: str | None = None) -> dict[str, Any]:
    return {"next": next, "previous": None, "results": list(results)}


# -- predictions ------------------------------------------------------------------------------


def test_predictions_get(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("GET", "/v1/predictions/xk3mfvzgjnrgc0cjhcw8t9h0a8", PREDICTION)
    prediction = call(client.predictions, "get", "xk3mfvzgjnrgc0cjhcw8t9h0a8")
    assert isinstance(prediction, Prediction)
    assert prediction.status == "succeeded"
    assert prediction.output == "hello Erin"
    assert prediction.created_at == "2024-10-15T12:09:01.338802Z"  # strings, as in 1.x
    assert dict(prediction)["id"] == prediction.id


def test_predictions_list(client: Client, api: FakeAPI, call: Any) -> None:
    listing = fixture("prediction_list_2023_2024")
    api.json("GET", "/v1/predictions", listing)
    result = call(client.predictions, "list")
    assert isinstance(result, Page)
    assert result.next == listing["next"]
    assert [p.id for p in result] == [item["id"] for item in listing["results"]]
    assert len(result) == len(listing["results"])
    assert result[0].id == listing["results"][0]["id"]


def test_predictions_list_follows_cursor(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("GET", "/v1/predictions", page(PREDICTION))
    cursor = "https://api.replicate.com/v1/predictions?cursor=abc"
    call(client.predictions, "list", cursor)
    assert str(api.last.url) == cursor
    with pytest.raises(ValueError):
        call(client.predictions, "list", None)


def test_predictions_create_with_version(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("POST", "/v1/predictions", STARTING, status=201)
    prediction = call(
        client.predictions,
        "create",
        VERSION,
        {"text": "Alice"},
        webhook="https://example.com/hook",
        webhook_events_filter=["completed"],
        webhook_completed="https://example.com/done",
        stream=True,
        cancel_after="5m",
    )
    assert prediction.status == "starting"
    assert api.body() == {
        "version": VERSION,
        "input": {"text": "Alice"},
        "stream": True,
        "webhook": "https://example.com/hook",
        "webhook_events_filter": ["completed"],
        "webhook_completed": "https://example.com/done",
    }
    assert api.last.headers["cancel-after"] == "5m"
    assert "prefer" not in api.last.headers


@pytest.mark.parametrize(("wait", "header"), [(True, "wait"), (10, "wait=10")])
def test_predictions_create_wait(
    client: Client, api: FakeAPI, call: Any, wait: Any, header: str
) -> None:
    api.json("POST", "/v1/predictions", PREDICTION, status=201)
    call(client.predictions, "create", version=VERSION, input={}, wait=wait)
    assert api.last.headers["prefer"] == header
    # the read timeout outlasts the server's wait window
    assert api.last.extensions["timeout"]["read"] >= (60 if wait is True else wait)


def test_predictions_create_with_model_and_deployment(
    client: Client, api: FakeAPI, call: Any
) -> None:
    api.json("POST", "/v1/models/meta/llama/predictions", PREDICTION, status=201)
    api.json("POST", "/v1/deployments/acme/prod/predictions", PREDICTION, status=201)
    call(client.predictions, "create", model="meta/llama", input={"prompt": "Hi"})
    assert api.body() == {"input": {"prompt": "Hi"}}
    call(client.predictions, "create", deployment=("acme", "prod"), input={"x": 1})
    assert api.last.url.path == "/v1/deployments/acme/prod/predictions"
    with pytest.raises(ValueError, match="Exactly one"):
        call(client.predictions, "create", model="a/b", version=VERSION, input={})
    with pytest.raises(TypeError, match="unexpected"):
        call(client.predictions, "create", model="a/b", input={}, webhok="typo")


def test_predictions_cancel(client: Client, api: FakeAPI, call: Any) -> None:
    canceled = {**STARTING, "status": "canceled"}
    api.json("POST", f"/v1/predictions/{STARTING['id']}/cancel", canceled)
    assert call(client.predictions, "cancel", STARTING["id"]).status == "canceled"


def test_prediction_reload_wait_cancel(client: Client, api: FakeAPI, call: Any) -> None:
    path = f"/v1/predictions/{STARTING['id']}"
    api.add(
        "GET",
        path,
        httpx.Response(200, json={**STARTING, "status": "processing"}),
        httpx.Response(200, json={**STARTING, "status": "aborted"}),  # terminal: no endless poll
    )
    api.json("POST", path + "/cancel", {**STARTING, "status": "canceled"})
    prediction = Prediction(**dict(STARTING)).bind(client)
    call(prediction, "reload")
    assert prediction.status == "processing"
    call(prediction, "wait")
    assert prediction.status == "aborted"
    call(prediction, "cancel")
    assert prediction.status == "canceled"


def test_prediction_output_iterator(client: Client, api: FakeAPI, call: Any) -> None:
    path = f"/v1/predictions/{STARTING['id']}"
    api.add(
        "GET",
        path,
        httpx.Response(200, json={**STARTING, "status": "processing", "output": ["a"]}),
        httpx.Response(200, json={**STARTING, "status": "succeeded", "output": ["a", "b", "c"]}),
    )
    prediction = Prediction(**dict(STARTING)).bind(client)
    if call.mode == "sync":
        items = list(prediction.output_iterator())
    else:
        import asyncio

        async def collect() -> list[Any]:
            return [item async for item in prediction.async_output_iterator()]

        items = asyncio.run(collect())
    assert items == ["a", "b", "c"]

    failed = Prediction(**{**STARTING, "status": "failed", "error": "boom"}).bind(client)
    with pytest.raises(ModelError, match="boom") as raised:
        list(failed.output_iterator())
    assert raised.value.prediction is failed


def test_prediction_progress(client: Client) -> None:
    processing = fixture("prediction_processing_no_output")
    progress = Prediction(**processing).bind(client).progress
    assert progress is not None
    assert (progress.percentage, progress.current, progress.total) == (0.45, 9, 20)
    assert Prediction(**STARTING).bind(client).progress is None


# -- models and versions ------------------------------------------------------------------------


def test_models_get(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("GET", "/v1/models/replicate/hello-world", MODEL)
    model = call(client.models, "get", "replicate/hello-world")
    assert isinstance(model, Model)
    assert model.id == "replicate/hello-world"
    assert isinstance(model.latest_version, Version)
    assert model.latest_version.created_at is not None
    assert model.latest_version.created_at.year == 2022
    assert isinstance(model.default_example, Prediction)
    assert call(client.models, "get", "replicate", "hello-world").name == "hello-world"
    call(model, "reload")
    assert len(api.requests) == 3


def test_models_list_and_search(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("GET", "/v1/models", page(MODEL))
    api.json("QUERY", "/v1/models", page(MODEL))
    result = call(client.models, "list", sort_by="model_created_at", sort_direction="desc")
    assert [m.id for m in result] == ["replicate/hello-world"]
    assert api.last.url.params["sort_by"] == "model_created_at"
    assert call(client.models, "search", "hello")[0].owner == "replicate"
    assert api.last.method == "QUERY" and api.last.content == b"hello"


def test_models_create_update_delete(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("POST", "/v1/models", MODEL, status=201)
    api.json("PATCH", "/v1/models/replicate/hello-world", MODEL)
    api.add("DELETE", "/v1/models/replicate/hello-world", httpx.Response(204))
    call(client.models, "create", "replicate", "hello-world", visibility="public", hardware="cpu")
    assert api.body() == {
        "owner": "replicate",
        "name": "hello-world",
        "visibility": "public",
        "hardware": "cpu",
    }
    call(client.models, "update", "replicate/hello-world", readme="# Hi", description="d")
    assert api.body() == {"readme": "# Hi", "description": "d"}
    assert call(client.models, "delete", "replicate", "hello-world") is True


def test_models_examples_and_readme(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("GET", "/v1/models/replicate/hello-world/examples", page(PREDICTION))
    api.add(
        "GET",
        "/v1/models/replicate/hello-world/readme",
        httpx.Response(200, text="# Hello", headers={"content-type": "text/plain"}),
    )
    assert call(client.models, "examples", "replicate/hello-world")[0].id == PREDICTION["id"]
    assert call(client.models, "readme", "replicate/hello-world") == "# Hello"


def test_models_predictions_create(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("POST", "/v1/models/meta/llama/predictions", PREDICTION, status=201)
    call(client.models.predictions, "create", "meta/llama", {"prompt": "Hi"}, wait=5)
    assert api.last.headers["prefer"] == "wait=5"


def test_versions(client: Client, api: FakeAPI, call: Any) -> None:
    latest = MODEL["latest_version"]
    base = "/v1/models/replicate/hello-world/versions"
    api.json("GET", base, page(latest))
    api.json("GET", f"{base}/{VERSION}", latest)
    api.add("DELETE", f"{base}/{VERSION}", httpx.Response(204))
    versions = Model(**MODEL).bind(client).versions
    assert call(versions, "list")[0].id == VERSION
    assert call(versions, "get", VERSION).cog_version == latest["cog_version"]
    assert call(versions, "delete", VERSION) is True


# -- deployments, trainings, collections, hardware, accounts, webhooks, files, search ------------


def test_deployments(client: Client, api: FakeAPI, call: Any) -> None:
    path = "/v1/deployments/acme/hello-world-prod"
    api.json("GET", path, DEPLOYMENT)
    api.json("GET", "/v1/deployments", page(DEPLOYMENT))
    api.json("POST", "/v1/deployments", DEPLOYMENT, status=201)
    api.json("PATCH", path, DEPLOYMENT)
    api.add("DELETE", path, httpx.Response(204))
    api.json("POST", path + "/predictions", PREDICTION, status=201)

    deployment = call(client.deployments, "get", "acme/hello-world-prod")
    assert isinstance(deployment, Deployment)
    release = deployment.current_release
    assert release is not None and release.number == 3
    assert release.created_at == "2024-02-15T16:32:57.018467Z"
    assert release.created_by is not None and release.created_by.username == "acme"
    assert release.configuration is not None and release.configuration.max_instances == 5
    assert call(client.deployments, "list")[0].id == "acme/hello-world-prod"
    call(
        client.deployments,
        "create",
        name="acme/hello-world-prod",
        model="replicate/hello-world",
        version=VERSION,
        hardware="gpu-t4",
        min_instances=1,
        max_instances=5,
    )
    assert api.body()["name"] == "hello-world-prod"
    call(client.deployments, "update", "acme", "hello-world-prod", max_instances=10)
    assert api.body() == {"max_instances": 10}
    assert call(client.deployments, "delete", "acme", "hello-world-prod") is True
    call(deployment.predictions, "create", {"text": "Bob"}, wait=True)
    assert api.last.url.path == path + "/predictions"
    call(client.deployments.predictions, "create", "acme/hello-world-prod", {"text": "Bob"})
    assert api.body() == {"input": {"text": "Bob"}}


def test_trainings(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("GET", f"/v1/trainings/{TRAINING['id']}", TRAINING)
    api.json("GET", "/v1/trainings", page(fixture("training_nulls")))
    api.json("POST", f"/v1/trainings/{TRAINING['id']}/cancel", {**TRAINING, "status": "canceled"})
    create_path = f"/v1/models/replicate/hello-world/versions/{VERSION}/trainings"
    api.json("POST", create_path, fixture("training_nulls"), status=201)

    training = call(client.trainings, "get", TRAINING["id"])
    assert isinstance(training, Training)
    assert training.destination == "acme/hello-world-trained"  # from output.version, as in 1.x
    assert call(client.trainings, "list")[0].started_at is None
    call(training, "cancel")
    assert training.status == "canceled"
    call(training, "reload")
    assert training.status == "succeeded"
    call(
        client.trainings,
        "create",
        model="replicate/hello-world",
        version=VERSION,
        input={"steps": 1},
        destination="acme/hello-world-trained",
        webhook_completed="https://example.com/done",
    )
    assert api.last.url.path == create_path
    assert api.body() == {
        "destination": "acme/hello-world-trained",
        "input": {"steps": 1},
        "webhook_completed": "https://example.com/done",
    }
    # the older positional form
    client.trainings.create(f"replicate/hello-world:{VERSION}", {"steps": 2}, "acme/dest")
    assert api.body() == {"destination": "acme/dest", "input": {"steps": 2}}


def test_collections(client: Client, api: FakeAPI, call: Any) -> None:
    summary = {"slug": "text-to-image", "name": "Text to image", "description": "d"}
    api.json("GET", "/v1/collections", page(summary))
    api.json("GET", "/v1/collections/text-to-image", {**summary, "models": [MODEL]})
    assert call(client.collections, "list")[0].slug == "text-to-image"
    collection = call(client.collections, "get", "text-to-image")
    assert isinstance(collection, Collection)
    assert [model.id for model in collection] == ["replicate/hello-world"]
    assert len(collection) == 1 and collection[0] is not None


def test_hardware_and_accounts(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("GET", "/v1/hardware", [{"sku": "cpu", "name": "CPU"}])
    api.json("GET", "/v1/account", {"type": "organization", "username": "acme", "name": "Acme"})
    assert call(client.hardware, "list") == [Hardware(sku="cpu", name="CPU")]
    account = call(client.accounts, "current")
    assert (account.type, account.username) == ("organization", "acme")


def test_webhooks_default_secret(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("GET", "/v1/webhooks/default/secret", {"key": "whsec_c2VjcmV0"})
    secret = call(client.webhooks.default, "secret")
    assert secret.key == "whsec_c2VjcmV0"
    assert "c2VjcmV0" not in repr(secret)


def test_files(client: Client, api: FakeAPI, call: Any, tmp_path: Any) -> None:
    path = f"/v1/files/{FILE['id']}"
    api.json("POST", "/v1/files", FILE, status=201)
    api.json("GET", path, FILE)
    api.json("GET", "/v1/files", page(FILE))
    api.add("DELETE", path, httpx.Response(204))
    api.add("GET", path + "/download", httpx.Response(200, content=b"\x89PNG"))

    image = tmp_path / "mask.png"
    image.write_bytes(b"\x89PNG")
    created = call(client.files, "create", image, metadata={"customer_reference_id": 123})
    assert isinstance(created, File)
    upload = api.last.content
    assert b'filename="mask.png"' in upload and b"Content-Type: image/png" in upload
    assert b'{"customer_reference_id": 123}' in upload
    assert created.checksums["sha256"].startswith("f047")
    call(client.files, "create", io.BytesIO(b"data"), filename="a.txt")
    assert b'filename="a.txt"' in api.last.content

    assert call(client.files, "get", FILE["id"]).name == "mask.png"
    assert call(client.files, "list")[0].id == FILE["id"]
    assert call(client.files, "delete", FILE["id"]) is True
    data = call(client.files, "download", FILE["id"], owner="acme", expiry=17, signature="s=")
    assert data == b"\x89PNG"
    assert api.last.url.params["signature"] == "s="


def test_search(client: Client, api: FakeAPI, call: Any) -> None:
    api.json(
        "GET",
        "/v1/search",
        {
            "query": "hello",
            "models": [{"model": MODEL, "metadata": {"score": 0.9, "tags": ["text"]}}],
            "collections": [{"slug": "text", "name": "Text", "models": ["a/b"]}],
            "pages": [{"name": "Docs", "href": "/docs"}],
        },
    )
    results = call(client, "search", "hello", limit=5)
    assert api.last.url.params["limit"] == "5"
    assert results.models[0].model.id == "replicate/hello-world"
    assert results.collections[0].models == ["a/b"]
    assert results.pages[0].href == "/docs"


# -- run -------------------------------------------------------------------------------------------


def test_run_waits_then_polls(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("POST", "/v1/models/replicate/hello-world/predictions", STARTING, status=201)
    api.json(
        "GET",
        f"/v1/predictions/{STARTING['id']}",
        {**STARTING, "status": "succeeded", "output": "hello Alice"},
    )
    assert call(client, "run", "replicate/hello-world", {"text": "Alice"}) == "hello Alice"
    assert api.requests[0].headers["prefer"] == "wait"


def test_run_with_version_and_file_output(client: Client, api: FakeAPI, call: Any) -> None:
    output = {**PREDICTION, "output": ["https://replicate.delivery/a.png", "text"]}
    api.json("POST", "/v1/predictions", output, status=201)
    api.add("GET", "/a.png", httpx.Response(200, content=b"png"))
    result = call(client, "run", f"replicate/hello-world:{VERSION}", {"text": "x"})
    assert api.body(0)["version"] == VERSION
    assert result[1] == "text"
    assert result[0].url == "https://replicate.delivery/a.png"
    assert result[0].read() == b"png"
    # the token goes to the API's host only, never to a file host
    assert "authorization" not in api.last.headers
    assert api.requests[0].headers["authorization"].startswith("Bearer ")
    plain = call(client, "run", VERSION, {"text": "x"}, use_file_output=False)
    assert plain[0] == "https://replicate.delivery/a.png"


def test_run_raises_model_error(client: Client, api: FakeAPI, call: Any) -> None:
    failed = {**PREDICTION, "status": "failed", "error": "CUDA out of memory"}
    api.json("POST", "/v1/models/a/b/predictions", failed, status=201)
    with pytest.raises(ModelError, match="CUDA") as raised:
        call(client, "run", "a/b", {})
    assert raised.value.prediction.id == PREDICTION["id"]


def test_file_inputs_are_uploaded_or_inlined(client: Client, api: FakeAPI) -> None:
    api.json("POST", "/v1/files", FILE, status=201)
    api.json("POST", "/v1/predictions", PREDICTION, status=201)
    client.predictions.create(VERSION, {"image": io.BytesIO(b"abc"), "n": [1, b"xy"]})
    sent = api.body()["input"]
    assert sent["image"] == FILE["urls"]["get"]
    assert sent["n"][0] == 1 and sent["n"][1] == FILE["urls"]["get"]
    client.predictions.create(
        VERSION, {"image": io.BytesIO(b"abc")}, file_encoding_strategy="base64"
    )
    assert api.body()["input"]["image"] == "data:application/octet-stream;base64,YWJj"
    assert json.dumps(api.body())  # all plain JSON
