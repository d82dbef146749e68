"""File outputs: lazy, streamed, saved to disk, and never given the API token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from facade_tools import BASE, TOKEN

from replicate.client import Client
from replicate.exceptions import NotFoundError
from replicate.helpers import FileOutput, transform_output
from replicate.testing import Emulator, OutputFile, png

DELIVERY = "https://replicate.delivery/xezq/abc123/out-0.png"
DOWNLOAD = f"{BASE}/files/f1/download?owner=acme&expiry=1&signature=s"
CONTENT = bytes(range(256)) * 256  # 64 KiB, sent in 16 chunks


class FileHost:
    """A delivery host (and an API download link that redirects to it); records requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.fail_after: int | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = str(request.url)
        if url == DOWNLOAD:
            return httpx.Response(302, headers={"location": DELIVERY})
        if url == DELIVERY:
            headers = {"content-type": "image/png", "content-length": str(len(CONTENT))}
            return httpx.Response(200, stream=Chunks(self.fail_after), headers=headers)
        return httpx.Response(404, json={"title": "Not found", "status": 404})


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """CONTENT in 16 chunks, failing after ``fail_after`` of them when set."""

    def __init__(self, fail_after: int | None) -> None:
        self.fail_after = fail_after

    def __iter__(self) -> Iterator[bytes]:
        for index in range(16):
            if self.fail_after is not None and index >= self.fail_after:
                raise httpx.ReadError("connection reset by peer")
            yield CONTENT[index * 4096 : (index + 1) * 4096]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self:
            yield chunk


@pytest.fixture
def host() -> FileHost:
    return FileHost()


@pytest.fixture
def files_client(host: FileHost) -> Client:
    return Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(host))


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def collect(output: FileOutput) -> list[bytes]:
    return [chunk async for chunk in output]


# -- laziness and wrapping --------------------------------------------------------------------


def test_transform_output_wraps_file_urls_and_downloads_nothing(
    files_client: Client, host: FileHost
) -> None:
    value = {"images": [DELIVERY, "data:text/plain,hi"], "caption": "a fox", "n": 2}
    wrapped = transform_output(value, files_client)
    assert isinstance(wrapped["images"][0], FileOutput) and wrapped["images"][0].url == DELIVERY
    assert isinstance(wrapped["images"][1], FileOutput)
    assert wrapped["caption"] == "a fox" and wrapped["n"] == 2
    assert str(wrapped["images"][0]) == DELIVERY
    assert not host.requests


def test_http_urls_are_files_only_when_the_api_itself_is_local() -> None:
    remote = Client(TOKEN, base_url=BASE)
    local = Client(TOKEN, base_url="http://127.0.0.1:8080")
    assert transform_output("http://example.com/a.png", remote) == "http://example.com/a.png"
    assert isinstance(transform_output("http://127.0.0.1:9/a.png", local), FileOutput)


# -- reading --------------------------------------------------------------------------------


def test_read_and_iterate_sync_and_async(files_client: Client, host: FileHost) -> None:
    output = FileOutput(DELIVERY, files_client)
    assert output.read() == CONTENT
    chunks = list(output)
    assert len(chunks) > 1 and b"".join(chunks) == CONTENT
    assert run(output.aread()) == CONTENT
    chunks = run(collect(output))
    assert len(chunks) > 1 and b"".join(chunks) == CONTENT
    assert len(host.requests) == 4  # one download per read: nothing cached in memory


def test_data_uris_decode_locally(files_client: Client, host: FileHost, tmp_path: Path) -> None:
    encoded = FileOutput("data:image/png;base64,iVBORw0KGgo=", files_client)
    assert encoded.read() == b"\x89PNG\r\n\x1a\n"
    assert list(encoded) == [b"\x89PNG\r\n\x1a\n"]
    assert run(encoded.aread()) == b"\x89PNG\r\n\x1a\n"
    assert encoded.filename == "output.png"
    assert encoded.save(tmp_path).read_bytes() == b"\x89PNG\r\n\x1a\n"
    plain = FileOutput("data:,hello%20world", files_client)
    assert plain.read() == b"hello world" and run(collect(plain)) == [b"hello world"]
    assert not host.requests


def test_a_missing_file_raises_a_typed_error(files_client: Client) -> None:
    missing = FileOutput("https://replicate.delivery/gone.png", files_client)
    with pytest.raises(NotFoundError):
        missing.read()
    with pytest.raises(NotFoundError):
        run(missing.aread())


# -- saving ---------------------------------------------------------------------------------


def test_save_streams_to_a_file_or_into_a_folder(files_client: Client, tmp_path: Path) -> None:
    output = FileOutput(DELIVERY, files_client)
    assert output.save(tmp_path / "fox.png") == tmp_path / "fox.png"
    assert (tmp_path / "fox.png").read_bytes() == CONTENT
    assert output.save(tmp_path) == tmp_path / "out-0.png"
    assert run(output.asave(str(tmp_path / "async.png"))) == tmp_path / "async.png"
    assert (tmp_path / "async.png").read_bytes() == CONTENT
    (tmp_path / "sub").mkdir()
    assert run(output.asave(tmp_path / "sub")).read_bytes() == CONTENT
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "async.png",
        "fox.png",
        "out-0.png",
        "sub",
    ]


def test_a_failed_save_leaves_no_partial_file(
    files_client: Client, host: FileHost, tmp_path: Path
) -> None:
    output = FileOutput(DELIVERY, files_client)
    target = tmp_path / "fox.png"
    target.write_bytes(b"the previous version")
    host.fail_after = 3
    with pytest.raises(httpx.ReadError):
        output.save(target)
    with pytest.raises(httpx.ReadError):
        run(output.asave(target))
    with pytest.raises(NotFoundError):
        FileOutput("https://replicate.delivery/gone.png", files_client).save(target)
    assert [p.name for p in tmp_path.iterdir()] == ["fox.png"]
    assert target.read_bytes() == b"the previous version"  # untouched, not half-overwritten


# -- the token ------------------------------------------------------------------------------


def test_the_token_goes_to_the_api_origin_only(files_client: Client, host: FileHost) -> None:
    FileOutput(DELIVERY, files_client).read()
    run(FileOutput(DELIVERY, files_client).aread())
    assert [r.headers.get("authorization") for r in host.requests] == [None, None]

    # a download link on the API's origin gets it; the delivery host it redirects to does not
    host.requests.clear()
    assert FileOutput(DOWNLOAD, files_client).read() == CONTENT
    api_request, delivery_request = host.requests
    assert api_request.headers["authorization"] == f"Bearer {TOKEN}"
    assert "authorization" not in delivery_request.headers


def test_a_token_set_by_hand_in_default_headers_is_not_sent_to_file_hosts(host: FileHost) -> None:
    client = Client(
        base_url=BASE,
        headers={"Authorization": "Bearer r8_set_by_hand"},
        transport=httpx.MockTransport(host),
    )
    FileOutput(DELIVERY, client).read()
    run(FileOutput(DELIVERY, client).aread())
    assert all("authorization" not in request.headers for request in host.requests)


# -- over real sockets: the emulator's delivery host is a second origin ------------------------


class Recorder(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Real HTTP transports that record each request's URL and headers."""

    def __init__(self) -> None:
        self.sync, self.async_ = httpx.HTTPTransport(), httpx.AsyncHTTPTransport()
        self.seen: list[tuple[httpx.URL, httpx.Headers]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url, request.headers.copy()))
        return self.sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url, request.headers.copy()))
        return await self.async_.handle_async_request(request)


def images(count: int = 2) -> list[OutputFile]:
    """Makes PNG images."""
    return [OutputFile(png(32, 32, seed), f"out-{seed}.png", "image/png") for seed in range(count)]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        emulator.register("me/images", images)
        yield emulator


def test_outputs_from_the_emulator_download_without_the_token(
    emu: Emulator, tmp_path: Path
) -> None:
    recorder = Recorder()
    client = Client(emu.api_token, base_url=emu.base_url, transport=recorder)
    prediction = client.predictions.create(model="me/images", input={"count": 2}, wait=True)
    outputs = transform_output(prediction.output, client)
    assert [o.url.startswith(emu.delivery_url) for o in outputs] == [True, True]
    assert all(url.port != httpx.URL(emu.delivery_url).port for url, _ in recorder.seen)

    assert outputs[0].read() == png(32, 32, 0)
    saved = outputs[1].save(tmp_path)
    assert saved.name == "out-1.png" and saved.read_bytes() == png(32, 32, 1)

    async def read_async() -> tuple[bytes, bytes]:  # one loop: the recorder's pool is per loop
        first = await outputs[0].aread()
        second = (await outputs[1].asave(tmp_path / "a.png")).read_bytes()
        return first, second

    assert run(read_async()) == (png(32, 32, 0), png(32, 32, 1))

    delivery_port = httpx.URL(emu.delivery_url).port
    to_api = [headers for url, headers in recorder.seen if url.port != delivery_port]
    to_delivery = [headers for url, headers in recorder.seen if url.port == delivery_port]
    assert len(to_delivery) == 4 and to_api
    assert all(headers["authorization"] == f"Bearer {emu.api_token}" for headers in to_api)
    assert all("authorization" not in headers for headers in to_delivery)
