"""Tests for the API change report (scripts/codegen/changes.py and scripts/spec-changes)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from codegen.changes import ChangeReport, compare, format_text, to_json, type_string
from codegen.source import load_spec

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "spec-changes"
NEW_OPERATIONS = {"models.update", "search", "models.search"}

# --- helpers -----------------------------------------------------------------------------


def make_spec(
    paths: dict[str, Any] | None = None,
    schemas: dict[str, Any] | None = None,
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A minimal OpenAPI document around the given paths and components."""
    return {
        "openapi": "3.0.4",
        "info": {"title": "test", "version": "1"},
        "paths": paths or {},
        "components": {"schemas": schemas or {}, "parameters": parameters or {}},
    }


def json_response(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}


def operation(op_id: str, **extra: Any) -> dict[str, Any]:
    return {"operationId": op_id, "responses": json_response({"type": "string"}), **extra}


def model_schema(**properties: Any) -> dict[str, Any]:
    """A spec with one component schema `model` (properties as given) and one operation."""
    return make_spec(
        paths={"/things": {"get": operation("things.list")}},
        schemas={"model": {"type": "object", "required": ["id"], "properties": properties}},
    )


def changes(report: ChangeReport) -> set[tuple[str, str, str | None, str | None]]:
    """The changes as (kind, location, old, new), for exact assertions."""
    return {(c.kind, c.location, c.old, c.new) for c in report.changes}


def shuffled(node: Any) -> Any:
    """The same document with every mapping and list in reverse order (a reserialisation)."""
    if isinstance(node, dict):
        return {key: shuffled(node[key]) for key in reversed(list(node))}
    if isinstance(node, list):
        return [shuffled(item) for item in reversed(node)]
    return node


def operation_ids(document: dict[str, Any]) -> set[str]:
    """operationIds found anywhere under `paths`, independently of the code under test."""
    found: set[str] = set()
    for item in document["paths"].values():
        for value in item.values():
            if isinstance(value, dict) and isinstance(value.get("operationId"), str):
                found.add(value["operationId"])
    return found


# --- (a) the two shared specs ------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_report(old_spec_path: Path, current_spec_path: Path) -> ChangeReport:
    old = load_spec(str(old_spec_path)).document
    new = load_spec(str(current_spec_path)).document
    return compare(old, new)


def test_shared_specs_report_the_new_operations(shared_report: ChangeReport) -> None:
    added = {op.key: op for op in shared_report.operations_added}
    assert set(added) >= NEW_OPERATIONS
    assert (added["models.search"].method, added["models.search"].path) == ("QUERY", "/models")
    assert added["models.update"].method == "PATCH"
    assert added["search"].path == "/search"


def test_shared_specs_report_only_real_removals(
    shared_report: ChangeReport, old_spec_path: Path, current_spec_path: Path
) -> None:
    old_ids = operation_ids(load_spec(str(old_spec_path)).document)
    new_ids = operation_ids(load_spec(str(current_spec_path)).document)
    assert {op.key for op in shared_report.operations_removed} == old_ids - new_ids
    assert {op.key for op in shared_report.operations_added} == new_ids - old_ids


def test_shared_specs_report_known_changes(shared_report: ChangeReport) -> None:
    found = changes(shared_report)
    assert ("added", "predictions.create header parameter Cancel-After", None, "string") in found
    assert ("added", "predictions.list query parameter source", None, "enum[web]") in found
    assert (
        "removed",
        "models.predictions.create response 200",
        "application/json $ref:schemas_prediction_response",
        None,
    ) in found
    status = "components.schemas.schemas_training_response.status"
    assert {c.new for c in shared_report.changes if c.location == status} == {
        "enum[aborted,canceled,failed,processing,starting,succeeded]"
    }


def test_shared_specs_serialisation_differences_are_not_changes(
    shared_report: ChangeReport,
) -> None:
    locations = {c.location for c in shared_report.changes}
    # Only the example of created_after changed; parameters are listed in a different key order.
    assert not any("created_after" in loc for loc in locations)
    # `additionalProperties: true` was added, which is the default: no change.
    assert "components.schemas.schemas_prediction_response.input" not in locations
    assert not any(loc.startswith("files.create") for loc in locations)
    assert all(c.section != "operations" for c in shared_report.changes)


def test_shared_spec_compared_with_itself_reshuffled_is_empty(current_spec_path: Path) -> None:
    document = load_spec(str(current_spec_path)).document
    report = compare(document, shuffled(copy.deepcopy(document)))
    assert report.is_empty(), format_text(report)


# --- (b) hand-written specs, one kind of change each -------------------------------------


def test_operation_removed() -> None:
    old = make_spec(paths={"/a": {"get": operation("a.get"), "delete": operation("a.delete")}})
    new = make_spec(paths={"/a": {"get": operation("a.get")}})
    report = compare(old, new)
    assert [(op.key, op.method, op.path) for op in report.operations_removed] == [
        ("a.delete", "DELETE", "/a")
    ]
    assert report.operations_added == []
    assert report.changes == []


def test_operation_without_id_is_identified_by_method_and_path() -> None:
    anonymous = {"responses": json_response({"type": "string"})}
    report = compare(make_spec(), make_spec(paths={"/b/{id}": {"put": anonymous}}))
    assert [op.key for op in report.operations_added] == ["PUT /b/{id}"]
    assert "  + PUT /b/{id}" in format_text(report).splitlines()


def test_query_method_and_additional_operations_are_operations() -> None:
    old = make_spec(paths={"/models": {"get": operation("models.list")}})
    new = copy.deepcopy(old)
    new["paths"]["/models"]["query"] = operation("models.search")
    new["paths"]["/models"]["additionalOperations"] = {"LINK": operation("models.link")}
    report = compare(old, new)
    assert [(op.key, op.method) for op in report.operations_added] == [
        ("models.link", "LINK"),
        ("models.search", "QUERY"),
    ]
    assert "  + models.search (QUERY /models)" in format_text(report).splitlines()


def test_operation_moved_to_another_method() -> None:
    old = make_spec(paths={"/models": {"get": operation("models.search")}})
    new = make_spec(paths={"/models": {"query": operation("models.search")}})
    report = compare(old, new)
    assert report.operations_added == report.operations_removed == []
    assert changes(report) == {("retyped", "models.search", "GET /models", "QUERY /models")}


def _with_parameters(*params: dict[str, Any], **components: Any) -> dict[str, Any]:
    return make_spec(
        paths={"/p": {"get": operation("p.list", parameters=list(params))}},
        parameters=components,
    )


LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer"}}
CURSOR = {"name": "cursor", "in": "query", "schema": {"type": "string"}}


def test_parameter_added_and_removed() -> None:
    report = compare(_with_parameters(LIMIT), _with_parameters(CURSOR))
    assert changes(report) == {
        ("removed", "p.list query parameter limit", "integer", None),
        ("added", "p.list query parameter cursor", None, "string"),
    }
    assert {c.section for c in report.changes} == {"parameters"}


def test_parameter_retyped_format_and_required() -> None:
    retyped = {**LIMIT, "required": True, "schema": {"type": "string", "format": "date-time"}}
    report = compare(_with_parameters(LIMIT), _with_parameters(retyped))
    assert changes(report) == {
        ("retyped", "p.list query parameter limit", "integer", "string(date-time), required")
    }


def test_referenced_parameter_is_resolved() -> None:
    old = _with_parameters(LIMIT)
    same = _with_parameters({"$ref": "#/components/parameters/limit"}, limit=LIMIT)
    assert compare(old, same).is_empty()
    retyped = {**LIMIT, "schema": {"type": "number"}}
    report = compare(
        old, _with_parameters({"$ref": "#/components/parameters/limit"}, limit=retyped)
    )
    assert changes(report) == {("retyped", "p.list query parameter limit", "integer", "number")}


def test_path_level_parameters_and_header_case() -> None:
    header = {"name": "Prefer", "in": "header", "schema": {"type": "string"}}
    old = make_spec(paths={"/p": {"parameters": [header], "get": operation("p.list")}})
    lower = {**header, "name": "prefer"}
    new = make_spec(paths={"/p": {"get": operation("p.list", parameters=[lower])}})
    assert compare(old, new).is_empty()
    report = compare(old, make_spec(paths={"/p": {"get": operation("p.list")}}))
    assert changes(report) == {("removed", "p.list header parameter Prefer", "string", None)}


def test_field_added_removed_and_retyped() -> None:
    old = model_schema(id={"type": "string"}, age={"type": "integer"}, name={"type": "string"})
    new = model_schema(id={"type": "integer"}, name={"type": "string"}, tags={"type": "array"})
    assert changes(compare(old, new)) == {
        ("retyped", "components.schemas.model.id", "string, required", "integer, required"),
        ("removed", "components.schemas.model.age", "integer", None),
        ("added", "components.schemas.model.tags", None, "array<any>"),
    }


def test_nested_fields_and_array_items() -> None:
    old = model_schema(
        urls={"type": "object", "properties": {"get": {"type": "string"}}},
        items={
            "type": "array",
            "items": {"type": "object", "properties": {"n": {"type": "integer"}}},
        },
    )
    new = copy.deepcopy(old)
    props = new["components"]["schemas"]["model"]["properties"]
    props["urls"]["properties"]["stream"] = {"type": "string", "format": "uri"}
    props["items"]["items"]["properties"]["n"] = {"type": "number"}
    assert changes(compare(old, new)) == {
        ("added", "components.schemas.model.urls.stream", None, "string(uri)"),
        ("retyped", "components.schemas.model.items[].n", "integer", "number"),
    }


def test_removed_object_is_one_change_not_one_per_field() -> None:
    nested = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}
    report = compare(
        model_schema(id={"type": "string"}, meta=nested), model_schema(id={"type": "string"})
    )
    assert changes(report) == {("removed", "components.schemas.model.meta", "object", None)}


def test_fields_of_composed_schemas() -> None:
    def spec(extra_type: str) -> dict[str, Any]:
        extra = {"type": "object", "properties": {"extra": {"type": extra_type}}}
        return make_spec(
            schemas={
                "base": {"type": "object", "properties": {"id": {"type": "string"}}},
                "child": {"allOf": [{"$ref": "#/components/schemas/base"}, extra]},
            }
        )

    assert changes(compare(spec("string"), spec("boolean"))) == {
        ("retyped", "components.schemas.child.extra", "string", "boolean")
    }
    assert type_string(spec("string")["components"]["schemas"]["child"]) == (
        "allOf[$ref:base, object]"
    )


def test_required_change_of_a_field() -> None:
    old = model_schema(id={"type": "string"}, name={"type": "string"})
    new = copy.deepcopy(old)
    new["components"]["schemas"]["model"]["required"] = ["id", "name"]
    assert changes(compare(old, new)) == {
        ("retyped", "components.schemas.model.name", "string", "string, required")
    }


def test_enum_values_changed() -> None:
    old = model_schema(status={"type": "string", "enum": ["starting", "failed"]})
    new = model_schema(status={"type": "string", "enum": ["starting", "failed", "aborted"]})
    report = compare(old, new)
    assert changes(report) == {
        (
            "retyped",
            "components.schemas.model.status",
            "enum[failed,starting]",
            "enum[aborted,failed,starting]",
        )
    }
    assert "(+aborted)" in format_text(report)
    # The order of enum values is not a change.
    reordered = model_schema(status={"type": "string", "enum": ["failed", "starting"]})
    assert compare(old, reordered).is_empty()


def test_nullable_30_and_31_spellings_compare_equal() -> None:
    old = model_schema(
        error={"type": "string", "nullable": True},
        kind={"type": "string", "enum": ["a", "b"], "nullable": True},
        owner={"allOf": [{"$ref": "#/components/schemas/owner"}], "nullable": True},
    )
    new = model_schema(
        error={"type": ["string", "null"]},
        kind={"type": ["string", "null"], "enum": ["a", "b", None]},
        owner={"oneOf": [{"$ref": "#/components/schemas/owner"}, {"type": "null"}]},
    )
    report = compare(old, new)
    assert report.is_empty(), format_text(report)
    assert (
        type_string(old["components"]["schemas"]["model"]["properties"]["error"]) == "string|null"
    )


def test_nullable_added_is_a_change() -> None:
    old = model_schema(error={"type": "string"})
    new = model_schema(error={"type": ["string", "null"]})
    assert changes(compare(old, new)) == {
        ("retyped", "components.schemas.model.error", "string", "string|null")
    }


def test_description_only_change_reports_nothing() -> None:
    old = model_schema(id={"type": "string", "description": "The ID", "example": "abc"})
    new = model_schema(id={"type": "string", "description": "The unique ID", "example": "xyz"})
    old["paths"]["/things"]["get"]["summary"] = "List things"
    new["paths"]["/things"]["get"]["summary"] = "List all the things"
    new["paths"]["/things"]["get"]["description"] = "Longer prose."
    report = compare(old, new)
    assert report.is_empty()
    assert format_text(report) == "No API changes."
    assert to_json(report)["changes"] == []


def test_inline_request_body_fields() -> None:
    def create(input_schema: dict[str, Any]) -> dict[str, Any]:
        body = {
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"input": input_schema}}
                }
            }
        }
        return make_spec(
            paths={"/predictions": {"post": operation("predictions.create", requestBody=body)}}
        )

    old = create({"type": "object", "properties": {"prompt": {"type": "string"}}})
    new = create({"type": "object", "properties": {"prompt": {"type": "integer"}}})
    report = compare(old, new)
    assert changes(report) == {
        ("retyped", "predictions.create request body .input.prompt", "string", "integer")
    }
    assert {c.section for c in report.changes} == {"bodies"}


def test_response_status_and_content_type_changes() -> None:
    old = make_spec(paths={"/a": {"get": operation("a.get")}})
    new = copy.deepcopy(old)
    responses = new["paths"]["/a"]["get"]["responses"]
    responses["200"]["content"]["text/plain"] = {"schema": {"type": "string"}}
    responses["404"] = {"description": "Not found"}
    assert changes(compare(old, new)) == {
        ("added", "a.get response 200 (text/plain)", None, "string"),
        ("added", "a.get response 404", None, "no content"),
    }


def test_component_schema_added_and_removed() -> None:
    old = make_spec(schemas={"gone": {"type": "object"}})
    new = make_spec(
        schemas={"fresh": {"type": "array", "items": {"$ref": "#/components/schemas/x"}}}
    )
    assert changes(compare(old, new)) == {
        ("removed", "components.schemas.gone", "object", None),
        ("added", "components.schemas.fresh", None, "array<$ref:x>"),
    }


def test_text_report_is_grouped_and_sorted() -> None:
    old = make_spec(
        paths={"/a": {"get": operation("a.get"), "delete": operation("a.delete")}},
        schemas={"m": {"type": "object", "properties": {"x": {"type": "string"}}}},
    )
    new = make_spec(
        paths={"/a": {"get": operation("a.get", parameters=[LIMIT]), "post": operation("a.post")}},
        schemas={"m": {"type": "object", "properties": {"x": {"type": "integer"}}}},
    )
    text = format_text(compare(old, new))
    headings = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert [h.split(" (")[0] for h in headings[1:]] == [
        "Operations added",
        "Operations removed",
        "Parameters",
        "Schemas",
    ]
    assert "  ~ components.schemas.m.x: string -> integer" in text
    assert text == format_text(compare(shuffled(old), shuffled(new)))


def test_to_json_round_trips() -> None:
    report = compare(make_spec(), make_spec(paths={"/a": {"get": operation("a.get")}}))
    data = json.loads(json.dumps(to_json(report)))
    assert data["empty"] is False
    assert data["operations_added"] == [{"key": "a.get", "method": "GET", "path": "/a"}]
    assert data["changes"] == [] and data["operations_removed"] == []


# --- (c) the command line ----------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    # Run with this interpreter (it has pyyaml) rather than whatever `python3` is on PATH.
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": ""},
        cwd=Path("/"),
    )


def test_cli_is_executable() -> None:
    assert os.access(SCRIPT, os.X_OK)
    assert SCRIPT.read_text().startswith("#!/usr/bin/env python3\n")


def test_cli_reports_the_new_operations(old_spec_path: Path, current_spec_path: Path) -> None:
    result = run_cli(str(old_spec_path), str(current_spec_path))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for name in NEW_OPERATIONS:
        assert f"  + {name} (" in result.stdout


def test_cli_exit_code_and_json(old_spec_path: Path, current_spec_path: Path) -> None:
    changed = run_cli(str(old_spec_path), str(current_spec_path), "--exit-code", "--json")
    assert changed.returncode == 1, changed.stderr
    data = json.loads(changed.stdout)
    assert {op["key"] for op in data["operations_added"]} >= NEW_OPERATIONS

    same = run_cli(str(current_spec_path), str(current_spec_path), "--exit-code")
    assert same.returncode == 0, same.stderr
    assert same.stdout.strip() == "No API changes."


def test_cli_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    (tmp_path / "new.json").write_text(json.dumps(make_spec()))
    result = run_cli(str(missing), str(tmp_path / "new.json"))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert str(missing) in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_rejects_a_document_that_is_not_openapi(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text(json.dumps(make_spec()))
    (tmp_path / "new.yaml").write_text("just: [a, list]\n")
    result = run_cli(str(tmp_path / "old.json"), str(tmp_path / "new.yaml"))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "not an OpenAPI document" in result.stderr
