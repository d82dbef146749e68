"""Model references: ``owner/name``, ``owner/name:version`` or a bare version id."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from replicate.model import Model
    from replicate.version import Version

__all__ = ["ModelVersionIdentifier"]

_REFERENCE = re.compile(r"^(?P<owner>[^/]+)/(?P<name>[^/:]+)(:(?P<version>.+))?$")
_VERSION_ID = re.compile(r"^[0-9a-f]{64}$")


class ModelVersionIdentifier(NamedTuple):
    """A reference to a model, in the form ``owner/name`` or ``owner/name:version``.

    Example::

        ModelVersionIdentifier.parse("replicate/hello-world:5c7d5dc6dd8b...")
        # ModelVersionIdentifier(owner='replicate', name='hello-world', version='5c7d5dc6dd8b...')
    """

    owner: str
    name: str
    version: str | None = None

    @classmethod
    def parse(cls, ref: str) -> ModelVersionIdentifier:
        """Split ``owner/name[:version]`` into its parts; ValueError if it is not one.

        Example::

            owner, name, version = ModelVersionIdentifier.parse("replicate/hello-world")
        """
        match = _REFERENCE.match(ref)
        if not match:
            raise ValueError(
                f"Invalid reference to model version: {ref}. Expected format: owner/name:version"
            )
        return cls(match.group("owner"), match.group("name"), match.group("version"))


def is_version_id(ref: str) -> bool:
    """Whether ``ref`` is a bare version id (64 hexadecimal digits)."""
    return bool(_VERSION_ID.match(ref))


def resolve(
    ref: Model | Version | ModelVersionIdentifier | str,
) -> tuple[Version | None, str | None, str | None, str | None]:
    """``(version, owner, name, version_id)`` for anything that names a model or version."""
    from replicate.model import Model
    from replicate.version import Version

    if isinstance(ref, Model):
        return None, ref.owner, ref.name, None
    if isinstance(ref, Version):
        return ref, None, None, ref.id
    if isinstance(ref, ModelVersionIdentifier):
        return None, ref.owner, ref.name, ref.version
    if isinstance(ref, str):
        if is_version_id(ref):
            return None, None, None, ref
        owner, name, version_id = ModelVersionIdentifier.parse(ref)
        return None, owner, name, version_id
    raise ValueError(f"Invalid reference to a model or version: {ref!r}")
