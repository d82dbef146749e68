"""Hardware that models run on.

This module's name is also the module-level namespace ``replicate.hardware``; so that both
readings work, the module itself offers ``list()`` and ``async_list()`` on the default client.
"""

from __future__ import annotations

import builtins
import warnings

from replicate._generated import hardware_list
from replicate.resource import Namespace, Resource

__all__ = ["Hardware", "HardwareNamespace", "async_list", "list"]


class Hardware(Resource):
    """Hardware for running a model on Replicate.

    Example::

        print([hardware.sku for hardware in replicate.hardware.list()])
    """

    _generated = ("Hardware",)

    sku: str | None
    """The SKU of the hardware (``gpu-t4``, ...)."""

    name: str | None
    """The name of the hardware."""

    @property
    def id(self) -> str | None:
        """Deprecated: use ``sku``."""
        warnings.warn("Use `sku` instead of `id`", DeprecationWarning, stacklevel=2)
        return self.sku


class HardwareNamespace(Namespace):
    """Operations on hardware: ``list``, ``async_list``.

    Example::

        skus = [hardware.sku for hardware in replicate.hardware.list()]
    """

    def list(self) -> builtins.list[Hardware]:
        """All the hardware you can run models on.

        Example::

            replicate.hardware.list()  # [Hardware(sku='cpu', name='CPU'), ...]
        """
        return self._all(Hardware, hardware_list)

    async def async_list(self) -> builtins.list[Hardware]:
        """All the hardware you can run models on, asynchronously.

        Example::

            hardware = await replicate.hardware.async_list()
        """
        return await self._async_all(Hardware, hardware_list)


def list() -> builtins.list[Hardware]:
    """All the hardware you can run models on (with the default client).

    Example::

        replicate.hardware.list()
    """
    import replicate

    return HardwareNamespace(replicate.default_client).list()


async def async_list() -> builtins.list[Hardware]:
    """All the hardware you can run models on, asynchronously (with the default client).

    Example::

        await replicate.hardware.async_list()
    """
    import replicate

    return await HardwareNamespace(replicate.default_client).async_list()
