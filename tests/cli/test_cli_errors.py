"""Errors: one line on stderr, no traceback (unless --debug), the documented exit codes, the
token never shown; and what works without the optional dependencies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from replicate.cli import main
from replicate.testing import Emulator

SECRET = "r8_SecretTokenThatMustNeverBePrinted0"


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def test_model_failure_exits_1(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "replicate/fails", "--base-url", emu.base_url, "--token", emu.api_token])
    assert code == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].endswith("failed: this model fails on purpose")
    assert "Traceback" not in err


def test_stream_failure_exits_1(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["stream", "replicate/fails", "--base-url", emu.base_url, "--token", emu.api_token])
    assert code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[-1].endswith("failed: this model fails on purpose")


def test_unreachable_api_exits_3(closed_port_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--base-url", closed_port_url, "--token", SECRET, "--max-retries", "0"]
    assert main(["run", *args, "replicate/hello-world", "text=x"]) == 3
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: could not reach {closed_port_url.removesuffix('/v1')}")
    assert SECRET not in line


def test_unreachable_api_exits_3_as_a_subprocess(closed_port_url: str, tmp_path: Path) -> None:
    command = ["predictions", "list", "--base-url", closed_port_url, "--token", SECRET]
    result = subprocess.run(
        [sys.executable, "-m", "replicate", *command, "--max-retries", "0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=30,
    )
    assert result.returncode == 3
    assert one_error_line(result.stderr).startswith("error: could not reach")
    assert SECRET not in result.stderr + result.stdout


def test_a_bad_token_exits_3_without_showing_it(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["account", "--base-url", emu.base_url, "--token", SECRET]) == 3
    captured = capsys.readouterr()
    line = one_error_line(captured.err)
    assert "(HTTP 401)" in line and "REPLICATE_API_TOKEN" in line
    assert SECRET not in captured.err + captured.out


def test_not_found_exits_3(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--base-url", emu.base_url, "--token", emu.api_token]
    assert main(["models", "get", "acme/no-such-model", *args]) == 3
    assert "(HTTP 404)" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["predictions"],
        ["no-such-command"],
        ["run"],
        ["run", "not a model ref"],
        ["run", "--emulator", "replicate/hello-world", "--base-url", "http://x"],
        ["predictions", "list", "--limit", "many"],
        ["run", "replicate/hello-world", "--webhook-events", "sometimes"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err


def test_argparse_errors_never_show_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--token", SECRET, "run", "replicate/hello-world", "--bogus", SECRET]) == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments" in err
    assert SECRET not in err


def test_debug_shows_the_traceback_too(
    closed_port_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--base-url", closed_port_url, "--max-retries", "0", "--debug"]
    assert main(["hardware", *args]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("error: could not reach")


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "exit codes: 0 success, 1 the model failed" in capsys.readouterr().out
    assert main(["run", "--help"]) == 0
    assert "key=@path" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("replicate-client ")


# -- optional dependencies -----------------------------------------------------------------------


def loaded_modules(code: str) -> set[str]:
    script = f"import json, sys; {code}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    return set(json.loads(result.stdout))


def test_import_replicate_imports_neither_the_cli_nor_rich() -> None:
    loaded = loaded_modules("import replicate")
    assert {name for name in loaded if name.startswith(("rich", "replicate."))} == set()

    used = loaded_modules("import replicate; replicate.Client(); replicate.predictions")
    assert "replicate.cli" not in used and "replicate.__main__" not in used
    # httpx itself imports rich when its own command line's dependencies are installed:
    # whatever rich is loaded is httpx's doing, none of ours
    assert {name for name in used if name.startswith("rich")} <= loaded_modules("import httpx")


def test_without_rich_the_live_view_names_the_extra(
    emu: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "rich", None)  # import rich now raises ImportError
    args = ["--base-url", emu.base_url, "--token", emu.api_token]
    assert main(["run", "replicate/hello-world", "text=x", *args]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "pip install -e '.[cli]'" in line

    # --json shows no live view, so it works without rich; so do the other commands
    assert main(["run", "replicate/hello-world", "text=x", "--json", *args]) == 0
    assert json.loads(capsys.readouterr().out)["output"] == "hello x"
    assert main(["run", "replicate/hello-world", "text=x", "--no-wait", *args]) == 0
    assert main(["hardware", *args]) == 0
    capsys.readouterr()


def test_without_the_emulator_extra_emulator_names_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    monkeypatch.delitem(sys.modules, "replicate.testing._server", raising=False)
    import replicate.testing

    monkeypatch.delitem(vars(replicate.testing), "Emulator", raising=False)
    assert main(["run", "--emulator", "replicate/hello-world", "text=x"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "pip install -e '.[emulator]'" in line
    assert main(["emulator"]) == 2
    assert "pip install -e '.[emulator]'" in capsys.readouterr().err
