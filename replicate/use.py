"""``from replicate.use import ...``: the official SDK's module path for ``use()``'s types.

Everything here is ``replicate.function``'s. ``replicate.use(...)`` stays the function: once
this module is imported it takes that name on the package, so it is callable, and calling it
is ``replicate.use(...)`` on the default client.

Example::

    from replicate.use import OutputIterator, URLPath, get_path_url
"""

from __future__ import annotations

import sys
import types
from typing import Any

from replicate.function import (
    AsyncFunction,
    AsyncRun,
    FileLike,
    Function,
    FunctionRef,
    OutputIterator,
    Run,
    URLPath,
    get_path_url,
)

__all__ = [
    "AsyncFunction",
    "AsyncRun",
    "FileLike",
    "Function",
    "FunctionRef",
    "OutputIterator",
    "Run",
    "URLPath",
    "get_path_url",
    "use",
]


def use(ref: Any, **options: Any) -> Any:
    """``replicate.use(ref, ...)``: the default client's ``use`` (see ``Client.use``).

    Example::

        hello = use("replicate/hello-world")
    """
    import replicate

    return replicate.default_client.use(ref, **options)


class _CallableModule(types.ModuleType):
    """This module, callable as ``replicate.use`` is."""

    def __call__(self, ref: Any, **options: Any) -> Any:
        return use(ref, **options)


sys.modules[__name__].__class__ = _CallableModule
