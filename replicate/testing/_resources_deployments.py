"""Deployments: create, list, get, update (a new release each time) and delete.

``store.deployments["owner/name"]`` holds the deployment as the API shows it; predictions
through a deployment (``_predictions``) run ``current_release.model``/``version``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ._app import ProblemError, not_found
from ._resources_common import (
    NAME,
    NAME_RULE,
    SKUS,
    account_json,
    check_fields,
    check_range,
    invalid,
)
from ._state import JSON

if TYPE_CHECKING:
    from ._app import EmulatorApp

CONFIGURATION: dict[str, type] = {"hardware": str, "min_instances": int, "max_instances": int}
CREATE_FIELDS: dict[str, type] = {"name": str, "model": str, "version": str, **CONFIGURATION}
UPDATE_FIELDS: dict[str, type] = {"version": str, **CONFIGURATION}
MAX_MIN_INSTANCES, MAX_MAX_INSTANCES = 5, 20


def routes(app: EmulatorApp) -> list[BaseRoute]:
    store = app.store

    def check_configuration(body: JSON) -> None:
        if "hardware" in body and body["hardware"] not in SKUS:
            raise invalid("hardware", f"unknown SKU {body['hardware']!r} (see GET /v1/hardware)")
        check_range(body, "min_instances", 0, MAX_MIN_INSTANCES)
        check_range(body, "max_instances", 0, MAX_MAX_INSTANCES)

    def check_version(model: str, version: str) -> None:
        with store.lock:
            entry = store.models.get(model)
            if entry is None:
                raise invalid("model", f"model {model} does not exist")
            if not any(item.id == version for item in entry.versions):
                raise invalid("version", f"{model} has no version {version}")

    def release(number: int, model: str, version: str, configuration: JSON) -> JSON:
        return {
            "number": number,
            "model": model,
            "version": version,
            "created_at": store.now(),
            "created_by": account_json(app, nested=True),
            "configuration": configuration,
        }

    def find(request: Request) -> tuple[str, JSON]:
        key = f"{request.path_params['owner']}/{request.path_params['name']}"
        with store.lock:
            deployment = store.deployments.get(key)
        if deployment is None:
            raise not_found(f"Deployment {key}")
        return key, deployment

    def shown(deployment: JSON) -> JSON:
        with store.lock:
            return copy.deepcopy(deployment)

    async def list_deployments(request: Request) -> Response:
        with store.lock:
            items = [shown(item) for item in reversed(store.deployments.values())]
        return JSONResponse(app.page(request, items))

    async def create_deployment(request: Request) -> Response:
        body = await app.json_body(request)
        check_fields(body, CREATE_FIELDS, required=CREATE_FIELDS)
        if not NAME.match(body["name"]):
            raise invalid("name", NAME_RULE)
        check_configuration(body)
        if body["min_instances"] > body["max_instances"]:
            raise invalid("min_instances", "must not be more than max_instances")
        check_version(body["model"], body["version"])
        owner = app.options.username
        key = f"{owner}/{body['name']}"
        configuration = {name: body[name] for name in CONFIGURATION}
        with store.lock:
            if key in store.deployments:
                raise ProblemError(409, "Conflict", f"A deployment named {key} already exists")
            deployment = {
                "owner": owner,
                "name": body["name"],
                "current_release": release(1, body["model"], body["version"], configuration),
            }
            store.deployments[key] = deployment
        return JSONResponse(shown(deployment))  # the spec gives 200, not 201

    async def get_deployment(request: Request) -> Response:
        return JSONResponse(shown(find(request)[1]))

    async def update_deployment(request: Request) -> Response:
        _, deployment = find(request)
        body = await app.json_body(request)
        check_fields(body, UPDATE_FIELDS)
        check_configuration(body)
        changes = {name: body[name] for name in UPDATE_FIELDS if name in body}
        if not changes:
            return JSONResponse(shown(deployment))  # nothing to release
        with store.lock:
            current = deployment["current_release"]
            configuration = {**current["configuration"]}
            configuration.update({k: v for k, v in changes.items() if k in CONFIGURATION})
            if configuration["min_instances"] > configuration["max_instances"]:
                raise invalid("min_instances", "must not be more than max_instances")
            version = changes.get("version", current["version"])
            check_version(current["model"], version)
            # Every update is a new release; predictions read the release as a whole.
            number = current["number"] + 1
            deployment["current_release"] = release(
                number, current["model"], version, configuration
            )
        return JSONResponse(shown(deployment))

    async def delete_deployment(request: Request) -> Response:
        key, _ = find(request)
        with store.lock:
            store.deployments.pop(key, None)
        return Response(status_code=204)

    deployment = "/v1/deployments/{owner}/{name}"
    return [
        Route("/v1/deployments", list_deployments, methods=["GET"]),
        Route("/v1/deployments", create_deployment, methods=["POST"]),
        Route(deployment, get_deployment, methods=["GET"]),
        Route(deployment, update_deployment, methods=["PATCH"]),
        Route(deployment, delete_deployment, methods=["DELETE"]),
    ]
