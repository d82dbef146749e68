"""Pytest fixtures for the emulator, registered through the ``pytest11`` entry point.

Example::

    def test_hello(replicate_emulator):
        os.environ["REPLICATE_BASE_URL"] = replicate_emulator.base_url
        os.environ["REPLICATE_API_TOKEN"] = replicate_emulator.api_token
        ...

Options for one test come from a marker:
``@pytest.mark.replicate_emulator(seed=1, rate_limits=True)``.

This module is loaded in every pytest run of an environment that has the package, so it
imports nothing of the server (starlette, uvicorn) until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from replicate.testing import Emulator

MARKER = "replicate_emulator"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): Emulator constructor options for the replicate_emulator fixture",
    )


def _start(options: dict[str, Any]) -> Emulator:
    try:
        from replicate.testing import Emulator
    except ImportError as error:  # fail loudly: a skipped test would hide the missing extra
        # the error says what to install (the package is not on an index)
        raise pytest.UsageError(f"the replicate_emulator fixture: {error}") from error
    return Emulator(**options).start()


@pytest.fixture
def replicate_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """An emulator served on 127.0.0.1 for one test, then stopped.

    Example::

        def test_run(replicate_emulator):
            client = httpx.Client(base_url=replicate_emulator.base_url)
    """
    marker = request.node.get_closest_marker(MARKER)
    emulator = _start(dict(marker.kwargs) if marker else {})
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(scope="session")
def replicate_emulator_session() -> Iterator[Emulator]:
    """One emulator for the whole session (faster; state and faults carry over tests).

    Example::

        def test_list(replicate_emulator_session):
            replicate_emulator_session.faults.clear()
    """
    emulator = _start({})
    try:
        yield emulator
    finally:
        emulator.stop()
