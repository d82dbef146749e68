"""The emulator's in-memory state: every resource, ids, clock and options."""

from __future__ import annotations

import base64
import random
import secrets
import string
import threading
import uuid
import zlib
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


def recorded_precision(timestamp: str) -> str:
    """A stored timestamp as recorded traffic writes it: 0 to 9 fractional digits.

    Trailing zeros go (a time taken to the millisecond has 3 digits, to the second none);
    one with all 6 digits may get up to 3 more, as nanosecond clocks write them. The value
    moves by less than a microsecond, so the order of timestamps is kept::

        recorded_precision("2024-05-01T10:00:00.120000Z")  # '2024-05-01T10:00:00.12Z'
    """
    head, _, fraction = timestamp.removesuffix("Z").partition(".")
    fraction = fraction.rstrip("0")
    if len(fraction) == 6:
        # how many digits, and which, from the whole timestamp: one taken from the second
        # alone gave every timestamp of that second the same count (none, one time in four)
        checksum = zlib.crc32(timestamp.encode())
        fraction += f"{checksum % 1000:03d}"[: checksum // 1000 % 4]
    return f"{head}.{fraction}Z" if fraction else f"{head}Z"


# The time fields of runs, as the API names them.
TIMESTAMP_FIELDS = ("created_at", "started_at", "completed_at", "deadline")


@dataclass
class Options:
    """Behaviour switches, set through the :class:`~replicate.testing.Emulator` constructor."""

    api_token: str = "r8_emulator_token"
    username: str = "emulator"
    page_size: int | None = None  # None: each list's own size, as the API's (models: 25)
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
        """A prediction or training id: 26 lowercase base32 characters."""
        return self._choice(self._ALPHABET, 26)

    def file(self) -> str:
        """A file id: a UUID's text in base64, 48 characters, as the API gives them."""
        with self._lock:
            bits = secrets.randbits(128) if self._random is None else self._random.getrandbits(128)
        text = str(uuid.UUID(int=bits, version=4))
        return base64.b64encode(text.encode()).decode()

    def deployed_version(self) -> str:
        """The opaque version of an official model's predictions: ``dp-`` and 32 hex digits."""
        return "dp-" + self._choice("0123456789abcdef", 32)

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
    cover_image: str | None = None  # a path on the delivery host, when it serves the cover
    is_official: bool = False
    deployed_version: str | None = None  # what an official model's predictions show
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
        self._moments = 0
        self._last_moment: datetime | None = None

    def now(self) -> str:
        moment = self.options.clock()
        if self.options.real_deviations:
            moment = self._recorded_moment(moment)
        return format_timestamp(moment)

    def _recorded_moment(self, moment: datetime) -> datetime:
        """``moment`` cut to 0 to 6 fractional digits, in a fixed cycle, as recorded traffic
        has them (with ``recorded_precision``, up to 9); never before a time given out."""
        with self.lock:
            self._moments += 1
            digits = (0, 3, 6, 1, 6, 2, 6, 4, 5, 6)[self._moments % 10]
            step = 10 ** (6 - digits)
            moment = moment.replace(microsecond=moment.microsecond // step * step)
            if self._last_moment is not None and moment < self._last_moment:
                moment = self._last_moment
            self._last_moment = moment
            return moment

    @property
    def webhook_secret(self) -> str:
        """The signing secret, as ``GET /webhooks/default/secret`` gives it."""
        return f"whsec_{self.webhook_key}"

    def render(self, run: Any, as_created: bool = False) -> JSON:
        """A prediction or training as the API shows it (``as_created``: as its create request
        first saw it, ``starting``, whatever the engine did since)."""
        with self.lock:
            data = dict(run.fields)
            if isinstance(data.get("output"), list):
                data["output"] = list(data["output"])
            if isinstance(data.get("metrics"), dict):
                data["metrics"] = dict(data["metrics"])
        if as_created:
            data.update(status="starting", output=None, logs="", started_at=None)
            data.update(completed_at=None, metrics={})
        plural = "predictions" if run.kind == "prediction" else "trainings"
        base = f"{self.api_base_url}/{plural}/{run.id}"
        urls = {"get": base, "cancel": f"{base}/cancel"}
        if run.kind == "prediction" and run.streams:
            urls["stream"] = f"{base}/stream"
        data["urls"] = urls
        shape_run(data, run.kind)
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


def shape_run(data: JSON, kind: str) -> None:
    """Give a run the keys real responses have (recorded traffic, where the spec is silent).

    - A run still ``starting`` or ``processing`` has no ``metrics``; such a prediction has
      no ``completed_at`` either, nor, while ``starting``, ``started_at`` or ``output`` (a
      training shows them as null).
    - ``logs`` is null rather than empty on trainings and on canceled or aborted predictions.
    - Predictions carry ``webhook_completed``, which the spec does not list; trainings have
      no ``data_removed``, which the spec lists for predictions only.
    - There is no ``urls.web``: no recorded prediction has it, whatever the spec says.
    """
    status = data.get("status")
    if status in ("starting", "processing"):
        data.pop("metrics", None)
    if kind == "prediction":
        if status in ("starting", "processing"):
            data.pop("completed_at", None)
        if status == "starting":
            data.pop("started_at", None)
            data.pop("output", None)
        data.setdefault("webhook_completed", None)
    else:
        data.pop("data_removed", None)
    if not data.get("logs") and (kind == "training" or status in ("canceled", "aborted")):
        data["logs"] = None


def apply_deviations(data: JSON) -> None:
    """Shape a run like recorded traffic of 2023-2024, beyond what the API does today."""
    if data.get("status") == "processing":
        data.pop("output", None)  # absent until the prediction has output
    if not data.get("logs"):
        data["logs"] = None  # null rather than ""
    data.pop("data_removed", None)  # missing before October 2024
    if "metrics" in data:
        data["metrics"].setdefault("predict_time", None)
    for key in TIMESTAMP_FIELDS:
        if isinstance(data.get(key), str):
            data[key] = recorded_precision(data[key])
