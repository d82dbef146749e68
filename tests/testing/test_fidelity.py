"""The emulator answers with the shapes of the real API: keys, types, nulls and status codes.

Each fixture in ``tests/fixtures/recorded_shapes`` is a response written by hand from the
spec and from what recorded traffic shows (``API-FACTS``), with real-looking values: no copied
recording. Beside it here, a scenario makes the emulator give the same kind of response; the
test compares the two by shape, not by value:

- every key present in one is present in the other, at every depth;
- each value has the same kind: ``null``, ``boolean``, ``integer``, ``number``, ``array``,
  ``object``, or a string that is a ``timestamp``, a ``url``, a ``data-uri``, ``hex`` (32 or
  more hex digits: version ids, checksums) or any other ``string``;
- an array's items each have the shape of the fixture's first item;
- the status code is the fixture's ``status``.

A fixture may also give ``patterns`` (JSON pointer -> regular expression the value matches),
``lengths`` (pointer -> an array's length), ``any`` (pointers where only the kind of value is
compared: inputs, which differ by model), ``keys_only`` (pointers where only the keys are
compared, except for children the fixture writes out in full, i.e. not as ``{}``), and
``options`` (the emulator's, e.g. ``real_deviations``).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from replicate.testing._app import EmulatorApp
from replicate.testing._models import HELLO_WORLD_VERSION, EmulatedModel
from replicate.testing._state import Options

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "recorded_shapes"
TOKEN = "r8_emulator_token"
HELLO = f"replicate/hello-world:{HELLO_WORLD_VERSION}"

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
HEX = re.compile(r"^[0-9a-f]{32,}$")


# -- shapes ------------------------------------------------------------------------------------


def kind(value: Any) -> str:
    """The kind of a JSON value, telling apart the strings clients read differently."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if TIMESTAMP.match(value):
        return "timestamp"
    if value.startswith(("https://", "http://")):
        return "url"
    if value.startswith("data:"):
        return "data-uri"
    return "hex" if HEX.match(value) else "string"


def base_kind(value: Any) -> str:
    """The kind as JSON itself tells it (every string a string)."""
    found = kind(value)
    return "string" if isinstance(value, str) else found


def differences(
    recorded: Any, actual: Any, fixture: dict[str, Any], at: str = "", rule: str = ""
) -> list[str]:
    """How ``actual`` differs in shape from ``recorded``: one line per difference.

    ``at`` is where in ``actual``; ``rule``, where in the fixture (its arrays' first item), to
    look up the fixture's ``patterns``, ``lengths``, ``any`` and ``keys_only``.
    """
    where = at or "/"
    if rule in fixture.get("any", ()):
        same = base_kind(recorded) == base_kind(actual)
        return [] if same else [f"{where}: {base_kind(actual)}, recorded {base_kind(recorded)}"]
    if kind(recorded) != kind(actual):
        return [f"{where}: {kind(actual)} {actual!r:.80}, recorded {kind(recorded)}"]
    found: list[str] = []
    pattern = fixture.get("patterns", {}).get(rule)
    if pattern and not re.search(pattern, actual):
        found.append(f"{where}: {actual!r} does not match {pattern}")
    if isinstance(recorded, dict):
        missing = sorted(set(recorded) - set(actual))
        extra = sorted(set(actual) - set(recorded))
        found += [f"{where}: no {key!r}, which recorded responses have" for key in missing]
        found += [f"{where}: {key!r}, which recorded responses do not have" for key in extra]
        for key in sorted(set(recorded) & set(actual)):
            if rule in fixture.get("keys_only", ()) and recorded[key] == {}:
                continue
            found += differences(
                recorded[key], actual[key], fixture, f"{at}/{key}", f"{rule}/{key}"
            )
    elif isinstance(recorded, list):
        length = fixture.get("lengths", {}).get(rule)
        if length is not None and len(actual) != length:
            found.append(f"{where}: {len(actual)} items, recorded {length}")
        if recorded:
            for index, item in enumerate(actual):
                found += differences(recorded[0], item, fixture, f"{at}/{index}", f"{rule}/0")
    return found


def test_differences_name_what_differs() -> None:
    recorded = {"logs": None, "urls": {"get": "https://a/b"}, "n": 1, "at": "2024-01-01T00:00:00Z"}
    actual = {"logs": "", "urls": {"get": "https://a/b", "web": "https://c"}, "n": 1.5}
    assert differences(recorded, actual, {}) == [
        "/: no 'at', which recorded responses have",
        "/logs: string '', recorded null",
        "/n: number 1.5, recorded integer",
        "/urls: 'web', which recorded responses do not have",
    ]
    assert kind("5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa") == "hex"
    assert kind("dp-e4f2a09c8b3d47d1a5c61e0f9b27d3c8") == "string"
    assert kind("2024-09-12T14:03:47.601928553Z") == kind("2024-09-12T14:03:47Z") == "timestamp"


# -- the scenarios -----------------------------------------------------------------------------

Scenario = Callable[[httpx.AsyncClient, EmulatorApp], Awaitable[httpx.Response]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(function: Scenario) -> Scenario:
    """The scenario of the fixture named like the function."""
    SCENARIOS[function.__name__] = function
    return function


async def until(client: httpx.AsyncClient, prediction_id: str, *statuses: str) -> None:
    for _ in range(500):
        status = (await client.get(f"/predictions/{prediction_id}")).json()["status"]
        if status in statuses:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{prediction_id} never reached {statuses}")


@scenario
async def prediction_created_starting(
    client: httpx.AsyncClient, app: EmulatorApp
) -> httpx.Response:
    return await client.post("/predictions", json={"version": HELLO, "input": {"text": "Alice"}})


@scenario
async def prediction_created_streaming(
    client: httpx.AsyncClient, app: EmulatorApp
) -> httpx.Response:
    body = {"input": {"prompt": "Write a haiku about foxes", "max_tokens": 8}}
    return await client.post("/models/replicate/language-model/predictions", json=body)


@scenario
async def prediction_succeeded_waited(
    client: httpx.AsyncClient, app: EmulatorApp
) -> httpx.Response:
    body = {"version": HELLO, "input": {"text": "Alice"}}
    return await client.post("/predictions", json=body, headers={"Prefer": "wait"})


@scenario
async def prediction_language_model_succeeded(
    client: httpx.AsyncClient, app: EmulatorApp
) -> httpx.Response:
    body = {"input": {"prompt": "Write a haiku about foxes", "max_tokens": 5}}
    created = await client.post(
        "/models/replicate/language-model/predictions", json=body, headers={"Prefer": "wait"}
    )
    return await client.get(f"/predictions/{created.json()['id']}")


@scenario
async def prediction_canceled(client: httpx.AsyncClient, app: EmulatorApp) -> httpx.Response:
    body = {"version": "replicate/slow", "input": {"seconds": 5, "steps": 1}}  # no log for 5 s
    created = (await client.post("/predictions", json=body)).json()
    await until(client, created["id"], "processing")
    return await client.post(f"/predictions/{created['id']}/cancel")


@scenario
async def prediction_processing(client: httpx.AsyncClient, app: EmulatorApp) -> httpx.Response:
    body = {"version": "replicate/slow", "input": {"seconds": 5, "steps": 5}}
    created = (await client.post("/predictions", json=body)).json()
    await until(client, created["id"], "processing")
    response = await client.get(f"/predictions/{created['id']}")
    await client.post(f"/predictions/{created['id']}/cancel")
    return response


async def train(client: httpx.AsyncClient, destination: str) -> httpx.Response:
    body = {"destination": destination, "input": {"train_data": "https://example.com/data.zip"}}
    path = f"/models/replicate/hello-world/versions/{HELLO_WORLD_VERSION}/trainings"
    return await client.post(path, json=body)


@scenario
async def training_created(client: httpx.AsyncClient, app: EmulatorApp) -> httpx.Response:
    model = {"owner": "emulator", "name": "hello-trained", "visibility": "private"}
    assert (await client.post("/models", json={**model, "hardware": "cpu"})).status_code == 201
    return await train(client, "emulator/hello-trained")


@scenario
async def training_destination_missing(
    client: httpx.AsyncClient, app: EmulatorApp
) -> httpx.Response:
    return await train(client, "emulator/no-such-model")


@scenario
async def input_invalid(client: httpx.AsyncClient, app: EmulatorApp) -> httpx.Response:
    return await client.post("/predictions", json={"version": HELLO, "input": {"text": 5}})


@scenario
async def model_official(client: httpx.AsyncClient, app: EmulatorApp) -> httpx.Response:
    return await client.get("/models/replicate/language-model")


@scenario
async def model_with_links(client: httpx.AsyncClient, app: EmulatorApp) -> httpx.Response:
    return await client.get("/models/replicate/image")


@scenario
async def version_get(client: httpx.AsyncClient, app: EmulatorApp) -> httpx.Response:
    return await client.get(f"/models/replicate/hello-world/versions/{HELLO_WORLD_VERSION}")


@scenario
async def file_created(client: httpx.AsyncClient, app: EmulatorApp) -> httpx.Response:
    return await client.post(
        "/files",
        files={"content": ("mask.png", b"\x89PNG\r\n\x1a\n", "image/png")},
        data={"metadata": json.dumps({"customer_reference_id": 123})},
    )


def upscaler(image: Path, scale: int = 2) -> Path:
    """Makes small images big."""
    return image


@scenario
async def models_page(client: httpx.AsyncClient, app: EmulatorApp) -> httpx.Response:
    for index in range(30):
        app.add_model(EmulatedModel("acme", f"upscaler-{index}", upscaler, "Makes images big"))
    return await client.get("/models")


@scenario
async def prediction_waited_processing(
    client: httpx.AsyncClient, app: EmulatorApp
) -> httpx.Response:
    body = {"version": "replicate/image", "input": {"prompt": "a fox in the snow"}}
    return await client.post("/predictions", json=body, headers={"Prefer": "wait"})


# -- the tests ---------------------------------------------------------------------------------


def fixtures() -> list[str]:
    return sorted(path.stem for path in FIXTURES.glob("*.json"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


Connect = Callable[[Options], AbstractAsyncContextManager[tuple[httpx.AsyncClient, EmulatorApp]]]


@pytest.fixture
def connect() -> Iterator[Connect]:
    """Connects to a new in-process emulator with the options given."""
    apps: list[EmulatorApp] = []

    @asynccontextmanager
    async def connected(options: Options) -> AsyncIterator[tuple[httpx.AsyncClient, EmulatorApp]]:
        app = EmulatorApp(options, tokens_per_second=1000)
        apps.append(app)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app.asgi),
            base_url="http://api.emulator.test/v1",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as client:
            yield client, app

    yield connected
    for app in apps:
        app.engine.close()


def test_every_fixture_has_a_scenario() -> None:
    assert fixtures() == sorted(SCENARIOS)


@pytest.mark.anyio
@pytest.mark.parametrize("name", fixtures())
async def test_the_emulator_answers_with_the_recorded_shape(name: str, connect: Connect) -> None:
    fixture = json.loads((FIXTURES / f"{name}.json").read_text())
    async with connect(Options(**fixture.get("options", {}))) as (client, app):
        response = await SCENARIOS[name](client, app)
    assert response.status_code == fixture["status"], response.text
    found = differences(fixture["body"], response.json(), fixture)
    assert not found, f"{fixture['about']}:\n" + "\n".join(found)


def moments(shown: dict[str, Any]) -> list[datetime]:
    return [datetime.fromisoformat(shown[key]) for key in TIMES]


TIMES = ("created_at", "started_at", "completed_at")


@pytest.mark.anyio
async def test_timestamps_carry_0_to_9_fractional_digits_with_real_deviations(
    connect: Connect,
) -> None:
    body = {"version": HELLO, "input": {"text": "a"}}
    digits: set[int] = set()
    async with connect(Options(real_deviations=True)) as (client, _):
        for _ in range(20):
            created = (await client.post("/predictions", json=body)).json()
            await until(client, created["id"], "succeeded")
            shown = (await client.get(f"/predictions/{created['id']}")).json()
            digits |= {len(shown[key].removesuffix("Z").partition(".")[2]) for key in TIMES}
            assert moments(shown) == sorted(moments(shown))  # still in order
    assert min(digits) < 3 and max(digits) > 6  # some to the second or so, some to the ns
    async with connect(Options()) as (client, _):
        shown = (await client.post("/predictions", json=body, headers={"Prefer": "wait"})).json()
    assert {len(shown[key].removesuffix("Z").partition(".")[2]) for key in TIMES} == {6}
