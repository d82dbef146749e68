"""Webhooks end to end: the emulator signs and POSTs a delivery to a local receiver, and
``replicate.webhooks.validate`` checks it with the secret the API gives."""

from __future__ import annotations

import functools
import threading
import time
import types
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

import replicate.webhook
from replicate.client import Client
from replicate.testing import HELLO_WORLD_VERSION, Emulator
from replicate.webhook import (
    InvalidSignatureError,
    InvalidTimestampError,
    WebhookSigningSecret,
    validate,
)


class Receiver:
    """A local HTTP server that keeps each POST's headers and raw body."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.arrived:
                    receiver.deliveries.append((dict(self.headers.items()), body))
                    receiver.arrived.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/replicate"
        serve = functools.partial(self.server.serve_forever, poll_interval=0.05)
        threading.Thread(target=serve, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[dict[str, str], bytes]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout)
            return list(self.deliveries)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def deliver(emu: Emulator, receiver: Receiver, call: Any) -> tuple[dict[str, str], bytes, Any]:
    """Run a prediction with a webhook; the delivery and the API's secret."""
    client = Client(emu.api_token, base_url=emu.base_url)
    count = len(receiver.deliveries)
    prediction = call(
        client.predictions,
        "create",
        version=HELLO_WORLD_VERSION,
        input={"text": "webhooks"},
        webhook=receiver.url,
        webhook_events_filter=["completed"],
    )
    headers, body = receiver.wait_for(count + 1)[count]
    secret = call(client.webhooks.default, "secret")
    assert prediction.id.encode() in body
    return headers, body, secret


def test_a_delivery_from_the_emulator_validates(
    emu: Emulator, receiver: Receiver, call: Any
) -> None:
    headers, body, secret = deliver(emu, receiver, call)
    assert isinstance(secret, WebhookSigningSecret) and secret.key == emu.webhook_secret
    assert validate(headers=headers, body=body, secret=secret)
    assert validate(headers=headers, body=body.decode(), secret=secret.key)
    request = httpx.Request("POST", receiver.url, headers=headers, content=body)
    assert replicate.webhook.Webhooks.validate(request=request, secret=secret)


def test_a_tampered_or_wrongly_keyed_delivery_is_refused(
    emu: Emulator, receiver: Receiver, call: Any
) -> None:
    headers, body, secret = deliver(emu, receiver, call)
    with pytest.raises(InvalidSignatureError):
        validate(headers=headers, body=body.replace(b"succeeded", b"failed"), secret=secret)
    another_accounts = "whsec_b3RoZXIga2V5IGZvciBhbm90aGVyIGFjY291bnQ="
    with pytest.raises(InvalidSignatureError):
        validate(headers=headers, body=body, secret=another_accounts)


def test_a_replayed_delivery_is_refused(
    emu: Emulator, receiver: Receiver, call: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers, body, secret = deliver(emu, receiver, call)
    ten_minutes_later = types.SimpleNamespace(time=lambda: time.time() + 600)
    monkeypatch.setattr(replicate.webhook, "time", ten_minutes_later)
    with pytest.raises(InvalidTimestampError):
        validate(headers=headers, body=body, secret=secret)
    assert validate(headers=headers, body=body, secret=secret, tolerance=900)
