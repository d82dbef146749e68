"""`replicate.stream` is both 1.x's module (for ServerSentEvent) and the function."""

from __future__ import annotations

import subprocess
import sys


def test_stream_module_imports_and_stays_callable() -> None:
    code = """
import os, replicate
from replicate.testing import Emulator
with Emulator() as emu:
    os.environ["REPLICATE_API_TOKEN"] = emu.api_token
    os.environ["REPLICATE_BASE_URL"] = emu.base_url
    from replicate.stream import ServerSentEvent
    input = {"prompt": "a", "max_tokens": 2}
    events = list(replicate.stream("replicate/language-model", input=input))
    assert all(isinstance(event, ServerSentEvent) for event in events)
    print("".join(str(event) for event in events))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "a Replicate\n"
