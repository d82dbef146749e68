"""Facade objects show the generated models' fields as replicate 1.x does (text timestamps,
plain strings for enums, dicts for nested objects without a facade class)."""

from __future__ import annotations

from typing import Any

import pytest
from facade_tools import FIXTURES, fixture

from replicate.deployment import Deployment as FacadeDeployment
from replicate.file import File
from replicate.model import Model as FacadeModel
from replicate.prediction import Prediction as FacadePrediction
from replicate.training import Training as FacadeTraining
from replicate.version import Version

PREDICTIONS = sorted(
    path.stem for path in FIXTURES.glob("prediction_*.json") if "list" not in path.stem
)


def _text(value: Any) -> Any:
    """A generated field as the facade shows it: unset is None, enums and timestamps as text."""
    from replicate_api.types import Unset

    if isinstance(value, Unset):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, str):
        return str(value)
    return value


@pytest.mark.parametrize(
    "name", [*PREDICTIONS, "prediction_list_2023_2024", "timestamps_fraction_digits"]
)
def test_predictions_agree(name: str) -> None:
    from replicate_api.models import Prediction

    data = fixture(name)
    items = data.get("results", [data])
    for item in items:
        ours = FacadePrediction(**item)
        theirs = Prediction.from_dict(item)
        assert ours.id == theirs.id
        assert ours.status == _text(theirs.status)
        for field in (
            "model",
            "version",
            "logs",
            "error",
            "output",
            "source",
            "data_removed",
            "created_at",
            "started_at",
            "completed_at",
            "metrics",
            "urls",
        ):
            assert getattr(ours, field) == _text(getattr(theirs, field)), field
        assert ours.input == _text(theirs.input_)


@pytest.mark.parametrize("name", ["model_hello_world", "model_unlisted_visibility"])
def test_models_and_versions_agree(name: str) -> None:
    from replicate_api.models import Model

    data = fixture(name)
    ours, theirs = FacadeModel(**data), Model.from_dict(data)
    for field in (
        "owner",
        "name",
        "url",
        "description",
        "github_url",
        "paper_url",
        "license_url",
        "run_count",
        "cover_image_url",
        "visibility",
    ):
        assert getattr(ours, field) == _text(getattr(theirs, field)), field
    assert ours.latest_version is not None
    assert ours.latest_version.id == theirs.latest_version.id
    assert ours.latest_version.created_at == theirs.latest_version.created_at
    assert ours.latest_version.openapi_schema == _text(theirs.latest_version.openapi_schema)
    version = Version(**data["latest_version"])
    assert version.cog_version == theirs.latest_version.cog_version


def test_trainings_agree() -> None:
    from replicate_api.models import Training

    for name in ("training_nulls", "training_succeeded_weights_url"):
        data = fixture(name)
        ours, theirs = FacadeTraining(**data), Training.from_dict(data)
        assert (ours.id, ours.status) == (theirs.id, _text(theirs.status))
        for field in (
            "created_at",
            "started_at",
            "completed_at",
            "logs",
            "error",
            "metrics",
            "urls",
            "output",
        ):
            assert getattr(ours, field) == _text(getattr(theirs, field)), field


def test_deployments_and_files_agree() -> None:
    from replicate_api.models import Deployment, FileResource

    data = fixture("deployment_nested_created_at")
    ours, theirs = FacadeDeployment(**data), Deployment.from_dict(data)
    release, their_release = ours.current_release, theirs.current_release
    assert release is not None
    assert release.number == their_release.number
    assert release.created_at == their_release.created_at.isoformat()
    assert release.created_by is not None
    assert release.created_by.username == their_release.created_by.username
    assert release.configuration is not None
    assert release.configuration.hardware == their_release.configuration.hardware

    data = fixture("file_undocumented_fields")
    file, their_file = File(**data), FileResource.from_dict(data)
    assert (file.id, file.size, file.content_type) == (
        their_file.id,
        their_file.size,
        their_file.content_type,
    )
    assert file.checksums == their_file.checksums.to_dict()
    assert file.urls == their_file.urls.to_dict()
    assert file.created_at == their_file.created_at.isoformat()
    assert file.expires_at == their_file.expires_at.isoformat()
