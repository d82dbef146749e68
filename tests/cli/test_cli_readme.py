"""The README's commands that run offline, run exactly as the README writes them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


def session_of(block: str) -> list[tuple[str, str]]:
    """A console block's ``$ command`` lines, each with the lines it shows as its output."""
    session: list[tuple[str, str]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            session.append((line[2:], ""))
        else:
            command, shown = session[-1]
            session[-1] = (command, shown + line + "\n")
    return session


def batch_session() -> list[tuple[str, str]]:
    """The batch example's session (``session_of``)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Batch runs") :]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block is not None
    return session_of(block.group(1))


def command_environment(**variables: str) -> dict[str, str]:
    """This environment without ``REPLICATE_*`` (but ``variables``), with the ``replicate``
    command of this checkout's environment on the PATH, as an installed one would be."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLICATE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env | variables


def run_in(
    folder: Path, env: dict[str, str], command: str | list[str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``command`` (a shell line, or arguments) run in ``folder``, its output captured."""
    return subprocess.run(
        command,
        shell=isinstance(command, str),
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_batch_example_runs_offline_exactly_as_written(tmp_path: Path) -> None:
    session = batch_session()
    assert any(command.startswith("replicate batch") for command, _ in session)
    env = command_environment()
    for command, shown in session:
        result = run_in(tmp_path, env, command)
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout + result.stderr == shown, command


def use_section_blocks() -> list[tuple[str, str]]:
    """The ``use()`` section's code blocks in order, as ``(language, code)``."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Models as functions") :]
    section = section[: section.index("\n### ", 1)]
    return re.findall(r"```(python|console)\n(.*?)```", section, re.S)


def _shown_by_prints(code: str) -> str:
    """What a block's ``print(...)  # text`` lines say they print."""
    return "".join(
        line.split("  # ", 1)[1] + "\n" for line in code.splitlines() if line.startswith("print(")
    )


def test_the_use_section_runs_offline_exactly_as_written(tmp_path: Path) -> None:
    from replicate.testing import Emulator

    blocks = use_section_blocks()
    assert [language for language, _ in blocks] == ["python", "console", "python"]
    with Emulator() as emu:  # what `replicate emulator` serves, with its two variables set
        env = command_environment(
            REPLICATE_BASE_URL=emu.base_url, REPLICATE_API_TOKEN=emu.api_token
        )
        for language, code in blocks:
            if language == "python":
                result = run_in(tmp_path, env, [sys.executable, "-W", "error", "-c", code])
                assert result.returncode == 0, (code, result.stderr)
                assert result.stdout == _shown_by_prints(code)
                continue
            session = session_of(code)
            assert session, code
            for command, shown in session:
                result = run_in(tmp_path, env, command)
                assert result.returncode == 0, (command, result.stderr)
                assert result.stdout == shown
    # the typed module passes mypy --strict as the user's code calls it
    mypy = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / ".mypy")]
    result = run_in(tmp_path, env, [*mypy, "-c", blocks[2][1]], timeout=300)
    assert result.returncode == 0, result.stdout
