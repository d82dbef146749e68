"""Request validation against the normalised spec that ships with ``replicate_api``.

Uses openapi-core. Upstream's document declares a 3.1 dialect the strict validators refuse
(the QUERY operation); the normalised copy keeps QUERY on a pseudo-path, which requests never
match, so ``QUERY /models`` is checked by its route instead.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SERVER = "https://api.replicate.com"


@cache
def _openapi() -> Any:
    """The spec, checked and indexed once per process (it takes a few hundred ms)."""
    from openapi_core import OpenAPI

    spec = json.loads(resources.files("replicate_api").joinpath("openapi.json").read_text())
    return OpenAPI.from_dict(spec)


class RequestValidator:
    """Checks a request's parameters and JSON body; returns problems naming the fields."""

    @property
    def _api(self) -> Any:
        return _openapi()

    def problems(
        self,
        method: str,
        path: str,
        query: dict[str, Any],
        headers: dict[str, str],
        body: bytes,
        content_type: str,
    ) -> list[str]:
        from openapi_core.testing import MockRequest

        request = MockRequest(
            SERVER,
            method.lower(),
            path,
            args=query,
            headers=headers,
            data=body or None,
            content_type=content_type or "application/json",
        )
        try:
            self._api.validate_request(request)
        except Exception as error:  # openapi-core's errors share no useful base class
            return describe(error)
        return []


def describe(error: BaseException) -> list[str]:
    """Turn an openapi-core error into lines like ``body.input: 'input' is a required property``."""
    name = getattr(error, "name", None)
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if schema_errors:
        where = f"parameter {name}" if name else "body"
        lines = []
        for item in schema_errors:
            location = ".".join(str(part) for part in getattr(item, "absolute_path", []))
            lines.append(f"{where}{'.' + location if location else ''}: {item.message}")
        return lines
    if cause is not None and cause is not error and str(cause):
        return [f"{type(error).__name__}: {cause}" + (f" ({name})" if name else "")]
    return [str(error) or type(error).__name__]
