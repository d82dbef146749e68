"""The generated layer as a user calls it: every operation, request shapes, errors, laziness."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import io
import json
import pkgutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import replicate_api
import yaml
from attrs import define
from replicate_api import AuthenticatedClient, Client
from replicate_api.api.files import create as files_create
from replicate_api.api.models import search as models_search
from replicate_api.api.predictions import create as predictions_create
from replicate_api.api.predictions import get as predictions_get
from replicate_api.errors import UnexpectedStatus
from replicate_api.models import FileCreateRequest, FileCreateRequestMetadata, Prediction
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
        return httpx.Response(
            401, json=problem, headers={"content-type": "application/problem+json"}
        )

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
    client.get_httpx_client()  # made with the Authorization header among its defaults
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(client.with_headers({"x-extra": "1"}))


# The request boundary: build_request, parse_response, build_response ----------------------


def test_endpoint_modules_are_public_functions_only() -> None:
    for module in endpoint_modules():
        functions = {
            name
            for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module.__name__
        }
        assert not [name for name in functions if name.startswith("_")], module.__name__
        assert set(module.__all__) == functions, module.__name__
        assert {"build_request", "parse_response", "build_response"} <= functions
        assert list(inspect.signature(module.parse_response).parameters) == ["response"]
        assert list(inspect.signature(module.build_response).parameters) == ["response"]


def test_a_request_built_and_parsed_without_the_generated_client() -> None:
    request = predictions_get.build_request("p 1")
    assert request == {"method": "get", "url": "/predictions/p%201"}

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.raw_path == b"/v1/predictions/p%201"
        return httpx.Response(200, json={"id": "p 1", "status": "succeeded", "output": "hi"})

    with httpx.Client(base_url=BASE_URL, transport=httpx.MockTransport(handler)) as http:
        response = http.request(**request)

    prediction = predictions_get.parse_response(response)
    assert isinstance(prediction, Prediction)
    assert (prediction.id, prediction.status, prediction.output) == ("p 1", "succeeded", "hi")
    detailed = predictions_get.build_response(response)
    assert detailed.status_code == 200
    assert detailed.parsed == prediction

    missing = httpx.Response(404, json={"title": "Not found", "detail": "No such prediction"})
    with pytest.raises(UnexpectedStatus, match="HTTP 404: Not found - No such prediction"):
        predictions_get.parse_response(missing)


def test_build_request_gives_body_and_headers_as_httpx_arguments() -> None:
    from replicate_api.models import VersionPredictionRequest

    body = VersionPredictionRequest(version="replicate/hello-world", input_={"text": "a"})
    request = predictions_create.build_request(body=body, prefer="wait=5")
    assert request == {
        "method": "post",
        "url": "/predictions",
        "json": {"version": "replicate/hello-world", "input": {"text": "a"}},
        "headers": {"Prefer": "wait=5", "Content-Type": "application/json"},
    }


def test_problem_fields_are_plain_attributes_a_subclass_can_set() -> None:
    class Mine(UnexpectedStatus):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.title = "Mine"

    body = json.dumps({"title": "Not found", "detail": "No such prediction"}).encode()
    error = UnexpectedStatus(404, body)
    assert (error.title, error.detail) == ("Not found", "No such prediction")
    assert str(error) == "HTTP 404: Not found - No such prediction"
    assert vars(error)["title"] == "Not found"
    assert Mine(404, body).title == "Mine"
    assert UnexpectedStatus(500, b"{}").title is None


# Clients: every request goes through prepare_request; copies share one pool ---------------


class Recorder:
    """A MockTransport handler that answers a prediction and keeps each request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = 201 if request.method == "POST" else 200
        return httpx.Response(status, json={"id": "p1", "status": "starting"})


def test_a_copy_changes_only_its_own_calls() -> None:
    recorder = Recorder()
    original = client_for(recorder)
    copy = (
        original.with_headers({"X-Trace": "copy"})
        .with_timeout(httpx.Timeout(3.0))
        .with_cookies({"session": "abc"})
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # no per-request cookies=
        predictions_get.sync("p1", client=original)
        predictions_get.sync("p1", client=copy)
        predictions_get.sync("p1", client=original)

    first, copied, again = recorder.requests
    for request in (first, again):
        assert "x-trace" not in request.headers
        assert "cookie" not in request.headers
        assert request.extensions["timeout"]["read"] is None
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert copied.headers["x-trace"] == "copy"
    assert copied.headers["cookie"] == "session=abc"
    assert copied.extensions["timeout"] == {"connect": 3.0, "read": 3.0, "write": 3.0, "pool": 3.0}
    assert copied.headers["authorization"] == f"Bearer {TOKEN}"
    assert copy.get_httpx_client() is original.get_httpx_client()


def test_a_copy_made_first_does_not_set_the_original_defaults() -> None:
    recorder = Recorder()
    original = client_for(recorder)
    copy = original.with_headers({"X-Trace": "copy"}).with_timeout(httpx.Timeout(3.0))

    predictions_get.sync("p1", client=copy)  # the copy makes the shared httpx client
    predictions_get.sync("p1", client=original)

    assert recorder.requests[0].headers["x-trace"] == "copy"
    assert "x-trace" not in recorder.requests[1].headers
    assert recorder.requests[1].extensions["timeout"]["read"] is None


def test_copies_share_one_async_client_too() -> None:
    recorder = Recorder()
    original = AuthenticatedClient(base_url=BASE_URL, token=TOKEN)
    original.set_async_httpx_client(
        httpx.AsyncClient(base_url=BASE_URL, transport=httpx.MockTransport(recorder))
    )
    copy = original.with_headers({"X-Trace": "copy"})

    async def calls() -> None:
        await predictions_get.asyncio("p1", client=copy)
        await predictions_get.asyncio("p1", client=original)

    asyncio.run(calls())

    copied, plain = recorder.requests
    assert copied.headers["x-trace"] == "copy"
    assert "x-trace" not in plain.headers
    assert plain.headers["authorization"] == f"Bearer {TOKEN}"
    assert copy.get_async_httpx_client() is original.get_async_httpx_client()


def test_a_header_the_request_sets_wins() -> None:
    recorder = Recorder()
    client = client_for(recorder).with_headers({"prefer": "wait=1", "X-Team": "a"})

    prepared = client.prepare_request({"method": "get", "url": "/x", "headers": {"Prefer": "wait"}})
    assert prepared["headers"] == {
        "X-Team": "a",
        "Authorization": f"Bearer {TOKEN}",
        "Prefer": "wait",
    }

    from replicate_api.models import VersionPredictionRequest

    body = VersionPredictionRequest(version="v", input_={})
    predictions_create.sync(client=client, body=body, prefer="wait=5")
    (request,) = recorder.requests
    assert request.headers.get_list("prefer") == ["wait=5"]
    assert request.headers["x-team"] == "a"


def test_an_empty_token_sends_no_authorization() -> None:
    recorder = Recorder()
    client = AuthenticatedClient(
        base_url=BASE_URL, token="", httpx_args={"transport": httpx.MockTransport(recorder)}
    )
    predictions_get.sync("p1", client=client)
    assert "authorization" not in recorder.requests[0].headers
    for sender in (client, client.with_headers({"X-Team": "a"})):
        prepared = sender.prepare_request({"method": "get", "url": "/x"})
        assert "Authorization" not in prepared.get("headers", {})


def test_the_unauthenticated_client_sends_through_prepare_request_too() -> None:
    recorder = Recorder()
    client = Client(
        base_url=BASE_URL,
        headers={"X-Team": "a"},
        httpx_args={"transport": httpx.MockTransport(recorder)},
    )
    predictions_get.sync("p1", client=client.with_cookies({"session": "abc"}))
    predictions_get.sync("p1", client=client)
    copied, plain = recorder.requests
    assert (copied.headers["cookie"], copied.headers["x-team"]) == ("session=abc", "a")
    assert "cookie" not in plain.headers
    assert "authorization" not in plain.headers


def test_a_subclass_sends_every_request_its_own_way() -> None:
    sent: list[dict[str, Any]] = []

    @define
    class Sending(AuthenticatedClient):
        """Sends through its own transport, as the facade's client does."""

        def send_request(self, request: dict[str, Any]) -> httpx.Response:
            sent.append(self.prepare_request(request))
            return httpx.Response(200, json={"id": "p1", "status": "starting"})

    client = Sending(base_url=BASE_URL, token=TOKEN).with_headers({"X-Trace": "1"})
    prediction = predictions_get.sync("p1", client=client)

    assert prediction.status == "starting"
    assert sent == [
        {
            "method": "get",
            "url": "/predictions/p1",
            "headers": {"X-Trace": "1", "Authorization": f"Bearer {TOKEN}"},
        }
    ]


def test_the_package_is_marked_typed() -> None:
    marker = Path(replicate_api.__file__).parent / "py.typed"
    assert marker.is_file()
    assert marker.read_text() == ""
