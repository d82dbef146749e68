"""Model references, parsed in one place.

``ModelVersionIdentifier`` is replicate 1.x's ``owner/name[:version]``. ``Reference`` is what
a prediction runs on, from any form a call accepts: ``owner/name``, ``owner/name:version``, a
bare version id (64 hexadecimal digits), a ``Model``, a ``Version``, a
``ModelVersionIdentifier``, an ``(owner, name)`` tuple, or a ``Deployment``. Each call parses
its reference once, and everything after works from the ``Reference``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

if TYPE_CHECKING:
    from replicate.deployment import Deployment
    from replicate.model import Model
    from replicate.version import Version

__all__ = ["ModelVersionIdentifier", "Reference", "is_version_id"]

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
    """Whether ``ref`` is a bare version id (64 hexadecimal digits).

    Example::

        is_version_id("5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa")  # True
    """
    return bool(_VERSION_ID.match(ref))


@dataclass(frozen=True)
class Reference:
    """What a prediction runs on: a version, a model run without one, or a deployment.

    Example::

        Reference.parse("replicate/hello-world")  # Reference(kind='model', ...)
        Reference.parse("replicate/hello-world:5c7d5dc6dd8b...").kind  # 'version'
    """

    kind: Literal["version", "model", "deployment"]
    owner: str = ""
    name: str = ""
    version_id: str = ""
    version: Version | None = None
    """The ``Version`` object, when one was given (its schema is known without a request)."""

    @classmethod
    def parse(cls, ref: str | Model | Version | ModelVersionIdentifier) -> Reference:
        """The version or model ``ref`` names (what ``run``, ``stream`` and ``use`` take).

        Example::

            Reference.parse(replicate.models.get("replicate/hello-world")).kind  # 'model'
        """
        from replicate.model import Model
        from replicate.version import Version

        if isinstance(ref, Version):
            return cls("version", version_id=ref.id, version=ref)
        if isinstance(ref, Model):
            return cls("model", ref.owner, ref.name)
        if isinstance(ref, ModelVersionIdentifier):
            return cls._named(ref.owner, ref.name, ref.version)
        if isinstance(ref, str):
            if is_version_id(ref):
                return cls("version", version_id=ref)
            match = _REFERENCE.match(ref)
            if match:
                return cls._named(match["owner"], match["name"], match["version"])
        raise ValueError(
            f"Invalid argument: {ref}. Expected model, version, or reference in the format "
            "owner/name or owner/name:version"
        )

    @classmethod
    def of(
        cls,
        *,
        model: str | tuple[str, str] | Model | None = None,
        version: Version | str | None = None,
        deployment: str | tuple[str, str] | Deployment | None = None,
    ) -> Reference:
        """What ``predictions.create`` names: exactly one of a model, a version or a deployment.

        Example::

            Reference.of(deployment="acme/hello-world-prod").kind  # 'deployment'
        """
        from replicate.version import Version

        if sum(target is not None for target in (model, version, deployment)) != 1:
            raise ValueError(
                "Exactly one of 'model', 'version', or 'deployment' must be specified."
            )
        if model is not None:
            return cls.model(model)
        if deployment is not None:
            return cls.deployment(deployment)
        if isinstance(version, Version):
            return cls("version", version_id=version.id, version=version)
        return cls("version", version_id=_text(version, "version"))

    @classmethod
    def model(cls, model: str | tuple[str, str] | Model) -> Reference:
        """A model by ``owner/name`` (``owner/name:version`` names that version instead), by an
        ``(owner, name)`` tuple, or a ``Model``.

        Example::

            Reference.model(("replicate", "hello-world")).kind  # 'model'
        """
        from replicate.model import Model

        if isinstance(model, Model):
            return cls("model", model.owner, model.name)
        if isinstance(model, tuple):
            return cls("model", *_pair(model, "model"))
        owner, name, version_id = ModelVersionIdentifier.parse(_text(model, "model"))
        return cls._named(owner, name, version_id)

    @classmethod
    def deployment(cls, deployment: str | tuple[str, str] | Deployment) -> Reference:
        """A deployment by ``owner/name``, an ``(owner, name)`` tuple, or a ``Deployment``.

        Example::

            Reference.deployment("acme/hello-world-prod").name  # 'hello-world-prod'
        """
        from replicate.deployment import Deployment

        if isinstance(deployment, Deployment):
            return cls("deployment", deployment.owner, deployment.name)
        if isinstance(deployment, tuple):
            return cls("deployment", *_pair(deployment, "deployment"))
        owner, _, name = _text(deployment, "deployment").partition("/")
        if not owner or not name:
            raise ValueError(
                "deployment must be a Deployment, a tuple of (owner, name), "
                "or a string in the format 'owner/name'"
            )
        return cls("deployment", owner, name)

    @classmethod
    def _named(cls, owner: str, name: str, version_id: str | None) -> Reference:
        if version_id:
            return cls("version", owner, name, version_id)
        return cls("model", owner, name)

    @property
    def names_version(self) -> bool:
        """Whether the output type can be known, as in 1.x: a Version, or owner/name:version."""
        return self.kind == "version" and (self.version is not None or bool(self.owner))

    def __str__(self) -> str:
        if self.kind == "version" and not self.owner:
            return self.version_id
        name = f"{self.owner}/{self.name}"
        return f"{name}:{self.version_id}" if self.version_id else name


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    return value


def _pair(value: tuple[Any, ...], what: str) -> tuple[str, str]:
    if len(value) != 2 or not all(isinstance(part, str) and part for part in value):
        raise ValueError(f"{what} must be a tuple of (owner, name), not {value!r}")
    return value[0], value[1]
