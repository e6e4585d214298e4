"""Sending webhook deliveries: signature headers, the post-DNS address check, retries, a worker.

Headers (MLflow's): ``X-MLflow-Delivery-Id`` (the outbox row's id, the same on every retry, so
receivers can de-duplicate), ``X-MLflow-Timestamp`` (Unix seconds of this attempt) and, when
the webhook has a secret, ``X-MLflow-Signature: v1,<base64 HMAC-SHA256 of
"<delivery_id>.<timestamp>.<body>">``.

The connection goes to an address checked after DNS resolution (the name is resolved once,
checked, and that very address is connected to; TLS still verifies the host name), so a name
re-pointed to an internal address between checks cannot be used to reach it.

Environment (read by the worker): ``MLFLOW_WEBHOOK_REQUEST_TIMEOUT`` (seconds, default 30),
``MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES`` (default 3: four attempts in all),
``MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS`` (parallel sends, default 10),
``MODELYARD_WEBHOOK_BACKOFF_MS`` (first retry delay, doubled each time, capped at 60 s;
default 1000) and ``MODELYARD_WEBHOOK_POLL_MS`` (outbox poll interval, default 500).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import logging
import os
import socket
import ssl
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.services.webhooks import envelope, example_payload, resolve_allowed_addresses
from modelyard.store.webhooks.base import Delivery, Webhook, WebhookStore
from modelyard.utils.time import now_ms

__all__ = [
    "DeliveryWorker",
    "OutboxWorker",
    "env_int",
    "SendResult",
    "send",
    "sign",
    "send_test",
]

_log = logging.getLogger(__name__)
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_BODY_LIMIT = 4096


def env_int(name: str, default: int) -> int:
    """An integer setting; ``default`` when unset or not an integer."""
    try:
        return int(os.environ.get(name, "") or default)
    except ValueError:
        return default


def sign(secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    """MLflow's signature header value: ``v1,<base64 HMAC-SHA256>``."""
    content = f"{delivery_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode("utf-8"), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class SendResult:
    status: int | None
    body: str
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status in _RETRY_STATUSES


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a fixed, already-checked address; SNI and certificate use the host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def send(
    url: str, delivery_id: str, body: str, secret: str | None, timeout: float | None = None
) -> SendResult:
    """One POST attempt of ``body`` to ``url`` (checked again, after DNS, here)."""
    timeout = float(env_int("MLFLOW_WEBHOOK_REQUEST_TIMEOUT", 30)) if timeout is None else timeout
    try:
        addresses = resolve_allowed_addresses(url)
    except InvalidParameterValue as exc:
        return SendResult(None, "", f"refused: {exc.message}")
    parts = urllib.parse.urlsplit(url)
    host = str(parts.hostname)
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "modelyard-webhooks",
        "X-MLflow-Delivery-Id": delivery_id,
        "X-MLflow-Timestamp": stamp,
    }
    if secret:
        headers["X-MLflow-Signature"] = sign(secret, delivery_id, stamp, body)
    last_error = "no address"
    for address in addresses:
        conn_cls = _PinnedHTTPS if https else _PinnedHTTP
        conn = conn_cls(host, address, port, timeout)
        try:
            conn.request("POST", path, body=body.encode("utf-8"), headers=headers)
            response = conn.getresponse()
            text = response.read(_BODY_LIMIT).decode("utf-8", "replace")
            return SendResult(
                response.status, text, None if response.status < 400 else f"HTTP {response.status}"
            )
        except (OSError, http.client.HTTPException) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
    return SendResult(None, "", last_error)


def send_test(webhook: Webhook, event: str | None = None) -> dict[str, Any]:
    """MLflow's TestWebhook: one synchronous delivery of an example payload (not recorded)."""
    chosen = event or webhook.events[0]
    body = envelope(chosen, example_payload(chosen))
    import uuid

    result = send(webhook.url, str(uuid.uuid4()), body, webhook.secret)
    out: dict[str, Any] = {"success": bool(result.status is not None and result.status < 400)}
    if result.status is not None:
        out["response_status"] = result.status
        out["response_body"] = result.body
    if result.error and result.status is None:
        out["error_message"] = result.error
    return out


class OutboxWorker:
    """The polling thread of an outbox and its retry policy (webhook deliveries, alert
    notifications): ``run_once()`` (truthy when it claimed work) until it claims nothing, then
    a wait for ``notify()`` or ``poll`` seconds. Subclasses set ``poll``, ``max_attempts`` and
    ``backoff_ms`` and define ``run_once``; a failed pass is logged as ``<what> pass failed``."""

    what = "outbox"
    poll: float
    max_attempts: int
    backoff_ms: int

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> Any:
        raise NotImplementedError

    def notify(self, *_: Any) -> None:
        self._wake.set()

    def _start_thread(self, name: str) -> None:
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _stop_thread(self, timeout: float) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = bool(self.run_once())
            except Exception:  # the database may be briefly unavailable; try again later
                logging.getLogger(type(self).__module__).exception("%s pass failed", self.what)
                busy = False
            if not busy:
                self._wake.wait(self.poll)
                self._wake.clear()

    def _retry(
        self, now: int, attempts: int, retryable: bool, error: str
    ) -> tuple[int | None, str]:
        """When a failed attempt is tried again (None: never) and the error to record: a
        retryable failure waits ``backoff_ms`` doubled per attempt (at most 60 s) until
        ``max_attempts`` are spent, then gives up."""
        if not retryable:
            return None, error
        if attempts < self.max_attempts:
            return now + min(60_000, self.backoff_ms * 2 ** (attempts - 1)), error
        return None, f"{error} (gave up after {attempts} attempts)"


class DeliveryWorker(OutboxWorker):
    """Drains the outbox: claims due deliveries with a lease and sends them in a thread pool.

    ``notify()`` wakes it at once (the server calls it after each emit); otherwise it polls, so
    retries fall due and rows left by a killed process are picked up after their lease.
    """

    what = "webhook outbox"

    def __init__(self, store: WebhookStore, poll_interval: float | None = None) -> None:
        super().__init__()
        self.store = store
        self.poll = (
            env_int("MODELYARD_WEBHOOK_POLL_MS", 500) / 1000.0
            if poll_interval is None
            else poll_interval
        )
        self.timeout = float(env_int("MLFLOW_WEBHOOK_REQUEST_TIMEOUT", 30))
        self.max_attempts = 1 + max(0, env_int("MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES", 3))
        self.backoff_ms = max(1, env_int("MODELYARD_WEBHOOK_BACKOFF_MS", 1000))
        self.lease_ms = int(self.timeout * 1000) + 2000
        self.parallel = max(1, env_int("MLFLOW_WEBHOOK_DELIVERY_MAX_WORKERS", 10))
        self._slots = threading.Semaphore(self.parallel)
        self._pool: ThreadPoolExecutor | None = None
        self._webhooks: dict[str, tuple[float, Webhook | None]] = {}

    def start(self) -> DeliveryWorker:
        self._pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="webhook-send")
        self._start_thread("webhook-outbox")
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop_thread(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------ internals
    def run_once(self) -> bool:
        """Claim what free send slots allow and hand it to the pool; True if any was claimed."""
        free = 0
        while free < self.parallel and self._slots.acquire(blocking=False):
            free += 1
        if free == 0:
            return False
        claimed: list[Delivery] = []
        try:
            claimed = self.store.claim_due(now_ms(), self.lease_ms, free)
        finally:
            for _ in range(free - len(claimed)):
                self._slots.release()
        for delivery in claimed:
            if self._pool is None:
                self.deliver(delivery)
                self._slots.release()
            else:
                self._pool.submit(self._deliver_and_release, delivery)
        return bool(claimed) and len(claimed) == free

    def _deliver_and_release(self, delivery: Delivery) -> None:
        try:
            self.deliver(delivery)
        except Exception:
            _log.exception("webhook delivery %s failed unexpectedly", delivery.delivery_id)
        finally:
            self._slots.release()
            self._wake.set()

    def _webhook(self, webhook_id: str) -> Webhook | None:
        cached = self._webhooks.get(webhook_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        from modelyard.errors import ResourceDoesNotExist

        try:
            webhook: Webhook | None = self.store.get_webhook(webhook_id)
        except ResourceDoesNotExist:
            webhook = None
        self._webhooks[webhook_id] = (time.monotonic() + 2.0, webhook)
        return webhook

    def deliver(self, delivery: Delivery) -> None:
        """Send one claimed delivery and record the outcome."""
        webhook = self._webhook(delivery.webhook_id)
        if webhook is None or webhook.status != "ACTIVE":
            reason = "webhook deleted" if webhook is None else "webhook disabled"
            self.store.finish_delivery(
                delivery.delivery_id,
                now_ms(),
                delivered=False,
                response_status=None,
                error=reason,
                retry_at=None,
            )
            return
        result = send(
            webhook.url, delivery.delivery_id, delivery.payload, webhook.secret, self.timeout
        )
        now = now_ms()
        if result.ok:
            self.store.finish_delivery(
                delivery.delivery_id,
                now,
                delivered=True,
                response_status=result.status,
                error=None,
                retry_at=None,
            )
            return
        retry_at, error = self._retry(
            now, delivery.attempts, result.retryable, result.error or f"HTTP {result.status}"
        )
        self.store.finish_delivery(
            delivery.delivery_id,
            now,
            delivered=False,
            response_status=result.status,
            error=error[:2000],
            retry_at=retry_at,
        )
