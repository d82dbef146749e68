"""Models, versions, files, deployments, collections, hardware, account, search, webhooks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from ._app import EmulatorApp


def routes(app: EmulatorApp) -> list[BaseRoute]:
    return []
