"""``key=value`` arguments to a model's input, checked and typed by its input schema.

The schema is a version's ``openapi_schema.components.schemas.Input`` (or ``TrainingInput``)
as cog writes it: properties with ``type``, ``format``, ``enum`` (often behind
``allOf: [{"$ref": ...}]``), ``minimum``/``maximum``, ``default`` and ``x-order``.

How a value is read, by the property's type:

- ``integer``, ``number``: ``steps=20``, ``guidance=7.5``
- ``boolean``: ``true``/``false`` (also ``yes``/``no``, ``on``/``off``, ``1``/``0``)
- ``array``: ``sizes=1,2,3`` or JSON, ``sizes=[1,2,3]``; a repeated key adds items
- ``object``: JSON, ``options={"a": 1}``
- an enum: one of its values, checked
- ``@path``: the file at ``path``, uploaded as a file input; ``@@text`` is the literal
  ``@text`` (one leading ``@`` removed)
- ``key:=JSON``: the JSON value as it is (for a model that publishes no schema, the only way
  to send a number or a boolean; without a schema, ``key=value`` sends a string)

Unknown keys and missing required inputs are rejected before anything is sent, and so is
what JSON cannot carry: text that is not valid UTF-8 (undecodable bytes in an argument, or a
lone surrogate such as ``"\\ud800"`` in JSON), NaN and infinity, and JSON nested more than
``MAX_DEPTH`` levels deep.

Example::

    schema = InputSchema.of(version.openapi_schema)
    build_input(["text=world", "steps=3"], schema, "acme/model")  # {'text': 'world', 'steps': 3}
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from replicate.cli._errors import UsageError

__all__ = [
    "MAX_DEPTH",
    "InputField",
    "InputSchema",
    "build_input",
    "check_sendable",
    "coerce_cell",
    "is_utf8",
]

JSON = dict[str, Any]

MAX_DEPTH = 200
"""Deepest nesting of a JSON value the command line sends (encoders recurse per level)."""

_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "string": (str,),
    "array": (list,),
    "object": (dict,),
}
_TRUE = frozenset({"true", "t", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "off", "0"})


@dataclass(frozen=True)
class InputField:
    """One input of a model, its schema resolved (``$ref`` and ``allOf`` merged in)."""

    name: str
    schema: JSON
    required: bool
    order: float

    @property
    def type(self) -> str | None:
        value = self.schema.get("type")
        return value if isinstance(value, str) else None

    @property
    def is_file(self) -> bool:
        return self.type == "string" and self.schema.get("format") == "uri"

    def describe_type(self) -> str:
        """``integer, 1 to 50``, ``string, one of: a, b``, ``file``, ``array of file``, ..."""
        return _describe(self.schema)

    def describe_default(self) -> str:
        if self.required:
            return "required"
        if "default" in self.schema and self.schema["default"] is not None:
            return f"default: {_show(self.schema['default'])}"
        return "optional"


class InputSchema:
    """The inputs of a model version, in the order the model lists them.

    Example::

        schema = InputSchema.of(version.openapi_schema)
        print("\\n".join(schema.listing()))
    """

    def __init__(self, fields: list[InputField]) -> None:
        self.fields = {field.name: field for field in sorted(fields, key=lambda f: f.order)}

    @classmethod
    def of(cls, openapi_schema: JSON | None, name: str = "Input") -> InputSchema | None:
        """The schema named ``name`` in ``components.schemas``, or None if there is none."""
        if not isinstance(openapi_schema, dict):
            return None
        components = openapi_schema.get("components", {}).get("schemas", {})
        if not isinstance(components, dict) or not isinstance(components.get(name), dict):
            return None
        root = resolve(components[name], components)
        properties = root.get("properties")
        if not isinstance(properties, dict):
            return None
        required = set(root.get("required") or ())
        fields = [
            InputField(
                name=key,
                schema=resolve(value, components) if isinstance(value, dict) else {},
                required=key in required,
                order=_order(value, index),
            )
            for index, (key, value) in enumerate(properties.items())
        ]
        return cls(fields)

    def listing(self, *, descriptions: bool = False) -> list[str]:
        """One aligned line per input: name, type, and ``required`` or its default."""
        if not self.fields:
            return ["  (this model takes no inputs)"]
        rows = [
            (field.name, field.describe_type(), field.describe_default())
            for field in self.fields.values()
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(2)]
        lines = []
        for field, (name, kind, default) in zip(self.fields.values(), rows, strict=True):
            line = f"  {name:<{widths[0]}}  {kind:<{widths[1]}}  {default}"
            description = field.schema.get("description")
            if descriptions and isinstance(description, str) and description.strip():
                line += f"\n  {'':<{widths[0]}}  {' '.join(description.split())}"
            lines.append(line.rstrip())
        return lines


def build_input(arguments: list[str], schema: InputSchema | None, model: str) -> JSON:
    """The input of a prediction from ``key=value`` and ``key:=JSON`` arguments.

    Raises ``UsageError`` (listing the model's inputs where that helps) for a malformed
    argument, an unknown key, a value of the wrong type, or a missing required input.

    Example::

        build_input(["text=world"], None, "acme/model")  # {'text': 'world'}
    """
    given: JSON = {}
    for argument in arguments:
        key, raw, is_json = _split(argument)
        if not is_utf8(key):
            raise UsageError(f"input key {key!r} is not valid UTF-8 text")
        field = schema.fields.get(key) if schema is not None else None
        if schema is not None and field is None:
            raise UsageError(
                f"{model} has no input {key!r}; its inputs are:", details=schema.listing()
            )
        value: Any
        if is_json:
            value = _from_json(key, raw)
            if field is not None:
                _check_value(key, field.schema, value)
        elif field is None:
            value = _untyped(key, raw)
        else:
            value = _coerce_value(key, field.schema, raw)
        check_sendable(value, f"input {key!r}")
        if key in given:
            if field is None or field.type != "array":
                raise UsageError(f"input {key!r} is given more than once")
            given[key] = [*given[key], *value]
        else:
            given[key] = value
    if schema is not None:
        missing = [
            name for name, field in schema.fields.items() if field.required and name not in given
        ]
        if missing:
            names = ", ".join(repr(name) for name in missing)
            plural = "s" if len(missing) > 1 else ""
            raise UsageError(
                f"{model} needs the input{plural} {names}; its inputs are:",
                details=schema.listing(),
            )
    return given


def coerce_cell(key: str, raw: str, field: InputField | None) -> Any:
    """One value of a batch's row, read as ``key=raw`` would be (``@path`` a file); a value
    the schema rejects is given back as it is, for the API to refuse (that row alone fails).

    Example::

        coerce_cell("steps", "20", schema.fields["steps"])  # 20
        coerce_cell("steps", "many", schema.fields["steps"])  # 'many'
    """
    try:
        if field is None:
            return _untyped(key, raw)
        return _coerce_value(key, field.schema, raw)
    except UsageError:
        return raw


# -- schemas ---------------------------------------------------------------------------------


def resolve(node: JSON, components: JSON, depth: int = 0) -> JSON:
    """``node`` with its ``$ref``, ``allOf`` and nullable ``anyOf`` merged in (its own keys win)."""
    if depth > 20:  # a reference cycle: stop rather than recurse forever
        return node
    merged: JSON = {}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        target = components.get(ref.rsplit("/", 1)[1])
        if isinstance(target, dict):
            merged.update(resolve(target, components, depth + 1))
    for part in node.get("allOf") or ():
        if isinstance(part, dict):
            merged.update(resolve(part, components, depth + 1))
    options = [
        option
        for option in (node.get("anyOf") or node.get("oneOf") or ())
        if isinstance(option, dict) and option.get("type") != "null"
    ]
    if len(options) == 1:
        merged.update(resolve(options[0], components, depth + 1))
    merged.update({key: value for key, value in node.items() if key not in _COMBINERS})
    if isinstance(merged.get("items"), dict):
        merged["items"] = resolve(merged["items"], components, depth + 1)
    return merged


_COMBINERS = frozenset({"$ref", "allOf", "anyOf", "oneOf"})


def _order(value: Any, index: int) -> float:
    order = value.get("x-order") if isinstance(value, dict) else None
    return float(order) if isinstance(order, int | float) else 1e6 + index


def _describe(schema: JSON) -> str:
    kind = schema.get("type")
    if kind == "string" and schema.get("format") == "uri":
        text = "file"
    elif kind == "array":
        items = schema.get("items")
        text = f"array of {_describe(items)}" if isinstance(items, dict) and items else "array"
    else:
        text = kind if isinstance(kind, str) else "any"
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return f"{text}, one of: {', '.join(_show(value) for value in enum)}"
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        text += f", {_show(low)} to {_show(high)}"
    elif low is not None:
        text += f", at least {_show(low)}"
    elif high is not None:
        text += f", at most {_show(high)}"
    return text


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


# -- values ------------------------------------------------------------------------------------


def _split(argument: str) -> tuple[str, str, bool]:
    key, separator, raw = argument.partition("=")
    if not separator or not key or key == ":":
        raise UsageError(
            f"expected an input as key=value (or key:=JSON), got {argument!r}",
        )
    if key.endswith(":"):
        return key[:-1], raw, True
    return key, raw, False


def _from_json(key: str, raw: str) -> Any:
    try:
        value = json.loads(raw)
    except RecursionError:
        raise UsageError(
            f"input {key!r}: the JSON is nested more than {MAX_DEPTH} levels deep"
        ) from None
    except ValueError:
        raise UsageError(f"input {key!r}: {_clip(raw)!r} is not valid JSON") from None
    check_sendable(value, f"input {key!r}")  # before any check that prints the value
    return value


def is_utf8(text: str) -> bool:
    """Whether ``text`` can be sent as UTF-8: it holds no surrogate (an undecodable byte in
    ``sys.argv`` arrives as one, and JSON's ``"\\ud800"`` makes one).

    >>> is_utf8("café"), is_utf8(b"caf\\xe9".decode("utf-8", "surrogateescape"))
    (True, False)
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_sendable(value: Any, label: str) -> None:
    """Raise ``UsageError`` naming ``label`` unless JSON can carry ``value`` as it is.

    Rejects text that is not valid UTF-8, NaN and infinity, and nesting deeper than
    ``MAX_DEPTH``; walks the value without recursion, so that any depth is safe to check.

    Example::

        check_sendable({"a": "\\ud800"}, "input 'options'")  # UsageError
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise UsageError(f"{label} is nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, str):
            if not is_utf8(item):
                raise UsageError(f"{label} holds text that is not valid UTF-8: {_clip(item)!r}")
        elif isinstance(item, float) and not math.isfinite(item):
            raise UsageError(f"{label} holds a number JSON cannot carry ({item})")
        elif isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((entry, depth + 1) for entry in item.values())
        elif isinstance(item, list):
            stack.extend((entry, depth + 1) for entry in item)


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _untyped(key: str, raw: str) -> Any:
    """A value for a model without a schema: a string, or a file for ``@path``."""
    return _file_or_text(raw, allow_file=True, key=key)


def _file_or_text(raw: str, *, allow_file: bool, key: str | None) -> str | Path:
    if raw.startswith("@@"):
        return raw[1:]
    if not raw.startswith("@"):
        return raw
    label = f"input {key!r}: " if key else ""
    if not allow_file:
        raise UsageError(
            f"{label}{raw!r} names a file, but this input is text "
            f"(write @{raw} for the literal text {raw!r})"
        )
    path = Path(raw[1:]).expanduser()
    if not path.is_file():
        raise UsageError(f"{label}no such file: {raw[1:]} (write @@text for a literal '@text')")
    if not is_utf8(path.name):
        raise UsageError(
            f"{label}the file name {path.name!r} is not valid UTF-8, which the API needs of "
            "file names: rename the file, or link it under another name"
        )
    return path


def _coerce_value(key: str, schema: JSON, raw: str) -> Any:
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
        assert isinstance(items, dict)
        if raw.lstrip().startswith("["):
            values = _from_json(key, raw)
            _check_value(key, schema, values)
            return values
        parts = [part.strip() for part in raw.split(",")] if raw.strip() else []
        return [_coerce_value(key, items, part) for part in parts]
    if kind in ("string", None) or schema.get("format") == "uri":
        is_file = kind != "string" or schema.get("format") == "uri"
        value: Any = _file_or_text(raw, allow_file=is_file, key=key)
    elif raw.startswith("@") and not raw.startswith("@@"):
        raise UsageError(
            f"input {key!r}: {raw!r} names a file, but this input is {_describe(schema)}"
        )
    else:
        text = raw[1:] if raw.startswith("@@") else raw
        value = _scalar(key, schema, text.strip())
    if not isinstance(value, Path):
        _check_value(key, schema, value)
    return value


def _scalar(key: str, schema: JSON, text: str) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise UsageError(f"input {key!r} is an integer, got {text!r}") from None
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise UsageError(f"input {key!r} is a number, got {text!r}")
        return number
    if kind == "boolean":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise UsageError(f"input {key!r} is a boolean (true or false), got {text!r}")
    if kind == "object":
        value = _from_json(key, text)
        if not isinstance(value, dict):
            raise UsageError(f"input {key!r} is a JSON object, got {text!r}")
        return value
    return text


def _check_value(key: str, schema: JSON, value: Any) -> None:
    """Type, enum and range checks of a typed value against its schema."""
    kind = schema.get("type")
    types = _PYTHON_TYPES.get(kind) if isinstance(kind, str) else None
    wrong_bool = isinstance(value, bool) and kind in ("integer", "number")
    if types is not None and (not isinstance(value, types) or wrong_bool):
        raise UsageError(f"input {key!r} is {_article(kind)} {kind}, got {json.dumps(value)}")
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and value not in enum:
        choices = ", ".join(_show(choice) for choice in enum)
        raise UsageError(f"input {key!r} must be one of: {choices} (got {_show(value)})")
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if isinstance(low, int | float) and value < low:
            raise UsageError(f"input {key!r} must be at least {_show(low)}, got {_show(value)}")
        if isinstance(high, int | float) and value > high:
            raise UsageError(f"input {key!r} must be at most {_show(high)}, got {_show(value)}")
    if kind == "array" and isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _check_value(key, schema["items"], item)


def _article(kind: Any) -> str:
    return "an" if str(kind)[:1] in "aeiou" else "a"
