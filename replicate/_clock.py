"""The client's clock: what time it is, and how to wait.

Every wait this package does (retry backoff, polling, stream reconnects, deadlines) asks the
client's ``Clock``, so one object decides how time passes: tests replace it once
(``Client(clock=...)``) instead of patching a sleep function in every module.
"""

from __future__ import annotations

import time

__all__ = ["Clock"]


class Clock:
    """Monotonic time and sleeping, sync and async; subclass it to control time in tests.

    Example::

        from replicate.client import Client, Clock

        class Instant(Clock):
            def __init__(self) -> None:
                self.waits: list[float] = []

            def sleep(self, seconds: float) -> None:
                self.waits.append(seconds)  # recorded, not slept

        client = Client(clock=Instant())
    """

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (``time.monotonic``)."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""
        time.sleep(seconds)

    async def async_sleep(self, seconds: float) -> None:
        """Wait ``seconds`` without blocking the event loop (asyncio or trio, as httpx)."""
        import anyio  # here: sync programs need not load it

        await anyio.sleep(seconds)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
