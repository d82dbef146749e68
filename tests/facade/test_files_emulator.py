"""File inputs over real sockets: every create path sends files, which the model receives.

The emulator runs a model whose ``Path`` parameter gets the uploaded file (or the data URI)
as a local file; it answers with the size and SHA-256 of what it received.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from replicate.client import Client
from replicate.helpers import FileTooLargeError, async_encode_json
from replicate.testing import Emulator

MIB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64


def inspect_file(file: Path) -> dict[str, Any]:
    """Tells what it received."""
    data = file.read_bytes()
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        model = emulator.register("me/inspect", inspect_file)
        emulator.register("me/inspect-official", inspect_file, official=True)
        emulator.register("me/trained", inspect_file)
        client = Client(emulator.api_token, base_url=emulator.base_url)
        client.deployments.create(
            name="inspect-prod",
            model="me/inspect",
            version=str(model.version_id),
            hardware="cpu",
            min_instances=0,
            max_instances=1,
        )
        client.close()
        yield emulator


@pytest.fixture
def live(emu: Emulator) -> Client:
    return Client(emu.api_token, base_url=emu.base_url)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    path.write_bytes(PNG)
    return path


def version_of(emu: Emulator) -> str:
    return str(emu.app.store.models["me/inspect"].versions[-1].id)


CREATE_PATHS = ["predictions", "model predictions", "deployment predictions", "trainings"]


def create(call: Any, client: Client, emu: Emulator, path: str, input: Any, strategy: str) -> Any:
    """Create through one of the four paths; the prediction (or training) as created."""
    options = {"file_encoding_strategy": strategy}
    if path == "predictions":
        return call(
            client.predictions, "create", version=version_of(emu), input=input, wait=True, **options
        )
    if path == "model predictions":
        return call(
            client.models.predictions, "create", "me/inspect-official", input, wait=True, **options
        )
    if path == "deployment predictions":
        deployments = client.deployments.predictions
        return call(deployments, "create", "emulator/inspect-prod", input, wait=True, **options)
    return call(
        client.trainings,
        "create",
        model="me/inspect",
        version=version_of(emu),
        input=input,
        destination="me/trained",
        **options,
    )


@pytest.mark.parametrize("strategy", ["url", "base64", "auto"])
@pytest.mark.parametrize("path", CREATE_PATHS)
def test_every_create_path_sends_file_inputs(
    emu: Emulator, live: Client, call: Any, photo: Path, path: str, strategy: str
) -> None:
    created = create(call, live, emu, path, {"file": photo}, strategy)
    sent = created.input["file"]
    if strategy == "url":
        assert sent.startswith(f"{emu.base_url}/files/")
        uploaded = live.files.get(sent.rsplit("/", 1)[1])
        assert (uploaded.name, uploaded.content_type, uploaded.size) == (
            "photo.png",
            "image/png",
            len(PNG),
        )
    else:  # a small file: inline for "auto" too
        assert sent.startswith("data:image/png;base64,")
    if path == "trainings":  # the emulator's trainer takes any input: check what it got
        assert emu.app.runs.read_url(sent) == PNG
    else:
        assert created.status == "succeeded", created.error
        assert created.output == {"size": len(PNG), "sha256": hashlib.sha256(PNG).hexdigest()}


def test_auto_uploads_a_large_file_and_the_model_gets_it_whole(
    emu: Emulator, live: Client, call: Any, tmp_path: Path
) -> None:
    data = bytes(range(256)) * (4 * 4096)  # 4 MiB
    path = tmp_path / "weights.bin"
    path.write_bytes(data)
    created = create(call, live, emu, "predictions", {"file": path}, "auto")
    assert created.input["file"].startswith(f"{emu.base_url}/files/")
    assert created.output == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_a_file_over_100_mib_reaches_nothing(
    emu: Emulator, live: Client, call: Any, photo: Path, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as file:
        file.truncate(100 * MIB + 1)
    store = emu.app.store
    before = (len(store.files), len(store.predictions))
    with pytest.raises(FileTooLargeError, match=r"input\[.more.\]\[0\]"):
        create(call, live, emu, "predictions", {"file": photo, "more": [huge]}, "url")
    with pytest.raises(FileTooLargeError):
        call(live.files, "create", huge)
    assert (len(store.files), len(store.predictions)) == before


def test_a_slow_upload_is_not_cut_by_the_read_timeout(
    emu: Emulator, call: Any, tmp_path: Path
) -> None:
    data = b"\x07" * (3 * MIB)
    path = tmp_path / "slow.bin"
    path.write_bytes(data)
    emu.faults.add("POST /v1/files", delay=0.5)
    impatient = Client(emu.api_token, base_url=emu.base_url, timeout=0.2)
    uploaded = call(impatient.files, "create", path)
    assert uploaded.size == len(data) and uploaded.name == "slow.bin"
    assert emu.faults.history[-1].kind == "delay"
    assert not emu.faults.pending


def test_the_event_loop_runs_on_during_a_slow_upload(emu: Emulator, tmp_path: Path) -> None:
    data = b"\x01" * (8 * MIB)
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    emu.faults.add("POST /v1/files", delay=0.4)
    client = Client(emu.api_token, base_url=emu.base_url)

    async def upload_while_ticking() -> tuple[Any, int]:
        ticks = 0
        done = asyncio.Event()

        async def tick() -> None:
            nonlocal ticks
            while not done.is_set():
                await asyncio.sleep(0.01)
                ticks += 1

        ticker = asyncio.create_task(tick())
        encoded = await async_encode_json({"file": path}, client, "auto")
        done.set()
        await ticker
        await client.aclose()
        return encoded, ticks

    encoded, ticks = asyncio.run(upload_while_ticking())
    assert ticks >= 15  # about 40 in 0.4 s: the loop was never held
    assert emu.app.runs.read_url(encoded["file"]) == data
