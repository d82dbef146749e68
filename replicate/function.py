"""Models as Python functions: ``use()``, and what it returns.

``replicate.use("owner/name")`` (or ``client.use(...)``) turns a model into a ``Function``:
calling it runs the model and returns its output, shaped by the version's schema.

- ``ref`` is ``owner/name``, ``owner/name:version``, a version id, a ``Model`` or a
  ``Version``; it is checked at once, and nothing is sent until the function is first used.
- The schema comes from the model's latest version for ``owner/name`` (a ``GET`` of the model,
  and one of its versions list: a model that lists versions runs its latest version, so that
  the schema that checked the input is the one that runs; one whose versions are not
  addressable, as official models', runs by name), or from the version named (one ``GET``); a
  ``Version`` carries it. It is fetched once per function and kept by the client, so that
  every later call costs the requests of ``run()`` on the same version and no more. A bare
  version id names no model to ask: its first run says which model it belongs to, and its
  schema is fetched then.
- A create's answer is final only once the prediction has ended (a ``processing`` answer to
  ``Prefer: wait`` is waited for), unlike ``run()``, which keeps replicate 1.x's habit.
- Inputs are checked against the schema before anything is created or uploaded
  (``InvalidInputError`` names each problem and lists the valid inputs). ``None`` for an
  optional input leaves it out (the model's default applies).
- Outputs: ``format: uri`` strings become ``URLPath``s (downloaded on first use, passed on to
  another model by their URL); a token stream (``x-cog-array-display: concatenate``) becomes its
  text; another iterator output its list; with ``streaming=True``, an iterator output is an
  ``OutputIterator`` read while the model runs.
- A model without a readable schema still runs, unchecked, its output as the API gives it (file
  URLs still made ``URLPath``s); a ``ModelSchemaWarning`` says so once per function.

The public types live here: ``Function`` and ``AsyncFunction``, the run handles ``Run`` and
``AsyncRun``, ``URLPath``, ``OutputIterator``, ``FileLike`` (what a file input accepts) and
``get_path_url``.

Example::

    import replicate

    image = replicate.use("replicate/image")
    caption = replicate.use("replicate/caption")
    [picture] = image(prompt="a fox")
    print(caption(image=picture))  # passed on by its URL: nothing downloaded
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import keyword
import os
import tempfile
import threading
import warnings
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, TypeAlias, TypeVar, cast

from replicate import _run
from replicate._file_output import FileOutput, transform_output
from replicate._schema import MISSING, ModelSchema, public_document
from replicate._wait import Deadline, Guard
from replicate.exceptions import (
    ModelError,
    ModelSchemaWarning,
    ModelVersionError,
    ModelVersionWarning,
    NotFoundError,
    ReplicateError,
)
from replicate.identifier import Reference

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.model import Model
    from replicate.prediction import Prediction
    from replicate.version import Version

__all__ = [
    "AsyncFunction",
    "AsyncRun",
    "FileLike",
    "Function",
    "FunctionRef",
    "OutputIterator",
    "Run",
    "URLPath",
    "get_path_url",
]

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R", covariant=True)

FileLike: TypeAlias = (
    str | os.PathLike[str] | IO[bytes] | bytes | bytearray | memoryview | FileOutput
)
"""What a file input (``format: uri``) accepts: a URL, a local path, an open binary file, bytes,
or another model's file output (passed on by its URL)."""

_CACHE_LIMIT = 1024
"""Functions and schemas a client keeps (a bound, for processes that use very many models)."""

# -- files ------------------------------------------------------------------------------------

_download_root: Path | None = None
_download_root_lock = threading.Lock()


def _download_dir() -> Path:
    """This process's folder for downloaded outputs (made once, private to the user)."""
    global _download_root
    with _download_root_lock:
        if _download_root is None:
            _download_root = Path(tempfile.mkdtemp(prefix="replicate-outputs-"))
        return _download_root


class URLPath(FileOutput, os.PathLike[str]):
    """A file a model made, as a path: downloaded on first use, its URL kept.

    ``open(output)``, ``Path(output)``, ``os.fspath(output)`` and ``str(output)`` download the
    file once (streamed to a private temporary folder, without the API token) and give its
    local path. ``output.url`` (and ``get_path_url(output)``) is its URL, with nothing
    downloaded; passed as another model's input, it is sent by that URL. It is a
    ``FileOutput`` too: ``read()``, ``save(path)`` and iteration work as for ``run()``'s files.

    Example::

        [picture] = replicate.use("replicate/image")(prompt="a fox")
        print(picture.url)  # nothing fetched yet
        with open(picture, "rb") as file:  # downloaded now
            header = file.read(8)
    """

    def __init__(self, url: str, client: Client | None = None) -> None:
        if client is None:  # as in the official SDK: URLPath(url) downloads with the default
            import replicate

            client = replicate.default_client
        super().__init__(url, client)
        self._local: Path | None = None
        self._lock = threading.Lock()

    @property
    def __url__(self) -> str:
        """The file's URL (what ``get_path_url`` reads)."""
        return self.url

    @property
    def path(self) -> Path:
        """The local file, downloaded on first use.

        Example::

            size = picture.path.stat().st_size
        """
        with self._lock:
            if self._local is None or not self._local.exists():
                target = self._target()
                if not target.exists():
                    self.save(target)
                self._local = target
            return self._local

    async def adownload(self) -> Path:
        """Download the file (once) without blocking the event loop; its local path.

        Example::

            path = await picture.adownload()
        """
        if self._local is not None and self._local.exists():
            return self._local
        target = self._target()
        if not target.exists():
            await self.asave(target)
        self._local = target
        return target

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        url = self.url if len(self.url) < 80 else self.url[:60] + "..."
        return f"URLPath({url!r})"

    def _target(self) -> Path:
        """Where this URL's file goes: a folder per URL, the file under its own name."""
        folder = _download_dir() / hashlib.sha256(self.url.encode()).hexdigest()[:20]
        folder.mkdir(exist_ok=True)
        return folder / self.filename


def get_path_url(path: Any) -> str | None:
    """The URL of a model's file output, or None for anything else (nothing is downloaded).

    Example::

        get_path_url(picture)  # 'https://replicate.delivery/.../out-0.png'
        get_path_url(Path("x.png"))  # None
    """
    url = getattr(path, "__url__", None)
    return url if isinstance(url, str) else None


class FunctionRef(Protocol[P, R]):
    """A model named by a class, typed by its ``__call__`` (the official SDK's second way to
    type ``use()``; ``replicate codegen`` writes typed modules instead).

    Example::

        class Caption:
            name = "replicate/caption"

            def __call__(self, *, image: FileLike) -> str: ...

        caption = replicate.use(Caption())  # Function[(image: FileLike), str]
    """

    name: str

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...


# -- iterator outputs -------------------------------------------------------------------------


class OutputIterator(Generic[T]):
    """An iterator output read as the model makes it (``use(..., streaming=True)``).

    Iterate it, with ``for`` or ``async for``, for the items as they come; items already read
    are kept, so that iterating again replays them (and goes on where reading stopped).
    ``str()`` of a token stream is its whole text, of another output the list's text (both
    wait for the end); ``await`` it for the whole output: the text of a token stream, else
    the list. Passed as another model's input, a token stream is sent as its text, another
    output as its list.

    ``iterator`` and ``async_iterator`` make a fresh iterator of the raw items each (as in the
    official SDK, whose positional form this takes); ``shape`` turns a raw item into the item
    given (``use()`` makes file URLs ``URLPath``s there).

    Example::

        tokens = replicate.use("replicate/language-model", streaming=True)(prompt="Hi")
        for token in tokens:
            print(token, end="")
        print(str(tokens))  # the whole text
    """

    is_concatenate: bool
    """Whether the items are tokens of one text (``x-cog-array-display: concatenate``)."""

    def __init__(
        self,
        iterator: Callable[[], Iterator[Any]] | None = None,
        async_iterator: Callable[[], AsyncIterator[Any]] | None = None,
        schema: dict[str, Any] | None = None,
        *,
        is_concatenate: bool = False,
        shape: Callable[[Any], T] | None = None,
    ) -> None:
        self._make_sync = iterator
        self._make_async = async_iterator
        self._shape: Callable[[Any], Any] = shape or _same_item
        self._items: list[T] = []
        self._done = False
        self._sync: tuple[Iterator[Any], list[int]] | None = None  # a source, and its position
        self._async: tuple[AsyncIterator[Any], list[int]] | None = None
        self.is_concatenate = is_concatenate

    def _take(self, raw: Any, position: list[int]) -> tuple[bool, Any]:
        """Record the raw item a source gave at its position: ``(new, item)``."""
        index = position[0]
        position[0] += 1
        if index < len(self._items):
            return False, None  # read before (by another pass): already given
        item = self._shape(raw)
        self._items.append(item)
        return True, item

    def __iter__(self) -> Iterator[T]:
        index = 0
        while True:
            if index < len(self._items):
                index += 1
                yield self._items[index - 1]
                continue
            if self._done:
                return
            if self._sync is None:
                if self._make_sync is None:
                    raise TypeError("this output is read asynchronously: use `async for`")
                self._sync = (iter(self._make_sync()), [0])
            source, position = self._sync
            try:
                raw = next(source)
            except StopIteration:
                self._done = True
                return
            self._take(raw, position)

    async def __aiter__(self) -> AsyncIterator[T]:
        if self._make_async is None:
            for item in self:  # a sync source: read as it is (each item a blocking read)
                yield item
            return
        index = 0
        while True:
            if index < len(self._items):
                index += 1
                yield self._items[index - 1]
                continue
            if self._done:
                return
            if self._async is None:
                self._async = (aiter(self._make_async()), [0])
            source, position = self._async
            try:
                raw = await anext(source)
            except StopAsyncIteration:
                self._done = True
                return
            self._take(raw, position)

    def __await__(self) -> Generator[Any, None, list[T] | str]:
        return self._gather().__await__()

    async def _gather(self) -> list[T] | str:
        async for _ in self:
            pass
        return self._whole()

    def _whole(self) -> list[T] | str:
        if self.is_concatenate:
            return "".join(str(item) for item in self._items)
        return list(self._items)

    def __str__(self) -> str:
        if self._make_sync is not None:
            for _ in self:
                pass
        whole = self._whole()  # an async-only source: what has been read
        return whole if isinstance(whole, str) else str(whole)

    def __repr__(self) -> str:
        state = "complete" if self._done else "reading"
        return f"<OutputIterator: {len(self._items)} items read, {state}>"

    def _as_input(self) -> Any:
        """What this is sent as in another model's input: the text, or the list."""
        if self._make_sync is not None:
            for _ in self:
                pass
        return self._whole()


def _same_item(item: Any) -> Any:
    return item


class _Schema(dict[str, Any]):
    """A version's schema: a dict, and callable for the official SDK's ``openapi_schema()``."""

    def __call__(self) -> dict[str, Any]:
        return self


# -- what a reference resolves to -------------------------------------------------------------


@dataclass(frozen=True)
class _Resolved:
    """What a function runs, and the schema that checks and shapes it."""

    reference: Reference
    """What predictions are created on: a version, or a model by name (``_model_target``)."""
    schema: ModelSchema | None
    openapi_schema: dict[str, Any] | None
    version_id: str | None
    model: str | None
    """``owner/name``, when known."""
    pending: bool = False
    """A bare version id: the schema is found after its first run names the model."""


def _from_version(reference: Reference, model: str | None, version: Version | None) -> _Resolved:
    document = version.openapi_schema if version is not None else None
    return _Resolved(
        reference=reference,
        schema=ModelSchema.parse(document),
        openapi_schema=document if isinstance(document, dict) else None,
        version_id=version.id if version is not None else None,
        model=model,
    )


def _model_target(reference: Reference, label: str, model: Model, versioned: bool) -> _Resolved:
    """What ``owner/name`` runs: its latest version when it lists versions (so that the schema
    that checked the input is the one that runs), else the model by name (official models,
    whose versions are not addressable, run so)."""
    version = model.latest_version
    if versioned and version is not None and isinstance(version.id, str):
        with contextlib.suppress(ValueError):
            reference = reference.with_version(version.id)
    return _from_version(reference, label, version)


def _given_model(given: Any) -> Model | None:
    from replicate.model import Model

    return given if isinstance(given, Model) else None


class _Base:
    """What ``Function`` and ``AsyncFunction`` share: the reference, the schema, the shaping."""

    ref: str
    """The reference, as ``owner/name[:version]`` or a version id."""

    streaming: bool
    """Whether iterator outputs come back as an ``OutputIterator`` read while the model runs."""

    def __init__(self, client: Client, ref: Any, *, streaming: bool = False) -> None:
        self._client = client
        self._given = ref
        self._reference = Reference.parse(ref)
        self.ref = str(self._reference)
        self.streaming = streaming
        self._resolved: _Resolved | None = None
        self._lock = threading.Lock()
        self._warned: set[str] = set()
        self._example: dict[str, Any] | None = None
        self._example_known = False

    # -- resolution, without I/O ------------------------------------------------------------------

    @property
    def _label(self) -> str:
        resolved = self._resolved
        return (resolved.model if resolved and resolved.model else None) or self.ref

    def _known(self) -> _Resolved | None:
        """The resolution when it needs no request: cached, or carried by what was given."""
        if self._resolved is not None:
            return self._resolved
        cached: _Resolved | None = self._client._connections.schemas.get(self.ref)
        if cached is not None:
            return cached
        reference = self._reference
        if reference.version is not None:  # a Version: its schema is here
            return _from_version(reference, None, reference.version)
        if reference.kind == "version" and not reference.owner:
            return _Resolved(reference, None, None, reference.version_id, None, pending=True)
        return None

    def _keep(self, resolved: _Resolved) -> _Resolved:
        self._resolved = resolved
        if not resolved.pending:
            schemas = self._client._connections.schemas
            if len(schemas) >= _CACHE_LIMIT:
                schemas.clear()
            schemas[self.ref] = resolved
            if resolved.schema is None:
                self._warn_unreadable()
        return resolved

    def _public_schema(self, resolved: _Resolved) -> dict[str, Any] | None:
        if resolved.openapi_schema is None:
            return None
        return _Schema(public_document(resolved.openapi_schema))

    def _warn_unreadable(self) -> None:
        if "schema" in self._warned:
            return
        self._warned.add("schema")
        warnings.warn(
            f"{self._label} has no readable schema: inputs are sent unchecked and its output "
            "is returned as the API gives it",
            ModelSchemaWarning,
            stacklevel=4,
        )

    def _learned(self, prediction: object) -> str | None:
        """For a bare version id after its first run: the model to fetch the version of."""
        resolved = self._resolved
        if resolved is None or not resolved.pending:
            return None
        model = getattr(prediction, "model", None)
        if isinstance(model, str) and model.count("/") == 1:
            try:
                Reference.model(model)
            except (TypeError, ValueError):
                return None
            return model
        self._keep(replace(resolved, pending=False))
        return None

    # -- inputs and outputs -----------------------------------------------------------------------

    def _check(self, resolved: _Resolved, inputs: dict[str, Any]) -> dict[str, Any]:
        if resolved.schema is None:
            return inputs
        return resolved.schema.check(inputs, self._label)

    def _kind(self, resolved: _Resolved) -> _run.OutputKind:
        """The output kind ``run()`` is told (no request): an iterator only when streaming."""
        schema = resolved.schema
        if self.streaming and schema is not None and schema.iterator:
            text_items = schema.item_schema.get("type") == "string"
            return _run.OutputKind(iterator=True, text_items=text_items)
        return _run.OutputKind(iterator=False, text_items=False)

    def _make_file(self, url: str) -> URLPath:
        return URLPath(url, self._client)

    def _guess(self, value: Any) -> Any:
        """A value the schema says nothing of: its file URLs wrapped, as ``run()`` does."""
        return transform_output(value, self._client, URLPath)

    def _shape(self, resolved: _Resolved, output: Any) -> Any:
        if resolved.schema is None:
            return self._guess(output)
        return resolved.schema.shape(output, self._make_file, self._guess)

    def _shape_item(self, resolved: _Resolved) -> Callable[[Any], Any]:
        schema = resolved.schema
        if schema is None:
            return self._guess
        return lambda item: schema.shape_item(item, self._make_file, self._guess)

    def _iterator(
        self,
        resolved: _Resolved,
        prediction: Prediction,
        first: Iterator[Any] | AsyncIterator[Any] | None = None,
    ) -> OutputIterator[Any]:
        """The ``OutputIterator`` of a streaming run: read from ``first`` (what ``run()``
        returned) first, then, for another pass of the other kind, from the prediction again
        (its stream, else polls): sync and async alike."""
        client, kind = self._client, self._kind(resolved)
        given: list[Any] = [first]

        def sync_items() -> Iterator[Any]:
            ready, given[0] = given[0], None
            if isinstance(ready, Iterator):
                return ready
            return _run._iterate(client, prediction, kind, Deadline(None), False)

        def async_items() -> AsyncIterator[Any]:
            ready, given[0] = given[0], None
            if isinstance(ready, AsyncIterator):
                return ready
            return _run._aiterate(client, prediction, kind, Deadline(None), False)

        schema = resolved.schema
        return OutputIterator(
            sync_items,
            async_items,
            is_concatenate=schema is not None and schema.concatenate,
            shape=self._shape_item(resolved),
        )

    def _version_problem(
        self, resolved: _Resolved, recorded: str, error: bool, command: str | None
    ) -> None:
        current = resolved.version_id
        if current is None or current == recorded:
            return
        model = resolved.model or self.ref
        command = command or f"replicate codegen {model} --output DIR"
        message = (
            f"{model} is at version {current}, but this code was generated from version "
            f"{recorded}: regenerate it with `{command}`"
        )
        if error:
            raise ModelVersionError(message)
        if recorded not in self._warned:
            self._warned.add(recorded)
            warnings.warn(message, ModelVersionWarning, stacklevel=4)

    # -- description ------------------------------------------------------------------------------

    def _signature(self, resolved: _Resolved) -> inspect.Signature:
        parameters: list[inspect.Parameter] = []
        schema = resolved.schema
        if schema is None:
            parameters.append(inspect.Parameter("inputs", inspect.Parameter.VAR_KEYWORD))
            return inspect.Signature(parameters)
        for spec in schema.inputs.values():
            if not spec.name.isidentifier() or keyword.iskeyword(spec.name):
                continue  # an input Python cannot name as a keyword (fn(**{"class": ...}))
            default = spec.default
            if default is MISSING:
                default = inspect.Parameter.empty if spec.required else None
            parameters.append(
                inspect.Parameter(
                    spec.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=default,
                    annotation=spec.type_label(),
                )
            )
        return inspect.Signature(parameters, return_annotation=schema.output_label())

    def _describe(self, resolved: _Resolved) -> str:
        lines = [f"{self._label} as a function."]
        schema = resolved.schema
        if schema is None:
            lines.append("Its schema cannot be read: inputs are sent unchecked.")
            return "\n".join(lines)
        lines += ["", f"{self._label}{schema.signature()}", ""]
        if resolved.version_id:
            lines.append(f"Version: {resolved.version_id}")
        lines.append("Inputs:")
        for spec in schema.inputs.values():
            line = "    " + schema.parameter(spec)
            if spec.description:
                line += f"\n        {spec.description.strip()[:300]}"
            lines.append(line)
        if not schema.inputs:
            lines.append("    (none)")
        return "\n".join(lines)

    def _repr(self, kind: str) -> str:
        resolved = self._resolved
        if resolved is None or (resolved.schema is None and resolved.pending):
            return f"<{kind} {self.ref} (schema not fetched yet)>"
        if resolved.schema is None:
            return f"<{kind} {self._label} (no readable schema)>"
        return f"<{kind} {self._label}{resolved.schema.signature()}>"


class _InstanceDoc:
    """``__doc__`` and ``__signature__`` per instance (the schema's), the class's own on the
    class (so ``help(fn)`` and ``inspect.signature(fn)`` show the model's inputs)."""

    def __init__(self, on_class: Any, on_instance: Callable[[Any], Any]) -> None:
        self._on_class = on_class
        self._on_instance = on_instance

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self._on_class
        return self._on_instance(instance)


class _Handle:
    """What ``Run`` and ``AsyncRun`` share: the function and the prediction it started."""

    def __init__(self, function: _Base, prediction: Prediction) -> None:
        self._function = function
        self.prediction = prediction
        """The prediction, as last seen."""

    @property
    def id(self) -> str:
        """The prediction's id."""
        return self.prediction.id

    @property
    def _prediction(self) -> Prediction:  # the official SDK's name for it
        return self.prediction

    def __repr__(self) -> str:
        prediction = self.prediction
        kind = type(self).__name__
        return f"<{kind} {prediction.id} of {self._function.ref}: {prediction.status}>"


# -- sync -------------------------------------------------------------------------------------


class Run(_Handle):
    """A prediction started by ``Function.create``: follow it, read its output, cancel it.

    Example::

        run = replicate.use("replicate/hello-world").create(text="Alice")
        print(run.id, run.logs())
        print(run.output())  # waits for the end
    """

    _function: Function[..., Any]

    def output(self) -> Any:
        """The output as the function returns it: an ``OutputIterator`` for a streaming
        function's iterator output (read as it is made), else the whole output once the
        prediction has ended (``ModelError`` if it failed).

        Example::

            print(run.output())
        """
        function = self._function
        resolved = function._resolve()
        kind = function._kind(resolved)
        if kind.iterator:
            return function._iterator(resolved, self.prediction)
        return self.wait()

    def wait(self) -> Any:
        """Wait for the end; the whole output, shaped (``ModelError`` if it failed).

        Example::

            images = run.wait()
        """
        prediction = self.prediction
        prediction.wait()
        if prediction.status == "failed":
            raise ModelError(prediction)
        return self._function._finish(prediction, prediction.output)

    def logs(self) -> str | None:
        """The logs so far (fetched now).

        Example::

            print(run.logs())
        """
        self.prediction.reload()
        return self.prediction.logs

    def cancel(self) -> None:
        """Cancel the prediction.

        Example::

            run.cancel()
        """
        self.prediction.cancel()


class Function(_Base, Generic[P, R]):
    """A model as a function: ``fn(**inputs)`` runs it (see the module's docstring).

    Example::

        hello = replicate.use("replicate/hello-world")
        print(hello(text="Alice"))  # 'hello Alice'
        help(hello)  # its inputs, types and defaults
    """

    __doc__ = _InstanceDoc(__doc__, lambda self: self._describe_fetched())
    __signature__ = _InstanceDoc(None, lambda self: self._signature_fetched())

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the model on the inputs (keywords) and return its output (``ModelError`` if
        it fails).

        Example::

            [picture] = replicate.use("replicate/image")(prompt="a fox")
        """
        inputs = _keywords(self, args, kwargs)
        resolved = self._resolve()
        sent = self._check(resolved, inputs)
        kind = self._kind(resolved)
        guard = Guard()
        output = _run.run(
            self._client,
            resolved.reference,
            sent,
            use_file_output=False,
            wait=not kind.iterator,
            known_kind=kind,
            guard=guard,
            until_ended=True,
        )
        if kind.iterator:
            prediction = cast("Prediction", guard.run)
            return cast("R", self._iterator(resolved, prediction, output))
        return cast("R", self._finish(guard.run, output))

    def create(self, *args: P.args, **kwargs: P.kwargs) -> Run:
        """Start the model on the inputs (checked first) and return a ``Run`` at once.

        Example::

            run = replicate.use("replicate/slow").create(seconds=2)
            run.cancel()
        """
        from replicate.prediction import CreateOptions

        inputs = _keywords(self, args, kwargs)
        resolved = self._resolve()
        sent = self._check(resolved, inputs)
        prediction = self._client.predictions._create(
            resolved.reference, sent, CreateOptions.of({})
        )
        return Run(self, prediction)

    @property
    def openapi_schema(self) -> dict[str, Any] | None:
        """The version's schema of the model's inputs and output (None when it has none):
        ``Input`` and ``Output`` with their references inlined, without Cog's own schemas and
        paths, as the official SDK gives it (which also spells it ``openapi_schema()``).

        Example::

            inputs = fn.openapi_schema["components"]["schemas"]["Input"]["properties"]
        """
        return self._public_schema(self._resolve())

    @property
    def default_example(self) -> dict[str, Any] | None:
        """The inputs of the model's default example (None when it has none).

        Example::

            output = fn(**fn.default_example)
        """
        if not self._example_known:
            self._example = _example_input(self._example_model())
            self._example_known = True
        return self._example

    @property
    def version_id(self) -> str | None:
        """The id of the version whose schema shapes this function (None: no readable one).

        Example::

            print(fn.version_id)
        """
        return self._resolve().version_id

    def check_version(
        self, recorded: str, *, error: bool = False, command: str | None = None
    ) -> None:
        """Warn once (``ModelVersionWarning``), or raise ``ModelVersionError`` with
        ``error=True``, when the model's version is not ``recorded``: what a module made by
        ``replicate codegen`` calls before each run. ``command`` is how to regenerate that
        code, which the message gives.

        Example::

            fn.check_version("5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa")
        """
        self._version_problem(self._resolve(), recorded, error, command)

    def __repr__(self) -> str:
        return self._repr("Function")

    # -- internals ---------------------------------------------------------------------------

    def _resolve(self) -> _Resolved:
        resolved = self._known()
        if resolved is not None:
            if self._resolved is None:
                self._keep(resolved)
            return resolved
        with self._lock:
            if self._resolved is None:
                self._keep(self._fetch())
            assert self._resolved is not None
            return self._resolved

    def _describe_fetched(self) -> str:
        try:
            return self._describe(self._resolve())
        except Exception as error:  # help() must not fail: say why the inputs are missing
            return f"{self.ref} as a function (its schema could not be fetched: {error})"

    def _signature_fetched(self) -> inspect.Signature:
        try:
            return self._signature(self._resolve())
        except Exception:
            return inspect.Signature([inspect.Parameter("inputs", inspect.Parameter.VAR_KEYWORD)])

    def _fetch(self) -> _Resolved:
        from replicate.version import Versions

        reference = self._reference
        owner, name = reference.owner, reference.name
        versions = Versions(self._client, (owner, name))
        if reference.kind == "model":
            model = _given_model(self._given) or self._client.models.get(owner, name)
            self._example, self._example_known = _example_input(model), True
            try:
                listed = versions.list().results
            except NotFoundError:  # a model without addressable versions (official ones)
                listed = []
            return _model_target(reference, self.ref, model, bool(listed))
        return _from_version(reference, f"{owner}/{name}", versions.get(reference.version_id))

    def _finish(self, prediction: object, output: Any) -> Any:
        model = self._learned(prediction)
        if model is not None:
            from replicate.version import Versions

            resolved = self._resolved
            assert resolved is not None
            try:
                version = Versions(self._client, model).get(resolved.version_id or "")
            except ReplicateError:  # the output is here: give it, unshaped
                version = None
            self._keep(_from_version(resolved.reference, model, version))
        return self._shape(self._resolve(), output)

    def _example_model(self) -> Model | None:
        resolved = self._resolve()
        given = _given_model(self._given)
        if given is not None:
            return given
        if resolved.model is None:
            return None
        return self._client.models.get(resolved.model)


# -- async ------------------------------------------------------------------------------------


class AsyncRun(_Handle):
    """A prediction started by ``AsyncFunction.create`` (see ``Run``).

    Example::

        run = await replicate.use("replicate/hello-world", use_async=True).create(text="Al")
        print(await run.output())
    """

    _function: AsyncFunction[..., Any]

    async def output(self) -> Any:
        """The output as the function returns it (see ``Run.output``).

        Example::

            print(await run.output())
        """
        function = self._function
        resolved = await function._resolve()
        kind = function._kind(resolved)
        if kind.iterator:
            return function._iterator(resolved, self.prediction)
        return await self.wait()

    async def wait(self) -> Any:
        """Wait for the end; the whole output, shaped (``ModelError`` if it failed).

        Example::

            images = await run.wait()
        """
        prediction = self.prediction
        await prediction.async_wait()
        if prediction.status == "failed":
            raise ModelError(prediction)
        return await self._function._finish(prediction, prediction.output)

    async def logs(self) -> str | None:
        """The logs so far (fetched now).

        Example::

            print(await run.logs())
        """
        await self.prediction.async_reload()
        return self.prediction.logs

    async def cancel(self) -> None:
        """Cancel the prediction.

        Example::

            await run.cancel()
        """
        await self.prediction.async_cancel()


class AsyncFunction(_Base, Generic[P, R]):
    """A model as an async function: ``await fn(**inputs)`` (see ``Function``).

    Example::

        hello = replicate.use("replicate/hello-world", use_async=True)
        print(await hello(text="Alice"))
    """

    __doc__ = _InstanceDoc(__doc__, lambda self: self._describe_known())
    __signature__ = _InstanceDoc(None, lambda self: self._signature_known())

    def __init__(self, client: Client, ref: Any, *, streaming: bool = False) -> None:
        super().__init__(client, ref, streaming=streaming)
        self._loop_locks: dict[int, asyncio.Lock] = {}

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the model on the inputs and return its output (see ``Function.__call__``).

        Example::

            [picture] = await replicate.use("replicate/image", use_async=True)(prompt="a fox")
        """
        inputs = _keywords(self, args, kwargs)
        resolved = await self._resolve()
        sent = self._check(resolved, inputs)
        kind = self._kind(resolved)
        guard = Guard()
        output = await _run.async_run(
            self._client,
            resolved.reference,
            sent,
            use_file_output=False,
            wait=not kind.iterator,
            known_kind=kind,
            guard=guard,
            until_ended=True,
        )
        if kind.iterator:
            prediction = cast("Prediction", guard.run)
            return cast("R", self._iterator(resolved, prediction, output))
        return cast("R", await self._finish(guard.run, output))

    async def create(self, *args: P.args, **kwargs: P.kwargs) -> AsyncRun:
        """Start the model on the inputs (checked first) and return an ``AsyncRun`` at once.

        Example::

            run = await fn.create(prompt="a fox")
        """
        from replicate.prediction import CreateOptions

        inputs = _keywords(self, args, kwargs)
        resolved = await self._resolve()
        sent = self._check(resolved, inputs)
        prediction = await self._client.predictions._async_create(
            resolved.reference, sent, CreateOptions.of({})
        )
        return AsyncRun(self, prediction)

    async def openapi_schema(self) -> dict[str, Any] | None:
        """The version's schema of the model's inputs and output (see ``Function``).

        Example::

            schema = await fn.openapi_schema()
        """
        return self._public_schema(await self._resolve())

    async def default_example(self) -> dict[str, Any] | None:
        """The inputs of the model's default example (None when it has none).

        Example::

            output = await fn(**(await fn.default_example()))
        """
        if not self._example_known:
            self._example = _example_input(await self._example_model())
            self._example_known = True
        return self._example

    async def version_id(self) -> str | None:
        """The id of the version whose schema shapes this function (see ``Function``).

        Example::

            print(await fn.version_id())
        """
        return (await self._resolve()).version_id

    async def check_version(
        self, recorded: str, *, error: bool = False, command: str | None = None
    ) -> None:
        """``Function.check_version``, asynchronously.

        Example::

            await fn.check_version(VERSION)
        """
        self._version_problem(await self._resolve(), recorded, error, command)

    def __repr__(self) -> str:
        return self._repr("AsyncFunction")

    # -- internals ---------------------------------------------------------------------------

    def _describe_known(self) -> str:
        known = self._known()
        if known is None:
            return (
                f"{self.ref} as an async function (its inputs are listed once its schema "
                "is fetched: await fn.openapi_schema())"
            )
        return self._describe(known)

    def _signature_known(self) -> inspect.Signature:
        known = self._known()
        if known is None:
            return inspect.Signature([inspect.Parameter("inputs", inspect.Parameter.VAR_KEYWORD)])
        return self._signature(known)

    def _loop_lock(self) -> asyncio.Lock:
        key = id(asyncio.get_running_loop())
        lock = self._loop_locks.get(key)
        if lock is None:
            if len(self._loop_locks) > 16:
                self._loop_locks.clear()
            lock = self._loop_locks[key] = asyncio.Lock()
        return lock

    async def _resolve(self) -> _Resolved:
        resolved = self._known()
        if resolved is not None:
            if self._resolved is None:
                self._keep(resolved)
            return resolved
        async with self._loop_lock():
            if self._resolved is None:
                self._keep(await self._fetch())
            assert self._resolved is not None
            return self._resolved

    async def _fetch(self) -> _Resolved:
        from replicate.version import Versions

        reference = self._reference
        owner, name = reference.owner, reference.name
        versions = Versions(self._client, (owner, name))
        if reference.kind == "model":
            model = _given_model(self._given) or await self._client.models.async_get(owner, name)
            self._example, self._example_known = _example_input(model), True
            try:
                listed = (await versions.async_list()).results
            except NotFoundError:  # a model without addressable versions (official ones)
                listed = []
            return _model_target(reference, self.ref, model, bool(listed))
        version = await versions.async_get(reference.version_id)
        return _from_version(reference, f"{owner}/{name}", version)

    async def _finish(self, prediction: object, output: Any) -> Any:
        model = self._learned(prediction)
        if model is not None:
            from replicate.version import Versions

            resolved = self._resolved
            assert resolved is not None
            try:
                version = await Versions(self._client, model).async_get(resolved.version_id or "")
            except ReplicateError:  # the output is here: give it, unshaped
                version = None
            self._keep(_from_version(resolved.reference, model, version))
        return self._shape(await self._resolve(), output)

    async def _example_model(self) -> Model | None:
        resolved = await self._resolve()
        given = _given_model(self._given)
        if given is not None:
            return given
        if resolved.model is None:
            return None
        return await self._client.models.async_get(resolved.model)


def _example_input(model: Model | None) -> dict[str, Any] | None:
    example = getattr(model, "default_example", None)
    given = getattr(example, "input", None)
    return dict(given) if isinstance(given, dict) else None


def _keywords(function: _Base, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    if args:
        raise TypeError(
            f"{function.ref} takes its inputs as keyword arguments (name=value), "
            f"not {len(args)} positional"
        )
    return kwargs


def _reference_of(ref: Any) -> Any:
    """What names the model: ``ref`` itself, or the ``name`` of a ``FunctionRef`` object."""
    from replicate.identifier import ModelVersionIdentifier
    from replicate.model import Model
    from replicate.version import Version

    if isinstance(ref, str | Model | Version | ModelVersionIdentifier):
        return ref
    name = getattr(ref, "name", None)
    if isinstance(name, str) and callable(ref):
        return name
    return ref  # Reference.parse says what is wrong with it


def function_for(
    client: Client, ref: Any, *, streaming: bool, use_async: bool
) -> Function[..., Any] | AsyncFunction[..., Any]:
    """The client's function for ``ref`` (one per reference and options; see ``Client.use``).

    Example::

        function_for(client, "replicate/hello-world", streaming=False, use_async=False)
    """
    if not isinstance(streaming, bool) or not isinstance(use_async, bool):
        raise TypeError("streaming and use_async must be True or False")
    ref = _reference_of(ref)
    reference = Reference.parse(ref)
    cacheable = isinstance(ref, str)
    functions = client._functions
    key = (str(reference), streaming, use_async)
    if cacheable:
        found: Function[..., Any] | AsyncFunction[..., Any] | None = functions.get(key)
        if found is not None:
            return found
    made: Function[..., Any] | AsyncFunction[..., Any] = (
        AsyncFunction(client, ref, streaming=streaming)
        if use_async
        else Function(client, ref, streaming=streaming)
    )
    if cacheable:
        if len(functions) >= _CACHE_LIMIT:
            functions.clear()
        made = functions.setdefault(key, made)
    return made
