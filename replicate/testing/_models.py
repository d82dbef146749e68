"""Models the emulator runs: a Python callable plus the schema derived from its type hints.

A plain function, a generator, or their async forms becomes a model::

    def echo(text: str, repeat: int = 1) -> str:
        return text * repeat

    emulator.register("me/echo", echo)

Parameters become the version's ``Input`` schema (type, default, order, enum for
``Literal``); the return annotation becomes ``Output`` (a generator of ``str`` is a token
stream: ``x-cog-array-type: iterator`` with ``x-cog-array-display: concatenate``).
Inside a model, :func:`log` and :func:`progress` write to the prediction's logs.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextvars
import inspect
import struct
import types
import typing
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

JSON = dict[str, Any]


@dataclass(frozen=True)
class OutputFile:
    """A file a model returns; the emulator serves it from its delivery origin.

    A model may also return a :class:`pathlib.Path`; its bytes are read when it returns.
    """

    data: bytes
    filename: str = "output.bin"
    content_type: str = "application/octet-stream"


# --- logs and progress, from inside a running model ---------------------------------------

_current_log: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar(
    "replicate_testing_log", default=None
)


def log(message: str) -> None:
    """Append a line to the running prediction's logs (no-op outside a prediction)."""
    sink = _current_log.get()
    if sink is not None:
        sink(message if message.endswith("\n") else message + "\n")


def progress(done: int, total: int) -> None:
    """Log a tqdm-style progress line (``45%|####      | 9/20``) for the running prediction."""
    percent = int(100 * done / total) if total else 100
    bar = "#" * (percent // 10)
    log(f"{percent:3d}%|{bar:<10}| {done}/{total}")


# --- schema from type hints ----------------------------------------------------------------


def _json_type(hint: Any) -> JSON:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is inspect.Parameter.empty or hint is Any or hint is None:
        return {}
    if hint is str:
        return {"type": "string"}
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer"}
    if hint is float:
        return {"type": "number"}
    if isinstance(hint, type) and issubclass(hint, (Path, OutputFile)):
        return {"type": "string", "format": "uri"}
    if hint is dict or origin is dict:
        return {"type": "object"}
    if hint is list or origin in (list, tuple, collections.abc.Sequence):
        return {"type": "array", "items": _json_type(args[0]) if args else {}}
    if origin is Literal:
        schema = _json_type(type(args[0]))
        return {**schema, "enum": list(args)}
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        return _json_type(members[0]) if len(members) == 1 else {}
    return {}


def _title(name: str) -> str:
    return name.replace("_", " ").title()


def input_schema(function: Callable[..., Any]) -> JSON:
    """The cog-style ``Input`` schema of ``function``'s parameters."""
    hints = typing.get_type_hints(function)
    properties: JSON = {}
    required: list[str] = []
    for order, (name, parameter) in enumerate(inspect.signature(function).parameters.items()):
        prop = {**_json_type(hints.get(name, Any)), "title": _title(name), "x-order": order}
        if parameter.default is inspect.Parameter.empty:
            required.append(name)
        elif parameter.default is not None:
            prop["default"] = parameter.default
        properties[name] = prop
    schema: JSON = {"type": "object", "title": "Input", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _is_stream(function: Callable[..., Any]) -> bool:
    return inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function)


def output_schema(function: Callable[..., Any]) -> JSON:
    """The cog-style ``Output`` schema of ``function``'s return annotation."""
    hint = typing.get_type_hints(function).get("return", Any)
    origin = typing.get_origin(hint)
    iterators = (
        collections.abc.Iterator,
        collections.abc.Iterable,
        collections.abc.Generator,
        collections.abc.AsyncIterator,
        collections.abc.AsyncIterable,
        collections.abc.AsyncGenerator,
    )
    if origin in iterators or _is_stream(function):
        args = typing.get_args(hint)
        item = _json_type(args[0]) if args else {}
        schema: JSON = {"type": "array", "items": item, "x-cog-array-type": "iterator"}
        if item.get("type") == "string" and item.get("format") != "uri":
            schema["x-cog-array-display"] = "concatenate"
        return {**schema, "title": "Output"}
    return {**_json_type(hint), "title": "Output"}


def openapi_schema(function: Callable[..., Any]) -> JSON:
    """A version's ``openapi_schema``: Input and Output, as cog writes them."""
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": {},
        "components": {
            "schemas": {"Input": input_schema(function), "Output": output_schema(function)}
        },
    }


@dataclass
class EmulatedModel:
    """A model the emulator can run.

    ``setup_time`` is how long a prediction stays ``starting``. ``versioned=False`` makes an
    "official" model: it runs through ``POST /models/{owner}/{name}/predictions`` and its
    predictions show ``version: "hidden"``.
    """

    owner: str
    name: str
    function: Callable[..., Any]
    description: str = ""
    versioned: bool = True
    version_id: str | None = None
    setup_time: float = 0.0
    openapi_schema: JSON = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.openapi_schema:
            self.openapi_schema = openapi_schema(self.function)

    @property
    def ref(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def streams(self) -> bool:
        output = self.openapi_schema["components"]["schemas"]["Output"]
        return bool(output.get("x-cog-array-type") == "iterator")

    def check_input(self, given: JSON) -> tuple[JSON, list[str]]:
        """Apply defaults; return the input and the problems (unknown or missing fields)."""
        schema: JSON = self.openapi_schema["components"]["schemas"]["Input"]
        properties = schema.get("properties", {})
        problems = [f"input.{key}: unexpected field" for key in given if key not in properties]
        for key in schema.get("required", []):
            if key not in given:
                problems.append(f"input.{key}: field required")
        resolved = {
            key: prop["default"]
            for key, prop in properties.items()
            if "default" in prop and key not in given
        }
        resolved.update({key: value for key, value in given.items() if key in properties})
        return resolved, problems


# --- built-in models -------------------------------------------------------------------------

HELLO_WORLD_VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"


def hello_world(text: str) -> str:
    """Says hello."""
    return "hello " + text


_TEXT = (
    "Replicate runs machine learning models in the cloud from a few lines of code, and this "
    "emulator answers the same API on your own machine so that tests run offline, quickly and "
    "repeatably, with streaming output, files, webhooks and faults on demand."
)


def make_language_model(tokens_per_second: float) -> Callable[..., AsyncIterator[str]]:
    async def language_model(
        prompt: str, max_tokens: int = 32, system_prompt: str = ""
    ) -> AsyncIterator[str]:
        """Streams tokens: the prompt's words, then a fixed text, one token at a time."""
        words = [*prompt.split(), *_TEXT.split()]
        log(f"generating {max_tokens} tokens")
        for index in range(max_tokens):
            if tokens_per_second > 0:
                await asyncio.sleep(1 / tokens_per_second)
            yield (" " if index else "") + words[index % len(words)]

    return language_model


def png(width: int, height: int, seed: int = 0) -> bytes:
    """A real PNG image: a colour gradient that depends on ``seed``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        return (x * 255) // max(width - 1, 1), (y * 255) // max(height - 1, 1), seed % 256

    rows = b"".join(
        b"\x00" + bytes(channel for x in range(width) for channel in pixel(x, y))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def image_model(
    prompt: str, num_outputs: int = 1, width: int = 64, height: int = 64, seed: int = 0
) -> list[OutputFile]:
    """Makes PNG images (a gradient per output)."""
    images = []
    for index in range(num_outputs):
        progress(index + 1, num_outputs)
        images.append(OutputFile(png(width, height, seed + index), f"out-{index}.png", "image/png"))
    return images


def failing_model(text: str = "") -> str:
    """Always fails, after writing a log line."""
    log("about to fail")
    raise RuntimeError("this model fails on purpose")


async def slow_model(seconds: float = 5.0, steps: int = 10) -> str:
    """Takes ``seconds``, logging progress; for cancel and deadline tests."""
    for step in range(steps):
        await asyncio.sleep(seconds / steps)
        progress(step + 1, steps)
    return f"finished after {seconds} seconds"


def builtin_models(tokens_per_second: float) -> list[EmulatedModel]:
    """The models every emulator starts with."""
    return [
        EmulatedModel(
            "replicate",
            "hello-world",
            hello_world,
            description="A tiny model that says hello",
            version_id=HELLO_WORLD_VERSION,
        ),
        EmulatedModel(
            "replicate",
            "language-model",
            make_language_model(tokens_per_second),
            description="A language model that streams tokens",
            versioned=False,
        ),
        EmulatedModel("replicate", "image", image_model, description="Makes PNG images"),
        EmulatedModel("replicate", "fails", failing_model, description="Always fails"),
        EmulatedModel("replicate", "slow", slow_model, description="Takes its time"),
    ]


def iterate(result: Any) -> Iterator[Any] | AsyncIterator[Any] | None:
    """The iterator behind a streaming model's result, or None for a plain value."""
    if inspect.isasyncgen(result) or inspect.isgenerator(result):
        return result
    return None
