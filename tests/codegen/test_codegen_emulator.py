"""``replicate codegen`` against the emulator: the modules it writes pass mypy --strict and the
project's ruff, mypy rejects wrong calls, and the functions run the models (sync and async)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Literal

import pytest
from codegen_tools import ruff_problems, run_mypy

import replicate
from replicate.cli import main
from replicate.codegen import CodegenError, generate
from replicate.exceptions import ModelVersionError, ModelVersionWarning, ReplicateError
from replicate.testing import Emulator, OutputFile

Load = Callable[[str], ModuleType]


def upscale(
    image: Path,
    scale: Literal[2, 4] = 2,
    mode: Literal["fast", "best"] = "fast",
    face_enhance: bool = False,
    prompt: str | None = None,
) -> OutputFile:
    """Upscales an image (here: says what it was given)."""
    text = f"{image.read_bytes()[:8]!r} x{scale} {mode} {face_enhance} {prompt}"
    return OutputFile(text.encode(), "upscaled.txt", "text/plain")


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(seed=11) as emulator:
        emulator.register("acme/upscale", upscale)
        yield emulator


@pytest.fixture(scope="module")
def client(emu: Emulator) -> Iterator[replicate.Client]:
    with replicate.Client(api_token=emu.api_token, base_url=emu.base_url) as client:
        yield client


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test works in a folder of its own: modules are written where they say."""
    monkeypatch.chdir(tmp_path)


def on(emu: Emulator) -> list[str]:
    return ["--base-url", emu.base_url, "--token", emu.api_token]


def codegen(
    emu: Emulator, capsys: pytest.CaptureFixture[str], *args: str, code: int = 0
) -> tuple[str, str]:
    """Run ``replicate codegen`` against ``emu``: its stdout and stderr."""
    assert main(["codegen", *args, *on(emu)]) == code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.out, captured.err


GOOD = """\
import asyncio
from pathlib import Path

import replicate
from models.caption import caption
from models.image import async_image, image
from models.upscale import Mode, async_upscale, upscale

client = replicate.Client()
[picture] = image(prompt="a fox", num_outputs=1, client=client)
local: Path = Path(picture)
bigger = upscale(image=picture, scale=4, mode="best", client=client)
again = upscale(image=Path("photo.png"), prompt=None)
from_bytes = upscale(image=b"\\x89PNG", face_enhance=True)
mode: Mode = "fast"
print(bigger.url, again.url, from_bytes, upscale(image="https://x/y.png", mode=mode))
text: str = caption(image=picture, detail="long")


async def main() -> str:
    pictures: list[replicate.URLPath] = await async_image(prompt="b")
    result = await async_upscale(image=pictures[0], scale=2)
    return result.url


print(asyncio.run(main()))
"""

BAD = """\
from models.caption import caption
from models.image import image
from models.upscale import upscale

image(prompt="a fox", colour="red")
image(prompt=3)
upscale(image="x.png", scale=3)
upscale(image="x.png", mode="slow")
upscale(scale=2)
words: int = image(prompt="a fox")
caption(image=3.5)
"""


def test_codegen_output_passes_mypy_and_ruff_and_mypy_rejects_wrong_calls(
    emu: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path, mypy_cache: Path
) -> None:
    out, _ = codegen(
        emu, capsys, "replicate/image", "replicate/caption", "acme/upscale", "--output", "models"
    )
    # paths as given: relative to the working directory (the test's folder)
    assert out == "models/image.py\nmodels/caption.py\nmodels/upscale.py\n"
    for name in ("image", "caption", "upscale"):
        assert ruff_problems((tmp_path / "models" / f"{name}.py").read_text()) == ""
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text(BAD)

    errors = run_mypy(["good.py", "bad.py"], tmp_path, mypy_cache)

    assert set(errors) - {"output", "code"} == {"bad.py"}, errors["output"]
    assert errors["bad.py"] == [
        (5, 'Unexpected keyword argument "colour" for "image"  [call-arg]'),
        (6, 'Argument "prompt" to "image" has incompatible type "int"; expected "str"  [arg-type]'),
        (
            7,
            'Argument "scale" to "upscale" has incompatible type "Literal[3]"; '
            'expected "Literal[2, 4]"  [arg-type]',
        ),
        (
            8,
            'Argument "mode" to "upscale" has incompatible type "Literal[\'slow\']"; '
            "expected \"Literal['fast', 'best']\"  [arg-type]",
        ),
        (9, 'Missing named argument "image" for "upscale"  [call-arg]'),
        (
            10,
            'Incompatible types in assignment (expression has type "list[URLPath]", '
            'variable has type "int")  [assignment]',
        ),
        (
            11,
            'Argument "image" to "caption" has incompatible type "float"; expected '
            '"str | PathLike[str] | IO[bytes] | bytes | bytearray | memoryview[int] | '
            'FileOutput"  [arg-type]',
        ),
    ], errors["output"]


def test_generated_functions_run_the_models(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str], load: Load
) -> None:
    codegen(
        emu,
        capsys,
        "replicate/image",
        "replicate/caption",
        "acme/upscale",
        "replicate/hello-world",
        "replicate/language-model",
        "--output",
        "models",
    )
    image, captioner, upscaler, hello, language = (
        load(Path("models", f"{name}.py").read_text())
        for name in ("image", "caption", "upscale", "hello_world", "language_model")
    )

    assert hello.hello_world(text="Alice", client=client) == "hello Alice"
    pictures = image.image(prompt="a fox", num_outputs=2, client=client)
    assert [type(p) for p in pictures] == [replicate.URLPath, replicate.URLPath]
    # a file output feeds another model's file input, passed on by its URL
    result = upscaler.upscale(image=pictures[0], scale=4, mode="best", client=client)
    assert isinstance(result, replicate.URLPath)
    assert Path(result).read_text() == "b'\\x89PNG\\r\\n\\x1a\\n' x4 best False None"
    assert pictures[0].url and not pictures[0].url.startswith("data:")
    assert captioner.caption(image=pictures[1], client=client) == "a 64x64 PNG image"
    text = language.language_model(prompt="Hi there", max_tokens=4, client=client)
    assert text == "Hi there Replicate runs"

    async def twins() -> tuple[object, object]:
        async with replicate.Client(api_token=emu.api_token, base_url=emu.base_url) as client:
            [picture] = await image.async_image(prompt="b", client=client)
            upscaled = await upscaler.async_upscale(image=Path(picture), prompt="p", client=client)
            words = await language.async_language_model(prompt="Hi", max_tokens=2, client=client)
            return Path(upscaled).read_text(), words

    assert asyncio.run(twins()) == ("b'\\x89PNG\\r\\n\\x1a\\n' x2 fast False p", "Hi Replicate")


def test_the_default_client_runs_them(
    emu: Emulator, capsys: pytest.CaptureFixture[str], load: Load, monkeypatch: pytest.MonkeyPatch
) -> None:
    codegen(emu, capsys, "replicate/hello-world", "--output", "models")
    module = load(Path("models/hello_world.py").read_text())
    monkeypatch.setenv("REPLICATE_API_TOKEN", emu.api_token)
    monkeypatch.setenv("REPLICATE_BASE_URL", emu.base_url)
    monkeypatch.setattr(replicate, "default_client", replicate.Client())
    assert module.hello_world(text="Bob") == "hello Bob"


def test_a_module_from_an_older_version_warns_once_and_raises_with_the_option(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str], load: Load
) -> None:
    def shout(text: str) -> str:
        return text.upper()

    emu.register("acme/shout", shout)
    codegen(emu, capsys, "acme/shout", "--output", "warns")
    codegen(emu, capsys, "acme/shout", "--output", "raises", "--on-new-version", "error")
    warns = load(Path("warns/shout.py").read_text())
    raises = load(Path("raises/shout.py").read_text())
    assert raises.ON_NEW_VERSION == "error"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the version is the same: nothing to say
        assert warns.shout(text="a", client=client) == "A"
        assert raises.shout(text="a", client=client) == "A"

    def shout_twice(text: str, times: int = 2) -> str:
        return text.upper() * times

    emu.register("acme/shout", shout_twice)  # a new version
    newer = replicate.Client(api_token=emu.api_token, base_url=emu.base_url)
    with pytest.warns(ModelVersionWarning) as caught:
        assert warns.shout(text="a", client=newer) == "AA"
    assert len(caught) == 1
    assert warns.VERSION in str(caught[0].message)
    assert f"`{warns.REGENERATE}`" in str(caught[0].message)  # the exact command to run
    assert caught[0].filename == __file__  # it points at the call, not into the module
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warns.shout(text="b", client=newer) == "BB"  # once
    with pytest.raises(ModelVersionError, match=raises.VERSION):
        raises.shout(text="a", client=newer)
    newer.close()

    async def twins() -> None:
        async with replicate.Client(api_token=emu.api_token, base_url=emu.base_url) as client:
            with pytest.warns(ModelVersionWarning):  # the async twin says it too, once
                assert await warns.async_shout(text="d", client=client) == "DD"
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assert await warns.async_shout(text="e", client=client) == "EE"
            with pytest.raises(ModelVersionError):
                await raises.async_shout(text="a", client=client)

    asyncio.run(twins())

    # regenerating is the same command, which the module records
    header = Path("warns/shout.py").read_text().splitlines()[3]
    assert header == "# Regenerate: replicate codegen acme/shout --output warns"
    codegen(emu, capsys, "acme/shout", "--output", "warns")
    regenerated = load(Path("warns/shout.py").read_text())
    assert regenerated.VERSION != warns.VERSION
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert regenerated.shout(text="c", times=3, client=newer) == "CCC"


def test_a_pinned_version_runs_that_version(
    emu: Emulator, client: replicate.Client, capsys: pytest.CaptureFixture[str], load: Load
) -> None:
    version = client.models.get("acme/upscale").latest_version
    assert version is not None
    codegen(emu, capsys, f"acme/upscale:{version.id}", "--output", "pinned")
    module = load(Path("pinned/upscale.py").read_text())
    assert version.id == module.VERSION
    assert 'use(f"{MODEL}:{VERSION}")' in Path("pinned/upscale.py").read_text()
    output = module.upscale(image=b"\x89PNG", client=client)
    assert Path(output).read_text() == "b'\\x89PNG' x2 fast False None"


def test_regenerating_writes_the_same_bytes(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    codegen(emu, capsys, "acme/upscale", "replicate/hello-world", "--output", "same")
    first = {path.name: path.read_bytes() for path in Path("same").iterdir()}
    stamps = {path.name: path.stat().st_mtime_ns for path in Path("same").iterdir()}
    out, _ = codegen(emu, capsys, "acme/upscale", "replicate/hello-world", "--output", "same")
    assert out == "same/upscale.py\nsame/hello_world.py\n"
    assert {path.name: path.read_bytes() for path in Path("same").iterdir()} == first
    # unchanged modules are not rewritten (tools that watch files see nothing)
    assert {path.name: path.stat().st_mtime_ns for path in Path("same").iterdir()} == stamps
    assert sorted(first) == ["hello_world.py", "upscale.py"]


def test_models_sharing_a_name_get_their_owners_in_their_module_names(
    emu: Emulator, client: replicate.Client
) -> None:
    def hello(text: str) -> str:
        return f"hi {text}"

    emu.register("acme/hello-world", hello)
    paths = generate(["replicate/hello-world", "acme/hello-world"], "shared", client=client)
    assert paths == [Path("shared/replicate_hello_world.py"), Path("shared/acme_hello_world.py")]
    assert "def acme_hello_world(" in paths[1].read_text()


def test_a_module_never_shadows_the_package(emu: Emulator, client: replicate.Client) -> None:
    def echo(text: str) -> str:
        return text

    emu.register("acme/replicate", echo)
    [path] = generate(["acme/replicate"], ".", client=client)
    assert path == Path("replicate_.py")
    assert "def replicate_(" in path.read_text()


def test_generate_is_the_python_function_behind_the_command(
    client: replicate.Client, load: Load
) -> None:
    [path] = generate("replicate/hello-world", Path("lib"), client=client, on_new_version="error")
    text = path.read_text()
    assert (
        "# Regenerate: replicate codegen replicate/hello-world --output lib --on-new-version error"
        in text
    )
    assert load(text).hello_world(text="x", client=client) == "hello x"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["acme", "--output", "x"], "error: Invalid reference 'acme'"),
        (["0" * 64, "--output", "x"], "is a bare version id: give owner/name:"),
        (["emulator/no-versions", "--output", "x"], "emulator/no-versions has no version"),
        (["acme/upscale", "--output", "x", "--on-new-version", "never"], "invalid choice"),
        (["acme/upscale"], "the following arguments are required: --output"),
        (["--output", "x"], "the following arguments are required: MODEL"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    emu: Emulator,
    client: replicate.Client,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    if "emulator/no-versions" in args:
        with contextlib.suppress(ReplicateError):  # made by an earlier case
            client.models.create("emulator", "no-versions", visibility="private", hardware="cpu")
    _, err = codegen(emu, capsys, *args, code=2)
    assert len(err.splitlines()) == 1 and message in err, err
    assert not Path("x").exists()  # nothing written


def test_a_model_that_does_not_exist_is_an_api_error(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    _, err = codegen(emu, capsys, "replicate/image", "acme/nothing", "--output", "x", code=3)
    assert err.startswith("error: ") and "404" in err and len(err.splitlines()) == 1
    assert not Path("x").exists()  # the first model's module is not written either


def test_an_output_folder_that_cannot_be_written_is_a_usage_error(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("taken").write_text("a file, not a folder")
    _, err = codegen(emu, capsys, "replicate/hello-world", "--output", "taken", code=2)
    assert err.startswith("error: ") and "taken" in err


def test_the_emulator_option_generates_from_a_fresh_emulator(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["codegen", "--emulator", "replicate/hello-world", "-o", "fresh"]) == 0
    text = Path("fresh/hello_world.py").read_text()
    assert "# Regenerate: replicate codegen replicate/hello-world --output fresh --emulator" in text
    assert capsys.readouterr().out == "fresh/hello_world.py\n"


def test_render_errors_raise_codegen_error(client: replicate.Client) -> None:
    with pytest.raises(CodegenError, match="no model given"):
        generate([], "x", client=client)
    assert not os.path.exists("x")
