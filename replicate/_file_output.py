"""Files a model made: ``FileOutput``, and finding them in an output.

``transform_output`` wraps output URLs in ``FileOutput``: nothing is downloaded until asked,
downloads go through the client's own connection pool (its transport, proxies and retries),
and the API token is never sent to a file host (only to the API's own origin).
"""

from __future__ import annotations

import base64
import contextlib
import mimetypes
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

import httpx

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["SAVE_BUFFER", "FileOutput", "clip_filename", "transform_output"]

SAVE_BUFFER = 4 * 1024 * 1024
"""Bytes ``FileOutput.asave`` gathers before each write: each write is a hop to a worker
thread, and fewer hops keep its throughput within a few percent of writing on the loop."""

MAX_FILENAME_BYTES = 255
"""Longest file name ``POST /files`` accepts, in UTF-8 bytes (and a safe length on disk)."""

DEFAULT_NAME = "file"


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
        last = unquote(urlsplit(self.url).path.rstrip("/").rsplit("/", 1)[-1])
        name = clip_filename(last) if last else ""
        return name if name.strip(".") else "output"  # never "", "." or "..": not a file name

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

    def _download(self) -> dict[str, Any]:
        return {"method": "GET", "url": self.url, "follow_redirects": True}

    @contextlib.contextmanager
    def _open(self) -> Iterator[httpx.Response]:
        # credentials=False: a token set by hand in the client's default headers must not
        # reach a file host either (the client's own auth adds it for the API's origin only)
        with self._client._open(self._download(), credentials=False) as response:
            yield response

    @contextlib.asynccontextmanager
    async def _async_open(self) -> AsyncIterator[httpx.Response]:
        async with self._client._async_open(self._download(), credentials=False) as response:
            yield response


def _data_uri_bytes(url: str) -> bytes:
    header, _, payload = url.partition(",")
    if header.endswith(";base64"):
        return base64.b64decode(payload)
    return unquote_to_bytes(payload)


def transform_output(value: Any, client: Client, file_type: type[FileOutput] | None = None) -> Any:
    """``value`` with every file URL in it wrapped in a ``FileOutput`` (nothing is fetched).

    File URLs are ``https:`` and ``data:`` strings, and ``http:`` ones when the API itself is
    served over ``http:`` (a local emulator or proxy, whose files are local too).

    Example::

        transform_output(["https://replicate.delivery/a.png"], client)  # [FileOutput(...)]

    ``file_type`` is the class to wrap them in (``FileOutput``, or ``use()``'s ``URLPath``).
    """
    make = file_type or FileOutput
    schemes: tuple[str, ...] = ("https:", "data:")
    if client.base_url.startswith("http:"):
        schemes = ("https:", "data:", "http:")

    def transform(item: Any) -> Any:
        if isinstance(item, str):
            return make(item, client) if item.startswith(schemes) else item
        if isinstance(item, Mapping):
            return {key: transform(inner) for key, inner in item.items()}
        if isinstance(item, Sequence):
            return [transform(inner) for inner in item]
        return item

    return transform(value)


def clip_filename(name: str) -> str:
    """``name`` without folders, cut to 255 UTF-8 bytes (the API's limit), keeping its
    extension.

    >>> clip_filename("/tmp/photo.png"), len(clip_filename("x" * 300 + ".png"))
    ('photo.png', 255)
    """
    name = name.replace("\\", "/").rsplit("/", 1)[-1] or DEFAULT_NAME
    if len(name.encode()) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix.encode()) > 16:
        stem, suffix = name, ""
    tail = f".{suffix}" if suffix else ""
    room = MAX_FILENAME_BYTES - len(tail.encode())
    return stem.encode()[:room].decode("utf-8", "ignore") + tail
