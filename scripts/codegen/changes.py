"""What changed in the API between two revisions of an OpenAPI document.

``compare(old, new)`` answers "the API changed: how?" in terms a client author cares about:
operations added and removed, parameters, request and response bodies, and schema fields.
Comparison is semantic, not textual: key order, parameter order, prose (descriptions, summaries,
examples) and the spelling of "nullable" (3.0 ``nullable: true`` versus 3.1 ``type: [..., "null"]``)
do not count as changes.

Every schema, whether a component or inline in an operation, goes through the same walker
(``_flatten``): it maps each nested location (``.urls.stream``, ``.results[]``) to a short type
string, and two such maps are then diffed.

>>> from codegen.source import load_spec  # doctest: +SKIP
>>> report = compare(load_spec(old).document, load_spec(new).document)  # doctest: +SKIP
>>> print(format_text(report))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["added", "removed", "retyped"]
# Where a change belongs in the report; "operations" holds operations that changed method or path.
Section = Literal["operations", "parameters", "bodies", "schemas"]

# Path-item keys that are operations. `query` is the OpenAPI 3.2 QUERY method (used upstream by
# models.search); 3.2's `additionalOperations` map is read as well, see `_operations`.
HTTP_METHODS: tuple[str, ...] = (
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "query",
)
JSON = "application/json"
# Text headings, in report order.
SECTION_TITLES: dict[Section, str] = {
    "operations": "Operations moved",
    "parameters": "Parameters",
    "bodies": "Request and response bodies",
    "schemas": "Schemas",
}
_MAX_REF_HOPS = 32  # a $ref chain longer than this is a cycle

Node = Mapping[str, Any]
# A location inside one schema, as path segments (".name", "[]", ".*"); () is the schema itself.
RelPath = tuple[str, ...]


@dataclass(frozen=True, order=True)
class OperationRef:
    """An operation, identified by ``key``: its operationId, or "METHOD /path" without one."""

    key: str
    method: str
    path: str

    def __str__(self) -> str:
        endpoint = f"{self.method} {self.path}"
        return self.key if self.key == endpoint else f"{self.key} ({endpoint})"


@dataclass(frozen=True, order=True)
class Change:
    """One parameter, body or schema change; ``old``/``new`` are type strings (None if absent)."""

    section: Section
    location: str
    kind: Kind
    old: str | None = None
    new: str | None = None


@dataclass
class ChangeReport:
    """Everything that differs between two documents, each list sorted."""

    operations_added: list[OperationRef] = field(default_factory=list)
    operations_removed: list[OperationRef] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def is_empty(self) -> bool:
        """True when the two documents describe the same API."""
        return not (self.operations_added or self.operations_removed or self.changes)

    def section(self, name: Section) -> list[Change]:
        """The changes of one section, sorted."""
        return [change for change in self.changes if change.section == name]


# --- references --------------------------------------------------------------------------


def _pointer(document: Node, ref: str) -> Any:
    """The node a local reference (``#/a/b``) points at, or None when it cannot be followed."""
    if not ref.startswith("#/"):
        return None  # a reference into another file: nothing to follow here
    node: Any = document
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _resolve(document: Node, node: Any) -> Any:
    """Follow ``$ref`` (parameters, bodies, responses, path items) to the object it names.

    Schemas are deliberately not resolved: they are compared by name as components, and a
    body that uses one reports ``$ref:Name``, so each schema change is reported once.
    """
    for _ in range(_MAX_REF_HOPS):
        if not (isinstance(node, Mapping) and isinstance(node.get("$ref"), str)):
            return node
        target = _pointer(document, node["$ref"])
        if target is None:
            return node
        node = target
    return node


def _ref_name(ref: str) -> str:
    return ref.rstrip("/").rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


# --- type strings ------------------------------------------------------------------------


def _scalar(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _is_null_schema(schema: Any) -> bool:
    return isinstance(schema, Mapping) and (
        schema.get("type") == "null"
        or schema.get("enum") == [None]
        or schema.get("const", 0) is None
    )


def type_string(schema: Any) -> str:
    """A short, order-insensitive description of a schema's type, used to detect retyping.

    ``string``, ``string(date-time)``, ``string|null``, ``enum[a,b]``, ``array<integer>``,
    ``object``, ``map<string>``, ``$ref:Name``, ``oneOf[...]``; ``any`` when unconstrained.
    """
    if schema is True or schema is None:
        return "any"
    if schema is False:
        return "never"
    if not isinstance(schema, Mapping):
        return "any"
    base, nullable = _base_type(schema)
    if nullable and base != "any" and not base.endswith("|null"):
        return f"{base}|null"
    return base


def _base_type(schema: Node) -> tuple[str, bool]:
    """The type without nullability, and whether null is allowed (3.0 or 3.1 spelling)."""
    nullable = schema.get("nullable") is True
    if isinstance(schema.get("$ref"), str):
        return f"$ref:{_ref_name(schema['$ref'])}", nullable

    raw_type = schema.get("type")
    types = {raw_type} if isinstance(raw_type, str) else set(raw_type or [])
    if "null" in types:
        if types == {"null"}:
            return "null", False  # 3.1 `type: null`: only null is allowed
        types.discard("null")
        nullable = True

    values: list[Any] | None = None
    if "const" in schema:
        values = [schema["const"]]  # 3.1 `const: x` means `enum: [x]`
    elif isinstance(schema.get("enum"), list):
        values = list(schema["enum"])
    if values is not None and None in values:
        values = [value for value in values if value is not None]
        nullable = True

    # A composition only describes the type when the schema has none of its own.
    if not types and values is None:
        for keyword in ("oneOf", "anyOf", "allOf"):
            variants = schema.get(keyword)
            if not isinstance(variants, list) or not variants:
                continue
            if keyword != "allOf" and any(_is_null_schema(v) for v in variants):
                nullable = True
                variants = [v for v in variants if not _is_null_schema(v)]
            inner = sorted({type_string(v) for v in variants})
            if any(name.endswith("|null") for name in inner) and keyword != "allOf":
                nullable = True
                inner = sorted({name.removesuffix("|null") for name in inner})
            if len(inner) == 1 and (keyword != "allOf" or "properties" not in schema):
                return inner[0], nullable  # e.g. 3.0 `allOf: [$ref]` + nullable
            return f"{keyword}[{', '.join(inner)}]", nullable

    if not types:  # infer what the schema implies
        if "properties" in schema or isinstance(schema.get("additionalProperties"), Mapping):
            types = {"object"}
        elif "items" in schema:
            types = {"array"}
        elif values:
            types = {"string"} if all(isinstance(v, str) for v in values) else set()

    if values is not None:
        rendered = ",".join(sorted(_scalar(value) for value in values))
        prefix = "" if types <= {"string"} else "|".join(sorted(types)) + " "
        return f"{prefix}enum[{rendered}]", nullable
    if not types:
        return "any", nullable
    return "|".join(sorted(_single_type(t, schema) for t in types)), nullable


def _single_type(name: str, schema: Node) -> str:
    if name == "array":
        return f"array<{type_string(schema.get('items'))}>"
    if name == "object":
        extra = schema.get("additionalProperties")
        # A free-form map; `additionalProperties: true` is the default and changes nothing.
        if isinstance(extra, Mapping) and extra and not schema.get("properties"):
            return f"map<{type_string(extra)}>"
        return "object"
    fmt = schema.get("format")
    return f"{name}({fmt})" if isinstance(fmt, str) and fmt else name


# --- the schema walker -------------------------------------------------------------------


def _flatten(schema: Any, required: bool = False) -> dict[RelPath, str]:
    """Every location in ``schema`` (the schema itself is ``()``) mapped to its type string.

    A field's type string ends in ``, required`` when its parent object requires it, so that
    a change of required-ness shows up as a retyping.
    """
    out: dict[RelPath, str] = {}
    _walk(schema, (), required, out)
    return out


def _walk(schema: Any, path: RelPath, required: bool, out: dict[RelPath, str]) -> None:
    described = type_string(schema) + (", required" if required else "")
    # allOf/oneOf branches may describe the same field twice; keep every distinct description.
    previous = out.get(path)
    if previous is not None and previous != described:
        described = " | ".join(sorted({*previous.split(" | "), described}))
    out[path] = described
    _walk_children(schema, path, out)


def _walk_children(schema: Any, path: RelPath, out: dict[RelPath, str]) -> None:
    if not isinstance(schema, Mapping) or "$ref" in schema:
        return  # referenced schemas are walked once, as components
    required = schema.get("required")
    required_names = set(required) if isinstance(required, list) else set()
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        for name, sub in properties.items():
            _walk(sub, (*path, f".{name}"), name in required_names, out)
    if isinstance(schema.get("items"), Mapping):
        _walk(schema["items"], (*path, "[]"), False, out)
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping) and extra:
        _walk(extra, (*path, ".*"), False, out)
    # Fields of composed schemas read as fields of this one.
    for keyword in ("allOf", "oneOf", "anyOf"):
        variants = schema.get(keyword)
        for variant in variants if isinstance(variants, list) else []:
            _walk_children(variant, path, out)


def _diff_schema(
    section: Section,
    root: str,
    old: Any,
    new: Any,
    *,
    joiner: str = " ",
    old_required: bool = False,
    new_required: bool = False,
) -> list[Change]:
    """Changes between two versions of one schema, located as ``root`` + joiner + path."""
    before = _flatten(old, old_required)
    after = _flatten(new, new_required)
    found: dict[RelPath, Change] = {}
    for path in sorted(before.keys() | after.keys()):
        location = root + (joiner + "".join(path) if path else "")
        if path not in after:
            found[path] = Change(section, location, "removed", before[path], None)
        elif path not in before:
            found[path] = Change(section, location, "added", None, after[path])
        elif before[path] != after[path]:
            found[path] = Change(section, location, "retyped", before[path], after[path])
    # A field added or removed with its whole subtree is one change, not one per nested field.
    gone = {path for path, change in found.items() if change.kind != "retyped"}
    return [
        change
        for path, change in found.items()
        if not any(path[:n] in gone for n in range(len(path)))
    ]


# --- operations --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Operation:
    ref: OperationRef
    path_item: Node
    operation: Node


def _operations(document: Node) -> dict[str, _Operation]:
    """All operations of a document by key (operationId, else "METHOD /path")."""
    found: list[tuple[str, str, Node, Node]] = []
    paths = document.get("paths")
    for path, raw_item in sorted((paths or {}).items()) if isinstance(paths, Mapping) else []:
        item = _resolve(document, raw_item)
        if not isinstance(item, Mapping):
            continue
        for method in HTTP_METHODS:
            if isinstance(item.get(method), Mapping):
                found.append((method.upper(), str(path), item, item[method]))
        extra = item.get("additionalOperations")  # OpenAPI 3.2: other methods, by name
        for method, operation in sorted(extra.items()) if isinstance(extra, Mapping) else []:
            if isinstance(operation, Mapping) and str(method).lower() not in HTTP_METHODS:
                found.append((str(method).upper(), str(path), item, operation))

    ids = [op.get("operationId") for _, _, _, op in found]
    result: dict[str, _Operation] = {}
    for method, path, item, operation in found:
        endpoint = f"{method} {path}"
        op_id = operation.get("operationId")
        key = op_id if isinstance(op_id, str) and op_id else endpoint
        if key != endpoint and ids.count(op_id) > 1:
            key = f"{op_id} ({endpoint})"  # duplicate ids (invalid, but seen): keep both apart
        result[key] = _Operation(OperationRef(key, method, path), item, operation)
    return result


def _parameters(document: Node, op: _Operation) -> dict[tuple[str, str], Node]:
    """Parameters by (location, name), path-level ones overridden by operation-level ones."""
    merged: dict[tuple[str, str], Node] = {}
    for source in (op.path_item, op.operation):
        listed = source.get("parameters")
        for raw in listed if isinstance(listed, list) else []:
            param = _resolve(document, raw)
            if not isinstance(param, Mapping) or not isinstance(param.get("name"), str):
                continue
            where = str(param.get("in", "?"))
            # Header names are case-insensitive on the wire.
            name = param["name"].lower() if where == "header" else param["name"]
            merged[(where, name)] = param
    return merged


def _parameter_schema(param: Node) -> Any:
    if "schema" in param:
        return param["schema"]
    content = param.get("content")  # a parameter may carry its schema in a single media type
    if isinstance(content, Mapping) and content:
        media = next(iter(content.values()))
        return media.get("schema") if isinstance(media, Mapping) else None
    return None


def _parameter_required(param: Node) -> bool:
    return param.get("required") is True or param.get("in") == "path"


def _compare_parameters(
    old_doc: Node, new_doc: Node, old: _Operation, new: _Operation
) -> Iterator[Change]:
    before = _parameters(old_doc, old)
    after = _parameters(new_doc, new)
    for key in sorted(before.keys() | after.keys()):
        shown = (after.get(key) or before[key])["name"]
        root = f"{new.ref.key} {key[0]} parameter {shown}"
        if key not in after:
            yield Change("parameters", root, "removed", _parameter_type(before[key]), None)
        elif key not in before:
            yield Change("parameters", root, "added", None, _parameter_type(after[key]))
        else:
            yield from _diff_schema(
                "parameters",
                root,
                _parameter_schema(before[key]),
                _parameter_schema(after[key]),
                old_required=_parameter_required(before[key]),
                new_required=_parameter_required(after[key]),
            )


def _parameter_type(param: Node) -> str:
    """The type string of a whole parameter, as the walker writes it (", required" included)."""
    return _flatten(_parameter_schema(param), _parameter_required(param))[()]


def _content(document: Node, holder: Any) -> dict[str, Any]:
    """Media types of a request body or response, content type mapped to schema."""
    holder = _resolve(document, holder)
    content = holder.get("content") if isinstance(holder, Mapping) else None
    if not isinstance(content, Mapping):
        return {}
    return {
        str(ctype).lower(): media.get("schema") if isinstance(media, Mapping) else None
        for ctype, media in content.items()
    }


def _summary(content: Mapping[str, Any]) -> str:
    """One line for a whole body: each content type with its type."""
    if not content:
        return "no content"
    return "; ".join(f"{ctype} {type_string(content[ctype])}" for ctype in sorted(content))


def _compare_content(
    label: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> Iterator[Change]:
    """Per content type: added, removed, or its schema walked and diffed."""
    for ctype in sorted(before.keys() | after.keys()):
        if ctype not in after:
            yield Change(
                "bodies", f"{label} ({ctype})", "removed", type_string(before[ctype]), None
            )
        elif ctype not in before:
            yield Change("bodies", f"{label} ({ctype})", "added", None, type_string(after[ctype]))
        else:
            # JSON is the usual case, so its locations stay short.
            root = label if ctype == JSON else f"{label} ({ctype})"
            yield from _diff_schema("bodies", root, before[ctype], after[ctype])


def _responses(document: Node, operation: Node) -> dict[str, Any]:
    responses = operation.get("responses")
    if not isinstance(responses, Mapping):
        return {}
    # YAML may read an unquoted 200 as an int; "2xx" and "2XX" are the same range.
    return {str(status).upper(): _resolve(document, r) for status, r in responses.items()}


def _compare_bodies(
    old_doc: Node, new_doc: Node, old: _Operation, new: _Operation
) -> Iterator[Change]:
    """Request body, then responses: whole bodies and statuses, content types, schemas."""
    label = f"{new.ref.key} request body"
    old_body = _resolve(old_doc, old.operation.get("requestBody"))
    new_body = _resolve(new_doc, new.operation.get("requestBody"))
    before, after = _content(old_doc, old_body), _content(new_doc, new_body)
    if isinstance(old_body, Mapping) and isinstance(new_body, Mapping):
        old_required = old_body.get("required") is True
        new_required = new_body.get("required") is True
        if old_required != new_required:
            names = {True: "required", False: "optional"}
            yield Change("bodies", label, "retyped", names[old_required], names[new_required])
        yield from _compare_content(label, before, after)
    elif isinstance(old_body, Mapping):
        yield Change("bodies", label, "removed", _summary(before), None)
    elif isinstance(new_body, Mapping):
        yield Change("bodies", label, "added", None, _summary(after))

    old_responses = _responses(old_doc, old.operation)
    new_responses = _responses(new_doc, new.operation)
    for status in sorted(old_responses.keys() | new_responses.keys()):
        where = f"{new.ref.key} response {status}"
        before = _content(old_doc, old_responses.get(status))
        after = _content(new_doc, new_responses.get(status))
        if status not in new_responses:
            yield Change("bodies", where, "removed", _summary(before), None)
        elif status not in old_responses:
            yield Change("bodies", where, "added", None, _summary(after))
        else:
            yield from _compare_content(where, before, after)


def _component_schemas(document: Node) -> Mapping[str, Any]:
    components = document.get("components")
    schemas = components.get("schemas") if isinstance(components, Mapping) else None
    return schemas if isinstance(schemas, Mapping) else {}


# --- public API --------------------------------------------------------------------------


def compare(old: dict[str, Any], new: dict[str, Any]) -> ChangeReport:
    """The API changes from document ``old`` to document ``new`` (parsed OpenAPI dicts)."""
    before, after = _operations(old), _operations(new)
    report = ChangeReport(
        operations_added=sorted(after[key].ref for key in after.keys() - before.keys()),
        operations_removed=sorted(before[key].ref for key in before.keys() - after.keys()),
    )
    changes: list[Change] = []
    for key in sorted(before.keys() & after.keys()):
        old_op, new_op = before[key], after[key]
        old_endpoint = f"{old_op.ref.method} {old_op.ref.path}"
        new_endpoint = f"{new_op.ref.method} {new_op.ref.path}"
        if old_endpoint != new_endpoint:
            changes.append(Change("operations", key, "retyped", old_endpoint, new_endpoint))
        changes.extend(_compare_parameters(old, new, old_op, new_op))
        changes.extend(_compare_bodies(old, new, old_op, new_op))

    old_schemas, new_schemas = _component_schemas(old), _component_schemas(new)
    for name in sorted(old_schemas.keys() | new_schemas.keys()):
        root = f"components.schemas.{name}"
        if name not in new_schemas:
            changes.append(Change("schemas", root, "removed", type_string(old_schemas[name]), None))
        elif name not in old_schemas:
            changes.append(Change("schemas", root, "added", None, type_string(new_schemas[name])))
        else:
            changes.extend(
                _diff_schema("schemas", root, old_schemas[name], new_schemas[name], joiner="")
            )
    report.changes = sorted(set(changes), key=_sort_key)
    return report


def _sort_key(change: Change) -> tuple[int, str, str]:
    return (list(SECTION_TITLES).index(change.section), change.location, change.kind)


_ENUM = re.compile(r"^enum\[(.*)\](\|null)?(, required)?$")


def _enum_delta(old: str | None, new: str | None) -> str:
    """The values gained and lost, when both types are enums: long lists are hard to compare."""
    before, after = _ENUM.match(old or ""), _ENUM.match(new or "")
    if not (before and after):
        return ""
    old_values, new_values = set(before[1].split(",")), set(after[1].split(","))
    delta = [f"+{v}" for v in sorted(new_values - old_values)]
    delta += [f"-{v}" for v in sorted(old_values - new_values)]
    return f" ({', '.join(delta)})" if delta else ""


def _change_line(change: Change) -> str:
    if change.kind == "added":
        return f"  + {change.location}: {change.new}"
    if change.kind == "removed":
        return f"  - {change.location}: {change.old}"
    delta = _enum_delta(change.old, change.new)
    return f"  ~ {change.location}: {change.old} -> {change.new}{delta}"


def format_text(report: ChangeReport) -> str:
    """A readable report, one line per change, grouped and sorted (same input, same text)."""
    if report.is_empty():
        return "No API changes."
    counts = {name: len(report.section(name)) for name in SECTION_TITLES}
    lines = [
        f"API changes: {len(report.operations_added)} operations added, "
        f"{len(report.operations_removed)} removed, {counts['parameters']} parameter changes, "
        f"{counts['bodies']} body changes, {counts['schemas']} schema changes"
        + (f", {counts['operations']} operations moved" if counts["operations"] else "")
    ]
    groups: list[tuple[str, list[str]]] = [
        ("Operations added", [f"  + {op}" for op in report.operations_added]),
        ("Operations removed", [f"  - {op}" for op in report.operations_removed]),
    ]
    groups += [
        (title, [_change_line(c) for c in report.section(name)])
        for name, title in SECTION_TITLES.items()
    ]
    for title, entries in groups:
        if entries:  # an empty group would only be noise
            lines += ["", f"{title} ({len(entries)})", *entries]
    return "\n".join(lines)


def to_json(report: ChangeReport) -> dict[str, Any]:
    """The report as JSON-ready data, with the same order as the text."""

    def operation(ref: OperationRef) -> dict[str, str]:
        return {"key": ref.key, "method": ref.method, "path": ref.path}

    return {
        "empty": report.is_empty(),
        "operations_added": [operation(ref) for ref in report.operations_added],
        "operations_removed": [operation(ref) for ref in report.operations_removed],
        "changes": [
            {
                "section": c.section,
                "kind": c.kind,
                "location": c.location,
                "old": c.old,
                "new": c.new,
            }
            for c in report.changes
        ],
    }
