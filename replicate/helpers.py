"""Encoding model inputs and reading model outputs.

``encode_json`` turns an input into JSON. Files in it (``pathlib.Path``, open files,
``io.BytesIO``, ``bytes``, ``bytearray``, ``memoryview``; at any depth of dicts, lists and
tuples) are uploaded with ``POST /files`` and replaced by their URL (``"url"``, the default),
inlined as ``data:`` URIs (``"base64"``), or inlined when 256 KiB or less and uploaded
otherwise (``"auto"``). A file over 100 MiB raises ``FileTooLargeError`` before anything is
sent. ``async_encode_json`` reads files in a worker thread.

``transform_output`` wraps output URLs in ``FileOutput``: nothing is downloaded until asked,
downloads go through the client's own transport, and the API token is never sent to a file
host (only to the API's own origin).
"""

from __future__ import annotations

import base64
import contextlib
import io
import mimetypes
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

import httpx

from replicate import _files
from replicate._files import (
    INLINE_LIMIT,
    MAX_FILE_SIZE,
    FileEncodingStrategy,
    FileInput,
    FileTooLargeError,
)
from replicate.exceptions import ReplicateError

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = [
    "INLINE_LIMIT",
    "MAX_FILE_SIZE",
    "FileEncodingStrategy",
    "FileOutput",
    "FileTooLargeError",
    "async_encode_json",
    "base64_encode_file",
    "encode_json",
    "transform_output",
]

SAVE_BUFFER = 4 * 1024 * 1024
"""Bytes ``FileOutput.asave`` gathers before each write: each write is a hop to a worker
thread, and fewer hops keep its throughput within a few percent of writing on the loop."""


# -- inputs ---------------------------------------------------------------------------------


def encode_json(
    obj: Any,
    client: Client,
    file_encoding_strategy: FileEncodingStrategy | None = None,
) -> Any:
    """A JSON-ready copy of ``obj``, with its files uploaded (or inlined) as URLs.

    Every file is measured before the first is sent, so that one too large fails the call
    before any upload.

    Example::

        encode_json({"image": Path("photo.jpg"), "masks": [b"..."]}, client, "auto")
        # {'image': 'https://api.replicate.com/v1/files/...', 'masks': ['data:...']}
    """
    strategy = _files.check_strategy(file_encoding_strategy)
    template, files = _files.find_files(obj)
    if not files:
        return template
    for file in files:
        _files.measure(file)
    return _files.fill(template, [_encode_file(file, client, strategy) for file in files])


async def async_encode_json(
    obj: Any,
    client: Client,
    file_encoding_strategy: FileEncodingStrategy | None = None,
) -> Any:
    """A JSON-ready copy of ``obj`` with its files uploaded (or inlined), asynchronously.

    Files are read in a worker thread: the event loop never waits on the disk.

    Example::

        await async_encode_json({"image": Path("photo.jpg")}, client)
    """
    from replicate.file import async_measure

    strategy = _files.check_strategy(file_encoding_strategy)
    template, files = _files.find_files(obj)
    if not files:
        return template
    for file in files:
        await async_measure(file)
    values = [await _async_encode_file(file, client, strategy) for file in files]
    return _files.fill(template, values)


def _encode_file(file: FileInput, client: Client, strategy: str) -> str:
    assert file.size is not None
    if _files.inline(strategy, file.size):
        return _files.data_uri(_files.read_all(file), file.content_type)
    from replicate.file import upload

    return upload(client, file).urls["get"]


async def _async_encode_file(file: FileInput, client: Client, strategy: str) -> str:
    assert file.size is not None
    if _files.inline(strategy, file.size):
        if file.in_memory:
            data = _files.read_all(file)
        else:
            from anyio import to_thread

            data = await to_thread.run_sync(_files.read_all, file)
        return _files.data_uri(data, file.content_type)
    from replicate.file import async_upload

    return (await async_upload(client, file)).urls["get"]


def base64_encode_file(file: io.IOBase) -> str:
    """A ``data:`` URI holding a file's content (from its start), typed by its name.

    Example::

        base64_encode_file(io.BytesIO(b"hello"))  # 'data:application/octet-stream;base64,aGVsbG8='
    """
    found = _files.file_input(file, "file")
    if found is None:
        raise ValueError(f"expected a file object, not {type(file).__name__}")
    _files.measure(found)
    return _files.data_uri(_files.read_all(found), found.content_type)


# -- outputs --------------------------------------------------------------------------------


class FileOutput(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A file a model produced: read it, iterate over it, or save it, sync or async.

    Nothing is downloaded until one of those is called; a ``data:`` URL decodes locally.
    Downloads go through the client's connection pool (its transport, proxies and retries),
    without the API token unless the URL is on the API's own origin.

    Example::

        [image] = replicate.run("black-forest-labs/flux-schnell", input={"prompt": "a fox"})
        image.save("fox.webp")  # streamed to disk
        print(image.url)
    """

    url: str
    """The file's URL (``https:`` or ``data:``)."""

    def __init__(self, url: str, client: Client) -> None:
        self.url = url
        self._client = client

    def read(self) -> bytes:
        """The whole file.

        Example::

            data = output.read()
        """
        if self.url.startswith("data:"):
            return _data_uri_bytes(self.url)
        with self._open() as response:
            return response.read()

    def __iter__(self) -> Iterator[bytes]:
        """The file's bytes, chunk by chunk, as they arrive.

        Example::

            with open("out.png", "wb") as file:
                for chunk in output:
                    file.write(chunk)
        """
        if self.url.startswith("data:"):
            yield self.read()
            return
        with self._open() as response:
            yield from response.iter_bytes()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Stream the file to ``path`` (a file, or a folder to save it in under its own name).

        The file is written under a temporary name and renamed when complete, so ``path``
        never holds half a file. Returns the path written.

        Example::

            output.save("outputs/")  # outputs/out-0.png
        """
        target, partial = self._targets(path)
        try:
            with partial.open("wb") as file:
                for chunk in self:
                    file.write(chunk)
            if partial != target:
                os.replace(partial, target)
        except BaseException:
            if partial != target:
                partial.unlink(missing_ok=True)
            raise
        return target

    async def aread(self) -> bytes:
        """The whole file, asynchronously.

        Example::

            data = await output.aread()
        """
        if self.url.startswith("data:"):
            return _data_uri_bytes(self.url)
        async with self._async_open() as response:
            return await response.aread()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """The file's bytes, chunk by chunk, asynchronously.

        Example::

            async for chunk in output:
                sink.write(chunk)
        """
        if self.url.startswith("data:"):
            yield await self.aread()
            return
        async with self._async_open() as response:
            async for chunk in response.aiter_bytes():
                yield chunk

    async def asave(self, path: str | os.PathLike[str]) -> Path:
        """Stream the file to ``path``, asynchronously (disk writes in a worker thread).

        Example::

            await output.asave("fox.webp")
        """
        from anyio import to_thread

        target, partial = await to_thread.run_sync(self._targets, path)
        try:
            file = await to_thread.run_sync(partial.open, "wb")
            try:
                batch: list[bytes] = []
                batched = 0
                async for chunk in self:
                    batch.append(chunk)
                    batched += len(chunk)
                    if batched >= SAVE_BUFFER:
                        await to_thread.run_sync(file.writelines, batch)
                        batch, batched = [], 0
                if batch:
                    await to_thread.run_sync(file.writelines, batch)
            finally:
                # closed here, not in a worker thread: an await would not run once cancelled,
                # and all that is left to flush is the writer's small buffer
                file.close()
            if partial != target:
                await to_thread.run_sync(os.replace, partial, target)
        except BaseException:
            if partial != target:
                partial.unlink(missing_ok=True)
            raise
        return target

    @property
    def filename(self) -> str:
        """The file's name, from its URL (``output`` plus an extension for a ``data:`` URL).

        Example::

            FileOutput("https://replicate.delivery/x/out-0.png", client).filename  # 'out-0.png'
        """
        if self.url.startswith("data:"):
            media_type = self.url[5:].split(",", 1)[0].split(";", 1)[0]
            return "output" + (mimetypes.guess_extension(media_type or "text/plain") or "")
        name = unquote(urlsplit(self.url).path.rstrip("/").rsplit("/", 1)[-1])
        return _files.clip_filename(name) if name else "output"

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        url = self.url if len(self.url) < 80 else self.url[:60] + "..."
        return f"FileOutput({url!r})"

    # -- internals ----------------------------------------------------------------------------

    def _targets(self, path: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Where to save, and where to write until complete (the same for a device or FIFO)."""
        target = Path(path)
        if target.is_dir():
            target = target / self.filename
        if target.exists() and not target.is_file():
            return target, target  # /dev/null, a FIFO: cannot be replaced by a rename
        return target, target.with_name(f".{target.name}.{os.urandom(4).hex()}.part")

    def _request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        client = self._client
        request = http.build_request("GET", self.url, **client._options({}))
        if not client._pool.is_api_origin(request.url):
            # A token set by hand in the client's default headers must not reach a file host
            # either (the client's own auth adds it for the API's origin only).
            request.headers.pop("authorization", None)
        return request

    @contextlib.contextmanager
    def _open(self) -> Iterator[httpx.Response]:
        http = self._client._pool.sync_http()
        response = http.send(self._request(http), stream=True, follow_redirects=True)
        try:
            if response.status_code >= 400:
                response.read()
                raise ReplicateError.from_response(response)
            yield response
        finally:
            response.close()

    @contextlib.asynccontextmanager
    async def _async_open(self) -> AsyncIterator[httpx.Response]:
        http = self._client._pool.async_http()
        response = await http.send(self._request(http), stream=True, follow_redirects=True)
        try:
            if response.status_code >= 400:
                await response.aread()
                raise ReplicateError.from_response(response)
            yield response
        finally:
            await response.aclose()


def _data_uri_bytes(url: str) -> bytes:
    header, _, payload = url.partition(",")
    if header.endswith(";base64"):
        return base64.b64decode(payload)
    return unquote_to_bytes(payload)


def transform_output(value: Any, client: Client) -> Any:
    """``value`` with every file URL in it wrapped in a ``FileOutput`` (nothing is fetched).

    File URLs are ``https:`` and ``data:`` strings, and ``http:`` ones when the API itself is
    served over ``http:`` (a local emulator or proxy, whose files are local too).

    Example::

        transform_output(["https://replicate.delivery/a.png"], client)  # [FileOutput(...)]
    """
    schemes: tuple[str, ...] = ("https:", "data:")
    if client.base_url.startswith("http:"):
        schemes = ("https:", "data:", "http:")

    def transform(item: Any) -> Any:
        if isinstance(item, str):
            return FileOutput(item, client) if item.startswith(schemes) else item
        if isinstance(item, Mapping):
            return {key: transform(inner) for key, inner in item.items()}
        if isinstance(item, Sequence):
            return [transform(inner) for inner in item]
        return item

    return transform(value)
