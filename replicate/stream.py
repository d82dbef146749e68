"""Streaming, as replicate 1.x code imports it: ``from replicate.stream import ServerSentEvent``.

Importing this module makes the name ``replicate.stream`` refer to the module rather than to
the function, so the module is callable: ``replicate.stream(ref, input=...)`` keeps working
and streams with the default client.

Example::

    from replicate.stream import ServerSentEvent

    for event in replicate.stream("replicate/language-model", input={"prompt": "Hi"}):
        assert isinstance(event, ServerSentEvent)
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

from replicate._stream import ServerSentEvent

__all__ = ["ServerSentEvent"]


class _CallableModule(types.ModuleType):
    def __call__(self, ref: Any, *args: Any, **kwargs: Any) -> Iterator[ServerSentEvent]:
        import replicate

        return replicate.default_client.stream(ref, *args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
