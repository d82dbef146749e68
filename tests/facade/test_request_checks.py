"""What no request may carry, whatever the caller passes: a path segment that leads to another
endpoint (empty, ``.``, ``..``, a control character), or text JSON cannot carry (a lone
surrogate). Both fail with a ValueError naming the culprit, before anything is sent."""

from __future__ import annotations

import asyncio
import io
from urllib.parse import unquote

import httpx
import pytest
from facade_tools import BASE, TOKEN, FakeAPI, fixture
from hypothesis import example, given
from hypothesis import strategies as st
from replicate_api import AuthenticatedClient
from replicate_api.api.models import get as models_get
from replicate_api.api.predictions import get as predictions_get

from replicate.client import Client
from replicate.helpers import encode_json

PREDICTION = fixture("prediction_source_cli")
SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


def answering_client() -> tuple[Client, list[httpx.Request]]:
    """A client whose every request is answered with a prediction, and the requests sent."""
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=PREDICTION)

    return Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(answer)), sent


def path_segments(request: httpx.Request) -> list[str]:
    return [unquote(part) for part in request.url.raw_path.decode().split("?")[0].split("/")]


# -- path segments ----------------------------------------------------------------------------


@given(prediction_id=st.text(max_size=10))
@example("..")
@example(".")
@example("")  # GET /predictions/ is read as the list, on many servers
@example("../../account")
@example("a\r\nb")
def test_any_id_reaches_its_own_endpoint_or_fails_before_sending(prediction_id: str) -> None:
    client, sent = answering_client()
    for call in (
        lambda: client.predictions.get(prediction_id),
        lambda: predictions_get.sync(prediction_id, client=client.api),
    ):
        try:
            call()
        except ValueError as error:
            assert repr(prediction_id) in str(error)
            assert sent == []
            continue
        assert path_segments(sent.pop()) == ["", "v1", "predictions", prediction_id]
        assert prediction_id  # an empty id would have asked for the list of predictions


@given(owner=st.sampled_from(["..", ".", "", "a\nb", "a/../..", "\x7f"]), name=st.text())
def test_a_model_owner_cannot_lead_to_another_endpoint(owner: str, name: str) -> None:
    client, sent = answering_client()
    with pytest.raises(ValueError, match="cannot be a segment of a request's path"):
        models_get.sync(owner, name or "x", client=client.api)
    assert sent == []


@pytest.mark.parametrize(
    "path",
    [
        "/v1/models/../predictions",
        "/v1/models/%2e%2e/predictions",
        "/v1/predictions/./x",
        "/v1/predictions/",
        "/v1/predictions/a%0Ab",
    ],
)
def test_1x_style_raw_paths_are_checked_too(path: str) -> None:
    client, sent = answering_client()
    with pytest.raises(ValueError, match="cannot be a segment"):
        client._request("GET", path)
    with pytest.raises(ValueError, match="cannot be a segment"):
        asyncio.run(client._async_request("GET", path))
    assert sent == []


def test_the_generated_client_alone_checks_its_paths() -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
    alone = AuthenticatedClient(BASE, "r8_token", httpx_args={"transport": transport})
    with pytest.raises(ValueError, match="'\\.\\.' cannot be a segment"):
        predictions_get.sync_detailed("..", client=alone)
    assert sent == []


def test_ordinary_ids_and_urls_pass(api: FakeAPI, client: Client) -> None:
    api.json("GET", f"/v1/predictions/{PREDICTION['id']}", PREDICTION)
    assert client.predictions.get(PREDICTION["id"]).id == PREDICTION["id"]
    client._request("GET", f"/v1/predictions/{PREDICTION['id']}?a=/../")  # a query is no path
    assert len(api.requests) == 2


# -- lone surrogates --------------------------------------------------------------------------


@given(text=st.text(max_size=10), surrogate=SURROGATES, at=st.integers(0, 10))
def test_input_with_a_lone_surrogate_fails_naming_its_key(
    text: str, surrogate: str, at: int
) -> None:
    client, sent = answering_client()
    poisoned = text[:at] + surrogate + text[at:]
    file = io.BytesIO(b"\x89PNG")  # it would be uploaded first, if the check came later
    with pytest.raises(ValueError, match=r"^input\['text'\] holds a lone surrogate"):
        client.run("replicate/hello-world", input={"image": file, "text": poisoned})
    with pytest.raises(ValueError, match=r"^input\['text'\] holds a lone surrogate"):
        asyncio.run(client.async_run("replicate/hello-world", input={"text": poisoned}))
    assert sent == []


def test_nested_values_and_keys_are_named() -> None:
    client, sent = answering_client()
    cases = {
        "input['prompts'][1]['text']": {"prompts": ["ok", {"text": "\udc80"}]},
        "the key '\\udc80' of input['options']": {"options": {"\udc80": 1}},
    }
    for where, payload in cases.items():
        with pytest.raises(ValueError) as raised:
            client.predictions.create(model="replicate/hello-world", input=payload)
        assert str(raised.value).startswith(f"{where} holds a lone surrogate")
        with pytest.raises(ValueError):
            encode_json(payload, client)
    assert sent == []


def test_other_bodies_and_queries_name_the_field() -> None:
    client, sent = answering_client()
    with pytest.raises(ValueError, match=r"^description holds a lone surrogate"):
        client.models.create("acme", "x", visibility="public", hardware="cpu", description="\ud800")
    with pytest.raises(ValueError, match=r"^metadata\['ref'\] holds a lone surrogate"):
        client.files.create(io.BytesIO(b"data"), metadata={"ref": "\ud800"})
    with pytest.raises(ValueError, match=r"^the query parameter 'query' holds a lone surrogate"):
        client.search("fox\ud800")
    assert sent == []


def test_a_file_name_the_file_system_could_not_decode_is_sent_replaced(
    api: FakeAPI, client: Client
) -> None:
    file = fixture("file_undocumented_fields")
    api.json("POST", "/v1/files", file, status=201)
    client.files.create(io.BytesIO(b"data"), filename="photo-\udcff.png")  # surrogateescape
    assert b'filename="photo-?.png"' in api.last.content
