"""scripts/generate: drift check, determinism, and failing loudly when the spec moves."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import codegen
import pytest
from codegen import generate, normalise

ROOT = Path(__file__).resolve().parents[2]
GENERATE = ROOT / "scripts" / "generate"


def run_generate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(GENERATE), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def fresh_tree(current_spec_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One regeneration from the shared spec, into a scratch folder."""
    output = tmp_path_factory.mktemp("generated")
    result = run_generate("--spec", current_spec_path, "--output", output)
    assert result.returncode == 0, result.stderr
    return output / "replicate_api"


def test_committed_tree_matches_the_generator(current_spec_path: Path) -> None:
    result = run_generate("--check", "--spec", current_spec_path)
    assert result.returncode == 0, result.stderr
    assert "matches" in result.stdout


def test_two_runs_write_identical_trees(
    fresh_tree: Path, current_spec_path: Path, tmp_path: Path
) -> None:
    result = run_generate("--spec", current_spec_path, "--output", tmp_path)
    assert result.returncode == 0, result.stderr
    assert generate.compare_trees(fresh_tree, tmp_path / "replicate_api") == []
    assert len(list(fresh_tree.rglob("*.py"))) > 90


def test_check_names_hand_edits_and_stale_files(
    fresh_tree: Path, current_spec_path: Path, tmp_path: Path
) -> None:
    shutil.copytree(fresh_tree, tmp_path / "replicate_api")
    edited = tmp_path / "replicate_api" / "models" / "prediction.py"
    edited.write_text(edited.read_text().replace("class Prediction:", "class Prediction:  # mine"))
    (tmp_path / "replicate_api" / "models" / "leftover.py").write_text("x = 1\n")

    result = run_generate("--check", "--spec", current_spec_path, "--output", tmp_path)

    assert result.returncode == 1
    assert "differs: models/prediction.py" in result.stderr
    assert "class Prediction:  # mine" in result.stderr
    assert "models/leftover.py" in result.stderr


def test_regeneration_removes_stale_files(
    fresh_tree: Path, current_spec_path: Path, tmp_path: Path
) -> None:
    shutil.copytree(fresh_tree, tmp_path / "replicate_api")
    stale = tmp_path / "replicate_api" / "api" / "predictions" / "old_operation.py"
    stale.write_text("x = 1\n")
    result = run_generate("--spec", current_spec_path, "--output", tmp_path)
    assert result.returncode == 0, result.stderr
    assert not stale.exists()


def test_every_generated_file_says_how_it_was_made(fresh_tree: Path) -> None:
    for path in fresh_tree.rglob("*.py"):
        assert path.read_text().startswith(generate.HEADER), path
    normalised = json.loads((fresh_tree / "openapi.json").read_text())
    assert next(iter(normalised)) == "x-generated-by"


def test_the_package_is_marked_typed(fresh_tree: Path) -> None:
    # PEP 561: without the marker, type checkers ignore the package's annotations
    assert (fresh_tree / "py.typed").read_text() == ""


def test_lock_records_the_spec_and_tools(current_spec_path: Path) -> None:
    lock = json.loads((ROOT / "openapi" / "spec.lock.json").read_text())
    assert lock["input_sha256"] == hashlib.sha256(current_spec_path.read_bytes()).hexdigest()
    assert lock["tools"] == generate.pinned_versions()
    assert set(lock["tools"]) == {"openapi-python-client", "ruff"}


def _spec_with(current_spec_path: Path, tmp_path: Path, change: dict[str, object]) -> Path:
    document = json.loads(current_spec_path.read_text())
    document["paths"].update(change)
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(document))
    return path


def test_an_operation_the_generator_cannot_build_stops_the_build(
    current_spec_path: Path, tmp_path: Path
) -> None:
    # A CSV body: openapi-python-client warns and would drop the endpoint; we must stop.
    spec = _spec_with(
        current_spec_path,
        tmp_path,
        {
            "/exports": {
                "post": {
                    "operationId": "exports.create",
                    "summary": "Create an export",
                    "requestBody": {
                        "required": True,
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    "responses": {"201": {"description": "Created"}},
                }
            }
        },
    )
    result = run_generate("--spec", spec, "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "text/csv" in result.stderr
    assert not (tmp_path / "out" / "replicate_api").exists()


def test_a_rule_that_no_longer_fits_stops_the_build(
    current_spec_path: Path, tmp_path: Path
) -> None:
    document = json.loads(current_spec_path.read_text())
    del document["components"]["schemas"]["schemas_page_response"]
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(document))
    result = run_generate("--spec", spec, "--output", tmp_path / "out")
    assert result.returncode == 2
    assert "schemas_page_response" in result.stderr


def test_every_stale_rule_is_reported_in_one_run(current_spec_path: Path, tmp_path: Path) -> None:
    document = json.loads(current_spec_path.read_text())
    for name in ("schemas_page_response", "schemas_training_request"):  # two renames
        del document["components"]["schemas"][name]
    del document["paths"]["/account"]  # a hoist, and an entry of the operations table
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(document))
    result = run_generate("--check", "--spec", spec)
    assert result.returncode == 2
    header, *problems = result.stderr.splitlines()
    assert header.startswith(f"scripts/generate: openapi/rules.yaml no longer fits {spec} (")
    expected = [
        "(rename schemas_page_response): no schema 'schemas_page_response'",
        "(rename schemas_training_request): no schema 'schemas_training_request'",
        "(hoist /paths/~1account/get/responses/200/content/application~1json/schema)",
        "operations table lists unknown operations: ['account.get']",
    ]
    for text in expected:
        assert any(text in problem for problem in problems), text


def test_every_failing_step_of_the_normalisation_is_reported() -> None:
    document = {
        "paths": {"/a": {"get": {"operationId": "things.get"}}},
        "components": {"schemas": {"a": {"type": "object"}}},
    }
    rules = [
        {"rename": "gone", "to": "X", "reason": "r"},
        {"rename": "a", "to": "A", "reason": "r"},  # fits: the others do not stop it
        {"hoist": "/paths/~1b/get", "name": "B", "reason": "r"},
        {"set": "/components/schemas/missing/x", "value": 1, "reason": "r"},
    ]
    with pytest.raises(normalise.RuleError) as raised:
        normalise.apply_rules(document, rules)
    assert [problem.split(" (")[0] for problem in raised.value.problems] == [
        "rule 1",
        "rule 3",
        "rule 4",
    ]
    assert "A" in document["components"]["schemas"]


def test_offline_the_url_is_named_and_spec_suggested() -> None:
    # nothing listens on port 9 of this machine (discard): refused at once, offline or not
    url = "http://127.0.0.1:9/openapi.json"
    result = run_generate("--check", "--spec", url)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"scripts/generate: cannot download {url}: ")
    assert line.endswith("(offline? give a local copy: --spec PATH)")


def test_the_command_runs_with_the_project_venv_whatever_python3_is(tmp_path: Path) -> None:
    if not (codegen.VENV / "bin" / "python").is_file():
        pytest.skip("no .venv (scripts/test makes it)")
    # the base interpreter without site-packages: none of the tools, not even pyyaml
    bare = [getattr(sys, "_base_executable", sys.executable), "-S"]
    missing = tmp_path / "nope.json"
    result = subprocess.run(
        [*bare, str(GENERATE), "--check", "--spec", str(missing)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={key: value for key, value in os.environ.items() if not key.startswith("VIRTUAL")},
    )
    # it got as far as reading the spec: the tools were found, in .venv
    assert result.stderr.strip() == f"scripts/generate: spec not found: {missing}"


def test_the_project_python_is_the_venv_one_unless_it_runs_already(tmp_path: Path) -> None:
    assert codegen.project_python(tmp_path / ".venv") is None  # no .venv
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("")
    assert codegen.project_python(tmp_path / ".venv") == python


def test_missing_spec_is_one_clear_line(tmp_path: Path) -> None:
    result = run_generate("--spec", tmp_path / "nope.json", "--output", tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"scripts/generate: spec not found: {tmp_path / 'nope.json'}"
    ]


# --- the normalised description ----------------------------------------------------------


@pytest.fixture(scope="module")
def normalised(current_spec_path: Path) -> dict[str, object]:
    from codegen.source import load_spec

    return normalise.normalise(
        load_spec(str(current_spec_path)).document, ROOT / "openapi" / "rules.yaml"
    )


def test_all_37_operations_survive_grouped_by_resource(
    normalised: dict[str, object], current_spec_path: Path
) -> None:
    upstream = json.loads(current_spec_path.read_text())
    upstream_ids = [op["operationId"] for _, _, op in normalise.operations(upstream)]
    grouped = sorted(
        f"{op['tags'][0]}/{op['operationId']}" for _, _, op in normalise.operations(normalised)
    )
    assert len(upstream_ids) == 37
    assert len(grouped) == 37
    assert "predictions/create" in grouped
    assert "models/search" in grouped
    assert "versions/list" in grouped
    assert "webhooks/get_default_secret" in grouped


def test_query_operation_moves_to_a_pseudo_path(normalised: dict[str, object]) -> None:
    paths = normalised["paths"]
    assert isinstance(paths, dict)
    assert "query" not in paths["/models"]
    search = paths["/models#QUERY"]["post"]
    assert search["operationId"] == "search"
    assert list(search["requestBody"]["content"]) == ["text/plain; charset=utf-8"]


def test_long_prose_is_gone_and_summaries_stay(normalised: dict[str, object]) -> None:
    text = json.dumps(normalised)
    assert "curl" not in text
    assert "```" not in text
    for _, _, operation in normalise.operations(normalised):
        assert operation["summary"]
        assert "description" not in operation


def test_no_upstream_schema_names_are_left(normalised: dict[str, object]) -> None:
    components = normalised["components"]
    assert isinstance(components, dict)
    names = list(components["schemas"])
    assert not [n for n in names if n.startswith("schemas_") or n.endswith("Response200")]
    for expected in ("Prediction", "Training", "Deployment", "Model", "ModelVersion"):
        assert expected in names
    assert [n for n in names if n.startswith("Paginated")] == [
        "PaginatedCollectionList",
        "PaginatedDeploymentList",
        "PaginatedFileList",
        "PaginatedModelList",
        "PaginatedModelVersionList",
        "PaginatedPredictionList",
        "PaginatedTrainingList",
    ]


def test_extra_methods_from_openapi_3_2_documents_are_rehomed() -> None:
    document = {
        "paths": {
            "/things": {
                "get": {"operationId": "things.list"},
                "additionalOperations": {"LINK": {"operationId": "things.link"}},
            }
        }
    }
    normalise.rehome_extra_methods(document)
    assert document["paths"]["/things#LINK"] == {"post": {"operationId": "things.link"}}
    assert "additionalOperations" not in document["paths"]["/things"]


def test_a_rule_without_a_reason_is_refused() -> None:
    document = {"paths": {}, "components": {"schemas": {"a": {"type": "object"}}}}
    with pytest.raises(normalise.RuleError, match="without a reason"):
        normalise.apply_rules(document, [{"rename": "a", "to": "B"}])


def test_two_operations_mapping_to_one_module_are_refused() -> None:
    document = {
        "paths": {
            "/a": {"get": {"operationId": "things.get"}},
            "/b": {"get": {"operationId": "stuff.get"}},
        }
    }
    with pytest.raises(normalise.RuleError, match=r"both map to things\.get"):
        normalise.group_operations(document, {"stuff.get": "things.get"})
