"""File inputs: finding them in a model's input, and sending them inline or uploaded.

Everything about sending files lives here. The decisions are plain functions:
``find_files`` walks an input and swaps every file for a numbered slot, ``inline`` picks a
``data:`` URI or an upload by strategy and size, ``fill`` puts the encoded values back. The
I/O (measuring a file, reading it, streaming it as a multipart upload) is separate, so that
the async layer can run it in a worker thread and never block the event loop. ``encode_json``
and ``upload`` (and their async twins) put the two together; ``replicate.helpers`` and
``replicate.file`` are the public face.

``encode_json`` turns an input into JSON. Files in it (at any depth of dicts, lists and
tuples) are uploaded with ``POST /files`` and replaced by their URL (``"url"``, the default),
inlined as ``data:`` URIs (``"base64"``), or inlined when 256 KiB or less and uploaded
otherwise (``"auto"``). Every file is measured before the first is sent: one over 100 MiB
raises ``FileTooLargeError`` before anything is sent.

What counts as a file: ``pathlib.Path``, open files (binary, or text, sent as UTF-8),
``io.BytesIO``, and ``bytes``/``bytearray``/``memoryview``. Strings are never files, not even
paths: a string input is sent as it is, as in replicate 1.x. A ``FileOutput`` (another
model's output) is sent as its URL.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import os
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import GeneratorType
from typing import IO, TYPE_CHECKING, Any, Literal

from replicate._file_output import DEFAULT_NAME, FileOutput, clip_filename
from replicate._generated import files_create
from replicate.exceptions import ReplicateException

if TYPE_CHECKING:
    import httpx

    from replicate.client import Client

__all__ = [
    "INLINE_LIMIT",
    "MAX_FILE_SIZE",
    "STRATEGIES",
    "FileEncodingStrategy",
    "FileInput",
    "FileTooLargeError",
    "MultipartUpload",
    "async_encode_json",
    "async_measure",
    "async_upload",
    "base64_encode_file",
    "check_strategy",
    "check_text",
    "data_uri",
    "encode_json",
    "file_input",
    "fill",
    "find_files",
    "inline",
    "lone_surrogate_error",
    "measure",
    "plain",
    "read_all",
    "unencodable_text",
    "upload",
]

FileEncodingStrategy = Literal["base64", "url", "auto"]
"""How file inputs are sent: uploaded (``url``, the default), inline as ``data:`` URIs
(``base64``), or inline when small and uploaded otherwise (``auto``)."""

STRATEGIES: tuple[str, ...] = ("url", "base64", "auto")

INLINE_LIMIT = 256 * 1024
"""Largest file ``auto`` sends inline; upstream recommends data URIs only up to about this."""

MAX_FILE_SIZE = 100 * 1024 * 1024
"""Largest file the API accepts (``POST /files`` answers 413 above it)."""

SYNC_CHUNK = 64 * 1024
# Each async read is a hop to a worker thread: fewer, larger reads keep the overhead small.
ASYNC_CHUNK = 1024 * 1024
DEFAULT_TYPE = "application/octet-stream"


class FileTooLargeError(ReplicateException, ValueError):
    """A file input is larger than the API accepts (100 MiB); raised before any upload.

    Example::

        try:
            replicate.run("acme/upscaler", input={"image": Path("huge.tiff")})
        except FileTooLargeError as error:
            print(error.where, error.size)
    """

    where: str
    """Where the file is in the input (``input['images'][2]``), or its name."""

    size: int | None
    """The file's size in bytes; None when it was only read up to the limit."""

    limit: int
    """The largest size allowed, in bytes."""

    def __init__(self, where: str, size: int | None, limit: int = MAX_FILE_SIZE) -> None:
        self.where, self.size, self.limit = where, size, limit
        actual = f"{size:,} bytes" if size is not None else "more than that"
        super().__init__(
            f"{where}: the file is too large to send to Replicate ({actual}; the limit is "
            f"{limit:,} bytes, {limit // (1024 * 1024)} MiB). Upload it somewhere else and "
            "pass its URL instead."
        )


Source = Path | io.IOBase | IO[Any] | memoryview


@dataclass
class FileInput:
    """One file found in an input: where it is, what it is called, and its content."""

    source: Source
    """A path, an open file (read from its start), or the bytes themselves."""

    filename: str
    content_type: str
    where: str
    size: int | None = None
    """Set by ``measure``."""

    @property
    def in_memory(self) -> bool:
        """Reading it needs no system call (so no worker thread either)."""
        # exactly BytesIO: a subclass may do anything in read()
        return isinstance(self.source, memoryview) or type(self.source) is io.BytesIO


@dataclass(frozen=True)
class _Slot:
    index: int


# -- decisions (no I/O) ---------------------------------------------------------------------


def check_strategy(strategy: str | None) -> str:
    """The strategy to use: ``url`` when none is given; an unknown one is an error.

    >>> check_strategy(None), check_strategy("auto")
    ('url', 'auto')
    """
    if strategy is None:
        return "url"
    if strategy not in STRATEGIES:
        raise ValueError(
            f"file_encoding_strategy must be one of {', '.join(map(repr, STRATEGIES))}, "
            f"not {strategy!r}"
        )
    return strategy


def inline(strategy: str, size: int) -> bool:
    """Whether a file of ``size`` bytes is sent as a ``data:`` URI rather than uploaded.

    >>> inline("auto", 1024), inline("auto", 10 * 1024 * 1024), inline("url", 1)
    (True, False, False)
    """
    return strategy == "base64" or (strategy == "auto" and size <= INLINE_LIMIT)


def file_input(
    obj: Any, where: str, *, filename: str | None = None, content_type: str | None = None
) -> FileInput | None:
    """``obj`` as a FileInput if it is a file, else None (without touching the disk).

    >>> file_input(b"abc", "input['x']").content_type
    'application/octet-stream'
    """
    source: Source
    name: str | None
    if isinstance(obj, Path):
        source, name = obj, obj.name
    elif isinstance(obj, io.IOBase):
        source, name = obj, _name_of(obj)
    elif isinstance(obj, bytes | bytearray | memoryview):
        source, name = _byte_view(obj), None
    else:
        return None
    name = filename or name or DEFAULT_NAME
    if not name.isascii():  # a name the file system could not decode is a label, not data
        name = name.encode("utf-8", "replace").decode("utf-8")
    name = clip_filename(name)
    content_type = content_type or mimetypes.guess_type(name)[0] or DEFAULT_TYPE
    return FileInput(source, name, content_type, where)


def find_files(obj: Any, where: str = "input") -> tuple[Any, list[FileInput]]:
    """A JSON-ready copy of ``obj`` with each file swapped for a slot, and the files in order.

    Dicts stay dicts; lists, tuples, sets and generators become lists. ``FileOutput`` values
    (a model's output passed to another model) become their URL. Text JSON cannot carry (a
    lone surrogate) raises ValueError naming where it is, before any file is sent.
    """
    files: list[FileInput] = []

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, str):
            check_text(value, where)
            return value
        if isinstance(value, int | float | bool) or value is None:
            return value
        if isinstance(value, Mapping):
            walked = {}
            for key, item in value.items():
                if isinstance(key, str):
                    check_text(key, f"the key {key!r} of {where}")
                walked[key] = walk(item, f"{where}[{key!r}]")
            return walked
        if isinstance(value, list | tuple | set | frozenset | GeneratorType):
            return [walk(item, f"{where}[{index}]") for index, item in enumerate(value)]
        if isinstance(value, FileOutput):
            return value.url
        found = file_input(value, where)
        if found is not None:
            files.append(found)
            return _Slot(len(files) - 1)
        return plain(value)

    return walk(obj, where), files


def check_text(text: str, where: str) -> None:
    """Raise ValueError naming ``where`` when ``text`` holds a lone surrogate, which JSON
    (UTF-8) cannot carry, and httpx would fail on with a bare UnicodeEncodeError.

    Example::

        check_text("caf\\u00e9", "input['text']")  # passes
        check_text("\\ud83d", "input['text']")  # ValueError: input['text'] holds a lone ...
    """
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:  # the position, for the message
        at = f" ({text[error.start]!r} at index {error.start})"
        raise lone_surrogate_error(where, at) from None


def lone_surrogate_error(where: str, at: str = "") -> ValueError:
    """The error for text that UTF-8 (so JSON, and URLs) cannot carry, found at ``where``."""
    return ValueError(
        f"{where} holds a lone surrogate{at}, which JSON (and a URL) cannot carry, as it is not "
        "UTF-8 text: remove it, or replace it with text.encode('utf-8', 'replace').decode()"
    )


def unencodable_text(body: Any, root: str = "") -> str | None:
    """Where in ``body`` (JSON data, at any depth) text that UTF-8 cannot encode is, or None.

    Example::

        unencodable_text({"input": {"text": "\\ud800"}})  # "input['text']"
        unencodable_text({"id": "\\ud800"}, "metadata")  # "metadata['id']"
    """

    def find(value: Any, where: str) -> str | None:
        if isinstance(value, str):
            return None if _is_utf8(value) else where or "the body"
        items: Any = ()
        if isinstance(value, Mapping):
            items = value.items()
        elif isinstance(value, list | tuple):
            items = enumerate(value)
        for key, item in items:
            if isinstance(key, str) and not _is_utf8(key):
                return f"the key {key!r} of {where or 'the body'}"
            found = find(item, f"{where}[{key!r}]" if where else str(key))
            if found:
                return found
        return None

    return find(body, root)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def fill(template: Any, values: list[Any]) -> Any:
    """``template`` with each slot replaced by ``values[slot]``."""
    if isinstance(template, _Slot):
        return values[template.index]
    if isinstance(template, dict):
        return {key: fill(item, values) for key, item in template.items()}
    if isinstance(template, list):
        return [fill(item, values) for item in template]
    return template


def data_uri(data: bytes | bytearray | memoryview, content_type: str) -> str:
    """A ``data:`` URI holding ``data``.

    >>> data_uri(b"hello", "text/plain")
    'data:text/plain;base64,aGVsbG8='
    """
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def _name_of(file: io.IOBase) -> str | None:
    name = getattr(file, "name", None)
    # os.fdopen() files are named by their descriptor number, which says nothing
    return os.path.basename(name) if isinstance(name, str) and name else None


def _byte_view(data: bytes | bytearray | memoryview) -> memoryview:
    view = memoryview(data)
    if not view.c_contiguous:
        view = memoryview(view.tobytes())
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


def plain(value: Any) -> Any:
    """numpy scalars and arrays become Python numbers and lists (without importing numpy), and
    another model's streamed output (``use()``'s ``OutputIterator``) its text or list."""
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    function = sys.modules.get("replicate.function")  # not loaded: no OutputIterator exists
    if function is not None and isinstance(value, function.OutputIterator):
        return value._as_input()
    return value


# -- I/O: sync functions, which the async layer runs in a worker thread ------------------------


def measure(file: FileInput, limit: int = MAX_FILE_SIZE) -> None:
    """Set ``file.size``; raise FileTooLargeError above ``limit`` without reading the file.

    A stream whose size cannot be known (a pipe, a socket) is read into memory, at most
    ``limit + 1`` bytes, and its content replaces it.
    """
    source = file.source
    size: int | None
    if isinstance(source, memoryview):
        size = source.nbytes
    elif isinstance(source, Path):
        size = source.stat().st_size
        if size == 0 and not source.is_file():  # /dev/stdin, a FIFO: no size to trust
            file.source = source = _read_bounded(source.open("rb"), file, limit, close=True)
            size = source.nbytes
    else:
        size = _stream_size(source)
        if size is not None and size > limit:
            raise FileTooLargeError(file.where, size, limit)
        if size is None or isinstance(source, io.TextIOBase):
            file.source = source = _read_bounded(source, file, limit)
            size = source.nbytes
    if size > limit:
        raise FileTooLargeError(file.where, size, limit)
    file.size = size


def read_all(file: FileInput) -> bytes | memoryview:
    """The whole content of a measured file."""
    source = file.source
    if isinstance(source, memoryview):
        return source
    if isinstance(source, Path):
        with source.open("rb") as opened:
            return _read_exactly(opened, file)
    _rewind(source)
    return _read_exactly(source, file)


def _stream_size(stream: IO[Any] | io.IOBase) -> int | None:
    """Bytes from the start to the end of a seekable stream, or None."""
    try:
        if not stream.seekable():
            return None
        if isinstance(stream, io.BytesIO):
            with stream.getbuffer() as view:
                return view.nbytes
        end = stream.seek(0, io.SEEK_END)
        stream.seek(0)
        return end
    except (OSError, ValueError) as error:
        if getattr(stream, "closed", False):
            raise ValueError("a file input is closed: open it again before passing it") from error
        return None


def _read_bounded(
    stream: IO[Any] | io.IOBase, file: FileInput, limit: int, *, close: bool = False
) -> memoryview:
    """Up to ``limit`` bytes of ``stream`` (from its start when it can seek), as bytes."""
    try:
        _rewind(stream)
        buffer = bytearray()
        while len(buffer) <= limit:
            chunk = stream.read(SYNC_CHUNK)
            if not chunk:
                break
            buffer += chunk.encode("utf-8") if isinstance(chunk, str) else chunk
        if len(buffer) > limit:
            raise FileTooLargeError(file.where, None, limit)
        return memoryview(bytes(buffer))
    finally:
        if close:
            stream.close()


def _rewind(stream: IO[Any] | io.IOBase) -> None:
    # replicate 1.x sends a file object from its start, wherever it was left: so do we
    try:
        if stream.seekable():
            stream.seek(0)
    except (OSError, ValueError):
        pass


def _read_exactly(stream: IO[Any] | io.IOBase, file: FileInput) -> bytes:
    data = stream.read(file.size or 0)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) != file.size:
        raise _changed(file)
    return bytes(data)


def _changed(file: FileInput) -> OSError:
    return OSError(f"{file.where}: the file changed while it was being sent ({file.filename})")


# -- the upload body: multipart/form-data, streamed from the file -------------------------------


class MultipartUpload:
    """The body of ``POST /files``: form fields and one file, streamed, with its length known.

    The file is read in chunks as the request is sent (from a worker thread in async code),
    never held whole; each iteration starts again from the file's start, so a request retried
    after a 429 sends the same bytes. ``parts`` is what the generated layer's
    ``FileCreateRequest.to_multipart()`` gives; the part whose value is ``file.source`` is
    the file.

    Example::

        upload = MultipartUpload(parts, file)
        httpx.post(url, content=upload.sync_body(), headers=upload.headers)
    """

    def __init__(self, parts: list[tuple[str, Any]], file: FileInput) -> None:
        if file.size is None:
            raise ValueError("measure() the file before uploading it")
        self.file = file
        self.boundary = os.urandom(16).hex()
        self._segments: list[bytes | None] = []  # None: the file's content goes here
        head = bytearray()
        for name, (filename, payload, content_type) in parts:
            head += f"--{self.boundary}\r\n".encode()
            disposition = f'form-data; name="{_quote(name)}"'
            if filename is not None:
                disposition += f'; filename="{_quote(filename)}"'
            head += f"Content-Disposition: {disposition}\r\n".encode()
            if content_type:
                head += f"Content-Type: {content_type}\r\n".encode()
            head += b"\r\n"
            if payload is file.source:
                self._segments.append(bytes(head))
                self._segments.append(None)
                head = bytearray()
            else:
                head += payload if isinstance(payload, bytes) else str(payload).encode()
            head += b"\r\n"
        head += f"--{self.boundary}--\r\n".encode()
        self._segments.append(bytes(head))
        if None not in self._segments:
            raise ValueError("the parts do not contain the file")
        self.length = sum(len(s) for s in self._segments if s is not None) + file.size

    @property
    def headers(self) -> dict[str, str]:
        """``Content-Type`` (with the boundary) and ``Content-Length``."""
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(self.length),
        }

    def sync_body(self) -> _SyncBody:
        """The body for ``httpx.Client``: an iterable that can be sent more than once."""
        return _SyncBody(self)

    def async_body(self) -> _AsyncBody:
        """The body for ``httpx.AsyncClient``; file reads happen in a worker thread."""
        return _AsyncBody(self)

    def chunks(self) -> Iterator[bytes]:
        for segment in self._segments:
            if segment is None:
                yield from self._file_chunks()
            else:
                yield segment

    async def async_chunks(self) -> AsyncIterator[bytes]:
        for segment in self._segments:
            if segment is None:
                async for chunk in self._async_file_chunks():
                    yield chunk
            else:
                yield segment

    def _file_chunks(self) -> Iterator[bytes]:
        file, source = self.file, self.file.source
        if isinstance(source, memoryview):
            for start in range(0, len(source), SYNC_CHUNK):
                yield bytes(source[start : start + SYNC_CHUNK])
            return
        if isinstance(source, Path):
            with source.open("rb") as opened:
                yield from _chunks_of(opened, file, SYNC_CHUNK)
            return
        _rewind(source)
        yield from _chunks_of(source, file, SYNC_CHUNK)

    async def _async_file_chunks(self) -> AsyncIterator[bytes]:
        file, source = self.file, self.file.source
        if file.in_memory or isinstance(source, memoryview):
            for chunk in self._file_chunks():  # memory only: nothing that could block
                yield chunk
            return
        from anyio import to_thread  # httpx's async layer: asyncio and trio alike

        opened: IO[Any] | io.IOBase
        if isinstance(source, Path):
            opened = await to_thread.run_sync(source.open, "rb")
        else:
            opened = source
            await to_thread.run_sync(_rewind, opened)
        try:
            remaining = file.size or 0
            while remaining > 0:
                chunk = await to_thread.run_sync(opened.read, min(ASYNC_CHUNK, remaining))
                if not chunk:
                    raise _changed(file)
                data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
                remaining -= len(data)
                if remaining < 0:
                    raise _changed(file)
                yield data
        finally:
            if opened is not source:
                await to_thread.run_sync(opened.close)


def _chunks_of(stream: IO[Any] | io.IOBase, file: FileInput, size: int) -> Iterator[bytes]:
    """Exactly ``file.size`` bytes of ``stream``, in chunks (the Content-Length promised)."""
    remaining = file.size or 0
    while remaining > 0:
        chunk = stream.read(min(size, remaining))
        if not chunk:
            raise _changed(file)
        data = chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)
        remaining -= len(data)
        if remaining < 0:
            raise _changed(file)
        yield data


def _quote(value: str) -> str:
    # As browsers (and httpx) write form-data names: quotes and line breaks percent-encoded.
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class _SyncBody:
    # Not a generator, so httpx lets the retry layer iterate it again.
    def __init__(self, upload: MultipartUpload) -> None:
        self._upload = upload

    def __iter__(self) -> Iterator[bytes]:
        return self._upload.chunks()


class _AsyncBody:
    def __init__(self, upload: MultipartUpload) -> None:
        self._upload = upload

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._upload.async_chunks()


# -- encoding an input, uploading a file: the I/O above put together ----------------------------


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
    strategy = check_strategy(file_encoding_strategy)
    template, files = find_files(obj)
    if not files:
        return template
    for file in files:
        measure(file)
    return fill(template, [_encode_file(file, client, strategy) for file in files])


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
    strategy = check_strategy(file_encoding_strategy)
    template, files = find_files(obj)
    if not files:
        return template
    for file in files:
        await async_measure(file)
    return fill(template, [await _async_encode_file(file, client, strategy) for file in files])


def _encode_file(file: FileInput, client: Client, strategy: str) -> str:
    assert file.size is not None
    if inline(strategy, file.size):
        return data_uri(read_all(file), file.content_type)
    return _uploaded_url(upload(client, file))


async def _async_encode_file(file: FileInput, client: Client, strategy: str) -> str:
    assert file.size is not None
    if inline(strategy, file.size):
        return data_uri(await _in_thread(read_all, file), file.content_type)
    return _uploaded_url(await async_upload(client, file))


def _uploaded_url(uploaded: Any) -> str:
    """The URL a model reads an uploaded file from (its ``urls.get``)."""
    url = uploaded.urls.get if uploaded.urls else None
    if not isinstance(url, str):
        raise OSError(f"the API stored the file {uploaded.id} but gave no URL for it")
    return url


def base64_encode_file(file: io.IOBase) -> str:
    """A ``data:`` URI holding a file's content (from its start), typed by its name.

    Example::

        base64_encode_file(io.BytesIO(b"hello"))  # 'data:application/octet-stream;base64,aGVsbG8='
    """
    found = file_input(file, "file")
    if found is None:
        raise ValueError(f"expected a file object, not {type(file).__name__}")
    measure(found)
    return data_uri(read_all(found), found.content_type)


def upload(client: Client, file: FileInput, metadata: dict[str, Any] | None = None) -> Any:
    """Upload a measured file with ``POST /files``; the generated ``FileResource`` it became.

    The file is streamed from where it is, never read whole.
    """
    request, multipart = _create_request(client, file, metadata)
    request["content"] = multipart.sync_body()
    return client._call(request, files_create.parse_response)


async def async_upload(
    client: Client, file: FileInput, metadata: dict[str, Any] | None = None
) -> Any:
    """Upload a measured file, asynchronously; the file is read in a worker thread."""
    request, multipart = _create_request(client, file, metadata)
    request["content"] = multipart.async_body()
    return await client._async_call(request, files_create.parse_response)


async def async_measure(file: FileInput) -> None:
    """``measure``, in a worker thread unless the file is already in memory."""
    await _in_thread(measure, file)


async def _in_thread(function: Any, file: FileInput) -> Any:
    if file.in_memory:
        return function(file)  # memory only: nothing that could block
    from anyio import to_thread  # httpx's async layer: asyncio and trio alike

    return await to_thread.run_sync(function, file)


def _create_request(
    client: Client, file: FileInput, metadata: dict[str, Any] | None
) -> tuple[dict[str, Any], MultipartUpload]:
    """The generated layer's request (its URL and form fields), with a streamed body."""
    from replicate_api.models import FileCreateRequest, FileCreateRequestMetadata
    from replicate_api.types import UNSET
    from replicate_api.types import File as Upload

    found = unencodable_text(metadata, "metadata")
    if found:
        raise lone_surrogate_error(found)
    body = FileCreateRequest(
        content=Upload(
            payload=file.source,  # type: ignore[arg-type]  # only its identity is used
            file_name=file.filename,
            mime_type=file.content_type,
        ),
        filename=file.filename,
        type_=file.content_type,
        metadata=UNSET if metadata is None else FileCreateRequestMetadata.from_dict(metadata),
    )
    request: dict[str, Any] = files_create.build_request(body=body)
    multipart = MultipartUpload(request.pop("files"), file)
    request["headers"] = {**request.get("headers", {}), **multipart.headers}
    request["timeout"] = _upload_timeout(client.timeout)
    return request, multipart


def _upload_timeout(base: httpx.Timeout) -> httpx.Timeout:
    # Sending the body takes as long as the link needs, and the answer comes only once the
    # whole file is in: no read or write limit, as in replicate 1.x; connecting still has one.
    import httpx

    return httpx.Timeout(connect=base.connect, read=None, write=None, pool=base.pool)
