"""The scratch environments of ``benchmarks/compare.py``: one per client, plus one to draw with.

- ``replicate-VERSION``: ``pip install replicate==VERSION`` from the package index, for the
  official clients; made once, kept in the cache folder (``.bench/venvs/``), never a
  dependency of this project.
- ``this-client``: this project and its core dependencies only, linked from ``.venv`` (no
  download). ``.venv`` also holds the dev extras, and httpx imports ``rich`` and ``click``
  when they are installed (for its command line): ``import httpx`` there costs some 40 ms
  more than in the official clients' environments, which would flatter every import ratio.
  Remade on each run, so it follows ``.venv``.
- ``matplotlib``: to render the chart from the results file.

All are made by the interpreter running this module, so every client runs on the same Python.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

PROJECT = "replicate-client"


def python(env: Path) -> Path:
    return env / "bin" / "python"


def installed(env: Path, package: str) -> str | None:
    """The version of ``package`` in ``env``, or None (no environment, or not installed)."""
    if not python(env).exists():
        return None
    check = f"import importlib.metadata as m; print(m.version({package!r}))"
    result = subprocess.run([python(env), "-c", check], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def pip_env(env: Path, requirement: str) -> Path:
    """An environment holding ``requirement`` (``name==version``, or a bare name), made once."""
    name, _, version = requirement.partition("==")
    if installed(env, name) is not None and version in ("", installed(env, name)):
        return env
    if env.exists():
        shutil.rmtree(env)
    print(f"installing {requirement} into {env}", file=sys.stderr, flush=True)
    venv.create(env, with_pip=True)
    subprocess.run(
        [
            python(env),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            requirement,
        ],
        check=True,
    )
    return env


def project_env(env: Path) -> Path:
    """An environment with this project and its core dependencies, linked from this one's.

    Each distribution's top-level files (packages, modules, ``.dist-info``, the editable
    install's ``.pth``) are symlinked into a fresh environment; nothing is downloaded.
    """
    if env.exists():
        shutil.rmtree(env)
    venv.create(env, with_pip=False)
    site = Path(
        subprocess.run(
            [python(env), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    for dist in _closure(PROJECT):
        files = dist.files
        if files is None:
            raise RuntimeError(f"{dist.metadata['Name']} has no RECORD: cannot link it")
        tops = {file.parts[0] for file in files if file.parts[0] not in ("..", "__pycache__")}
        for top in sorted(tops):
            source = Path(str(dist.locate_file(top)))
            if source.exists() and not (site / top).exists():
                (site / top).symlink_to(source)
    return env


def _closure(name: str) -> list[importlib.metadata.Distribution]:
    """``name`` and what it requires, recursively, without extras; only what is installed."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    pending = [name]
    while pending:
        wanted = _normal(pending.pop())
        if wanted in seen:
            continue
        try:
            dist = importlib.metadata.distribution(wanted)
        except importlib.metadata.PackageNotFoundError:
            continue  # a requirement for another platform or Python
        seen[wanted] = dist
        for requirement in dist.requires or ():
            if "extra ==" not in requirement.partition(";")[2]:
                match = re.match(r"[A-Za-z0-9._-]+", requirement)
                if match:
                    pending.append(match.group(0))
    return list(seen.values())


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
