"""docs/codegen.md's example runs offline exactly as written: the command, then the Python."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from codegen_tools import ROOT

DOC = ROOT / "docs" / "codegen.md"


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(), re.S)


def test_the_example_runs_as_written(tmp_path: Path) -> None:
    console = blocks("console")[0].splitlines()
    assert console[0].startswith("$ replicate codegen")
    command, shown = console[0][2:], "".join(line + "\n" for line in console[1:])
    # the `replicate` command of this checkout's environment, as an installed one would be
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLICATE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, shown, "")

    script = blocks("python")[0]
    assert "from models.hello_world import hello_world" in script
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello Alice\n", "")
