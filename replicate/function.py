"""Models as Python functions: ``use()``, and what it returns.

``replicate.use("owner/name")`` (or ``client.use(...)``) turns a model into a ``Function``:
calling it runs the model and returns its output, shaped by the version's schema. The public
types live here: ``Function`` and ``AsyncFunction``, the run handles ``Run`` and ``AsyncRun``,
``URLPath`` (a file output as a lazily downloaded path), ``OutputIterator`` (an iterator
output read as it is made), ``FileLike`` (what a file input accepts) and ``get_path_url``.

Example::

    import replicate

    image = replicate.use("replicate/image")
    describe = replicate.use("replicate/describe")
    [picture] = image(prompt="a fox")
    print(describe(image=picture))  # passed on by its URL: nothing downloaded
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Generator, Iterator
from typing import IO, TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from replicate._file_output import FileOutput

if TYPE_CHECKING:
    from pathlib import Path

    from replicate.client import Client
    from replicate.prediction import Prediction

__all__ = [
    "AsyncFunction",
    "AsyncRun",
    "FileLike",
    "Function",
    "OutputIterator",
    "Run",
    "URLPath",
    "get_path_url",
]

T = TypeVar("T")

FileLike: TypeAlias = (
    "str | os.PathLike[str] | IO[bytes] | bytes | bytearray | memoryview | FileOutput"
)
"""What a file input (``format: uri``) accepts: a URL, a local path, an open binary file, bytes,
or another model's file output (passed on by its URL)."""


class URLPath(FileOutput, os.PathLike[str]):
    """A file a model made, as a path: downloaded on first use, its URL kept.

    ``open(output)``, ``Path(output)``, ``os.fspath(output)`` and ``str(output)`` download the
    file once (streamed, into a cache folder, without the API token) and give its local path.
    ``output.url`` (and ``get_path_url(output)``) is its URL, with nothing downloaded; passed as
    another model's input, it is sent by that URL.

    Example::

        [picture] = replicate.use("replicate/image")(prompt="a fox")
        print(picture.url)  # nothing fetched yet
        with open(picture, "rb") as file:  # downloaded now
            header = file.read(8)
    """

    def __fspath__(self) -> str:
        raise NotImplementedError

    @property
    def path(self) -> Path:
        """The local file, downloaded on first use."""
        raise NotImplementedError

    @property
    def __url__(self) -> str:
        return self.url

    async def adownload(self) -> Path:
        """Download the file (once) without blocking the event loop; its local path."""
        raise NotImplementedError


def get_path_url(path: Any) -> str | None:
    """The URL of a model's file output, or None for anything else (nothing is downloaded).

    Example::

        get_path_url(picture)  # 'https://replicate.delivery/.../out-0.png'
        get_path_url(Path("x.png"))  # None
    """
    url = getattr(path, "__url__", None)
    return url if isinstance(url, str) else None


class OutputIterator(Generic[T]):
    """An iterator output read as the model makes it (``use(..., streaming=True)``).

    Iterate it (sync or async) for the items as they come; ``str()`` of a token stream is the
    whole text (it waits for the end); ``await`` it for the whole output (the text of a token
    stream, else the list).
    """

    is_concatenate: bool
    """Whether the items are tokens of one text (``x-cog-array-display: concatenate``)."""

    def __iter__(self) -> Iterator[T]:
        raise NotImplementedError

    def __aiter__(self) -> AsyncIterator[T]:
        raise NotImplementedError

    def __await__(self) -> Generator[Any, None, list[T] | str]:
        raise NotImplementedError


class Run:
    """A prediction started by ``Function.create``."""

    prediction: Prediction

    @property
    def id(self) -> str:
        return self.prediction.id

    def output(self) -> Any:
        """Wait for the end; the output, shaped by the schema."""
        raise NotImplementedError

    def wait(self) -> Any:
        """Wait for the end (the same as ``output()``)."""
        raise NotImplementedError

    def logs(self) -> str | None:
        """The logs so far."""
        raise NotImplementedError

    def cancel(self) -> None:
        """Cancel the prediction."""
        raise NotImplementedError


class AsyncRun:
    """A prediction started by ``AsyncFunction.create``."""

    prediction: Prediction

    @property
    def id(self) -> str:
        return self.prediction.id

    async def output(self) -> Any:
        raise NotImplementedError

    async def wait(self) -> Any:
        raise NotImplementedError

    async def logs(self) -> str | None:
        raise NotImplementedError

    async def cancel(self) -> None:
        raise NotImplementedError


class Function:
    """A model as a function: ``fn(**inputs)`` runs it (see the module's docstring)."""

    ref: str

    def __init__(self, client: Client, ref: Any, *, streaming: bool = False) -> None:
        raise NotImplementedError

    def __call__(self, **inputs: Any) -> Any:
        raise NotImplementedError

    def create(self, **inputs: Any) -> Run:
        raise NotImplementedError

    @property
    def openapi_schema(self) -> dict[str, Any] | None:
        raise NotImplementedError

    @property
    def default_example(self) -> dict[str, Any] | None:
        raise NotImplementedError

    @property
    def version_id(self) -> str | None:
        """The id of the version whose schema shapes this function (None: no readable one)."""
        raise NotImplementedError

    def check_version(self, recorded: str, *, error: bool = False) -> None:
        """Warn once (or raise, with ``error=True``) when the model's version is not
        ``recorded``: what a module made by ``replicate codegen`` calls."""
        raise NotImplementedError


class AsyncFunction:
    """A model as an async function: ``await fn(**inputs)``."""

    ref: str

    def __init__(self, client: Client, ref: Any, *, streaming: bool = False) -> None:
        raise NotImplementedError

    async def __call__(self, **inputs: Any) -> Any:
        raise NotImplementedError

    async def create(self, **inputs: Any) -> AsyncRun:
        raise NotImplementedError

    async def openapi_schema(self) -> dict[str, Any] | None:
        raise NotImplementedError

    async def default_example(self) -> dict[str, Any] | None:
        raise NotImplementedError

    async def version_id(self) -> str | None:
        raise NotImplementedError

    async def check_version(self, recorded: str, *, error: bool = False) -> None:
        raise NotImplementedError


def function_for(
    client: Client, ref: Any, *, streaming: bool, use_async: bool
) -> Function | AsyncFunction:
    """The client's function for ``ref`` (one per reference and options; see ``Client.use``)."""
    raise NotImplementedError
