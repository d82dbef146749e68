"""Property tests of the file-input walker, the strategies and the multipart upload body."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import pytest

hypothesis = pytest.importorskip("hypothesis")  # a dev dependency
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from replicate import _file_output, _files  # noqa: E402
from replicate.client import Client  # noqa: E402
from replicate.helpers import encode_json  # noqa: E402
from replicate.testing._resources_files import parse_multipart  # noqa: E402

BASE = "https://api.replicate.com/v1"


class Blob:
    """A file leaf in a generated input; ``make()`` builds a fresh object of its kind."""

    def __init__(self, data: bytes, kind: str) -> None:
        self.data, self.kind = data, kind

    def make(self) -> Any:
        if self.kind == "bytes":
            return self.data
        if self.kind == "bytearray":
            return bytearray(self.data)
        if self.kind == "memoryview":
            return memoryview(self.data)
        buffer = io.BytesIO(self.data)
        buffer.seek(len(self.data) // 2)  # sent from the start wherever it was left
        return buffer

    def __repr__(self) -> str:
        return f"Blob({self.data!r}, {self.kind!r})"


blobs = st.builds(
    Blob, st.binary(max_size=64), st.sampled_from(["bytes", "bytearray", "memoryview", "io"])
)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
inputs = st.recursive(
    scalars | blobs,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children, children)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def build(template: Any) -> Any:
    """The input a user would pass: each Blob made into its file object."""
    if isinstance(template, Blob):
        return template.make()
    if isinstance(template, dict):
        return {key: build(value) for key, value in template.items()}
    if isinstance(template, list | tuple):
        return type(template)(build(value) for value in template)
    return template


def expected(template: Any, encode: Any) -> Any:
    """What encode_json must give: tuples as lists, each file as ``encode(blob)``."""
    if isinstance(template, Blob):
        return encode(template)
    if isinstance(template, dict):
        return {key: expected(value, encode) for key, value in template.items()}
    if isinstance(template, list | tuple):
        return [expected(value, encode) for value in template]
    return template


def blobs_in(template: Any) -> list[Blob]:
    found: list[Blob] = []
    expected(template, lambda blob: found.append(blob))
    return found


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected request: {request.method} {request.url}")


@settings(max_examples=150, deadline=None)
@given(inputs)
def test_base64_keeps_the_shape_and_inlines_every_file(template: Any) -> None:
    client = Client("r8_test", base_url=BASE, transport=httpx.MockTransport(no_network))
    encoded = encode_json(build(template), client, "base64")
    assert encoded == expected(
        template,
        lambda blob: "data:application/octet-stream;base64," + base64.b64encode(blob.data).decode(),
    )


@settings(max_examples=100, deadline=None)
@given(inputs)
def test_url_uploads_every_file_once_in_order(template: Any) -> None:
    uploaded: list[bytes] = []

    def upload(request: httpx.Request) -> httpx.Response:
        boundary = request.headers["content-type"].split("boundary=", 1)[1]
        parts = {part.name: part for part in parse_multipart(request.read(), boundary)}
        uploaded.append(parts["content"].data)
        url = f"{BASE}/files/{len(uploaded)}"
        return httpx.Response(201, json={"id": str(len(uploaded)), "urls": {"get": url}})

    client = Client("r8_test", base_url=BASE, transport=httpx.MockTransport(upload))
    encoded = encode_json(build(template), client, "url")
    files = blobs_in(template)
    assert uploaded == [blob.data for blob in files]
    numbers = iter(range(1, len(files) + 1))
    assert encoded == expected(template, lambda blob: f"{BASE}/files/{next(numbers)}")


@given(st.integers(min_value=0, max_value=2 * _files.MAX_FILE_SIZE))
def test_auto_inlines_exactly_the_small_files(size: int) -> None:
    assert _files.inline("auto", size) == (size <= _files.INLINE_LIMIT)
    assert _files.inline("base64", size) and not _files.inline("url", size)


@given(st.text(min_size=0, max_size=400))
def test_filenames_fit_the_api(name: str) -> None:
    clipped = _files.clip_filename(name)
    assert clipped and "/" not in clipped and "\\" not in clipped
    assert len(clipped.encode()) <= _file_output.MAX_FILENAME_BYTES
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if base and len(base.encode()) <= _file_output.MAX_FILENAME_BYTES:
        assert clipped == base
    stem, dot, suffix = base.rpartition(".")
    if dot and stem and 0 < len(suffix.encode()) <= 16 and "." not in suffix:
        assert clipped.endswith("." + suffix)


@settings(max_examples=150, deadline=None)
@given(
    data=st.binary(max_size=3000),
    name=st.text(min_size=1, max_size=80),
    content_type=st.sampled_from(["image/png", "application/octet-stream", "text/plain"]),
)
def test_the_upload_body_carries_the_file_and_its_name_exactly(
    data: bytes, name: str, content_type: str
) -> None:
    found = _files.file_input(data, "x", filename=name, content_type=content_type)
    assert found is not None
    _files.measure(found)
    parts = [
        ("content", (found.filename, found.source, content_type)),
        ("filename", (None, found.filename.encode(), "text/plain")),
        ("type", (None, content_type.encode(), "text/plain")),
    ]
    upload = _files.MultipartUpload(parts, found)
    body = b"".join(upload.chunks())
    assert len(body) == upload.length == int(upload.headers["Content-Length"])
    assert b"".join(upload.chunks()) == body  # a second pass (a retry) sends the same bytes
    parsed = {part.name: part for part in parse_multipart(body, upload.boundary)}
    assert parsed["content"].data == data
    assert parsed["content"].content_type == content_type
    assert parsed["filename"].data.decode() == found.filename
    assert parsed["type"].data == content_type.encode()
