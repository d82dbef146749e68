"""problem+json errors become ReplicateError (and a subclass per status)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from facade_tools import FakeAPI, fixture

from replicate.client import Client
from replicate.exceptions import (
    AuthenticationError,
    ModelError,
    NotFoundError,
    RateLimitError,
    ReplicateError,
    ReplicateException,
    ServerError,
)
from replicate.prediction import Prediction


@pytest.mark.parametrize(
    ("name", "status", "kind"),
    [
        ("problem_401_predictions_create", 401, AuthenticationError),
        ("problem_404_trainings_create", 404, NotFoundError),
        ("problem_429_predictions_create", 429, RateLimitError),
    ],
)
def test_problem_json_is_parsed(name: str, status: int, kind: type[ReplicateError]) -> None:
    body = fixture(name)
    response = httpx.Response(
        status, json=body, headers={"content-type": "application/problem+json"}
    )
    error = ReplicateError.from_response(response)
    assert isinstance(error, kind) and isinstance(error, ReplicateException)
    assert (error.status, error.title, error.detail) == (status, body["title"], body["detail"])
    assert error.type == body.get("type") and error.instance == body.get("instance")
    assert error.to_dict() == {key: value for key, value in body.items()}
    assert body["detail"] in str(error)
    assert repr(error).startswith(f"{kind.__name__}(type=")


def test_errors_reach_the_user_typed(client: Client, api: FakeAPI, call: Any) -> None:
    api.json("GET", "/v1/predictions/nope", {"title": "Not found", "status": 404}, status=404)
    with pytest.raises(NotFoundError) as raised:
        call(client.predictions, "get", "nope")
    assert raised.value.status == 404
    assert raised.value.headers is not None


def test_a_body_that_is_not_json_still_explains_itself() -> None:
    error = ReplicateError.from_response(httpx.Response(502, text="<html>Bad gateway</html>"))
    assert isinstance(error, ServerError)
    assert error.detail == "<html>Bad gateway</html>"


def test_generated_unexpected_status_converts() -> None:
    from replicate_api.errors import UnexpectedStatus

    raw = UnexpectedStatus(404, b'{"title": "Not found", "detail": "gone"}', {})
    error = ReplicateError.from_unexpected_status(raw)
    assert isinstance(error, NotFoundError) and error.detail == "gone"


def test_model_error_carries_the_prediction(client: Client) -> None:
    prediction = Prediction(**{"id": "x", "status": "failed", "error": "oops"}).bind(client)
    error = ModelError(prediction)
    assert error.prediction is prediction and str(error) == "oops"
    assert isinstance(error, ReplicateException)


def test_exceptions_module_shows_its_tree() -> None:
    import replicate.exceptions

    doc = replicate.exceptions.__doc__ or ""
    for name in replicate.exceptions.__all__:
        assert name in doc
