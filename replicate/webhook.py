"""Webhooks: the default signing secret, and checking that a delivery came from Replicate."""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from replicate.resource import Namespace, Resource

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_TOLERANCE",
    "InvalidSecretKeyError",
    "InvalidSignatureError",
    "InvalidTimestampError",
    "MissingWebhookBodyError",
    "MissingWebhookHeaderError",
    "WebhookSigningSecret",
    "WebhookValidationError",
    "Webhooks",
]

DEFAULT_TOLERANCE = 300
"""Seconds a delivery's timestamp may be away from now before it is refused (replays)."""


@dataclass(kw_only=True)
class WebhookSigningSecret(Resource):
    """A webhook signing secret, ``whsec_<base64 key>``.

    Example::

        secret = replicate.webhooks.default.secret()
    """

    key: str
    """The secret (never printed by ``repr``)."""

    def __repr__(self) -> str:
        return "WebhookSigningSecret(key='whsec_...')"


class WebhookValidationError(ValueError):
    """A webhook delivery failed validation."""


class MissingWebhookHeaderError(WebhookValidationError):
    """A ``webhook-id``, ``webhook-timestamp`` or ``webhook-signature`` header is missing."""


class InvalidSecretKeyError(WebhookValidationError):
    """The signing secret is not of the form ``whsec_<base64 key>``."""


class MissingWebhookBodyError(WebhookValidationError):
    """The delivery has no body."""


class InvalidTimestampError(WebhookValidationError):
    """The delivery's timestamp is not a number, or is too far from now."""


class InvalidSignatureError(WebhookValidationError):
    """No signature of the delivery matches the secret."""


class Webhooks(Namespace):
    """Webhook operations: ``default.secret()`` and ``Webhooks.validate``.

    Example::

        secret = replicate.webhooks.default.secret()
        replicate.webhooks.validate(headers=request.headers, body=raw_body, secret=secret)
    """

    @property
    def default(self) -> Webhooks.Default:
        """The account's default webhook.

        Example::

            replicate.webhooks.default.secret().key  # 'whsec_...'
        """
        return Webhooks.Default(self._client)

    class Default(Namespace):
        """The default webhook's signing secret."""

        def secret(self) -> WebhookSigningSecret:
            """The signing secret of the webhooks Replicate sends you.

            Example::

                secret = replicate.webhooks.default.secret()
            """
            from replicate_api.api.webhooks import get_default_secret

            response = self._client._request(get_default_secret._get_kwargs())
            return secret_from_json(response.json())

        async def async_secret(self) -> WebhookSigningSecret:
            """The signing secret, asynchronously.

            Example::

                secret = await replicate.webhooks.default.async_secret()
            """
            from replicate_api.api.webhooks import get_default_secret

            response = await self._client._async_request(get_default_secret._get_kwargs())
            return secret_from_json(response.json())

    @staticmethod
    def validate(
        request: httpx.Request | None = None,
        headers: Mapping[str, str] | None = None,
        body: str | bytes | None = None,
        secret: WebhookSigningSecret | str | None = None,
        tolerance: int | None = DEFAULT_TOLERANCE,
    ) -> bool:
        """Check that a webhook delivery was signed with ``secret``; True, or an exception.

        Give the ``request`` (an ``httpx.Request``), or its ``headers`` and raw ``body``. The
        timestamp must be within ``tolerance`` seconds of now (5 minutes by default; ``None``
        skips that check, as replicate 1.x did by default). Signatures are compared in constant
        time.

        Example::

            Webhooks.validate(headers=request.headers, body=await request.body(), secret=secret)
        """
        if not secret:
            raise ValueError("Missing webhook signing secret")
        if request is not None and (headers is not None or body is not None):
            raise ValueError("Only one of request or headers/body can be provided")
        if request is not None:
            headers = request.headers
            body = request.content
        if not headers:
            raise MissingWebhookHeaderError("Missing webhook headers")
        lower = {key.lower(): value for key, value in headers.items()}
        webhook_id = lower.get("webhook-id")
        timestamp = lower.get("webhook-timestamp")
        signatures = lower.get("webhook-signature")
        if not webhook_id:
            raise MissingWebhookHeaderError("Missing webhook id")
        if not timestamp:
            raise MissingWebhookHeaderError("Missing webhook timestamp")
        if not signatures:
            raise MissingWebhookHeaderError("Missing webhook signature")
        if not body:
            raise MissingWebhookBodyError("Missing webhook body")
        _check_timestamp(timestamp, tolerance)

        key = _secret_bytes(secret.key if isinstance(secret, WebhookSigningSecret) else secret)
        payload = body if isinstance(body, bytes) else body.encode("utf-8")
        signed = webhook_id.encode() + b"." + timestamp.encode() + b"." + payload
        expected = hmac.new(key, signed, sha256).digest()
        for entry in signatures.split():
            _, _, encoded = entry.partition(",")
            try:
                candidate = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                continue
            if hmac.compare_digest(candidate, expected):
                return True
        raise InvalidSignatureError("Webhook signature is invalid")


def _check_timestamp(timestamp: str, tolerance: int | None) -> None:
    try:
        sent = int(timestamp)
    except ValueError:
        raise InvalidTimestampError("Webhook timestamp is not a number") from None
    if tolerance is not None and abs(time.time() - sent) > tolerance:
        raise InvalidTimestampError(
            f"Webhook timestamp is outside the allowed tolerance of {tolerance} seconds"
        )


def _secret_bytes(key: str) -> bytes:
    prefix, _, encoded = key.partition("_")
    if prefix != "whsec" or not encoded:
        # never put the secret itself in the message
        raise InvalidSecretKeyError("Invalid secret key format: expected 'whsec_<base64 key>'")
    try:
        return base64.b64decode(encoded)
    except (binascii.Error, ValueError):
        raise InvalidSecretKeyError("Invalid secret key: its key part is not base64") from None


def secret_from_json(data: dict[str, Any]) -> WebhookSigningSecret:
    """A WebhookSigningSecret from the API's JSON."""
    return WebhookSigningSecret(key=data.get("key") or "")
