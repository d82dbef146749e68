"""What the codegen tests share: Cog-style schemas, and ruff and mypy run on generated code."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ruff.__main__ import find_ruff_bin

from replicate.testing import EmulatedModel

ROOT = Path(__file__).resolve().parents[2]
RUFF = find_ruff_bin()
"""The project's pinned ruff (its binary: no Python start-up per check)."""

VERSION = "9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
"""A version id for schemas rendered in memory."""

JSON = dict[str, Any]


def cog_schema(function: Callable[..., Any]) -> JSON:
    """The ``openapi_schema`` cog writes for ``function`` (the emulator's own derivation)."""
    return EmulatedModel("acme", "model", function).openapi_schema


def with_inputs(schema: JSON, **changes: JSON) -> JSON:
    """``schema`` with keys merged into its Input properties (descriptions, limits, ...)."""
    properties = schema["components"]["schemas"]["Input"]["properties"]
    for name, extra in changes.items():
        properties[name] = {**properties[name], **extra}
    return schema


def schema_of(
    inputs: JSON, output: JSON | None = None, *, required: Iterable[str] = (), **components: JSON
) -> JSON:
    """An ``openapi_schema`` from Input properties, an Output and more components."""
    schemas: JSON = {
        "Input": {
            "type": "object",
            "title": "Input",
            "properties": inputs,
            "required": list(required),
        },
        **components,
    }
    if output is not None:
        schemas["Output"] = {"title": "Output", **output}
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": {},
        "components": {"schemas": schemas},
    }


def ruff_problems(text: str, name: str = "generated_module.py") -> str:
    """What the project's ruff says of ``text`` (lint, then format): empty when it passes.

    The text is checked as a file of ``tests/codegen``, so the project's settings apply.
    """
    filename = str(ROOT / "tests" / "codegen" / name)
    problems = []
    for command in (
        ["check", "--no-cache", "--output-format", "concise", "--stdin-filename", filename, "-"],
        ["format", "--no-cache", "--diff", "--stdin-filename", filename, "-"],
    ):
        result = subprocess.run(
            [RUFF, *command],
            input=text,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if result.returncode != 0:
            problems.append(result.stdout + result.stderr)
    return "\n".join(problems)


def run_mypy(scripts: Iterable[str], cwd: Path, cache_dir: Path) -> JSON:
    """``mypy --strict`` on the scripts (and what they import) in ``cwd``: its errors, as
    ``{file: [(line, message), ...]}``, and its whole output under ``"output"``."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--cache-dir",
            str(cache_dir),
            *scripts,
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
    )
    errors: JSON = {"output": result.stdout + result.stderr, "code": result.returncode}
    for line in result.stdout.splitlines():
        match = re.match(r"(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)", line)
        if match:
            errors.setdefault(match["file"], []).append((int(match["line"]), match["message"]))
    return errors


class FakeClient:
    """What a generated module asks of a client: ``use()``, ``check_version`` and a call,
    each recorded in ``calls``; a call returns ``output``."""

    def __init__(self, output: Any = "done") -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.output = output

    def use(self, ref: str, *, streaming: bool = False, use_async: bool = False) -> Any:
        self.calls.append(("use", ref, use_async))
        return _AsyncFunction(self) if use_async else _Function(self)


class _Function:
    def __init__(self, client: FakeClient) -> None:
        self.client = client

    def check_version(
        self, recorded: str, *, error: bool = False, command: str | None = None
    ) -> None:
        self.client.calls.append(("check_version", recorded, error))

    def __call__(self, **inputs: Any) -> Any:
        self.client.calls.append(("call", inputs))
        return self.client.output


class _AsyncFunction(_Function):
    async def check_version(  # type: ignore[override]
        self, recorded: str, *, error: bool = False, command: str | None = None
    ) -> None:
        self.client.calls.append(("check_version", recorded, error))

    async def __call__(self, **inputs: Any) -> Any:  # type: ignore[override]
        self.client.calls.append(("call", inputs))
        return self.client.output
