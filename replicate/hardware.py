"""Hardware that models run on.

This module's name is also the module-level namespace ``replicate.hardware``; so that both
readings work, the module itself offers ``list()`` and ``async_list()`` on the default client.
"""

from __future__ import annotations

import builtins
import warnings
from dataclasses import dataclass
from typing import Any

from replicate.resource import Namespace, Resource

__all__ = ["Hardware", "HardwareNamespace", "async_list", "list"]


@dataclass(kw_only=True)
class Hardware(Resource):
    """Hardware for running a model on Replicate.

    Example::

        print([hardware.sku for hardware in replicate.hardware.list()])
    """

    sku: str | None = None
    """The SKU of the hardware (``gpu-t4``, ...)."""

    name: str | None = None
    """The name of the hardware."""

    @property
    def id(self) -> str | None:
        """Deprecated: use ``sku``."""
        warnings.warn("Use `sku` instead of `id`", DeprecationWarning, stacklevel=2)
        return self.sku


def hardware_from_json(data: dict[str, Any]) -> Hardware:
    """A Hardware from the API's JSON (kept in step with the generated model by a test)."""
    return Hardware(sku=data.get("sku"), name=data.get("name"))


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
        from replicate_api.api.hardware import list_

        response = self._client._request(list_._get_kwargs())
        return [hardware_from_json(item) for item in response.json()]

    async def async_list(self) -> builtins.list[Hardware]:
        """All the hardware you can run models on, asynchronously.

        Example::

            hardware = await replicate.hardware.async_list()
        """
        from replicate_api.api.hardware import list_

        response = await self._client._async_request(list_._get_kwargs())
        return [hardware_from_json(item) for item in response.json()]


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
