"""Webhooks: the default signing secret, and checking that a delivery came from Replicate.

A delivery carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature`` (space-separated ``v1,<base64>`` entries). The secret is
``whsec_<base64 key>``; a valid signature is base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))
over the raw body. ``validate`` checks it in constant time and refuses deliveries whose
timestamp is more than 5 minutes from now (replays), unless given another ``tolerance``.

    WebhookValidationError            (a ReplicateException and a ValueError)
     ├── MissingWebhookHeaderError     a webhook-* header is missing
     ├── MissingWebhookBodyError       the body is empty
     ├── InvalidSecretKeyError         the secret is missing or not whsec_<base64>
     ├── InvalidTimestampError         not a Unix timestamp, or too far from now
     └── InvalidSignatureError         malformed, or no signature matches
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from collections.abc import Mapping
from hashlib import sha256
from typing import TYPE_CHECKING, Any, Protocol, overload

from replicate._generated import webhooks_get_default_secret
from replicate.exceptions import ReplicateException
from replicate.resource import Namespace, Resource, defaults

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_TOLERANCE",
    "InvalidSecretKeyError",
    "InvalidSignatureError",
    "InvalidTimestampError",
    "MissingWebhookBodyError",
    "MissingWebhookHeaderError",
    "SigningSecret",
    "WebhookSigningSecret",
    "WebhookValidationError",
    "Webhooks",
    "validate",
]

DEFAULT_TOLERANCE = 300
"""Seconds a delivery's timestamp may be away from now before it is refused (replays)."""

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"


class SigningSecret(Protocol):
    """What ``validate`` takes as ``secret`` besides a string: an object with a ``key``
    (this package's ``WebhookSigningSecret``, or replicate 1.x's)."""

    @property
    def key(self) -> str: ...


class WebhookSigningSecret(Resource):
    """A webhook signing secret, ``whsec_<base64 key>``.

    Example::

        secret = replicate.webhooks.default.secret()
        same = WebhookSigningSecret(key="whsec_...")
    """

    _generated = ("WebhookSecret",)
    _defaults = defaults(key=str)

    key: str
    """The secret (never printed by ``repr``)."""

    def __repr__(self) -> str:
        return "WebhookSigningSecret(key='whsec_...')"


class WebhookValidationError(ReplicateException, ValueError):
    """A webhook delivery failed validation (a ``ValueError`` too, as in replicate 1.x).

    Example::

        try:
            replicate.webhooks.validate(headers=headers, body=body, secret=secret)
        except WebhookValidationError:
            return Response(status_code=400)
    """


class MissingWebhookHeaderError(WebhookValidationError):
    """A ``webhook-id``, ``webhook-timestamp`` or ``webhook-signature`` header is missing."""


class InvalidSecretKeyError(WebhookValidationError):
    """The signing secret is missing, or not of the form ``whsec_<base64 key>``."""


class MissingWebhookBodyError(WebhookValidationError):
    """The delivery has no body."""


class InvalidTimestampError(WebhookValidationError):
    """The delivery's timestamp is not a Unix timestamp, or is too far from now."""


class InvalidSignatureError(WebhookValidationError):
    """The signature header is malformed, or none of its signatures matches the secret."""


def _validate(*args: Any, **kwargs: Any) -> bool:
    """``Webhooks.validate``; see there."""
    options = _bind(args, kwargs)
    request, headers, body = options.get("request"), options.get("headers"), options.get("body")
    secret = options.get("secret")
    tolerance: float | None = options.get("tolerance", DEFAULT_TOLERANCE)
    key = secret_key(secret)  # first: a missing secret is a set-up error, whatever was received
    if request is not None:
        if headers is not None or body is not None:
            raise ValueError("Only one of request or headers/body can be provided")
        headers, body = request.headers, _request_body(request)
    if tolerance is not None and tolerance < 0:
        raise ValueError("tolerance must be a number of seconds, 0 or more (or None)")
    if not headers:
        raise MissingWebhookHeaderError("Missing webhook headers")
    lower = {_text(key).lower(): _text(value) for key, value in headers.items()}
    webhook_id = lower.get("webhook-id", "").strip()
    timestamp = lower.get("webhook-timestamp", "").strip()
    signatures = lower.get("webhook-signature", "").strip()
    if not webhook_id:
        raise MissingWebhookHeaderError("Missing webhook id (the webhook-id header)")
    if not timestamp:
        raise MissingWebhookHeaderError("Missing webhook timestamp (the webhook-timestamp header)")
    if not signatures:
        raise MissingWebhookHeaderError("Missing webhook signature (the webhook-signature header)")
    payload = _body_bytes(body)
    if not payload:
        raise MissingWebhookBodyError("Missing webhook body")
    _check_timestamp(timestamp, tolerance)

    try:
        signed = f"{webhook_id}.{timestamp}.".encode() + payload
    except UnicodeEncodeError:  # a header given as text that was never received as such
        raise InvalidSignatureError(
            "Webhook id holds a lone surrogate, so it is not the header that was signed"
        ) from None
    expected = hmac.new(key, signed, sha256).digest()
    candidates = parse_signatures(signatures)
    if not candidates:
        raise InvalidSignatureError(
            "Webhook signature header is malformed: expected space-separated 'v1,<base64>' entries"
        )
    # Every candidate is compared (no early exit), each in constant time.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(candidate, expected)
    if not matched:
        raise InvalidSignatureError("Webhook signature is invalid")
    return True


def parse_signatures(header: str) -> list[bytes]:
    """The ``v1`` signatures in a ``webhook-signature`` header, decoded; others are skipped.

    Entries are space-separated; a header repeated and joined with ", " is read too.

    >>> len(parse_signatures("v1,bm90 v2,aWdub3JlZA== v1,!!"))
    1
    """
    found = []
    for entry in header.split():
        version, _, encoded = entry.rstrip(",").partition(",")
        if version != SIGNATURE_VERSION or not encoded:
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found


def secret_key(secret: SigningSecret | str | None) -> bytes:
    """The HMAC key of a ``whsec_<base64 key>`` secret, given as a string or as any object
    with a ``key`` attribute holding one; InvalidSecretKeyError if malformed.

    >>> secret_key("whsec_a2V5")
    b'key'
    """
    # any object with a `key`, as replicate 1.x reads it (1.x's own WebhookSigningSecret too)
    text = secret if secret is None or isinstance(secret, str) else getattr(secret, "key", secret)
    if not text:
        raise InvalidSecretKeyError("Missing webhook signing secret")
    if not isinstance(text, str):
        raise InvalidSecretKeyError(
            "The webhook signing secret must be a string, or an object whose `key` is one "
            f"(a WebhookSigningSecret), not {type(text).__name__}"
        )
    # Messages never include the secret, not even a part of it.
    if not text.startswith(SECRET_PREFIX):
        raise InvalidSecretKeyError("Invalid secret key format: expected 'whsec_<base64 key>'")
    encoded = text[len(SECRET_PREFIX) :].strip()
    encoded += "=" * (-len(encoded) % 4)  # some tools drop base64's padding
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise InvalidSecretKeyError("Invalid secret key: its part after 'whsec_' is not base64")
    return key


_PARAMETERS = ("request", "headers", "body", "secret", "tolerance")


def _bind(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments by name, from any call form replicate 1.x documents.

    Its overloads read ``validate(request, secret)`` and ``validate(headers, body, secret)``
    while its parameters were ``(request, headers, body, secret, tolerance)``: the first
    positional argument tells which form is meant; keywords work as always.
    """
    unknown = set(kwargs) - set(_PARAMETERS)
    if unknown:
        raise TypeError(f"validate() got unexpected keyword argument(s): {', '.join(unknown)}")
    if not args:
        return kwargs
    if isinstance(args[0], Mapping):
        order: tuple[str, ...] = ("headers", "body", "secret", "tolerance")
    elif args[0] is None:
        order = _PARAMETERS
    else:
        order = ("request", "secret", "tolerance")
    if len(args) > len(order):
        raise TypeError(f"validate() takes at most {len(order)} positional arguments here")
    bound = dict(kwargs)
    for name, value in zip(order, args, strict=False):
        if name in bound:
            raise TypeError(f"validate() got multiple values for argument {name!r}")
        bound[name] = value
    return bound


def _request_body(request: Any) -> Any:
    import httpx

    try:
        return request.content
    except httpx.RequestNotRead:  # a request with a streamed body: read it now
        return request.read()


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        try:
            return body.encode("utf-8")
        except UnicodeEncodeError:
            # not text Replicate sent (it signs UTF-8 JSON), so no signature can match it
            raise InvalidSignatureError(
                "Webhook body holds a lone surrogate, so it is not the text that was signed: "
                "pass the raw bytes received"
            ) from None
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    raise TypeError(
        f"body must be the raw request body (str or bytes), not {type(body).__name__}: "
        "the signature covers the exact bytes received, so parsed JSON cannot be checked"
    )


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _check_timestamp(timestamp: str, tolerance: float | None) -> None:
    # ASCII digits only: int() would also take "+1", "1_000" or other scripts' digits (and
    # refuses thousands of digits with a ValueError of its own)
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 20):
        raise InvalidTimestampError("Webhook timestamp is not a Unix timestamp in seconds")
    if tolerance is not None and abs(time.time() - int(timestamp)) > tolerance:
        raise InvalidTimestampError(
            f"Webhook timestamp is outside the allowed tolerance of {tolerance} seconds "
            "(a replayed or delayed delivery, or a clock out of sync)"
        )


class Webhooks(Namespace):
    """Webhook operations: ``default.secret()`` and ``validate``.

    Example::

        secret = replicate.webhooks.default.secret()
        replicate.webhooks.validate(headers=request.headers, body=raw_body, secret=secret)
    """

    @overload
    @staticmethod
    def validate(
        request: httpx.Request,
        secret: SigningSecret | str,
        tolerance: float | None = DEFAULT_TOLERANCE,
    ) -> bool: ...

    @overload
    @staticmethod
    def validate(
        headers: Mapping[str, str],
        body: str | bytes,
        secret: SigningSecret | str,
        tolerance: float | None = DEFAULT_TOLERANCE,
    ) -> bool: ...

    @staticmethod
    def validate(*args: Any, **kwargs: Any) -> bool:
        """Check that a webhook delivery was signed with ``secret``: True, or an exception.

        Give the ``request`` (an ``httpx.Request``), or its ``headers`` and raw ``body`` (the
        bytes received, before any JSON parsing). ``secret`` is a ``WebhookSigningSecret`` (or
        any object with a ``key``, as replicate 1.x reads it) or its ``whsec_...`` string. The
        timestamp must be within ``tolerance`` seconds of now (300 by default; ``None`` skips
        the check, which replicate 1.x did by default). Every ``v1`` signature in the header
        is compared, in constant time; a body that cannot be what was signed (text holding a
        lone surrogate) fails as a bad signature. Keyword arguments work
        for both forms; positionally, ``validate(request, secret)`` and
        ``validate(headers, body, secret)``, as replicate 1.x documents them.

        Example::

            secret = replicate.webhooks.default.secret()  # fetch once, keep it

            @app.post("/replicate-webhook")
            async def receive(request: Request) -> Response:
                body = await request.body()
                replicate.webhooks.validate(headers=request.headers, body=body, secret=secret)
                ...
        """
        return _validate(*args, **kwargs)

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
            return self._one(WebhookSigningSecret, webhooks_get_default_secret)

        async def async_secret(self) -> WebhookSigningSecret:
            """The signing secret, asynchronously.

            Example::

                secret = await replicate.webhooks.default.async_secret()
            """
            return await self._async_one(WebhookSigningSecret, webhooks_get_default_secret)


validate = Webhooks.validate
"""``Webhooks.validate``, also reachable as ``replicate.webhooks.validate``."""
