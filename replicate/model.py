"""Models."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict, Unpack, overload

from replicate.exceptions import ReplicateException
from replicate.pagination import Cursor, Page, cursor_request, page_from_json
from replicate.prediction import (
    CreatePredictionParams,
    Prediction,
    _Target,
    async_create_on,
    create_on,
    prediction_from_json,
)
from replicate.resource import Namespace, Resource
from replicate.version import Version, Versions, version_from_json

if TYPE_CHECKING:
    from replicate.client import Client

__all__ = ["Model", "Models", "ModelsPredictions"]


@dataclass(kw_only=True)
class Model(Resource):
    """A machine learning model hosted on Replicate.

    Example::

        model = replicate.models.get("replicate/hello-world")
        print(model.id, model.run_count, model.latest_version.id)
    """

    url: str | None = None
    """The URL of the model's page."""

    owner: str
    """The user or organization that owns the model."""

    name: str
    """The name of the model."""

    description: str | None = None
    """The description of the model."""

    visibility: str | None = None
    """``public`` or ``private`` (and ``unlisted`` on the current API)."""

    github_url: str | None = None
    """The model's source code on GitHub."""

    paper_url: str | None = None
    """The paper about the model."""

    license_url: str | None = None
    """The model's license."""

    run_count: int | None = None
    """How many times the model was run."""

    cover_image_url: str | None = None
    """The model's cover image."""

    default_example: Prediction | None = None
    """The model's example prediction."""

    latest_version: Version | None = None
    """The model's latest version (None for a model run without versions)."""

    is_official: bool | None = None
    """Whether Replicate maintains the model (official models run without a version)."""

    _client: Client = field(repr=False, compare=False)

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
        warnings.warn("Use `model.owner` instead.", DeprecationWarning, stacklevel=2)
        return self.owner

    def predict(self, *args: Any, **kwargs: Any) -> None:
        """Removed: use ``replicate.run()``."""
        raise ReplicateException(
            "The `model.predict()` method has been removed, because it's unstable: if a new "
            "version of the model you're using is pushed and its API has changed, your code "
            "may break. Use `replicate.run()` instead."
        )

    @property
    def versions(self) -> Versions:
        """The versions of this model.

        Example::

            for version in replicate.models.get("replicate/hello-world").versions.list():
                print(version.id)
        """
        return Versions(self._client, self)

    def reload(self) -> None:
        """Fetch the model again and update this object.

        Example::

            model.reload()
        """
        self._update_from(self._client.models.get(self.owner, self.name))

    async def async_reload(self) -> None:
        """Fetch the model again, asynchronously.

        Example::

            await model.async_reload()
        """
        self._update_from(await self._client.models.async_get(self.owner, self.name))


def model_from_json(client: Client, data: dict[str, Any]) -> Model:
    """A Model from the API's JSON (kept in step with the generated model by a test)."""
    get = data.get
    example = get("default_example")
    latest = get("latest_version")
    return Model(
        url=get("url"),
        owner=get("owner") or "",
        name=get("name") or "",
        description=get("description"),
        visibility=get("visibility"),
        github_url=get("github_url"),
        paper_url=get("paper_url"),
        license_url=get("license_url"),
        run_count=get("run_count"),
        cover_image_url=get("cover_image_url"),
        default_example=prediction_from_json(client, example) if example else None,
        latest_version=version_from_json(latest) if latest else None,
        is_official=get("is_official"),
        _client=client,
    )


class CreateModelParams(TypedDict):
    """Options of ``models.create``."""

    hardware: str
    """The SKU of the hardware the model runs on (see ``replicate.hardware.list()``)."""

    visibility: Literal["public", "private"]
    """Whether the model is public or private."""

    description: NotRequired[str]
    github_url: NotRequired[str]
    paper_url: NotRequired[str]
    license_url: NotRequired[str]
    cover_image_url: NotRequired[str]


class UpdateModelParams(TypedDict, total=False):
    """Options of ``models.update``: the fields to change."""

    description: str
    github_url: str
    paper_url: str
    license_url: str
    readme: str
    weights_url: str


class Models(Namespace):
    """Operations on models: ``get``, ``list``, ``search``, ``create``, ``update``, ``delete``,
    ``examples``, ``readme``, ``predictions``, and ``async_*``.

    Example::

        model = replicate.models.get("replicate/hello-world")
    """

    model = Model

    @property
    def predictions(self) -> ModelsPredictions:
        """Predictions of models run without a version (official models).

        Example::

            replicate.models.predictions.create("meta/meta-llama-3-8b-instruct", {"prompt": "Hi"})
        """
        return ModelsPredictions(self._client)

    def list(
        self,
        cursor: Cursor = ...,
        *,
        sort_by: str | None = None,
        sort_direction: str | None = None,
    ) -> Page[Model]:
        """One page of public models.

        Example::

            page = replicate.models.list(sort_by="model_created_at", sort_direction="desc")
        """
        request = cursor_request(cursor, lambda: _list_request(sort_by, sort_direction))
        return page_from_json(self._client._request(request).json(), self._decode)

    async def async_list(
        self,
        cursor: Cursor = ...,
        *,
        sort_by: str | None = None,
        sort_direction: str | None = None,
    ) -> Page[Model]:
        """One page of public models, asynchronously.

        Example::

            page = await replicate.models.async_list()
        """
        request = cursor_request(cursor, lambda: _list_request(sort_by, sort_direction))
        response = await self._client._async_request(request)
        return page_from_json(response.json(), self._decode)

    def search(self, query: str) -> Page[Model]:
        """Public models matching a query (the API's ``QUERY /models``).

        Example::

            page = replicate.models.search("upscale")
        """
        from replicate_api.api.models import search

        response = self._client._request(search._get_kwargs(body=query))
        return page_from_json(response.json(), self._decode)

    async def async_search(self, query: str) -> Page[Model]:
        """Public models matching a query, asynchronously.

        Example::

            page = await replicate.models.async_search("upscale")
        """
        from replicate_api.api.models import search

        response = await self._client._async_request(search._get_kwargs(body=query))
        return page_from_json(response.json(), self._decode)

    @overload
    def get(self, key: str) -> Model: ...

    @overload
    def get(self, owner: str, name: str) -> Model: ...

    def get(self, *args: str, **kwargs: str) -> Model:
        """A model, by ``"owner/name"`` or by ``owner, name``.

        Example::

            model = replicate.models.get("replicate/hello-world")
            same = replicate.models.get("replicate", "hello-world")
        """
        from replicate_api.api.models import get

        response = self._client._request(get._get_kwargs(*_owner_name(args, kwargs)))
        return self._decode(response.json())

    @overload
    async def async_get(self, key: str) -> Model: ...

    @overload
    async def async_get(self, owner: str, name: str) -> Model: ...

    async def async_get(self, *args: str, **kwargs: str) -> Model:
        """A model, by ``"owner/name"`` or by ``owner, name``, asynchronously.

        Example::

            model = await replicate.models.async_get("replicate/hello-world")
        """
        from replicate_api.api.models import get

        response = await self._client._async_request(get._get_kwargs(*_owner_name(args, kwargs)))
        return self._decode(response.json())

    def create(self, owner: str, name: str, **params: Unpack[CreateModelParams]) -> Model:
        """Create a model.

        Example::

            model = replicate.models.create(
                owner="acme", name="hot-dog-detector", visibility="private", hardware="cpu"
            )
        """
        response = self._client._request(_create_request(owner, name, params))
        return self._decode(response.json())

    async def async_create(
        self, owner: str, name: str, **params: Unpack[CreateModelParams]
    ) -> Model:
        """Create a model, asynchronously.

        Example::

            model = await replicate.models.async_create(
                "acme", "hot-dog-detector", visibility="private", hardware="cpu"
            )
        """
        response = await self._client._async_request(_create_request(owner, name, params))
        return self._decode(response.json())

    def update(self, *args: str, **params: Unpack[UpdateModelParams]) -> Model:
        """Change a model's description, URLs or README; returns the updated model.

        Example::

            model = replicate.models.update("acme/hot-dog-detector", readme="# Hot dogs")
        """
        response = self._client._request(_update_request(args, params))
        return self._decode(response.json())

    async def async_update(self, *args: str, **params: Unpack[UpdateModelParams]) -> Model:
        """Change a model, asynchronously.

        Example::

            await replicate.models.async_update("acme", "hot-dog-detector", description="...")
        """
        response = await self._client._async_request(_update_request(args, params))
        return self._decode(response.json())

    @overload
    def delete(self, key: str) -> bool: ...

    @overload
    def delete(self, owner: str, name: str) -> bool: ...

    def delete(self, *args: str, **kwargs: str) -> bool:
        """Delete a model (private, with no versions); True when it was deleted.

        Example::

            replicate.models.delete("acme/hot-dog-detector")
        """
        from replicate_api.api.models import delete

        response = self._client._request(delete._get_kwargs(*_owner_name(args, kwargs)))
        return response.status_code == 204

    @overload
    async def async_delete(self, key: str) -> bool: ...

    @overload
    async def async_delete(self, owner: str, name: str) -> bool: ...

    async def async_delete(self, *args: str, **kwargs: str) -> bool:
        """Delete a model, asynchronously.

        Example::

            await replicate.models.async_delete("acme/hot-dog-detector")
        """
        from replicate_api.api.models import delete

        request = delete._get_kwargs(*_owner_name(args, kwargs))
        return (await self._client._async_request(request)).status_code == 204

    def examples(self, *args: str, cursor: Cursor = ...) -> Page[Prediction]:
        """One page of a model's example predictions.

        Example::

            for example in replicate.models.examples("replicate/hello-world"):
                print(example.input, example.output)
        """
        from replicate_api.api.models import list_examples

        owner, name = _owner_name(args, {})
        request = cursor_request(cursor, lambda: list_examples._get_kwargs(owner, name))
        return page_from_json(self._client._request(request).json(), self._decode_prediction)

    async def async_examples(self, *args: str, cursor: Cursor = ...) -> Page[Prediction]:
        """One page of a model's example predictions, asynchronously.

        Example::

            page = await replicate.models.async_examples("replicate/hello-world")
        """
        from replicate_api.api.models import list_examples

        owner, name = _owner_name(args, {})
        request = cursor_request(cursor, lambda: list_examples._get_kwargs(owner, name))
        response = await self._client._async_request(request)
        return page_from_json(response.json(), self._decode_prediction)

    def readme(self, *args: str) -> str:
        """A model's README, as markdown.

        Example::

            print(replicate.models.readme("replicate/hello-world"))
        """
        from replicate_api.api.models import get_readme

        return self._client._request(get_readme._get_kwargs(*_owner_name(args, {}))).text

    async def async_readme(self, *args: str) -> str:
        """A model's README, asynchronously.

        Example::

            text = await replicate.models.async_readme("replicate/hello-world")
        """
        from replicate_api.api.models import get_readme

        request = get_readme._get_kwargs(*_owner_name(args, {}))
        return (await self._client._async_request(request)).text

    def _decode(self, data: dict[str, Any]) -> Model:
        return model_from_json(self._client, data)

    def _decode_prediction(self, data: dict[str, Any]) -> Prediction:
        return prediction_from_json(self._client, data)


class ModelsPredictions(Namespace):
    """Predictions created on a model rather than a version (official models).

    Example::

        prediction = replicate.models.predictions.create(
            "meta/meta-llama-3-8b-instruct", input={"prompt": "Hi"}, wait=True
        )
    """

    def create(
        self,
        model: str | tuple[str, str] | Model,
        input: dict[str, Any] | None = None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction on a model.

        Example::

            prediction = replicate.models.predictions.create("acme/official", {"text": "Hi"})
        """
        return create_on(self._client, _Target.model(model), input, params)

    async def async_create(
        self,
        model: str | tuple[str, str] | Model,
        input: dict[str, Any] | None = None,
        **params: Unpack[CreatePredictionParams],
    ) -> Prediction:
        """Create a prediction on a model, asynchronously.

        Example::

            prediction = await replicate.models.predictions.async_create("acme/official", {})
        """
        return await async_create_on(self._client, _Target.model(model), input, params)


def _owner_name(args: tuple[str, ...], kwargs: dict[str, str]) -> tuple[str, str]:
    """``("owner/name",)``, ``("owner", "name")``, ``key=`` or ``owner=, name=``."""
    if args and kwargs:
        raise ValueError("Cannot mix positional and keyword arguments")
    key = kwargs.get("key")
    owner, name = kwargs.get("owner"), kwargs.get("name")
    if len(args) == 1:
        key = args[0]
    elif len(args) == 2:
        owner, name = args
    elif args:
        raise ValueError("Invalid number of arguments")
    if key and (owner or name):
        raise ValueError(
            "Must specify exactly one of 'owner' and 'name' or single 'key' "
            "in the format 'owner/name'"
        )
    if key:
        owner, _, name = key.partition("/")
    if not owner or not name:
        raise ValueError("Both 'owner' and 'name' must be provided if 'key' is not specified.")
    return owner, name


def _list_request(sort_by: str | None, sort_direction: str | None) -> dict[str, Any]:
    from replicate_api.api.models import list_
    from replicate_api.models import ModelSortBy, SortDirection
    from replicate_api.types import UNSET

    return list_._get_kwargs(
        sort_by=UNSET if sort_by is None else ModelSortBy(sort_by),
        sort_direction=UNSET if sort_direction is None else SortDirection(sort_direction),
    )


def _create_request(owner: str, name: str, params: CreateModelParams) -> dict[str, Any]:
    from replicate_api.api.models import create
    from replicate_api.models import ModelCreateRequest, ModelVisibility

    options: dict[str, Any] = dict(params)
    body = ModelCreateRequest(
        owner=owner,
        name=name,
        hardware=options.pop("hardware"),
        visibility=ModelVisibility(options.pop("visibility")),
        **options,
    )
    return create._get_kwargs(body=body)


def _update_request(args: tuple[str, ...], params: UpdateModelParams) -> dict[str, Any]:
    from replicate_api.api.models import update
    from replicate_api.models import ModelUpdateRequest

    owner, name = _owner_name(args, {})
    return update._get_kwargs(owner, name, body=ModelUpdateRequest(**params))
