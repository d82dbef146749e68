"""Importing ``benchmarks/``'s modules as ``scripts/bench`` runs them: their folder first on the
path. ``tests/batch`` is a package named ``batch``, as ``benchmarks/batch.py`` is a module of
that name (``compare`` imports it), so the benchmark's is put in its place while importing."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SHADOWED = ("batch",)  # names of benchmarks/ modules that tests/ also has


def import_benchmark(name: str) -> ModuleType:
    saved = {key: sys.modules.pop(key) for key in SHADOWED if key in sys.modules}
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))
        for key in SHADOWED:
            sys.modules.pop(key, None)
        sys.modules.update(saved)


@pytest.fixture(scope="session")
def benchmark_module() -> Callable[[str], ModuleType]:
    return import_benchmark
