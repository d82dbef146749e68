"""The emulator served three ways (socket, in process, command line) and its test fixtures."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import httpx
import pytest

from replicate.testing import Emulator, log

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def client(emulator: Emulator, **options: Any) -> httpx.Client:
    headers = {"Authorization": f"Bearer {emulator.api_token}"}
    return httpx.Client(base_url=emulator.base_url, headers=headers, timeout=10, **options)


def run(emulator: Emulator, version: str, **inputs: Any) -> dict[str, Any]:
    with client(emulator) as http:
        response = http.post(
            "/predictions",
            json={"version": version, "input": inputs},
            headers={"Prefer": "wait"},
        )
    assert response.status_code == 201, response.text
    return dict(response.json())


def port_of(url: str) -> int:
    return int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


# --- over a real socket ----------------------------------------------------------------------


def test_base_url_ends_in_v1_and_hello_world_runs_with_prefer_wait(emu: Emulator) -> None:
    assert emu.running
    assert emu.base_url.startswith("http://127.0.0.1:")
    assert emu.base_url.endswith("/v1")
    prediction = run(emu, "replicate/hello-world", text="world")
    assert prediction["status"] == "succeeded"
    assert prediction["output"] == "hello world"
    assert prediction["urls"]["get"].startswith(emu.base_url + "/predictions/")


def test_requests_need_the_token(emu: Emulator) -> None:
    response = httpx.get(f"{emu.base_url}/predictions")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_the_delivery_origin_serves_image_outputs_on_another_port(emu: Emulator) -> None:
    prediction = run(emu, "replicate/image", prompt="a gradient", num_outputs=2)
    assert prediction["status"] == "succeeded"
    urls = prediction["output"]
    assert len(urls) == 2
    assert port_of(emu.delivery_url) != port_of(emu.base_url)
    for url in urls:
        assert url.startswith(emu.delivery_url + "/")
        image = httpx.get(url)  # no token: delivery URLs are public, as the real ones are
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        assert image.content.startswith(PNG_SIGNATURE)
    # The API origin does not serve files, and the delivery origin does not serve the API.
    path = urls[0].split(emu.delivery_url, 1)[1]
    assert httpx.get(emu.base_url.removesuffix("/v1") + path).status_code == 404
    assert httpx.get(f"{emu.delivery_url}/v1/predictions").status_code == 404


def greet(name: str, times: int = 1, style: Literal["plain", "loud"] = "plain") -> str:
    """Greets someone."""
    log(f"greeting {name}")
    text = f"hi {name}" if style == "plain" else f"HI {name.upper()}"
    return " ".join([text] * times)


def test_a_registered_function_gets_a_schema_and_runs(emu: Emulator) -> None:
    model = emu.register("tester/greeter", greet)
    assert model.version_id is not None
    with client(emu) as http:
        version = http.get(f"/models/tester/greeter/versions/{model.version_id}").json()
        schemas = version["openapi_schema"]["components"]["schemas"]
        properties = schemas["Input"]["properties"]
        assert properties["name"]["type"] == "string"
        assert properties["times"] == {
            "type": "integer",
            "title": "Times",
            "x-order": 1,
            "default": 1,
        }
        assert schemas["style"]["enum"] == ["plain", "loud"]
        assert properties["style"]["allOf"] == [{"$ref": "#/components/schemas/style"}]
        assert schemas["Input"]["required"] == ["name"]
        assert schemas["Output"]["type"] == "string"
        assert http.get("/models/tester/greeter").json()["description"] == "Greets someone."

        invalid = http.post(
            "/predictions", json={"version": "tester/greeter", "input": {"times": 2}}
        )
        assert invalid.status_code == 422
        assert "name" in invalid.json()["detail"]

    prediction = run(emu, f"tester/greeter:{model.version_id}", name="ada", times=2, style="loud")
    assert prediction["output"] == "HI ADA HI ADA"
    assert "greeting ada" in prediction["logs"]


def test_register_rejects_a_reference_that_is_not_owner_slash_name(emu: Emulator) -> None:
    for ref in ("greeter", "a/b/c", "/name", "owner/", "a/b:1"):
        with pytest.raises(ValueError, match="owner/name"):
            emu.register(ref, greet)


# --- in process ------------------------------------------------------------------------------


def test_in_process_through_asgi_transport_without_sockets() -> None:
    emulator = Emulator(validate_requests=False)
    assert not emulator.running
    assert emulator.base_url.endswith("/v1")

    async def scenario() -> dict[str, Any]:
        transport = httpx.ASGITransport(emulator.asgi)
        headers = {"Authorization": f"Bearer {emulator.api_token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url=emulator.base_url, headers=headers
        ) as http:
            created = await http.post(
                "/predictions",
                json={"version": "replicate/image", "input": {"prompt": "x"}},
                headers={"Prefer": "wait"},
            )
            prediction = dict(created.json())
            image = await http.get(prediction["output"][0])  # the delivery host, in process
            assert image.content.startswith(PNG_SIGNATURE)
            return prediction

    try:
        prediction = asyncio.run(scenario())
    finally:
        emulator.stop()
    assert prediction["status"] == "succeeded"
    assert prediction["urls"]["get"].startswith(emulator.base_url)


# --- webhooks --------------------------------------------------------------------------------


class Receiver:
    """A webhook receiver on 127.0.0.1, in a thread."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        received = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.deliveries)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiving = Receiver()
    yield receiving
    receiving.close()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Check a delivery as API-FACTS.md describes (constant-time, recent timestamp)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    if abs(time.time() - int(headers["webhook-timestamp"])) > 300:
        return False
    signatures = [entry.partition(",")[2] for entry in headers["webhook-signature"].split()]
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


def test_webhooks_follow_the_events_filter_and_are_signed(
    emu: Emulator, receiver: Receiver
) -> None:
    with client(emu) as http:
        secret = http.get("/webhooks/default/secret").json()["key"]
        assert secret == emu.webhook_secret
        assert secret.startswith("whsec_")
        for events in (["completed"], ["start", "completed"]):
            http.post(
                "/predictions",
                json={
                    "version": "replicate/hello-world",
                    "input": {"text": "hook"},
                    "webhook": receiver.url,
                    "webhook_events_filter": events,
                },
                headers={"Prefer": "wait"},
            )
    deliveries = receiver.wait_for(3)
    time.sleep(0.1)  # nothing more may come
    assert len(receiver.deliveries) == 3
    bodies = [json.loads(body) for _, body in deliveries]
    by_prediction: dict[str, list[str]] = {}
    for body in bodies:
        by_prediction.setdefault(body["id"], []).append(body["status"])
    assert sorted(sorted(statuses) for statuses in by_prediction.values()) == [
        ["processing", "succeeded"],
        ["succeeded"],
    ]
    for headers, body in deliveries:
        assert headers["webhook-id"].startswith("msg_")
        assert verify(secret, headers, body)
        assert not verify(secret, headers, body + b" ")  # a tampered body fails
    assert len(emu.webhook_deliveries) >= 3


# --- command line and pytest plugin ----------------------------------------------------------


def test_the_command_serves_on_the_port_it_prints() -> None:
    command = [sys.executable, "-m", "replicate.testing", "--port", "0", "--seed", "3"]
    command += ["--token", "r8_from_the_command_line", "--no-validate"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        settings = dict(server.stdout.readline().strip().split("=", 1) for _ in range(2))
        base_url = settings["REPLICATE_BASE_URL"]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        assert port_of(base_url) != 0
        assert settings["REPLICATE_API_TOKEN"] == "r8_from_the_command_line"
        headers = {"Authorization": "Bearer r8_from_the_command_line"}
        response = httpx.get(f"{base_url}/models/replicate/hello-world", headers=headers)
        assert response.status_code == 200
    finally:
        server.terminate()  # SIGTERM: the command stops as it does on Ctrl-C
        assert server.wait(timeout=10) == 0


@pytest.mark.replicate_emulator(api_token="r8_from_a_marker", seed=11)
def test_the_pytest_fixture_serves_an_emulator(replicate_emulator: Emulator) -> None:
    assert replicate_emulator.running
    assert replicate_emulator.api_token == "r8_from_a_marker"
    prediction = run(replicate_emulator, "replicate/hello-world", text="fixture")
    assert prediction["output"] == "hello fixture"


def test_the_plugin_and_package_import_without_the_server_libraries() -> None:
    # The plugin loads in every pytest run: it must work where the extra is not installed.
    code = (
        "import sys\n"
        "for name in ('starlette', 'uvicorn', 'openapi_core'): sys.modules[name] = None\n"
        "import replicate.testing.pytest_plugin, replicate.testing\n"
        "from replicate.testing import OutputFile, log, progress\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr


def test_without_the_extra_the_import_says_what_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['uvicorn'] = None\n"  # as if the emulator extra were not installed
        "try:\n"
        "    from replicate.testing import Emulator\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.startswith("ModuleNotFoundError replicate.testing.Emulator needs uvicorn")
    assert "'emulator' extra" in result.stdout and "pip install -e '.[emulator]'" in result.stdout


def test_the_command_without_the_extra_says_so_in_one_line() -> None:
    code = (
        "import sys\n"
        "sys.modules['uvicorn'] = None\n"
        "from replicate.testing.__main__ import command_line\n"
        "sys.exit(command_line(['--port', '0']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("python -m replicate.testing: replicate.testing.Emulator needs uvicorn")
    assert "'emulator' extra" in line


def test_the_command_on_a_busy_port_says_so_in_one_line(emu: Emulator) -> None:
    port = port_of(emu.base_url)
    command = [sys.executable, "-m", "replicate.testing", "--port", str(port)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "python -m replicate.testing: cannot serve the emulator: "
        f"Address already in use (127.0.0.1:{port})"
    ]
    assert result.stdout == ""


# --- determinism -----------------------------------------------------------------------------


def _ids(emulator: Emulator) -> list[str]:
    async def create() -> list[str]:
        headers = {"Authorization": f"Bearer {emulator.api_token}"}
        transport = httpx.ASGITransport(emulator.asgi)
        async with httpx.AsyncClient(
            transport=transport, base_url=emulator.base_url, headers=headers
        ) as http:
            ids = []
            for text in ("a", "b"):
                body = {"version": "replicate/hello-world", "input": {"text": text}}
                ids.append((await http.post("/predictions", json=body)).json()["id"])
            return ids

    try:
        return [*asyncio.run(create()), str(emulator.register("me/greet", greet).version_id)]
    finally:
        emulator.stop()


def test_a_seed_makes_ids_reproducible() -> None:
    first = _ids(Emulator(seed=42, validate_requests=False))
    second = _ids(Emulator(seed=42, validate_requests=False))
    other = _ids(Emulator(seed=43, validate_requests=False))
    assert first == second
    assert len(set(first)) == 3
    assert not set(first) & set(other)
    assert Emulator(seed=42).webhook_secret == Emulator(seed=42).webhook_secret


def test_an_injectable_clock_sets_the_timestamps() -> None:
    moments = iter(
        datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC) + timedelta(seconds=n) for n in range(100)
    )
    with Emulator(clock=lambda: next(moments), validate_requests=False) as emulator:
        prediction = run(emulator, "replicate/hello-world", text="clock")
    assert prediction["created_at"].startswith("2024-05-06T07:08:")
    assert prediction["created_at"].endswith("Z")
    assert prediction["created_at"] < prediction["started_at"] < prediction["completed_at"]
    assert prediction["metrics"]["total_time"] >= 1.0  # one tick of the clock per timestamp


# --- starting and stopping -------------------------------------------------------------------


def test_stop_frees_the_port_and_can_be_called_twice() -> None:
    emulator = Emulator(validate_requests=False).start()
    port = port_of(emulator.base_url)
    assert "127.0.0.1" in repr(emulator)
    started = time.monotonic()
    emulator.stop()
    assert time.monotonic() - started < 1.0
    assert not emulator.running
    emulator.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_stop_drops_a_waiting_request_at_once() -> None:
    emulator = Emulator(validate_requests=False).start()
    errors: list[BaseException] = []

    def wait_for_a_slow_prediction() -> None:
        body = {"version": "replicate/slow", "input": {"seconds": 5}}
        try:
            run(emulator, body["version"], **body["input"])
        except BaseException as error:
            errors.append(error)

    waiting = threading.Thread(target=wait_for_a_slow_prediction)
    waiting.start()
    time.sleep(0.2)
    started = time.monotonic()
    emulator.stop()
    waiting.join(timeout=5)
    assert time.monotonic() - started < 1.0
    assert [type(error) for error in errors] == [httpx.RemoteProtocolError]


def test_a_busy_port_fails_to_start(emu: Emulator) -> None:
    port = port_of(emu.base_url)
    with pytest.raises(OSError, match=f"in use \\(127.0.0.1:{port}\\)"):  # which address
        Emulator(port=port).start()
