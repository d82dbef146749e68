"""What the resource modules share: the account, the hardware list and field checks.

Handlers check the fields they rely on themselves, because request validation against
the spec can be switched off (``Options(validate_requests=False)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ._app import ProblemError
from ._state import JSON

if TYPE_CHECKING:
    from ._app import EmulatorApp

# (name, sku), as GET /v1/hardware lists them.
HARDWARE: tuple[tuple[str, str], ...] = (
    ("CPU", "cpu"),
    ("Nvidia T4 GPU", "gpu-t4"),
    ("Nvidia L40S GPU", "gpu-l40s"),
    ("2x Nvidia L40S GPU", "gpu-l40s-2x"),
    ("Nvidia A100 (80GB) GPU", "gpu-a100-large"),
    ("2x Nvidia A100 (80GB) GPU", "gpu-a100-large-2x"),
    ("Nvidia H100 GPU", "gpu-h100"),
)
SKUS = frozenset(sku for _, sku in HARDWARE)

# Model and deployment names: lowercase letters, digits, dashes, underscores and periods.
NAME = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,98}[a-z0-9])?$")
NAME_RULE = "use lowercase letters, digits, dashes, underscores and periods (at most 100)"

# When the account was created: shown as ``created_by.created_at`` with real deviations on.
ACCOUNT_CREATED_AT = "2023-01-01T00:00:00.000000Z"


def avatar_path(username: str) -> str:
    """Where the delivery host serves the account's avatar."""
    return f"/avatars/{username}.png"


def account_json(app: EmulatorApp, nested: bool = False) -> JSON:
    """The account behind the token; ``nested`` for ``created_by`` objects in releases."""
    username = app.options.username
    account: JSON = {
        "type": "user",
        "username": username,
        "name": username.replace("-", " ").replace("_", " ").title(),
        "github_url": f"https://github.com/{username}",
        "avatar_url": app.store.delivery_base_url + avatar_path(username),
    }
    if nested and app.options.real_deviations:
        account["created_at"] = ACCOUNT_CREATED_AT  # nested accounts carry it in real traffic
    return account


def invalid(field: str, message: str) -> ProblemError:
    """A 422 that names the field, like the spec validator's."""
    return ProblemError(422, "Invalid request", f"{field}: {message}")


def check_fields(body: JSON, types: dict[str, type], required: Iterable[str] = ()) -> None:
    """Required fields are present and the given ones have the right JSON type."""
    for name in required:
        if name not in body:
            raise invalid(name, "field required")
    for name, kind in types.items():
        if name not in body:
            continue
        value = body[name]
        # bool is an int in Python, not in JSON
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise invalid(name, f"must be {_TYPE_NAMES.get(kind, kind.__name__)}")


def check_range(body: JSON, name: str, low: int, high: int) -> None:
    value = body.get(name)
    if isinstance(value, int) and not low <= value <= high:
        raise invalid(name, f"must be from {low} to {high}")


def check_url(body: JSON, name: str) -> None:
    value = body.get(name)
    if isinstance(value, str) and not value.startswith(("https://", "http://")):
        raise invalid(name, "must be an http(s) URL")


def check_owner(app: EmulatorApp, owner: str, what: str) -> None:
    """Only the account's own resources can be changed."""
    username = app.options.username
    if owner != username:
        detail = f"{what} belongs to {owner}; the token's account is {username}"
        raise ProblemError(403, "Forbidden", detail)


_TYPE_NAMES: dict[type, str] = {str: "a string", int: "an integer", dict: "an object"}
