"""The API token never appears in a repr, an error message or a log line."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from facade_tools import TOKEN, FakeAPI

from replicate.client import Client
from replicate.exceptions import ReplicateError


def test_repr_of_client_and_raw_client_hide_the_token() -> None:
    client = Client(TOKEN)
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(client.api)
    assert TOKEN not in repr(client.predictions)


def test_errors_do_not_carry_the_token(client: Client, api: FakeAPI) -> None:
    api.json("GET", "/v1/predictions/x", {"title": "Unauthenticated", "status": 401}, status=401)
    with pytest.raises(ReplicateError) as raised:
        client.predictions.get("x")
    for text in (str(raised.value), repr(raised.value), repr(raised.value.to_dict())):
        assert TOKEN not in text
    api.add("POST", "/v1/predictions", httpx.ReadTimeout("timed out"))
    with pytest.raises(httpx.ReadTimeout) as timeout:
        client.predictions.create("a" * 64, {})
    assert TOKEN not in str(timeout.value)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 503 if self.server.calls == 0 else 200  # type: ignore[attr-defined]
        self.server.calls += 1  # type: ignore[attr-defined]
        body = b'{"id": "x", "status": "succeeded"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_debug_logging_of_a_real_exchange_never_shows_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    server.calls = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        caplog.set_level(logging.DEBUG)  # httpx, httpcore and replicate, all at DEBUG
        base = f"http://127.0.0.1:{server.server_port}"
        with Client(TOKEN, base_url=base) as client:
            assert client.predictions.get("x").status == "succeeded"  # after one retry
    finally:
        server.shutdown()
    assert any("Retrying GET" in record.getMessage() for record in caplog.records)
    assert any(record.name.startswith("httpcore") for record in caplog.records)
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.args)
