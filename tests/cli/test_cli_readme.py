"""The README's two set-up commands, run exactly as the README writes them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def console_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Two commands on a fresh machine") :]
    section = section[: section.index("\n## ", 1)]
    return [block.strip() for block in re.findall(r"```console\n(.*?)```", section, re.S)]


def test_the_readme_gives_two_commands() -> None:
    assert console_blocks() == ["scripts/demo", "scripts/test"]


def test_the_demo_command_prints_hello_world() -> None:
    demo = console_blocks()[0]
    result = subprocess.run(demo, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello world\n"
