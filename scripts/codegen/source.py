"""Reading an OpenAPI document from a path or a URL."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SPEC_URL = "https://api.replicate.com/openapi.json"


@dataclass(frozen=True)
class Spec:
    """An OpenAPI document as read: where it came from, its raw bytes and its parsed form."""

    source: str
    raw: bytes
    document: dict[str, Any]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


class SpecUnavailable(OSError):
    """The document could not be downloaded; the message names the URL and the reason."""


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def parse_document(raw: bytes, name: str) -> dict[str, Any]:
    """Parse JSON, or YAML when the text is not JSON (YAML is a superset, but slower)."""
    text = raw.decode("utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        import yaml  # only needed for YAML documents

        document = yaml.safe_load(text)
    if not isinstance(document, dict) or "paths" not in document:
        raise ValueError(f"{name} is not an OpenAPI document (no top-level 'paths')")
    return document


def load_spec(source: str) -> Spec:
    """Read an OpenAPI document (JSON or YAML) from a local path or an http(s) URL.

    >>> spec = load_spec("../shared/openapi/replicate-openapi.json")  # doctest: +SKIP
    >>> spec.document["openapi"]  # doctest: +SKIP
    '3.1.0'
    """
    if _is_url(source):
        try:
            with urllib.request.urlopen(source, timeout=30) as response:
                raw = response.read()
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", None) or error
            raise SpecUnavailable(f"cannot download {source}: {reason}") from error
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"spec not found: {source}")
        raw = path.read_bytes()
    return Spec(source=source, raw=raw, document=parse_document(raw, source))
