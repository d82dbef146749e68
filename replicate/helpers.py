"""Encoding model inputs and reading model outputs.

``encode_json`` turns inputs into JSON: files (open file objects, ``pathlib.Path``, ``bytes``)
are uploaded with ``files.create`` and replaced by their URL, or inlined as ``data:`` URIs with
``file_encoding_strategy="base64"``. ``transform_output`` wraps output URLs in ``FileOutput``,
whose content is read through the client's own transport (the API token is sent only to the
API's host, never to a file host).
"""

from __future__ import annotations

import base64
import io
import mimetypes
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from pathlib import Path
from types import GeneratorType
from typing import TYPE_CHECKING, Any, Literal

import httpx

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = [
    "FileEncodingStrategy",
    "FileOutput",
    "async_encode_json",
    "base64_encode_file",
    "encode_json",
    "transform_output",
]

FileEncodingStrategy = Literal["base64", "url"]


def encode_json(
    obj: Any,
    client: Client,
    file_encoding_strategy: FileEncodingStrategy | None = None,
) -> Any:
    """A JSON-compatible copy of ``obj``, with files uploaded (or inlined) as URLs.

    Example::

        encode_json({"image": open("photo.jpg", "rb")}, client)
        # {'image': 'https://api.replicate.com/v1/files/...'}
    """
    if isinstance(obj, dict):
        return {
            key: encode_json(value, client, file_encoding_strategy) for key, value in obj.items()
        }
    if isinstance(obj, list | set | frozenset | tuple | GeneratorType):
        return [encode_json(value, client, file_encoding_strategy) for value in obj]
    file = _as_file(obj)
    if file is not None:
        if file_encoding_strategy == "base64":
            return base64_encode_file(file)
        return client.files.create(file).urls["get"]
    return _plain(obj)


async def async_encode_json(
    obj: Any,
    client: Client,
    file_encoding_strategy: FileEncodingStrategy | None = None,
) -> Any:
    """A JSON-compatible copy of ``obj``, with files uploaded (or inlined), asynchronously.

    Example::

        await async_encode_json({"image": open("photo.jpg", "rb")}, client)
    """
    if isinstance(obj, dict):
        return {
            key: await async_encode_json(value, client, file_encoding_strategy)
            for key, value in obj.items()
        }
    if isinstance(obj, list | set | frozenset | tuple | GeneratorType):
        return [await async_encode_json(value, client, file_encoding_strategy) for value in obj]
    file = _as_file(obj)
    if file is not None:
        if file_encoding_strategy == "base64":
            return base64_encode_file(file)
        return (await client.files.async_create(file)).urls["get"]
    return _plain(obj)


def _as_file(obj: Any) -> io.IOBase | None:
    if isinstance(obj, io.IOBase):
        return obj
    if isinstance(obj, Path):
        buffer = io.BytesIO(obj.read_bytes())
        buffer.name = obj.name
        return buffer
    if isinstance(obj, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(obj))
    return None


def _plain(obj: Any) -> Any:
    """numpy scalars and arrays become Python numbers and lists (without importing numpy)."""
    module = type(obj).__module__
    if module == "numpy" and hasattr(obj, "tolist"):
        return obj.tolist()
    return obj


def base64_encode_file(file: io.IOBase) -> str:
    """A ``data:`` URI holding the file's content, with a type guessed from its name.

    Example::

        base64_encode_file(io.BytesIO(b"hello"))  # 'data:application/octet-stream;base64,aGVsbG8='
    """
    file.seek(0)
    body = file.read()
    if isinstance(body, str):
        body = body.encode("utf-8")
    encoded = base64.b64encode(body).decode("ascii")
    mime_type = mimetypes.guess_type(getattr(file, "name", "") or "")[0]
    return f"data:{mime_type or 'application/octet-stream'};base64,{encoded}"


class FileOutput(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A file a model produced: read it whole, or iterate over its bytes, sync or async.

    Example::

        output = replicate.run("black-forest-labs/flux-schnell", input={"prompt": "a fox"})
        with open("fox.webp", "wb") as file:
            file.write(output[0].read())
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
        with self._stream() as response:
            return response.read()

    def __iter__(self) -> Iterator[bytes]:
        if self.url.startswith("data:"):
            yield self.read()
            return
        with self._stream() as response:
            yield from response.iter_bytes()

    async def aread(self) -> bytes:
        """The whole file, asynchronously.

        Example::

            data = await output.aread()
        """
        if self.url.startswith("data:"):
            return _data_uri_bytes(self.url)
        async with self._async_stream() as response:
            return await response.aread()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.url.startswith("data:"):
            yield await self.aread()
            return
        async with self._async_stream() as response:
            async for chunk in response.aiter_bytes():
                yield chunk

    def _stream(self) -> AbstractContextManager[httpx.Response]:
        return self._client._stream("GET", self.url, follow_redirects=True)

    def _async_stream(self) -> AbstractAsyncContextManager[httpx.Response]:
        return self._client._async_stream("GET", self.url, follow_redirects=True)

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        url = self.url if len(self.url) < 80 else self.url[:60] + "..."
        return f"FileOutput({url!r})"


def _data_uri_bytes(url: str) -> bytes:
    header, _, payload = url.partition(",")
    if header.endswith(";base64"):
        return base64.b64decode(payload)
    from urllib.parse import unquote_to_bytes

    return unquote_to_bytes(payload)


def transform_output(value: Any, client: Client) -> Any:
    """``value`` with every ``https:`` or ``data:`` URL in it wrapped in a ``FileOutput``.

    Example::

        transform_output(["https://replicate.delivery/a.png"], client)  # [FileOutput(...)]
    """
    if isinstance(value, Mapping):
        return {key: transform_output(item, client) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [transform_output(item, client) for item in value]
    if isinstance(value, str) and value.startswith(("https:", "data:")):
        return FileOutput(value, client)
    return value
