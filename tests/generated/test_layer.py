"""The generated layer as a user calls it: every operation, request shapes, errors, laziness."""

from __future__ import annotations

import importlib
import io
import json
import pkgutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import httpx
import pytest
import replicate_api
import yaml
from replicate_api import AuthenticatedClient
from replicate_api.api.files import create as files_create
from replicate_api.api.models import search as models_search
from replicate_api.api.predictions import create as predictions_create
from replicate_api.api.predictions import get as predictions_get
from replicate_api.errors import UnexpectedStatus
from replicate_api.models import FileCreateRequest, FileCreateRequestMetadata
from replicate_api.types import File

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = "https://api.replicate.com/v1"
TOKEN = "r8_secretTOKENvalue0123456789"

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler) -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=BASE_URL, token=TOKEN, httpx_args={"transport": httpx.MockTransport(handler)}
    )


def endpoint_modules() -> list[ModuleType]:
    import replicate_api.api as api

    names = [
        info.name
        for info in pkgutil.walk_packages(api.__path__, "replicate_api.api.")
        if not info.ispkg
    ]
    return [importlib.import_module(name) for name in sorted(names)]


def test_every_module_imports() -> None:
    names = [info.name for info in pkgutil.walk_packages(replicate_api.__path__, "replicate_api.")]
    assert len(names) > 100
    for name in names:
        importlib.import_module(name)


def test_37_operations_each_with_their_callables() -> None:
    modules = endpoint_modules()
    assert len(modules) == 37
    without_body = set()
    for module in modules:
        assert callable(module.sync_detailed) and callable(module.asyncio_detailed)
        if not hasattr(module, "sync"):
            without_body.add(module.__name__.removeprefix("replicate_api.api."))
        else:
            assert callable(module.asyncio)
    # deletes answer 202/204 with no body: only the *_detailed pair, giving the status
    assert without_body == {
        "deployments.delete",
        "files.delete",
        "models.delete",
        "versions.delete",
    }


def test_modules_follow_the_grouping_table() -> None:
    groups = yaml.safe_load((ROOT / "openapi" / "rules.yaml").read_text())["operations"]["groups"]
    built = {m.__name__.removeprefix("replicate_api.api.") for m in endpoint_modules()}
    # the generator appends "_" to module names that shadow builtins (list -> list_)
    expected = {
        target.replace(".list", ".list_") if target.endswith(".list") else target
        for target in groups.values()
    }
    assert built == expected


def test_model_names_are_idiomatic() -> None:
    names = list(replicate_api.models.__all__)
    for name in ("Prediction", "Training", "Deployment", "Model", "ModelVersion", "Collection"):
        assert name in names
    for name in ("Account", "Hardware", "FileResource", "PaginatedPredictionList"):
        assert name in names
    assert not [n for n in names if n.startswith("Schemas") or "Response200" in n]
    assert not [n for n in names if n.endswith(("Type0", "Type1"))]


def test_no_long_prose_in_generated_code() -> None:
    for path in (ROOT / "generated" / "replicate_api").rglob("*.py"):
        text = path.read_text()
        assert "curl" not in text, path
        assert "```" not in text, path


def test_models_load_lazily() -> None:
    code = (
        "import sys, replicate_api.api.predictions.create\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('replicate_api.models.'))\n"
        "print(','.join(loaded))\n"
        "from replicate_api.models import Training\n"
        "print(Training.__module__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded, training_module = result.stdout.split()
    loaded_models = loaded.split(",")
    assert "replicate_api.models.prediction" in loaded_models
    assert "replicate_api.models.training" not in loaded_models
    assert len(loaded_models) < 10
    assert training_module == "replicate_api.models.training"


def test_unknown_model_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchModel"):
        _ = replicate_api.models.NoSuchModel  # type: ignore[attr-defined]


def test_models_search_sends_query_with_a_text_body() -> None:
    seen: list[httpx.Request] = []
    page = {
        "next": f"{BASE_URL}/models?cursor=cD0yMDI0",
        "previous": None,
        "results": [{"owner": "black-forest-labs", "name": "flux-schnell", "run_count": 12}],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=page)

    result = models_search.sync(client=client_for(handler), body="flux image generator")

    (request,) = seen
    assert request.method == "QUERY"
    assert str(request.url) == f"{BASE_URL}/models"
    assert request.headers["content-type"] == "text/plain; charset=utf-8"
    assert request.content == b"flux image generator"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert result.next_ == page["next"]
    assert result.results[0].name == "flux-schnell"  # type: ignore[index,union-attr]
    assert result.to_dict() == page


def test_search_async_sends_query_too() -> None:
    import asyncio

    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        return httpx.Response(200, json={"next": None, "previous": None, "results": []})

    client = AuthenticatedClient(
        base_url=BASE_URL,
        token=TOKEN,
        httpx_args={"transport": httpx.MockTransport(handler)},
    )
    client.set_async_httpx_client(
        httpx.AsyncClient(base_url=BASE_URL, transport=httpx.MockTransport(handler))
    )
    asyncio.run(models_search.asyncio(client=client, body="llama"))
    assert seen == ["QUERY"]


def test_prediction_create_sends_headers_and_json() -> None:
    from replicate_api.models import VersionPredictionRequest

    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": "p1", "status": "starting", "input": {"text": "a"}})

    prediction = predictions_create.sync(
        client=client_for(handler),
        body=VersionPredictionRequest(version="replicate/hello-world", input_={"text": "a"}),
        prefer="wait=5",
        cancel_after="30s",
    )
    (request,) = seen
    assert request.method == "POST"
    assert request.headers["prefer"] == "wait=5"
    assert request.headers["cancel-after"] == "30s"
    assert json.loads(request.content) == {
        "version": "replicate/hello-world",
        "input": {"text": "a"},
    }
    assert prediction.id == "p1"
    assert prediction.input_ == {"text": "a"}


def test_path_parameters_are_escaped() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"id": "a/b", "status": "succeeded"})

    predictions_get.sync("a/b", client=client_for(handler))
    assert seen == ["/v1/predictions/a%2Fb"]


def test_file_upload_is_multipart_with_filename_type_and_metadata() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return httpx.Response(201, json={"id": "f1", "size": 5})

    body = FileCreateRequest(
        content=File(payload=io.BytesIO(b"--+++ hello"), file_name="a.txt", mime_type="text/plain"),
        filename="a.txt",
        type_="text/plain",
        metadata=FileCreateRequestMetadata.from_dict({"customer": 42}),
    )
    created = files_create.sync(client=client_for(handler), body=body)

    (request,) = seen
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=")[1]
    assert boundary != "+++"  # a fixed boundary would break on content like the one sent
    text = request.content.decode()
    assert 'name="content"; filename="a.txt"' in text
    assert "--+++ hello" in text
    assert '{"customer": 42}' in text
    assert created.id == "f1"


def test_undocumented_status_raises_a_typed_error_with_the_problem() -> None:
    problem = {"title": "Unauthenticated", "detail": "Invalid token.", "status": 401}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json=problem, headers={"content-type": "application/problem+json"})

    with pytest.raises(UnexpectedStatus) as caught:
        predictions_get.sync("p1", client=client_for(handler))
    error = caught.value
    assert error.status_code == 401
    assert error.problem == problem
    assert (error.title, error.detail) == ("Unauthenticated", "Invalid token.")
    assert str(error) == "HTTP 401: Unauthenticated - Invalid token."
    assert TOKEN not in str(error)

    with pytest.raises(UnexpectedStatus):
        predictions_get.sync_detailed("p1", client=client_for(handler))


def test_error_without_json_keeps_the_body_text() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad gateway</html>")

    with pytest.raises(UnexpectedStatus, match="HTTP 502: <html>Bad gateway</html>") as caught:
        predictions_get.sync("p1", client=client_for(handler))
    assert caught.value.problem == {}
    assert caught.value.content == b"<html>Bad gateway</html>"


def test_detailed_call_gives_status_headers_and_body() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"id": "p1", "status": "processing"}, headers={"x-request-id": "r1"}
        )

    response = predictions_get.sync_detailed("p1", client=client_for(handler))
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "r1"
    assert json.loads(response.content) == {"id": "p1", "status": "processing"}
    assert response.parsed.status == "processing"


def test_token_never_appears_in_repr() -> None:
    client = client_for(lambda request: httpx.Response(200, json={}))
    client.get_httpx_client()  # puts the Authorization header into the client's headers
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(client.with_headers({"x-extra": "1"}))
