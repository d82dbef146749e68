"""Fixtures the codegen tests share: loading a generated module, and a client stand-in."""

from __future__ import annotations

import importlib.util
import itertools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from codegen_tools import FakeClient

_counter = itertools.count()


@pytest.fixture
def load(tmp_path: Path) -> Iterator[Callable[[str], ModuleType]]:
    """Import a generated module's text (written into the test's folder) as a module."""
    names: list[str] = []

    def load(text: str) -> ModuleType:
        name = f"_generated_{next(_counter)}"
        path = tmp_path / f"{name}.py"
        path.write_text(text)
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        names.append(name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in names:
        sys.modules.pop(name, None)


@pytest.fixture
def fake_client() -> FakeClient:
    return FakeClient()


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for the session's runs: the replicate package is analysed once."""
    return tmp_path_factory.mktemp("mypy-cache")
