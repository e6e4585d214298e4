"""A local webhook receiver for the MLOps demo: a real HTTP server on 127.0.0.1 in a thread.

It answers every ``POST`` with 200 and keeps what it got: path, headers, body, and whether the
``X-MLflow-Signature`` header is the HMAC-SHA256 of ``"<delivery id>.<timestamp>.<body>"`` under
the shared secret (checked here with :mod:`hmac`, independently of the sender's code).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Received", "WebhookReceiver", "signature_valid"]


def signature_valid(secret: str, headers: dict[str, str], body: str) -> bool:
    """Whether ``headers`` carry a valid ``v1,<base64 HMAC-SHA256>`` signature of ``body``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    given = lowered.get("x-mlflow-signature", "")
    delivery_id = lowered.get("x-mlflow-delivery-id", "")
    stamp = lowered.get("x-mlflow-timestamp", "")
    if not given.startswith("v1,") or not delivery_id or not stamp:
        return False
    content = f"{delivery_id}.{stamp}.{body}".encode()
    expected = base64.b64encode(hmac.new(secret.encode(), content, hashlib.sha256).digest())
    return hmac.compare_digest(given[3:].encode(), expected)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    signature_valid: bool

    @property
    def delivery_id(self) -> str | None:
        return {k.lower(): v for k, v in self.headers.items()}.get("x-mlflow-delivery-id")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """``with WebhookReceiver(secret) as rx: ... rx.url ... rx.received``."""

    secret: str
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def __enter__(self) -> WebhookReceiver:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(size).decode("utf-8", "replace")
                headers = dict(self.headers.items())
                item = Received(
                    self.path, headers, body, signature_valid(outer.secret, headers, body)
                )
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                with outer._arrived:
                    outer.received.append(item)
                    outer._arrived.notify_all()

            def log_message(self, *args: Any) -> None:  # keep the demo's output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="demo-webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(10)

    @property
    def url(self) -> str:
        assert self._server is not None, "the receiver is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def wait_for(self, path: str, count: int = 1, timeout: float = 120.0) -> list[Received]:
        """The requests received on ``path`` once there are ``count`` (bounded wait)."""
        with self._arrived:
            self._arrived.wait_for(
                lambda: len([r for r in self.received if r.path == path]) >= count, timeout
            )
            return [r for r in self.received if r.path == path]
