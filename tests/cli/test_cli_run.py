"""``replicate run`` and ``replicate stream``, in process and as a subprocess, on the emulator."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import replicate
from replicate.cli import main
from replicate.prediction import Prediction
from replicate.testing import HELLO_WORLD_VERSION, Emulator, log

LANGUAGE_MODEL_TEXT = "hi there Replicate runs machine learning models in the cloud from a"


def on(emu: Emulator, *args: str) -> list[str]:
    """The command line ``args`` against ``emu``, global options first."""
    return ["--base-url", emu.base_url, "--token", emu.api_token, *args]


def client_of(emu: Emulator) -> replicate.Client:
    return replicate.Client(api_token=emu.api_token, base_url=emu.base_url)


def fresh_env() -> dict[str, str]:
    """The environment of a fresh machine: no token, no base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPLICATE_")}
    env.pop("FORCE_COLOR", None)
    return env


def run_cli(*args: str, cwd: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "replicate", *args],
        capture_output=True,
        text=True,
        env=fresh_env(),
        cwd=cwd,
        timeout=timeout,
    )


# -- the README's demo command ------------------------------------------------------------------


def test_readme_demo_command_prints_hello_world(tmp_path: Path) -> None:
    # exactly as the README writes it, through `python -m replicate` (the console script's target)
    result = run_cli("run", "--emulator", "replicate/hello-world", "text=world", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello world\n"
    assert "Traceback" not in result.stderr


def test_readme_demo_command_through_the_console_script(tmp_path: Path) -> None:
    script = shutil.which("replicate", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip(
            "the `replicate` console script is not installed in this environment "
            "(pyproject.toml has no [project.scripts] entry yet; reinstall after adding it)"
        )
    result = subprocess.run(
        [script, "run", "--emulator", "replicate/hello-world", "text=world"],
        capture_output=True,
        text=True,
        env=fresh_env(),
        cwd=tmp_path,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello world\n"


def test_emulator_option_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--emulator", "replicate/hello-world", "text=world"]) == 0
    assert capsys.readouterr().out == "hello world\n"


# -- run ---------------------------------------------------------------------------------------


def test_run_prints_the_output(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(on(emu, "run", "replicate/hello-world", "text=Alice")) == 0
    captured = capsys.readouterr()
    assert captured.out == "hello Alice\n"
    assert "succeeded" in captured.err  # the plain view, as stderr is not a terminal


def test_run_reads_token_and_base_url_from_the_environment(
    emu: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", emu.api_token)
    monkeypatch.setenv("REPLICATE_BASE_URL", emu.base_url.removesuffix("/v1"))
    assert main(["run", "replicate/hello-world", "text=env"]) == 0
    assert capsys.readouterr().out == "hello env\n"


def test_run_of_a_pinned_version(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"replicate/hello-world:{HELLO_WORLD_VERSION}"
    assert main(on(emu, "run", ref, "text=pinned")) == 0
    assert capsys.readouterr().out == "hello pinned\n"


def test_json_prints_only_the_finished_prediction(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(on(emu, "run", "--json", "replicate/hello-world", "text=json")) == 0
    captured = capsys.readouterr()
    prediction = json.loads(captured.out)  # the whole of stdout is one JSON document
    assert prediction["status"] == "succeeded"
    assert prediction["output"] == "hello json"
    assert prediction["input"] == {"text": "json"}
    assert captured.err == ""


def test_json_of_a_failed_prediction_exits_1(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(on(emu, "run", "replicate/fails", "--json")) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["status"] == "failed"
    assert captured.err.strip().endswith("failed: this model fails on purpose")


def test_no_wait_prints_the_id_at_once(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(on(emu, "run", "--no-wait", "replicate/slow", "seconds=0.2")) == 0
    prediction_id = capsys.readouterr().out.strip()
    prediction = client_of(emu).predictions.get(prediction_id)
    assert prediction.status in ("starting", "processing")
    assert prediction.model == "replicate/slow"


def test_output_dir_saves_png_files_and_prints_their_paths(
    emu: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = on(emu, "run", "replicate/image", "prompt=a fox", "num_outputs=2", "--output-dir")
    assert main([*args, str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [str(out / "out-0.png"), str(out / "out-1.png")]
    for path in printed:
        assert Path(path).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_file_outputs_without_output_dir_print_their_urls(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(on(emu, "run", "replicate/image", "prompt=a fox")) == 0
    (url,) = capsys.readouterr().out.splitlines()
    assert url.startswith(emu.delivery_url) and url.endswith("/out-0.png")


def test_logs_are_printed_on_stderr(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(on(emu, "run", "replicate/slow", "seconds=0.1", "steps=2", "--logs")) == 0
    captured = capsys.readouterr()
    assert captured.out == "finished after 0.1 seconds\n"
    assert " 50%|#####     | 1/2" in captured.err.splitlines()
    assert "100%|##########| 2/2" in captured.err.splitlines()


def test_live_view_on_a_terminal_shows_status_elapsed_time_and_progress(
    emu: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich then treats stderr as a terminal
    monkeypatch.setenv("COLUMNS", "120")
    assert main(on(emu, "run", "replicate/slow", "seconds=0.6", "steps=3")) == 0
    captured = capsys.readouterr()
    assert captured.out == "finished after 0.6 seconds\n"  # the live view stays on stderr
    assert "replicate/slow" in captured.err
    assert "processing" in captured.err
    assert "s\x1b" in captured.err or "s " in captured.err  # the elapsed time, "0.3s"
    assert "/3" in captured.err  # the progress bar's count, from the tqdm lines in the logs
    assert "━" in captured.err  # and the bar itself


def test_webhook_options_reach_the_prediction(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    delivered: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        delivered.append(request)
        return httpx.Response(204)

    emu.app.engine.webhook_transport = httpx.MockTransport(receive)
    url = "https://example.com/hooks/replicate"
    args = ["replicate/hello-world", "text=hook", "--webhook", url, "--webhook-events", "completed"]
    assert main(on(emu, "run", *args)) == 0
    deadline = time.monotonic() + 5
    while not delivered and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [str(request.url) for request in delivered] == [url]
    assert json.loads(delivered[0].content)["output"] == "hello hook"


# -- streaming ---------------------------------------------------------------------------------


def test_stream_prints_the_tokens(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["replicate/language-model", "prompt=hi there", "max_tokens:=12"]
    assert main(on(emu, "stream", *args)) == 0
    assert capsys.readouterr().out == LANGUAGE_MODEL_TEXT + "\n"


def test_stream_falls_back_to_polling_without_an_event_stream(
    emu: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(self: Prediction, use_file_output: bool | None = None) -> None:
        raise NotImplementedError

    monkeypatch.setattr(Prediction, "stream", unavailable)
    args = ["replicate/language-model", "prompt=hi there", "max_tokens:=12"]
    assert main(on(emu, "stream", *args)) == 0
    assert capsys.readouterr().out == LANGUAGE_MODEL_TEXT + "\n"


def test_run_of_a_token_streaming_model_prints_text(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    # replicate/language-model's schema marks its output a token stream: printed as text
    args = ["replicate/language-model", "prompt=hi there", "max_tokens:=12"]
    assert main(on(emu, "run", *args)) == 0
    assert capsys.readouterr().out == LANGUAGE_MODEL_TEXT + "\n"


def test_streamed_tokens_reach_stdout_before_the_model_ends(emu: Emulator, tmp_path: Path) -> None:
    # 64 tokens at the emulator's 50 a second: about 1.3 s of output
    args = on(emu, "stream", "replicate/language-model", "prompt=hi", "max_tokens:=64")
    process = subprocess.Popen(
        [sys.executable, "-m", "replicate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=fresh_env(),
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.read(2)  # blocks until the first token is flushed
        assert first == b"hi"
        assert process.poll() is None  # ... while the model is still producing
        rest, _ = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert (first + rest).decode().startswith("hi Replicate runs machine learning models")


def in_a_terminal(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run ``python -m replicate argv`` with stderr on a pseudo-terminal, 120 columns wide.

    Returns the exit code, stdout, and what the terminal received (escape codes removed).
    """
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**fresh_env(), "TERM": "xterm-256color", "COLUMNS": "120"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "replicate", *argv],
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=env,
        cwd=cwd,
    )
    os.close(terminal)
    received = b""
    try:
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            received += chunk
        out, _ = process.communicate(timeout=30)
    finally:
        os.close(controller)
        process.kill()
        process.wait()
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", received.decode("utf-8", "replace"))
    return process.returncode, out.decode(), screen


def test_logs_show_in_a_terminal_progress_lines_included(emu: Emulator, tmp_path: Path) -> None:
    argv = on(emu, "run", "replicate/slow", "seconds=0.4", "steps=4", "--logs")
    code, out, screen = in_a_terminal(argv, tmp_path)
    assert code == 0, screen
    assert out == "finished after 0.4 seconds\n"
    lines = [line.strip() for line in screen.replace("\r", "\n").split("\n")]
    for progress in ("25%|##        | 1/4", "50%|#####     | 2/4", "100%|##########| 4/4"):
        assert progress in lines, screen


async def chatty(prompt: str) -> AsyncIterator[str]:
    """Streams three words, and logs a line after each, mid-line in the text."""
    for index in range(3):
        yield f"{prompt}{index} "
        log(f"step {index}")
        await asyncio.sleep(0.05)


def test_streamed_text_and_log_lines_never_share_a_line(emu: Emulator, tmp_path: Path) -> None:
    emu.register("acme/chatty", chatty)
    # stdout and stderr into one pipe, as a terminal or `2>&1` shows them
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "replicate",
            *on(emu, "stream", "acme/chatty", "prompt=w", "--logs"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=fresh_env(),
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    logged = [line for line in lines if "step" in line]
    assert logged == ["step 0", "step 1", "step 2"], result.stdout
    text = [line for line in lines if line.startswith("w")]
    assert "".join(text) == "w0 w1 w2 "  # the text, whole, with breaks only between lines
    assert lines[-1].startswith("prediction ") and lines[-1].endswith("s")  # its own line

    # stdout alone is exactly the text
    separate = run_cli(*on(emu, "stream", "acme/chatty", "prompt=w", "--logs"), cwd=tmp_path)
    assert separate.stdout == "w0 w1 w2 \n"
    assert [line for line in separate.stderr.splitlines() if "step" in line] == logged


# -- deployments -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deployment(emu: Emulator) -> str:
    client_of(emu).deployments.create(
        name="hello-prod",
        model="replicate/hello-world",
        version=HELLO_WORLD_VERSION,
        hardware="cpu",
        min_instances=0,
        max_instances=1,
    )
    return "emulator/hello-prod"


def test_run_on_a_deployment(
    emu: Emulator, deployment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(on(emu, "run", "--deployment", deployment, "text=deployed")) == 0
    captured = capsys.readouterr()
    assert captured.out == "hello deployed\n"
    prediction_id = captured.err.split()[1]  # "prediction ID (deployment ...) created"
    prediction = client_of(emu).predictions.get(prediction_id)
    assert prediction.dict()["deployment"] == deployment
    assert prediction.version == HELLO_WORLD_VERSION


def test_a_deployments_input_is_checked_by_its_versions_schema(
    emu: Emulator, deployment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(on(emu, "run", deployment, "txt=typo", "--deployment")) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"error: deployment {deployment} has no input 'txt'; its inputs are:"
    assert err[1].split() == ["text", "string", "required"]


def test_run_of_a_deployment_without_the_option_says_how(
    emu: Emulator, deployment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(on(emu, "run", deployment, "text=x")) == 3
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: Not found (HTTP 404)")
    assert line.endswith(f"; if {deployment} is a deployment, run it with --deployment")


def test_run_on_a_deployment_as_json(
    emu: Emulator, deployment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(on(emu, "run", "--deployment", deployment, "text=j", "--json")) == 0
    assert json.loads(capsys.readouterr().out)["output"] == "hello j"


# -- Ctrl-C ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_a_signal_cancels_the_prediction_and_exits_128_plus_its_number(
    emu: Emulator, tmp_path: Path, sent: signal.Signals, code: int
) -> None:
    args = on(emu, "run", "replicate/slow", "seconds=10", "--logs")
    process = subprocess.Popen(
        [sys.executable, "-m", "replicate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=fresh_env(),
        cwd=tmp_path,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()  # "prediction ID (replicate/slow) created"
        prediction_id = first.split()[1]
        line = first
        while "processing" not in line:
            line = process.stderr.readline()
            assert line, "the command ended before the prediction ran"
        process.send_signal(sent)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == code, err
    assert out == ""
    assert f"prediction {prediction_id} is canceled" in err
    assert "Traceback" not in err
    assert client_of(emu).predictions.get(prediction_id).status == "canceled"


def test_ctrl_c_in_process_cancels_the_prediction(
    emu: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(self: Prediction) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Prediction, "reload", interrupted)
    assert main(on(emu, "run", "replicate/slow", "seconds=10")) == 130
    monkeypatch.undo()
    err = capsys.readouterr().err
    prediction_id = err.split()[1]
    assert client_of(emu).predictions.get(prediction_id).status == "canceled"
