"""Webhook signature validation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import httpx
import pytest

from replicate.webhook import (
    InvalidSecretKeyError,
    InvalidSignatureError,
    InvalidTimestampError,
    MissingWebhookHeaderError,
    Webhooks,
    WebhookSigningSecret,
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
