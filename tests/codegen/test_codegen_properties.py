"""Random Cog-like schemas always render a module that compiles, passes the project's ruff
(lint and format), and sends each input under the model's own name."""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from codegen_tools import FakeClient, ruff_problems, run_mypy
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from replicate.codegen import render_module

JSON = dict[str, Any]

# names that trip a generator: keywords, the module's own names, non-identifiers
_AWKWARD_NAMES = [
    "class",
    "from",
    "lambda",
    "None",
    "match",
    "type",
    "client",
    "inputs",
    "output",
    "function",
    "replicate",
    "MODEL",
    "Any",
    "Literal",
    "_given",
    "3d",
    "lora-scale",
    "x y",
    "",
    "_",
    "caf\u00e9",
    "\u0430",  # Cyrillic a
    "\ufb01",  # a ligature that Python reads as "fi" in a name
    "__private",  # mangled in a class body
    "__dunder__",
    "l",  # ambiguous to ruff
    "O",
]

names = st.one_of(
    st.sampled_from(_AWKWARD_NAMES),
    st.text(max_size=12),
    st.text(min_size=60, max_size=120),  # longer than a line allows beside a type
)
# any text, with what breaks docstrings and literals made likely
text = st.one_of(
    st.text(max_size=60),
    st.lists(
        st.sampled_from(
            ['"', '"""', "\\", "'", "\n", "\u2013", "\x00", "\u2028", "a", " ", "x" * 120]
        ),
        max_size=8,
    ).map("".join),
)
finite = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), finite, text)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=6,
)
simple_types = st.sampled_from(
    [
        {"type": "string"},
        {"type": "integer"},
        {"type": "number"},
        {"type": "boolean"},
        {"type": "string", "format": "uri"},
        {"type": "object"},
        {"type": "null"},
        {},
        {"type": ["string", "null"]},
        {"type": "string", "format": "password", "x-cog-secret": True},
    ]
)
enum_values = st.one_of(
    st.lists(text, min_size=1, max_size=5),
    st.lists(st.integers(), min_size=1, max_size=5),
    st.lists(finite, min_size=1, max_size=3),
    st.lists(st.one_of(st.booleans(), st.none(), st.integers()), min_size=1, max_size=3),
)


@st.composite
def input_schemas(draw: st.DrawFn, components: JSON) -> JSON:
    kind = draw(st.sampled_from(["simple", "enum", "ref-enum", "array", "any-of"]))
    if kind == "simple":
        schema = dict(draw(simple_types))
    elif kind == "enum":
        schema = {"type": "string", "enum": draw(enum_values)}
    elif kind == "ref-enum":  # as cog writes it
        name = draw(names)
        components[name] = {"title": name, "type": "string", "enum": draw(enum_values)}
        schema = {"allOf": [{"$ref": f"#/components/schemas/{name}"}]}
    elif kind == "array":
        schema = {"type": "array", "items": dict(draw(simple_types))}
    else:
        schema = {"anyOf": [dict(draw(simple_types)), {"type": "null"}]}
    extras = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "description": text,
                "title": text,
                "default": json_values,
                "minimum": st.one_of(st.integers(), finite),
                "maximum": st.one_of(st.integers(), finite),
                "maxLength": st.integers(0, 1000),
                "x-order": st.one_of(st.integers(-5, 50), finite, text),
                "nullable": st.booleans(),
            },
        )
    )
    return {**schema, **extras}


@st.composite
def output_schemas(draw: st.DrawFn, components: JSON, depth: int = 0) -> JSON:
    kind = draw(
        st.sampled_from(
            ["simple", "array", "tokens", "iterator", "object", "enum"]
            if depth < 2
            else ["simple", "enum"]
        )
    )
    if kind == "simple":
        return dict(draw(simple_types))
    if kind == "enum":
        return {"enum": draw(enum_values)}
    if kind == "tokens":
        return {
            "type": "array",
            "items": {"type": "string"},
            "x-cog-array-type": "iterator",
            "x-cog-array-display": "concatenate",
        }
    if kind in ("array", "iterator"):
        items = draw(output_schemas(components, depth + 1))
        extra = {"x-cog-array-type": "iterator"} if kind == "iterator" else {}
        return {"type": "array", "items": items, **extra}
    properties = draw(st.dictionaries(names, output_schemas(components, depth + 1), max_size=4))
    required = (
        draw(st.lists(st.sampled_from(sorted(properties)), unique=True)) if properties else []
    )
    schema = {"type": "object", "properties": properties, "required": required}
    if draw(st.booleans()):
        name = draw(names)
        components[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}
    return schema


@st.composite
def cog_schemas(draw: st.DrawFn) -> JSON:
    components: JSON = {}
    inputs = draw(st.dictionaries(names, input_schemas(components), max_size=8))
    required = draw(st.lists(st.sampled_from(sorted(inputs)), unique=True)) if inputs else []
    schemas: JSON = {
        **components,
        "Input": {"type": "object", "title": "Input", "properties": inputs, "required": required},
    }
    if draw(st.booleans()):
        schemas["Output"] = {"title": "Output", **draw(output_schemas(components))}
        schemas = {**components, **schemas}
    return {"openapi": "3.0.2", "components": {"schemas": schemas}}


parts = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,40}", fullmatch=True)
refs = st.builds(lambda owner, name: f"{owner}/{name}", parts, parts)
versions = st.one_of(
    st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    st.from_regex(r"dp-[a-z0-9]{1,40}", fullmatch=True),
)
commands = st.one_of(
    st.none(),
    st.lists(st.one_of(refs, text), min_size=1, max_size=12).map(
        lambda words: "replicate codegen " + " ".join(words)
    ),
)

_settings = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(refs, versions, cog_schemas(), st.one_of(st.none(), text), commands)
def test_any_schema_renders_a_module_that_passes_ruff(
    ref: str, version: str, schema: JSON, description: str | None, command: str | None
) -> None:
    module = render_module(ref, version, schema, description=description, command=command)
    compile(module, "generated.py", "exec")
    assert ruff_problems(module) == "", module


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(schema=cog_schemas())
def test_every_input_reaches_the_model_under_its_own_name(
    schema: JSON, load: Callable[[str], ModuleType]
) -> None:
    module = load(render_module("acme/model", "0" * 64, schema))
    signature = inspect.signature(module.model)
    properties = schema["components"]["schemas"]["Input"]["properties"]
    names = [name for name in signature.parameters if name != "client"]
    assert len(names) == len(properties)
    assert all(name.isidentifier() and not keyword.iskeyword(name) for name in names)
    client = FakeClient()
    marks = {name: object() for name in names}  # each parameter gets a value of its own
    module.model(**marks, client=client)
    sent = client.calls[-1][1]
    assert sorted(sent, key=str) == sorted(properties, key=str)
    assert sorted(map(id, sent.values())) == sorted(map(id, marks.values()))


def test_random_modules_pass_mypy_strict(tmp_path: Path, mypy_cache: Path) -> None:
    """mypy is too slow to run per example: a batch of random modules, checked in one run."""
    drawn: list[tuple[str, JSON]] = []

    @settings(max_examples=30, database=None, phases=[Phase.generate], deadline=None)
    @given(refs, cog_schemas())
    def collect(ref: str, schema: JSON) -> None:
        drawn.append((ref, schema))

    collect()
    package = tmp_path / "generated"
    package.mkdir()
    for index, (ref, schema) in enumerate(drawn):
        (package / f"module_{index}.py").write_text(render_module(ref, "0" * 64, schema))
    imports = "".join(f"import generated.module_{index}\n" for index in range(len(drawn)))
    (tmp_path / "check.py").write_text(imports)
    errors = run_mypy(["check.py"], tmp_path, mypy_cache)
    assert errors["code"] == 0, errors["output"]
