"""A finished prediction's output on stdout, and its files saved to ``--output-dir``.

Which strings are files: where the version's ``Output`` schema says ``format: uri``, or, when
the model publishes no output schema, any ``http(s):`` or ``data:`` URL. Files are streamed
to disk through ``replicate.helpers.FileOutput`` (the API token never goes to a file host).

How the output is printed: a string as it is; a list one item per line (a token stream
joined, as the model means it); anything else as indented JSON. A saved file prints as its
path, an unsaved one as its URL (a ``data:`` URL shortened).

Example::

    writer = OutputWriter(client, output_schema, Path("out"))
    writer.save(["https://replicate.delivery/x/out-0.png"])  # writes out/out-0.png
    writer.print(["https://replicate.delivery/x/out-0.png"])  # prints out/out-0.png
"""

from __future__ import annotations

import json
import mimetypes
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from replicate.cli._inputs import resolve

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["OutputWriter", "is_token_stream", "output_schema"]

JSON = dict[str, Any]

_URL_PREFIXES = ("https://", "http://", "data:")


def output_schema(openapi_schema: JSON | None) -> JSON | None:
    """The version's ``Output`` schema, resolved, or None if it publishes none."""
    if not isinstance(openapi_schema, dict):
        return None
    components = openapi_schema.get("components", {}).get("schemas", {})
    if not isinstance(components, dict) or not isinstance(components.get("Output"), dict):
        return None
    return resolve(components["Output"], components)


def is_token_stream(schema: JSON | None) -> bool:
    """Whether the output is a stream of text to join (``x-cog-array-display: concatenate``).

    Example::

        is_token_stream({"type": "array", "items": {"type": "string"},
                         "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate"})
    """
    if not schema or schema.get("type") != "array":
        return False
    if schema.get("x-cog-array-display") == "concatenate":
        return True
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    assert isinstance(items, dict)
    return (
        schema.get("x-cog-array-type") == "iterator"
        and items.get("type") == "string"
        and items.get("format") != "uri"
    )


class OutputWriter:
    """Saves an output's files to a folder, and prints the output with their paths."""

    def __init__(self, client: Client, schema: JSON | None, output_dir: Path | None) -> None:
        self._client = client
        self._schema = schema
        self._output_dir = output_dir
        self._saved: dict[str, Path] = {}
        self._names: set[str] = set()

    def save(self, output: Any) -> list[Path]:
        """Download the output's files into the output folder (if one was given)."""
        if self._output_dir is None:
            return []
        urls = _file_urls(output, self._schema)
        for index, url in enumerate(urls):
            if url not in self._saved:
                self._saved[url] = self._download(url, self._name(url, index, len(urls)))
        return [self._saved[url] for url in urls]

    def print(self, output: Any) -> None:
        """Print the output on stdout (files as their saved paths, or their URLs)."""
        text = self.render(output)
        if text is not None:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()

    def render(self, output: Any) -> str | None:
        if output is None:
            return None
        schema = self._schema
        if isinstance(output, str):
            return self._scalar(output, schema)
        if isinstance(output, list):
            items = schema.get("items") if schema else None
            items = items if isinstance(items, dict) else None
            if is_token_stream(schema) and all(isinstance(item, str) for item in output):
                return "".join(output)
            if all(isinstance(item, str | int | float | bool) for item in output):
                return "\n".join(
                    self._scalar(item, items) if isinstance(item, str) else json.dumps(item)
                    for item in output
                )
        return json.dumps(self._replace_files(output, schema), indent=2, ensure_ascii=False)

    def _scalar(self, value: str, schema: JSON | None) -> str:
        if not _is_file(value, schema):
            return value
        if value in self._saved:
            return str(self._saved[value])
        if value.startswith("data:"):
            kind = value[5:].split(",", 1)[0].split(";", 1)[0] or "data"
            return f"data:{kind};... ({len(value)} characters; save it with --output-dir)"
        return value

    def _replace_files(self, value: Any, schema: JSON | None) -> Any:
        if isinstance(value, str):
            return self._scalar(value, schema)
        if isinstance(value, list):
            items = schema.get("items") if schema else None
            return [
                self._replace_files(item, items if isinstance(items, dict) else None)
                for item in value
            ]
        if isinstance(value, dict):
            properties = schema.get("properties") if schema else None
            properties = properties if isinstance(properties, dict) else {}
            return {
                key: self._replace_files(item, properties.get(key)) for key, item in value.items()
            }
        return value

    def _name(self, url: str, index: int, count: int) -> str:
        if url.startswith("data:"):
            kind = url[5:].split(",", 1)[0].split(";", 1)[0]
            extension = mimetypes.guess_extension(kind) or ".bin"
            name = f"output-{index}{extension}" if count > 1 else f"output{extension}"
        else:
            name = Path(unquote(urlparse(url).path)).name
            if name in ("", ".", ".."):
                name = f"output-{index}" if count > 1 else "output"
        stem, suffix = Path(name).stem, Path(name).suffix
        candidate, number = name, 1
        while candidate in self._names:  # two outputs with one name: keep both
            candidate = f"{stem}-{number}{suffix}"
            number += 1
        self._names.add(candidate)
        return candidate

    def _download(self, url: str, name: str) -> Path:
        from replicate.helpers import FileOutput

        assert self._output_dir is not None
        path = self._output_dir / name
        try:
            with path.open("wb") as file:
                for chunk in FileOutput(url, self._client):
                    file.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)  # no half-written file left behind
            raise
        return path


def _is_file(value: str, schema: JSON | None) -> bool:
    if not value.startswith(_URL_PREFIXES):
        return False
    if not schema or "type" not in schema:
        return True  # no schema: a URL is taken for a file
    return schema.get("format") == "uri"


def _file_urls(value: Any, schema: JSON | None) -> list[str]:
    if isinstance(value, str):
        return [value] if _is_file(value, schema) else []
    if isinstance(value, list):
        items = schema.get("items") if schema else None
        items = items if isinstance(items, dict) else None
        return [url for item in value for url in _file_urls(item, items)]
    if isinstance(value, dict):
        properties = schema.get("properties") if schema else None
        properties = properties if isinstance(properties, dict) else {}
        return [url for key, item in value.items() for url in _file_urls(item, properties.get(key))]
    return []
