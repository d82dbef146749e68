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
import copy
import hashlib
import inspect
import json
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
    log(progress_line(done, total))


def progress_line(done: int, total: int) -> str:
    """A tqdm-style progress line: ``progress_line(9, 20) == " 45%|####      | 9/20"``."""
    percent = int(100 * done / total) if total else 100
    bar = "#" * (percent // 10)
    return f"{percent:3d}%|{bar:<10}| {done}/{total}"


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


def _parameters(function: Callable[..., Any]) -> tuple[JSON, JSON]:
    """The ``Input`` schema of ``function``'s parameters, and the enum schemas it refers to.

    As cog writes them: a ``Literal`` parameter is an enum schema of its own, named after the
    parameter, that the property points to with ``allOf: [{"$ref": ...}]``.
    """
    hints = typing.get_type_hints(function)
    properties: JSON = {}
    enums: JSON = {}
    required: list[str] = []
    for order, (name, parameter) in enumerate(inspect.signature(function).parameters.items()):
        schema = _json_type(hints.get(name, Any))
        if "enum" in schema:
            enums[name] = {"title": name, "description": "An enumeration.", **schema}
            prop: JSON = {"allOf": [{"$ref": f"#/components/schemas/{name}"}], "x-order": order}
        else:
            prop = {**schema, "title": _title(name), "x-order": order}
        if parameter.default is inspect.Parameter.empty:
            required.append(name)
        elif parameter.default is not None:
            prop["default"] = parameter.default
        properties[name] = prop
    schema = {"type": "object", "title": "Input", "properties": properties}
    if required:
        schema["required"] = required
    return schema, enums


def input_schema(function: Callable[..., Any]) -> JSON:
    """The cog-style ``Input`` schema of ``function``'s parameters."""
    return _parameters(function)[0]


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
    """A version's ``openapi_schema``: the whole document cog writes for a model.

    Input and Output come from ``function``; the rest (the prediction request and response,
    their status and webhook events, validation errors, and cog's six HTTP paths) is the same
    for every model, as in real versions.
    """
    inputs, enums = _parameters(function)
    schemas = {
        **_COG_SCHEMAS,
        **enums,
        "Input": inputs,
        "Output": output_schema(function),
    }
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": copy.deepcopy(_COG_PATHS),
        "components": {"schemas": copy.deepcopy(dict(sorted(schemas.items())))},
    }


def _ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def _timestamp(title: str) -> JSON:
    return {"title": title, "type": "string", "format": "date-time"}


def _json_response(schema: JSON) -> JSON:
    return {
        "200": {
            "description": "Successful Response",
            "content": {"application/json": {"schema": schema}},
        }
    }


_VALIDATION_ERROR = {
    "422": {
        "description": "Validation Error",
        "content": {"application/json": {"schema": _ref("HTTPValidationError")}},
    }
}

# What cog's HTTP server declares for every model (cog 0.9).
_COG_SCHEMAS: JSON = {
    "HTTPValidationError": {
        "title": "HTTPValidationError",
        "type": "object",
        "properties": {
            "detail": {"title": "Detail", "type": "array", "items": _ref("ValidationError")}
        },
    },
    "PredictionRequest": {
        "title": "PredictionRequest",
        "type": "object",
        "properties": {
            "id": {"title": "Id", "type": "string"},
            "input": _ref("Input"),
            "webhook": {
                "title": "Webhook",
                "maxLength": 65536,
                "minLength": 1,
                "type": "string",
                "format": "uri",
            },
            "created_at": _timestamp("Created At"),
            "output_file_prefix": {"title": "Output File Prefix", "type": "string"},
            "webhook_events_filter": {
                "type": "array",
                "items": _ref("WebhookEvent"),
                "default": ["start", "output", "logs", "completed"],
            },
        },
    },
    "PredictionResponse": {
        "title": "PredictionResponse",
        "type": "object",
        "properties": {
            "id": {"title": "Id", "type": "string"},
            "logs": {"title": "Logs", "type": "string", "default": ""},
            "error": {"title": "Error", "type": "string"},
            "input": _ref("Input"),
            "output": _ref("Output"),
            "status": _ref("Status"),
            "metrics": {"title": "Metrics", "type": "object"},
            "version": {"title": "Version", "type": "string"},
            "created_at": _timestamp("Created At"),
            "started_at": _timestamp("Started At"),
            "completed_at": _timestamp("Completed At"),
        },
    },
    "Status": {
        "title": "Status",
        "enum": ["starting", "processing", "succeeded", "canceled", "failed"],
        "type": "string",
        "description": "An enumeration.",
    },
    "ValidationError": {
        "title": "ValidationError",
        "required": ["loc", "msg", "type"],
        "type": "object",
        "properties": {
            "loc": {
                "title": "Location",
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
            },
            "msg": {"title": "Message", "type": "string"},
            "type": {"title": "Error Type", "type": "string"},
        },
    },
    "WebhookEvent": {
        "title": "WebhookEvent",
        "enum": ["start", "output", "logs", "completed"],
        "type": "string",
        "description": "An enumeration.",
    },
}

_COG_PATHS: JSON = {
    "/": {
        "get": {
            "summary": "Root",
            "operationId": "root__get",
            "responses": _json_response({"title": "Response Root  Get"}),
        }
    },
    "/health-check": {
        "get": {
            "summary": "Healthcheck",
            "operationId": "healthcheck_health_check_get",
            "responses": _json_response({"title": "Response Healthcheck Health Check Get"}),
        }
    },
    "/predictions": {
        "post": {
            "summary": "Predict",
            "description": "Run a single prediction on the model",
            "operationId": "predict_predictions_post",
            "parameters": [
                {
                    "required": False,
                    "schema": {"title": "Prefer", "type": "string"},
                    "name": "prefer",
                    "in": "header",
                }
            ],
            "requestBody": {"content": {"application/json": {"schema": _ref("PredictionRequest")}}},
            "responses": {**_json_response(_ref("PredictionResponse")), **_VALIDATION_ERROR},
        }
    },
    "/predictions/{prediction_id}": {
        "put": {
            "summary": "Predict Idempotent",
            "description": "Run a single prediction on the model (idempotent creation).",
            "operationId": "predict_idempotent_predictions__prediction_id__put",
            "parameters": [
                {
                    "required": True,
                    "schema": {"title": "Prediction ID", "type": "string"},
                    "name": "prediction_id",
                    "in": "path",
                },
                {
                    "required": False,
                    "schema": {"title": "Prefer", "type": "string"},
                    "name": "prefer",
                    "in": "header",
                },
            ],
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {"title": "Prediction Request", **_ref("PredictionRequest")}
                    }
                },
                "required": True,
            },
            "responses": {**_json_response(_ref("PredictionResponse")), **_VALIDATION_ERROR},
        }
    },
    "/predictions/{prediction_id}/cancel": {
        "post": {
            "summary": "Cancel",
            "description": "Cancel a running prediction",
            "operationId": "cancel_predictions__prediction_id__cancel_post",
            "parameters": [
                {
                    "required": True,
                    "schema": {"title": "Prediction ID", "type": "string"},
                    "name": "prediction_id",
                    "in": "path",
                }
            ],
            "responses": {
                **_json_response({"title": "Response Cancel Predictions"}),
                **_VALIDATION_ERROR,
            },
        }
    },
    "/shutdown": {
        "post": {
            "summary": "Start Shutdown",
            "operationId": "start_shutdown_shutdown_post",
            "responses": _json_response({"title": "Response Start Shutdown Shutdown Post"}),
        }
    },
}


# --- checking inputs as the API does --------------------------------------------------------


# JSON Schema's names for JSON values, as the API's messages use them.
def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


@dataclass(frozen=True)
class InputProblem:
    """One input the API refuses: ``field`` (``input.steps``), ``kind`` and ``description``."""

    field: str
    kind: str
    description: str


def _resolve(schema: JSON, document: JSON) -> JSON:
    """``schema`` with its ``$ref`` and ``allOf`` merged in (its own keys win), as cog needs."""
    merged: JSON = {}
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
        name = reference.rsplit("/", 1)[-1]
        merged.update(_resolve(document["components"]["schemas"].get(name, {}), document))
    for part in schema.get("allOf") or ():
        merged.update(_resolve(part, document))
    merged.update({k: v for k, v in schema.items() if k not in ("$ref", "allOf")})
    return merged


def _value_problems(field: str, value: Any, schema: JSON, document: JSON) -> list[InputProblem]:
    schema = _resolve(schema, document)
    expected = schema.get("type")
    given = _json_kind(value)
    fits = expected is None or given == expected or (expected == "number" and given == "integer")
    if not fits:
        text = f"Invalid type. Expected: {expected}, given: {given}"
        return [InputProblem(field, "invalid_type", text)]
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(json.dumps(choice) for choice in schema["enum"])
        text = f"{field.rsplit('.', 1)[-1]} must be one of the following: {choices}"
        return [InputProblem(field, "enum", text)]
    problems = []
    if given in ("integer", "number"):
        if "minimum" in schema and value < schema["minimum"]:
            text = f"Must be greater than or equal to {schema['minimum']}"
            problems.append(InputProblem(field, "number_gte", text))
        if "maximum" in schema and value > schema["maximum"]:
            text = f"Must be less than or equal to {schema['maximum']}"
            problems.append(InputProblem(field, "number_lte", text))
    if given == "array" and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            problems += _value_problems(f"{field}.{index}", item, schema["items"], document)
    return problems


def check_input(document: JSON, given: JSON) -> tuple[JSON, list[InputProblem]]:
    """Check ``given`` against a version's ``openapi_schema`` as the API does; apply defaults.

    Returns the input a model is called with and the problems, each naming its field::

        inputs, problems = check_input(openapi_schema(hello_world), {"text": 5})
        problems[0].description  # 'Invalid type. Expected: string, given: integer'
    """
    schema = ((document.get("components") or {}).get("schemas") or {}).get("Input")
    if not isinstance(schema, dict):  # a version without an input schema: nothing to check
        return dict(given), []
    properties: JSON = schema.get("properties", {})
    problems = [
        InputProblem(
            "input", "additional_property_not_allowed", f"Additional property {key} is not allowed"
        )
        for key in given
        if key not in properties
    ]
    for key in schema.get("required", []):
        if key not in given:
            problems.append(InputProblem("input", "required", f"{key} is required"))
    for key, value in given.items():
        if key in properties:
            problems += _value_problems(f"input.{key}", value, properties[key], document)
    resolved = {}
    for key, prop in properties.items():
        default = _resolve(prop, document).get("default", _MISSING)
        if key not in given and default is not _MISSING:
            resolved[key] = default
    resolved.update({key: value for key, value in given.items() if key in properties})
    return resolved, problems


_MISSING = object()


@dataclass
class EmulatedModel:
    """A model the emulator can run.

    ``setup_time`` is how long a prediction stays ``starting``. ``official=True`` makes an
    official model: it runs by name through ``POST /models/{owner}/{name}/predictions`` (or by
    ``owner/name:version``), and predictions made by name show an opaque ``version``
    (``dp-...``) and, when ``backing_model`` is given, that model's name. ``streams`` says
    whether its predictions get ``urls.stream``: by default, when the output is an iterator
    (a generator), as the API gives a stream URL only to models that support streaming.
    """

    owner: str
    name: str
    function: Callable[..., Any]
    description: str = ""
    official: bool = False
    version_id: str | None = None
    setup_time: float = 0.0
    openapi_schema: JSON = field(default_factory=dict)
    streams: bool | None = None
    backing_model: str | None = None

    def __post_init__(self) -> None:
        if not self.openapi_schema:
            self.openapi_schema = openapi_schema(self.function)
        if self.streams is None:
            self.streams = self.iterates

    @property
    def ref(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def output(self) -> JSON:
        """The version's ``Output`` schema."""
        schemas = self.openapi_schema.get("components", {}).get("schemas", {})
        return dict(schemas.get("Output") or {})

    @property
    def iterates(self) -> bool:
        """Whether the output is an iterator (``x-cog-array-type: iterator``)."""
        return self.output.get("x-cog-array-type") == "iterator"

    @property
    def makes_text(self) -> bool:
        """Whether the output is text made token by token (a language model's)."""
        return self.output.get("x-cog-array-display") == "concatenate"

    def check_input(self, given: JSON) -> tuple[JSON, list[InputProblem]]:
        """Apply defaults; return the input and the problems, as :func:`check_input`."""
        return check_input(self.openapi_schema, given)


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
        log(f"generating {max_tokens} tokens")
        for token in language_tokens(prompt, max_tokens):
            if tokens_per_second > 0:
                await asyncio.sleep(1 / tokens_per_second)
            yield token

    return language_model


def language_tokens(prompt: str, max_tokens: int) -> list[str]:
    """What the language model says: the prompt's words, then a fixed text, one token each."""
    words = [*prompt.split(), *_TEXT.split()]
    return [(" " if index else "") + words[index % len(words)] for index in range(max_tokens)]


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


_COLOUR_TYPES = {0: "greyscale", 2: "RGB", 3: "palette", 4: "greyscale and alpha", 6: "RGBA"}
_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # a pixel's samples, by colour type
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}

# Leading bytes of the kinds of file a caption names (the first that matches wins).
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\xff\xd8\xff", "JPEG image"),
    (0, b"GIF87a", "GIF image"),
    (0, b"GIF89a", "GIF image"),
    (8, b"WEBP", "WebP image"),
    (8, b"WAVE", "WAV audio"),
    (0, b"ID3", "MP3 audio"),
    (4, b"ftyp", "MP4 video"),
    (0, b"%PDF-", "PDF document"),
    (0, b"PK\x03\x04", "ZIP archive"),
    (0, b"\x1f\x8b", "gzip archive"),
    (0, b"\x89PNG\r\n\x1a\n", "PNG image"),  # one whose header cannot be read
)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def _article(number: int) -> str:
    """``an`` before a number said with a vowel first (8, 11, 18, 80, 8000, 11000), else ``a``."""
    digits = str(number)
    eleven_or_eighteen = len(digits) % 3 == 2 and digits[:2] in ("11", "18")
    return "an" if digits.startswith("8") or eleven_or_eighteen else "a"


def _png_header(data: bytes) -> tuple[int, int, int, int] | None:
    """A PNG's width, height, bit depth and colour type, from its IHDR chunk (None: not one)."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or data[12:16] != b"IHDR" or len(data) < 26:
        return None
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    return (width, height, depth, colour) if depth in _DEPTHS.get(colour, ()) else None


def _first_pixel(data: bytes, depth: int, colour: int) -> str | None:
    """The PNG's top-left pixel as ``#rrggbb`` (``#rrggbbaa`` with alpha), or None.

    Every row filter leaves a first row's first pixel as it is (what lies left of and above
    it counts as zero), and the first pass of an interlaced image starts there too: the
    pixel is the bytes after the first filter byte, so only they are decompressed.
    """
    chunks, offset, palette = [], 8, b""
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        if kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            chunks.append(body)
        elif kind == b"IEND":
            break
        offset += 12 + length
    size = 1 + max(1, _SAMPLES[colour] * depth // 8)
    try:
        head = zlib.decompressobj().decompress(b"".join(chunks), size)
    except zlib.error:
        return None
    if len(head) < size:
        return None
    raw = head[1:]
    if depth < 8:  # greyscale or palette: the top bits of the first byte
        value = raw[0] >> (8 - depth)
        samples = [value] if colour == 3 else [value * 255 // (2**depth - 1)]
    else:  # 16 bits a sample: its high byte
        samples = list(raw[:: depth // 8])
    if colour == 3:
        start = samples[0] * 3
        if len(palette) < start + 3:
            return None
        samples = list(palette[start : start + 3])
    elif colour in (0, 4):
        samples = [samples[0]] * 3 + samples[1:]
    return "#" + "".join(f"{sample:02x}" for sample in samples)


def _kind_of_file(data: bytes) -> str:
    for offset, signature, kind in _SIGNATURES:
        if data[offset : offset + len(signature)] == signature:
            return kind
    if not data:
        return "empty"
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return "unknown type"
    printable = all(char.isprintable() or char in "\t\n\r" for char in text)
    return "text" if printable else "unknown type"


def describe(data: bytes, detail: str = "short") -> str:
    """What ``replicate/caption`` says of a file's bytes.

    A PNG's size from its IHDR chunk, with ``detail="long"`` its length, colour type and
    top-left pixel too; any other file's length and detected kind::

        describe(png(64, 32))  # 'a 64x32 PNG image'
        describe(b"hello", "long")  # 'a file of 5 bytes (text), beginning "hello"'
    """
    header = _png_header(data)
    if header is not None:
        width, height, depth, colour = header
        caption = f"{_article(width)} {width}x{height} PNG image"
        if detail != "long":
            return caption
        caption += f" of {_count(len(data), 'byte')} ({depth}-bit {_COLOUR_TYPES[colour]})"
        pixel = _first_pixel(data, depth, colour)
        return caption + (f", its top-left pixel {pixel}" if pixel else "")
    kind = _kind_of_file(data)
    caption = f"a file of {_count(len(data), 'byte')} ({kind})"
    if detail != "long" or not data:
        return caption
    if kind == "text":
        excerpt = data.decode()[:40]
        return caption + f", beginning {json.dumps(excerpt, ensure_ascii=False)}"
    return caption + f", beginning {data[:8].hex()}"


def caption_model(image: Path, detail: Literal["short", "long"] = "short") -> str:
    """Describes a file: a PNG's size (more with ``detail="long"``), else its length and kind."""
    return describe(image.read_bytes(), detail)


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


LANGUAGE_MODEL_VERSION = "0c3a6ea2c8d1e5f47b9a28d6e1f0b3c5a7d9e2f4b6a8c0d2e4f6a8b0c2d4e6f8"


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
            official=True,
            version_id=LANGUAGE_MODEL_VERSION,
            # Official models run on a model of their own, whose name their predictions show.
            backing_model="replicate-internal/language-model-cpu",
        ),
        EmulatedModel(
            "replicate",
            "image",
            image_model,
            description="Makes PNG images",
            version_id=builtin_version("replicate/image"),
        ),
        EmulatedModel(
            "replicate",
            "caption",
            caption_model,
            description="Describes an image: a PNG's size, or any file's length and kind",
            version_id=builtin_version("replicate/caption"),
        ),
        EmulatedModel(
            "replicate",
            "fails",
            failing_model,
            description="Always fails",
            version_id=builtin_version("replicate/fails"),
        ),
        EmulatedModel(
            "replicate",
            "slow",
            slow_model,
            description="Takes its time",
            version_id=builtin_version("replicate/slow"),
        ),
    ]


def builtin_version(ref: str) -> str:
    """The version id of a built-in model: the same in every emulator, as a real model's
    version is the same for every client (code generated from one emulator runs on another).

    >>> len(builtin_version("replicate/image"))
    64
    """
    return hashlib.sha256(f"replicate-emulator:{ref}".encode()).hexdigest()


_COG_EXAMPLES = "https://github.com/replicate/cog-examples"
_APACHE = "https://www.apache.org/licenses/LICENSE-2.0"
_COG_DOCS = "https://github.com/replicate/cog/blob/main/docs/getting-started.md"

# Links of the built-in models, as real models fill them in (their cover images are PNGs on
# the delivery host, at /covers/OWNER/NAME.png).
BUILTIN_LINKS: dict[str, dict[str, str]] = {
    "replicate/hello-world": {
        "github_url": _COG_EXAMPLES,
        "paper_url": _COG_DOCS,
        "license_url": f"{_COG_EXAMPLES}/blob/main/LICENSE",
    },
    "replicate/language-model": {
        "github_url": _COG_EXAMPLES,
        "paper_url": "https://arxiv.org/abs/1706.03762",
        "license_url": _APACHE,
    },
    "replicate/image": {
        "github_url": _COG_EXAMPLES,
        "paper_url": "https://arxiv.org/abs/2112.10752",
        "license_url": _APACHE,
    },
    "replicate/caption": {
        "github_url": _COG_EXAMPLES,
        "paper_url": "https://arxiv.org/abs/2201.12086",
        "license_url": _APACHE,
    },
    "replicate/fails": {
        "github_url": _COG_EXAMPLES,
        "paper_url": _COG_DOCS,
        "license_url": _APACHE,
    },
    "replicate/slow": {"github_url": _COG_EXAMPLES, "paper_url": _COG_DOCS, "license_url": _APACHE},
}


def iterate(result: Any) -> Iterator[Any] | AsyncIterator[Any] | None:
    """The iterator behind a streaming model's result, or None for a plain value."""
    if inspect.isasyncgen(result) or inspect.isgenerator(result):
        return result
    return None
