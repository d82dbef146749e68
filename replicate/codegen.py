"""Typed Python modules from a model's schema: ``replicate codegen`` and ``generate()``.

``generate(["acme/upscaler"], "models")`` (or ``replicate codegen acme/upscaler --output
models``) fetches the model's latest version (or the version given, ``owner/name:version``) and
writes ``models/upscaler.py``: a function typed by the version's ``openapi_schema`` that runs
the model through ``replicate.use()``, and its async twin. ``render_module`` is the pure part:
reference, version id and schema in, the module's text out.

The module, for ``acme/upscaler`` (``Input`` and ``Output`` of the schema as cog writes them):

- a header saying it is generated, from which model and version, and the command that
  regenerates it; ``MODEL``, ``VERSION`` and ``ON_NEW_VERSION`` constants;
- a ``Literal`` alias per enum (``Scheduler = Literal["DDIM", "K_EULER"]``), named after its
  schema (cog names it after the input) or the input, and a ``TypedDict`` per object output;
- ``upscaler(*, image: FileLike, scale: Scale = 2, ..., client: Client | None = None)``:
  keyword-only parameters, required ones first, each in the schema's ``x-order``, with the
  schema's defaults; an input with no default is ``T | None = None`` and is not sent when None;
  a list or object default (mutable) is written as ``None`` too and named in the docstring,
  and so is a default that does not fit the input's type. Its docstring holds the model's
  description and each input's (with its range and length limits), and the return type is
  the output as ``use()`` shapes it;
- ``async_upscaler(...)``, the same with ``use(..., use_async=True)``.

Each function builds the input (the model's names, None left out), then calls
``(client or replicate.default_client).use(MODEL)``, ``check_version(VERSION, ...)``
(warns once, ``ModelVersionWarning``, at the caller's line, when the model's latest version is
not ``VERSION``; raises ``ModelVersionError`` when ``ON_NEW_VERSION`` is ``"error"``, as
``--on-new-version error`` writes it), and the function. A module made from
``owner/name:version`` runs that version.

Types, inputs: ``string`` str, ``integer`` int, ``number`` float, ``boolean`` bool, ``array``
``list[T]``, ``object`` ``dict[str, Any]``, a file (``format: uri``) ``replicate.FileLike``,
an enum its ``Literal`` alias (an enum of floats stays ``float``, as ``Literal`` cannot hold
floats; its values are in the docstring), ``anyOf``/``oneOf``/``nullable`` a union, anything
else ``Any``. Outputs as ``use()`` returns them: a file ``replicate.URLPath``, a token stream
(``x-cog-array-type: iterator`` with ``x-cog-array-display: concatenate``) ``str``, another
iterator or array ``list[T]``, an object with properties a ``TypedDict``.

Parameter names: an input's name as it is when it is a Python identifier (ASCII) that is not
a keyword and not a name the module uses (``client``, ``inputs``, ``output``, ``function``,
and the module's own names); otherwise each character other than an ASCII letter, digit or
``_`` becomes ``_``, a leading digit gets ``input_`` before it, and ``_`` is appended until
the name is free: ``class`` is ``class_``, ``lora-scale`` ``lora_scale``, ``3d`` ``input_3d``.
The function sends each value under the model's own name, and the docstring names the input
behind every renamed parameter. The function is named after the model the same way
(``flux-schnell`` is ``flux_schnell``, ``3d-model`` ``model_3d_model``), and so is its module.

Untrusted text (descriptions, defaults, enum values) is written as escaped literals and
docstring text: backslashes doubled, ``\"\"\"`` broken, control and non-ASCII characters as
escapes, so that the module always compiles, and reads the same in ``help()``. The output is
deterministic (no timestamps) and formatted as ``ruff format`` writes it, passing the
project's ruff rules and ``mypy --strict``: a type longer than ``MAX_TYPE`` characters gets a
name (``ImageType``) so that no line has brackets for ruff to split; a line with a literal
too long to split says ``# noqa: E501``; an object output whose keys do not fit on a line is
typed ``dict[str, Any]``; a function's name keeps ``MAX_FUNCTION_NAME`` characters.

Example::

    from replicate.codegen import generate

    paths = generate(["replicate/hello-world"], "models")  # [PosixPath('models/hello_world.py')]
    from models.hello_world import hello_world

    print(hello_world(text="Alice"))  # hello Alice
"""

from __future__ import annotations

import keyword
import math
import os
import re
import shlex
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["CodegenError", "OnNewVersion", "generate", "render_module"]

OnNewVersion = Literal["warn", "error"]
"""What a generated module does when the model's version is newer than the one it records:
warn once, or raise."""

JSON = dict[str, Any]

LINE_LENGTH = 100
"""The generated code's line length (the project's ruff setting)."""

MAX_FUNCTION_NAME = 60
"""Characters of a model's name kept in its function's name (and its module's)."""

MAX_TYPE = 40
"""Characters of a type written in place; a longer one gets a name (an alias), and so do the
aliases' own names past this length: lines then fit, and ruff has nothing to split."""

# Names a function's body uses; an input with one of these names gets another parameter name.
_BODY_NAMES = frozenset({"client", "inputs", "output", "function"})

# Names the module defines or imports, whatever the model.
_MODULE_NAMES = frozenset(
    {
        "annotations",
        "Any",
        "FileLike",
        "Literal",
        "MODEL",
        "NotRequired",
        "ON_NEW_VERSION",
        "TypeAlias",
        "TypedDict",
        "URLPath",
        "VERSION",
        "replicate",
        "_given",
    }
)


_AMBIGUOUS = frozenset({"l", "O", "I"})
"""Names ruff flags as ambiguous (E741-E743): a name of one of them gets a ``_``."""


class CodegenError(ValueError):
    """A module cannot be generated as asked (a bad reference, a model without a readable
    schema, two models that would share a module); the message says which and why."""


@dataclass(frozen=True)
class _Source:
    """What one generated module is made from.

    ``ref`` is ``owner/name`` (the module runs the model's latest version and checks that it
    is still ``version_id``) or ``owner/name:version`` (the module runs that version).
    """

    ref: str
    version_id: str
    openapi_schema: Mapping[str, Any]
    description: str | None = None


# --- generating files -----------------------------------------------------------------------


def generate(
    models: str | Iterable[str],
    output_dir: str | os.PathLike[str],
    *,
    client: Client | None = None,
    on_new_version: OnNewVersion = "warn",
) -> list[Path]:
    """Write a typed module for each model into ``output_dir``; the paths written, in order.

    Each model is ``owner/name`` (its latest version; a call on a newer version warns once,
    or raises with ``on_new_version="error"``) or ``owner/name:version`` (that version). All
    schemas are fetched before anything is written; a module is named after its model
    (``owner_name`` when two models share a name) and replaced when it exists. Running it
    again regenerates the modules. Raises ``CodegenError`` for a model that cannot be
    generated (``ValueError`` for a malformed reference), and the client's errors for the API.

    Example::

        from replicate.codegen import generate

        generate(["replicate/image", "replicate/hello-world"], "models")
        # [PosixPath('models/image.py'), PosixPath('models/hello_world.py')]
    """
    refs = [models] if isinstance(models, str) else list(models)
    command = _regenerate_command(refs, output_dir, on_new_version=on_new_version)
    return _write_modules(
        refs, output_dir, client=client, on_new_version=on_new_version, command=command
    )


def _regenerate_command(
    refs: Sequence[str],
    output_dir: str | os.PathLike[str],
    *,
    on_new_version: OnNewVersion = "warn",
    emulator: bool = False,
) -> str:
    """The ``replicate codegen`` command that writes these modules again (the token and the
    base URL come from the environment, so they are left out).

    Example::

        _regenerate_command(["replicate/image"], "models")
        # 'replicate codegen replicate/image --output models'
    """
    words = ["replicate", "codegen", *refs, "--output", os.fspath(output_dir)]
    if on_new_version != "warn":
        words += ["--on-new-version", on_new_version]
    if emulator:
        words.append("--emulator")
    return shlex.join(words)


def _write_modules(
    refs: Sequence[str],
    output_dir: str | os.PathLike[str],
    *,
    client: Client | None,
    on_new_version: OnNewVersion,
    command: str,
) -> list[Path]:
    """``generate``, with the regenerate command to record given (the command line's own)."""
    if not refs:
        raise CodegenError("no model given: name one or more models as owner/name")
    if on_new_version not in ("warn", "error"):
        raise CodegenError(f"on_new_version must be 'warn' or 'error', got {on_new_version!r}")
    refs = list(dict.fromkeys(refs))  # the same model twice is one module
    names = _module_names([_parse(ref) for ref in refs])
    if client is None:
        import replicate

        client = replicate.default_client
    sources = [_fetch_source(client, ref) for ref in refs]
    directory = Path(output_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for source, name in zip(sources, names, strict=True):
        text = render_module(
            source.ref,
            source.version_id,
            source.openapi_schema,
            description=source.description,
            on_new_version=on_new_version,
            command=command,
            name=name,
        )
        path = directory / f"{name}.py"
        _write(path, text)
        written.append(path)
    return written


def _fetch_source(client: Client, ref: str) -> _Source:
    """The model's version (its latest, or the one ``ref`` names) and schema, fetched.

    Example::

        source = _fetch_source(replicate.default_client, "replicate/hello-world")
        source.version_id  # '5c7d5dc6dd8b...'
    """
    owner, name, version_id = _parse(ref)
    model = client.models.get(owner, name)
    if version_id is None:
        version = model.latest_version
        if version is None:
            raise CodegenError(f"{owner}/{name} has no version: there is no schema to read")
    else:
        version = model.versions.get(version_id)
    schema = version.openapi_schema
    if not _input_schema(schema):
        raise CodegenError(
            f"{owner}/{name} (version {version.id}) has no readable schema: its openapi_schema "
            "lacks components.schemas.Input; run it with replicate.use() or replicate.run(), "
            "unchecked"
        )
    assert schema is not None
    return _Source(ref, version.id, schema, model.description)


def _parse(ref: str) -> tuple[str, str, str | None]:
    from replicate.identifier import ModelVersionIdentifier, is_version_id

    if not isinstance(ref, str):
        raise CodegenError(f"expected a model as 'owner/name', got {ref!r}")
    if "/" not in ref and is_version_id(ref):
        raise CodegenError(
            f"{ref!r} is a bare version id: give owner/name:{ref} (the module is named after "
            "the model)"
        )
    try:
        owner, name, version = ModelVersionIdentifier.parse(ref)
    except ValueError as error:
        raise CodegenError(str(error)) from None
    return owner, name, version


def _module_names(parsed: Sequence[tuple[str, str, str | None]]) -> list[str]:
    """Each model's module (and function) name: its name, or ``owner_name`` when two models
    share one."""
    plain = [_function_name(name) for _, name, _ in parsed]
    names = [
        _function_name(f"{owner}_{name}") if plain.count(short) > 1 else short
        for (owner, name, _), short in zip(parsed, plain, strict=True)
    ]
    for name in names:
        if names.count(name) > 1:
            models = [f"{o}/{n}" for (o, n, _), m in zip(parsed, names, strict=True) if m == name]
            raise CodegenError(
                f"{' and '.join(models)} would both be written to {name}.py: generate them "
                "into different folders"
            )
    return names


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file (a reader never sees half a
    module); an unchanged module is left as it is, its modification time included."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


# --- rendering ------------------------------------------------------------------------------


def render_module(
    ref: str,
    version_id: str,
    openapi_schema: Mapping[str, Any],
    *,
    description: str | None = None,
    on_new_version: OnNewVersion = "warn",
    command: str | None = None,
    name: str | None = None,
) -> str:
    """The text of the module for a model version, from its ``openapi_schema``.

    ``ref`` is ``owner/name`` (the module runs the latest version and checks it against
    ``version_id``) or ``owner/name:<version_id>`` (it runs that version). ``command`` is
    recorded as the way to regenerate it (default: ``replicate codegen REF --output .``);
    ``name`` names the function (default: after the model). Pure: nothing is fetched.

    Example::

        version = replicate.models.get("replicate/hello-world").latest_version
        text = render_module("replicate/hello-world", version.id, version.openapi_schema)
        assert "def hello_world(" in text
    """
    owner, model_name, pinned = _parse(ref)
    if pinned is not None and pinned != version_id:
        raise CodegenError(f"{ref!r} names version {pinned}, not {version_id}")
    if on_new_version not in ("warn", "error"):
        raise CodegenError(f"on_new_version must be 'warn' or 'error', got {on_new_version!r}")
    if not isinstance(version_id, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", version_id):
        raise CodegenError(f"not a version id: {version_id!r}")
    if not _input_schema(openapi_schema):
        raise CodegenError(f"{ref}: the schema lacks components.schemas.Input")
    function = _function_name(name or model_name)
    module = _Module(
        model=f"{owner}/{model_name}",
        version_id=version_id,
        pinned=pinned is not None,
        schema=openapi_schema,
        function=function,
        description=description,
        on_new_version=on_new_version,
        command=command or _regenerate_command([ref], "."),
    )
    return module.render()


def _input_schema(openapi_schema: object) -> JSON | None:
    """``components.schemas.Input`` with properties, or None."""
    if not isinstance(openapi_schema, Mapping):
        return None
    schemas = openapi_schema.get("components", {})
    schemas = schemas.get("schemas") if isinstance(schemas, Mapping) else None
    if not isinstance(schemas, Mapping):
        return None
    found = schemas.get("Input")
    if not isinstance(found, Mapping) or not isinstance(found.get("properties", {}), Mapping):
        return None
    return dict(found)


@dataclass(frozen=True)
class _Type:
    """A type as the module writes it, which JSON values fit it (as a default), and the
    imported names it uses."""

    text: str
    fits: Callable[[Any], bool] = field(compare=False)
    uses: frozenset[str] = frozenset()
    members: tuple[_Type, ...] = ()  # of a union


def _no_default(value: Any) -> bool:
    return False  # lists, dicts, files out: never written as a default


def _is_number(value: Any) -> TypeGuard[int | float]:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int)


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


_STR = _Type("str", _is_string)
_INT = _Type("int", lambda value: isinstance(value, int))
_FLOAT = _Type("float", _is_number)
_BOOL = _Type("bool", lambda value: isinstance(value, bool))
_NONE = _Type("None", lambda value: value is None)
_ANY = _Type("Any", lambda value: not isinstance(value, list | dict), frozenset({"Any"}))
_DICT = _Type("dict[str, Any]", _no_default, frozenset({"Any"}))
_FILE_IN = _Type("FileLike", _is_string, frozenset({"FileLike"}))
_FILE_OUT = _Type("URLPath", _no_default, frozenset({"URLPath"}))


def _list(item: _Type) -> _Type:
    return _Type(f"list[{item.text}]", _no_default, item.uses)


def _union(members: Sequence[_Type]) -> _Type:
    """``A | B``, without repeats, None last; ``Any`` swallows the rest."""
    unique: list[_Type] = []
    for member in members:
        if member.text == "Any":
            return _ANY
        for part in _split_union(member):
            if all(existing.text != part.text for existing in unique):
                unique.append(part)
    if not unique:
        return _ANY
    if len(unique) == 1:
        return unique[0]
    ordered = [m for m in unique if m.text != "None"] + [m for m in unique if m.text == "None"]
    return _Type(
        " | ".join(member.text for member in ordered),
        lambda value: any(member.fits(value) for member in ordered),
        frozenset().union(*(member.uses for member in ordered)),
        tuple(ordered),
    )


def _split_union(typed: _Type) -> tuple[_Type, ...]:
    return typed.members or (typed,)


def _optional(typed: _Type) -> _Type:
    return _union([typed, _NONE])


@dataclass
class _Parameter:
    input: str  # the model's name for it
    schema: JSON  # its schema, resolved
    type: _Type
    default: str | None  # the default as written, or None when the input is required
    notes: list[str]  # for the docstring: its description ("" if none), then notes
    name: str = ""  # the Python parameter's name


@dataclass
class _Definition:
    name: str
    code: str
    is_class: bool  # a TypedDict, set apart by blank lines


class _Module:
    """One generated module; module-level names are handed out as its parts are made."""

    def __init__(
        self,
        *,
        model: str,
        version_id: str,
        pinned: bool,
        schema: Mapping[str, Any],
        function: str,
        description: str | None,
        on_new_version: OnNewVersion,
        command: str,
    ) -> None:
        self.model = model
        self.version_id = version_id
        self.pinned = pinned
        self.function = function
        self.description = description
        self.on_new_version = on_new_version
        self.command = command
        components = schema.get("components", {}).get("schemas", {})
        self.components: Mapping[str, Any] = components if isinstance(components, Mapping) else {}
        self.taken: set[str] = set(_MODULE_NAMES) | {function, f"async_{function}"}
        self.aliases: dict[str, str] = {}  # what an alias was made from -> its name
        self.definitions: list[_Definition] = []  # in order of first use: dependencies first
        self.uses: set[str] = {"Literal"}  # ON_NEW_VERSION's type

    def _new_name(self, base: str) -> str:
        name = _pascal(base)[:MAX_TYPE]
        while name in self.taken or keyword.iskeyword(name) or name in _AMBIGUOUS:
            name += "_"
        self.taken.add(name)
        return name

    # -- schemas to types ------------------------------------------------------------------

    def resolve(self, schema: Any, seen: frozenset[str] = frozenset()) -> tuple[JSON, str | None]:
        """``schema`` with its ``$ref`` and ``allOf`` merged in (its own keys win), as
        ``replicate._schema.resolve`` reads it for ``use()``, and the name of the component it
        refers to (cog's enums are ``allOf: [{"$ref": ...}]``), unless that one is in ``seen``
        (a loop): a reference that does not resolve, or loops, names nothing."""
        from replicate._schema import resolve

        if not isinstance(schema, Mapping):
            return {}, None
        prefix = "#/components/schemas/"

        def target(part: Any) -> str | None:
            if isinstance(part, Mapping) and set(part) == {"$ref"}:
                part = part["$ref"]
            if isinstance(part, str) and part.startswith(prefix):
                return part[len(prefix) :]
            return None

        # a reference back into ``seen`` (a loop) is left out, so that it types as Any
        own = {key: value for key, value in schema.items() if key != "$ref"}
        if target(schema.get("$ref")) not in seen:
            own["$ref"] = schema.get("$ref")
        all_of = schema.get("allOf")
        if isinstance(all_of, list):
            own["allOf"] = [part for part in all_of if target(part) not in seen]
        name: str | None = None
        for part in [own.get("$ref"), *own.get("allOf", ())]:
            found = target(part)
            if found is not None and isinstance(self.components.get(found), Mapping):
                name = found
        document = {"components": {"schemas": self.components}}
        return resolve({k: v for k, v in own.items() if v is not None}, document), name

    def type_of(self, schema: Any, *, output: bool, hint: str, seen: frozenset[str]) -> _Type:
        """The Python type of a schema, for an input (``output=False``) or an output;
        ``hint`` names an alias made for it when its schema has no name of its own."""
        resolved, reference = self.resolve(schema, seen)
        if reference is not None:
            seen = seen | {reference}
        enum = resolved.get("enum")
        members = resolved.get("anyOf") or resolved.get("oneOf")
        kind = resolved.get("type")
        if isinstance(enum, list) and enum:
            typed = self._enum(enum, resolved, reference or hint, output=output, seen=seen)
        elif isinstance(members, list):
            typed = _union([self.type_of(m, output=output, hint=hint, seen=seen) for m in members])
        elif isinstance(kind, list):
            typed = _union(
                [self._typed(dict(resolved, type=k), output, hint, reference, seen) for k in kind]
            )
        else:
            typed = self._typed(resolved, output, hint, reference, seen)
        if resolved.get("nullable") is True:
            typed = _optional(typed)
        return self.short(typed, hint)

    def short(self, typed: _Type, base: str) -> _Type:
        """``typed``, or an alias of it when it is long (a union's bracketed members first)."""
        if len(typed.text) <= MAX_TYPE:
            return typed
        if not base.endswith("_output"):
            base += "_type"  # ImageType; the output's is ModelOutput
        if len(typed.members) > 1 and any("[" in m.text for m in typed.members):
            typed = _union(
                [self.named(m, f"{base}_item") if "[" in m.text else m for m in typed.members]
            )
        return self.named(typed, base)

    def named(self, typed: _Type, base: str) -> _Type:
        """An alias of ``typed``, defined in the module."""
        key = repr(("alias", typed.text))
        name = self.aliases.get(key)
        if name is None:
            name = self.aliases[key] = self._new_name(base)
            self.definitions.append(_Definition(name, _alias(name, typed.text), is_class=False))
            self.uses.add("TypeAlias")
        return _Type(name, typed.fits, typed.uses)

    def _typed(
        self, schema: JSON, output: bool, hint: str, reference: str | None, seen: frozenset[str]
    ) -> _Type:
        kind = schema.get("type")
        if kind == "string":
            if schema.get("format") == "uri":
                return _FILE_OUT if output else _FILE_IN
            return _STR
        simple = {"integer": _INT, "number": _FLOAT, "boolean": _BOOL, "null": _NONE}
        if isinstance(kind, str) and kind in simple:
            return simple[kind]
        if kind == "array":
            if (
                output
                and schema.get("x-cog-array-type") == "iterator"
                and schema.get("x-cog-array-display") == "concatenate"
            ):
                return _STR  # a token stream, joined into its text
            item = self.type_of(schema.get("items"), output=output, hint=f"{hint}_item", seen=seen)
            return _list(item)
        if kind == "object":
            properties = schema.get("properties")
            if output and isinstance(properties, Mapping) and properties:
                return self._typed_dict(schema, properties, reference or hint, seen)
            return _DICT
        return _ANY

    def _enum(
        self, values: list[Any], schema: JSON, base: str, *, output: bool, seen: frozenset[str]
    ) -> _Type:
        """A ``Literal`` alias for an enum, or its base type when ``Literal`` cannot hold its
        values (floats, lists, objects)."""
        unique: list[Any] = []
        for value in values:
            if not any(_same(value, known) for known in unique):
                unique.append(value)
        if not all(value is None or isinstance(value, str | int) for value in unique):
            return self._typed(dict(schema, enum=None), output, base, None, seen)
        key = repr(("enum", base, [(type(value).__name__, value) for value in unique]))
        name = self.aliases.get(key)
        if name is None:
            name = self.aliases[key] = self._new_name(base)
            literal = f"Literal[{', '.join(_value(value) for value in unique)}]"
            self.definitions.append(_Definition(name, _alias(name, literal), is_class=False))
            self.uses |= {"Literal", "TypeAlias"}
        typed = _Type(name, lambda value: any(_same(value, known) for known in unique))
        return typed

    def _typed_dict(
        self, schema: JSON, properties: Mapping[str, Any], base: str, seen: frozenset[str]
    ) -> _Type:
        key = repr(("object", base, sorted(map(str, properties))))
        name = self.aliases.get(key)
        if name is None:
            name = self.aliases[key] = self._new_name(base)
            required = set(schema.get("required") or ())
            fields = []
            uses = {"TypedDict"}
            for prop, value in properties.items():
                typed = self.type_of(value, output=True, hint=f"{name}_{prop}", seen=seen)
                uses |= typed.uses
                if prop in required:
                    fields.append((str(prop), typed.text))
                else:
                    fields.append((str(prop), f"NotRequired[{typed.text}]"))
                    uses.add("NotRequired")
            code = _typed_dict(name, fields)
            if any(len(line) > LINE_LENGTH for line in code.splitlines()) or any(
                _is_key_name(field) and unicodedata.normalize("NFKC", field) != field
                for field, _ in fields
            ):
                # a key too long for a line (ruff would split its type), or one Python would
                # change in the class form (which ruff asks for): typed loosely instead
                self.taken.discard(name)
                self.aliases[key] = _DICT.text
                return _DICT
            self.uses |= uses
            self.definitions.append(_Definition(name, code, is_class=True))
        elif name == _DICT.text:
            return _DICT
        return _Type(name, _no_default)

    # -- the parts -------------------------------------------------------------------------

    def parameters(self) -> list[_Parameter]:
        """The inputs as parameters: required first, then in ``x-order``, then as listed."""
        schema = _input_schema({"components": {"schemas": self.components}}) or {}
        properties: Mapping[str, Any] = schema.get("properties") or {}
        required = {key for key in schema.get("required") or () if isinstance(key, str)}

        def order(item: tuple[int, tuple[str, Any]]) -> tuple[bool, float, int]:
            index, (key, value) = item
            position = value.get("x-order") if isinstance(value, Mapping) else None
            if isinstance(position, bool) or not _is_number(position):
                return key not in required, math.inf, index
            return key not in required, float(position), index

        entries = [entry for _, entry in sorted(enumerate(properties.items()), key=order)]
        parameters = []
        for key, value in entries:
            resolved, _ = self.resolve(value)
            typed = self.type_of(value, output=False, hint=str(key), seen=frozenset())
            default: str | None = None
            notes = []
            if key not in required:
                given = resolved.get("default")
                if isinstance(given, float) and typed.text == "int" and given.is_integer():
                    given = int(given)
                if given is not None and typed.fits(given):
                    default = _value(given)
                else:
                    typed = _optional(typed)
                    default = "None"
                    if given is not None:
                        notes.append(f"Default (the model's): {_json_text(given)}.")
            self.uses |= typed.uses
            # the input's own words: a referenced enum's "An enumeration." says nothing
            own = value if isinstance(value, Mapping) else {}
            text = _one_line(own.get("description")) or _one_line(own.get("title"))
            parameters.append(
                _Parameter(str(key), resolved, typed, default, [_sentence(text), *notes])
            )
        return parameters

    def render(self) -> str:
        parameters = self.parameters()
        output_schema = self.components.get("Output")
        output = self.type_of(
            output_schema, output=True, hint=f"{self.function}_output", seen=frozenset()
        )
        self.uses |= output.uses
        # names last, so that none shadows a module-level name in the body
        names = _parameter_names([p.input for p in parameters], self.taken | _BODY_NAMES)
        for parameter, name in zip(parameters, names, strict=True):
            parameter.name = name
            self.taken.add(name)
        for parameter in parameters:
            # ruff splits a long line at an annotation's brackets or bars: name it instead
            if len(_parameter_line(parameter)) > LINE_LENGTH and not _is_attribute(
                parameter.type.text
            ):
                parameter.type = self.named(parameter.type, f"{parameter.name}_type")
        returns = self._returns(output_schema)
        return "".join(
            [
                self._header(),
                self._imports(),
                self._constants(),
                self._definitions(),
                self._function(parameters, output, returns, is_async=False),
                self._function(parameters, output, returns, is_async=True),
                _HELPERS,
            ]
        )

    def _header(self) -> str:
        comment = [
            "# Generated by `replicate codegen` from the model's schema: do not edit.",
            _noqa(f"# Model: {self.model}"),
            f"# Version: {self.version_id}",
            *_comment_command("Regenerate:", self.command),
        ]
        summary = f"{self.model}: {_sentence(_one_line(self.description))}".rstrip(": ")
        if self.pinned:
            check = "which they run."
        else:
            check = (
                "and warn once when the model has a newer one (with ``ON_NEW_VERSION`` "
                '``"error"``, they raise).'
            )
        about = (
            f"``{self.function}(...)`` runs the model through ``replicate.use()`` and returns its "
            f"output; ``async_{self.function}(...)`` is its twin for async code. They were "
            f"generated from version {self.version_id} of the model, {check}"
        )
        docstring = [
            *_wrap(_docstring_text(summary), 0, first='"""'),
            "",
            *_wrap(_docstring_text(about), 0),
            '"""',
        ]
        return "\n".join([*comment, *docstring, "", ""])

    def _imports(self) -> str:
        typing_names = self.uses & {"Any", "Literal", "NotRequired", "TypeAlias", "TypedDict"}
        replicate_names = self.uses & {"FileLike", "URLPath"}
        names = f"from replicate import {', '.join(sorted(replicate_names))}\n"
        return (
            "from __future__ import annotations\n\n"
            f"from typing import {', '.join(sorted(typing_names))}\n\n"
            "import replicate\n"
            f"{names if replicate_names else ''}\n"
        )

    def _constants(self) -> str:
        exported = [
            "MODEL",
            "VERSION",
            "ON_NEW_VERSION",
            "REGENERATE",
            *(d.name for d in self.definitions),
            self.function,
            f"async_{self.function}",
        ]
        exported.sort(key=_all_order)
        names = _list_assignment("__all__", [_string(name) for name in exported])
        return "\n".join(
            [
                names,
                "",
                _assign_atom("MODEL", _string(self.model)),
                _assign_atom("VERSION", _string(self.version_id)),
                _assign_atom("REGENERATE", _string(self.command)),
                f"ON_NEW_VERSION: Literal[{_string('warn')}, {_string('error')}] = "
                + _string(self.on_new_version),
                '"""When the model has a newer version than ``VERSION``: ``"warn"`` (once) or '
                '``"error"``."""',
                "",
            ]
        )

    def _definitions(self) -> str:
        text = ""
        previous: _Definition | None = None
        for definition in self.definitions:
            if previous is None:
                text += "\n\n" if definition.is_class else "\n"
            elif definition.is_class or previous.is_class:
                text += "\n\n"
            text += definition.code.rstrip("\n") + "\n"
            previous = definition
        return text

    def _function(
        self, parameters: list[_Parameter], output: _Type, returns: list[str], *, is_async: bool
    ) -> str:
        name = f"async_{self.function}" if is_async else self.function
        lines = ["", "", f"{'async ' if is_async else ''}def {name}(", "    *,"]
        lines += [_noqa(_parameter_line(parameter)) for parameter in parameters]
        lines += ["    client: replicate.Client | None = None,", f") -> {output.text}:"]
        lines += self._docstring(parameters, returns, is_async=is_async)
        if parameters:
            lines.append("    inputs: dict[str, object] = {")
            lines += [_noqa(f"        {_string(p.input)}: {p.name},") for p in parameters]
            lines.append("    }")
        else:
            lines.append("    inputs: dict[str, object] = {}")
        ref = 'f"{MODEL}:{VERSION}"' if self.pinned else "MODEL"
        use = f"    function = (client or replicate.default_client).use({ref}"
        wait = "await " if is_async else ""
        lines += [
            use + (", use_async=True)" if is_async else ")"),
            f"    {wait}function.check_version("
            'VERSION, error=ON_NEW_VERSION == "error", command=REGENERATE)',
            _noqa(f"    output: {output.text} = {wait}function(**_given(inputs))"),
            "    return output",
        ]
        return "\n".join(lines) + "\n"

    def _docstring(
        self, parameters: list[_Parameter], returns: list[str], *, is_async: bool
    ) -> list[str]:
        summary = _docstring_text(_sentence(_one_line(self.description) or f"Run {self.model}"))
        if is_async:
            how = f"``{self.function}`` for async code: ``replicate.use(..., use_async=True)``."
        else:
            how = f"Runs {self.model} through ``replicate.use()``; an input left None is not sent."
        lines = [*_wrap(summary, 4, first='"""'), "", *_wrap(_docstring_text(how), 4)]
        lines += ["", "    Args:"]
        for parameter in parameters:
            lines += _wrap(_input_doc(parameter), 8, first=f"{parameter.name}: ", hanging=12)
        client = "The client to run the model with (default: ``replicate.default_client``)."
        lines += _wrap(client, 8, first="client: ", hanging=12)
        lines += ["", "    Returns:"]
        for paragraph in returns:
            lines += _wrap(paragraph, 8)
        return [*lines, '    """']

    def _returns(self, schema: Any) -> list[str]:
        resolved, _ = self.resolve(schema)
        items, _ = self.resolve(resolved.get("items"))
        kind = resolved.get("type")
        if kind == "string" and resolved.get("format") == "uri":
            text = "A file, as a ``URLPath``: downloaded on first use; ``.url`` is its URL."
        elif kind == "array" and resolved.get("x-cog-array-display") == "concatenate":
            text = "The text the model streams, joined."
        elif kind == "array" and items.get("type") == "string" and items.get("format") == "uri":
            text = "Files, as ``URLPath`` objects: each downloaded on first use (``.url``)."
        else:
            text = "The model's output."
        description = resolved.get("description")
        if isinstance(description, str) and _one_line(description):
            text += " " + _sentence(_one_line(description))
        return [_docstring_text(text)]


def _parameter_line(parameter: _Parameter) -> str:
    line = f"    {parameter.name}: {parameter.type.text}"
    if parameter.default is not None:
        line += f" = {parameter.default}"
    return line + ","


_HELPERS = '''

def _given(inputs: dict[str, object]) -> dict[str, object]:
    """The inputs to send: those not None."""
    return {key: value for key, value in inputs.items() if value is not None}
'''


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type (``1``, ``True`` and ``1.0`` are three enum values)."""
    return type(a) is type(b) and a == b


def _input_doc(parameter: _Parameter) -> str:
    """What the docstring says of an input: its description, limits, and its own name when
    the parameter's differs."""
    description, *notes = parameter.notes
    parts = [part for part in (description, *_limits(parameter.schema), *notes) if part]
    if parameter.input != parameter.name:
        parts.append(f"The model's input {_json_text(parameter.input)}.")
    return _docstring_text(" ".join(parts) or "(no description)")


def _limits(schema: JSON) -> list[str]:
    """Range, length and size limits, and the values of an enum ``Literal`` cannot hold."""
    notes = []
    for low, high, unit in (
        ("minimum", "maximum", ""),
        ("exclusiveMinimum", "exclusiveMaximum", " (exclusive)"),
        ("minLength", "maxLength", " characters"),
        ("minItems", "maxItems", " items"),
    ):
        lowest, highest = (
            value if _is_number(value) and not isinstance(value, bool) else None
            for value in (schema.get(low), schema.get(high))
        )
        if lowest is not None and highest is not None:
            notes.append(f"From {lowest} to {highest}{unit}.")
        elif lowest is not None:
            notes.append(f"At least {lowest}{unit}.")
        elif highest is not None:
            notes.append(f"At most {highest}{unit}.")
    enum = schema.get("enum")
    if isinstance(enum, list) and not all(v is None or isinstance(v, str | int) for v in enum):
        notes.append(f"One of: {', '.join(_json_text(value) for value in enum)}.")
    return notes


# --- names ----------------------------------------------------------------------------------


def _identifier(text: str, *, prefix: str) -> str:
    """A Python identifier from a model's name: lower case, ``_`` for anything but letters
    and digits, ``prefix`` before a leading digit, ``_`` after a keyword.

    Example::

        _identifier("flux-1.1-pro", prefix="model_")  # 'flux_1_1_pro'
        _identifier("3d-model", prefix="model_")  # 'model_3d_model'
    """
    name = re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", text.lower())).strip("_")
    if not name or name[0].isdigit():
        name = prefix + name
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in _AMBIGUOUS:
        name += "_"
    return name


def _function_name(model_name: str) -> str:
    """The function (and module) named after a model: ``flux-schnell`` is ``flux_schnell``;
    a name the module uses itself (``replicate``) gets a ``_``, so that a module file never
    shadows the package."""
    name = _identifier(model_name, prefix="model_")[:MAX_FUNCTION_NAME]
    return name + "_" if name in _MODULE_NAMES else name


def _parameter_names(inputs: Sequence[str], taken: set[str] | frozenset[str]) -> list[str]:
    """A parameter name per input (see the module's docstring): inputs whose names are fine
    keep them, first; the others get one that nothing else has."""

    def usable(name: str) -> bool:
        return name.isascii() and name.isidentifier() and not keyword.iskeyword(name)

    taken = set(taken) | _AMBIGUOUS
    names = {index: key for index, key in enumerate(inputs) if usable(key) and key not in taken}
    used = taken | set(names.values())
    for index, key in enumerate(inputs):
        if index in names:
            continue
        name = re.sub(r"[^A-Za-z0-9_]", "_", key)
        if not name or name[0].isdigit():
            name = "input_" + name
        while keyword.iskeyword(name) or name in used:
            name += "_"
        names[index] = name
        used.add(name)
    return [names[index] for index in range(len(inputs))]


def _pascal(text: str) -> str:
    """``scheduler`` is ``Scheduler``, ``image_output`` ``ImageOutput``; ``Type`` goes
    before a leading digit."""
    words = re.split(r"[^A-Za-z0-9]+", text)
    name = "".join(word[:1].upper() + word[1:] for word in words if word)
    if not name or name[0].isdigit():
        name = "Type" + name
    return name


def _all_order(name: str) -> tuple[int, list[tuple[int, int | str]]]:
    """How ruff sorts ``__all__`` (RUF022): SCREAMING_CASE, then CamelCase, then the rest,
    each in natural order."""
    if len(name) > 1 and name.isupper():
        group = 0
    elif name[:1].isupper():
        group = 1
    else:
        group = 2
    parts = re.findall(r"\d+|\D+", name)
    return group, [(0, int(p)) if p.isdigit() else (1, p) for p in parts]


# --- literals and text ----------------------------------------------------------------------


def _string(text: str) -> str:
    """A string literal as ``ruff format`` writes it: double quotes unless single ones need
    fewer escapes; backslashes, control and non-ASCII characters escaped."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + _escape(text, quote) + quote


def _escape(text: str, quote: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char == "\\":
            out.append("\\\\")
        elif char == quote:
            out.append("\\" + quote)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif 32 <= code < 127:
            out.append(char)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _value(value: Any) -> str:
    """A JSON scalar as a Python literal."""
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool | float):
        return repr(value)
    return str(int(value))


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _one_line(text: object) -> str:
    """``text`` on one line: whitespace collapsed, invisible characters dropped."""
    if not isinstance(text, str):
        return ""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _sentence(text: str) -> str:
    return text if not text or text.endswith((".", "!", "?", ":")) else text + "."


def _docstring_text(text: str) -> str:
    """Untrusted text made safe inside a docstring: one line, backslashes doubled, non-ASCII
    characters escaped (ruff flags look-alike ones), and no ``\"\"\"``."""
    text = _escape(_one_line(text), quote="")
    if '""' in text or text.startswith('"') or text.endswith('"'):
        text = text.replace('"', '\\"')  # a quote beside the docstring's own would end it
    return text


def _wrap(
    text: str, indent: int, *, first: str = "", hanging: int | None = None, width: int = 100
) -> list[str]:
    """``text`` wrapped at ``width``, after ``first`` on the first line, later lines indented
    by ``hanging`` (default: ``indent``). A word too long for any line stands on a line of
    its own (which ruff allows), or glued to a ``first`` that does not end with a space."""
    hanging = indent if hanging is None else hanging
    lines: list[str] = []
    line = " " * indent + first
    has_word = False
    for word in text.split():
        candidate = f"{line} {word}" if has_word else line + word
        if len(candidate) <= width or (not has_word and not first.endswith(" ")):
            line, has_word = candidate, True
        else:
            lines.append(line.rstrip())
            line, has_word = " " * hanging + word, True
    lines.append(line.rstrip())
    return lines


def _comment_command(label: str, command: str) -> list[str]:
    """``# label command`` on comment lines, wrapped between words with shell line
    continuations, so that it can be copied as it is; on one line (marked for ruff) when a
    word is too long for that."""
    try:
        words = [shlex.quote(word) for word in shlex.split(command)]
    except ValueError:
        words = command.split()
    text = _escape(" ".join(words), quote="")
    lines = _wrap(text, 0, first=f"{label} ", hanging=4, width=LINE_LENGTH - 4)
    if any(len(line) > LINE_LENGTH - 4 for line in lines):
        # a shell takes the noqa marker for a comment: the line still copies as the command
        return [_noqa(f"# {label} {text}")]
    last = len(lines) - 1
    return [f"# {line}" + (" \\" if index < last else "") for index, line in enumerate(lines)]


def _alias(name: str, value: str) -> str:
    """``name: TypeAlias = value`` as ruff formats it: on one line when it fits, else a
    ``Literal`` one value a line, a union one member a line (in parentheses), a ``list[...]``
    with its item on a line of its own."""
    target = f"{name}: TypeAlias"
    line = f"{target} = {value}"
    if len(line) <= LINE_LENGTH:
        return line
    members = _split_items(value, separator="|")
    if len(members) > 1:
        inner = f"    {value}"
        if len(inner) <= LINE_LENGTH:
            return f"{target} = (\n{inner}\n)"
        return f"{target} = (\n    " + "\n    | ".join(members) + "\n)"
    opening = value.find("[")
    if opening > 0 and value.endswith("]"):
        items = _split_items(value[opening + 1 : -1], separator=",")
        if len(items) == 1:  # no trailing comma: ruff would take it for a tuple's
            return f"{target} = {value[: opening + 1]}\n{_noqa(f'    {items[0]}')}\n]"
        body = "".join(_noqa(f"    {item},") + "\n" for item in items)
        return f"{target} = {value[: opening + 1]}\n{body}]"
    return _noqa(line)


def _assign_atom(target: str, value: str) -> str:
    """``target = value`` for a value ruff cannot split (a string): on one line, or in
    parentheses on a line of its own when that fits, as ruff formats it."""
    line = f"{target} = {value}"
    if len(line) <= LINE_LENGTH or len(value) + 4 > LINE_LENGTH:
        return _noqa(line)
    return f"{target} = (\n    {value}\n)"


def _list_assignment(target: str, items: Sequence[str]) -> str:
    """``target = [items]``, one item a line when it does not fit on one."""
    line = f"{target} = [{', '.join(items)}]"
    if len(line) <= LINE_LENGTH:
        return line
    body = "".join(_noqa(f"    {item},") + "\n" for item in items)
    return f"{target} = [\n{body}]"


def _split_items(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` where it is outside brackets and string literals."""
    items: list[str] = []
    depth, start, quote, index = 0, 0, "", 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == separator and depth == 0:
            items.append(text[start:index].strip())
            start = index + 1
        index += 1
    items.append(text[start:].strip())
    return [item for item in items if item]


def _typed_dict(name: str, fields: Sequence[tuple[str, str]]) -> str:
    """A TypedDict: the class form when every key can be an attribute name, else the
    functional form."""
    if all(_is_key_name(key) for key, _ in fields):
        body = "".join(
            f"    {key}: {text}{'  # noqa: E741' if key in _AMBIGUOUS else ''}\n"
            for key, text in fields
        )
        return f"class {name}(TypedDict):\n{body}"
    items = "".join(f"        {_string(key)}: {text},\n" for key, text in fields)
    return f"{name} = TypedDict(\n    {_string(name)},\n    {{\n{items}    }},\n)\n"


def _is_key_name(name: str) -> bool:
    """Whether a TypedDict key can be written in the class form (ruff asks for it then; a
    name starting with ``__`` would be mangled there)."""
    return name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("__")


def _is_attribute(name: str) -> bool:
    return name.isascii() and name.isidentifier() and not keyword.iskeyword(name)


def _noqa(line: str) -> str:
    """A line too long for ruff that cannot be split (a long literal) says so."""
    return line + ("  # noqa: E501" if _overlong(line) else "")


def _overlong(line: str) -> bool:
    """Whether ruff's E501 flags ``line``: longer than the limit, unless it is one word, or
    ends with a URL that starts within the limit (ruff lets those be)."""
    if len(line) <= LINE_LENGTH:
        return False
    chunks = line.split()
    if len(chunks) < 2:
        return False
    return "://" not in chunks[-1] or len(line) - len(chunks[-1]) > LINE_LENGTH
