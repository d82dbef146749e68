"""Shared test settings.

Tests that need Replicate's published spec find it through one setting: the environment
variable ``REPLICATE_OPENAPI_DIR`` (default: ``../shared/openapi/`` beside the checkout).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

CURRENT_SPEC = "replicate-openapi.json"
OLD_SPEC = "replicate-openapi-2025-08.yaml"


def shared_openapi_dir() -> Path:
    return Path(os.environ.get("REPLICATE_OPENAPI_DIR", ROOT.parent / "shared" / "openapi"))


def _shared_spec(name: str) -> Path:
    path = shared_openapi_dir() / name
    if not path.is_file():
        pytest.skip(f"shared spec {name} not found in {path.parent} (set REPLICATE_OPENAPI_DIR)")
    return path


@pytest.fixture(scope="session")
def current_spec_path() -> Path:
    """The current upstream spec (skips the test where it is absent)."""
    return _shared_spec(CURRENT_SPEC)


@pytest.fixture(scope="session")
def old_spec_path() -> Path:
    """The August 2025 revision of the upstream spec (skips the test where it is absent)."""
    return _shared_spec(OLD_SPEC)
