"""Model references: checked strictly, in one place, and a bad one fails before any request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from facade_tools import BASE, TOKEN, FakeAPI, fixture
from hypothesis import given
from hypothesis import strategies as st

from replicate.client import Client
from replicate.identifier import ModelVersionIdentifier, Reference

VERSION = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"

# owner and model names, and opaque version ids, as Replicate gives them
parts = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,29}", fullmatch=True)
hex_versions = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
versions = hex_versions | st.from_regex(r"[a-z]{2}-[a-z0-9]{10,40}", fullmatch=True)

# what can never be part of a reference: a dot segment, whitespace, a control character
POISONS = ["/..", "/.", " ", "\t", "\n", "\r", "\x00", "\x1b", "\x7f", "\x85", "\u00a0", "\u2028"]


def recording_client() -> tuple[Client, FakeAPI]:
    api = FakeAPI()
    return Client(TOKEN, base_url=BASE, transport=httpx.MockTransport(api)), api


@given(owner=parts, name=parts, version=versions)
def test_a_valid_reference_reads_back_as_its_text(owner: str, name: str, version: str) -> None:
    for text in (f"{owner}/{name}", f"{owner}/{name}:{version}"):
        reference = Reference.parse(text)
        assert str(reference) == text
        assert (reference.owner, reference.name) == (owner, name)
        assert ModelVersionIdentifier.parse(text)[:2] == (owner, name)


@pytest.mark.parametrize(
    "text",
    [
        "black-forest-labs/flux-schnell",
        "black-forest-labs/flux-1.1-pro",
        "meta/meta-llama-3-8b-instruct",
        "nateraw/GFPGAN",
        "lucataco/sdxl_lightning-4step",
        f"replicate/hello-world:{VERSION}",
        "meta/meta-llama-3-8b-instruct:dp-4d9c1a2b3e5f6a7b8c9d0e1f2a3b4c5d",
        VERSION,
    ],
)
def test_real_references_are_accepted(text: str) -> None:
    assert str(Reference.parse(text)) == text


@given(
    prefix=st.text(max_size=12),
    poison=st.sampled_from(POISONS),
    suffix=st.text(max_size=12),
)
def test_dot_segments_whitespace_and_control_characters_fail_before_any_request(
    prefix: str, poison: str, suffix: str
) -> None:
    text = prefix + poison + suffix
    client, api = recording_client()
    with pytest.raises(ValueError) as raised:
        client.run(text, input={"text": "x"})
    assert repr(text) in str(raised.value)  # the message names the reference as given
    assert api.requests == []


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("../x", "its owner '..'"),
        ("../..", "its owner '..'"),
        ("./x", "its owner '.'"),
        ("acme/..", "its name '..'"),
        ("acme/x:..", "its version '..'"),
        ("owner/name:version\n", "'\\n'"),
        ("acme/x/..", "its name 'x/..'"),
    ],
)
def test_the_issue_cases_name_what_is_wrong(text: str, named: str) -> None:
    client, api = recording_client()
    for call in (
        lambda: client.run(text, input={}),
        lambda: asyncio.run(client.async_run(text, input={})),
        lambda: list(client.stream(text, input={})),
    ):
        with pytest.raises(ValueError, match="Invalid reference") as raised:
            call()
        assert named in str(raised.value)
    assert api.requests == []


def _every_entry_point(client: Client) -> list[Callable[[], Any]]:
    return [
        lambda: client.models.get("../x"),
        lambda: client.models.get("..", "predictions"),
        lambda: client.models.delete("acme", ".."),
        lambda: client.deployments.get("acme/.."),
        lambda: client.predictions.create(model="../x", input={}),
        lambda: client.predictions.create(version="../x", input={}),
        lambda: client.predictions.create(deployment="acme/..", input={}),
        lambda: client.deployments.predictions.create("../x", input={}),
        lambda: client.models.predictions.create("acme/..", input={}),
        lambda: client.trainings.create(
            model="acme/trainer", version="..", input={}, destination="acme/out"
        ),
        lambda: client.trainings.create("acme/trainer:..", {}, "acme/out"),
    ]


def test_every_call_taking_a_reference_checks_it_before_any_request() -> None:
    client, api = recording_client()
    for call in _every_entry_point(client):
        with pytest.raises(ValueError, match=r"'\.\.'|\.\./x"):
            call()
    assert api.requests == []


def test_a_version_given_as_owner_name_is_sent_as_it_is(api: FakeAPI, client: Client) -> None:
    prediction = fixture("prediction_source_cli")
    api.json("POST", "/v1/predictions", prediction, status=201)
    client.predictions.create(version="replicate/hello-world", input={"text": "x"})
    client.predictions.create(version="dp-4d9c1a2b3e5f", input={"text": "x"})
    assert [api.body(index)["version"] for index in (0, 1)] == [
        "replicate/hello-world",
        "dp-4d9c1a2b3e5f",
    ]
