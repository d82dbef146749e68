"""The generated layer's endpoint modules, loaded when a request first needs one.

The facade imports each endpoint module it sends through from here, named
``<group>_<operation>`` (``predictions_get`` is ``replicate_api.api.predictions.get``). What
it gets is a stand-in that imports the module at its first attribute read, so that using a
namespace (``replicate.predictions``) imports nothing of the generated layer until a request
is sent. Type checkers see the real modules.

Example::

    from replicate._generated import predictions_get

    request = predictions_get.build_request("ufawqhfynnddngldkgtslldrkq")
"""

from __future__ import annotations

import importlib
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from replicate_api.api.account import get as account_get
    from replicate_api.api.collections import get as collections_get
    from replicate_api.api.collections import list_ as collections_list
    from replicate_api.api.deployments import create as deployments_create
    from replicate_api.api.deployments import create_prediction as deployments_create_prediction
    from replicate_api.api.deployments import delete as deployments_delete
    from replicate_api.api.deployments import get as deployments_get
    from replicate_api.api.deployments import list_ as deployments_list
    from replicate_api.api.deployments import update as deployments_update
    from replicate_api.api.files import create as files_create
    from replicate_api.api.files import delete as files_delete
    from replicate_api.api.files import download as files_download
    from replicate_api.api.files import get as files_get
    from replicate_api.api.files import list_ as files_list
    from replicate_api.api.hardware import list_ as hardware_list
    from replicate_api.api.models import create as models_create
    from replicate_api.api.models import create_prediction as models_create_prediction
    from replicate_api.api.models import delete as models_delete
    from replicate_api.api.models import get as models_get
    from replicate_api.api.models import get_readme as models_get_readme
    from replicate_api.api.models import list_ as models_list
    from replicate_api.api.models import list_examples as models_list_examples
    from replicate_api.api.models import search as models_search
    from replicate_api.api.models import update as models_update
    from replicate_api.api.predictions import cancel as predictions_cancel
    from replicate_api.api.predictions import create as predictions_create
    from replicate_api.api.predictions import get as predictions_get
    from replicate_api.api.predictions import list_ as predictions_list
    from replicate_api.api.search import search as search_search
    from replicate_api.api.trainings import cancel as trainings_cancel
    from replicate_api.api.trainings import create as trainings_create
    from replicate_api.api.trainings import get as trainings_get
    from replicate_api.api.trainings import list_ as trainings_list
    from replicate_api.api.versions import delete as versions_delete
    from replicate_api.api.versions import get as versions_get
    from replicate_api.api.versions import list_ as versions_list
    from replicate_api.api.webhooks import get_default_secret as webhooks_get_default_secret

__all__ = [
    "account_get",
    "collections_get",
    "collections_list",
    "deployments_create",
    "deployments_create_prediction",
    "deployments_delete",
    "deployments_get",
    "deployments_list",
    "deployments_update",
    "files_create",
    "files_delete",
    "files_download",
    "files_get",
    "files_list",
    "hardware_list",
    "model",
    "models_create",
    "models_create_prediction",
    "models_delete",
    "models_get",
    "models_get_readme",
    "models_list",
    "models_list_examples",
    "models_search",
    "models_update",
    "predictions_cancel",
    "predictions_create",
    "predictions_get",
    "predictions_list",
    "search_search",
    "trainings_cancel",
    "trainings_create",
    "trainings_get",
    "trainings_list",
    "versions_delete",
    "versions_get",
    "versions_list",
    "webhooks_get_default_secret",
]

_SHADOWED = frozenset({"list"})
"""Operations whose module the generator names with a trailing ``_`` (``list_``)."""


class _OnFirstUse(types.ModuleType):
    """Stands for a module until an attribute is read, then holds that module's names."""

    def __getattr__(self, name: str) -> Any:
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)  # later reads find them without this method
        return getattr(module, name)


def __getattr__(name: str) -> Any:
    group, _, operation = name.partition("_")
    if not group or not operation or name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if operation in _SHADOWED:
        operation += "_"
    stand_in = globals()[name] = _OnFirstUse(f"replicate_api.api.{group}.{operation}")
    return stand_in


def model(name: str) -> Any:
    """The generated model class ``replicate_api.models.<name>`` (this imports it).

    Example::

        model("Prediction").from_dict({"id": "x", "status": "starting"})
    """
    return getattr(importlib.import_module("replicate_api.models"), name)
