"""``use()`` typed as the official SDK types it: a ``hint`` signature, or a class with a
``name`` and a typed ``__call__``; mypy --strict accepts right calls and rejects wrong ones.
And both forms run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from replicate.client import Client
from replicate.testing import Emulator

USER_CODE = """
import replicate
from replicate.function import FileLike


def hint(*, text: str) -> str:
    raise NotImplementedError


class Caption:
    name = "replicate/caption"

    def __call__(self, *, image: FileLike, detail: str = "short") -> str:
        raise NotImplementedError


hello = replicate.use("replicate/hello-world", hint=hint)
greeting: str = hello(text="x")
caption = replicate.use(Caption())
described: str = caption(image=b"png")
plain = replicate.use("replicate/hello-world")
plain(anything=1)  # no hint: any keywords


async def main() -> None:
    async_hello = replicate.use("replicate/hello-world", hint=hint, use_async=True)
    text: str = await async_hello(text="x")
    print(text)


hello(txt="x")  # WRONG: unknown input
caption(image=3)  # WRONG: not a file
number: int = hello(text="x")  # WRONG: the output is a str
"""


def test_hints_and_class_references_type_the_function(tmp_path: Path) -> None:
    script = tmp_path / "user.py"
    script.write_text(USER_CODE)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / ".mypy"),
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    wrong = [
        index + 1 for index, line in enumerate(USER_CODE.splitlines()[1:], 1) if "WRONG" in line
    ]
    assert sorted({int(line.split(":")[1]) for line in errors}) == wrong, result.stdout
    assert 'Unexpected keyword argument "txt"' in result.stdout
    assert (
        'Argument "image" to "__call__" of "Function" has incompatible type "int"' in result.stdout
    )


class Hello:
    name = "replicate/hello-world"

    def __call__(self, *, text: str) -> str:
        raise NotImplementedError


def test_class_references_and_hints_run() -> None:
    def hint(*, text: str) -> str:
        raise NotImplementedError

    with Emulator() as emu:
        client = Client(api_token=emu.api_token, base_url=emu.base_url)
        assert client.use(Hello())(text="class") == "hello class"
        assert client.use("replicate/hello-world", hint=hint)(text="hint") == "hello hint"
        with pytest.raises(TypeError, match="keyword arguments"):
            client.use("replicate/hello-world")("positional")  # type: ignore[call-arg]
        client.close()
