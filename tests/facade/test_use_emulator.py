"""``use()``: models as functions, against the emulator over real sockets, sync and async.

Every request the client sends is recorded (an httpx event hook), so that the tests can say
what a call cost: the schema fetched once, nothing created for a bad input, a chained file
passed by its URL, no token to the file host.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import pydoc
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

import replicate
from replicate.client import Client
from replicate.exceptions import (
    InvalidInputError,
    ModelError,
    ModelSchemaWarning,
    ModelVersionError,
    ModelVersionWarning,
)
from replicate.function import AsyncFunction, Function, OutputIterator, URLPath, get_path_url
from replicate.testing import HELLO_WORLD_VERSION, Emulator, OutputFile


def sizes(image: Path, unit: Literal["bytes", "kib"] = "bytes") -> str:
    """Says how big the file it is given is."""
    size = image.stat().st_size
    return f"{size} bytes" if unit == "bytes" else f"{size / 1024:.1f} KiB"


def ranged(count: int, ratio: float = 0.5, label: str = "x", flag: bool = False) -> str:
    """Echoes its typed inputs."""
    return f"{label}:{count}:{ratio}:{flag}"


def files(count: int = 2) -> dict[str, Any]:
    """Returns an object with a file and a list of files."""
    return {
        "cover": OutputFile(b"cover", "cover.txt", "text/plain"),
        "pages": [
            OutputFile(f"page {i}".encode(), f"page-{i}.txt", "text/plain") for i in range(count)
        ],
        "count": count,
    }


def numbers(count: int = 3) -> Iterator[int]:
    """Yields numbers (an iterator output that is not text)."""
    yield from range(count)


def fails(text: str = "") -> str:
    """Always fails."""
    raise RuntimeError("failed on purpose")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(tokens_per_second=2000) as emulator:
        emulator.register("tests/sizes", sizes)
        model = emulator.register("tests/ranged", ranged)
        properties = model.openapi_schema["components"]["schemas"]["Input"]["properties"]
        properties["ratio"].update(minimum=0, maximum=1)
        properties["count"].update(minimum=1)
        emulator.register("tests/files", files)
        emulator.register("tests/numbers", numbers)
        emulator.register("tests/fails", fails)
        bare = emulator.register("tests/schemaless", ranged)
        bare.openapi_schema.clear()
        bare.openapi_schema["openapi"] = "3.0.2"  # no components: no readable schema
        yield emulator


def _in_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Recorder:
    """Every request a client sent, by method and path."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def hook(self, request: httpx.Request) -> Any:
        """Records ``request``; its result is awaitable, so one hook serves sync and async
        clients (an async client awaits it, a sync one drops it)."""
        self.requests.append(request)
        return asyncio.sleep(0) if _in_loop() else None

    def calls(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def creates(self) -> int:
        return sum(
            1 for r in self.requests if r.method == "POST" and r.url.path.endswith("/predictions")
        )

    def clear(self) -> None:
        self.requests.clear()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(emu: Emulator, recorder: Recorder) -> Iterator[Client]:
    client = Client(
        api_token=emu.api_token,
        base_url=emu.base_url,
        event_hooks={"request": [recorder.hook]},
    )
    yield client
    emu.faults.clear()
    client.close()


@pytest.fixture
def aclient(client: Client) -> Client:
    """The same client: its hook serves sync and async requests."""
    return client


def call(client: Client, mode: str, ref: Any, /, **inputs: Any) -> Any:
    """``use(ref)(**inputs)``, sync or async."""
    if mode == "sync":
        return client.use(ref)(**inputs)

    async def go() -> Any:
        return await client.use(ref, use_async=True)(**inputs)

    return asyncio.run(go())


# -- running and shaping ------------------------------------------------------------------------


def test_a_model_by_name_runs_and_returns_its_output(aclient: Client, mode: str) -> None:
    assert call(aclient, mode, "replicate/hello-world", text="Alice") == "hello Alice"


def test_the_schema_is_fetched_once_then_a_call_costs_what_run_costs(
    aclient: Client, recorder: Recorder, mode: str
) -> None:
    ref = "replicate/hello-world"
    call(aclient, mode, ref, text="one")
    assert recorder.calls()[:2] == [
        "GET /v1/models/replicate/hello-world",  # the model: its latest version's schema
        "GET /v1/models/replicate/hello-world/versions",  # whether its versions can be run
    ]
    recorder.clear()
    for name in ("two", "three"):
        assert call(aclient, mode, ref, text=name) == f"hello {name}"
    used = recorder.calls()
    recorder.clear()
    # the latest version is what runs (the schema that checked the input is the one that runs)
    pinned = f"{ref}:{aclient.use(ref).version_id}"
    aclient.run(pinned, input={"text": "two"})
    aclient.run(pinned, input={"text": "three"})
    assert used == recorder.calls()  # the same requests as run(), and no schema request
    assert used == ["POST /v1/predictions", "POST /v1/predictions"]


def test_an_official_model_runs_by_name(aclient: Client, recorder: Recorder, mode: str) -> None:
    text = call(aclient, mode, "replicate/language-model", prompt="a", max_tokens=2)
    assert text == "a Replicate"
    assert "POST /v1/models/replicate/language-model/predictions" in recorder.calls()


def test_one_function_per_reference_and_options_on_a_client(client: Client) -> None:
    assert client.use("replicate/hello-world") is client.use("replicate/hello-world")
    assert client.use("replicate/hello-world") is not client.use(
        "replicate/hello-world", streaming=True
    )
    assert isinstance(client.use("replicate/hello-world", use_async=True), AsyncFunction)


def test_concurrent_first_calls_fetch_the_schema_once(aclient: Client, recorder: Recorder) -> None:
    async def go() -> list[Any]:
        fn = aclient.use("replicate/hello-world", use_async=True)
        return await asyncio.gather(*(fn(text=str(i)) for i in range(5)))

    assert asyncio.run(go()) == [f"hello {i}" for i in range(5)]
    assert recorder.calls().count("GET /v1/models/replicate/hello-world") == 1


def test_version_reference_fetches_that_version(
    aclient: Client, recorder: Recorder, mode: str
) -> None:
    ref = f"replicate/hello-world:{HELLO_WORLD_VERSION}"
    assert call(aclient, mode, ref, text="v") == "hello v"
    assert (
        f"GET /v1/models/replicate/hello-world/versions/{HELLO_WORLD_VERSION}" in recorder.calls()
    )


def test_model_and_version_objects_carry_their_schema(client: Client, recorder: Recorder) -> None:
    model = client.models.get("replicate/hello-world")
    recorder.clear()
    assert client.use(model)(text="m") == "hello m"
    assert client.use(model.latest_version)(text="v") == "hello v"
    gets = [c for c in recorder.calls() if c.startswith("GET")]
    assert gets == ["GET /v1/models/replicate/hello-world/versions"]  # only whether it has any


def test_a_bare_version_id_learns_its_schema_from_its_first_run(
    aclient: Client, recorder: Recorder, mode: str
) -> None:
    if mode == "sync":
        fn = aclient.use(HELLO_WORLD_VERSION)
        assert fn(text="first") == "hello first"  # unchecked: no model to ask before it
        with pytest.raises(InvalidInputError):
            fn(txt="second")
        assert "text: str" in repr(fn)
    else:

        async def go() -> None:
            fn = aclient.use(HELLO_WORLD_VERSION, use_async=True)
            assert await fn(text="first") == "hello first"
            with pytest.raises(InvalidInputError):
                await fn(txt="second")

        asyncio.run(go())


def test_file_outputs_are_lazy_paths_that_keep_their_url(
    aclient: Client, recorder: Recorder, emu: Emulator, mode: str
) -> None:
    images = call(aclient, mode, "replicate/image", prompt="a fox", num_outputs=2)
    assert [type(image) for image in images] == [URLPath, URLPath]
    assert all(image.url.startswith(emu.delivery_url) for image in images)
    delivery = [r for r in recorder.requests if str(r.url).startswith(emu.delivery_url)]
    assert delivery == []  # nothing fetched yet
    assert get_path_url(images[0]) == images[0].url
    with open(images[0], "rb") as file:  # downloaded now
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"
    assert Path(images[0]).is_file() and str(images[0]) == os.fspath(images[0])
    Path(images[0]).stat()
    downloads = [r for r in recorder.requests if str(r.url).startswith(emu.delivery_url)]
    assert len(downloads) == 1  # once, however often it is used
    assert "authorization" not in downloads[0].headers  # never the token to the file host
    assert all(
        r.headers["authorization"] == f"Bearer {emu.api_token}"
        for r in recorder.requests
        if not str(r.url).startswith(emu.delivery_url)
    )


def test_an_async_download_does_not_block(aclient: Client) -> None:
    async def go() -> bytes:
        [image] = await aclient.use("replicate/image", use_async=True)(prompt="x")
        path = await image.adownload()
        return path.read_bytes()

    assert asyncio.run(go()).startswith(b"\x89PNG")


def test_a_chained_file_is_passed_by_its_url(
    aclient: Client, recorder: Recorder, emu: Emulator, mode: str
) -> None:
    [image] = call(aclient, mode, "replicate/image", prompt="a fox")
    recorder.clear()
    described = call(aclient, mode, "tests/sizes", image=image)
    assert described.endswith(" bytes") and int(described.split()[0]) > 100
    creates = [r for r in recorder.requests if r.method == "POST"]
    assert image.url.encode() in creates[-1].content  # sent by its URL
    assert not [r for r in recorder.requests if str(r.url).startswith(emu.delivery_url)]
    assert not [r for r in recorder.requests if r.url.path.endswith("/files")]  # no upload


def test_local_files_and_paths_are_file_inputs(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 300)
    fn = client.use("tests/sizes")
    assert fn(image=path) == "300 bytes"
    with path.open("rb") as file:
        assert fn(image=file, unit="kib") == "0.3 KiB"
    assert fn(image=b"abc") == "3 bytes"


def test_object_outputs_are_shaped_property_by_property(aclient: Client, mode: str) -> None:
    output = call(aclient, mode, "tests/files", count=2)
    assert isinstance(output["cover"], URLPath)
    assert [type(page) for page in output["pages"]] == [URLPath, URLPath]
    assert output["count"] == 2
    assert output["pages"][1].read() == b"page 1"


def test_a_token_stream_is_its_text(aclient: Client, mode: str) -> None:
    text = call(aclient, mode, "replicate/language-model", prompt="hi there", max_tokens=4)
    assert isinstance(text, str)
    assert text == "hi there Replicate runs"


def test_other_iterator_outputs_are_lists(aclient: Client, mode: str) -> None:
    assert call(aclient, mode, "tests/numbers", count=4) == [0, 1, 2, 3]


def test_streaming_gives_tokens_as_they_come_and_str_joins_them(client: Client) -> None:
    fn = client.use("replicate/language-model", streaming=True)
    tokens = fn(prompt="hi there", max_tokens=4)
    assert isinstance(tokens, OutputIterator) and tokens.is_concatenate
    first = next(iter(tokens))
    assert first == "hi"
    assert str(tokens) == "hi there Replicate runs"
    assert list(tokens) == ["hi", " there", " Replicate", " runs"]  # again, from what was read


def test_streaming_async_iterates_and_awaits(aclient: Client) -> None:
    async def go() -> tuple[list[str], Any, str]:
        fn = aclient.use("replicate/language-model", streaming=True, use_async=True)
        tokens = await fn(prompt="a b", max_tokens=3)
        seen = [token async for token in tokens]
        return seen, await tokens, str(tokens)

    seen, whole, text = asyncio.run(go())
    assert seen == ["a", " b", " Replicate"]
    assert whole == text == "a b Replicate"


def test_streaming_a_non_text_iterator_and_a_plain_output(client: Client) -> None:
    numbers = client.use("tests/numbers", streaming=True)(count=3)
    assert isinstance(numbers, OutputIterator) and not numbers.is_concatenate
    assert list(numbers) == [0, 1, 2]
    assert client.use("replicate/hello-world", streaming=True)(text="a") == "hello a"


def test_a_failed_run_raises_model_error(aclient: Client, mode: str) -> None:
    with pytest.raises(ModelError, match="failed on purpose"):
        call(aclient, mode, "tests/fails", text="x")


# -- checking inputs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "names"),
    [
        ({"count": 1, "colour": 1}, ["unknown input 'colour'"]),
        ({}, ["missing required input 'count'"]),
        ({"count": "3"}, ["input 'count' must be an integer, not str"]),
        ({"count": True}, ["input 'count' must be an integer, not bool"]),
        ({"count": 0}, ["input 'count' must be at least 1"]),
        ({"count": 1, "ratio": 1.5}, ["input 'ratio' must be at most 1"]),
        ({"count": 1, "ratio": float("nan")}, ["input 'ratio' must be a finite number"]),
        ({"count": 1, "flag": "yes"}, ["input 'flag' must be a boolean"]),
        ({"count": 1, "label": 3}, ["input 'label' must be a string, not int"]),
    ],
)
def test_invalid_inputs_are_refused_before_anything_is_created(
    aclient: Client, recorder: Recorder, mode: str, inputs: dict[str, Any], names: list[str]
) -> None:
    call(aclient, mode, "tests/ranged", count=1)  # the schema is known
    recorder.clear()
    with pytest.raises(InvalidInputError) as raised:
        call(aclient, mode, "tests/ranged", **inputs)
    message = str(raised.value)
    for name in names:
        assert name in message
    assert "Valid inputs: count: int (required), ratio: float = 0.5" in message
    assert recorder.creates() == 0 and recorder.calls() == []


def test_enum_values_are_checked_and_listed(
    client: Client, recorder: Recorder, tmp_path: Path
) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"1")
    fn = client.use("tests/sizes")
    fn(image=path)
    recorder.clear()
    with pytest.raises(
        InvalidInputError, match="input 'unit' must be one of 'bytes', 'kib', not 'mb'"
    ):
        fn(image=path, unit="mb")
    with pytest.raises(InvalidInputError, match="input 'image' must be a file"):
        fn(image=3)
    assert recorder.calls() == []


def test_a_close_name_is_suggested(client: Client) -> None:
    with pytest.raises(InvalidInputError, match=r"unknown input 'txt' \(did you mean 'text'\?\)"):
        client.use("replicate/hello-world")(txt="x")


def test_none_leaves_an_optional_input_to_its_default(client: Client) -> None:
    assert client.use("tests/ranged")(count=2, ratio=None) == "x:2:0.5:False"


def test_a_model_without_a_readable_schema_runs_unchecked_and_warns_once(
    client: Client, recorder: Recorder
) -> None:
    fn = client.use("tests/schemaless")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fn(count=1) == "x:1:0.5:False"
        assert fn(count=2) == "x:2:0.5:False"
    schema_warnings = [w for w in caught if issubclass(w.category, ModelSchemaWarning)]
    assert len(schema_warnings) == 1
    assert "tests/schemaless" in str(schema_warnings[0].message)
    assert "no readable schema" in repr(fn)


# -- run handles --------------------------------------------------------------------------------


def test_create_returns_a_run_handle(client: Client) -> None:
    run = client.use("replicate/hello-world").create(text="Bob")
    assert run.id == run.prediction.id
    assert run.output() == "hello Bob"
    assert run.wait() == "hello Bob"
    assert isinstance(run.logs(), str | None)
    assert run.id in repr(run)


def test_create_then_cancel(client: Client) -> None:
    run = client.use("replicate/slow").create(seconds=30, steps=30)
    run.cancel()
    assert run.prediction.status == "canceled"
    assert run.wait() is None


def test_async_create_returns_a_run_handle(aclient: Client) -> None:
    async def go() -> tuple[Any, Any, str]:
        fn = aclient.use("replicate/image", use_async=True)
        run = await fn.create(prompt="fox")
        output = await run.output()
        logs = await run.logs()
        slow = await aclient.use("replicate/slow", use_async=True).create(seconds=30, steps=30)
        await slow.cancel()
        return output, logs, slow.prediction.status

    output, logs, status = asyncio.run(go())
    assert isinstance(output[0], URLPath)
    assert "1/1" in (logs or "")
    assert status == "canceled"


def test_a_streaming_run_handle_iterates(client: Client) -> None:
    run = client.use("replicate/language-model", streaming=True).create(prompt="x y", max_tokens=3)
    tokens = run.output()
    assert isinstance(tokens, OutputIterator)
    assert str(tokens) == "x y Replicate"


def test_create_checks_inputs_first(client: Client, recorder: Recorder) -> None:
    fn = client.use("replicate/hello-world")
    assert fn.openapi_schema is not None
    recorder.clear()
    with pytest.raises(InvalidInputError):
        fn.create()
    assert recorder.calls() == []


# -- description --------------------------------------------------------------------------------


def test_schema_example_repr_help_and_signature(client: Client) -> None:
    fn = client.use("tests/ranged")
    assert repr(fn) == "<Function tests/ranged (schema not fetched yet)>"
    schema = fn.openapi_schema
    assert schema is not None and "Input" in schema["components"]["schemas"]
    assert repr(fn) == (
        "<Function tests/ranged(*, count: int, ratio: float = 0.5, label: str = 'x', "
        "flag: bool = False) -> str>"
    )
    text = pydoc.render_doc(fn, renderer=pydoc.plaintext)
    assert "count: int (required)" in text and "ratio: float = 0.5" in text
    signature = inspect.signature(fn)
    assert list(signature.parameters) == ["count", "ratio", "label", "flag"]
    assert signature.parameters["ratio"].default == 0.5
    example = client.models.get("replicate/hello-world").default_example
    assert example is not None
    assert client.use("replicate/hello-world").default_example == example.input
    assert Function.__doc__ and "fn(**inputs)" in Function.__doc__  # the class keeps its own


def test_async_description(aclient: Client) -> None:
    async def go() -> tuple[Any, str, Any]:
        fn = aclient.use("tests/ranged", use_async=True)
        schema = await fn.openapi_schema()
        return schema, repr(fn), await fn.default_example()

    schema, text, example = asyncio.run(go())
    assert schema is not None and "count: int" in text
    assert example is None  # a registered model has no default example


# -- generated modules' version check --------------------------------------------------------------


def test_check_version_warns_once_or_raises(client: Client) -> None:
    fn = client.use("replicate/hello-world")
    fn.check_version(HELLO_WORLD_VERSION)  # the same version: nothing
    old = "0" * 64
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn.check_version(old)
        fn.check_version(old)
    ours = [w for w in caught if issubclass(w.category, ModelVersionWarning)]
    assert len(ours) == 1
    assert "replicate codegen replicate/hello-world" in str(ours[0].message)
    with pytest.raises(ModelVersionError, match=old):
        fn.check_version(old, error=True)


def test_module_level_use_is_the_default_clients(
    monkeypatch: pytest.MonkeyPatch, emu: Emulator
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", emu.api_token)
    monkeypatch.setenv("REPLICATE_BASE_URL", emu.base_url)
    client = Client()
    monkeypatch.setattr(replicate, "default_client", client, raising=False)
    monkeypatch.delattr(replicate, "use", raising=False)
    try:
        assert replicate.use("replicate/hello-world")(text="module") == "hello module"
    finally:
        client.close()


def test_bad_references_fail_at_once(client: Client) -> None:
    with pytest.raises(ValueError, match="Invalid reference"):
        client.use("../x")
    with pytest.raises(TypeError):
        client.use("replicate/hello-world", streaming="yes")  # type: ignore[call-overload]
