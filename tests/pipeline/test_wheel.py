"""The wheel the README's install commands make: its name, and the license it carries."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_carries_the_license_under_the_name_the_readme_gives(tmp_path: Path) -> None:
    # the README's `pip wheel --no-deps -w dist .`, offline: hatchling comes from .venv
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    result = subprocess.run(
        [*command, "--quiet", "-w", str(tmp_path), "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    [wheel] = tmp_path.glob("*.whl")
    readme = (ROOT / "README.md").read_text()
    assert "pip wheel --no-deps -w dist .\n" in readme
    assert f"pip install 'dist/{wheel.name}[cli]'\n" in readme

    license_text = (ROOT / "LICENSE").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    assert "Apache License\n                           Version 2.0, January 2004" in license_text
    with zipfile.ZipFile(wheel) as archive:
        [dist_info] = {name.split("/")[0] for name in archive.namelist() if ".dist-info/" in name}
        assert archive.read(f"{dist_info}/licenses/LICENSE").decode() == license_text
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata
    assert "License-File: LICENSE" in metadata
