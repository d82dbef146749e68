"""Model references, parsed in one place.

``ModelVersionIdentifier`` is replicate 1.x's ``owner/name[:version]``. ``Reference`` is what
a prediction runs on, from any form a call accepts: ``owner/name``, ``owner/name:version``, a
bare version id (64 hexadecimal digits), a ``Model``, a ``Version``, a
``ModelVersionIdentifier``, an ``(owner, name)`` tuple, or a ``Deployment``. Each call parses
its reference once, and everything after works from the ``Reference``.

References are checked strictly, here and nowhere else, so that a bad one fails with a
``ValueError`` naming it before any request is made:

- an owner, a model name or a deployment name is letters, digits, ``-``, ``_`` and ``.``, and
  does not start with ``.`` (so it is never ``.`` or ``..``, which a URL would resolve away);
- a version id is 64 hexadecimal digits or, after ``owner/name:``, an opaque id of the same
  characters (the API gives official models' versions ids like ``dp-...``);
- nothing else: no whitespace, no control character, no trailing newline.
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

_PART = r"[A-Za-z0-9_-][A-Za-z0-9_.-]*"
_NAME = re.compile(_PART)
_REFERENCE = re.compile(rf"(?P<owner>{_PART})/(?P<name>{_PART})(?::(?P<version>{_PART}))?")
_VERSION_ID = re.compile(r"[0-9a-f]{64}")
_RULE = "letters, digits, '-', '_' and '.', not starting with '.'"
_FORMS = "'owner/name', 'owner/name:version' or a 64-hex version id"


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
        """Split ``owner/name[:version]`` into its parts; ValueError naming it if it is not one.

        Example::

            owner, name, version = ModelVersionIdentifier.parse("replicate/hello-world")
        """
        match = _REFERENCE.fullmatch(ref)
        if not match:
            raise _invalid(ref, "'owner/name' or 'owner/name:version'")
        return cls(match["owner"], match["name"], match["version"])


def is_version_id(ref: str) -> bool:
    """Whether ``ref`` is a bare version id (64 hexadecimal digits).

    Example::

        is_version_id("5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa")  # True
    """
    return bool(_VERSION_ID.fullmatch(ref))


@dataclass(frozen=True)
class Reference:
    """What a prediction runs on: a version, a model run without one, or a deployment.

    Made only by the class methods below, which check every part (see the module's rules):
    a bad reference raises ``ValueError`` naming it, before any request.

    Example::

        Reference.parse("replicate/hello-world")  # Reference(kind='model', ...)
        Reference.parse("replicate/hello-world:5c7d5dc6dd8b...").kind  # 'version'
        Reference.parse("../x")  # ValueError: Invalid reference '../x': its owner '..' ...
    """

    kind: Literal["version", "model", "deployment"]
    owner: str = ""
    name: str = ""
    version_id: str = ""
    version: Version | None = None
    """The ``Version`` object, when one was given (its schema is known without a request)."""

    @classmethod
    def parse(cls, ref: str | Model | Version | ModelVersionIdentifier | Reference) -> Reference:
        """The version or model ``ref`` names (what ``run``, ``stream`` and ``use`` take).

        Example::

            Reference.parse(replicate.models.get("replicate/hello-world")).kind  # 'model'
        """
        from replicate.model import Model
        from replicate.version import Version

        if isinstance(ref, Reference):
            return ref
        if isinstance(ref, Version):
            return cls._of_version(ref)
        if isinstance(ref, Model):
            return cls._named("model", ref.owner, ref.name)
        if isinstance(ref, ModelVersionIdentifier):
            return cls._named("model", ref.owner, ref.name, ref.version)
        if isinstance(ref, str):
            if is_version_id(ref):
                return cls("version", version_id=ref)
            match = _REFERENCE.fullmatch(ref)
            if match:
                return cls._named("model", match["owner"], match["name"], match["version"])
            raise _invalid(ref, _FORMS)
        raise ValueError(
            f"Invalid argument: {ref!r}. Expected a Model, a Version, or a reference: {_FORMS}"
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

        A ``version`` string is a version id, or ``owner/name[:version]``, which the API also
        takes there; it is sent as it is.

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
            return cls._of_version(version)
        text = _text(version, "version")
        if not (_NAME.fullmatch(text) or _REFERENCE.fullmatch(text)):
            raise _invalid(text, f"a version id or {_FORMS}")
        return cls("version", version_id=text)

    @classmethod
    def model(cls, model: str | tuple[str, str] | Model) -> Reference:
        """A model by ``owner/name`` (``owner/name:version`` names that version instead), by an
        ``(owner, name)`` tuple, or a ``Model``.

        Example::

            Reference.model(("replicate", "hello-world")).kind  # 'model'
        """
        from replicate.model import Model

        if isinstance(model, Model):
            return cls._named("model", model.owner, model.name)
        if isinstance(model, tuple):
            return cls._named("model", *_pair(model, "model"))
        owner, name, version_id = ModelVersionIdentifier.parse(_text(model, "model"))
        return cls._named("model", owner, name, version_id)

    @classmethod
    def deployment(cls, deployment: str | tuple[str, str] | Deployment) -> Reference:
        """A deployment by ``owner/name``, an ``(owner, name)`` tuple, or a ``Deployment``.

        Example::

            Reference.deployment("acme/hello-world-prod").name  # 'hello-world-prod'
        """
        from replicate.deployment import Deployment

        if isinstance(deployment, Deployment):
            return cls._named("deployment", deployment.owner, deployment.name)
        if isinstance(deployment, tuple):
            return cls._named("deployment", *_pair(deployment, "deployment"))
        text = _text(deployment, "deployment")
        owner, slash, name = text.partition("/")
        if not (slash and _NAME.fullmatch(owner) and _NAME.fullmatch(name)):
            raise _invalid(text, "a deployment as 'owner/name'", what="deployment")
        return cls("deployment", owner, name)

    def with_version(self, version_id: str) -> Reference:
        """This model's version ``version_id`` (checked as the part after ``owner/name:``).

        Example::

            Reference.model("acme/trainer").with_version("5c7d5dc6dd8b...").kind  # 'version'
        """
        return self._named("version", self.owner, self.name, version_id)

    @classmethod
    def _named(
        cls,
        kind: Literal["model", "deployment", "version"],
        owner: str,
        name: str,
        version_id: str | None = None,
    ) -> Reference:
        """A reference from its parts, each checked (a ``version_id`` makes it a version)."""
        given = f"{owner}/{name}" + (f":{version_id}" if version_id is not None else "")
        parts = [("owner", owner), ("name", name)]
        if version_id is not None:
            parts.append(("version", version_id))
        for what, part in parts:
            if not isinstance(part, str) or not _NAME.fullmatch(part):
                raise ValueError(f"Invalid reference {given!r}: {_part_problem(what, part)}")
        if version_id:
            return cls("version", owner, name, version_id)
        return cls(kind, owner, name)

    @classmethod
    def _of_version(cls, version: Version) -> Reference:
        version_id = version.id
        if not isinstance(version_id, str) or not _NAME.fullmatch(version_id):
            raise ValueError(f"Invalid version: {_part_problem('id', version_id)}")
        return cls("version", version_id=version_id, version=version)

    @property
    def names_version(self) -> bool:
        """Whether the output type can be known, as in 1.x: a Version, or owner/name:version."""
        return self.kind == "version" and (self.version is not None or bool(self.owner))

    def __str__(self) -> str:
        if self.kind == "version" and not self.owner:
            return self.version_id
        name = f"{self.owner}/{self.name}"
        return f"{name}:{self.version_id}" if self.version_id else name


def _part_problem(what: str, part: object) -> str:
    if not part:
        return f"its {what} is empty"
    return f"its {what} {part!r} must be {_RULE}"


def _reason(ref: str) -> str:
    """Why ``ref`` is not ``owner/name[:version]``: the first part that breaks the rules."""
    if not ref:
        return "it is empty"
    odd = next((char for char in ref if char.isspace() or not char.isprintable()), None)
    if odd is not None:
        return f"it holds {odd!r} (whitespace and control characters are never part of one)"
    owner, slash, rest = ref.partition("/")
    if not slash:
        return "it has no '/' between owner and name"
    name, colon, version = rest.partition(":")
    parts = [("owner", owner), ("name", name)] + ([("version", version)] if colon else [])
    for what, part in parts:
        if not _NAME.fullmatch(part):
            return _part_problem(what, part)
    return "it is not of that form"


def _invalid(ref: str, forms: str, what: str = "reference") -> ValueError:
    return ValueError(f"Invalid {what} {ref!r}: {_reason(ref)}. Expected {forms}")


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    return value


def _pair(value: tuple[Any, ...], what: str) -> tuple[str, str]:
    if len(value) != 2 or not all(isinstance(part, str) for part in value):
        raise ValueError(f"{what} must be a tuple of (owner, name), not {value!r}")
    return value[0], value[1]
