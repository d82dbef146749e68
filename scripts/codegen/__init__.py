"""Code generation pipeline: spec loading, normalisation, generation and change reports.

Used by the commands in ``scripts/``; not shipped with the distribution. This module imports
the standard library only: the commands call ``use_project_venv`` before anything else.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
_SWITCHED = "REPLICATE_CODEGEN_IN_VENV"


def project_python(venv: Path = VENV) -> Path | None:
    """The interpreter of the project's ``.venv`` (made by ``scripts/test``), when it exists
    and is not the one running; None otherwise.

    >>> project_python(Path("/nonexistent/.venv")) is None
    True
    """
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.is_file() or Path(sys.prefix).resolve() == venv.resolve():
        return None
    return python


def use_project_venv(script: str) -> None:
    """Run ``script`` again with the project's ``.venv`` interpreter, if there is one and it is
    not running already: the pinned tools live there (``scripts/test`` installs them), so the
    commands work as the README writes them, whatever ``python3`` is on the PATH.

    Example (first thing in a command)::

        use_project_venv(__file__)
    """
    python = project_python()
    if python is None or os.environ.get(_SWITCHED):
        return
    os.environ[_SWITCHED] = "1"  # never twice, whatever sys.prefix says
    command = [str(python), script, *sys.argv[1:]]
    if os.name == "nt":  # no exec there that keeps the console's process
        sys.exit(subprocess.call(command))
    os.execv(python, command)
