"""Reading a version's schema (``replicate._schema``): property tests.

Schemas come from the network and inputs from users: neither may crash the reader. The input
check is compared with an independent JSON Schema validator (``jsonschema``) on random Cog-style
schemas and random JSON values: they accept and refuse the same inputs.
"""

from __future__ import annotations

import math
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicate._schema import MISSING, ModelSchema
from replicate.exceptions import InvalidInputError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)

anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "$ref",
                    "allOf",
                    "anyOf",
                    "type",
                    "properties",
                    "items",
                    "enum",
                    "components",
                    "schemas",
                    "Input",
                    "Output",
                    "required",
                    "x-order",
                    "default",
                    "minimum",
                    "format",
                    "#/components/schemas/Input",
                ]
            )
            | st.text(max_size=4),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@st.composite
def property_schemas(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["string", "integer", "number", "boolean", "array", "any"]))
    schema: dict[str, Any] = {} if kind == "any" else {"type": kind}
    if kind == "string":
        if draw(st.booleans()):
            schema["enum"] = draw(
                st.lists(st.text(max_size=4), min_size=1, max_size=4, unique=True)
            )
        if draw(st.booleans()):
            schema["maxLength"] = draw(st.integers(0, 6))
    if kind in ("integer", "number"):
        if draw(st.booleans()):
            schema["minimum"] = draw(st.integers(-5, 5))
        if draw(st.booleans()):
            schema["maximum"] = draw(st.integers(5, 20))
        if kind == "integer" and draw(st.booleans()):
            schema["enum"] = draw(st.lists(st.integers(-3, 3), min_size=1, max_size=3, unique=True))
    if kind == "array":
        schema["items"] = {"type": draw(st.sampled_from(["string", "integer", "boolean"]))}
    return schema


@st.composite
def cog_documents(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(
        st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True), max_size=5, unique=True)
    )
    properties: dict[str, Any] = {}
    enums: dict[str, Any] = {}
    required: list[str] = []
    for order, name in enumerate(names):
        schema = draw(property_schemas())
        if "enum" in schema and draw(st.booleans()):  # Cog's form: an enum schema of its own
            enums[name] = schema
            schema = {"allOf": [{"$ref": f"#/components/schemas/{name}"}]}
        properties[name] = {**schema, "x-order": order, "title": name}
        if draw(st.booleans()):
            required.append(name)
    input_schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        input_schema["required"] = required
    return {"components": {"schemas": {**enums, "Input": input_schema, "Output": {}}}}


def _oracle(document: dict[str, Any], sent: dict[str, Any]) -> bool:
    """Whether jsonschema accepts ``sent`` as the Input (no keys beyond the properties)."""
    schema = {
        **document["components"]["schemas"]["Input"],
        "additionalProperties": False,
        "components": document["components"],
    }
    try:
        jsonschema.validate(sent, schema)
    except jsonschema.ValidationError:
        return False
    return True


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(document=cog_documents(), data=st.data())
def test_the_input_check_agrees_with_a_json_schema_validator(
    document: dict[str, Any], data: st.DataObject
) -> None:
    schema = ModelSchema.parse(document)
    assert schema is not None
    names = list(schema.inputs)
    keys = st.sampled_from(names) | st.text(max_size=4) if names else st.text(max_size=4)
    given_inputs = data.draw(st.dictionaries(keys, json_values, max_size=5))
    # None for an optional input means "its default": it is left out, not sent
    expected = {
        key: value
        for key, value in given_inputs.items()
        if not (value is None and key in schema.inputs and not schema.inputs[key].required)
    }
    accepted = _oracle(document, expected)
    try:
        sent = schema.check(given_inputs, "tests/model")
    except InvalidInputError as error:
        assert not accepted, f"refused what a validator accepts: {error}"
        assert error.problems
        return
    assert accepted, f"accepted what a validator refuses: {given_inputs}"
    assert sent == expected


@settings(max_examples=300)
@given(document=anything)
def test_any_document_parses_or_is_none(document: Any) -> None:
    schema = ModelSchema.parse(document)
    if schema is not None:
        schema.signature()
        schema.describe_inputs()
        schema.shape(["https://x/a.png", {"k": "data:,x"}], lambda url: ("file", url))


@settings(max_examples=200)
@given(document=anything, inputs=st.dictionaries(st.text(max_size=4), anything, max_size=4))
def test_any_input_is_accepted_or_refused_with_a_clear_error(document: Any, inputs: Any) -> None:
    schema = ModelSchema.parse({"components": {"schemas": {"Input": document}}})
    if schema is None:
        return
    try:
        schema.check(inputs, "tests/model")
    except InvalidInputError as error:
        assert str(error).startswith("Invalid input for tests/model: ")


def test_a_self_referencing_schema_stops() -> None:
    document = {
        "components": {
            "schemas": {
                "Input": {"properties": {"a": {"$ref": "#/components/schemas/Loop"}}},
                "Loop": {"$ref": "#/components/schemas/Loop"},
                "Output": {"$ref": "#/components/schemas/Output"},
            }
        }
    }
    schema = ModelSchema.parse(document)
    assert schema is not None
    assert schema.check({"a": 1}, "m") == {"a": 1}
    assert schema.shape("x", lambda url: url) == "x"


def test_cog_enums_defaults_and_order() -> None:
    document = {
        "components": {
            "schemas": {
                "size": {"type": "string", "enum": ["s", "m"], "title": "size"},
                "Input": {
                    "type": "object",
                    "required": ["prompt"],
                    "properties": {
                        "size": {
                            "allOf": [{"$ref": "#/components/schemas/size"}],
                            "default": "s",
                            "x-order": 1,
                        },
                        "prompt": {"type": "string", "x-order": 0, "description": "What to draw"},
                        "image": {"type": "string", "format": "uri", "x-order": 2},
                    },
                },
                "Output": {"type": "array", "items": {"type": "string", "format": "uri"}},
            }
        }
    }
    schema = ModelSchema.parse(document)
    assert schema is not None
    assert list(schema.inputs) == ["prompt", "size", "image"]
    assert schema.inputs["size"].default == "s" and schema.inputs["image"].default is MISSING
    assert schema.signature() == (
        "(*, prompt: str, size: Literal['s', 'm'] = 's', image: FileLike = None) -> list[URLPath]"
    )
    assert schema.shape(["https://x/a.png", "plain"], lambda url: ("file", url)) == [
        ("file", "https://x/a.png"),
        "plain",
    ]
    with pytest.raises(InvalidInputError, match="must be one of 's', 'm', not 'l'"):
        schema.check({"prompt": "p", "size": "l"}, "m")


def test_numbers_accept_ints_and_refuse_bools_and_non_finite() -> None:
    document = {
        "components": {
            "schemas": {
                "Input": {
                    "properties": {
                        "x": {"type": "number", "minimum": 0},
                        "n": {"type": "integer"},
                    }
                }
            }
        }
    }
    schema = ModelSchema.parse(document)
    assert schema is not None
    assert schema.check({"x": 3, "n": 2}, "m") == {"x": 3, "n": 2}
    for bad in ({"x": True}, {"x": math.inf}, {"n": 2.0}, {"x": -0.5}):
        with pytest.raises(InvalidInputError):
            schema.check(bad, "m")


def test_object_outputs_are_shaped_by_their_properties() -> None:
    document = {
        "components": {
            "schemas": {
                "Input": {"properties": {}},
                "Output": {"$ref": "#/components/schemas/Result"},
                "Result": {
                    "type": "object",
                    "properties": {
                        "image": {"type": "string", "format": "uri"},
                        "caption": {"type": "string"},
                        "masks": {"type": "array", "items": {"type": "string", "format": "uri"}},
                    },
                },
            }
        }
    }
    schema = ModelSchema.parse(document)
    assert schema is not None
    output = schema.shape(
        {"image": "https://x/i.png", "caption": "https://x/not-a-file", "masks": ["data:,m"]},
        lambda url: ("file", url),
    )
    assert output == {
        "image": ("file", "https://x/i.png"),
        "caption": "https://x/not-a-file",  # a string the schema says is text stays text
        "masks": [("file", "data:,m")],
    }
    assert schema.output_label() == "dict[str, Any]"
