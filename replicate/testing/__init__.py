"""A local, stateful emulator of Replicate's HTTP API, for tests and offline demos.

Install the project with its ``emulator`` extra (``pip install -e '.[emulator]'`` in a
checkout; see the README), then::

    from replicate.testing import Emulator

    with Emulator() as emu:  # serves http://127.0.0.1:PORT/v1
        os.environ["REPLICATE_API_TOKEN"] = emu.api_token
        os.environ["REPLICATE_BASE_URL"] = emu.base_url
        ...

Built-in models: ``replicate/hello-world``, ``replicate/language-model`` (official, streams
tokens), ``replicate/image`` (PNG files on a delivery host), ``replicate/caption`` (reads a
file input: ``"a 64x64 PNG image"``; feed it ``replicate/image``'s output), ``replicate/fails``
and ``replicate/slow``. ``emu.register("me/model", function)`` adds one of your own, its
schema taken from the function's type hints.

Pytest users get the ``replicate_emulator`` fixture; ``python -m replicate.testing``
serves one from the command line. Importing this package is cheap: the server (starlette,
uvicorn) loads on first use of :class:`Emulator` or :class:`Faults`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._models import (
    HELLO_WORLD_VERSION,
    LANGUAGE_MODEL_VERSION,
    EmulatedModel,
    OutputFile,
    log,
    png,
    progress,
)

if TYPE_CHECKING:
    from ._faults import Fault, FaultRecord, Faults
    from ._server import Emulator

# Loaded on first access, so that ``import replicate.testing`` (done by the pytest plugin
# in every test run) works even without the emulator extra.
_LAZY = {
    "Emulator": "._server",
    "Faults": "._faults",
    "Fault": "._faults",
    "FaultRecord": "._faults",
}


_EXTRA_HINT = (
    "install replicate-client with its 'emulator' extra (pip install -e '.[emulator]' in a "
    "checkout, or pip install 'dist/replicate_client-<version>-py3-none-any.whl[emulator]')"
)
"""How to get the emulator's dependencies (the package is not on a package index)."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    try:
        value = getattr(import_module(module, __name__), name)
    except ModuleNotFoundError as error:
        missing = (error.name or "").partition(".")[0]
        if not missing or missing == "replicate":
            raise
        # one line that says what to do, instead of a traceback into the server's imports
        raise ModuleNotFoundError(
            f"replicate.testing.{name} needs {missing}, which is not installed: {_EXTRA_HINT}",
            name=error.name,
        ) from None
    globals()[name] = value
    return value


__all__ = [
    "HELLO_WORLD_VERSION",
    "LANGUAGE_MODEL_VERSION",
    "EmulatedModel",
    "Emulator",
    "Fault",
    "FaultRecord",
    "Faults",
    "OutputFile",
    "log",
    "png",
    "progress",
]
