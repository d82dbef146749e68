"""The facade stands on the generated layer through its public boundary.

A field added to the API's description and regenerated reaches facade objects with no hand
edit; ``client.api`` belongs to its client (its options, and nothing leaking between calls);
one ``except`` catches errors from both layers; a ready-made httpx client carries everything.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from facade_tools import BASE, TOKEN, FakeAPI, fixture
from replicate_api.api.account import get as account_op
from replicate_api.api.predictions import get as get_op
from replicate_api.errors import UnexpectedStatus

import replicate
from replicate.client import Client
from replicate.exceptions import NotFoundError, ReplicateError
from replicate.prediction import Prediction
from replicate.testing import Emulator

ROOT = Path(__file__).resolve().parents[2]
PREDICTION = fixture("prediction_source_cli")
GET_PATH = f"/v1/predictions/{PREDICTION['id']}"


# -- no private name of the generated layer is used by the facade ------------------------------


def _private_uses(source: str) -> list[str]:
    """``_``-prefixed names of ``replicate_api`` that ``source`` imports or reads."""
    tree = ast.parse(source)
    bound: set[str] = set()  # local names of replicate_api modules and objects
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("replicate_api"):
            for alias in node.names:
                if alias.name.startswith("_") or "._" in (node.module or ""):
                    found.append(f"from {node.module} import {alias.name}")
                bound.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("replicate_api"):
                    if "._" in alias.name:
                        found.append(f"import {alias.name}")
                    bound.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in bound:
                found.append(ast.unparse(node))
    return found


def test_the_facade_uses_only_public_names_of_the_generated_layer() -> None:
    found = {}
    for path in sorted((ROOT / "replicate").rglob("*.py")):
        uses = _private_uses(path.read_text())
        if uses:
            found[str(path.relative_to(ROOT))] = uses
    assert found == {}
    # the check sees what it looks for
    assert _private_uses("from replicate_api.api.predictions import get\nget._get_kwargs('x')")
    assert _private_uses("from replicate_api.types import _APITimestamp")


# -- a regenerated field reaches facade users ----------------------------------------------------


def _regenerate_with_new_prediction_field(spec_path: Path, out: Path) -> None:
    spec = json.loads(spec_path.read_text())
    prediction = spec["components"]["schemas"]["schemas_prediction_response"]
    prediction["properties"]["queue_position"] = {
        "type": "integer",
        "description": "Where the prediction waits in its queue.",
    }
    changed = out / "spec.json"
    changed.write_text(json.dumps(spec))
    result = subprocess.run(
        [sys.executable, "scripts/generate", "--spec", str(changed), "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


READ_THE_NEW_FIELD = """
import json, sys
import httpx
import replicate_api
from replicate.client import Client

body = json.loads(sys.argv[1])
client = Client("r8_x", base_url="https://api.replicate.com/v1", transport=httpx.MockTransport(
    lambda request: httpx.Response(200, json=body)))
prediction = client.predictions.get(body["id"])
print(json.dumps({
    "package": replicate_api.__file__,
    "value": prediction.queue_position,
    "in_dict": "queue_position" in prediction.dict(),
    "dict_value": prediction.dict().get("queue_position"),
}))
"""


def test_a_field_added_to_the_spec_and_regenerated_is_on_facade_objects(
    current_spec_path: Path, tmp_path: Path
) -> None:
    _regenerate_with_new_prediction_field(current_spec_path, tmp_path)
    environment = {**os.environ, "PYTHONPATH": str(tmp_path)}

    def read(body: dict[str, Any]) -> dict[str, Any]:
        result = subprocess.run(
            [sys.executable, "-c", READ_THE_NEW_FIELD, json.dumps(body)],
            env=environment,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        seen: dict[str, Any] = json.loads(result.stdout)
        return seen

    sent = read({**PREDICTION, "queue_position": 3})
    assert sent["package"].startswith(str(tmp_path))  # the regenerated layer, not the checkout's
    assert sent["value"] == 3 and sent["in_dict"] and sent["dict_value"] == 3
    # a described field the answer leaves out is still an attribute (None), and in dict()
    left_out = read(PREDICTION)
    assert left_out["value"] is None and left_out["in_dict"]

    # the checkout's generated layer does not describe it: absent, it is no attribute
    client = Client(
        TOKEN,
        base_url=BASE,
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=PREDICTION)),
    )
    with pytest.raises(AttributeError):
        _ = client.predictions.get(PREDICTION["id"]).queue_position  # type: ignore[attr-defined]
    assert (ROOT / "generated" / "replicate_api" / "models" / "prediction.py").read_text().count(
        "queue_position"
    ) == 0


# -- client.api belongs to its client -------------------------------------------------------------


def test_a_raw_call_with_its_own_timeout_and_headers_leaks_into_no_later_call(
    api: FakeAPI,
) -> None:
    api.json("GET", GET_PATH, PREDICTION)
    client = Client(TOKEN, base_url=BASE, timeout=0.5, transport=httpx.MockTransport(api))
    raw = client.api.with_timeout(httpx.Timeout(3)).with_headers({"X-Trace": "one-call"})
    assert get_op.sync(PREDICTION["id"], client=raw).id == PREDICTION["id"]
    client.predictions.get(PREDICTION["id"])
    get_op.sync(PREDICTION["id"], client=client.api)
    first, *later = api.requests
    assert first.extensions["timeout"]["read"] == 3 and first.headers["x-trace"] == "one-call"
    for request in later:
        assert request.extensions["timeout"]["read"] == 0.5
        assert "x-trace" not in request.headers


def test_the_leak_reproduction_times_out_at_the_clients_own_timeout() -> None:
    with Emulator(api_token=TOKEN) as emu:
        client = Client(TOKEN, base_url=emu.base_url, timeout=0.5, max_retries=0)
        created = client.predictions.create(
            model="replicate/hello-world", input={"text": "slow"}, wait=True
        )
        get_op.sync(created.id, client=client.api.with_timeout(httpx.Timeout(3)))
        emu.faults.add("GET /v1/predictions/{id}", delay=2)
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.predictions.get(created.id)
        assert time.monotonic() - started < 1.5
        client.close()


def test_with_options_reaches_client_api(api: FakeAPI) -> None:
    api.json("GET", GET_PATH, PREDICTION)
    client = Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(api))
    quick = client.with_options(timeout=2, max_retries=0)
    get_op.sync(PREDICTION["id"], client=quick.api)
    get_op.sync(PREDICTION["id"], client=client.api)
    assert [r.extensions["timeout"]["read"] for r in api.requests] == [2, 30]
    assert quick.api is quick.api and quick.api is not client.api

    api.add("GET", "/v1/account", httpx.Response(503), httpx.Response(200, json={}))
    with pytest.raises(ReplicateError) as raised:
        account_op.sync(client=quick.api)
    assert raised.value.status == 503  # max_retries=0 reached client.api too


# -- one error base for both layers -------------------------------------------------------------


def test_one_except_catches_errors_from_both_layers(api: FakeAPI) -> None:
    problem = {"title": "Not found", "detail": "no such prediction", "status": 404}
    api.add("GET", "/v1/predictions/nope", httpx.Response(404, json=problem))
    client = Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(api))
    for call in (
        lambda: client.predictions.get("nope"),
        lambda: get_op.sync("nope", client=client.api),
        lambda: asyncio.run(get_op.asyncio("nope", client=client.api)),
    ):
        with pytest.raises(ReplicateError) as raised:
            call()
        error = raised.value
        assert isinstance(error, NotFoundError) and isinstance(error, UnexpectedStatus)
        assert (error.status, error.status_code) == (404, 404)
        assert (error.title, error.detail) == ("Not found", "no such prediction")
        assert error.problem["detail"] == "no such prediction"


# -- Prediction(**payload): 1.x's webhook handlers --------------------------------------------


def test_objects_build_from_a_webhook_delivery_without_a_client() -> None:
    payload = {**fixture("prediction_source_cli"), "webhook_completed": "https://example.com/h"}
    prediction = Prediction(**payload)
    assert prediction.id == payload["id"] and prediction.status == payload["status"]
    assert prediction.input == payload["input"] and prediction.created_at == payload["created_at"]
    assert prediction.webhook_completed == "https://example.com/h"  # beyond the description
    with pytest.raises(RuntimeError, match=r"\.bind\("):
        prediction.reload()

    training = replicate.training.Training(**fixture("training_succeeded_weights_url"))
    assert training.status == "succeeded" and isinstance(training.output, dict)
    model = replicate.model.Model(**fixture("model_hello_world"))
    assert model.id == "replicate/hello-world" and model.latest_version is not None
    with pytest.raises(TypeError, match="missing the field 'id'"):
        replicate.file.File(name="x")


def test_a_bound_object_calls_the_api(api: FakeAPI) -> None:
    api.json("GET", GET_PATH, {**PREDICTION, "status": "succeeded"})
    client = Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(api))
    prediction = Prediction(**{**PREDICTION, "status": "processing"}).bind(client)
    prediction.reload()
    assert prediction.status == "succeeded"


# -- a ready-made httpx client ------------------------------------------------------------------


def test_a_given_http_client_carries_every_request_and_stays_open(api: FakeAPI) -> None:
    api.json("GET", GET_PATH, PREDICTION)
    api.add("GET", "/files/out.png", httpx.Response(200, content=b"png"))
    http = httpx.Client(transport=httpx.MockTransport(api), headers={"X-Proxy-Auth": "p"})
    client = Client(TOKEN, base_url=BASE, http_client=http)
    client.predictions.get(PREDICTION["id"])
    get_op.sync(PREDICTION["id"], client=client.api)
    assert (
        replicate.helpers.FileOutput("https://cdn.example/files/out.png", client).read() == b"png"
    )
    api_calls, raw_call, download = api.requests
    for request in (api_calls, raw_call):
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["x-proxy-auth"] == "p"
        assert request.headers["user-agent"].startswith("replicate-client/")
    assert "authorization" not in download.headers  # never the token to a file host
    client.close()
    assert not http.is_closed
    http.close()


def test_a_given_async_http_client_carries_async_requests(api: FakeAPI) -> None:
    api.json("GET", GET_PATH, PREDICTION)

    async def main() -> bool:
        async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as http:
            client = Client(TOKEN, base_url=BASE, async_http_client=http)
            await client.predictions.async_get(PREDICTION["id"])
            await get_op.asyncio(PREDICTION["id"], client=client.api)
            await client.aclose()
            return http.is_closed

    assert asyncio.run(main()) is False
    assert len(api.requests) == 2
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in api.requests)


def test_a_given_http_client_must_be_one() -> None:
    with pytest.raises(TypeError, match=r"httpx\.Client"):
        Client(http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="verify: httpx options"):
        Client(http_client=httpx.Client(), async_http_client=httpx.AsyncClient(), verify=False)
