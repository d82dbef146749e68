"""The client: configuration, one connection pool, and the one place requests are sent from."""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import platform
import sys
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar, Unpack, overload

import httpx

from replicate import __version__
from replicate._clock import Clock
from replicate._created import Claims
from replicate._pace import DEFAULT_PER_MINUTE
from replicate._retry import (
    DECODE_ERRORS,
    DEFAULT_MAX_RETRIES,
    async_send_with_retries,
    may_have_reached_server_hint,
    retry_undecodable,
    send_with_retries,
)
from replicate.batch import DEFAULT_CONCURRENCY
from replicate.exceptions import InvalidResponseError, ReplicateError

if TYPE_CHECKING:
    import asyncio

    from replicate._api import APIClient
    from replicate._batch import AsyncBatch, Batch, BatchEngine
    from replicate._stream import ServerSentEvent
    from replicate.account import Accounts
    from replicate.batch import Row
    from replicate.collection import Collections
    from replicate.deployment import Deployments
    from replicate.file import Files
    from replicate.function import AsyncFunction, Function, FunctionRef
    from replicate.hardware import HardwareNamespace
    from replicate.identifier import ModelVersionIdentifier
    from replicate.model import Model, Models
    from replicate.prediction import Prediction, PredictionParams, Predictions
    from replicate.search import SearchResults
    from replicate.training import Trainings
    from replicate.version import Version
    from replicate.webhook import Webhooks

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "Client", "Clock"]

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_BASE_URL = "https://api.replicate.com/v1"
DEFAULT_TIMEOUT = httpx.Timeout(5.0, read=30.0, write=30.0, connect=5.0, pool=10.0)
DEFAULT_POLL_INTERVAL = 0.5
MAX_CONNECTIONS = 1000
"""The connection pool's ceiling (see ``default_limits``)."""

# keyword arguments of httpx.Client that configure the transport, which this client builds
# itself (with its connection limits)
_TRANSPORT_OPTIONS = ("verify", "cert", "trust_env", "http1", "http2", "limits", "proxy")


class Client:
    """A client for Replicate's API.

    The token comes from ``api_token`` or ``REPLICATE_API_TOKEN``, and the base URL from
    ``base_url`` or ``REPLICATE_BASE_URL`` (with or without ``/v1``); both are read when the
    first request is made. Other keyword arguments go to ``httpx.Client`` and
    ``httpx.AsyncClient`` (``transport=``, ``headers=``, ``verify=``, ...), or pass ready-made
    ones as ``http_client=`` and ``async_http_client=``: every request then goes through them
    (``client.api`` too), with this client's auth, timeout and retries, and ``close()`` leaves
    them open. The client keeps one connection pool; its own holds up to 1000 connections (see
    ``default_limits``), as every ``run`` may hold one for a whole ``Prefer: wait`` window.
    ``poll_interval`` is the slowest polling period while waiting,
    ``cancel_on_interrupt=False`` leaves predictions running on Ctrl-C, and ``clock`` decides
    how the client waits (tests pass one that does not sleep).

    Example::

        from replicate.client import Client

        with Client(api_token=os.environ["MY_TOKEN"], timeout=60, max_retries=2) as client:
            print(client.predictions.get("ufawqhfynnddngldkgtslldrkq").status)
    """

    def __init__(
        self,
        api_token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        poll_interval: float | None = None,
        cancel_on_interrupt: bool = True,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        **kwargs: Any,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise TypeError("http_client must be an httpx.Client (async_http_client: AsyncClient)")
        if async_http_client is not None and not isinstance(async_http_client, httpx.AsyncClient):
            raise TypeError("async_http_client must be an httpx.AsyncClient")
        if http_client is not None and async_http_client is not None and kwargs:
            raise TypeError(
                f"{', '.join(sorted(kwargs))}: httpx options configure the clients this client "
                "makes; with both http_client= and async_http_client=, set them on those"
            )
        if timeout is None:
            given = http_client or async_http_client
            timeout = given.timeout if given is not None else DEFAULT_TIMEOUT
        self._connections = _Connections(
            api_token=api_token,
            base_url=base_url,
            timeout=httpx.Timeout(timeout),
            max_retries=max_retries,
            httpx_options=kwargs,
            http_client=http_client,
            async_http_client=async_http_client,
            clock=clock or Clock(),
        )
        self._timeout: httpx.Timeout | None = None  # per-copy override (with_options)
        self._max_retries: int | None = None
        self._poll_interval = poll_interval
        self._cancel_on_interrupt = cancel_on_interrupt
        self._functions: dict[tuple[str, bool, bool], Any] = {}  # use()'s, bound to this copy

    # -- configuration -----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API's base URL, ending in ``/v1``.

        Example::

            Client(base_url="http://localhost:8000").base_url  # 'http://localhost:8000/v1'
        """
        return self._connections.base_url()

    @property
    def poll_interval(self) -> float:
        """Seconds between two polls of a running prediction (``REPLICATE_POLL_INTERVAL``).

        Example::

            client.poll_interval = 0.25
        """
        if self._poll_interval is not None:
            return self._poll_interval
        return float(os.environ.get("REPLICATE_POLL_INTERVAL", DEFAULT_POLL_INTERVAL))

    @poll_interval.setter
    def poll_interval(self, value: float) -> None:
        self._poll_interval = value

    @property
    def cancel_on_interrupt(self) -> bool:
        """Whether a KeyboardInterrupt or a task cancellation during ``run``, ``stream`` or
        ``wait`` cancels the prediction on the server before it is re-raised (default True).

        Example::

            client = Client(cancel_on_interrupt=False)  # Ctrl-C leaves predictions running
        """
        return self._cancel_on_interrupt

    @cancel_on_interrupt.setter
    def cancel_on_interrupt(self, value: bool) -> None:
        self._cancel_on_interrupt = value

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout of this client's requests.

        Example::

            Client(timeout=10).timeout  # Timeout(timeout=10.0)
        """
        return self._timeout or self._connections.timeout

    @property
    def max_retries(self) -> int:
        """How many times a failed request may be retried (see ``replicate._retry``).

        Example::

            Client(max_retries=0).max_retries  # 0: retries off
        """
        return self._connections.max_retries if self._max_retries is None else self._max_retries

    @property
    def clock(self) -> Clock:
        """How this client tells time and waits (retries, polling, stream reconnects).

        Example::

            client.clock.monotonic()
        """
        return self._connections.clock

    def with_options(
        self, *, timeout: httpx.Timeout | float | None = None, max_retries: int | None = None
    ) -> Client:
        """A copy of this client with another timeout or retry limit, sharing its connections.

        Use it for per-call settings; ``copy.api`` carries them too.

        Example::

            prediction = client.with_options(timeout=120, max_retries=0).predictions.get(id)
        """
        if max_retries is not None and max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        copy = object.__new__(Client)
        copy._connections = self._connections
        copy._timeout = self._timeout if timeout is None else httpx.Timeout(timeout)
        copy._max_retries = self._max_retries if max_retries is None else max_retries
        copy._poll_interval = self._poll_interval
        copy._cancel_on_interrupt = self._cancel_on_interrupt
        copy._functions = {}
        return copy

    @functools.cached_property
    def api(self) -> APIClient:
        """The generated ``replicate_api`` client behind this one, for raw access.

        It sends through this client: its connection pool, auth, base URL, timeout and
        retries (a ``with_options`` copy's ``api`` has the copy's). Its ``with_timeout``,
        ``with_headers`` and ``with_cookies`` give a copy whose changes apply only to calls
        made through that copy. An error status raises this package's ``ReplicateError``
        (a ``replicate_api.errors.UnexpectedStatus`` too); the ``*_detailed`` functions give
        the status, headers and body.

        Example::

            from replicate_api.api.predictions import get

            response = get.sync_detailed("ufawqhfynnddngldkgtslldrkq", client=client.api)
            print(response.status_code, response.headers["content-type"])
        """
        from replicate._api import APIClient

        return APIClient(base_url=self.base_url, token="", timeout=self.timeout, facade=self)

    # -- namespaces -------------------------------------------------------------------------
    # Made once per client (copies from with_options make their own): they are on the path of
    # every call, ``client.predictions.get(...)``.

    @functools.cached_property
    def accounts(self) -> Accounts:
        """Accounts: ``client.accounts.current()``."""
        from replicate.account import Accounts

        return Accounts(self)

    @functools.cached_property
    def collections(self) -> Collections:
        """Collections of models: ``list``, ``get``."""
        from replicate.collection import Collections

        return Collections(self)

    @functools.cached_property
    def deployments(self) -> Deployments:
        """Deployments: ``list``, ``get``, ``create``, ``update``, ``delete``, ``predictions``."""
        from replicate.deployment import Deployments

        return Deployments(self)

    @functools.cached_property
    def files(self) -> Files:
        """Uploaded files: ``create``, ``get``, ``list``, ``delete``, ``download``."""
        from replicate.file import Files

        return Files(self)

    @functools.cached_property
    def hardware(self) -> HardwareNamespace:
        """Hardware to run models on: ``list``."""
        from replicate.hardware import HardwareNamespace

        return HardwareNamespace(self)

    @functools.cached_property
    def models(self) -> Models:
        """Models: ``get``, ``list``, ``search``, ``create``, ``update``, ``delete``, ..."""
        from replicate.model import Models

        return Models(self)

    @functools.cached_property
    def predictions(self) -> Predictions:
        """Predictions: ``create``, ``get``, ``list``, ``cancel``."""
        from replicate.prediction import Predictions

        return Predictions(self)

    @functools.cached_property
    def trainings(self) -> Trainings:
        """Trainings: ``create``, ``get``, ``list``, ``cancel``."""
        from replicate.training import Trainings

        return Trainings(self)

    @functools.cached_property
    def webhooks(self) -> Webhooks:
        """Webhooks: ``webhooks.default.secret()`` and ``Webhooks.validate``."""
        from replicate.webhook import Webhooks

        return Webhooks(self)

    # -- running models -------------------------------------------------------------------------

    def run(
        self,
        ref: str | Model | Version | ModelVersionIdentifier,
        input: dict[str, Any] | None = None,
        *,
        use_file_output: bool | None = True,
        wait: bool | int = True,
        deadline: float | None = None,
        on_progress: Callable[[Prediction], object] | None = None,
        **params: Unpack[PredictionParams],
    ) -> Any:
        """Run a model and return its output (see ``replicate._run.run`` for every rule).

        ``ref`` is ``owner/name``, ``owner/name:version``, a version id, a ``Model`` or a
        ``Version``. ``wait`` sets ``Prefer: wait`` (``True``: up to 60 s, N: N seconds,
        ``False``: none); a prediction that outlives it is followed on its stream. A failed
        prediction raises ``ModelError``. ``deadline`` (seconds) cancels the prediction and
        raises ``DeadlineExceededError`` when it passes; ``cancel_after=`` sets the server-side
        ``Cancel-After``; ``on_progress`` gets the prediction at each change while waiting.
        Other options (``webhook=``, ``webhook_events_filter=``, ``file_encoding_strategy=``)
        go to the prediction.

        Example::

            output = client.run("replicate/hello-world", input={"text": "Alice"}, deadline=120)
        """
        from replicate._run import run

        return run(
            self,
            ref,
            input,
            use_file_output=use_file_output,
            wait=wait,
            deadline=deadline,
            on_progress=on_progress,
            **params,
        )

    async def async_run(
        self,
        ref: str | Model | Version | ModelVersionIdentifier,
        input: dict[str, Any] | None = None,
        *,
        use_file_output: bool | None = True,
        wait: bool | int = True,
        deadline: float | None = None,
        on_progress: Callable[[Prediction], object] | None = None,
        **params: Unpack[PredictionParams],
    ) -> Any:
        """Run a model and return its output, asynchronously (see ``run``).

        ``on_progress`` may be a coroutine function. Cancelling the task cancels the
        prediction on the server (unless ``cancel_on_interrupt=False``).

        Example::

            output = await client.async_run("replicate/hello-world", input={"text": "Alice"})
        """
        from replicate._run import async_run

        return await async_run(
            self,
            ref,
            input,
            use_file_output=use_file_output,
            wait=wait,
            deadline=deadline,
            on_progress=on_progress,
            **params,
        )

    def stream(
        self,
        ref: str | Model | Version | ModelVersionIdentifier,
        *,
        input: dict[str, Any] | None = None,
        use_file_output: bool | None = True,
        **params: Unpack[PredictionParams],
    ) -> Iterator[ServerSentEvent]:
        """Run a model and yield its server-sent events as they come, through ``done``.

        ``str(event)`` is the output text of an ``output`` event (``""`` for the others); an
        ``error`` event raises ``StreamError``; a dropped connection resumes where it left
        off. The prediction is created when iteration starts, as in replicate 1.x.

        Example::

            for event in client.stream("replicate/language-model", input={"prompt": "Hi"}):
                print(str(event), end="")
        """
        from replicate._run import stream

        return stream(self, ref, input, use_file_output=use_file_output, **params)

    async def async_stream(
        self,
        ref: str | Model | Version | ModelVersionIdentifier,
        input: dict[str, Any] | None = None,
        *,
        use_file_output: bool | None = True,
        **params: Unpack[PredictionParams],
    ) -> AsyncIterator[ServerSentEvent]:
        """Run a model and yield its server-sent events, asynchronously (await it first, as
        in replicate 1.x: awaiting creates the prediction).

        Example::

            async for event in await client.async_stream("replicate/language-model",
                                                         input={"prompt": "Hi"}):
                print(str(event), end="")
        """
        from replicate._run import async_stream

        return await async_stream(self, ref, input, use_file_output=use_file_output, **params)

    def run_batch(
        self,
        ref: str | Model | Version | ModelVersionIdentifier,
        rows: Iterable[Row | Mapping[str, Any]],
        *,
        journal: str | os.PathLike[str] | None = None,
        output_dir: str | os.PathLike[str] | None = None,
        per_minute: float = DEFAULT_PER_MINUTE,
        concurrency: int = DEFAULT_CONCURRENCY,
        retry_failed: bool = False,
        detach: bool = False,
        **params: Unpack[PredictionParams],
    ) -> Batch:
        """Run a model on every row, and yield each row's ``BatchResult`` as it finishes.

        ``rows`` is any iterable, read as slots free up (a generator over a file keeps memory
        flat): input mappings, keyed by their 1-based position, or ``replicate.batch.Row``s
        with keys of their own. Creates are paced at ``per_minute`` (the API's 600 by default),
        slowing down on 429s; at most ``concurrency`` rows are in flight; waiting goes through
        the predictions list. ``journal`` (a JSON Lines results file, with a ``.journal``
        sidecar) makes it resumable: run the same call again after a crash, ``kill -9`` or
        Ctrl-C, and finished rows are skipped, running predictions waited for, and no
        prediction is created twice; ``retry_failed=True`` runs failed rows again.
        ``output_dir`` saves output files (their paths replace their URLs in the results).
        Ctrl-C cancels running predictions (``detach=True`` leaves them running). Other
        options (``webhook=``, ``file_encoding_strategy=``, ``cancel_after=``) go to every
        prediction. See ``replicate._batch`` for every rule.

        Example::

            rows = ({"text": name} for name in ("Alice", "Bob"))
            for result in client.run_batch("replicate/hello-world", rows, journal="out.jsonl"):
                print(result.key, result.status, result.output)
        """
        from replicate._batch import Batch

        return Batch(self._batch_engine(ref, rows, locals(), params))

    def async_run_batch(
        self,
        ref: str | Model | Version | ModelVersionIdentifier,
        rows: Iterable[Row | Mapping[str, Any]],
        *,
        journal: str | os.PathLike[str] | None = None,
        output_dir: str | os.PathLike[str] | None = None,
        per_minute: float = DEFAULT_PER_MINUTE,
        concurrency: int = DEFAULT_CONCURRENCY,
        retry_failed: bool = False,
        detach: bool = False,
        **params: Unpack[PredictionParams],
    ) -> AsyncBatch:
        """``run_batch``, asynchronously (asyncio): ``async for`` over the results.

        Cancelling the iterating task stops the batch as Ctrl-C does.

        Example::

            async with client.async_run_batch("replicate/hello-world", rows) as batch:
                async for result in batch:
                    print(result.key, result.output)
        """
        from replicate._batch import AsyncBatch

        return AsyncBatch(self._batch_engine(ref, rows, locals(), params))

    def _batch_engine(
        self,
        ref: str | Model | Version | ModelVersionIdentifier,
        rows: Iterable[Row | Mapping[str, Any]],
        given: dict[str, Any],
        params: PredictionParams,
    ) -> BatchEngine:
        from pathlib import Path

        from replicate._batch import BatchEngine
        from replicate.identifier import Reference
        from replicate.prediction import CreateOptions

        if isinstance(rows, Mapping | str | bytes):
            raise TypeError("rows must be an iterable of input mappings (or Rows), one per row")
        journal, output_dir = given["journal"], given["output_dir"]
        if output_dir is not None:
            Path(output_dir).mkdir(parents=True, exist_ok=True)
        return BatchEngine(
            self,
            Reference.parse(ref),
            rows,
            options=CreateOptions.of(params, window=False),
            journal=None if journal is None else Path(journal),
            output_dir=None if output_dir is None else Path(output_dir),
            per_minute=given["per_minute"],
            concurrency=given["concurrency"],
            retry_failed=given["retry_failed"],
            detach=given["detach"],
        )

    @overload
    def use(
        self,
        ref: FunctionRef[P, R],
        *,
        hint: None = None,
        streaming: bool = False,
        use_async: Literal[False] = False,
    ) -> Function[P, R]: ...

    @overload
    def use(
        self,
        ref: FunctionRef[P, R],
        *,
        hint: None = None,
        streaming: bool = False,
        use_async: Literal[True],
    ) -> AsyncFunction[P, R]: ...

    @overload
    def use(
        self,
        ref: str | Model | Version | ModelVersionIdentifier,
        *,
        hint: Callable[P, R],
        streaming: bool = False,
        use_async: Literal[False] = False,
    ) -> Function[P, R]: ...

    @overload
    def use(
        self,
        ref: str | Model | Version | ModelVersionIdentifier,
        *,
        hint: Callable[P, R],
        streaming: bool = False,
        use_async: Literal[True],
    ) -> AsyncFunction[P, R]: ...

    @overload
    def use(
        self,
        ref: str | Model | Version | ModelVersionIdentifier,
        *,
        hint: None = None,
        streaming: bool = False,
        use_async: Literal[False] = False,
    ) -> Function[..., Any]: ...

    @overload
    def use(
        self,
        ref: str | Model | Version | ModelVersionIdentifier,
        *,
        hint: None = None,
        streaming: bool = False,
        use_async: Literal[True],
    ) -> AsyncFunction[..., Any]: ...

    def use(
        self,
        ref: str | Model | Version | ModelVersionIdentifier | FunctionRef[Any, Any],
        *,
        hint: Callable[..., Any] | None = None,
        streaming: bool = False,
        use_async: bool = False,
    ) -> Function[..., Any] | AsyncFunction[..., Any]:
        """A model as a Python function: call it with the model's inputs to run it.

        ``ref`` is ``owner/name``, ``owner/name:version``, a version id, a ``Model`` or a
        ``Version`` (or, as in the official SDK, an object with a ``name`` and a typed
        ``__call__``). Nothing is sent until the function is first used; then the version's
        schema is fetched once (and kept by this client), inputs are checked against it
        before anything is created, and outputs come back shaped by it: files as
        ``URLPath``s (downloaded on first use), a token stream as its text, other iterator
        outputs as lists, or, with ``streaming=True``, as an ``OutputIterator`` read while
        the model runs. ``use_async=True`` gives an ``AsyncFunction``. ``hint``, a function
        signature, types the result for type checkers (``replicate codegen`` writes typed
        modules from the schema itself). The same arguments give the same function object on
        one client. See ``replicate.function``.

        Example::

            hello = client.use("replicate/hello-world")
            print(hello(text="Alice"))  # 'hello Alice'
            run = hello.create(text="Bob")
            print(run.id, run.output())
        """
        from replicate.function import function_for

        return function_for(self, ref, streaming=streaming, use_async=use_async)

    def search(self, query: str, *, limit: int = 20) -> SearchResults:
        """Search models, collections and documentation pages.

        Example::

            results = client.search("upscale images", limit=5)
            print([model.id for model in results.models])
        """
        from replicate.search import search

        return search(self, query, limit=limit)

    async def async_search(self, query: str, *, limit: int = 20) -> SearchResults:
        """Search models, collections and documentation pages, asynchronously.

        Example::

            results = await client.async_search("upscale images", limit=5)
        """
        from replicate.search import async_search

        return await async_search(self, query, limit=limit)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (the sync one; ``aclose`` closes both).

        Example::

            client = Client()
            try:
                client.predictions.list()
            finally:
                client.close()
        """
        self._connections.close()

    async def aclose(self) -> None:
        """Close the connection pools, sync and async.

        Example::

            await client.aclose()
        """
        await self._connections.aclose()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        # never the token, not even a part of it
        return f"<replicate.Client base_url={self.base_url!r}>"

    # -- sending: every request of this package goes through here -----------------------------

    def _call(self, request: dict[str, Any], parse: Callable[[httpx.Response], T]) -> T:
        """Send a generated ``build_request(...)`` and decode the answer with its
        ``parse_response``; an error status raises ``ReplicateError``.

        A success whose body cannot be decoded is sent again when that is safe (see
        ``replicate._retry``), else raises ``InvalidResponseError``: never a bare decoding error.
        """
        retry = 0
        while True:
            response = self._send(request)
            try:
                return parse(response)
            except DECODE_ERRORS as error:
                delay = self._undecodable(request, response, error, retry)
            self._connections.clock.sleep(delay)
            retry += 1

    async def _async_call(self, request: dict[str, Any], parse: Callable[[httpx.Response], T]) -> T:
        retry = 0
        while True:
            response = await self._async_send(request)
            try:
                return parse(response)
            except DECODE_ERRORS as error:
                delay = self._undecodable(request, response, error, retry)
            await self._connections.clock.async_sleep(delay)
            retry += 1

    def _undecodable(
        self, request: dict[str, Any], response: httpx.Response, error: Exception, retry: int
    ) -> float:
        """The delay before sending ``request`` again; raises ``InvalidResponseError`` when it
        is not sent again."""
        deadline = request.get("deadline")
        remaining = None if deadline is None else deadline.remaining
        delay = retry_undecodable(
            response.request, error, retry, self.max_retries, remaining=remaining
        )
        if delay is None:
            hint = may_have_reached_server_hint(response.request.method, response.request.url)
            raise InvalidResponseError.from_response(response, error, hint=hint) from error
        return delay

    def _send(
        self, request: dict[str, Any], *, stream: bool = False, credentials: bool = True
    ) -> httpx.Response:
        """Send ``request`` (httpx ``request()`` arguments; the URL may be relative to the
        base URL) with retries; an error status raises ``ReplicateError``.

        With ``stream=True`` the body is left unread: close the response (``_open`` does).
        ``credentials=False`` (downloads from file hosts): no ``Authorization`` header leaves
        for another origin than the API's, not even one set in the client's default headers.
        """
        connections = self._connections
        http = connections.sync_http()
        built, follow, remaining = self._build(http, request, credentials)
        response = send_with_retries(
            functools.partial(
                http.send, stream=stream, auth=connections.auth, follow_redirects=follow
            ),
            built,
            max_retries=self.max_retries,
            sleep=connections.clock.sleep,
            remaining=remaining,
        )
        if response.status_code >= 400:
            if stream:
                response.read()
                response.close()
            raise _error(response)
        return response

    async def _async_send(
        self, request: dict[str, Any], *, stream: bool = False, credentials: bool = True
    ) -> httpx.Response:
        connections = self._connections
        http = connections.async_http()
        built, follow, remaining = self._build(http, request, credentials)
        response = await async_send_with_retries(
            functools.partial(
                http.send, stream=stream, auth=connections.auth, follow_redirects=follow
            ),
            built,
            max_retries=self.max_retries,
            sleep=connections.clock.async_sleep,
            remaining=remaining,
        )
        if response.status_code >= 400:
            if stream:
                await response.aread()
                await response.aclose()
            raise _error(response)
        return response

    @contextlib.contextmanager
    def _open(
        self, request: dict[str, Any], *, credentials: bool = True
    ) -> Iterator[httpx.Response]:
        """A streamed response, closed on leaving (event streams, file downloads)."""
        response = self._send(request, stream=True, credentials=credentials)
        try:
            yield response
        finally:
            response.close()

    @contextlib.asynccontextmanager
    async def _async_open(
        self, request: dict[str, Any], *, credentials: bool = True
    ) -> AsyncIterator[httpx.Response]:
        response = await self._async_send(request, stream=True, credentials=credentials)
        try:
            yield response
        finally:
            await response.aclose()

    def _build(
        self, http: httpx.Client | httpx.AsyncClient, request: dict[str, Any], credentials: bool
    ) -> tuple[httpx.Request, Any, Callable[[], float | None] | None]:
        """The httpx request for ``request``, whether to follow redirects, and the seconds
        left before its deadline (a callable; None without one).

        ``request`` holds httpx ``request()`` arguments (a generated ``build_request(...)``,
        perhaps with ``timeout``, ``follow_redirects`` or ``extensions``), and perhaps a
        ``deadline`` (a ``replicate._wait.Deadline``: a wait's requests are not retried past it).
        """
        options = dict(request)
        follow = options.pop("follow_redirects", httpx.USE_CLIENT_DEFAULT)
        deadline = options.pop("deadline", None)
        url = options.pop("url")
        if isinstance(url, str) and url.startswith("/"):
            url = self._connections.base_url() + url
        if "timeout" not in options:
            options["timeout"] = self.timeout
        headers = self._connections.given_headers
        if headers:
            options["headers"] = {**headers, **(options.get("headers") or {})}
        # Whatever the caller passed, before httpx resolves "..": a path segment that is empty,
        # "." or ".." or holds a control character (another endpoint), or text JSON cannot
        # carry (a lone surrogate), is a ValueError naming it, and nothing is sent.
        from replicate_api.client import check_path

        check_path(url)
        try:
            built = http.build_request(options.pop("method"), url, **options)
        except UnicodeEncodeError:
            raise _unencodable(options) from None
        if not credentials and not self._connections.is_api_origin(built.url):
            built.headers.pop("authorization", None)
        return built, follow, None if deadline is None else deadline.remaining

    def _request(self, method: str, path: str, /, **options: Any) -> httpx.Response:
        """replicate 1.x's ``_request("GET", "/v1/...", **httpx_kwargs)``, for code written
        against 1.x's internals: the path is absolute from the API's origin."""
        return self._send(self._request_1x(method, path, options))

    async def _async_request(self, method: str, path: str, /, **options: Any) -> httpx.Response:
        """``_request``, asynchronously."""
        return await self._async_send(self._request_1x(method, path, options))

    def _request_1x(self, method: str, path: str, options: dict[str, Any]) -> dict[str, Any]:
        origin = self.base_url.removesuffix("/v1")
        return {**options, "method": method, "url": origin + path}


def _unencodable(options: dict[str, Any]) -> ValueError:
    """The error for a request httpx cannot encode: text with a lone surrogate, named."""
    from replicate._files import lone_surrogate_error, unencodable_text

    where = unencodable_text(options.get("json"))
    if where is None:
        found = unencodable_text(options.get("params"))
        where = f"the query parameter {found!r}" if found else "the request"
    return lone_surrogate_error(where)


def _error(response: httpx.Response) -> ReplicateError:
    hint = None
    if response.status_code >= 500:
        hint = may_have_reached_server_hint(response.request.method, response.request.url)
    return ReplicateError.from_response(response, hint=hint)


def default_limits() -> httpx.Limits:
    """The connection pool's limits, unless ``limits=`` is given.

    httpx's default of 100 connections would queue the 101st concurrent ``run`` behind the
    others, each of which may hold its connection for a whole ``Prefer: wait`` window. So the
    ceiling is ``MAX_CONNECTIONS``, or half the process's open-file limit where that is lower
    (macOS allows 256 by default), and never under httpx's 100.

    Example::

        Client(limits=httpx.Limits(max_connections=50))  # to choose yourself
    """
    ceiling = MAX_CONNECTIONS
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY:
            ceiling = min(ceiling, soft // 2)
    except (ImportError, OSError, ValueError):  # Windows has no resource module
        pass
    return httpx.Limits(
        max_connections=max(ceiling, 100), max_keepalive_connections=100, keepalive_expiry=5.0
    )


def _user_agent() -> str:
    return (
        f"replicate-client/{__version__} "
        f"(Python {platform.python_version()}; httpx {httpx.__version__})"
    )


def normalize_base_url(url: str) -> str:
    """The API's base URL, ending in ``/v1`` whether or not ``url`` does."""
    url = url.strip().rstrip("/")
    return url if url.endswith("/v1") else url + "/v1"


_cog_missing = False  # set once `import cog` failed: no scan of sys.path on every request
_ABSENT = object()


def _cog_context_token() -> tuple[bool, Any]:
    """``(found, token)`` from the running Cog prediction's context, when inside a Cog model.

    A model that calls Replicate from inside its own prediction is given a token in its
    scope's context (key ``REPLICATE_API_TOKEN``, any case); anything unexpected on the way
    (no Cog, no scope, no dict) means "not found".
    """
    global _cog_missing
    cog: Any = sys.modules.get("cog", _ABSENT)
    if cog is _ABSENT:
        if _cog_missing:
            return False, None
        try:
            cog = importlib.import_module("cog")
        except Exception:
            _cog_missing = True
            return False, None
    try:
        context = getattr(cog.current_scope(), "context", None)
    except Exception:
        return False, None
    if isinstance(context, dict):
        for key, value in context.items():
            if isinstance(key, str) and key.lower() == "replicate_api_token":
                return True, value
    return False, None


def api_token_from_environment() -> str | None:
    """The token from the running Cog prediction's context, else ``REPLICATE_API_TOKEN``.

    A token found in the Cog context is returned even when empty, as replicate 1.x does.

    Example::

        os.environ["REPLICATE_API_TOKEN"] = "r8_..."
        api_token_from_environment()  # 'r8_...'
    """
    found, token = _cog_context_token()
    if found:
        return token if token is None or isinstance(token, str) else str(token)
    return os.environ.get("REPLICATE_API_TOKEN")


# replicate 1.x's name for it
_get_api_token_from_environment = api_token_from_environment


class _TokenAuth(httpx.Auth):
    """Adds the bearer token to requests for the API's origin, and to no other host.

    The token is looked up on every request (so a ``.env`` loaded after the client was made
    still works); output files on delivery hosts never receive it.
    """

    def __init__(self, connections: _Connections) -> None:
        self._connections = connections

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # the origin check first: it is the cheaper one, and settles delivery hosts at once
        connections = self._connections
        if connections.is_api_origin(request.url) and "authorization" not in request.headers:
            token = connections.token()
            if token:
                request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def __repr__(self) -> str:
        return "<replicate bearer token auth>"


class _Connections:
    """What the copies made by ``Client.with_options`` share: settings, clock, connections."""

    def __init__(
        self,
        *,
        api_token: str | None,
        base_url: str | None,
        timeout: httpx.Timeout,
        max_retries: int,
        httpx_options: dict[str, Any],
        http_client: httpx.Client | None,
        async_http_client: httpx.AsyncClient | None,
        clock: Clock,
    ) -> None:
        self._api_token = api_token
        self._base_url = base_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.clock = clock
        self.auth = _TokenAuth(self)
        self._httpx_options = httpx_options
        self._lock = threading.Lock()
        self._resolved_base_url: str | None = None
        self._origin: tuple[str, bytes, int | None] | None = None
        # given clients are used as they are, and never closed here
        self._given_sync = http_client
        self._given_async = async_http_client
        self.given_headers = _given_headers(http_client or async_http_client)
        self.claims = Claims()  # ids of predictions this process's creates received
        self._sync: httpx.Client | None = http_client
        self._async: httpx.AsyncClient | None = async_http_client
        self._async_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        # version id -> how its output is typed (see replicate._run): versions never change
        self.output_kinds: dict[str, Any] = {}
        # use(): what each fetched schema resolved to (the same for every copy of a client)
        self.schemas: dict[str, Any] = {}

    def token(self) -> str | None:
        return self._api_token or api_token_from_environment() or None

    def base_url(self) -> str:
        url = self._resolved_base_url
        if url is None:
            url = self._base_url or os.environ.get("REPLICATE_BASE_URL") or DEFAULT_BASE_URL
            url = self._resolved_base_url = normalize_base_url(url)
            parsed = httpx.URL(url)
            self._origin = (parsed.scheme, parsed.raw_host, parsed.port)
        return url

    def is_api_origin(self, url: httpx.URL) -> bool:
        if self._origin is None:
            self.base_url()
        # raw_host: no IDNA decoding on this per-request path
        return (url.scheme, url.raw_host, url.port) == self._origin

    def _client_options(self, *, sync: bool) -> dict[str, Any]:
        options = dict(self._httpx_options)
        transport_options = {key: options.pop(key) for key in _TRANSPORT_OPTIONS if key in options}
        if "trust_env" in transport_options:
            options["trust_env"] = transport_options["trust_env"]
        transport = options.pop("transport", None)
        async_transport = options.pop("async_transport", None)
        transport_options.setdefault("limits", default_limits())
        # A transport given for the other kind of call is an error, never a silent switch to
        # the network (an httpx.ASGITransport serves async calls only).
        if sync:
            if transport is None:
                transport = httpx.HTTPTransport(**transport_options)
            elif not isinstance(transport, httpx.BaseTransport):
                raise TypeError(_one_sided(transport, "sync"))
            options["transport"] = transport
        else:
            chosen = async_transport or transport
            if chosen is None:
                chosen = httpx.AsyncHTTPTransport(**transport_options)
            elif not isinstance(chosen, httpx.AsyncBaseTransport):
                raise TypeError(_one_sided(chosen, "async"))
            options["transport"] = chosen
        headers = httpx.Headers(options.pop("headers", None))
        headers.setdefault("User-Agent", _user_agent())
        options.setdefault("auth", self.auth)
        return {**options, "base_url": self.base_url(), "headers": headers, "timeout": self.timeout}

    def traced(self, *, sync: bool) -> bool:
        """Whether requests go through httpx's own HTTP transport, whose ``trace`` extension
        reports each step of sending (a transport given by the user may report nothing)."""
        if (self._given_sync if sync else self._given_async) is not None:
            return False
        options = self._httpx_options
        if options.get("mounts"):
            return False
        transport = options.get("transport")
        if not sync:
            transport = options.get("async_transport") or transport
        return transport is None or isinstance(
            transport, (httpx.HTTPTransport, httpx.AsyncHTTPTransport)
        )

    def sync_http(self) -> httpx.Client:
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    self._sync = httpx.Client(**self._client_options(sync=True))
                client = self._sync
        return client

    def async_http(self) -> httpx.AsyncClient:
        """The async pool for the running event loop.

        An ``httpx.AsyncClient``'s connections belong to the loop that opened them: when the
        loop changes (a second ``asyncio.run()``), the old pool is dropped and a new one made
        (a given ``async_http_client`` is used as it is).
        """
        if self._given_async is not None:
            return self._given_async
        import asyncio  # here, not at the top: sync programs need not load it

        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None  # not under asyncio (trio, or outside any loop)
        with self._lock:
            previous = self._async_loop() if self._async_loop is not None else None
            if self._async is None or (loop is not None and previous is not loop):
                self._async = httpx.AsyncClient(**self._client_options(sync=False))
                self._async_loop = weakref.ref(loop) if loop is not None else None
            return self._async

    def close(self) -> None:
        with self._lock:
            client, self._sync = self._sync, self._given_sync
        if client is not None and client is not self._given_sync:
            client.close()

    async def aclose_loop_pool(self) -> None:
        """Close the async pool made for the running event loop, which is about to end (the
        loop ``run_batch`` runs a batch on); a given ``async_http_client`` stays open."""
        import asyncio

        if self._given_async is not None:
            return
        loop = asyncio.get_running_loop()
        with self._lock:
            previous = self._async_loop() if self._async_loop is not None else None
            if self._async is None or previous is not loop:
                return
            client, self._async, self._async_loop = self._async, None, None
        await client.aclose()

    async def aclose(self) -> None:
        self.close()
        with self._lock:
            client, self._async = self._async, self._given_async
        if client is not None and client is not self._given_async:
            await client.aclose()


def _one_sided(transport: object, call: str) -> str:
    """Why ``transport`` cannot serve a ``call`` ("sync" or "async") call, and what to do."""
    name = f"transport={type(transport).__name__}(...)"
    if not isinstance(transport, httpx.BaseTransport | httpx.AsyncBaseTransport):
        return f"{name} is not an httpx transport"
    if call == "sync":
        return (
            f"{name} serves async calls only, so this sync call cannot use it: call the "
            "async_ methods, or give sync calls a transport of their own with "
            "http_client=httpx.Client(transport=...)"
        )
    return (
        f"{name} serves sync calls only, so this async call cannot use it: call the sync "
        "methods, or give async calls a transport of their own with "
        "async_http_client=httpx.AsyncClient(transport=...)"
    )


def _given_headers(client: httpx.Client | httpx.AsyncClient | None) -> dict[str, str]:
    """Headers to add to a given httpx client's requests: this client's User-Agent, unless
    the given one names its own."""
    if client is None or not client.headers.get("user-agent", "").startswith("python-httpx/"):
        return {}
    return {"User-Agent": _user_agent()}
