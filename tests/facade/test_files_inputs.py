"""File inputs, at the edges: what is a file, which strategy sends it how, what is refused.

A scripted API (``httpx.MockTransport``) answers ``POST /files`` and records the multipart
bodies, which are read back with the emulator's own parser.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from facade_tools import BASE, FakeAPI

from replicate import _files
from replicate.client import Client
from replicate.exceptions import ReplicateException
from replicate.helpers import (
    FileOutput,
    FileTooLargeError,
    async_encode_json,
    base64_encode_file,
    encode_json,
)
from replicate.testing._resources_files import Part, parse_multipart

KIB = 1024
MIB = 1024 * KIB
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class Uploads:
    """``POST /files`` of the scripted API: each upload's parts, by field name."""

    def __init__(self, api: FakeAPI) -> None:
        self.forms: list[dict[str, Part]] = []
        api.add("POST", "/v1/files", self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        boundary = request.headers["content-type"].split("boundary=", 1)[1]
        body = request.read()
        assert int(request.headers["content-length"]) == len(body)
        form = {part.name: part for part in parse_multipart(body, boundary)}
        self.forms.append(form)
        number = len(self.forms)
        return httpx.Response(
            201, json={"id": f"f{number}", "urls": {"get": f"{BASE}/files/f{number}"}}
        )

    def url(self, number: int) -> str:
        return f"{BASE}/files/f{number}"


@pytest.fixture
def uploads(api: FakeAPI) -> Uploads:
    return Uploads(api)


def decode(uri: str) -> tuple[str, bytes]:
    header, _, payload = uri.partition(",")
    assert header.startswith("data:") and header.endswith(";base64")
    return header[5:-7], base64.b64decode(payload)


class Unreadable(io.RawIOBase):
    """A seekable file of a given size whose content must never be read."""

    def __init__(self, size: int) -> None:
        self.size, self.position = size, 0

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = self.size + offset if whence == io.SEEK_END else offset
        return self.position

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("the file was read")


class Pipe(io.RawIOBase):
    """A stream that cannot seek (like a pipe), serving ``data`` then ending."""

    def __init__(self, data: bytes) -> None:
        self.data, self.position, self.threads = data, 0, set[int]()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.threads.add(threading.get_ident())
        chunk = self.data[self.position : self.position + len(buffer)]
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)


class Recorded(io.BytesIO):
    """A BytesIO subclass that is not in memory as far as the encoder knows: a stand-in
    for a file on disk that records which threads read it."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name
        self.threads: set[int] = set()

    def read(self, size: int | None = -1) -> bytes:
        self.threads.add(threading.get_ident())
        return super().read(size)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.threads.add(threading.get_ident())
        return super().seek(offset, whence)


# -- what counts as a file, and where ---------------------------------------------------------


def test_every_kind_of_file_is_found_at_any_depth(client: Client, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    opened = photo.open("rb")
    opened.read(10)  # sent from its start all the same, as 1.x does
    named = io.BytesIO(b"a,b\n1,2\n")
    named.name = "table.csv"
    value = {
        "image": photo,
        "frames": [opened, (b"raw", bytearray(b"array"))],
        "nested": {"view": memoryview(b"view"), "buffer": named, "deeper": [{"x": b"\x00"}]},
        "text": "not a file: /etc/passwd",
        "numbers": (1, 2.5, None, True),
    }
    encoded = encode_json(value, client, "base64")
    opened.close()

    assert json.loads(json.dumps(encoded)) == encoded  # plain JSON
    assert decode(encoded["image"]) == ("image/png", PNG)
    assert decode(encoded["frames"][0]) == ("image/png", PNG)
    assert decode(encoded["frames"][1][0]) == ("application/octet-stream", b"raw")
    assert decode(encoded["frames"][1][1]) == ("application/octet-stream", b"array")
    assert decode(encoded["nested"]["view"])[1] == b"view"
    assert decode(encoded["nested"]["buffer"]) == ("text/csv", b"a,b\n1,2\n")
    assert decode(encoded["nested"]["deeper"][0]["x"])[1] == b"\x00"
    assert encoded["text"] == "not a file: /etc/passwd"
    assert encoded["numbers"] == [1, 2.5, None, True]


def test_a_text_mode_file_is_sent_as_utf8(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "prompt.txt"
    path.write_text("héllo", encoding="utf-8")
    with path.open(encoding="utf-8") as text:
        encoded = encode_json({"prompt": text}, client, "base64")
    assert decode(encoded["prompt"]) == ("text/plain", "héllo".encode())


def test_a_model_output_passed_on_as_input_is_its_url(client: Client) -> None:
    output = FileOutput("https://replicate.delivery/xezq/out-0.png", client)
    assert encode_json({"image": output, "more": [output]}, client) == {
        "image": output.url,
        "more": [output.url],
    }


def test_generators_and_sets_become_lists(client: Client) -> None:
    encoded = encode_json({"a": (n for n in range(3)), "b": frozenset({7})}, client)
    assert encoded == {"a": [0, 1, 2], "b": [7]}


# -- strategies -------------------------------------------------------------------------------


def test_url_uploads_with_a_filename_and_a_content_type(
    client: Client, api: FakeAPI, uploads: Uploads, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    named = io.BytesIO(b"{}")
    named.name = "/somewhere/config.json"
    encoded = encode_json({"image": photo, "raw": b"\x01\x02", "config": named}, client, "url")
    assert encoded == {"image": uploads.url(1), "raw": uploads.url(2), "config": uploads.url(3)}

    image, raw, config = uploads.forms
    assert (image["content"].filename, image["content"].content_type) == ("photo.png", "image/png")
    assert image["content"].data == PNG
    assert image["filename"].data == b"photo.png" and image["type"].data == b"image/png"
    assert raw["content"].filename == "file" and raw["type"].data == b"application/octet-stream"
    assert raw["content"].data == b"\x01\x02"
    assert config["filename"].data == b"config.json" and config["type"].data == b"application/json"
    assert all(request.headers["authorization"] for request in api.requests)


def test_url_is_the_default_strategy_as_in_1x(client: Client, uploads: Uploads) -> None:
    assert encode_json({"x": b"small"}, client) == {"x": uploads.url(1)}


def test_auto_inlines_up_to_256_kib_and_uploads_beyond(client: Client, uploads: Uploads) -> None:
    at_limit = b"a" * (256 * KIB)
    over = b"b" * (256 * KIB + 1)
    encoded = encode_json({"small": at_limit, "large": over}, client, "auto")
    assert decode(encoded["small"])[1] == at_limit
    assert encoded["large"] == uploads.url(1)
    assert uploads.forms[0]["content"].data == over


def test_an_unknown_strategy_is_refused(client: Client, api: FakeAPI) -> None:
    with pytest.raises(ValueError, match="file_encoding_strategy"):
        encode_json({"x": b"1"}, client, "inline")  # type: ignore[arg-type]
    assert not api.requests


def test_a_long_filename_is_cut_to_255_bytes_keeping_its_extension(
    client: Client, uploads: Uploads
) -> None:
    named = io.BytesIO(b"data")
    named.name = "é" * 200 + ".png"
    encode_json({"x": named}, client)
    name = uploads.forms[0]["filename"].data.decode()
    assert len(name.encode()) <= 255 and name.endswith("é.png")
    assert uploads.forms[0]["type"].data == b"image/png"


def test_an_upload_retried_after_a_429_sends_the_same_bytes(
    client: Client, api: FakeAPI, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    seen: list[bytes] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request.read())
        if len(seen) == 1:
            return httpx.Response(429, headers={"retry-after": "0"}, json={"status": 429})
        return httpx.Response(201, json={"id": "f1", "urls": {"get": f"{BASE}/files/f1"}})

    api.add("POST", "/v1/files", reply)
    assert encode_json({"image": photo}, client) == {"image": f"{BASE}/files/f1"}
    assert len(seen) == 2 and seen[0] == seen[1] and PNG in seen[0]


# -- the size limit ---------------------------------------------------------------------------


def test_over_100_mib_fails_before_any_upload_or_read(
    client: Client, api: FakeAPI, uploads: Uploads, tmp_path: Path
) -> None:
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as file:
        file.truncate(100 * MIB + 1)  # sparse: takes no disk space
    value = {"first": b"small, and would be uploaded first", "second": [huge]}
    with pytest.raises(FileTooLargeError) as raised:
        encode_json(value, client, "url")
    assert raised.value.where == "input['second'][0]" and raised.value.size == 100 * MIB + 1
    assert "104,857,601 bytes" in str(raised.value)
    assert isinstance(raised.value, ReplicateException) and isinstance(raised.value, ValueError)
    assert not api.requests  # not even the small one

    with pytest.raises(FileTooLargeError):
        encode_json({"x": Unreadable(100 * MIB + 1)}, client, "base64")
    with pytest.raises(FileTooLargeError):
        client.files.create(Unreadable(200 * MIB))
    assert not api.requests

    exactly = tmp_path / "exactly.bin"
    with exactly.open("wb") as file:
        file.truncate(100 * MIB)
    found = _files.file_input(exactly, "input")
    assert found is not None
    _files.measure(found)  # at the limit: allowed
    assert found.size == 100 * MIB


def test_a_stream_of_unknown_size_is_read_up_to_the_limit(client: Client, uploads: Uploads) -> None:
    found = _files.file_input(Pipe(b"x" * 5000), "input['audio']")
    assert found is not None
    with pytest.raises(FileTooLargeError, match=r"input\['audio'\]") as raised:
        _files.measure(found, limit=4096)
    assert raised.value.size is None

    pipe = Pipe(b"streamed bytes")
    assert encode_json({"audio": pipe}, client) == {"audio": uploads.url(1)}
    assert uploads.forms[0]["content"].data == b"streamed bytes"


def test_a_closed_file_says_so(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"a")
    opened = path.open("rb")
    opened.close()
    with pytest.raises(ValueError, match="closed"):
        encode_json({"x": opened}, client)


def test_base64_encode_file_keeps_its_1x_behaviour() -> None:
    named = io.BytesIO(b"hello")
    named.name = "greeting.txt"
    named.read()
    assert base64_encode_file(named) == "data:text/plain;base64,aGVsbG8="
    assert base64_encode_file(io.BytesIO(b"")) == "data:application/octet-stream;base64,"


def test_files_create_accepts_paths_files_and_bytes(
    client: Client, uploads: Uploads, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    client.files.create(str(photo), metadata={"customer": 42})
    client.files.create(b"bytes", filename="notes.md")
    client.files.create(io.BytesIO(b"x"), content_type="image/webp")
    first, second, third = uploads.forms
    assert first["filename"].data == b"photo.png" and json.loads(first["metadata"].data) == {
        "customer": 42
    }
    assert second["filename"].data == b"notes.md" and second["type"].data == b"text/markdown"
    assert third["type"].data == b"image/webp"
    with pytest.raises(ValueError, match="Unsupported file type"):
        client.files.create(12)  # type: ignore[arg-type]


# -- async: the same, with reads in a worker thread ---------------------------------------------


def test_async_encoding_matches_sync(client: Client, uploads: Uploads, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)
    value = {"image": photo, "small": b"tiny", "list": [io.BytesIO(b"b" * (300 * KIB))]}
    encoded = asyncio.run(async_encode_json(value, client, "auto"))
    assert decode(encoded["image"]) == ("image/png", PNG)
    assert decode(encoded["small"])[1] == b"tiny"
    assert encoded["list"] == [uploads.url(1)]
    assert uploads.forms[0]["content"].data == b"b" * (300 * KIB)
    with pytest.raises(FileTooLargeError):
        asyncio.run(async_encode_json({"x": Unreadable(100 * MIB + 1)}, client))


def test_async_reads_files_off_the_event_loop(client: Client, uploads: Uploads) -> None:
    inline = Recorded(b"i" * 100, "small.bin")
    uploaded = Recorded(b"u" * (2 * MIB), "large.bin")
    pipe = Pipe(b"from a pipe")

    async def encode() -> tuple[Any, int]:
        encoded = await async_encode_json({"a": inline, "b": uploaded, "c": pipe}, client, "auto")
        return encoded, threading.get_ident()

    encoded, loop_thread = asyncio.run(encode())
    assert decode(encoded["a"])[1] == b"i" * 100
    assert encoded["b"] == uploads.url(1)
    assert decode(encoded["c"])[1] == b"from a pipe"
    assert uploads.forms[0]["content"].data == b"u" * (2 * MIB)
    for file in (inline, uploaded, pipe):
        assert file.threads and loop_thread not in file.threads
