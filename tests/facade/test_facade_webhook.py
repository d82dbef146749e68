"""Webhook signature validation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from replicate.webhook import (
    InvalidSecretKeyError,
    InvalidSignatureError,
    InvalidTimestampError,
    MissingWebhookHeaderError,
    Webhooks,
    WebhookSigningSecret,
    WebhookValidationError,
)

KEY = b"webhook-signing-key"
SECRET = WebhookSigningSecret(key="whsec_" + base64.b64encode(KEY).decode())
BODY = '{"id": "gm3qorzdhgbfurvjtvhg6dckhu", "status": "succeeded"}'


def signed_headers(timestamp: int | None = None, body: str = BODY) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(KEY, f"msg_1.{stamp}.{body}".encode(), hashlib.sha256).digest()
    return {
        "Webhook-Id": "msg_1",
        "Webhook-Timestamp": stamp,
        "Webhook-Signature": "v1,bm90LWl0 v1," + base64.b64encode(digest).decode(),
    }


def test_a_valid_delivery_passes() -> None:
    assert Webhooks.validate(headers=signed_headers(), body=BODY, secret=SECRET) is True
    request = httpx.Request(
        "POST", "https://example.com/hook", headers=signed_headers(), content=BODY.encode()
    )
    assert Webhooks.validate(request=request, secret=SECRET) is True
    assert Webhooks.validate(headers=signed_headers(), body=BODY, secret=SECRET.key)


def test_tampering_and_replays_are_refused() -> None:
    with pytest.raises(InvalidSignatureError):
        Webhooks.validate(headers=signed_headers(), body=BODY + " ", secret=SECRET)
    old = signed_headers(timestamp=int(time.time()) - 3600)
    with pytest.raises(InvalidTimestampError):
        Webhooks.validate(headers=old, body=BODY, secret=SECRET)
    assert Webhooks.validate(headers=old, body=BODY, secret=SECRET, tolerance=None)
    with pytest.raises(MissingWebhookHeaderError):
        Webhooks.validate(headers={"webhook-id": "x"}, body=BODY, secret=SECRET)


def test_a_malformed_secret_is_refused_without_being_printed() -> None:
    with pytest.raises(InvalidSecretKeyError) as raised:
        Webhooks.validate(headers=signed_headers(), body=BODY, secret="notasecret-abc")
    assert "notasecret" not in str(raised.value)


@dataclass(frozen=True)
class SecretFrom1x:
    """What replicate 1.x code passes: its own WebhookSigningSecret, an object with a key."""

    key: str


def test_any_secret_object_with_a_key_is_read_as_1x_reads_it() -> None:
    secret = SecretFrom1x(key=SECRET.key)
    assert Webhooks.validate(headers=signed_headers(), body=BODY, secret=secret) is True
    assert Webhooks.validate(signed_headers(), BODY, secret)  # 1.x's positional form
    with pytest.raises(InvalidSignatureError):
        Webhooks.validate(
            headers=signed_headers(), body=BODY, secret=SecretFrom1x("whsec_b3RoZXI=")
        )
    with pytest.raises(InvalidSecretKeyError, match="object whose `key`"):
        Webhooks.validate(headers=signed_headers(), body=BODY, secret=object())


@given(
    text=st.text(max_size=20), surrogate=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
)
def test_a_text_body_holding_a_lone_surrogate_is_a_validation_error(
    text: str, surrogate: str
) -> None:
    body = BODY[:-1] + text + surrogate + "}"
    with pytest.raises(WebhookValidationError, match="lone surrogate"):
        Webhooks.validate(headers=signed_headers(), body=body, secret=SECRET)
    headers = {**signed_headers(), "Webhook-Id": "msg_" + surrogate}
    with pytest.raises(WebhookValidationError, match="lone surrogate"):
        Webhooks.validate(headers=headers, body=BODY, secret=SECRET)
