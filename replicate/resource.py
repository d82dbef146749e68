"""Base classes of the objects this package returns and of the namespaces that fetch them."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["Namespace", "Resource"]


@dataclasses.dataclass(kw_only=True)
class Resource:
    """An object on the server: its fields are attributes; ``dict(obj)`` gives them all.

    Example::

        prediction = replicate.predictions.get("ufawqhfynnddngldkgtslldrkq")
        print(dict(prediction)["status"])
    """

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for field in dataclasses.fields(self):
            if not field.name.startswith("_"):
                yield field.name, getattr(self, field.name)

    def dict(self) -> builtins.dict[str, Any]:
        """The public fields as a dict (the same as ``dict(obj)``).

        Example::

            replicate.predictions.get("ufawqhfynnddngldkgtslldrkq").dict()["status"]
        """
        return {name: value for name, value in Resource.__iter__(self)}

    def _update_from(self, other: Resource) -> None:
        for field in dataclasses.fields(other):
            if field.name != "_client":
                setattr(self, field.name, getattr(other, field.name))


class Namespace:
    """A group of operations on one kind of object, bound to a client.

    Example::

        replicate.predictions  # a Namespace: replicate.predictions.list(), ...
    """

    _client: Client

    def __init__(self, client: Client) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"
