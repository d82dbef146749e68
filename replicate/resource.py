"""Base classes of the objects this package returns and of the namespaces that fetch them.

An object (a ``Prediction``, a ``Model``, ...) is a view over the generated layer's model of
the API's answer (``replicate_api.models``), which decodes the response once. Its attributes
are the fields of that model under the API's own names (``prediction.input``, not
``input_``), found through the generated class's ``JSON_FIELDS``: a field added to the API's
description and regenerated is an attribute, and is in ``dict(obj)``, with no edit here.
Fields the API sent beyond its description are attributes too.

Values are shown as replicate 1.x shows them, converted on first read and then kept:

- a field the answer left out is ``None`` (or the class's stated default);
- timestamps are the API's own text (``Version.created_at`` stays a ``datetime``, as in 1.x);
- enum values are plain strings, even ones the description does not list yet;
- nested objects are this package's objects where it has one (``Model.latest_version`` is a
  ``Version``), and plain dicts otherwise (``Prediction.urls``, ``Prediction.metrics``).

``Prediction(**payload)`` builds an object from the API's JSON without a client (a webhook
delivery, say); ``obj.bind(client)`` attaches one for the methods that call the API.
"""

from __future__ import annotations

import builtins
import datetime
import enum
import warnings
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, Self, TypeVar

from replicate._generated import model

if TYPE_CHECKING:
    import httpx

    from replicate.client import Client
    from replicate.pagination import Cursor, Page

__all__ = ["Endpoint", "Listing", "Namespace", "OwnedResource", "Resource", "defaults"]

R = TypeVar("R", bound="Resource")

_FACADES: dict[str, type[Resource]] = {}
"""The class of this package shown for each generated model class, by the generated class's
name in ``replicate_api.models`` (filled by subclasses)."""

_EXTRA = ""
"""In a field table: the field is not in the generated model; read the answer's extra keys."""


class Resource:
    """An object on the server: its fields are attributes; ``dict(obj)`` gives them all.

    Example::

        prediction = replicate.predictions.get("ufawqhfynnddngldkgtslldrkq")
        print(prediction.status, dict(prediction)["status"])
    """

    _generated: ClassVar[tuple[str, ...]] = ()
    """The generated model classes this class shows, by their names in ``replicate_api.models``
    (named, not imported: the generated layer loads at the first request); the first one
    builds objects from keywords."""

    _defaults: ClassVar[Mapping[str, Callable[[], Any]]] = MappingProxyType({})
    """Values of fields the API left out, where 1.x gave something other than None (see
    ``defaults``)."""

    _computed: ClassVar[tuple[str, ...]] = ()
    """Properties of this class that ``dict()`` lists beside the API's fields."""

    _timestamps_as_text: ClassVar[bool] = True

    __slots__ = ("__dict__", "_client", "_data")

    _data: Any
    _client: Client | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in cls.__dict__.get("_generated", ()):
            _FACADES[name] = cls

    def __init__(self, **fields: Any) -> None:
        """Build the object from the API's JSON fields, without a client (1.x's
        ``Prediction(**payload)``, for webhook deliveries); ``bind`` attaches one."""
        client = fields.pop("_client", None)
        if not self._generated:
            raise TypeError(f"{type(self).__name__} objects come from the API")
        for name, default in self._defaults.items():
            if name not in fields:
                fields[name] = default()
        try:
            data = model(self._generated[0]).from_dict(fields)
        except KeyError as error:
            raise TypeError(
                f"{type(self).__name__}() is missing the field {error.args[0]!r}"
            ) from None
        self._data = data
        self._client = client

    @classmethod
    def _wrap(cls, data: Any, client: Client | None) -> Self:
        """The object showing ``data``, a generated model (the hot path: no conversion)."""
        obj = object.__new__(cls)
        obj._data = data
        obj._client = client
        return obj

    # -- fields -------------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # only called for names not found otherwise: the first read of a field
        if name[:1] == "_":
            raise AttributeError(name)
        data = self._data
        table = _table(type(self), type(data))
        attribute = table.get(name)
        if attribute:
            raw = getattr(data, attribute)
        else:
            extras = getattr(data, "additional_properties", None) or {}
            if name in extras:
                raw = extras[name]
            elif attribute is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            else:
                raw = None
        value = self._show(name, raw)
        self.__dict__[name] = value
        return value

    def _show(self, name: str, raw: Any) -> Any:
        """Field ``name``'s value as this class shows it."""
        if raw is None or type(raw) is _unset_type():
            default = self._defaults.get(name)
            return None if default is None else default()
        return self._value(raw)

    def _value(self, raw: Any) -> Any:
        kind = type(raw)
        if kind is str or kind is int or kind is float or kind is bool or kind is dict:
            return raw
        if kind is list:
            return [self._value(item) for item in raw]
        if raw is None or kind is _unset_type():
            return None
        if isinstance(raw, datetime.datetime):
            return raw.isoformat() if self._timestamps_as_text else raw
        if isinstance(raw, enum.Enum):
            return raw.value
        facade = _FACADES.get(kind.__name__)
        if facade is not None:
            return facade._wrap(raw, self._client)
        to_dict = getattr(raw, "to_dict", None)
        return to_dict() if to_dict is not None and not isinstance(raw, Resource) else raw

    def _names(self) -> builtins.list[str]:
        """The fields, in order: the API's described ones, this class's own, the extra ones."""
        names = builtins.list(_table(type(self), type(self._data)))
        extras = getattr(self._data, "additional_properties", None) or {}
        names.extend(name for name in extras if name not in names)
        names.extend(name for name in self._computed if name not in names)
        return names

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for name in self._names():
            yield name, getattr(self, name)

    def dict(self) -> builtins.dict[str, Any]:
        """The fields as a dict (the same as ``dict(obj)``).

        Example::

            replicate.predictions.get("ufawqhfynnddngldkgtslldrkq").dict()["status"]
        """
        return {name: getattr(self, name) for name in self._names()}

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Resource)
        return self.dict() == other.dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, as 1.x's objects

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.dict().items())
        return f"{type(self).__name__}({fields})"

    # -- the client ---------------------------------------------------------------------------

    def bind(self, client: Client) -> Self:
        """Attach a client, for an object built from data (``Prediction(**payload)``).

        Example::

            prediction = Prediction(**webhook_payload).bind(replicate.default_client)
            prediction.reload()
        """
        self._client = client
        return self

    def _bound(self) -> Client:
        """The client, or an error that says how to attach one."""
        client = self._client
        if client is None:
            kind = type(self).__name__
            raise RuntimeError(
                f"this {kind} was built from data, so it has no client to call the API with: "
                f"attach one first, e.g. `{kind.lower()}.bind(replicate.default_client)` "
                "or `.bind(replicate.Client(...))`"
            )
        return client

    def _update_from(self, other: Resource) -> None:
        """Show ``other``'s data from now on (after a reload), dropping what was read."""
        self._data = other._data
        self.__dict__.clear()


def defaults(**values: Any) -> Mapping[str, Callable[[], Any]]:
    """A class's values for fields the API left out: constants, or types such as ``dict``
    that make a new value each time.

    Example::

        defaults(status="starting", metadata=dict)["metadata"]()  # {}
    """

    def constant(value: Any) -> Callable[[], Any]:
        return lambda: value

    return MappingProxyType(
        {name: value if callable(value) else constant(value) for name, value in values.items()}
    )


class OwnedResource(Resource):
    """An object named ``owner/name`` (a model, a deployment)."""

    _defaults = defaults(owner=str, name=str)

    owner: str
    """The user or organization that owns it."""

    name: str
    """Its name."""

    @property
    def id(self) -> str:
        """The qualified name, ``owner/name``.

        Example::

            replicate.models.get("replicate/hello-world").id  # 'replicate/hello-world'
        """
        return f"{self.owner}/{self.name}"

    @property
    def username(self) -> str:
        """Deprecated: use ``owner``."""
        kind = type(self).__name__.lower()
        warnings.warn(f"Use `{kind}.owner` instead.", DeprecationWarning, stacklevel=2)
        return self.owner


def _unset_type() -> type[Any]:
    from replicate_api.types import Unset

    return Unset


def _table(facade: type[Resource], generated: type[Any]) -> dict[str, str]:
    """Field name -> generated attribute (``_EXTRA``: in the answer's extras), cached."""
    key = (facade, generated)
    table = _TABLES.get(key)
    if table is None:
        table = dict(getattr(generated, "JSON_FIELDS", {}))
        for cls in reversed(facade.__mro__):
            for name in getattr(cls, "__annotations__", {}):
                if not name.startswith("_") and name not in table:
                    table[name] = _EXTRA
        _TABLES[key] = table
    return table


_TABLES: dict[tuple[type[Resource], type[Any]], dict[str, str]] = {}


class Endpoint(Protocol):
    """A generated endpoint module (``replicate_api.api.predictions.get``, ...)."""

    def build_request(self, *args: Any, **kwargs: Any) -> dict[str, Any]: ...

    def parse_response(self, response: httpx.Response) -> Any: ...


class Namespace:
    """A group of operations on one kind of object, bound to a client.

    Each operation is one line: a generated endpoint module and its arguments, sent by the
    client (``_one``, ``_page``, ``_done``) and shown as this package's objects.

    Example::

        replicate.predictions  # a Namespace: replicate.predictions.list(), ...
    """

    _client: Client

    def __init__(self, client: Client) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    def _one(self, resource: type[R], endpoint: Endpoint, *args: Any, **kwargs: Any) -> R:
        """One object: ``endpoint`` called with these arguments."""
        return self._sent(resource, endpoint.build_request(*args, **kwargs), endpoint)

    async def _async_one(
        self, resource: type[R], endpoint: Endpoint, *args: Any, **kwargs: Any
    ) -> R:
        return await self._async_sent(resource, endpoint.build_request(*args, **kwargs), endpoint)

    def _sent(self, resource: type[R], request: dict[str, Any], endpoint: Endpoint) -> R:
        """One object, from a request made with ``endpoint`` (and perhaps a timeout)."""
        return resource._wrap(self._client._call(request, endpoint.parse_response), self._client)

    async def _async_sent(
        self, resource: type[R], request: dict[str, Any], endpoint: Endpoint
    ) -> R:
        data = await self._client._async_call(request, endpoint.parse_response)
        return resource._wrap(data, self._client)

    def _all(self, resource: type[R], endpoint: Endpoint) -> list[R]:
        """Every object of a list the API answers whole (not in pages)."""
        items = self._client._call(endpoint.build_request(), endpoint.parse_response)
        return [resource._wrap(item, self._client) for item in items]

    async def _async_all(self, resource: type[R], endpoint: Endpoint) -> list[R]:
        items = await self._client._async_call(endpoint.build_request(), endpoint.parse_response)
        return [resource._wrap(item, self._client) for item in items]

    def _page(
        self, resource: type[R], cursor: Cursor, endpoint: Endpoint, *args: Any, **kwargs: Any
    ) -> Page[R]:
        """One page: the first from ``endpoint``, the others from the API's own links."""
        from replicate.pagination import Page, page_request

        request = page_request(cursor, lambda: endpoint.build_request(*args, **kwargs))
        return Page._of(
            self._client._call(request, endpoint.parse_response), resource, self._client
        )

    async def _async_page(
        self, resource: type[R], cursor: Cursor, endpoint: Endpoint, *args: Any, **kwargs: Any
    ) -> Page[R]:
        from replicate.pagination import Page, page_request

        request = page_request(cursor, lambda: endpoint.build_request(*args, **kwargs))
        data = await self._client._async_call(request, endpoint.parse_response)
        return Page._of(data, resource, self._client)

    def _done(self, endpoint: Endpoint, *args: Any) -> bool:
        """Send a request whose answer has no body (a delete): True when it succeeded."""
        return self._client._send(endpoint.build_request(*args)).is_success

    async def _async_done(self, endpoint: Endpoint, *args: Any) -> bool:
        return (await self._client._async_send(endpoint.build_request(*args))).is_success


class Listing(Namespace, Generic[R]):
    """A namespace whose objects the API lists in pages: ``list`` and ``async_list``."""

    _resource: type[R]
    _list: Endpoint
    """The generated endpoint module that lists them."""

    def _list_args(self) -> tuple[Any, ...]:
        """The arguments of the list endpoint (a model's versions need the model)."""
        return ()

    def list(self, cursor: Cursor = ...) -> Page[R]:
        """One page of these objects (newest first where the API sorts them); give a page's
        ``next`` or ``previous`` as ``cursor`` for another one.

        Example::

            page = replicate.predictions.list()
            if page.next:
                page = replicate.predictions.list(page.next)
        """
        return self._page(self._resource, cursor, self._list, *self._list_args())

    async def async_list(self, cursor: Cursor = ...) -> Page[R]:
        """One page of these objects, asynchronously (see ``list``).

        Example::

            page = await replicate.predictions.async_list()
        """
        return await self._async_page(self._resource, cursor, self._list, *self._list_args())
