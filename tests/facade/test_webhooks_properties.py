"""Property tests of webhook validation: what is signed validates, anything changed does not,
and no input makes it fail with anything but a WebhookValidationError."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import time

import pytest

hypothesis = pytest.importorskip("hypothesis")  # a dev dependency
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from replicate.webhook import (  # noqa: E402
    InvalidSignatureError,
    WebhookValidationError,
    validate,
)

keys = st.binary(min_size=1, max_size=64)
# what a header value can be once an HTTP server has read it: no surrounding space, no breaks
header_text = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40
)
bodies = st.binary(min_size=1, max_size=512)
offsets = st.integers(min_value=-299, max_value=299)


def secret_for(key: bytes) -> str:
    return "whsec_" + base64.b64encode(key).decode()


def signature(key: bytes, message_id: str, timestamp: str, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers_for(key: bytes, message_id: str, timestamp: str, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature(key, message_id, timestamp, body),
    }


@settings(max_examples=200)
@given(key=keys, message_id=header_text, body=bodies, offset=offsets)
def test_what_is_signed_validates(key: bytes, message_id: str, body: bytes, offset: int) -> None:
    timestamp = str(int(time.time()) + offset)
    headers = headers_for(key, message_id, timestamp, body)
    assert validate(headers=headers, body=body, secret=secret_for(key))


@settings(max_examples=200)
@given(key=keys, message_id=header_text, body=bodies, data=st.data())
def test_any_change_to_the_body_is_caught(
    key: bytes, message_id: str, body: bytes, data: st.DataObject
) -> None:
    timestamp = str(int(time.time()))
    headers = headers_for(key, message_id, timestamp, body)
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    flip = data.draw(st.integers(min_value=1, max_value=255))
    tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    extra = data.draw(st.binary(max_size=4))
    for changed in (tampered, body + extra if extra else tampered):
        with pytest.raises(InvalidSignatureError):
            validate(headers=headers, body=changed, secret=secret_for(key))


@given(key=keys, other=keys, body=bodies)
def test_another_key_is_caught(key: bytes, other: bytes, body: bytes) -> None:
    assume(key != other)
    headers = headers_for(key, "msg_1", str(int(time.time())), body)
    with pytest.raises(InvalidSignatureError):
        validate(headers=headers, body=body, secret=secret_for(other))


@given(
    key=keys,
    body=bodies,
    noise=st.lists(header_text, max_size=5),
    position=st.integers(min_value=0, max_value=5),
)
def test_a_valid_signature_is_found_among_any_others(
    key: bytes, body: bytes, noise: list[str], position: int
) -> None:
    headers = headers_for(key, "msg_1", str(int(time.time())), body)
    entries = [entry.replace(",", "") for entry in noise]  # never a v1 entry by chance
    entries.insert(min(position, len(entries)), headers["webhook-signature"])
    headers["webhook-signature"] = " ".join(entries)
    assert validate(headers=headers, body=body, secret=secret_for(key))


@settings(max_examples=300)
@given(
    headers=st.dictionaries(
        st.sampled_from(["webhook-id", "Webhook-Timestamp", "webhook-signature", "x-other"]),
        st.text(max_size=60),
    ),
    body=st.one_of(st.text(max_size=100), st.binary(max_size=100)),
    secret=st.one_of(st.just(secret_for(b"key")), st.text(max_size=30)),
    tolerance=st.one_of(st.none(), st.integers(min_value=0, max_value=10**6)),
)
def test_no_input_fails_with_anything_but_a_validation_error(
    headers: dict[str, str], body: str | bytes, secret: str, tolerance: int | None
) -> None:
    with contextlib.suppress(WebhookValidationError):  # any other exception fails the test
        validate(headers=headers, body=body, secret=secret, tolerance=tolerance)
