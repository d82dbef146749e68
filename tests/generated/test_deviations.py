"""The generated models against real traffic that deviates from Replicate's OpenAPI spec.

API-FACTS.md ("Real traffic deviates from the spec") lists how recorded responses differ
from the published description. Each fixture under ``tests/fixtures/responses/`` reproduces
one of those deviations; the tests check that ``generated/replicate_api`` parses it without
an exception and without losing data (values, types, and an exact ``to_dict()`` round trip).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import pickle
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import replicate_api.types
from replicate_api import AuthenticatedClient, models
from replicate_api.api.predictions import create as create_prediction
from replicate_api.api.trainings import create as create_training
from replicate_api.errors import UnexpectedStatus
from replicate_api.models import (
    Deployment,
    FileCreateRequest,
    FileResource,
    Model,
    ModelVisibility,
    PaginatedPredictionList,
    Prediction,
    PredictionSource,
    PredictionStatus,
    PredictionUrls,
    Training,
    TrainingOutput,
    TrainingRequest,
    TrainingSource,
    TrainingStatus,
    VersionPredictionRequest,
)
from replicate_api.types import UNSET

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "responses"
BASE_URL = "https://api.replicate.com/v1"
TOKEN = "r8_test"
HELLO_WORLD_VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
UTC = datetime.UTC


def load(name: str) -> dict[str, Any]:
    """A fresh copy of a fixture (parsing one copy cannot alter the one compared against)."""
    return json.loads((FIXTURES / name).read_text())


def dig(data: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


# Every response fixture and the generated class the API operation returning it uses.
RESPONSE_CLASSES: dict[str, type] = {
    "prediction_2023_no_model.json": Prediction,
    "prediction_starting_no_output.json": Prediction,
    "prediction_processing_no_output.json": Prediction,
    "prediction_logs_null.json": Prediction,
    "prediction_future_status.json": Prediction,
    "prediction_source_cli.json": Prediction,
    "prediction_list_2023_2024.json": PaginatedPredictionList,
    "timestamps_fraction_digits.json": PaginatedPredictionList,
    "training_nulls.json": Training,
    "training_succeeded_weights_url.json": Training,
    "file_undocumented_fields.json": FileResource,
    "deployment_nested_created_at.json": Deployment,
    "model_hello_world.json": Model,
    "model_unlisted_visibility.json": Model,
}
PREDICTION_FIXTURES = [name for name, cls in RESPONSE_CLASSES.items() if cls is Prediction]

# Resolves the string annotations of the generated classes (they import models lazily).
_MODEL_NAMESPACE = {name: getattr(models, name) for name in models.__all__}


def assert_fields_typed(value: Any, path: str = "$") -> None:
    """Fail where a parsed model holds raw JSON in a field declared as a model, enum or datetime.

    The generated ``from_dict`` falls back to the raw value when a nested object fails to
    parse, and the raw value round-trips unchanged: only the types show the difference.
    """
    hints = typing.get_type_hints(type(value), localns=_MODEL_NAMESPACE)
    for field in attrs.fields(type(value)):
        if field.name != "additional_properties":
            _check_type(getattr(value, field.name), hints[field.name], f"{path}.{field.name}")


def _check_type(value: Any, declared: Any, path: str) -> None:
    options = typing.get_args(declared) if isinstance(declared, types.UnionType) else (declared,)
    if Any in options:
        return
    for option in options:
        if typing.get_origin(option) is list:
            if isinstance(value, list):
                (item_type,) = typing.get_args(option)
                for index, item in enumerate(value):
                    _check_type(item, item_type, f"{path}[{index}]")
                return
        elif isinstance(value, option) or (option is float and type(value) is int):
            if attrs.has(option):
                assert_fields_typed(value, path)
            return
    pytest.fail(f"{path} holds {value!r}, not a {declared}")


# The general property -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "cls"), RESPONSE_CLASSES.items())
def test_fixture_round_trips_exactly(name: str, cls: Any) -> None:
    parsed = cls.from_dict(load(name))

    assert_fields_typed(parsed)
    out = parsed.to_dict()
    assert out == load(name)
    # Also catches a changed JSON type (false -> 0, 1.5 -> "1.5") and unserialisable values.
    assert json.dumps(out, sort_keys=True) == json.dumps(load(name), sort_keys=True)


# Predictions: required fields that real responses leave out ------------------------------


@pytest.mark.parametrize("name", PREDICTION_FIXTURES)
def test_prediction_without_urls_web(name: str) -> None:
    assert "web" not in load(name)["urls"]

    prediction = Prediction.from_dict(load(name))

    assert isinstance(prediction.urls, PredictionUrls)
    assert prediction.urls.get == f"{BASE_URL}/predictions/{prediction.id}"
    assert prediction.urls.cancel == f"{BASE_URL}/predictions/{prediction.id}/cancel"
    assert prediction.urls.web is UNSET
    assert "web" not in prediction.to_dict()["urls"]


def test_prediction_2023_without_data_removed() -> None:
    prediction = Prediction.from_dict(load("prediction_2023_no_model.json"))

    assert prediction.data_removed is UNSET
    assert prediction.status is PredictionStatus.SUCCEEDED
    assert prediction.output == "hello Alice"
    assert "data_removed" not in prediction.to_dict()


def test_prediction_2023_without_model() -> None:
    prediction = Prediction.from_dict(load("prediction_2023_no_model.json"))

    assert prediction.model is UNSET
    assert prediction.version == HELLO_WORLD_VERSION
    assert prediction.input_ == {"text": "Alice"}
    assert prediction.completed_at == datetime.datetime(2023, 8, 14, 10, 21, 42, 420916, UTC)
    assert "model" not in prediction.to_dict()


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("prediction_starting_no_output.json", PredictionStatus.STARTING),
        ("prediction_processing_no_output.json", PredictionStatus.PROCESSING),
    ],
)
def test_prediction_without_output_while_running(name: str, status: PredictionStatus) -> None:
    fixture = load(name)
    assert "output" not in fixture

    prediction = Prediction.from_dict(load(name))

    assert prediction.status is status
    assert prediction.output is UNSET
    assert prediction.logs == fixture["logs"]
    assert isinstance(prediction.urls, PredictionUrls)
    assert prediction.urls.stream == fixture["urls"]["stream"]
    assert "output" not in prediction.to_dict()


def test_prediction_logs_null() -> None:
    prediction = Prediction.from_dict(load("prediction_logs_null.json"))

    assert prediction.logs is None
    assert prediction.output is None
    assert prediction.status is PredictionStatus.ABORTED
    out = prediction.to_dict()
    assert "logs" in out
    assert out["logs"] is None


def test_prediction_list_mixes_2023_and_2024_shapes() -> None:
    fixture = load("prediction_list_2023_2024.json")

    page = PaginatedPredictionList.from_dict(load("prediction_list_2023_2024.json"))

    assert isinstance(page.results, list)
    assert all(isinstance(result, Prediction) for result in page.results)
    assert [result.id for result in page.results] == [r["id"] for r in fixture["results"]]
    assert [result.model for result in page.results] == [
        "replicate/hello-world",
        "replicate/hello-world",
        UNSET,
    ]
    assert [result.data_removed for result in page.results] == [True, False, UNSET]
    assert page.next_ == fixture["next"]
    assert page.previous is None


# Trainings: non-nullable fields that come back null --------------------------------------


def test_training_with_null_output_and_times() -> None:
    training = Training.from_dict(load("training_nulls.json"))

    assert training.status is TrainingStatus.STARTING
    assert training.output is None
    assert training.started_at is None
    assert training.completed_at is None
    assert training.created_at == datetime.datetime(2024, 10, 15, 12, 11, 27, 954211, UTC)
    out = training.to_dict()
    assert {key: out[key] for key in ("output", "started_at", "completed_at")} == {
        "output": None,
        "started_at": None,
        "completed_at": None,
    }


def test_training_succeeded_output() -> None:
    training = Training.from_dict(load("training_succeeded_weights_url.json"))

    assert isinstance(training.output, TrainingOutput)
    assert training.output.version == (
        "acme/hello-world-trained:b77f6ee59d9e6c2e4f6b6a3e4b9c10f3a0b1e7d8c7f2a6d5e4c3b2a1f0e9d8c7"
    )
    assert training.output.weights is not None
    assert training.output.weights.startswith("https://replicate.delivery/")


# Fields the spec does not list -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls", "path", "read"),
    [
        pytest.param(
            "file_undocumented_fields.json",
            FileResource,
            ("etag",),
            lambda file: file["etag"],
            id="file.etag",
        ),
        pytest.param(
            "file_undocumented_fields.json",
            FileResource,
            ("name",),
            lambda file: file["name"],
            id="file.name",
        ),
        pytest.param(
            "file_undocumented_fields.json",
            FileResource,
            ("checksums", "md5"),
            lambda file: file.checksums["md5"],
            id="file.checksums.md5",
        ),
        pytest.param(
            "training_succeeded_weights_url.json",
            Training,
            ("output", "weights_url"),
            lambda training: training.output["weights_url"],
            id="training.output.weights_url",
        ),
        pytest.param(
            "prediction_2023_no_model.json",
            Prediction,
            ("webhook_completed",),
            lambda prediction: prediction["webhook_completed"],
            id="prediction.webhook_completed",
        ),
        pytest.param(
            "prediction_2023_no_model.json",
            Prediction,
            ("metrics", "predict_time"),
            lambda prediction: prediction.metrics["predict_time"],
            id="prediction.metrics.predict_time",
        ),
        pytest.param(
            "prediction_list_2023_2024.json",
            PaginatedPredictionList,
            ("results", 2, "webhook_completed"),
            lambda page: page.results[2]["webhook_completed"],
            id="prediction_list.results[2].webhook_completed",
        ),
        pytest.param(
            "deployment_nested_created_at.json",
            Deployment,
            ("current_release", "created_by", "created_at"),
            lambda deployment: deployment.current_release.created_by["created_at"],
            id="deployment.current_release.created_by.created_at",
        ),
        pytest.param(
            "model_hello_world.json",
            Model,
            ("default_example", "metrics", "predict_time"),
            lambda model: model.default_example.metrics["predict_time"],
            id="model.default_example.metrics.predict_time",
        ),
        pytest.param(
            "model_hello_world.json",
            Model,
            ("latest_version", "created_at"),
            lambda model: model.latest_version.created_at.isoformat(),
            id="model.latest_version.created_at",
        ),
    ],
)
def test_undocumented_field_survives(
    name: str, cls: Any, path: tuple[str | int, ...], read: Callable[[Any], Any]
) -> None:
    expected = dig(load(name), path)
    assert expected is not None

    parsed = cls.from_dict(load(name))

    assert read(parsed) == expected
    assert dig(parsed.to_dict(), path) == expected


# Enum values beyond the spec's lists -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls", "attribute", "enum", "value"),
    [
        pytest.param(
            "prediction_future_status.json",
            Prediction,
            "status",
            PredictionStatus,
            "queued",
            id="prediction.status=queued",
        ),
        pytest.param(
            "prediction_source_cli.json",
            Prediction,
            "source",
            PredictionSource,
            "cli",
            id="prediction.source=cli",
        ),
        pytest.param(
            "training_succeeded_weights_url.json",
            Training,
            "source",
            TrainingSource,
            "cli",
            id="training.source=cli",
        ),
        pytest.param(
            "model_unlisted_visibility.json",
            Model,
            "visibility",
            ModelVisibility,
            "unlisted",
            id="model.visibility=unlisted",
        ),
    ],
)
def test_unknown_enum_value_keeps_its_string(
    name: str, cls: Any, attribute: str, enum: Any, value: str
) -> None:
    documented = {member.value for member in enum}
    assert value not in documented

    parsed = getattr(cls.from_dict(load(name)), attribute)

    assert isinstance(parsed, enum)
    assert str(parsed) == value
    assert f"{parsed}" == value
    assert parsed.value == value
    assert parsed == value
    assert all(parsed != member for member in enum)
    assert {member.value for member in enum} == documented  # the enum itself is unchanged
    assert cls.from_dict(load(name)).to_dict()[attribute] == value


@pytest.mark.parametrize(
    ("name", "cls", "attribute", "member"),
    [
        ("prediction_2023_no_model.json", Prediction, "status", PredictionStatus.SUCCEEDED),
        ("prediction_processing_no_output.json", Prediction, "source", PredictionSource.API),
        ("training_nulls.json", Training, "status", TrainingStatus.STARTING),
        ("training_nulls.json", Training, "source", TrainingSource.API),
        ("model_hello_world.json", Model, "visibility", ModelVisibility.PUBLIC),
    ],
)
def test_known_enum_value_is_the_member(name: str, cls: Any, attribute: str, member: Any) -> None:
    parsed = getattr(cls.from_dict(load(name)), attribute)

    assert parsed is member
    assert parsed == member
    assert parsed == member.value


# Timestamps with Z and 0 to 9 fractional digits ------------------------------------------


def _at(second: int, microsecond: int) -> datetime.datetime:
    return datetime.datetime(2024, 10, 15, 12, 1, second, microsecond, UTC)


# 7 and 9 digits: values where truncating and rounding to microseconds agree.
@pytest.mark.parametrize(
    ("index", "text", "expected"),
    [
        pytest.param(0, "2024-10-15T12:01:02Z", _at(2, 0), id="0-digits"),
        pytest.param(1, "2024-10-15T12:01:03.12Z", _at(3, 120_000), id="2-digits"),
        pytest.param(2, "2024-10-15T12:01:04.123Z", _at(4, 123_000), id="3-digits"),
        pytest.param(3, "2024-10-15T12:01:05.123456Z", _at(5, 123_456), id="6-digits"),
        pytest.param(4, "2024-10-15T12:01:06.5432101Z", _at(6, 543_210), id="7-digits"),
        pytest.param(5, "2024-10-15T12:01:07.987654321Z", _at(7, 987_654), id="9-digits"),
    ],
)
def test_timestamp_fraction_digits(index: int, text: str, expected: datetime.datetime) -> None:
    assert load("timestamps_fraction_digits.json")["results"][index]["created_at"] == text

    page = PaginatedPredictionList.from_dict(load("timestamps_fraction_digits.json"))
    assert isinstance(page.results, list)
    created_at = page.results[index].created_at

    assert isinstance(created_at, datetime.datetime)
    assert created_at.utcoffset() == datetime.timedelta(0)
    assert created_at == expected
    assert created_at.microsecond == expected.microsecond
    assert created_at.isoformat() == text
    assert page.to_dict()["results"][index]["created_at"] == text


def test_timestamps_are_parsed_on_first_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    parse = replicate_api.types.parse_timestamp

    def counting(text: str) -> datetime.datetime:
        parsed.append(text)
        return parse(text)

    monkeypatch.setattr(replicate_api.types, "parse_timestamp", counting)
    fixture = load("prediction_2023_no_model.json")

    prediction = Prediction.from_dict(load("prediction_2023_no_model.json"))
    assert prediction.to_dict() == fixture
    assert parsed == []

    created_at = prediction.created_at
    assert isinstance(created_at, datetime.datetime)
    assert created_at.utcoffset() == datetime.timedelta(0)
    assert created_at == datetime.datetime(2023, 8, 14, 10, 21, 42, 376145, UTC)
    assert created_at.isoformat() == fixture["created_at"]
    assert prediction.created_at is created_at
    assert parsed == [fixture["created_at"]]
    assert prediction.to_dict() == fixture


def test_nested_models_are_decoded_on_first_read_only() -> None:
    fixture = load("prediction_source_cli.json")
    prediction = Prediction.from_dict(load("prediction_source_cli.json"))
    assert prediction.to_dict() == fixture
    assert type(prediction._raw_urls) is dict  # not decoded yet

    urls = prediction.urls
    assert isinstance(urls, PredictionUrls) and urls.get == fixture["urls"]["get"]
    assert prediction.urls is urls  # decoded once
    assert prediction.to_dict() == fixture

    # a nested object without the keys its model requires stays the dict the API sent
    data = {**load("model_hello_world.json"), "default_example": {"output": "hello"}}
    model = Model.from_dict(dict(data))
    assert model.default_example == {"output": "hello"}
    assert model.to_dict() == data


def test_a_value_that_is_no_timestamp_stays_as_sent() -> None:
    data = {**load("training_nulls.json"), "created_at": "yesterday", "started_at": 1728994287}

    training = Training.from_dict(dict(data))

    assert training.created_at == "yesterday"
    assert training.started_at == 1728994287
    assert training.completed_at is None
    assert training.to_dict() == data


def test_models_with_timestamps_compare_copy_and_pickle() -> None:
    fixture = load("prediction_2023_no_model.json")
    prediction = Prediction.from_dict(load("prediction_2023_no_model.json"))
    assert prediction == Prediction.from_dict(load("prediction_2023_no_model.json"))
    assert "created_at=" in repr(prediction)
    assert attrs.asdict(prediction)["created_at"] == prediction.created_at

    restored = pickle.loads(pickle.dumps(prediction))
    assert restored == prediction
    assert restored.to_dict() == fixture  # the text of each timestamp too

    later = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    changed = attrs.evolve(prediction, created_at=later)
    assert changed.created_at == later
    assert changed.to_dict()["created_at"] == "2025-01-02T03:04:05+00:00"
    assert prediction.to_dict() == fixture

    prediction.started_at = later
    prediction.completed_at = None
    assert prediction.started_at == later
    assert prediction.to_dict()["started_at"] == "2025-01-02T03:04:05+00:00"
    assert prediction.to_dict()["completed_at"] is None


# Every model: its JSON keys, and values of unexpected types kept as sent -----------------

MODEL_CLASSES = [cls for name in models.__all__ if attrs.has(cls := getattr(models, name))]
# Its content is a file to upload (request bodies only), which from_dict reads as bytes.
FROM_JSON_CLASSES = [cls for cls in MODEL_CLASSES if cls is not FileCreateRequest]


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
def test_json_fields_map_every_json_key_to_its_attribute(cls: Any) -> None:
    attributes = [
        field.name for field in attrs.fields(cls) if field.name != "additional_properties"
    ]
    assert list(cls.JSON_FIELDS.values()) == attributes


def test_json_fields_use_the_api_names() -> None:
    assert Prediction.JSON_FIELDS["input"] == "input_"
    assert models.PaginatedPredictionList.JSON_FIELDS["next"] == "next_"
    assert FileCreateRequest.JSON_FIELDS["type"] == "type_"
    assert list(Prediction.JSON_FIELDS)[:2] == ["id", "status"]


@pytest.mark.parametrize("cls", FROM_JSON_CLASSES, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("value", [None, 0.5, [0.5]], ids=["null", "number", "list"])
def test_every_field_keeps_a_value_of_an_unexpected_type(cls: Any, value: Any) -> None:
    data = {key: value for key in cls.JSON_FIELDS}

    parsed = cls.from_dict(data)

    for key, attribute in cls.JSON_FIELDS.items():
        assert getattr(parsed, attribute) == value, key
    assert parsed.to_dict() == data


def required_keys(cls: Any) -> list[str]:
    fields = attrs.fields_dict(cls)
    return [key for key, name in cls.JSON_FIELDS.items() if fields[name].default is attrs.NOTHING]


@pytest.mark.parametrize("cls", FROM_JSON_CLASSES, ids=lambda cls: cls.__name__)
def test_only_a_missing_required_field_fails(cls: Any) -> None:
    required = required_keys(cls)
    data = {key: 0.5 for key in required}

    parsed = cls.from_dict(data)

    assert parsed.to_dict() == data
    assert all(
        getattr(parsed, cls.JSON_FIELDS[key]) is UNSET
        for key in cls.JSON_FIELDS.keys() - data.keys()
    )
    for key in required:
        with pytest.raises(KeyError, match=key):
            cls.from_dict({k: v for k, v in data.items() if k != key})


def _nested_objects(cls: Any) -> list[tuple[str, Any]]:
    """(JSON key, a value with an empty object) for each field holding a model or list of them."""
    hints = typing.get_type_hints(cls, localns=_MODEL_NAMESPACE)
    found = []
    for key, attribute in cls.JSON_FIELDS.items():
        for option in typing.get_args(hints[attribute]) or (hints[attribute],):
            if attrs.has(option):
                found.append((key, {}))
            elif typing.get_origin(option) is list and attrs.has(typing.get_args(option)[0]):
                found.append((key, [{}, "not an object"]))
    return found


NESTED = [
    pytest.param(cls, key, value, id=f"{cls.__name__}.{key}")
    for cls in FROM_JSON_CLASSES
    for key, value in _nested_objects(cls)
]


def test_nested_fields_are_found() -> None:
    assert len(NESTED) > 20
    assert "PaginatedPredictionList.results" in {param.id for param in NESTED}


@pytest.mark.parametrize(("cls", "key", "value"), NESTED)
def test_an_empty_nested_object_never_fails_its_parent(cls: Any, key: str, value: Any) -> None:
    data = {**{required: 0.5 for required in required_keys(cls)}, key: value}

    parsed = cls.from_dict(data)

    assert parsed.to_dict() == data


def test_a_page_decodes_each_result_it_can() -> None:
    fixture = load("prediction_list_2023_2024.json")
    without_id = {"status": "succeeded", "output": "hello"}
    data = {**fixture, "results": [*fixture["results"], without_id, "not an object"]}

    page = PaginatedPredictionList.from_dict(json.loads(json.dumps(data)))

    assert isinstance(page.results, list)
    assert [type(result) for result in page.results] == [
        *[Prediction] * len(fixture["results"]),
        dict,
        str,
    ]
    assert page.results[-2:] == [without_id, "not an object"]
    assert page.to_dict() == data


# Status codes the spec does not list -----------------------------------------------------

TRAININGS_PATH = f"/v1/models/replicate/hello-world/versions/{HELLO_WORLD_VERSION}/trainings"


def _create_prediction(client: AuthenticatedClient) -> Prediction:
    body = VersionPredictionRequest(version=HELLO_WORLD_VERSION, input_={"text": "Alice"})
    return create_prediction.sync(client=client, body=body)


def _create_training(client: AuthenticatedClient) -> Training:
    body = TrainingRequest(destination="acme/hello-world-trained", input_={"text": "Alice"})
    return create_training.sync(
        "replicate", "hello-world", HELLO_WORLD_VERSION, client=client, body=body
    )


def problem_client(
    status: int, body_name: str, headers: dict[str, str], seen: list[httpx.Request]
) -> AuthenticatedClient:
    """A client whose every request gets ``status`` with a fixture's problem+json body."""
    body = (FIXTURES / body_name).read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            status,
            content=body,
            headers={"Content-Type": "application/problem+json", **headers},
        )

    transport = httpx.MockTransport(handler)
    return AuthenticatedClient(base_url=BASE_URL, token=TOKEN, httpx_args={"transport": transport})


def assert_problem(
    error: UnexpectedStatus, status: int, body_name: str, headers: dict[str, str]
) -> None:
    problem = load(body_name)
    assert error.status_code == status
    assert error.problem == problem
    assert error.title == problem["title"]
    assert error.detail == problem["detail"]
    assert error.headers["Content-Type"] == "application/problem+json"
    for key, value in headers.items():
        assert error.headers[key] == value
    assert str(status) in str(error)
    assert problem["title"] in str(error)
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error)


@pytest.mark.parametrize(
    ("call", "path", "status", "body_name", "headers"),
    [
        pytest.param(
            _create_prediction,
            "/v1/predictions",
            401,
            "problem_401_predictions_create.json",
            {},
            id="401-predictions.create-bad-token",
        ),
        pytest.param(
            _create_training,
            TRAININGS_PATH,
            404,
            "problem_404_trainings_create.json",
            {},
            id="404-trainings.create",
        ),
        pytest.param(
            _create_prediction,
            "/v1/predictions",
            429,
            "problem_429_predictions_create.json",
            {"Retry-After": "10"},
            id="429-predictions.create-retry-after",
        ),
    ],
)
def test_unlisted_status_raises_typed_error(
    call: Callable[[AuthenticatedClient], Any],
    path: str,
    status: int,
    body_name: str,
    headers: dict[str, str],
) -> None:
    seen: list[httpx.Request] = []

    with (
        problem_client(status, body_name, headers, seen) as client,
        pytest.raises(UnexpectedStatus) as caught,
    ):
        call(client)

    assert [(request.method, request.url.path) for request in seen] == [("POST", path)]
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert_problem(caught.value, status, body_name, headers)


def test_unlisted_status_raises_typed_error_async() -> None:
    seen: list[httpx.Request] = []
    body = VersionPredictionRequest(version=HELLO_WORLD_VERSION, input_={"text": "Alice"})

    async def create() -> Prediction:
        async with problem_client(401, "problem_401_predictions_create.json", {}, seen) as client:
            assert isinstance(client.get_async_httpx_client(), httpx.AsyncClient)
            return await create_prediction.asyncio(client=client, body=body)

    with pytest.raises(UnexpectedStatus) as caught:
        asyncio.run(create())

    assert [(request.method, request.url.path) for request in seen] == [("POST", "/v1/predictions")]
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert_problem(caught.value, 401, "problem_401_predictions_create.json", {})
