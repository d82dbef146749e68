"""The emulator's prediction lifecycle, in-process through httpx.ASGITransport."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Literal

import httpx
import pytest

from replicate.testing._app import EmulatorApp
from replicate.testing._models import (
    HELLO_WORLD_VERSION,
    LANGUAGE_MODEL_VERSION,
    EmulatedModel,
    input_schema,
    log,
    openapi_schema,
    output_schema,
    progress,
)
from replicate.testing._state import Options

TOKEN = "r8_emulator_token"
HELLO = f"replicate/hello-world:{HELLO_WORLD_VERSION}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def app() -> Iterator[EmulatorApp]:
    emulator = EmulatorApp(Options(), tokens_per_second=200)
    yield emulator
    emulator.engine.close()


@pytest.fixture
async def client(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi),
        base_url="http://api.emulator.test/v1",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as http:
        yield http


async def create(
    client: httpx.AsyncClient, version: str, input: dict[str, object], **headers: str
) -> httpx.Response:
    return await client.post(
        "/predictions", json={"version": version, "input": input}, headers=headers
    )


async def wait_done(client: httpx.AsyncClient, prediction_id: str) -> dict[str, object]:
    for _ in range(200):
        body: dict[str, object] = (await client.get(f"/predictions/{prediction_id}")).json()
        if body["status"] in ("succeeded", "failed", "canceled", "aborted"):
            return body
        await asyncio.sleep(0.02)
    raise AssertionError(f"{prediction_id} did not finish")


async def sse(client: httpx.AsyncClient, url: str, **headers: str) -> list[dict[str, str]]:
    events, current = [], {}
    async with client.stream("GET", url, headers={"accept": "text/event-stream", **headers}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        async for line in r.aiter_lines():
            if not line:
                events.append(current)
                current = {}
                continue
            field, _, value = line.partition(": ")
            current[field] = current[field] + "\n" + value if field in current else value
    return events


@pytest.mark.anyio
async def test_hello_world_with_prefer_wait(client: httpx.AsyncClient) -> None:
    response = await create(client, HELLO, {"text": "world"}, prefer="wait")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["output"] == "hello world"
    assert body["version"] == HELLO_WORLD_VERSION
    assert body["model"] == "replicate/hello-world"
    assert body["created_at"].endswith("Z")
    assert set(body["urls"]) == {"get", "cancel"}  # hello-world does not stream
    assert body["urls"]["get"] == f"http://api.emulator.test/v1/predictions/{body['id']}"
    assert body["metrics"]["predict_time"] >= 0


@pytest.mark.anyio
async def test_without_prefer_the_create_answers_starting(client: httpx.AsyncClient) -> None:
    response = await create(client, "replicate/slow", {"seconds": 0.2, "steps": 2})
    assert response.status_code == 201
    assert response.json()["status"] == "starting"
    final = await wait_done(client, response.json()["id"])
    assert final["status"] == "succeeded"
    assert final["output"] == "finished after 0.2 seconds"
    assert final["logs"] == " 50%|#####     | 1/2\n100%|##########| 2/2\n"


@pytest.mark.anyio
async def test_a_wait_window_that_runs_out_answers_starting(client: httpx.AsyncClient) -> None:
    response = await create(client, "replicate/slow", {"seconds": 1.6}, prefer="wait=1")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "starting"
    assert "output" not in body  # as the API shows a prediction still starting


@pytest.mark.anyio
async def test_cancel(client: httpx.AsyncClient) -> None:
    created = (await create(client, "replicate/slow", {"seconds": 5})).json()
    await asyncio.sleep(0.05)
    canceled = (await client.post(f"/predictions/{created['id']}/cancel")).json()
    assert canceled["status"] == "canceled"
    assert canceled["completed_at"] is not None


@pytest.mark.anyio
async def test_cancel_after_cancels_a_running_prediction(
    client: httpx.AsyncClient, app: EmulatorApp
) -> None:
    app.add_model(EmulatedModel("me", "sleepy", _sleep_then_answer))
    created = await create(client, "me/sleepy", {"seconds": 30}, **{"cancel-after": "5s"})
    body = created.json()
    assert body["deadline"] > body["created_at"]
    while (await client.get(f"/predictions/{body['id']}")).json()["status"] == "starting":
        await asyncio.sleep(0.01)
    app.engine.cancel(app.store.predictions[body["id"]], deadline=True)  # the deadline, now
    assert (await wait_done(client, body["id"]))["status"] == "canceled"


@pytest.mark.anyio
async def test_a_deadline_before_the_start_aborts(
    client: httpx.AsyncClient, app: EmulatorApp
) -> None:
    app.add_model(EmulatedModel("me", "cold", _sleep_then_answer, setup_time=30))
    body = (await create(client, "me/cold", {"seconds": 1}, **{"cancel-after": "1m"})).json()
    app.engine.cancel(app.store.predictions[body["id"]], deadline=True)
    final = await wait_done(client, body["id"])
    assert final["status"] == "aborted"
    assert final["started_at"] is None


@pytest.mark.anyio
@pytest.mark.parametrize("value", ["1s", "abc", "4"])
async def test_cancel_after_is_checked(client: httpx.AsyncClient, value: str) -> None:
    response = await create(client, HELLO, {"text": "a"}, **{"cancel-after": value})
    assert response.status_code == 422
    assert "Cancel-After" in response.json()["detail"]


@pytest.mark.anyio
async def test_failed_prediction_has_error_and_logs(client: httpx.AsyncClient) -> None:
    body = (await create(client, "replicate/fails", {}, prefer="wait")).json()
    assert body["status"] == "failed"
    assert body["error"] == "this model fails on purpose"
    assert body["logs"] == "about to fail\n"


@pytest.mark.anyio
async def test_language_model_streams_tokens_with_ids(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/models/replicate/language-model/predictions",
        json={"input": {"prompt": "Hi there", "max_tokens": 4}},
    )
    body = response.json()
    assert body["version"].startswith("dp-")  # official models' predictions: an opaque version
    assert body["model"] == "replicate-internal/language-model-cpu"  # the model behind it
    events = await sse(client, body["urls"]["stream"])
    outputs = [e["data"] for e in events if e["event"] == "output"]
    assert "".join(outputs) == "Hi there Replicate runs"
    assert events[-1] == {"id": events[-1]["id"], "event": "done", "data": "{}"}
    assert len({e["id"] for e in events}) == len(events)
    final = await wait_done(client, body["id"])
    assert final["output"] == ["Hi", " there", " Replicate", " runs"]


@pytest.mark.anyio
async def test_stream_resumes_after_last_event_id(client: httpx.AsyncClient) -> None:
    body = (
        await client.post(
            "/models/replicate/language-model/predictions",
            json={"input": {"prompt": "a b c d e", "max_tokens": 6}},
        )
    ).json()
    everything = await sse(client, body["urls"]["stream"])
    resumed = await sse(client, body["urls"]["stream"], **{"last-event-id": everything[2]["id"]})
    assert resumed == everything[3:]


@pytest.mark.anyio
async def test_multiline_output_is_sent_as_several_data_lines(
    client: httpx.AsyncClient, app: EmulatorApp
) -> None:
    def poem() -> Iterator[str]:
        yield "roses\nviolets"

    app.add_model(EmulatedModel("me", "poem", poem))
    body = (await create(client, "me/poem", {})).json()
    async with client.stream("GET", body["urls"]["stream"]) as r:
        text = (await r.aread()).decode()
    assert "data: roses\ndata: violets\n" in text


@pytest.mark.anyio
async def test_image_model_outputs_png_urls_on_the_delivery_host(
    client: httpx.AsyncClient,
) -> None:
    body = (
        await create(client, "replicate/image", {"prompt": "x", "num_outputs": 2}, prefer="wait")
    ).json()
    assert len(body["output"]) == 2
    assert all(url.startswith("http://delivery.emulator.test/") for url in body["output"])
    image = await client.get(body["output"][1])
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "100%|##########| 2/2" in body["logs"]


@pytest.mark.anyio
async def test_unknown_and_missing_inputs_are_named(client: httpx.AsyncClient) -> None:
    response = await create(client, HELLO, {"txt": "a"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "- input: Additional property txt is not allowed\n" in detail
    assert "- input: text is required\n" in detail


@pytest.mark.anyio
async def test_request_validation_names_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/predictions", json={"input": {}})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "'version' is a required property" in response.json()["detail"]
    bad_prefer = await create(client, HELLO, {"text": "a"}, prefer="wait=100")
    assert bad_prefer.status_code == 422
    assert "Prefer" in bad_prefer.json()["detail"]


@pytest.mark.anyio
async def test_validation_can_be_switched_off() -> None:
    app = EmulatorApp(Options(validate_requests=False))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi),
        base_url="http://api.emulator.test/v1",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        # an extra body field the spec forbids passes when validation is off
        response = await client.post(
            "/predictions",
            json={"version": HELLO, "input": {"text": "a"}, "extra": 1},
            headers={"prefer": "wait"},
        )
    app.engine.close()
    assert response.json()["output"] == "hello a"


@pytest.mark.anyio
async def test_auth_is_required(client: httpx.AsyncClient) -> None:
    missing = await client.get("/predictions", headers={"authorization": ""})
    wrong = await client.get("/predictions", headers={"authorization": "Bearer r8_wrong"})
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 401
    assert "r8_wrong" not in wrong.text


@pytest.mark.anyio
async def test_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/route")
    assert response.status_code == 404
    assert response.json()["title"] == "Not found"


@pytest.mark.anyio
async def test_list_is_newest_first_and_paginated() -> None:
    app = EmulatorApp(Options(page_size=2))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi),
        base_url="http://api.emulator.test/v1",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as client:
        ids = [(await create(client, HELLO, {"text": str(i)})).json()["id"] for i in range(5)]
        seen, url = [], "/predictions"
        while url:
            page = (await client.get(url)).json()
            seen += [p["id"] for p in page["results"]]
            url = page["next"]
            if url:
                assert url.startswith("http://api.emulator.test/v1/predictions?cursor=")
    app.engine.close()
    assert seen == ids[::-1]


@pytest.mark.anyio
async def test_real_deviations_switch(client: httpx.AsyncClient) -> None:
    app = EmulatorApp(Options(real_deviations=True))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi),
        base_url="http://api.emulator.test/v1",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as deviant:
        body = (await create(deviant, HELLO, {"text": "a"}, prefer="wait")).json()
    app.engine.close()
    assert "web" not in body["urls"]
    assert "data_removed" not in body
    assert body["logs"] is None
    assert "webhook_completed" in body
    from replicate_api.models import Prediction

    assert Prediction.from_dict(body).to_dict() == body


@pytest.mark.anyio
async def test_a_waited_answer_with_real_deviations_comes_as_soon_as_the_output_exists() -> None:
    """As recorded in 2024: processing, its file inlined; an iterator output waits for the end."""
    app = EmulatorApp(Options(real_deviations=True), tokens_per_second=500)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app.asgi),
        base_url="http://api.emulator.test/v1",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ) as deviant:
        image = (await create(deviant, "replicate/image", {"prompt": "x"}, prefer="wait")).json()
        tokens = await deviant.post(
            "/models/replicate/language-model/predictions",
            json={"input": {"prompt": "a b", "max_tokens": 3}},
            headers={"prefer": "wait"},
        )
    app.engine.close()
    assert image["status"] == "processing" and "completed_at" not in image
    (uri,) = image["output"]
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.partition(",")[2]).startswith(b"\x89PNG")
    assert tokens.json()["status"] == "succeeded"
    assert tokens.json()["output"] == ["a", " b", " Replicate"]


@pytest.mark.anyio
async def test_only_models_that_stream_get_a_stream_url(
    client: httpx.AsyncClient, app: EmulatorApp
) -> None:
    def words() -> Iterator[str]:
        yield "a"

    def word() -> str:
        return "a"

    app.add_model(EmulatedModel("me", "words", words))
    app.add_model(EmulatedModel("me", "word", word))
    app.add_model(EmulatedModel("me", "word-streaming", word, streams=True))
    for ref, given, streams in (
        ("me/words", {}, True),  # a generator
        ("me/word", {}, False),
        ("me/word-streaming", {}, True),  # streams=True
        (HELLO, {"text": "a"}, False),
        ("replicate/image", {"prompt": "a"}, False),
    ):
        body = (await create(client, ref, given)).json()
        assert ("stream" in body["urls"]) is streams, ref
        assert "web" not in body["urls"]


@pytest.mark.anyio
async def test_an_official_model_runs_by_name_or_by_its_version(
    client: httpx.AsyncClient,
) -> None:
    given = {"prompt": "a", "max_tokens": 1}
    by_name = (await create(client, "replicate/language-model", given)).json()
    assert re.fullmatch(r"dp-[0-9a-f]{32}", by_name["version"])
    again = await client.post("/models/replicate/language-model/predictions", json={"input": given})
    assert again.json()["version"] == by_name["version"]  # the model's deployment, each time
    by_version = (
        await create(client, f"replicate/language-model:{LANGUAGE_MODEL_VERSION}", given)
    ).json()
    assert (by_version["version"], by_version["model"]) == (
        LANGUAGE_MODEL_VERSION,
        "replicate/language-model",
    )


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("given", "field", "description"),
    [
        ({"text": 5}, "input.text", "Invalid type. Expected: string, given: integer"),
        ({"text": None}, "input.text", "Invalid type. Expected: string, given: null"),
        (
            {"text": "a", "times": 1.5},
            "input.times",
            "Invalid type. Expected: integer, given: number",
        ),
        (
            {"text": "a", "style": "quiet"},
            "input.style",
            'style must be one of the following: "plain", "loud"',
        ),
        (
            {"text": "a", "tags": ["x", 1]},
            "input.tags.1",
            "Invalid type. Expected: string, given: integer",
        ),
    ],
)
async def test_inputs_are_checked_against_the_version_schema(
    client: httpx.AsyncClient,
    app: EmulatorApp,
    given: dict[str, object],
    field: str,
    description: str,
) -> None:
    def greet(
        text: str,
        times: int = 1,
        style: Literal["plain", "loud"] = "plain",
        tags: list[str] | None = None,
    ) -> str:
        return text * times

    app.add_model(EmulatedModel("me", "greet", greet))
    response = await create(client, "me/greet", given)
    assert response.status_code == 422
    body = response.json()
    assert body["title"] == "Input validation failed"
    assert body["invalid_fields"] == [
        {"type": body["invalid_fields"][0]["type"], "field": field, "description": description}
    ]
    assert body["detail"] == f"- {field}: {description}\n"
    assert (await create(client, "me/greet", {"text": "a", "times": 2.0})).status_code == 201


@pytest.mark.anyio
async def test_file_inputs_arrive_as_paths(client: httpx.AsyncClient, app: EmulatorApp) -> None:
    def size(image: Path) -> int:
        return len(image.read_bytes())

    app.add_model(EmulatedModel("me", "size", size))
    data_uri = "data:application/octet-stream;base64," + base64.b64encode(b"12345").decode()
    body = (await create(client, "me/size", {"image": data_uri}, prefer="wait")).json()
    assert body["output"] == 5
    unreachable = await create(client, "me/size", {"image": "https://example.com/a.png"})
    assert unreachable.status_code == 422
    assert "input.image" in unreachable.json()["detail"]


@pytest.mark.anyio
async def test_optional_file_inputs_arrive_as_paths_too(
    client: httpx.AsyncClient, app: EmulatorApp
) -> None:
    def describe(image: Path | None = None, masks: list[Path] | None = None) -> str:
        if image is None:
            return "no image"
        assert isinstance(image, Path) and all(isinstance(mask, Path) for mask in masks or [])
        return f"{image.read_bytes().decode()} and {len(masks or [])} masks"

    app.add_model(EmulatedModel("me", "describe", describe))
    data_uri = "data:text/plain;base64," + base64.b64encode(b"pixels").decode()
    inputs = {"image": data_uri, "masks": [data_uri, data_uri]}
    body = (await create(client, "me/describe", inputs, prefer="wait")).json()
    assert (body["status"], body["output"]) == ("succeeded", "pixels and 2 masks")
    body = (await create(client, "me/describe", {}, prefer="wait")).json()
    assert body["output"] == "no image"


@pytest.mark.anyio
async def test_trainings_add_a_version_to_the_destination(
    client: httpx.AsyncClient, app: EmulatorApp
) -> None:
    destination = app.add_model(EmulatedModel("emulator", "tuned", _sleep_then_answer))
    before = len(destination.versions)
    response = await client.post(
        f"/models/replicate/hello-world/versions/{HELLO_WORLD_VERSION}/trainings",
        json={"destination": "emulator/tuned", "input": {"steps": 3}},
    )
    assert response.status_code == 201
    training = response.json()
    assert set(training["urls"]) == {"get", "cancel"}
    for _ in range(100):
        training = (await client.get(f"/trainings/{training['id']}")).json()
        if training["status"] == "succeeded":
            break
        await asyncio.sleep(0.02)
    assert training["status"] == "succeeded"
    assert len(destination.versions) == before + 1
    assert training["output"]["version"] == f"emulator/tuned:{destination.versions[-1].id}"
    listed = (await client.get("/trainings")).json()["results"]
    assert [t["id"] for t in listed] == [training["id"]]


@pytest.mark.anyio
async def test_logs_and_progress_from_a_user_model(
    client: httpx.AsyncClient, app: EmulatorApp
) -> None:
    def steps(n: int = 3) -> str:
        log("loading")
        for i in range(n):
            progress(i + 1, n)
        return "ok"

    app.add_model(EmulatedModel("me", "steps", steps))
    body = (await create(client, "me/steps", {}, prefer="wait")).json()
    assert body["logs"].splitlines() == [
        "loading",
        " 33%|###       | 1/3",
        " 66%|######    | 2/3",
        "100%|##########| 3/3",
    ]


async def _sleep_then_answer(seconds: float = 1.0) -> str:
    await asyncio.sleep(seconds)
    return "done"


# --- schemas from type hints ---------------------------------------------------------------


def test_input_schema_from_type_hints() -> None:
    def model(
        prompt: str,
        steps: int = 20,
        scale: float = 7.5,
        safe: bool = True,
        image: Path | None = None,
        style: Literal["photo", "anime"] = "photo",
        tags: list[str] | None = None,
    ) -> str:
        return prompt

    schema = input_schema(model)
    assert schema["required"] == ["prompt"]
    props = schema["properties"]
    assert props["prompt"] == {"type": "string", "title": "Prompt", "x-order": 0}
    assert props["steps"] == {"type": "integer", "title": "Steps", "x-order": 1, "default": 20}
    assert props["scale"]["type"] == "number"
    assert props["safe"] == {"type": "boolean", "title": "Safe", "x-order": 3, "default": True}
    assert props["image"] == {"type": "string", "format": "uri", "title": "Image", "x-order": 4}
    # an enum is a schema of its own, as cog writes it
    assert props["style"] == {
        "allOf": [{"$ref": "#/components/schemas/style"}],
        "x-order": 5,
        "default": "photo",
    }
    schemas = openapi_schema(model)["components"]["schemas"]
    assert schemas["style"] == {
        "title": "style",
        "description": "An enumeration.",
        "type": "string",
        "enum": ["photo", "anime"],
    }
    assert props["tags"]["items"] == {"type": "string"}


def test_output_schema_of_a_token_stream() -> None:
    def tokens(prompt: str) -> Iterator[str]:
        yield prompt

    assert output_schema(tokens) == {
        "type": "array",
        "items": {"type": "string"},
        "x-cog-array-type": "iterator",
        "x-cog-array-display": "concatenate",
        "title": "Output",
    }
    assert openapi_schema(tokens)["components"]["schemas"]["Input"]["required"] == ["prompt"]


def test_output_schema_of_files() -> None:
    def images() -> list[Path]:
        return []

    assert output_schema(images) == {
        "type": "array",
        "items": {"type": "string", "format": "uri"},
        "title": "Output",
    }
    assert json.dumps(openapi_schema(images))  # JSON all the way down
