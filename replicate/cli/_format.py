"""Plain-text output: JSON, aligned tables and ``label: value`` lists, for stdout.

Tables and lists are plain text (no colour, no box drawing), so that they read the same in a
terminal, a pipe and a log file, and need no optional dependency.

Example::

    print_table(["SKU", "NAME"], [["cpu", "CPU"], ["gpu-t4", "Nvidia T4 GPU"]])
"""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["jsonable", "print_fields", "print_json", "print_table", "short_time", "truncate"]


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: resources become dicts, datetimes ISO 8601 strings.

    Example::

        json.dumps(jsonable(replicate.models.get("replicate/hello-world")))
    """
    from replicate.resource import Resource

    if isinstance(value, Resource):
        return jsonable(value.dict())
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    url = getattr(value, "url", None)  # a FileOutput
    return url if isinstance(url, str) else str(value)


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(jsonable(value), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print rows in aligned columns under ``headers`` (``-`` for empty cells)."""
    cells = [[_cell(value) for value in row] for row in rows]
    if not cells:
        sys.stdout.write("(none)\n")
        return
    table = [list(headers), *cells]
    widths = [max(len(row[column]) for row in table) for column in range(len(headers))]
    for row in table:
        line = "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True))
        sys.stdout.write(line.rstrip() + "\n")


def print_fields(fields: Sequence[tuple[str, Any]]) -> None:
    """Print ``label: value`` lines, values aligned; multi-line values are indented."""
    width = max((len(label) for label, _ in fields), default=0) + 1
    for label, value in fields:
        text = _cell(value)
        lines = text.split("\n")
        sys.stdout.write(f"{label + ':':<{width}} {lines[0]}".rstrip() + "\n")
        for line in lines[1:]:
            sys.stdout.write(f"{'':<{width}} {line}".rstrip() + "\n")


def short_time(value: str | datetime.datetime | None) -> str:
    """``2024-07-01 12:00:03`` from an ISO 8601 timestamp (as the API wrote it)."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime.datetime) else value
    return text.replace("T", " ")[:19]


def truncate(text: str | None, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(jsonable(value), ensure_ascii=False)
