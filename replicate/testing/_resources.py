"""Models, versions, files, deployments, collections, hardware, account, search, webhooks.

The larger resources live in ``_resources_models``, ``_resources_files`` and
``_resources_deployments``; this module serves the small ones and gathers the routes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from . import _resources_deployments, _resources_files, _resources_models
from ._models import png
from ._resources_common import HARDWARE, account_json, avatar_path

if TYPE_CHECKING:
    from ._app import EmulatorApp


def routes(app: EmulatorApp) -> list[BaseRoute]:
    store = app.store
    with store.lock:
        # The avatar is a real image on the delivery host, like every other served file.
        store.outputs[avatar_path(app.options.username)] = (png(32, 32, seed=7), "image/png")
    catalog, files = app.catalog, app.files
    catalog.seed()

    async def get_account(request: Request) -> Response:
        return JSONResponse(account_json(app))

    async def list_hardware(request: Request) -> Response:
        return JSONResponse([{"name": name, "sku": sku} for name, sku in HARDWARE])

    async def get_webhook_secret(request: Request) -> Response:
        return JSONResponse({"key": store.webhook_secret})

    return [
        Route("/v1/account", get_account, methods=["GET"]),
        Route("/v1/hardware", list_hardware, methods=["GET"]),
        Route("/v1/webhooks/default/secret", get_webhook_secret, methods=["GET"]),
        *_resources_models.routes(app, catalog),
        *_resources_files.routes(app, files),
        *_resources_deployments.routes(app),
    ]
