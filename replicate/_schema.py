"""A model version's schema, read once: its inputs (checked before a run) and its output's
shape (files, token streams, iterators). Pure functions, no I/O.

A version's ``openapi_schema`` is the document Cog writes: ``components.schemas.Input`` is an
object whose properties are the inputs (an enum is a schema of its own, pointed to with
``allOf: [{"$ref": ...}]``; ``x-order`` is the order of the parameters), and
``components.schemas.Output`` is the output (``format: uri`` strings are files; an array with
``x-cog-array-type: iterator`` is made item by item, and with ``x-cog-array-display:
concatenate`` its items are tokens of one text). ``ModelSchema.parse`` gives None for a
document it cannot read, and never raises: schemas come from the network.

Example::

    schema = ModelSchema.parse(version.openapi_schema)
    schema.check({"text": "Alice"}, "replicate/hello-world")  # the input to send
    print(schema.signature())  # (*, text: str) -> str
"""

from __future__ import annotations

import copy
import difflib
import io
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import GeneratorType
from typing import Any, TypeGuard

from replicate._file_output import FileOutput
from replicate._files import plain
from replicate.exceptions import InvalidInputError

__all__ = [
    "MISSING",
    "InputSpec",
    "ModelSchema",
    "is_file_schema",
    "output_schema",
    "public_document",
    "resolve",
]

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
"""An input without a default."""

_MAX_DEPTH = 32
"""How deep ``$ref``s and nested schemas are followed (a cycle or a hostile document stops
there)."""

_FILE_SCHEMES = ("https://", "http://", "data:")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def resolve(schema: Any, document: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """``schema`` with its ``$ref`` and single-member ``allOf`` merged in (Cog's enum form).

    Example::

        resolve({"allOf": [{"$ref": "#/components/schemas/size"}], "default": "s"}, document)
        # {"type": "string", "enum": ["s", "m"], "default": "s", ...}
    """
    schema = _dict(schema)
    if depth > _MAX_DEPTH:
        return {}
    merged: dict[str, Any] = {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = document
        for part in ref[2:].split("/"):
            target = _dict(target).get(part.replace("~1", "/").replace("~0", "~"))
        merged.update(resolve(target, document, depth + 1))
    all_of = schema.get("allOf")
    if isinstance(all_of, list):
        for member in all_of:
            merged.update(resolve(member, document, depth + 1))
    merged.update({k: v for k, v in schema.items() if k not in ("$ref", "allOf")})
    return merged


_COG_INTERNAL = frozenset(
    {
        "HTTPValidationError",
        "PredictionRequest",
        "PredictionResponse",
        "Status",
        "TrainingRequest",
        "TrainingResponse",
        "ValidationError",
        "WebhookEvent",
    }
)
"""Schemas Cog writes into every version for its own HTTP server, not the model's."""


def public_document(document: Any) -> dict[str, Any]:
    """The model's part of a version's ``openapi_schema``, as the official SDK gives it:
    ``Input`` and ``Output`` with their ``$ref``s inlined, the schemas inlined and Cog's own
    (``PredictionRequest``, ``Status``...) dropped, and no ``paths``.

    Example::

        public_document(version.openapi_schema)["components"]["schemas"]  # {"Input", "Output"}
    """
    if not isinstance(document, dict):
        return {}
    result = copy.deepcopy(document)
    components = result.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    if isinstance(schemas, dict):
        original = dict(schemas)
        inlined: set[str] = set()

        def inline(node: Any, stack: frozenset[str]) -> Any:
            if isinstance(node, list):
                return [inline(item, stack) for item in node]
            if not isinstance(node, dict):
                return node
            ref = node.get("$ref")
            prefix = "#/components/schemas/"
            if isinstance(ref, str) and ref.startswith(prefix):
                name = ref[len(prefix) :]
                target = original.get(name)
                if name not in stack and len(stack) < _MAX_DEPTH and isinstance(target, dict):
                    inlined.add(name)
                    rest = {key: value for key, value in node.items() if key != "$ref"}
                    return {**inline(target, stack | {name}), **inline(rest, stack)}
            return {key: inline(value, stack) for key, value in node.items()}

        for name in ("Input", "Output"):
            if name in schemas:
                schemas[name] = inline(schemas[name], frozenset({name}))
        for name in (inlined | _COG_INTERNAL) - {"Input", "Output"}:
            schemas.pop(name, None)
    result["paths"] = {}
    return result


def output_schema(document: Any) -> dict[str, Any]:
    """A version's ``Output`` schema, resolved (empty when the document has none).

    Example::

        output_schema(version.openapi_schema).get("x-cog-array-type")  # 'iterator'
    """
    schemas = _dict(_dict(_dict(document).get("components")).get("schemas"))
    return resolve(schemas.get("Output"), _dict(document))


def is_file_schema(schema: Mapping[str, Any]) -> bool:
    """Whether ``schema`` (resolved) is a file: a string with ``format: uri``."""
    return schema.get("type") == "string" and schema.get("format") == "uri"


def _members(schema: Mapping[str, Any], document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of an ``anyOf``/``oneOf`` (pydantic's ``Optional``), resolved."""
    members: list[dict[str, Any]] = []
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list):
            members += [resolve(option, document) for option in options]
    return members


@dataclass(frozen=True)
class InputSpec:
    """One input of a model: its name, resolved schema, and whether it must be given."""

    name: str
    schema: dict[str, Any]
    required: bool
    default: Any = MISSING
    description: str = ""
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    """The schemas of an ``anyOf``/``oneOf`` (the value must match one of them)."""

    @property
    def nullable(self) -> bool:
        return _nullable(self.schema, self.alternatives)

    def type_label(self) -> str:
        """The input's type as Python reads it: ``str``, ``int``, ``Literal['a', 'b']``..."""
        label = _label(self.schema, self.alternatives)
        return f"{label} | None" if self.nullable and not label.endswith("None") else label


def _nullable(schema: Mapping[str, Any], alternatives: list[dict[str, Any]]) -> bool:
    """Whether ``schema`` (with its ``anyOf``/``oneOf`` alternatives) takes ``None``."""
    return bool(schema.get("nullable")) or any(a.get("type") == "null" for a in alternatives)


def _label(schema: Mapping[str, Any], alternatives: list[dict[str, Any]] | None = None) -> str:
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return "Literal[" + ", ".join(repr(value) for value in enum[:20]) + "]"
    kind = schema.get("type")
    if is_file_schema(schema):
        return "FileLike"
    if kind == "array":
        return f"list[{_label(_dict(schema.get('items')))}]"
    simple = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
    if kind in simple:
        return simple[kind]
    if kind == "object":
        return "dict[str, Any]"
    if kind == "null":
        return "None"
    if alternatives:
        labels = dict.fromkeys(_label(alternative) for alternative in alternatives)
        return " | ".join(labels)
    return "Any"


@dataclass(frozen=True)
class ModelSchema:
    """A version's inputs and output, read from its ``openapi_schema``."""

    inputs: dict[str, InputSpec]
    """The inputs by name, in the model's order (``x-order``)."""

    output: dict[str, Any]
    """The ``Output`` schema, resolved."""

    document: dict[str, Any]
    """The whole ``openapi_schema``."""

    @classmethod
    def parse(cls, document: Any) -> ModelSchema | None:
        """The schema of an ``openapi_schema``; None when it has no readable ``Input``.

        Example::

            ModelSchema.parse({"components": {"schemas": {"Input": {"properties": {}}}}})
        """
        try:
            return cls._parse(document)
        except (TypeError, ValueError, AttributeError, RecursionError):
            return None

    @classmethod
    def _parse(cls, document: Any) -> ModelSchema | None:
        schemas = _dict(_dict(_dict(document).get("components")).get("schemas"))
        raw_input = schemas.get("Input")
        if not isinstance(raw_input, dict):
            return None
        input_schema = resolve(raw_input, document)
        properties = _dict(input_schema.get("properties"))
        required = input_schema.get("required")
        required_names = (
            {name for name in required if isinstance(name, str)}
            if (isinstance(required, list))
            else set()
        )

        def order(item: tuple[int, tuple[str, Any]]) -> tuple[float, int]:
            position, (_, prop) = item
            given = _dict(prop).get("x-order")
            rank = given if isinstance(given, int | float) and math.isfinite(given) else math.inf
            return rank, position

        inputs: dict[str, InputSpec] = {}
        for _, (name, prop) in sorted(enumerate(properties.items()), key=order):
            if not isinstance(name, str):
                continue
            resolved = resolve(prop, document)
            description = resolved.get("description")
            inputs[name] = InputSpec(
                name=name,
                schema=resolved,
                required=name in required_names,
                default=resolved.get("default", MISSING),
                description=description if isinstance(description, str) else "",
                alternatives=_members(resolved, document),
            )
        return cls(inputs=inputs, output=output_schema(document), document=document)

    # -- output ---------------------------------------------------------------------------------

    @property
    def iterator(self) -> bool:
        """Whether the output is made item by item (``x-cog-array-type: iterator``)."""
        return self.output.get("type") == "array" and (
            self.output.get("x-cog-array-type") == "iterator"
        )

    @property
    def concatenate(self) -> bool:
        """Whether the output is a token stream: an iterator of text to join."""
        return self.iterator and self.output.get("x-cog-array-display") == "concatenate"

    @property
    def item_schema(self) -> dict[str, Any]:
        """The schema of the output's items (for an array output)."""
        return resolve(self.output.get("items"), self.document)

    def shape(
        self,
        value: Any,
        make_file: Callable[[str], Any],
        guess: Callable[[Any], Any] | None = None,
    ) -> Any:
        """The output ``value`` with each file (a ``format: uri`` string) made by
        ``make_file``, and a token stream joined into its text (``guess``: see
        ``shape_value``).

        Example::

            schema.shape(["https://x/out.png"], lambda url: URLPath(url, client))
        """
        if self.concatenate and isinstance(value, list):
            return "".join(str(item) for item in value if item is not None)
        return shape_value(value, self.output, self.document, make_file, guess=guess)

    def shape_item(
        self,
        item: Any,
        make_file: Callable[[str], Any],
        guess: Callable[[Any], Any] | None = None,
    ) -> Any:
        """One item of an iterator output, shaped as ``shape`` shapes the whole."""
        return shape_value(item, self.item_schema, self.document, make_file, guess=guess)

    # -- input ----------------------------------------------------------------------------------

    def check(self, given: Mapping[str, Any], model: str) -> dict[str, Any]:
        """The input to send: ``given`` without None for optional inputs (the model's default
        applies), after checking every input; ``InvalidInputError`` lists the problems.

        Example::

            schema.check({"txt": "Alice"}, "replicate/hello-world")
            # InvalidInputError: Invalid input for replicate/hello-world: unknown input 'txt'
            # (did you mean 'text'?). Valid inputs: text: str (required)
        """
        problems: list[str] = []
        sent: dict[str, Any] = {}
        for name, value in given.items():
            spec = self.inputs.get(name)
            if spec is None:
                close = difflib.get_close_matches(name, list(self.inputs), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(f"unknown input {name!r}{hint}")
                continue
            if value is None and not spec.required:
                continue  # the model's own default
            value = _plain(value)
            problem = value_problem(value, spec.schema, spec.alternatives, self.document)
            if problem is not None:
                problems.append(f"input {name!r} {problem}")
                continue
            sent[name] = value
        for spec in self.inputs.values():
            if spec.required and spec.default is MISSING and spec.name not in given:
                problems.append(f"missing required input {spec.name!r}")
        if problems:
            raise InvalidInputError(model, problems, self.describe_inputs())
        return sent

    def describe_inputs(self) -> str:
        """``Valid inputs: text: str (required), steps: int = 50``, for error messages."""
        if not self.inputs:
            return "The model takes no inputs."
        return "Valid inputs: " + ", ".join(self.parameter(spec) for spec in self.inputs.values())

    def parameter(self, spec: InputSpec) -> str:
        """One input as a keyword parameter: ``steps: int = 50`` or ``text: str (required)``."""
        text = f"{spec.name}: {spec.type_label()}"
        if spec.default is not MISSING:
            return f"{text} = {spec.default!r}"
        return text + (" (required)" if spec.required else " = None")

    def output_label(self) -> str:
        """The output's type as ``use()`` returns it: ``str``, ``list[URLPath]``, ``Any``..."""
        if self.concatenate:
            return "str"
        return _output_label(self.output, self.document)

    def signature(self) -> str:
        """``(*, text: str, steps: int = 50) -> str``: the function's inputs and output."""
        parameters = []
        for spec in self.inputs.values():
            text = f"{spec.name}: {spec.type_label()}"
            if spec.default is not MISSING:
                text += f" = {spec.default!r}"
            elif not spec.required:
                text += " = None"
            parameters.append(text)
        inside = ", ".join(["*", *parameters]) if parameters else ""
        return f"({inside}) -> {self.output_label()}"


def _output_label(schema: Mapping[str, Any], document: Mapping[str, Any], depth: int = 0) -> str:
    if depth > _MAX_DEPTH:
        return "Any"
    if is_file_schema(schema):
        return "URLPath"
    if schema.get("type") == "array":
        items = resolve(schema.get("items"), document)
        return f"list[{_output_label(items, document, depth + 1)}]"
    if schema.get("type") == "object":
        return "dict[str, Any]"
    return _label(schema)


def shape_value(
    value: Any,
    schema: Mapping[str, Any],
    document: Mapping[str, Any],
    make_file: Callable[[str], Any],
    depth: int = 0,
    guess: Callable[[Any], Any] | None = None,
) -> Any:
    """``value`` with the file URLs the schema marks made into files by ``make_file``.

    Where the schema says nothing (no type, or an object without properties), ``guess``
    shapes the value (``use()`` wraps URLs there as ``run()`` does); without it the value is
    left as it is.
    """
    if depth > _MAX_DEPTH:
        return value
    if guess is not None and _silent(schema):
        return guess(value)
    if isinstance(value, str):
        if _marks_file(schema, document) and value.startswith(_FILE_SCHEMES):
            return make_file(value)
        return value
    if isinstance(value, list):
        items = resolve(schema.get("items"), document)
        return [shape_value(item, items, document, make_file, depth + 1, guess) for item in value]
    if isinstance(value, dict):
        properties = _dict(schema.get("properties"))
        extra = resolve(schema.get("additionalProperties"), document)
        return {
            key: shape_value(
                item,
                resolve(properties[key], document) if key in properties else extra,
                document,
                make_file,
                depth + 1,
                guess,
            )
            for key, item in value.items()
        }
    return value


def _silent(schema: Mapping[str, Any]) -> bool:
    """Whether ``schema`` says nothing of a value's shape."""
    kind = schema.get("type")
    if kind is None:
        return not any(key in schema for key in ("anyOf", "oneOf", "enum", "format"))
    return (
        kind == "object" and not schema.get("properties") and not schema.get("additionalProperties")
    )


def _marks_file(schema: Mapping[str, Any], document: Mapping[str, Any]) -> bool:
    return is_file_schema(schema) or any(is_file_schema(m) for m in _members(schema, document))


# -- checking one value ---------------------------------------------------------------------

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (True or False)",
    "array": "a list",
    "object": "a dict",
}


def _is_file_value(value: Any) -> bool:
    if isinstance(value, str | os.PathLike | bytes | bytearray | memoryview | FileOutput):
        return True
    return isinstance(value, io.IOBase) or callable(getattr(value, "read", None))


def _kind_of(value: Any) -> str:
    return type(value).__name__


def value_problem(
    value: Any,
    schema: Mapping[str, Any],
    alternatives: list[dict[str, Any]],
    document: Mapping[str, Any],
    depth: int = 0,
) -> str | None:
    """Why ``value`` does not fit ``schema`` (``"must be an integer, not str"``), or None."""
    if depth > _MAX_DEPTH:
        return None
    if value is None:
        if _nullable(schema, alternatives):
            return None
        if schema.get("type") is None and not alternatives:
            return None
        return "cannot be None"
    if alternatives and "type" not in schema:
        problems = [
            value_problem(value, alternative, _members(alternative, document), document, depth + 1)
            for alternative in alternatives
        ]
        if all(problem is not None for problem in problems):
            return next(problem for problem in problems if problem is not None)
        return _range_problem(value, schema)
    problem = _type_problem(value, schema, document, depth)
    if problem is not None:
        return problem
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and not any(_same(value, option) for option in enum):
        choices = ", ".join(repr(option) for option in enum[:20])
        more = f" (and {len(enum) - 20} more)" if len(enum) > 20 else ""
        return f"must be one of {choices}{more}, not {value!r}"
    return _range_problem(value, schema)


def _same(value: Any, option: Any) -> bool:
    """``value == option`` without Python's ``True == 1``."""
    return (type(value) is type(option) and value == option) or (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and isinstance(option, int | float)
        and not isinstance(option, bool)
        and value == option
    )


def _type_problem(
    value: Any, schema: Mapping[str, Any], document: Mapping[str, Any], depth: int
) -> str | None:
    kind = schema.get("type")
    if not isinstance(kind, str) or kind not in _TYPE_NAMES:
        return None
    if is_file_schema(schema):
        if _is_file_value(value):
            return None
        return (
            "must be a file (a URL, a path, an open binary file, bytes or another model's "
            f"file output), not {_kind_of(value)}"
        )
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "array": isinstance(value, list | tuple),
        "object": isinstance(value, Mapping),
    }[kind]
    if not ok:
        return f"must be {_TYPE_NAMES[kind]}, not {_kind_of(value)}"
    if kind == "number" and isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, not {value!r}"
    if kind == "array":
        items = resolve(schema.get("items"), document)
        for index, item in enumerate(value):
            problem = value_problem(item, items, _members(items, document), document, depth + 1)
            if problem is not None:
                return f"item {index} {problem}"
    return None


def _range_problem(value: Any, schema: Mapping[str, Any]) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if _number(low) and value < low:
            return f"must be at least {low}, not {value!r}"
        if _number(high) and value > high:
            return f"must be at most {high}, not {value!r}"
        low, high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if _number(low) and value <= low:
            return f"must be more than {low}, not {value!r}"
        if _number(high) and value >= high:
            return f"must be less than {high}, not {value!r}"
    if isinstance(value, str):
        shortest, longest = schema.get("minLength"), schema.get("maxLength")
        if _number(shortest) and len(value) < shortest:
            return f"must be at least {shortest} characters long"
        if _number(longest) and len(value) > longest:
            return f"must be at most {longest} characters long"
    return None


def _plain(value: Any) -> Any:
    """What the value is sent as: numpy scalars and arrays as Python numbers and lists, sets
    and generators as lists (as the input's encoding sends them)."""
    if isinstance(value, set | frozenset | GeneratorType):
        return list(value)
    return plain(value)


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
