"""The emulator's public face: :class:`Emulator`, served in process or over real sockets.

In process (no sockets; for async clients)::

    emu = Emulator()
    transport = httpx.ASGITransport(emu.asgi)
    async with httpx.AsyncClient(transport=transport, base_url=emu.base_url) as client:
        ...

Over sockets on 127.0.0.1 (uvicorn on a background thread; for any client)::

    with Emulator() as emu:
        auth = {"Authorization": f"Bearer {emu.api_token}"}
        httpx.get(f"{emu.base_url}/predictions", headers=auth)

The API and the delivery host (where model output files live) are two origins, on two
ports, like ``api.replicate.com`` and ``replicate.delivery``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import threading
from collections.abc import Callable, MutableMapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import uvicorn

from replicate.identifier import ModelVersionIdentifier

from ._app import EmulatorApp
from ._faults import CONNECTION_EXTENSION, Faults, until_disconnected
from ._models import EmulatedModel
from ._state import Clock, Options

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

START_TIMEOUT = 10.0  # seconds; binding is done before the thread starts, so this is generous
GRACEFUL_SHUTDOWN = 1  # seconds; a backstop, as stop() drops running requests itself


class Emulator:
    """A local, stateful emulator of Replicate's HTTP API.

    Use it as a context manager to serve it on 127.0.0.1, or pass :attr:`asgi` to
    ``httpx.ASGITransport`` to use it in process without sockets::

        with Emulator(seed=1) as emu:
            client = httpx.Client(
                base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.api_token}"}
            )
            prediction = client.post(
                "/predictions",
                json={"version": "replicate/hello-world", "input": {"text": "you"}},
                headers={"Prefer": "wait"},
            ).json()
            assert prediction["output"] == "hello you"

    Options: ``api_token`` (default ``r8_emulator_token``); ``host`` and ``port`` of the API
    (loopback, and 0 for a free port) and ``delivery_port`` of the file host;
    ``validate_requests`` against the OpenAPI spec (422 problem+json when invalid);
    ``real_deviations`` for what recorded traffic of 2023-2024 shows beyond today's API
    (``Prefer: wait`` answered ``processing`` with ``data:`` file outputs as soon as a
    model's output exists, timestamps with 0 to 9 fractional digits, no ``data_removed``,
    more nulls); ``rate_limits`` (600 creates and 3000 other requests a minute);
    ``page_size`` of every list (by default each list's own, as the API's: 25 models, 100 of
    anything else); ``seed`` for reproducible ids; ``clock`` (a callable returning an
    aware ``datetime``) for timestamps; ``tokens_per_second`` of the language model;
    ``webhook_secret`` (``whsec_...`` or the bare base64 key) to sign webhooks with.
    """

    def __init__(
        self,
        *,
        api_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        delivery_port: int = 0,
        validate_requests: bool = True,
        real_deviations: bool = False,
        rate_limits: bool = False,
        page_size: int | None = None,
        seed: int | None = None,
        clock: Clock | None = None,
        tokens_per_second: float = 50.0,
        webhook_secret: str | None = None,
    ) -> None:
        options = Options(
            page_size=page_size,
            validate_requests=validate_requests,
            real_deviations=real_deviations,
            rate_limits=rate_limits,
            seed=seed,
            webhook_secret=(webhook_secret or "").removeprefix("whsec_"),
        )
        if api_token is not None:
            options.api_token = api_token
        if clock is not None:
            options.clock = clock
        self.host, self.port, self.delivery_port = host, port, delivery_port
        self.app = EmulatorApp(options, tokens_per_second)
        self._faults = Faults(self.app)
        self.app.faults = self._faults
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._ports: tuple[int, int] | None = None  # (API, delivery) while serving
        self.asgi: ASGIApp = self._wrap(self.app.asgi)

    # --- what tests use ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API's base URL, ending in ``/v1``: ``http://127.0.0.1:PORT/v1`` when serving.

        Example: ``httpx.Client(base_url=emu.base_url)``.
        """
        return self.app.store.api_base_url

    @property
    def delivery_url(self) -> str:
        """The origin serving model output files (another port than the API's).

        Example: ``assert output_url.startswith(emu.delivery_url)``.
        """
        return self.app.store.delivery_base_url

    @property
    def api_token(self) -> str:
        """The token the API accepts (``Authorization: Bearer <token>``).

        Example: ``os.environ["REPLICATE_API_TOKEN"] = emu.api_token``.
        """
        return self.app.options.api_token

    @property
    def faults(self) -> Faults:
        """Scripted faults and rate limits.

        Example: ``emu.faults.add("POST /v1/predictions", status=429, retry_after=1)``.
        """
        return self._faults

    @property
    def webhook_deliveries(self) -> list[tuple[str, dict[str, str], str]]:
        """Webhooks delivered so far: ``(url, headers, body)``, oldest first.

        Example: ``url, headers, body = emu.webhook_deliveries[-1]``.
        """
        return self.app.store.webhook_deliveries

    @property
    def webhook_secret(self) -> str:
        """The signing secret (``whsec_<base64 key>``), as ``GET /webhooks/default/secret``.

        Example: ``key = base64.b64decode(emu.webhook_secret.removeprefix("whsec_"))``.
        """
        return self.app.store.webhook_secret

    @property
    def running(self) -> bool:
        """Whether the server is serving on its sockets.

        Example: ``assert not Emulator().running``.
        """
        return self._thread is not None and self._thread.is_alive()

    def register(
        self,
        ref: str,
        function: Callable[..., Any],
        *,
        official: bool = False,
        streams: bool | None = None,
        backing_model: str | None = None,
        setup_time: float = 0.0,
        description: str = "",
        versioned: bool = True,
    ) -> EmulatedModel:
        """Make ``function`` the model ``owner/name``; its type hints give the schema.

        A plain function, a generator (a stream of outputs) or their async forms work;
        return :class:`~replicate.testing.OutputFile` or a ``Path`` for file outputs.
        Registering the same ``ref`` again adds a new version. ``official=True`` makes an
        official model: it runs by name (``POST /models/{owner}/{name}/predictions``), its
        predictions then showing an opaque ``version`` (``dp-...``) and ``backing_model`` as
        their ``model`` when given; it still has a version, as real official models do
        (``versioned=False`` is the older spelling of ``official=True``). ``streams``: whether
        predictions get ``urls.stream`` (by default, when ``function`` is a generator).
        ``setup_time`` is how long predictions stay ``starting``. Example::

            def shout(text: str, times: int = 1) -> str:
                return text.upper() * times

            model = emu.register("me/shout", shout)
            version = f"me/shout:{model.version_id}"
        """
        owner, name, version = ModelVersionIdentifier.parse(ref)  # the client's own rules
        if version is not None:
            raise ValueError(f"model reference {ref!r}: expected 'owner/name', without a version")
        if not description:
            description = (inspect.getdoc(function) or "").strip().split("\n", 1)[0]
        model = EmulatedModel(
            owner,
            name,
            function,
            description=description,
            official=official or not versioned,
            setup_time=setup_time,
            streams=streams,
            backing_model=backing_model,
        )
        self.app.add_model(model)
        return model

    # --- serving -------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve the API and the delivery host on 127.0.0.1 (free ports unless given).

        Example: ``emu = Emulator().start(); ...; emu.stop()``.
        """
        if self.running:
            return self
        api = self._bind(self.port)
        try:
            delivery = self._bind(self.delivery_port)
        except OSError:
            api.close()
            raise
        ports = (api.getsockname()[1], delivery.getsockname()[1])
        host = f"[{self.host}]" if ":" in self.host else self.host
        store = self.app.store
        store.api_base_url = f"http://{host}:{ports[0]}/v1"
        store.delivery_base_url = f"http://{host}:{ports[1]}"
        self._ports = ports
        config = uvicorn.Config(
            self.asgi,
            host=self.host,
            port=ports[0],
            http=_protocol_class(),
            log_level="warning",
            lifespan="off",
            access_log=False,
            proxy_headers=False,  # nothing sits in front of the emulator
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        )
        server = _Server(config)
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [api, delivery]},
            name=f"replicate-emulator:{ports[0]}",
            daemon=True,  # a test that forgets stop() must not hang the interpreter's exit
        )
        self._server, self._thread = server, thread
        thread.start()
        if not server.ready.wait(START_TIMEOUT) or not thread.is_alive():
            self.stop()
            raise RuntimeError("the emulator's server did not start")
        return self

    def stop(self) -> None:
        """Stop serving (if serving) and stop running predictions. Safe to call twice.

        Open connections drop at once: a request still waiting (``Prefer: wait``, a
        stream) fails on the client's side as a disconnect rather than holding ``stop()``.

        Example: ``emu.stop()``.
        """
        server, thread = self._server, self._thread
        self._server = self._thread = None
        self._ports = None
        if server is not None and thread is not None:
            server.drop_connections()
            server.should_exit = True
            thread.join(timeout=GRACEFUL_SHUTDOWN + 5)
        self.app.engine.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self.running else "in process"
        return f"<Emulator {where}>"

    # --- internals -----------------------------------------------------------------------

    def _bind(self, port: int) -> socket.socket:
        # Bound here rather than by uvicorn so that both ports are known before it starts.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says
        # TCP, and without it each response's second write waits ~40 ms for a delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, port))
        except OSError as error:
            sock.close()
            if error.errno is None:
                raise
            # the address in the message: "Address already in use" alone does not say which
            raise OSError(error.errno, f"{error.strerror} ({self.host}:{port})") from None
        return sock

    def _wrap(self, inner: ASGIApp) -> ASGIApp:
        """The application as served: the delivery port, and SSE streams cut by faults."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await inner(scope, receive, send)
                return
            ports = self._ports
            if ports is not None and scope.get("server") and scope["server"][1] == ports[1]:
                # Whatever Host the client sent (localhost, say), this port is the file host.
                delivery_host = self.delivery_url.split("://", 1)[1].encode()
                headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
                scope["headers"] = [*headers, (b"host", delivery_host)]
            progress = {"started": False, "finished": False}

            async def tracked(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    progress["started"] = True
                elif message["type"] == "http.response.body" and not message.get("more_body"):
                    progress["finished"] = True
                await send(message)

            try:
                await inner(scope, receive, tracked)
            except Exception as error:
                if not (_is_stream_cut(error) and progress["started"]):
                    raise
                if progress["finished"]:
                    return
                connection = scope.get("extensions", {}).get(CONNECTION_EXTENSION)
                if connection is not None:
                    connection["abort"]()  # mid-stream: the TCP connection just drops
                    # Return once the server knows, or it reports an unfinished response.
                    await until_disconnected(receive)
                else:
                    # In process (httpx.ASGITransport buffers the whole body) an error would
                    # lose the events already sent: end the stream there instead.
                    await send({"type": "http.response.body", "body": b"", "more_body": False})

        return app


def _is_stream_cut(error: BaseException) -> bool:
    """The SSE route raises ConnectionResetError to cut a stream (maybe in a group)."""
    if isinstance(error, ConnectionResetError):
        return True
    if isinstance(error, BaseExceptionGroup):
        return all(_is_stream_cut(inner) for inner in error.exceptions)
    return False


def _protocol_class() -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol (httptools when installed), able to drop its connection.

    Each request's scope gets ``extensions[CONNECTION_EXTENSION]`` with ``abort`` (close the
    TCP connection without another byte) and ``closing`` (whether the client has gone).
    """
    base: type[asyncio.Protocol]
    try:
        import httptools  # noqa: F401  (only to know whether uvicorn can use it)
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol as base

    class AbortableProtocol(base):  # type: ignore[valid-type,misc]
        app: ASGIApp  # set by uvicorn's protocol: the application it runs for each request

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            inner: ASGIApp = self.app
            connection = {"abort": transport.abort, "closing": transport.is_closing}

            async def app(scope: Scope, receive: Receive, send: Send) -> None:
                scope.setdefault("extensions", {})[CONNECTION_EXTENSION] = connection
                try:
                    await inner(scope, receive, send)
                except asyncio.CancelledError:
                    if transport.is_closing():
                        return  # stop() dropped the connection: nothing to answer or report
                    raise

            self.app = app

    return AbortableProtocol


class _Server(uvicorn.Server):
    """uvicorn's server, telling the starting thread when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.loop = asyncio.get_running_loop()
        self.ready.set()

    def drop_connections(self) -> None:
        """From another thread: stop listening, drop every connection, end their requests.

        uvicorn's own shutdown would wait for running requests (a ``Prefer: wait`` of up
        to 60 s), then cancel them noisily.
        """
        if self.loop is None or self.loop.is_closed():
            return
        with contextlib.suppress(Exception):  # the loop may be ending on its own
            asyncio.run_coroutine_threadsafe(self._drop(), self.loop).result(timeout=5)

    async def _drop(self) -> None:
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        await asyncio.sleep(0)  # let uvicorn see the connections go, so it sends no 500
        for task in list(self.server_state.tasks):
            task.cancel()


__all__ = ["Emulator"]
