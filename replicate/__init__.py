"""A Python client for Replicate's HTTP API, compatible with replicate 1.x.

Example::

    import replicate

    output = replicate.run("replicate/hello-world", input={"text": "Alice"})
    for prediction in replicate.pagination.paginate_items(replicate.predictions.list):
        print(prediction.id, prediction.status)

Importing this package is cheap: everything below loads on first use (PEP 562), the generated
``replicate_api`` layer included. The module-level functions and namespaces belong to
``default_client``, a ``Client()`` configured from the environment when it sends its first
request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "AsyncFunction",
    "Client",
    "FileLike",
    "Function",
    "OutputIterator",
    "URLPath",
    "__version__",
    "async_paginate",
    "async_run",
    "async_run_batch",
    "async_stream",
    "collections",
    "default_client",
    "deployments",
    "files",
    "get_path_url",
    "hardware",
    "models",
    "paginate",
    "predictions",
    "run",
    "run_batch",
    "stream",
    "trainings",
    "use",
    "webhooks",
]

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.collection import Collections
    from replicate.deployment import Deployments
    from replicate.file import Files
    from replicate.function import (
        AsyncFunction,
        FileLike,
        Function,
        OutputIterator,
        URLPath,
        get_path_url,
    )
    from replicate.hardware import HardwareNamespace
    from replicate.model import Models
    from replicate.pagination import async_paginate, paginate
    from replicate.prediction import Predictions
    from replicate.training import Trainings
    from replicate.webhook import Webhooks

    default_client: Client = Client()
    run = default_client.run
    async_run = default_client.async_run
    stream = default_client.stream
    async_stream = default_client.async_stream
    run_batch = default_client.run_batch
    async_run_batch = default_client.async_run_batch
    use = default_client.use
    collections: Collections
    deployments: Deployments
    files: Files
    hardware: HardwareNamespace
    models: Models
    predictions: Predictions
    trainings: Trainings
    webhooks: Webhooks

# attributes of the default client offered at module level
_DEFAULT_CLIENT_ATTRIBUTES = frozenset(
    {
        "run",
        "async_run",
        "stream",
        "async_stream",
        "run_batch",
        "async_run_batch",
        "collections",
        "deployments",
        "files",
        "hardware",
        "models",
        "predictions",
        "trainings",
        "use",
        "webhooks",
    }
)

# the public names of replicate.function (models as functions)
_FUNCTION_NAMES = frozenset(
    {"AsyncFunction", "FileLike", "Function", "OutputIterator", "URLPath", "get_path_url"}
)

_SUBMODULES = frozenset(
    {
        "account",
        "batch",
        "client",
        "codegen",
        "collection",
        "deployment",
        "exceptions",
        "file",
        "function",
        "helpers",
        "identifier",
        "model",
        "pagination",
        "prediction",
        "resource",
        "search",
        "training",
        "version",
        "webhook",
    }
)


def __getattr__(name: str) -> Any:
    value: Any
    if name == "default_client":
        from replicate.client import Client

        value = globals().setdefault("default_client", Client())
    elif name in _DEFAULT_CLIENT_ATTRIBUTES:
        value = getattr(__getattr__("default_client"), name)
    elif name in ("paginate", "async_paginate"):
        from replicate import pagination

        value = getattr(pagination, name)
    elif name == "Client":
        from replicate.client import Client as value
    elif name in _FUNCTION_NAMES:
        from replicate import function

        value = getattr(function, name)
    elif name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"replicate.{name}")
    else:
        raise AttributeError(f"module 'replicate' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_SUBMODULES})
