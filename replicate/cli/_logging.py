"""What the command line shows of the library's logging: retries always, requests with --debug.

The client retries a request that failed on the way (a refused connection, HTTP 429 or 503)
after a pause that grows each time: five retries take about 14 seconds. So that a user does
not stare at a silent terminal, each retry is one line on stderr, written when it is decided,
before the pause::

    retrying in 0.5 s (attempt 2 of 6): connection refused

The line is built from the attributes ``replicate._retry`` puts on its log record
(``retry_delay``, ``retry_number``, ``retry_limit``, ``retry_reason``), never from a
request's headers, so the token cannot reach it.

Example::

    with retry_notices(), debug_requests(args.debug):
        ...
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from collections.abc import Iterator

__all__ = ["RetryNotice", "debug_requests", "describe_reason", "retry_notices"]


class RetryNotice(logging.Handler):
    """Writes one line on stderr per retry record of the ``replicate`` logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        return hasattr(record, "retry_delay") and hasattr(record, "retry_number")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = notice(
                float(getattr(record, "retry_delay", 0.0)),
                int(getattr(record, "retry_number", 1)),
                int(getattr(record, "retry_limit", 0)),
                str(getattr(record, "retry_reason", "")),
            )
            sys.stderr.write(line + "\n")  # sys.stderr as it is now: tests capture it
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def notice(delay: float, retry_number: int, retry_limit: int, reason: str) -> str:
    """The line for retry number ``retry_number`` (1-based) of ``retry_limit``.

    Attempts count the first request too: retry 1 of 5 is attempt 2 of 6.

    >>> notice(1.9, 2, 5, "ConnectError: [Errno 111] Connection refused")
    'retrying in 1.9 s (attempt 3 of 6): connection refused'
    """
    seconds = f"{delay:.1f}".removesuffix(".0") if delay < 10 else f"{delay:.0f}"
    return (
        f"retrying in {seconds} s (attempt {retry_number + 1} of {retry_limit + 1}): "
        f"{describe_reason(reason)}"
    )


_STATUS_REASONS = {
    429: "rate limited (HTTP 429)",
    502: "bad gateway (HTTP 502)",
    503: "service unavailable (HTTP 503)",
    504: "gateway timeout (HTTP 504)",
}


def describe_reason(reason: str) -> str:
    """A reader's words for the retry's reason (``ConnectError: [Errno 111] ...``, ``HTTP 503``).

    >>> describe_reason("HTTP 503"), describe_reason("ReadError: ")
    ('service unavailable (HTTP 503)', 'ReadError')
    """
    status = re.fullmatch(r"HTTP (\d{3})", reason.strip())
    if status:
        return _STATUS_REASONS.get(int(status.group(1)), reason.strip())
    kind, _, message = reason.partition(": ")
    message = re.sub(r"^\[Errno -?\d+\]\s*", "", message.strip())
    if not message:
        return kind.strip() or "the request failed"
    return message[:1].lower() + message[1:] if not message[:2].isupper() else message


@contextlib.contextmanager
def retry_notices() -> Iterator[None]:
    """Announce each retry on stderr while the block runs (``max_retries`` 0: none happen)."""
    logger = logging.getLogger("replicate")
    handler = RetryNotice(logging.INFO)
    level = logger.level
    if logger.getEffectiveLevel() > logging.INFO:  # the records are INFO: let them through
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:  # leave logging as it was: main() may be called again in the same process
        logger.removeHandler(handler)
        logger.setLevel(level)


@contextlib.contextmanager
def debug_requests(enabled: bool) -> Iterator[None]:
    """``--debug``: one line per HTTP request (method, URL, status; never a header)."""
    if not enabled:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    loggers = [(logging.getLogger("httpx"), logging.INFO)]
    loggers.append((logging.getLogger("replicate"), logging.DEBUG))
    levels = [logger.level for logger, _ in loggers]
    for logger, level in loggers:
        logger.setLevel(level)
        logger.addHandler(handler)
    try:
        yield
    finally:
        for (logger, _), level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
