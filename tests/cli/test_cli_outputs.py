"""How a finished prediction's output is printed and its files saved (no network: data URIs)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

import replicate
from replicate.cli._outputs import OutputWriter, is_token_stream
from replicate.testing import png

PNG = png(2, 2)
PNG_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()
FILE = {"type": "string", "format": "uri"}
TOKENS = {
    "type": "array",
    "items": {"type": "string"},
    "x-cog-array-type": "iterator",
    "x-cog-array-display": "concatenate",
}


def writer(schema: dict[str, Any] | None, output_dir: Path | None = None) -> OutputWriter:
    return OutputWriter(replicate.Client(api_token="unused"), schema, output_dir)


@pytest.mark.parametrize(
    ("schema", "output", "printed"),
    [
        ({"type": "string"}, "hello world", "hello world"),
        (TOKENS, ["hel", "lo", " world"], "hello world"),
        ({"type": "array", "items": {"type": "string"}}, ["cat", "dog"], "cat\ndog"),
        ({"type": "array", "items": {"type": "integer"}}, [1, 2], "1\n2"),
        ({"type": "object"}, {"score": 0.5}, '{\n  "score": 0.5\n}'),
        ({"type": "string"}, "https://example.com/not-a-file", "https://example.com/not-a-file"),
        (None, "https://example.com/out.png", "https://example.com/out.png"),
        (
            FILE,
            PNG_URI,
            f"data:image/png;... ({len(PNG_URI)} characters; save it with --output-dir)",
        ),
        (None, None, None),
    ],
)
def test_rendering(schema: dict[str, Any] | None, output: Any, printed: str | None) -> None:
    assert writer(schema).render(output) == printed


def test_data_uri_files_are_saved_with_a_name_from_their_type(tmp_path: Path) -> None:
    schema = {"type": "array", "items": FILE}
    files = writer(schema, tmp_path)
    # the same file twice is saved once
    assert files.save([PNG_URI, PNG_URI]) == [tmp_path / "output-0.png"] * 2
    assert (tmp_path / "output-0.png").read_bytes() == PNG
    assert files.render([PNG_URI]) == str(tmp_path / "output-0.png")


def test_files_inside_an_object_are_saved_and_shown_by_path(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"image": FILE, "caption": {"type": "string"}}}
    files = writer(schema, tmp_path)
    output = {"image": PNG_URI, "caption": "data:not a file"}
    assert files.save(output) == [tmp_path / "output.png"]
    assert str(tmp_path / "output.png") in (files.render(output) or "")
    assert '"caption": "data:not a file"' in (files.render(output) or "")


def test_token_streams_are_recognised() -> None:
    assert is_token_stream(TOKENS)
    iterator_of_text = {
        "type": "array",
        "items": {"type": "string"},
        "x-cog-array-type": "iterator",
    }
    assert is_token_stream(iterator_of_text)
    assert not is_token_stream({**iterator_of_text, "items": FILE})
    assert not is_token_stream({"type": "array", "items": {"type": "string"}})
    assert not is_token_stream(None)
