"""The emulator's in-memory state: every resource, ids, clock and options."""

from __future__ import annotations

import base64
import random
import secrets
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ._models import EmulatedModel

Clock = Callable[[], datetime]
JSON = dict[str, Any]


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """The API's timestamp format: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Options:
    """Behaviour switches, set through the :class:`~replicate.testing.Emulator` constructor."""

    api_token: str = "r8_emulator_token"
    username: str = "emulator"
    page_size: int = 100
    validate_requests: bool = True
    real_deviations: bool = False
    rate_limits: bool = False
    seed: int | None = None
    clock: Clock = utc_now
    webhook_secret: str = ""
    max_file_size: int = 100 * 1024 * 1024


class Ids:
    """Identifiers shaped like the real ones; reproducible when seeded."""

    _ALPHABET = string.ascii_lowercase + "234567"

    def __init__(self, seed: int | None) -> None:
        self._random: random.Random | None = random.Random(seed) if seed is not None else None
        self._lock = threading.Lock()

    def _choice(self, alphabet: str, length: int) -> str:
        with self._lock:
            if self._random is None:
                return "".join(secrets.choice(alphabet) for _ in range(length))
            return "".join(self._random.choice(alphabet) for _ in range(length))

    def resource(self) -> str:
        """A prediction, training or file id: 26 lowercase base32 characters."""
        return self._choice(self._ALPHABET, 26)

    def version(self) -> str:
        """A version id: 64 hex digits."""
        return self._choice("0123456789abcdef", 64)

    def token(self, length: int = 32) -> str:
        return self._choice(string.ascii_letters + string.digits, length)


@dataclass
class Version:
    id: str
    model: EmulatedModel
    created_at: str
    cog_version: str = "0.9.4"

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "cog_version": self.cog_version,
            "openapi_schema": self.model.openapi_schema,
        }


@dataclass
class ModelEntry:
    """A model on the emulated account: its metadata and versions (newest last)."""

    owner: str
    name: str
    model: EmulatedModel | None
    created_at: str
    visibility: str = "public"
    description: str | None = None
    hardware: str = "cpu"
    github_url: str | None = None
    paper_url: str | None = None
    license_url: str | None = None
    cover_image_url: str | None = None
    readme: str = ""
    weights_url: str | None = None
    is_official: bool = False
    run_count: int = 0
    versions: list[Version] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)  # prediction ids

    @property
    def ref(self) -> str:
        return f"{self.owner}/{self.name}"


class Store:
    """All resources, with one lock: handlers run on several threads and loops."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.ids = Ids(options.seed)
        self.lock = threading.RLock()
        self.models: dict[str, ModelEntry] = {}
        self.predictions: dict[str, Any] = {}  # id -> Run (see _engine), newest last
        self.trainings: dict[str, Any] = {}
        self.deployments: dict[str, JSON] = {}
        self.files: dict[str, JSON] = {}
        self.file_contents: dict[str, bytes] = {}
        self.outputs: dict[str, tuple[bytes, str]] = {}  # delivery path -> (bytes, type)
        self.collections: dict[str, JSON] = {}
        # Where the API and the delivery host are reachable; the server sets them.
        self.api_base_url = "http://api.emulator.test/v1"
        self.delivery_base_url = "http://delivery.emulator.test"
        self.webhook_deliveries: list[tuple[str, dict[str, str], str]] = []
        self.webhook_key = (
            options.webhook_secret or base64.b64encode(self.ids.token(24).encode()).decode()
        )

    def now(self) -> str:
        return format_timestamp(self.options.clock())

    @property
    def webhook_secret(self) -> str:
        """The signing secret, as ``GET /webhooks/default/secret`` gives it."""
        return f"whsec_{self.webhook_key}"

    def render(self, run: Any) -> JSON:
        """A prediction or training as the API shows it."""
        with self.lock:
            data = dict(run.fields)
            if isinstance(data.get("output"), list):
                data["output"] = list(data["output"])
            if isinstance(data.get("metrics"), dict):
                data["metrics"] = dict(data["metrics"])
        plural = "predictions" if run.kind == "prediction" else "trainings"
        base = f"{self.api_base_url}/{plural}/{run.id}"
        urls = {"get": base, "cancel": f"{base}/cancel"}
        if run.kind == "prediction":
            urls["stream"] = f"{base}/stream"
            urls["web"] = f"https://replicate.com/p/{run.id}"
        data["urls"] = urls
        if self.options.real_deviations:
            apply_deviations(data)
        return data

    def find_version(self, version_id: str) -> tuple[ModelEntry, Version] | None:
        with self.lock:
            for entry in self.models.values():
                for version in entry.versions:
                    if version.id == version_id:
                        return entry, version
        return None


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, value = text.partition(":")
    return int(value) if kind == "o" and value.isdigit() else None


def apply_deviations(data: JSON) -> None:
    """Shape a run like recorded real traffic: what the spec promises is not always there."""
    data["urls"].pop("web", None)  # missing in every recorded prediction
    if data.get("status") in ("starting", "processing"):
        data.pop("output", None)  # absent until the prediction has output
    if not data.get("logs"):
        data["logs"] = None  # null rather than ""
    data.pop("data_removed", None)  # missing before October 2024
    data["webhook_completed"] = None  # fields the spec does not list
    data.setdefault("metrics", {}).setdefault("predict_time", None)
