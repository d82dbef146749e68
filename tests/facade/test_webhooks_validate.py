"""Webhook validation: every call form, and every way a delivery can be wrong."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import pytest

import replicate
from replicate.exceptions import ReplicateException
from replicate.webhook import (
    DEFAULT_TOLERANCE,
    InvalidSecretKeyError,
    InvalidSignatureError,
    InvalidTimestampError,
    MissingWebhookBodyError,
    MissingWebhookHeaderError,
    Webhooks,
    WebhookSigningSecret,
    WebhookValidationError,
    validate,
)

KEY = bytes(range(24))
SECRET = "whsec_" + base64.b64encode(KEY).decode()
BODY = json.dumps({"id": "gm3qorzdhgbfurvjtvhg6dckhu", "status": "succeeded", "output": "hé"})


def sign(
    body: str | bytes = BODY,
    *,
    key: bytes = KEY,
    message_id: str = "msg_2dVqYxJ1nH",
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers Replicate sends with ``body``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(key, f"{message_id}.{stamp}.".encode() + raw, hashlib.sha256).digest()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def as_request(headers: dict[str, str], body: str | bytes = BODY) -> httpx.Request:
    content = body.encode() if isinstance(body, str) else body
    return httpx.Request("POST", "https://example.com/hooks", headers=headers, content=content)


# -- accepted -------------------------------------------------------------------------------


def test_every_call_form_of_1x_is_accepted() -> None:
    headers = sign()
    secret_object = WebhookSigningSecret(key=SECRET)
    for secret in (secret_object, SECRET):
        assert validate(headers=headers, body=BODY, secret=secret) is True
        assert validate(headers=headers, body=BODY.encode(), secret=secret)
        assert validate(request=as_request(headers), secret=secret)
        assert validate(as_request(headers), secret)  # validate(request, secret)
        assert validate(headers, BODY, secret)  # validate(headers, body, secret)
        assert validate(None, headers, BODY, secret)  # type: ignore[call-overload]  # 1.x's parameter order
        assert Webhooks.validate(headers=headers, body=BODY, secret=secret)
    assert replicate.webhooks.validate(headers=headers, body=BODY, secret=SECRET)


def test_headers_are_case_insensitive_and_may_be_httpx_headers() -> None:
    headers = {key.title(): value for key, value in sign().items()}
    assert validate(headers=headers, body=BODY, secret=SECRET)
    assert validate(headers=httpx.Headers(sign()), body=BODY, secret=SECRET)


def test_any_of_several_signatures_may_match() -> None:
    headers = sign()
    valid = headers["webhook-signature"]
    other = sign(key=b"an older key")["webhook-signature"]
    for signature in (
        f"{other} {valid}",
        f"{valid} {other}",
        f"v1a,c2lnbmVk {valid}",  # another scheme's entry is ignored
        f"v1,!!notbase64!! {valid}",
        f"{other}, {valid}",  # the header sent twice, joined by a proxy
    ):
        assert validate(
            headers={**headers, "webhook-signature": signature}, body=BODY, secret=SECRET
        )


def test_the_signature_covers_the_raw_bytes() -> None:
    body = b'{"logs": "\xff\xfe not UTF-8"}'
    assert validate(headers=sign(body), body=body, secret=SECRET)
    assert validate(request=as_request(sign(body), body), secret=SECRET)


def test_a_secret_without_base64_padding_still_works() -> None:
    key = b"0123456789abcdef0"  # 17 bytes: its base64 ends with '='
    unpadded = "whsec_" + base64.b64encode(key).decode().rstrip("=")
    assert validate(headers=sign(key=key), body=BODY, secret=unpadded)


def test_validate_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr("replicate.webhook.hmac.compare_digest", spy)
    other = sign(key=b"other")["webhook-signature"]
    headers = sign()
    headers["webhook-signature"] = f"{headers['webhook-signature']} {other}"
    assert validate(headers=headers, body=BODY, secret=SECRET)
    assert len(compared) == 2  # every entry, even after a match


# -- refused --------------------------------------------------------------------------------


def test_a_tampered_delivery_is_refused() -> None:
    headers = sign()
    with pytest.raises(InvalidSignatureError):
        validate(headers=headers, body=BODY.replace("succeeded", "failed"), secret=SECRET)
    with pytest.raises(InvalidSignatureError):
        validate(headers={**headers, "webhook-id": "msg_other"}, body=BODY, secret=SECRET)
    later = str(int(headers["webhook-timestamp"]) + 1)
    with pytest.raises(InvalidSignatureError):
        validate(headers={**headers, "webhook-timestamp": later}, body=BODY, secret=SECRET)


def test_a_wrong_secret_is_refused() -> None:
    wrong = "whsec_" + base64.b64encode(b"another key entirely").decode()
    with pytest.raises(InvalidSignatureError, match="invalid"):
        validate(headers=sign(), body=BODY, secret=wrong)


def test_replays_are_refused_by_default_unlike_1x() -> None:
    now = int(time.time())
    for stamp in (now - DEFAULT_TOLERANCE - 5, now + DEFAULT_TOLERANCE + 5):
        with pytest.raises(InvalidTimestampError, match="tolerance"):
            validate(headers=sign(timestamp=stamp), body=BODY, secret=SECRET)
    old = sign(timestamp=now - 3600)
    assert validate(headers=old, body=BODY, secret=SECRET, tolerance=7200)
    assert validate(headers=old, body=BODY, secret=SECRET, tolerance=None)  # 1.x's default
    assert validate(headers=sign(timestamp=now - 200), body=BODY, secret=SECRET)
    with pytest.raises(ValueError, match="tolerance"):
        validate(headers=sign(), body=BODY, secret=SECRET, tolerance=-1)


ARABIC_INDIC_DIGITS = "\u0661\u0667\u0660\u0660"  # int() takes these; a header must not


@pytest.mark.parametrize(
    "stamp", ["soon", "+1700000000", "1_700_000_000", ARABIC_INDIC_DIGITS, "17e8", "-1"]
)
def test_a_timestamp_that_is_not_unix_seconds_is_refused(stamp: str) -> None:
    headers = {**sign(), "webhook-timestamp": stamp}
    with pytest.raises(InvalidTimestampError, match="not a Unix timestamp"):
        validate(headers=headers, body=BODY, secret=SECRET, tolerance=None)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_missing_header_is_named(missing: str) -> None:
    headers = {key: value for key, value in sign().items() if key != missing}
    with pytest.raises(MissingWebhookHeaderError, match=missing):
        validate(headers=headers, body=BODY, secret=SECRET)
    with pytest.raises(MissingWebhookHeaderError):
        validate(headers={**headers, missing: "  "}, body=BODY, secret=SECRET)
    with pytest.raises(MissingWebhookHeaderError):
        validate(request=as_request(headers), secret=SECRET)


def test_no_headers_or_no_body_is_refused() -> None:
    with pytest.raises(MissingWebhookHeaderError):
        validate(headers={}, body=BODY, secret=SECRET)
    with pytest.raises(MissingWebhookBodyError):
        validate(headers=sign(""), body="", secret=SECRET)
    with pytest.raises(MissingWebhookBodyError):
        validate(request=as_request(sign(""), b""), secret=SECRET)


@pytest.mark.parametrize(
    "signature", ["", "v1", "v1,", "bm90LWl0", "v2,bm90LWl0", "v1,***", "v1;bm90LWl0"]
)
def test_a_malformed_signature_header_is_refused(signature: str) -> None:
    headers = {**sign(), "webhook-signature": signature}
    expected = MissingWebhookHeaderError if not signature else InvalidSignatureError
    with pytest.raises(expected):
        validate(headers=headers, body=BODY, secret=SECRET)


@pytest.mark.parametrize(
    "secret",
    [None, "", "whsec_", "whsec_***", "whsec_a", SECRET.removeprefix("whsec_"), "r8_apitoken"],
)
def test_a_missing_or_malformed_secret_is_refused_without_being_printed(secret: Any) -> None:
    with pytest.raises(InvalidSecretKeyError) as raised:
        validate(headers=sign(), body=BODY, secret=secret)
    if secret and len(secret) > 10:  # long enough not to occur in the message by chance
        assert secret.removeprefix("whsec_") not in str(raised.value)
    with pytest.raises(InvalidSecretKeyError):
        validate(headers=sign(), body=BODY, secret=WebhookSigningSecret(key=secret or ""))


def test_a_parsed_body_is_a_usage_error() -> None:
    with pytest.raises(TypeError, match="raw request body"):
        validate(headers=sign(), body=json.loads(BODY), secret=SECRET)
    with pytest.raises(ValueError, match="Only one of request"):
        validate(request=as_request(sign()), headers=sign(), secret=SECRET)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="unexpected keyword"):
        validate(headers=sign(), body=BODY, secret=SECRET, tolerence=10)  # type: ignore[call-overload]


def test_every_error_is_a_webhook_validation_error() -> None:
    for error in (
        MissingWebhookHeaderError,
        MissingWebhookBodyError,
        InvalidSecretKeyError,
        InvalidTimestampError,
        InvalidSignatureError,
    ):
        assert issubclass(error, WebhookValidationError)
    assert issubclass(WebhookValidationError, ReplicateException)
    assert issubclass(WebhookValidationError, ValueError)  # what 1.x code may catch


def test_the_secret_is_not_in_its_repr() -> None:
    assert SECRET.removeprefix("whsec_") not in repr(WebhookSigningSecret(key=SECRET))
