"""While the command line retries a request, it says so: one line per retry, at once."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from replicate.cli import main
from replicate.cli._logging import describe_reason, notice
from replicate.testing import Emulator

SECRET = "r8_SecretTokenThatMustNeverBePrinted0"
NOTICE = re.compile(r"retrying in (\d+(?:\.\d)?) s \(attempt (\d+) of (\d+)\): (.+)")


class TimedStderr:
    """A stand-in for sys.stderr that notes when each line was written."""

    def __init__(self) -> None:
        self.lines: list[tuple[float, str]] = []
        self._partial = ""

    def write(self, text: str) -> int:
        self._partial += text
        *complete, self._partial = self._partial.split("\n")
        self.lines += [(time.monotonic(), line) for line in complete]
        return len(text)

    def flush(self) -> None:
        pass


def test_each_retry_is_announced_within_a_second(
    closed_port_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stderr = TimedStderr()
    monkeypatch.setattr(sys, "stderr", stderr)
    started = time.monotonic()
    argv = ["hardware", "--base-url", closed_port_url, "--token", SECRET, "--max-retries", "2"]
    assert main(argv) == 3
    monkeypatch.undo()

    (first_at, first), (_, second), (_, last) = stderr.lines
    assert first_at - started < 1.0  # the first failure is immediate: so is its notice
    assert NOTICE.fullmatch(first) and NOTICE.fullmatch(second), stderr.lines
    assert first.endswith("(attempt 2 of 3): connection refused")
    assert second.endswith("(attempt 3 of 3): connection refused")
    assert last.startswith(f"error: could not reach {closed_port_url.removesuffix('/v1')}")
    assert all(SECRET not in line for _, line in stderr.lines)


def test_an_http_503_is_retried_and_announced(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emu.faults.add("GET /v1/hardware", status=503, times=1)
    assert main(["hardware", "--base-url", emu.base_url, "--token", emu.api_token]) == 0
    captured = capsys.readouterr()
    assert "cpu" in captured.out
    (line,) = captured.err.splitlines()
    match = NOTICE.fullmatch(line)
    assert match is not None, line
    assert match.group(2, 3, 4) == ("2", "6", "service unavailable (HTTP 503)")


def test_no_retries_no_notice(closed_port_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["account", "--base-url", closed_port_url, "--max-retries", "0"]) == 3
    assert capsys.readouterr().err.startswith("error: could not reach")


def test_notices_come_through_the_real_entry_point(closed_port_url: str, tmp_path: Path) -> None:
    command = ["predictions", "list", "--base-url", closed_port_url, "--max-retries", "1"]
    result = subprocess.run(
        [sys.executable, "-m", "replicate", *command, "--token", SECRET],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 3
    notice_line, error = result.stderr.splitlines()
    assert NOTICE.fullmatch(notice_line)
    assert notice_line.endswith("(attempt 2 of 2): connection refused")
    assert error.startswith("error: could not reach")
    assert SECRET not in result.stderr


@pytest.mark.parametrize(
    ("delay", "number", "limit", "reason", "line"),
    [
        (
            0.43,
            1,
            5,
            "ConnectError: [Errno 111] Connection refused",
            "retrying in 0.4 s (attempt 2 of 6): connection refused",
        ),
        (2.0, 2, 3, "HTTP 429", "retrying in 2 s (attempt 3 of 4): rate limited (HTTP 429)"),
        (60.0, 1, 1, "HTTP 500", "retrying in 60 s (attempt 2 of 2): HTTP 500"),
        (
            7.96,
            4,
            5,
            "RemoteProtocolError: Server disconnected without sending a response.",
            "retrying in 8 s (attempt 5 of 6): server disconnected without sending a response.",
        ),
        (1.0, 1, 5, "ReadError", "retrying in 1 s (attempt 2 of 6): ReadError"),
    ],
)
def test_notice_wording(delay: float, number: int, limit: int, reason: str, line: str) -> None:
    assert notice(delay, number, limit, reason) == line


def test_reasons_keep_acronyms() -> None:
    assert describe_reason("ConnectError: SSL: CERTIFICATE_VERIFY_FAILED") == (
        "SSL: CERTIFICATE_VERIFY_FAILED"
    )
