"""Exit codes, and the one line each error is reported as.

``describe`` turns any exception into ``(exit code, message)``; the message is a single line
and never holds the API token (errors are built from responses and local state only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replicate.prediction import Prediction

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_MODEL_FAILED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "MissingExtra",
    "NothingToCancel",
    "PredictionUnsuccessful",
    "Terminated",
    "UsageError",
    "describe",
    "interrupted",
]

EXIT_OK = 0
EXIT_MODEL_FAILED = 1
"""The model failed, or the prediction was canceled or aborted."""
EXIT_USAGE = 2
"""A bad command line, bad input, or a missing optional dependency."""
EXIT_API_ERROR = 3
"""The API answered with an error, or could not be reached (and any unexpected error)."""
EXIT_INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT), after canceling the running prediction."""

EXIT_TERMINATED = 143
"""SIGTERM (128 + 15), after canceling what the command had started, as Ctrl-C does."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an interrupt, so that what is running is canceled as on Ctrl-C (the
    library cancels on KeyboardInterrupt, this included)."""


def interrupted(interrupt: KeyboardInterrupt) -> int:
    """The exit code for an interrupt: 143 for SIGTERM (``Terminated``), else 130."""
    return EXIT_TERMINATED if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED


class UsageError(Exception):
    """The command line cannot be carried out as given; ``details`` are printed below it.

    Example::

        raise UsageError("unknown input 'txt'", details=["  text  string  required"])
    """

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


class MissingExtra(UsageError):
    """An optional dependency of the command is not installed.

    Example::

        raise MissingExtra("cli", "the live view of `replicate run`")
    """

    def __init__(self, extra: str, feature: str) -> None:
        super().__init__(
            f"{feature} needs the '{extra}' extra: pip install -e '.[{extra}]' in a checkout "
            f"of replicate-client, or pip install 'dist/<wheel>.whl[{extra}]'"
        )


class PredictionUnsuccessful(Exception):
    """A prediction or training ended failed, canceled or aborted (exit code 1)."""

    def __init__(self, kind: str, id: str, status: str, error: str | None) -> None:
        reason = f": {_one_line(error)}" if error else ""
        verbs = {"failed": "failed", "canceled": "was canceled", "aborted": "was aborted"}
        super().__init__(f"{kind} {id} {verbs.get(status, f'ended {status}')}{reason}")

    @classmethod
    def of(cls, prediction: Prediction) -> PredictionUnsuccessful:
        return cls("prediction", prediction.id, prediction.status, prediction.error)


class NothingToCancel(Exception):
    """A cancel of a prediction or training that had already ended (exit code 1).

    Example::

        raise NothingToCancel("training", "zz4ibbonubfz7carwiefibzgga", "succeeded")
    """

    def __init__(self, kind: str, id: str, status: str) -> None:
        super().__init__(
            f"{kind} {id} had already {_ENDED.get(status, f'ended {status}')}: nothing to cancel"
        )


_ENDED = {
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "been canceled",
    "aborted": "been aborted",
}


def describe(error: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for ``error``.

    Example::

        describe(UsageError("no such file: cat.png"))  # (2, 'no such file: cat.png')
    """
    import httpx

    from replicate._files import FileTooLargeError
    from replicate.exceptions import ModelError, ReplicateError, ReplicateException

    if isinstance(error, UsageError):
        return EXIT_USAGE, str(error)
    if isinstance(error, PredictionUnsuccessful | NothingToCancel):
        return EXIT_MODEL_FAILED, str(error)
    if isinstance(error, FileTooLargeError):  # the user's file, checked before it is sent
        return EXIT_USAGE, _one_line(str(error))
    if isinstance(error, ModelError):
        return EXIT_MODEL_FAILED, str(PredictionUnsuccessful.of(error.prediction))
    if isinstance(error, ReplicateError):
        # 400, 413 and 422 mean the request's content was wrong: bad input, a usage error
        code = EXIT_USAGE if error.status in (400, 413, 422) else EXIT_API_ERROR
        return code, _api_error(error)
    if isinstance(error, httpx.TimeoutException):
        return EXIT_API_ERROR, f"timed out talking to {_host(error)} ({type(error).__name__})"
    if isinstance(error, httpx.TransportError):
        reason = _one_line(str(error)) or type(error).__name__
        return EXIT_API_ERROR, f"could not reach {_host(error)}: {reason}"
    if isinstance(error, httpx.HTTPError | ReplicateException):
        return EXIT_API_ERROR, _one_line(str(error)) or type(error).__name__
    if isinstance(error, OSError) and error.filename is not None:
        return EXIT_USAGE, f"{error.strerror or error}: {error.filename}"
    if isinstance(error, ValueError) and not isinstance(error, UnicodeError):
        # the library's word for a bad argument (a reference, a path segment, an input that
        # JSON cannot carry), raised before any request
        return EXIT_USAGE, _one_line(str(error))
    if isinstance(error, UnicodeEncodeError) and _is_surrogate(error):
        # text from the command line that is not valid UTF-8 (undecodable bytes, or a lone
        # surrogate escaped in JSON): JSON and URLs cannot carry it. The commands name the
        # input or option where they can; this is the net for the rest.
        return EXIT_USAGE, (
            f"an argument holds text that is not valid UTF-8 "
            f"({error.object[error.start : error.end]!r}), which cannot be sent to the API"
        )
    return EXIT_API_ERROR, f"unexpected error: {type(error).__name__}: {_one_line(str(error))}"


def _api_error(error: object) -> str:
    from replicate.exceptions import ReplicateError

    assert isinstance(error, ReplicateError)
    text = error.title or "the API answered with an error"
    if error.status:
        text += f" (HTTP {error.status})"
    if error.detail and error.detail != error.title:
        text += f": {_one_line(error.detail)}"
    if error.status == 401:
        text += "; set REPLICATE_API_TOKEN or pass --token"
    if error.hint:
        text += f"; {_one_line(error.hint)}"
    return text


def _host(error: object) -> str:
    import httpx

    assert isinstance(error, httpx.RequestError)
    try:
        url = error.request.url
    except RuntimeError:  # no request attached
        return "the API"
    return f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"


def _is_surrogate(error: UnicodeEncodeError) -> bool:
    text = error.object[error.start : error.end]
    return bool(text) and all("\ud800" <= char <= "\udfff" for char in text)


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())
