"""When to retry a request, and how long to wait: the whole retry policy lives here.

The decisions (``retry_delay_after_response``, ``retry_delay_after_error``, ``backoff``,
``retry_after``) are plain functions with no I/O. Two thin loops apply them, one sync and one
async (``send_with_retries``); the client sends every request through them (its own calls,
``client.api`` calls into the generated layer, streams and downloads alike), over its own
httpx client or one the user gave it, and sleeps on the client's clock.

The rules:

- An idempotent request (GET, HEAD, OPTIONS, PUT, DELETE, ..., and the POST that cancels a
  prediction or a training: canceling twice is canceling once) is retried on 429, 500, 502,
  503, 504, on connection errors, on timeouts (a read timeout too), and, where the client
  decodes its answer, on a success whose body cannot be decoded (``retry_undecodable``).
- A POST or PATCH is retried only on 429 (the server refused it without acting on it) and on
  errors raised before the request could reach the server (``httpx.ConnectError``,
  ``ConnectTimeout``, ``PoolTimeout``): a prediction is never created twice. When a POST fails
  after it may have reached the server, the error says so and how to find what it created.
- The wait is exponential backoff with jitter, or the server's ``Retry-After`` (seconds or an
  HTTP date) when it sends one; both are capped.
- With ``remaining`` (a wait's deadline), no retry is made that could not start before the
  deadline, and each retry's timeouts are cut to what is left of it.
- ``max_retries=0`` turns retries off.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping

import httpx

__all__ = [
    "DECODE_ERRORS",
    "DEFAULT_MAX_RETRIES",
    "INITIAL_BACKOFF",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "async_send_with_retries",
    "backoff",
    "is_idempotent",
    "may_have_reached_server_hint",
    "retry_after",
    "retry_delay_after_error",
    "retry_delay_after_response",
    "retry_undecodable",
    "send_with_retries",
]

DEFAULT_MAX_RETRIES = 5
"""Retries after the first attempt, by default."""

INITIAL_BACKOFF = 0.5
"""Seconds before the first retry, before jitter; doubles on every further retry."""

MAX_BACKOFF = 8.0
"""Upper bound of the computed backoff, in seconds."""

MAX_RETRY_AFTER = 60.0
"""Upper bound of a server-sent ``Retry-After``, in seconds."""

JITTER = 0.25
"""The backoff is shortened by a random fraction of up to this much, so clients spread out."""

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "QUERY"})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
"""Errors raised before any byte of the request reached the server."""

CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    *NOT_SENT_ERRORS,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
)
"""Errors on which an idempotent request is retried."""

DECODE_ERRORS: tuple[type[Exception], ...] = (ValueError, TypeError, KeyError, AttributeError)
"""What decoding a success body can raise when the body is cut or not what the API sends
(``json.JSONDecodeError`` is a ``ValueError``)."""

Remaining = Callable[[], "float | None"]
"""Seconds left before a deadline (None: no deadline)."""

logger = logging.getLogger("replicate")


# -- decisions (no I/O) ---------------------------------------------------------------------


def backoff(retry: int, *, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before retry number ``retry`` (0-based), with jitter, capped."""
    ceiling = min(MAX_BACKOFF, INITIAL_BACKOFF * 2.0**retry)
    return ceiling * (1.0 - JITTER * rand())


def retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """The server's ``Retry-After`` in seconds (from seconds or an HTTP date), capped, or None."""
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def is_idempotent(method: str, url: httpx.URL | str | None = None) -> bool:
    """Whether sending the request twice does what sending it once does.

    Example::

        is_idempotent("GET")  # True
        is_idempotent("POST", "https://api.replicate.com/v1/predictions/abc/cancel")  # True
        is_idempotent("POST", "https://api.replicate.com/v1/predictions")  # False
    """
    method = method.upper()
    if method in IDEMPOTENT_METHODS:
        return True
    if method != "POST" or url is None:
        return False
    path = url.path if isinstance(url, httpx.URL) else httpx.URL(url).path
    return path.rstrip("/").endswith("/cancel")


def retry_delay_after_response(
    method: str,
    status: int,
    headers: Mapping[str, str],
    retry: int,
    max_retries: int,
    *,
    rand: Callable[[], float] = random.random,
    now: float | None = None,
    url: httpx.URL | str | None = None,
) -> float | None:
    """Seconds to wait before retrying a request that got ``status``; None: do not retry."""
    if retry >= max_retries or status not in RETRYABLE_STATUSES:
        return None
    if status != 429 and not is_idempotent(method, url):
        return None  # a 5xx on POST: the server may have acted on it
    server_says = retry_after(headers, now=now)
    return server_says if server_says is not None else backoff(retry, rand=rand)


def retry_delay_after_error(
    method: str,
    error: Exception,
    retry: int,
    max_retries: int,
    *,
    rand: Callable[[], float] = random.random,
    url: httpx.URL | str | None = None,
) -> float | None:
    """Seconds to wait before retrying a request that raised ``error``; None: do not retry."""
    if retry >= max_retries:
        return None
    if is_idempotent(method, url):
        retryable = isinstance(error, CONNECTION_ERRORS)
    else:
        retryable = isinstance(error, NOT_SENT_ERRORS)
    return backoff(retry, rand=rand) if retryable else None


def retry_undecodable(
    request: httpx.Request,
    error: Exception,
    retry: int,
    max_retries: int,
    *,
    remaining: Remaining | None = None,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before sending ``request`` again because its success body could not be
    decoded (``error``); None: do not. Only idempotent requests are sent again (a create's
    body may be cut after the prediction was made). Logged as any retry is.

    Example::

        delay = retry_undecodable(request, json.JSONDecodeError("cut", "{", 1), 0, 5)
    """
    if retry >= max_retries or not is_idempotent(request.method, request.url):
        return None
    delay = backoff(retry, rand=rand)
    if not _fits(delay, remaining):
        return None
    _log_retry(request, f"an undecodable body ({_describe(error)})", delay, retry, max_retries)
    return delay


def _fits(delay: float, remaining: Remaining | None) -> bool:
    """Whether a retry after ``delay`` would still start before the deadline."""
    if remaining is None:
        return True
    left = remaining()
    return left is None or delay < left


def may_have_reached_server_hint(method: str, url: httpx.URL | str) -> str | None:
    """What to tell the user when a non-idempotent request failed after it may have been sent."""
    if is_idempotent(method, url):
        return None
    path = httpx.URL(str(url)).path.rstrip("/")
    if path.endswith("/predictions"):
        return (
            "the request may have reached Replicate, so the prediction may exist: it was not "
            "retried, to avoid creating it twice; look for it with replicate.predictions.list()"
        )
    if path.endswith("/trainings"):
        return (
            "the request may have reached Replicate, so the training may exist: it was not "
            "retried, to avoid creating it twice; look for it with replicate.trainings.list()"
        )
    return (
        f"the request ({method.upper()} {path}) may have reached Replicate and taken effect: "
        "it was not retried"
    )


def _annotate(error: Exception, request: httpx.Request) -> Exception:
    """The same httpx error type, its message extended with the may-have-reached-server hint."""
    if isinstance(error, NOT_SENT_ERRORS) or not isinstance(error, httpx.RequestError):
        return error
    hint = may_have_reached_server_hint(request.method, request.url)
    if hint is None:
        return error
    try:
        return type(error)(f"{error} ({hint})", request=request)
    except TypeError:  # an httpx error type with another constructor: keep it as it is
        return error


def _log_retry(request: httpx.Request, reason: str, delay: float, retry: int, limit: int) -> None:
    """One INFO record per retry, before its sleep.

    The record carries ``retry_delay`` (seconds), ``retry_number`` (1-based), ``retry_limit``
    and ``retry_reason`` as attributes, so a handler (the command line's) can show them.
    """
    # the URL and method only: headers (and so the token) never reach a log line
    logger.info(
        "Retrying %s %s in %.2fs (retry %d of %d) after %s",
        request.method,
        request.url,
        delay,
        retry + 1,
        limit,
        reason,
        extra={
            "retry_delay": delay,
            "retry_number": retry + 1,
            "retry_limit": limit,
            "retry_reason": reason,
        },
    )


# -- the send loop: the same lines, sync and async --------------------------------------------


def send_with_retries(
    send: Callable[[httpx.Request], httpx.Response],
    request: httpx.Request,
    *,
    max_retries: int,
    sleep: Callable[[float], object],
    remaining: Remaining | None = None,
) -> httpx.Response:
    """Send ``request`` with ``send``, retrying what the policy above allows.

    A response that is retried is closed first; the last error is raised with the
    may-have-reached-server hint when it applies. ``remaining`` bounds the retries by a
    deadline (see the rules above).

    Example::

        response = send_with_retries(http.send, request, max_retries=5, sleep=time.sleep)
    """
    retry = 0
    while True:
        try:
            response = send(request)
        except Exception as error:
            delay = _after_error(request, error, retry, max_retries, remaining)
        else:
            later = _after_response(request, response, retry, max_retries, remaining)
            if later is None:
                return response
            response.close()
            delay = later
        sleep(delay)
        _fit_timeout(request, remaining)
        retry += 1


async def async_send_with_retries(
    send: Callable[[httpx.Request], Awaitable[httpx.Response]],
    request: httpx.Request,
    *,
    max_retries: int,
    sleep: Callable[[float], Awaitable[object]],
    remaining: Remaining | None = None,
) -> httpx.Response:
    """``send_with_retries``, asynchronously."""
    retry = 0
    while True:
        try:
            response = await send(request)
        except Exception as error:
            delay = _after_error(request, error, retry, max_retries, remaining)
        else:
            later = _after_response(request, response, retry, max_retries, remaining)
            if later is None:
                return response
            await response.aclose()
            delay = later
        await sleep(delay)
        _fit_timeout(request, remaining)
        retry += 1


def _after_error(
    request: httpx.Request, error: Exception, retry: int, limit: int, remaining: Remaining | None
) -> float:
    """The delay before retrying after ``error``; re-raises it when it is not retried."""
    delay = retry_delay_after_error(request.method, error, retry, limit, url=request.url)
    if delay is not None and not _fits(delay, remaining):
        raise error  # the deadline comes first: the caller decides what that means
    if delay is None:
        annotated = _annotate(error, request)
        if annotated is error:
            raise error
        raise annotated from error
    _log_retry(request, _describe(error), delay, retry, limit)
    return delay


def _describe(error: Exception) -> str:
    """A short reason for a log line: the error's type and, when it has one, its message."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _after_response(
    request: httpx.Request,
    response: httpx.Response,
    retry: int,
    limit: int,
    remaining: Remaining | None,
) -> float | None:
    delay = retry_delay_after_response(
        request.method, response.status_code, response.headers, retry, limit, url=request.url
    )
    if delay is not None and not _fits(delay, remaining):
        return None
    if delay is not None:
        _log_retry(request, f"HTTP {response.status_code}", delay, retry, limit)
    return delay


def _fit_timeout(request: httpx.Request, remaining: Remaining | None) -> None:
    """Cut the request's timeouts to what is left before the deadline, for its next attempt."""
    if remaining is None:
        return
    left = remaining()
    if left is None:
        return
    left = max(left, 0.01)  # httpx takes 0 as "fail at once"
    timeout = request.extensions.get("timeout")
    if isinstance(timeout, dict):
        request.extensions["timeout"] = {
            phase: left if value is None else min(value, left) for phase, value in timeout.items()
        }
