"""Normalisation of Replicate's OpenAPI document before generation.

The rules are data, in ``openapi/rules.yaml``, each with a one-line reason; this module applies
them in a fixed order. Every step works on a deep copy and fails loudly when a rule no longer
matches the document, so that an upstream change cannot slip past unnoticed.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

Schema = dict[str, Any]
Document = dict[str, Any]

# The methods openapi-python-client walks; anything else (QUERY) is re-homed.
GENERATOR_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Methods other documents may use: the 3.2 `query` field and `additionalOperations`.
EXTRA_METHODS = ("query",)
PSEUDO_PATH_SEPARATOR = "#"
# Where group_operations keeps the upstream operationId (module names repeat across tags).
UPSTREAM_ID = "x-upstream-operation-id"


class RuleError(Exception):
    """Normalisation rules do not fit the document (upstream changed): fix the rules.

    ``problems`` holds one line per rule that failed: the steps go on past a failed rule, so
    that one run reports every stale rule.
    """

    def __init__(self, *problems: str) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(problems))


# --- JSON pointers -----------------------------------------------------------------------


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def escape(token: str) -> str:
    """Escape one JSON-pointer token."""
    return token.replace("~", "~0").replace("/", "~1")


def _split(pointer: str) -> list[str]:
    if not pointer.startswith("/"):
        raise RuleError(f"not a JSON pointer: {pointer!r}")
    return [_unescape(token) for token in pointer[1:].split("/")]


def resolve(document: Any, pointer: str) -> Any:
    node = document
    for token in _split(pointer):
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise RuleError(f"{pointer}: no {token!r} here")
    return node


def _parent(document: Any, pointer: str) -> tuple[Any, str]:
    tokens = _split(pointer)
    if len(tokens) == 1:
        return document, tokens[0]
    return resolve(document, "/" + "/".join(escape(t) for t in tokens[:-1])), tokens[-1]


def _set(document: Any, pointer: str, value: Any) -> None:
    parent, key = _parent(document, pointer)
    if isinstance(parent, list):
        parent[int(key)] = value
    else:
        parent[key] = value


def _remove(document: Any, pointer: str) -> Any:
    parent, key = _parent(document, pointer)
    if isinstance(parent, list):
        return parent.pop(int(key))
    if key not in parent:
        raise RuleError(f"{pointer}: nothing to remove")
    return parent.pop(key)


# --- walking the document ----------------------------------------------------------------


def operations(document: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield (path, method, operation) for every operation, in document order."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in GENERATOR_METHODS + EXTRA_METHODS and isinstance(operation, dict):
                yield path, method, operation


def pascal(name: str) -> str:
    """``models.versions.list`` -> ``ModelsVersionsList``; ``sort_by`` -> ``SortBy``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", name) if part)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _walk_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _walk_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_refs(value)


def _is_object_with_properties(schema: Any) -> bool:
    return isinstance(schema, dict) and "$ref" not in schema and bool(schema.get("properties"))


def _is_enum(schema: Any) -> bool:
    return isinstance(schema, dict) and "$ref" not in schema and "enum" in schema


def _is_free_form_object(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and schema.get("type") == "object"
        and not schema.get("properties")
        and not isinstance(schema.get("additionalProperties"), dict)
    )


# --- the steps, in order ------------------------------------------------------------------


def rehome_extra_methods(document: Document) -> None:
    """Move QUERY (and other non-generator methods) to a pseudo-path ``/path#METHOD``.

    The pseudo-path keeps the real path and method in the one field the generator passes to the
    endpoint template, which splits them again (see openapi/templates/endpoint_module.py.jinja).
    """
    paths = document.get("paths", {})
    for path in list(paths):
        item = paths[path]
        extra = {m: item.pop(m) for m in EXTRA_METHODS if isinstance(item.get(m), dict)}
        extra.update({m.lower(): op for m, op in item.pop("additionalOperations", {}).items()})
        for method, operation in extra.items():
            pseudo = f"{path}{PSEUDO_PATH_SEPARATOR}{method.upper()}"
            if pseudo in paths:
                raise RuleError(f"{pseudo} already exists")
            paths[pseudo] = {"post": operation}
            if "parameters" in item:
                paths[pseudo]["parameters"] = copy.deepcopy(item["parameters"])


def drop_error_responses(document: Document) -> None:
    """Error statuses go through one typed error (errors.UnexpectedStatus), never a union."""
    for _, _, operation in operations(document):
        responses = operation.get("responses", {})
        for status in list(responses):
            if str(status)[:1] in ("4", "5"):
                del responses[status]


def _first_sentence(text: str, limit: int) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    return sentence if len(sentence) <= limit else ""


def _short_fact(value: Any, limit: int) -> bool:
    return isinstance(value, str | int | float | bool) and len(str(value)) <= limit


def strip_prose(document: Document, limit: int) -> None:
    """Keep summaries and short facts; drop long markdown (curl examples, tutorials)."""
    document.pop("externalDocs", None)
    info = document.get("info", {})
    info.pop("description", None)

    def visit(node: Any, in_operation: bool = False) -> None:
        if isinstance(node, dict):
            for key in list(node):
                value = node[key]
                if key == "description" and isinstance(value, str):
                    if in_operation:
                        del node[key]  # operations keep their summary only
                    else:
                        short = _first_sentence(value, limit)
                        if short:
                            node[key] = short
                        else:
                            del node[key]
                elif key == "examples" or (key == "example" and not _short_fact(value, limit)):
                    del node[key]  # structured or long examples are prose in another form
                else:
                    visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    for _, _, operation in operations(document):
        operation.pop("externalDocs", None)
        for key in list(operation):
            if key == "description":
                del operation[key]
            else:
                visit(operation[key])
    visit(document.get("components", {}))
    for item in document.get("paths", {}).values():
        for key in ("summary", "description"):
            item.pop(key, None)
    # The generator documents a parameter from its schema's description, not its own.
    parameters = [
        *document.get("components", {}).get("parameters", {}).values(),
        *(p for _, _, operation in operations(document) for p in operation.get("parameters", [])),
    ]
    for parameter in parameters:
        schema = parameter.get("schema")
        if isinstance(schema, dict) and "description" in parameter:
            schema.setdefault("description", parameter["description"])


def apply_rules(document: Document, rules: list[dict[str, Any]]) -> None:
    """Apply the explicit rules: rename, hoist, set, remove.

    A rule that does not fit is skipped and reported, with every other one that does not, in
    one RuleError at the end.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problems: list[str] = []
    for number, rule in enumerate(rules, 1):
        try:
            _apply_rule(document, schemas, rule)
        except RuleError as error:
            problems += [
                f"rule {number} ({_summary(rule)}): {problem}" for problem in error.problems
            ]
        except (LookupError, TypeError, ValueError) as error:  # the document changed shape
            problems.append(f"rule {number} ({_summary(rule)}): {type(error).__name__}: {error}")
    if problems:
        raise RuleError(*problems)


def _summary(rule: dict[str, Any]) -> str:
    for kind in ("rename", "hoist", "set", "remove"):
        if kind in rule:
            return f"{kind} {rule[kind]}"
    return str(rule)


def _apply_rule(document: Document, schemas: dict[str, Any], rule: dict[str, Any]) -> None:
    if "reason" not in rule:
        raise RuleError(f"rule without a reason: {rule}")
    if "rename" in rule:
        old, new = rule["rename"], rule["to"]
        if old not in schemas:
            raise RuleError(f"no schema {old!r}")
        if new in schemas:
            raise RuleError(f"schema {new!r} exists already")
        schemas[new] = schemas.pop(old)
        _retarget_refs(document, f"#/components/schemas/{old}", f"#/components/schemas/{new}")
    elif "hoist" in rule:
        hoist(document, rule["hoist"], rule["name"])
    elif "set" in rule:
        _set(document, rule["set"], copy.deepcopy(rule["value"]))
    elif "remove" in rule:
        _remove(document, rule["remove"])
    else:
        raise RuleError(f"unknown rule: {rule}")


def _retarget_refs(node: Any, old: str, new: str) -> None:
    if isinstance(node, dict):
        if node.get("$ref") == old:
            node["$ref"] = new
        for value in node.values():
            _retarget_refs(value, old, new)
    elif isinstance(node, list):
        for value in node:
            _retarget_refs(value, old, new)


def _without_prose(node: Any) -> Any:
    if isinstance(node, dict):
        prose = ("description", "example")
        return {k: _without_prose(v) for k, v in node.items() if k not in prose}
    if isinstance(node, list):
        return [_without_prose(v) for v in node]
    return node


def hoist(document: Document, pointer: str, name: str) -> None:
    """Move the inline schema at ``pointer`` into ``components/schemas/<name>``."""
    schemas = document["components"]["schemas"]
    schema = resolve(document, pointer)
    if not isinstance(schema, dict) or "$ref" in schema:
        raise RuleError(f"hoist: {pointer} is not an inline schema")
    if name in schemas:
        if _without_prose(schemas[name]) != _without_prose(schema):
            raise RuleError(f"hoist: schema {name!r} exists and differs from {pointer}")
    else:
        schemas[name] = schema
    _set(document, pointer, {"$ref": f"#/components/schemas/{name}"})


def _operation_schema_slots(
    operation: dict[str, Any],
) -> Iterator[tuple[str, str, Schema]]:
    """(relative pointer, role, schema) for the body, response and parameter schemas."""
    for content_type, media in operation.get("requestBody", {}).get("content", {}).items():
        if "schema" in media:
            yield f"requestBody/content/{escape(content_type)}/schema", "Request", media["schema"]
    for status, response in operation.get("responses", {}).items():
        for content_type, media in response.get("content", {}).items():
            if "schema" in media:
                yield (
                    f"responses/{status}/content/{escape(content_type)}/schema",
                    "Response",
                    media["schema"],
                )
    for index, parameter in enumerate(operation.get("parameters", [])):
        if "schema" in parameter:
            yield f"parameters/{index}/schema", pascal(parameter["name"]), parameter["schema"]


def hoist_remaining(document: Document) -> None:
    """Name every inline object and enum the explicit rules left, so that none is lost.

    Operation-level schemas are named after the operation (``ModelsListSortBy``); nested ones
    after their parent and property (``PredictionUrls``). Arrays of objects name their items.
    """
    for path, method, operation in operations(document):
        base = pascal(operation.get("operationId", f"{method} {path}"))
        for slot, role, schema in list(_operation_schema_slots(operation)):
            pointer = f"/paths/{escape(path)}/{method}/{slot}"
            if _is_object_with_properties(schema) or _is_enum(schema):
                hoist(document, pointer, base + role)
            elif schema.get("type") == "array" and (
                _is_object_with_properties(schema.get("items")) or _is_enum(schema.get("items"))
            ):
                hoist(document, pointer + "/items", base + role + "Item")

    schemas = document["components"]["schemas"]
    pending = list(schemas)
    while pending:
        name = pending.pop(0)
        for prop, prop_schema in list(schemas[name].get("properties", {}).items()):
            pointer = f"/components/schemas/{escape(name)}/properties/{escape(prop)}"
            target, new_name = None, name + pascal(prop)
            if _is_object_with_properties(prop_schema) or _is_enum(prop_schema):
                target = pointer
            elif prop_schema.get("type") == "array" and (
                _is_object_with_properties(prop_schema.get("items"))
                or _is_enum(prop_schema.get("items"))
            ):
                target, new_name = pointer + "/items", new_name + "Item"
            if target:
                hoist(document, target, new_name)
                pending.append(new_name)


def free_form_objects_to_any(document: Document) -> None:
    """``type: object`` with no properties becomes an untyped JSON value (a plain dict).

    Skipped inside multipart bodies, where the generator needs a model to send JSON.
    """

    def visit(node: Any) -> None:
        if not isinstance(node, dict):
            return
        children = [(node["properties"], key) for key in node.get("properties", {})]
        children += [
            (node, key)
            for key in ("items", "additionalProperties")
            if isinstance(node.get(key), dict)
        ]
        for parent, key in children:
            if _is_free_form_object(parent[key]):
                parent[key] = _untyped(parent[key])
            else:
                visit(parent[key])
        for key in ("anyOf", "oneOf", "allOf"):
            for member in node.get(key, []):
                visit(member)

    for schema in document.get("components", {}).get("schemas", {}).values():
        visit(schema)
    for _, _, operation in operations(document):
        for slot, _, schema in _operation_schema_slots(operation):
            if "multipart" not in slot and "form-urlencoded" not in slot:
                visit(schema)


def _untyped(schema: Schema) -> Schema:
    """An empty schema (any JSON value), keeping the description and default."""
    return {k: v for k, v in schema.items() if k in ("description", "default")}


def require_bodies(document: Document) -> None:
    """A body whose schema has required fields cannot be omitted."""
    schemas = document.get("components", {}).get("schemas", {})
    for _, _, operation in operations(document):
        body = operation.get("requestBody")
        if not body or body.get("required"):
            continue
        for media in body.get("content", {}).values():
            schema = media.get("schema", {})
            if "$ref" in schema:
                schema = schemas.get(_ref_name(schema["$ref"]), {})
            if schema.get("required"):
                body["required"] = True


def _response_components(document: Document) -> set[str]:
    """Names of the component schemas reachable from any response."""
    schemas = document.get("components", {}).get("schemas", {})
    found: set[str] = set()
    stack = [
        _ref_name(ref)
        for _, _, operation in operations(document)
        for ref in _walk_refs(operation.get("responses", {}))
    ]
    while stack:
        name = stack.pop()
        if name in found or name not in schemas:
            continue
        found.add(name)
        stack.extend(_ref_name(ref) for ref in _walk_refs(schemas[name]))
    return found


def lenient_responses(document: Document, always_present: dict[str, list[str]]) -> None:
    """Response fields may be missing or null, whatever the spec says; extra fields survive."""
    schemas = document["components"]["schemas"]
    response_names = _response_components(document)
    missing = [name for name in always_present if name not in schemas]

    def relax(schema: Schema, keep: list[str]) -> None:
        if "required" in schema:
            kept = [field for field in schema["required"] if field in keep]
            if kept:
                schema["required"] = kept
            else:
                del schema["required"]
        if schema.get("additionalProperties") is False:
            del schema["additionalProperties"]
        for prop, prop_schema in schema.get("properties", {}).items():
            if prop in keep:
                continue
            schema["properties"][prop] = nullable(prop_schema)
            relax_nested(prop_schema)

    def relax_nested(schema: Schema) -> None:
        if _is_object_with_properties(schema):
            relax(schema, [])
        if isinstance(schema.get("items"), dict):
            relax_nested(schema["items"])

    for name in sorted(response_names):
        relax(schemas[name], always_present.get(name, []))
    for _, _, operation in operations(document):
        for slot, _, schema in _operation_schema_slots(operation):
            if slot.startswith("responses/"):
                relax_nested(schema)
    if missing:
        raise RuleError(*(f"always_present: no schema {name!r}" for name in missing))


def nullable(schema: Schema) -> Schema:
    """The same schema, also admitting null."""
    if "$ref" in schema:
        return {"anyOf": [{"$ref": schema["$ref"]}, {"type": "null"}]}
    if not schema or schema.get("nullable") or "anyOf" in schema or "oneOf" in schema:
        return schema
    if isinstance(schema.get("type"), list):
        if "null" not in schema["type"]:
            schema["type"] = [*schema["type"], "null"]
        return schema
    schema["nullable"] = True
    return schema


def group_operations(document: Document, groups: dict[str, str]) -> None:
    """Give each operation a tag (its module folder) and a short operationId (its module).

    ``predictions.create`` becomes tag ``predictions``, module ``create``. An operation the
    table does not list takes its first dotted segment as tag and the rest as name.
    """
    seen: dict[tuple[str, str], str] = {}
    listed = set(groups)
    problems: list[str] = []
    for path, method, operation in operations(document):
        operation_id = operation.get("operationId")
        if not operation_id:
            problems.append(f"{method.upper()} {path} has no operationId")
            continue
        listed.discard(operation_id)
        target = groups.get(operation_id)
        if target is None:
            head, _, rest = operation_id.partition(".")
            target = f"{head}.{rest.replace('.', '_') or head}"
        tag, _, name = target.partition(".")
        if (tag, name) in seen:
            problems.append(f"{operation_id} and {seen[tag, name]} both map to {target}")
            continue
        seen[tag, name] = operation_id
        operation["tags"] = [tag]
        operation["operationId"] = name
        operation[UPSTREAM_ID] = operation_id
    if listed:
        problems.append(f"operations table lists unknown operations: {sorted(listed)}")
    if problems:
        raise RuleError(*problems)


def with_upstream_ids(document: Document) -> Document:
    """A copy whose operationIds are upstream's again: unique, as validators require."""
    document = copy.deepcopy(document)
    for _, _, operation in operations(document):
        operation["operationId"] = operation.pop(UPSTREAM_ID)
    return document


def normalise(spec: Document, rules_path: Path) -> Document:
    """Return the normalised copy of ``spec`` that the generator reads."""
    config = yaml.safe_load(rules_path.read_text())
    document = copy.deepcopy(spec)
    problems: list[str] = []

    def step(function: Any, *args: Any, **kwargs: Any) -> None:
        # a step that does not fit is reported with the others at the end, not alone: one run
        # lists every stale rule
        try:
            function(document, *args, **kwargs)
        except RuleError as error:
            problems.extend(error.problems)

    step(rehome_extra_methods)
    drop_error_responses(document)
    strip_prose(document, limit=config["prose"]["max_description"])
    # Before hoisting, while multipart bodies are still inline and so easy to skip.
    free_form_objects_to_any(document)
    step(apply_rules, config["rules"])
    step(hoist_remaining)
    require_bodies(document)
    step(lenient_responses, config["lenient_responses"]["always_present"])
    step(group_operations, config["operations"]["groups"])
    if problems:
        raise RuleError(*problems)
    document["components"]["schemas"] = dict(sorted(document["components"]["schemas"].items()))
    return document
