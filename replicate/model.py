"""Models."""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict, Unpack, overload

from replicate._generated import (
    models_create,
    models_delete,
    models_get,
    models_get_readme,
    models_list,
    models_list_examples,
    models_search,
    models_update,
)
from replicate.exceptions import ReplicateException
from replicate.identifier import Reference
from replicate.pagination import Cursor
from replicate.pagination import Page as Page  # replicate 1.x code imports it from here
from replicate.prediction import CreateOptions, CreatePredictionParams, Prediction
from replicate.resource import Namespace, OwnedResource
from replicate.version import Version, Versions

__all__ = ["Model", "Models", "ModelsPredictions"]


class Model(OwnedResource):
    """A machine learning model hosted on Replicate.

    Its fields are those of the API's model (``replicate_api.models.Model``), under the API's
    names; ``latest_version`` is a ``Version`` and ``default_example`` a ``Prediction``.

    Example::

        model = replicate.models.get("replicate/hello-world")
        print(model.id, model.run_count, model.latest_version.id)
    """

    _generated = ("Model",)

    url: str | None
    """The URL of the model's page."""

    description: str | None
    """The description of the model."""

    visibility: str | None
    """``public`` or ``private`` (and ``unlisted`` on the current API)."""

    github_url: str | None
    """The model's source code on GitHub."""

    paper_url: str | None
    """The paper about the model."""

    license_url: str | None
    """The model's license."""

    run_count: int | None
    """How many times the model was run."""

    cover_image_url: str | None
    """The model's cover image."""

    default_example: Prediction | None
    """The model's example prediction."""

    latest_version: Version | None
    """The model's latest version (None for a model run without versions)."""

    is_official: bool | None
    """Whether Replicate maintains the model (official models run without a version)."""

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
        return Versions(self._bound(), self)

    def reload(self) -> None:
        """Fetch the model again and update this object.

        Example::

            model.reload()
        """
        self._update_from(self._bound().models.get(self.owner, self.name))

    async def async_reload(self) -> None:
        """Fetch the model again, asynchronously.

        Example::

            await model.async_reload()
        """
        self._update_from(await self._bound().models.async_get(self.owner, self.name))


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
        return self._page(Model, cursor, models_list, **_sorting(sort_by, sort_direction))

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
        sorting = _sorting(sort_by, sort_direction)
        return await self._async_page(Model, cursor, models_list, **sorting)

    def search(self, query: str) -> Page[Model]:
        """Public models matching a query (the API's ``QUERY /models``).

        Example::

            page = replicate.models.search("upscale")
        """
        return self._page(Model, ..., models_search, body=query)

    async def async_search(self, query: str) -> Page[Model]:
        """Public models matching a query, asynchronously.

        Example::

            page = await replicate.models.async_search("upscale")
        """
        return await self._async_page(Model, ..., models_search, body=query)

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
        return self._one(Model, models_get, *_owner_name(args, kwargs))

    @overload
    async def async_get(self, key: str) -> Model: ...

    @overload
    async def async_get(self, owner: str, name: str) -> Model: ...

    async def async_get(self, *args: str, **kwargs: str) -> Model:
        """A model, by ``"owner/name"`` or by ``owner, name``, asynchronously.

        Example::

            model = await replicate.models.async_get("replicate/hello-world")
        """
        return await self._async_one(Model, models_get, *_owner_name(args, kwargs))

    def create(self, owner: str, name: str, **params: Unpack[CreateModelParams]) -> Model:
        """Create a model.

        Example::

            model = replicate.models.create(
                owner="acme", name="hot-dog-detector", visibility="private", hardware="cpu"
            )
        """
        return self._sent(Model, _create_request(owner, name, params), models_create)

    async def async_create(
        self, owner: str, name: str, **params: Unpack[CreateModelParams]
    ) -> Model:
        """Create a model, asynchronously.

        Example::

            model = await replicate.models.async_create(
                "acme", "hot-dog-detector", visibility="private", hardware="cpu"
            )
        """
        request = _create_request(owner, name, params)
        return await self._async_sent(Model, request, models_create)

    def update(self, *args: str, **params: Unpack[UpdateModelParams]) -> Model:
        """Change a model's description, URLs or README; returns the updated model.

        Example::

            model = replicate.models.update("acme/hot-dog-detector", readme="# Hot dogs")
        """
        return self._sent(Model, _update_request(args, params), models_update)

    async def async_update(self, *args: str, **params: Unpack[UpdateModelParams]) -> Model:
        """Change a model, asynchronously.

        Example::

            await replicate.models.async_update("acme", "hot-dog-detector", description="...")
        """
        request = _update_request(args, params)
        return await self._async_sent(Model, request, models_update)

    @overload
    def delete(self, key: str) -> bool: ...

    @overload
    def delete(self, owner: str, name: str) -> bool: ...

    def delete(self, *args: str, **kwargs: str) -> bool:
        """Delete a model (private, with no versions); True when it was deleted.

        Example::

            replicate.models.delete("acme/hot-dog-detector")
        """
        return self._done(models_delete, *_owner_name(args, kwargs))

    @overload
    async def async_delete(self, key: str) -> bool: ...

    @overload
    async def async_delete(self, owner: str, name: str) -> bool: ...

    async def async_delete(self, *args: str, **kwargs: str) -> bool:
        """Delete a model, asynchronously.

        Example::

            await replicate.models.async_delete("acme/hot-dog-detector")
        """
        return await self._async_done(models_delete, *_owner_name(args, kwargs))

    def examples(self, *args: str, cursor: Cursor = ...) -> Page[Prediction]:
        """One page of a model's example predictions.

        Example::

            for example in replicate.models.examples("replicate/hello-world"):
                print(example.input, example.output)
        """
        return self._page(Prediction, cursor, models_list_examples, *_owner_name(args, {}))

    async def async_examples(self, *args: str, cursor: Cursor = ...) -> Page[Prediction]:
        """One page of a model's example predictions, asynchronously.

        Example::

            page = await replicate.models.async_examples("replicate/hello-world")
        """
        owner_name = _owner_name(args, {})
        return await self._async_page(Prediction, cursor, models_list_examples, *owner_name)

    def readme(self, *args: str) -> str:
        """A model's README, as markdown.

        Example::

            print(replicate.models.readme("replicate/hello-world"))
        """
        request = models_get_readme.build_request(*_owner_name(args, {}))
        return self._client._call(request, models_get_readme.parse_response)

    async def async_readme(self, *args: str) -> str:
        """A model's README, asynchronously.

        Example::

            text = await replicate.models.async_readme("replicate/hello-world")
        """
        request = models_get_readme.build_request(*_owner_name(args, {}))
        return await self._client._async_call(request, models_get_readme.parse_response)


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
        options = CreateOptions.of(params)
        return self._client.predictions._create(Reference.model(model), input, options)

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
        options = CreateOptions.of(params)
        return await self._client.predictions._async_create(Reference.model(model), input, options)


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
    reference = Reference.model((owner, name))  # checks both (see replicate.identifier)
    return reference.owner, reference.name


def _sorting(sort_by: str | None, sort_direction: str | None) -> dict[str, Any]:
    """The list endpoint's sorting arguments."""
    from replicate_api.models import ModelSortBy, SortDirection

    sorting: dict[str, Any] = {}
    if sort_by is not None:
        sorting["sort_by"] = ModelSortBy(sort_by)
    if sort_direction is not None:
        sorting["sort_direction"] = SortDirection(sort_direction)
    return sorting


def _create_request(owner: str, name: str, params: CreateModelParams) -> dict[str, Any]:
    from replicate_api.models import ModelCreateRequest, ModelVisibility

    options: dict[str, Any] = dict(params)
    body = ModelCreateRequest(
        owner=owner,
        name=name,
        hardware=options.pop("hardware"),
        visibility=ModelVisibility(options.pop("visibility")),
        **options,
    )
    request: dict[str, Any] = models_create.build_request(body=body)
    return request


def _update_request(args: tuple[str, ...], params: UpdateModelParams) -> dict[str, Any]:
    from replicate_api.models import ModelUpdateRequest

    owner, name = _owner_name(args, {})
    request: dict[str, Any] = models_update.build_request(
        owner, name, body=ModelUpdateRequest(**params)
    )
    return request
