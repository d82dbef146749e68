"""The emulator's ASGI application: auth, validation, errors, pagination and routing.

Resources live in their own modules (``_predictions``, ``_resources``, ...), each giving a
list of routes built on :class:`EmulatorApp`, which holds the state every handler shares.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ._engine import Engine
from ._models import BUILTIN_LINKS, EmulatedModel, builtin_models, png
from ._state import JSON, ModelEntry, Options, Store, Version, decode_cursor, encode_cursor
from ._validation import RequestValidator

if TYPE_CHECKING:
    from ._predictions import Runs
    from ._resources_files import Files
    from ._resources_models import Catalog

PROBLEM = "application/problem+json"
PAGE_SIZE = 100  # items on a page of most lists, as the API gives them
MODELS_PAGE_SIZE = 25  # models on a page of GET /models (and QUERY /models), as the API's
Handler = Callable[[Request], Awaitable[Response]]


class ProblemError(Exception):
    """Raised by handlers; becomes an ``application/problem+json`` response."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        headers: dict[str, str] | None = None,
        *,
        body: JSON | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}
        self.body = body  # the whole body, where the API's differs from the usual problem

    def response(self) -> Response:
        if self.body is not None:
            return JSONResponse(
                self.body, status_code=self.status, media_type=PROBLEM, headers=self.headers
            )
        return problem(self.status, self.title, self.detail, self.headers)


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def not_found(what: str) -> ProblemError:
    return ProblemError(404, "Not found", f"{what} not found")


class EmulatorApp:
    """The state and services behind the routes; ``asgi`` is the application itself."""

    def __init__(self, options: Options, tokens_per_second: float = 50.0) -> None:
        self.options = options
        self.store = Store(options)
        self.engine = Engine(self.store)
        self.validator = RequestValidator()
        self.faults: Any = None  # set by the faults module when scripted
        for index, model in enumerate(builtin_models(tokens_per_second)):
            cover = f"/covers/{model.ref}.png"
            with self.store.lock:
                self.store.outputs[cover] = (png(32, 32, seed=index * 40), "image/png")
            self.add_model(model, cover_image=cover, **BUILTIN_LINKS.get(model.ref, {}))
        self.asgi: ASGIApp = self._build()

    # --- models ----------------------------------------------------------------------------

    def add_model(self, model: EmulatedModel, **metadata: Any) -> ModelEntry:
        """Add a model to the account, with a version (official models have one too)."""
        with self.store.lock:
            entry = self.store.models.get(model.ref)
            if entry is None:
                entry = ModelEntry(
                    owner=model.owner,
                    name=model.name,
                    model=model,
                    created_at=self.store.now(),
                    description=model.description or None,
                    is_official=model.official,
                    readme=f"# {model.ref}\n\n{model.description}\n",
                    **metadata,
                )
                self.store.models[model.ref] = entry
            entry.model = model
            if model.official and entry.deployed_version is None:
                entry.is_official = True
                entry.deployed_version = self.store.ids.deployed_version()
            version_id = model.version_id or self.store.ids.version()
            model.version_id = version_id
            # Adding the same model again must not list its version twice.
            if all(version.id != version_id for version in entry.versions):
                entry.versions.append(Version(version_id, model, self.store.now()))
        return entry

    # --- request helpers -------------------------------------------------------------------

    def base_url(self, request: Request) -> str:
        """The API base URL as the client sees it (``.../v1``)."""
        return str(request.base_url).rstrip("/") + "/v1"

    async def json_body(self, request: Request) -> JSON:
        raw = await request.body()
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError as error:
            detail = f"the request body is not JSON: {error}"
            raise ProblemError(400, "Invalid JSON", detail) from None
        if not isinstance(body, dict):
            raise ProblemError(422, "Invalid request", "the request body must be a JSON object")
        return body

    def page(
        self,
        request: Request,
        items: Sequence[Any],
        page_size: int | None = None,
        render: Callable[[Any], JSON] | None = None,
    ) -> JSON:
        """One page of ``items`` with absolute ``next``/``previous`` cursor URLs.

        ``page_size`` is the list's own size on the API (100 unless given); the emulator's
        ``page_size`` option, when set, overrides it for every list. ``render`` turns an item
        into its JSON, for the page's items only: a long list is not rendered whole for every
        page.
        """
        size = self.options.page_size or page_size or PAGE_SIZE
        offset = decode_cursor(request.query_params.get("cursor", "")) or 0
        results = items[offset : offset + size]
        if render is not None:
            results = [render(item) for item in results]

        def link(position: int) -> str:
            query = {k: v for k, v in request.query_params.items() if k != "cursor"}
            query["cursor"] = encode_cursor(position)
            return f"{str(request.url).split('?')[0]}?{urlencode(query)}"

        return {
            "next": link(offset + size) if offset + size < len(items) else None,
            "previous": link(max(offset - size, 0)) if offset > 0 else None,
            "results": results,
        }

    # --- the application -------------------------------------------------------------------

    def files_download_url(self, file_id: str, expires_in: float = 3600.0) -> str:
        """A signed ``GET /files/{id}/download`` URL for an uploaded file.

        Example::

            url = emulator.app.files_download_url("cneqzikepnug6xezperrr4z55o")
        """
        return self.files.download_url(file_id, expires_in)

    def _build(self) -> ASGIApp:
        from . import _predictions, _resources
        from ._resources_files import Files
        from ._resources_models import Catalog

        # The services the routes share: runs (predictions and trainings), models, files.
        self.runs: Runs = _predictions.Runs(self)
        self.catalog: Catalog = Catalog(self)
        self.files: Files = Files(self)
        routes: list[BaseRoute] = [*_predictions.routes(self), *_resources.routes(self)]
        app = Starlette(
            routes=[self._guard(route) for route in routes],
            exception_handlers={HTTPException: _http_problem},
        )
        return self._outer(app)

    def _guard(self, route: BaseRoute) -> BaseRoute:
        """Wrap a route's endpoint with auth, validation and error handling."""
        if not isinstance(route, Route):
            return route
        endpoint: Handler = route.endpoint
        public = getattr(endpoint, "public", False)
        validate = getattr(endpoint, "validate", True)

        async def guarded(request: Request) -> Response:
            try:
                if not public:
                    self._authenticate(request)
                if validate and self.options.validate_requests:
                    await self._validate(request)
                return await endpoint(request)
            except ProblemError as error:
                return error.response()

        return Route(route.path, guarded, methods=list(route.methods or []), name=route.name)

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ProblemError(401, "Unauthenticated", "You did not pass an authentication token")
        if token != self.options.api_token:
            detail = "You did not pass a valid authentication token"
            raise ProblemError(401, "Unauthenticated", detail)

    async def _validate(self, request: Request) -> None:
        problems = self.validator.problems(
            request.method,
            request.url.path,
            dict(request.query_params),
            {**request.headers},
            await request.body(),
            request.headers.get("content-type", ""),
        )
        if problems:
            raise ProblemError(422, "Invalid request", "; ".join(problems))

    def _outer(self, app: ASGIApp) -> ASGIApp:
        """Unknown routes, the delivery host, and scripted faults, before routing."""
        store = self.store

        async def outer(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            request = Request(scope)
            if _is_delivery(request, store.delivery_base_url):
                await self._deliver_file(request)(scope, receive, send)
                return
            if store.api_base_url.startswith("http://api.emulator.test"):
                store.api_base_url = self.base_url(request)  # in-process: learn our address
            if self.faults is not None:
                handled = await self.faults.intercept(scope, receive, send)
                if handled:
                    return
            await app(scope, receive, send)

        return outer

    def _deliver_file(self, request: Request) -> Response:
        with self.store.lock:
            found = self.store.outputs.get(request.url.path)
        if found is None:
            return problem(404, "Not found", f"no file at {request.url.path}")
        data, content_type = found
        return Response(data, media_type=content_type)


async def _http_problem(request: Request, error: Exception) -> Response:
    """Unknown routes and methods answer problem+json, like everything else."""
    status = getattr(error, "status_code", 500)
    title = {404: "Not found", 405: "Method not allowed"}.get(status, "Error")
    return problem(status, title, f"{request.method} {request.url.path}")


def _is_delivery(request: Request, delivery_base_url: str) -> bool:
    host = request.headers.get("host", "")
    return delivery_base_url.split("://", 1)[-1].split("/")[0] == host


def public(handler: Handler) -> Handler:
    """Mark a handler as needing no token (``GET /search``, signed downloads)."""
    handler.public = True  # type: ignore[attr-defined]
    return handler


def unvalidated(handler: Handler) -> Handler:
    """Mark a handler whose request the spec cannot describe (QUERY, streams)."""
    handler.validate = False  # type: ignore[attr-defined]
    return handler
