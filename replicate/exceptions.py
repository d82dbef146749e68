"""The errors this package raises.

    Exception
     └── ReplicateException                  root of every error raised by this package
          ├── ModelError                     a prediction failed; carries ``prediction``
          │    └── StreamError               its stream sent ``error`` (also a RuntimeError)
          ├── DeadlineExceededError          run/wait ``deadline=`` passed (also TimeoutError)
          ├── InvalidInputError              inputs a model's schema refuses, before any
          │                                  request (``use()``; also ValueError)
          ├── ModelVersionError              a generated module runs on another version
          ├── FileTooLargeError              a file input over 100 MiB, before any upload
          │                                  (in ``replicate.helpers``; also ValueError)
          ├── WebhookValidationError         a webhook delivery failed validation
          │    │                             (in ``replicate.webhook``; also ValueError)
          │    ├── MissingWebhookHeaderError, MissingWebhookBodyError
          │    └── InvalidSecretKeyError, InvalidTimestampError, InvalidSignatureError
          └── ReplicateError                 the API answered with a problem+json error
               │                             (also replicate_api.errors.UnexpectedStatus,
               │                             what client.api calls raise: one except for both)
               ├── BadRequestError           400
               ├── AuthenticationError       401
               ├── PermissionDeniedError     403
               ├── NotFoundError             404
               ├── ConflictError             409
               ├── UnprocessableEntityError  422
               ├── RateLimitError            429
               ├── ServerError               5xx
               └── InvalidResponseError      a success whose body could not be decoded

    RuntimeWarning
     └── PredictionMayBeRunningWarning       a create was interrupted, and its prediction could
                                             not be canceled: it may still be running
    UserWarning
     ├── ModelSchemaWarning                  a model used as a function has no readable schema
     └── ModelVersionWarning                 a generated module runs on another version

Timeouts and connection failures stay httpx's own exceptions (``httpx.TimeoutException``,
``httpx.ConnectError``, ...), so existing ``except httpx.HTTPError`` handlers keep working.
No message or repr built here ever contains the API token: errors are made from the response
body and status only, never from request headers.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from replicate_api.errors import UnexpectedStatus

if TYPE_CHECKING:
    import httpx

    from replicate._runs import Run
    from replicate.prediction import Prediction

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DeadlineExceededError",
    "InvalidInputError",
    "InvalidResponseError",
    "ModelError",
    "ModelSchemaWarning",
    "ModelVersionError",
    "ModelVersionWarning",
    "NotFoundError",
    "PermissionDeniedError",
    "PredictionMayBeRunningWarning",
    "RateLimitError",
    "ReplicateError",
    "ReplicateException",
    "ServerError",
    "StreamError",
    "UnprocessableEntityError",
]


class ReplicateException(Exception):
    """The root of every error raised by this package.

    Example::

        try:
            replicate.run("acme/hello-world", input={"text": "Alice"})
        except replicate.exceptions.ReplicateException as error:
            print("Replicate failed:", error)
    """


class ModelError(ReplicateException):
    """A prediction finished with status ``failed``; the model's own error is the message.

    Example::

        try:
            replicate.run("acme/hello-world", input={"text": "Alice"})
        except ModelError as error:
            print(error.prediction.id, error.prediction.logs)
    """

    prediction: Prediction

    def __init__(self, prediction: Prediction) -> None:
        self.prediction = prediction
        super().__init__(prediction.error)


class StreamError(ModelError, RuntimeError):
    """A prediction's output stream sent an ``error`` event: the prediction failed.

    ``prediction`` carries the status ``failed`` and the stream's ``detail`` as ``error``. It is
    also a ``RuntimeError``, the type replicate 1.x raised for it, so older handlers still work.

    Example::

        try:
            for event in replicate.stream("acme/chat", input={"prompt": "Hi"}):
                print(str(event), end="")
        except StreamError as error:
            print("failed:", error.prediction.error)
    """


class PredictionMayBeRunningWarning(RuntimeWarning):
    """A create was interrupted after it was sent, and its prediction could not be canceled.

    The message names the model and, when found, the predictions that may still be running (and
    billing); cancel them with ``replicate.predictions.cancel(id)``.

    Example::

        warnings.simplefilter("error", PredictionMayBeRunningWarning)  # make it an error
    """


class InvalidInputError(ReplicateException, ValueError):
    """Inputs a model's schema refuses, found before anything was created (``use()``).

    ``problems`` lists each one (an unknown input, a missing one, a wrong type, a value outside
    an enum or a range), each naming its input; the message adds the valid inputs.

    Example::

        try:
            replicate.use("replicate/hello-world")(txt="Alice")
        except InvalidInputError as error:
            print(error.problems)  # ["unknown input 'txt' (did you mean 'text'?)"]
    """

    model: str
    problems: list[str]

    def __init__(self, model: str, problems: list[str], valid: str) -> None:
        self.model = model
        self.problems = problems
        super().__init__(f"Invalid input for {model}: {'; '.join(problems)}. {valid}")


class ModelSchemaWarning(UserWarning):
    """A model used as a function has no readable schema: it runs unchecked and unshaped.

    Example::

        warnings.simplefilter("error", ModelSchemaWarning)  # refuse models without one
    """


class ModelVersionWarning(UserWarning):
    """A module made by ``replicate codegen`` runs against another version of its model than
    the one it was generated from (regenerate it with the same command).

    Example::

        warnings.simplefilter("error", ModelVersionWarning)
    """


class ModelVersionError(ReplicateException):
    """``ModelVersionWarning`` made an error (a module generated with
    ``--on-new-version error``, or ``check_version(..., error=True)``).

    Example::

        try:
            flux_schnell(prompt="a fox")
        except ModelVersionError as error:
            print(error)  # names both versions and the command that regenerates the module
    """


class DeadlineExceededError(ReplicateException, TimeoutError):
    """The ``deadline=`` given to ``run`` or ``wait`` passed before the prediction ended.

    ``prediction`` is the prediction (or training) as last seen. ``run`` cancels its prediction
    before raising this (its output would never be returned); ``wait`` leaves it running.

    Example::

        try:
            replicate.run("acme/slow", input={}, deadline=30)
        except DeadlineExceededError as error:
            print("gave up on", error.prediction.id)
    """

    prediction: Run
    """The prediction or training, as last seen."""

    def __init__(self, prediction: Run, seconds: float) -> None:
        self.prediction = prediction
        super().__init__(
            f"{prediction.id} did not finish within the deadline of {seconds:g} s "
            f"(status: {prediction.status})"
        )


class ReplicateError(ReplicateException, UnexpectedStatus):
    """An error answered by Replicate's API, as a problem details object (RFC 7807).

    ``ReplicateError.from_response`` picks the subclass for the status (``NotFoundError`` for a
    404, ...); every subclass is still a ``ReplicateError``. It is also the generated layer's
    ``replicate_api.errors.UnexpectedStatus`` (``status_code``, ``content``, ``problem``), so
    one ``except`` catches the errors of facade calls and of ``client.api`` calls alike.

    Example::

        try:
            replicate.predictions.get("no-such-id")
        except ReplicateError as error:
            print(error.status, error.title, error.detail)
    """

    type: str | None
    """A URI that identifies the error type."""

    title: str | None
    """A short, human-readable summary of the error."""

    status: int | None
    """The HTTP status code."""

    detail: str | None
    """A human-readable explanation specific to this occurrence of the error."""

    instance: str | None
    """A URI that identifies the specific occurrence of the error."""

    hint: str | None
    """Advice from this client on what to do next (not part of the API's answer)."""

    headers: httpx.Headers
    """The response headers (``Retry-After``, ...); empty when the error came from no
    response."""

    def __init__(
        self,
        type: str | None = None,
        title: str | None = None,
        status: int | None = None,
        detail: str | None = None,
        instance: str | None = None,
        *,
        hint: str | None = None,
    ) -> None:
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = instance
        self.hint = hint
        self.headers = _no_headers()
        # the generated layer's view of the same error (0: not from a response)
        self.status_code = status or 0
        self.problem = self.to_dict()
        self.content = json.dumps(self.problem).encode()
        Exception.__init__(self, self.__str__())

    @classmethod
    def from_response(cls, response: httpx.Response, *, hint: str | None = None) -> ReplicateError:
        """Build the error for a response, of the subclass that matches its status.

        Example::

            error = ReplicateError.from_response(httpx.Response(404, json={"title": "Not found"}))
            assert isinstance(error, NotFoundError)
        """
        problem = _problem(response.content)
        error = _class_for_status(response.status_code)(
            type=_text(problem.get("type")),
            title=_text(problem.get("title")),
            status=response.status_code,
            detail=_text(problem.get("detail")) or _fallback_detail(problem, response.content),
            instance=_text(problem.get("instance")),
            hint=hint,
        )
        error.headers = response.headers
        error.content = response.content
        error.problem = problem
        return error

    @classmethod
    def from_unexpected_status(cls, error: Any) -> ReplicateError:
        """Convert the generated layer's ``replicate_api.errors.UnexpectedStatus``.

        Example::

            try:
                predictions.get.sync("no-such-id", client=client.api)
            except UnexpectedStatus as raw:
                raise ReplicateError.from_unexpected_status(raw) from raw
        """
        import httpx

        response = httpx.Response(error.status_code, content=error.content, headers=error.headers)
        return cls.from_response(response)

    def to_dict(self) -> dict[str, Any]:
        """The problem details that are set, as a dict.

        Example::

            ReplicateError(title="Not found", status=404).to_dict()
            # {'title': 'Not found', 'status': 404}
        """
        fields = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": self.instance,
        }
        return {key: value for key, value in fields.items() if value is not None}

    def __str__(self) -> str:
        lines = [f"{key}: {value}" for key, value in self.to_dict().items()]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "ReplicateError Details:\n" + "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(type={self.type!r}, title={self.title!r}, "
            f"status={self.status!r}, detail={self.detail!r}, instance={self.instance!r})"
        )


class BadRequestError(ReplicateError):
    """The API rejected the request as malformed (400)."""


class AuthenticationError(ReplicateError):
    """The API token is missing or invalid (401)."""


class PermissionDeniedError(ReplicateError):
    """The API token may not do this (403)."""


class NotFoundError(ReplicateError):
    """The resource does not exist, or is not visible to this token (404)."""


class ConflictError(ReplicateError):
    """The request conflicts with the resource's state (409)."""


class UnprocessableEntityError(ReplicateError):
    """The request is well-formed but its content is invalid (422)."""


class RateLimitError(ReplicateError):
    """Too many requests (429); ``headers["Retry-After"]`` says when to try again."""


class ServerError(ReplicateError):
    """The API failed to answer (5xx)."""


class InvalidResponseError(ReplicateError):
    """The API answered with a success status but a body this client cannot decode (cut short
    by a dropped connection or a proxy, or not JSON at all).

    Requests that are safe to repeat (a GET, a cancel) are sent again first; this is raised
    once retrying is over, or at once for a request that is not repeated (a create: its
    ``hint`` says the prediction may exist). ``status`` is the answer's (2xx) status,
    ``content`` its body, and ``__cause__`` the decoding error.

    Example::

        try:
            replicate.predictions.get("ufawqhfynnddngldkgtslldrkq")
        except InvalidResponseError as error:
            print("unreadable answer:", error.detail)
    """

    @classmethod
    def from_response(
        cls,
        response: httpx.Response,
        error: BaseException | None = None,
        *,
        hint: str | None = None,
    ) -> InvalidResponseError:
        """The error for a success ``response`` whose body raised ``error`` when decoded.

        Example::

            InvalidResponseError.from_response(httpx.Response(200, content=b'{"id": '))
        """
        reason = f": {type(error).__name__}: {error}" if error is not None else ""
        size = len(response.content)
        invalid = cls(
            title="Invalid response",
            status=response.status_code,
            detail=(
                f"the API answered {response.status_code} with a body of {size} bytes that "
                f"could not be decoded{reason}"
            ),
            hint=hint,
        )
        invalid.headers = response.headers
        invalid.content = response.content
        return invalid


_BY_STATUS: dict[int, type[ReplicateError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _no_headers() -> httpx.Headers:
    import httpx

    return httpx.Headers()


def _class_for_status(status: int) -> type[ReplicateError]:
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ReplicateError)


def _problem(content: bytes) -> dict[str, Any]:
    try:
        value = json.loads(content)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _fallback_detail(problem: dict[str, Any], content: bytes) -> str | None:
    """Something readable when the body is not problem+json (a proxy's HTML page, ...)."""
    if problem:
        return None
    text = content[:500].decode(errors="replace").strip()
    return text or None
