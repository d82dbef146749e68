"""``key=value`` inputs: typed by the model's schema, and rejected before anything is created."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

import replicate
from replicate.cli import main
from replicate.cli._errors import UsageError
from replicate.cli._inputs import InputSchema, build_input
from replicate.testing import Emulator

# A version schema as cog writes it, an enum behind allOf/$ref included.
COG_SCHEMA: dict[str, Any] = {
    "components": {
        "schemas": {
            "Input": {
                "type": "object",
                "required": ["prompt"],
                "properties": {
                    "prompt": {"type": "string", "x-order": 0, "description": "What to draw"},
                    "num_outputs": {
                        "type": "integer",
                        "default": 1,
                        "minimum": 1,
                        "maximum": 4,
                        "x-order": 1,
                    },
                    "guidance": {"type": "number", "default": 7.5, "x-order": 2},
                    "safety": {"type": "boolean", "default": True, "x-order": 3},
                    "scheduler": {
                        "allOf": [{"$ref": "#/components/schemas/scheduler"}],
                        "default": "K_EULER",
                        "x-order": 4,
                    },
                    "sizes": {"type": "array", "items": {"type": "integer"}, "x-order": 5},
                    "image": {"type": "string", "format": "uri", "x-order": 6},
                    "options": {"type": "object", "x-order": 7},
                },
            },
            "scheduler": {"type": "string", "enum": ["DDIM", "K_EULER"], "title": "scheduler"},
        }
    }
}


def schema() -> InputSchema:
    found = InputSchema.of(COG_SCHEMA)
    assert found is not None
    return found


def build(*arguments: str) -> dict[str, Any]:
    return build_input(list(arguments), schema(), "acme/painter")


def test_values_are_typed_by_the_schema() -> None:
    assert build(
        "prompt=a fox",
        "num_outputs=2",
        "guidance=3",
        "safety=no",
        "scheduler=DDIM",
        "sizes=512, 768",
        'options={"seed": 1}',
    ) == {
        "prompt": "a fox",
        "num_outputs": 2,
        "guidance": 3.0,
        "safety": False,
        "scheduler": "DDIM",
        "sizes": [512, 768],
        "options": {"seed": 1},
    }


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("sizes=[1,2]", [1, 2]),
        ("sizes=", []),
        ("safety=TRUE", True),
        ("safety=0", False),
        ("guidance=-0.5", -0.5),
        ("prompt=x=y", "x=y"),  # only the first = separates
        ("prompt=@@handle", "@handle"),  # @@ is a literal @
        ("prompt=", ""),
    ],
)
def test_value_forms(argument: str, value: Any) -> None:
    key = argument.partition("=")[0]
    inputs = build(argument) if key == "prompt" else build("prompt=p", argument)
    assert inputs[key] == value


def test_a_repeated_array_key_adds_items() -> None:
    assert build("prompt=p", "sizes=1", "sizes=2,3")["sizes"] == [1, 2, 3]


def test_json_values_with_colon_equals() -> None:
    assert build('prompt:="p"', "num_outputs:=3", "sizes:=[1]") == {
        "prompt": "p",
        "num_outputs": 3,
        "sizes": [1],
    }


def test_at_path_is_a_file_input(tmp_path: Path) -> None:
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG")
    assert build("prompt=p", f"image=@{image}")["image"] == image


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("num_outputs=two", "input 'num_outputs' is an integer, got 'two'"),
        ("num_outputs=9", "input 'num_outputs' must be at most 4, got 9"),
        ("guidance=fast", "input 'guidance' is a number, got 'fast'"),
        ("safety=maybe", "input 'safety' is a boolean (true or false), got 'maybe'"),
        ("scheduler=PNDM", "input 'scheduler' must be one of: DDIM, K_EULER (got PNDM)"),
        ("sizes=1,x", "input 'sizes' is an integer, got 'x'"),
        ("options=[1]", "input 'options' is a JSON object, got '[1]'"),
        ("num_outputs:=true", "input 'num_outputs' is an integer, got true"),
        ("image=@missing.png", "input 'image': no such file: missing.png"),
        ("prompt=@notes.txt", "'@notes.txt' names a file, but this input is text"),
        ("prompt=p", "input 'prompt' is given more than once"),
        ("nokey", "expected an input as key=value (or key:=JSON), got 'nokey'"),
        ("=value", "expected an input as key=value"),
        ("sizes:=[1,", "input 'sizes': '[1,' is not valid JSON"),
    ],
)
def test_bad_values_are_usage_errors(argument: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        build("prompt=p", argument)
    assert message in str(raised.value)


def test_unknown_keys_are_rejected_with_the_listing() -> None:
    with pytest.raises(UsageError) as raised:
        build("prompt=p", "steps=3")
    assert str(raised.value) == "acme/painter has no input 'steps'; its inputs are:"
    assert raised.value.details == [
        "  prompt       string                         required",
        "  num_outputs  integer, 1 to 4                default: 1",
        "  guidance     number                         default: 7.5",
        "  safety       boolean                        default: true",
        "  scheduler    string, one of: DDIM, K_EULER  default: K_EULER",
        "  sizes        array of integer               optional",
        "  image        file                           optional",
        "  options      object                         optional",
    ]


def test_missing_required_inputs_are_rejected_with_the_listing() -> None:
    with pytest.raises(UsageError) as raised:
        build("num_outputs=2")
    assert str(raised.value) == "acme/painter needs the input 'prompt'; its inputs are:"
    assert raised.value.details[0].split() == ["prompt", "string", "required"]


def test_without_a_schema_values_are_text_and_colon_equals_is_json(tmp_path: Path) -> None:
    file = tmp_path / "a.txt"
    file.write_text("a")
    assert build_input(
        ["prompt=7", "max_tokens:=7", f"doc=@{file}", "handle=@@me"], None, "acme/llm"
    ) == {"prompt": "7", "max_tokens": 7, "doc": file, "handle": "@me"}


def test_no_schema_in_a_version_means_none() -> None:
    assert InputSchema.of(None) is None
    assert InputSchema.of({"components": {"schemas": {}}}) is None


# -- through the command line, on the emulator --------------------------------------------------


def typed(
    text: str,
    count: int = 1,
    ratio: float = 0.5,
    loud: bool = False,
    mode: Literal["fast", "slow"] = "fast",
    tags: list[str] | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Says what it was given."""
    return {
        "text": text,
        "count": count,
        "ratio": ratio,
        "loud": loud,
        "mode": mode,
        "tags": tags,
        "options": options,
    }


def measure(image: Path) -> int:
    """The size of the file it was given."""
    return len(image.read_bytes())


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        emulator.register("acme/typed", typed)
        emulator.register("acme/measure", measure)
        yield emulator


def on(emu: Emulator, *args: str) -> list[str]:
    return ["--base-url", emu.base_url, "--token", emu.api_token, *args]


def prediction_count(emu: Emulator) -> int:
    client = replicate.Client(api_token=emu.api_token, base_url=emu.base_url)
    return len(list(replicate.pagination.paginate_items(client.predictions.list)))


def test_typed_inputs_reach_the_model(emu: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "acme/typed",
        "text=hi",
        "count=3",
        "ratio=0.25",
        "loud=true",
        "mode=slow",
        "tags=a,b",
        'options={"k": 1}',
    ]
    assert main(on(emu, "run", *args)) == 0
    assert json.loads(capsys.readouterr().out) == {
        "text": "hi",
        "count": 3,
        "ratio": 0.25,
        "loud": True,
        "mode": "slow",
        "tags": ["a", "b"],
        "options": {"k": 1},
    }


def test_at_path_uploads_the_file(
    emu: Emulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG" + bytes(96))
    assert main(on(emu, "run", "acme/measure", f"image=@{image}")) == 0
    assert capsys.readouterr().out == "100\n"


@pytest.mark.parametrize(
    ("arguments", "first_line"),
    [
        (["txt=hi"], "error: acme/typed has no input 'txt'; its inputs are:"),
        (["count=3"], "error: acme/typed needs the input 'text'; its inputs are:"),
        (["text=hi", "mode=medium"], "error: input 'mode' must be one of: fast, slow"),
    ],
)
def test_bad_input_exits_2_before_any_prediction_is_created(
    emu: Emulator, capsys: pytest.CaptureFixture[str], arguments: list[str], first_line: str
) -> None:
    before = prediction_count(emu)
    assert main(on(emu, "run", "acme/typed", *arguments)) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(first_line)
    if "inputs are" in first_line:
        assert [line.split()[0] for line in err[1:]] == [
            "text",
            "count",
            "ratio",
            "loud",
            "mode",
            "tags",
            "options",
        ]
        assert err[1].split() == ["text", "string", "required"]
        assert err[2].split() == ["count", "integer", "default:", "1"]
        assert err[5].split() == [
            "mode",
            "string,",
            "one",
            "of:",
            "fast,",
            "slow",
            "default:",
            "fast",
        ]
    assert prediction_count(emu) == before
