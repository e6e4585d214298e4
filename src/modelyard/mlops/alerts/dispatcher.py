"""Delivering alert notifications from the store's outbox, off the evaluation's path.

A :class:`Dispatcher` claims due PENDING notifications with a lease (one claimer per attempt,
as the webhook outbox), sends each (:func:`~modelyard.mlops.alerts.channels.send_notification`)
and records the outcome: DELIVERED with the answer (HTTP status, SMTP code, the job run id), or
a retry with exponential backoff, or FAILED with the error once the retries are spent or the
failure is permanent (a 4xx answer, an unknown job, an SMTP 5xx). A dispatcher killed
mid-send leaves its leased rows due again when the lease ends (at least once, never lost).

Environment: ``MODELYARD_ALERTS_TIMEOUT`` (seconds per attempt, default 10),
``MODELYARD_ALERTS_MAX_RETRIES`` (default 3), ``MODELYARD_ALERTS_BACKOFF_MS`` (first retry delay,
doubled, capped at 60 s; default 1000), ``MODELYARD_ALERTS_POLL_MS`` (default 1000).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from modelyard.mlops.alerts.channels import send_notification
from modelyard.services.webhook_delivery import OutboxWorker, env_int
from modelyard.store.alerts.base import AlertStore, Notification
from modelyard.utils.time import now_ms

__all__ = ["Dispatcher"]

_log = logging.getLogger(__name__)


class Dispatcher(OutboxWorker):
    what = "alert dispatcher"

    def __init__(
        self, store: AlertStore, jobs_uri: str, poll_interval: float | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.jobs_uri = jobs_uri
        self.timeout = float(env_int("MODELYARD_ALERTS_TIMEOUT", 10))
        self.max_attempts = 1 + max(0, env_int("MODELYARD_ALERTS_MAX_RETRIES", 3))
        self.backoff_ms = max(1, env_int("MODELYARD_ALERTS_BACKOFF_MS", 1000))
        self.lease_ms = int(self.timeout * 1000) + 5000
        self.poll = (
            env_int("MODELYARD_ALERTS_POLL_MS", 1000) / 1000.0
            if poll_interval is None
            else poll_interval
        )

    # ------------------------------------------------------------ one pass
    def _secret(self, note: Notification) -> str | None:
        if note.kind != "webhook":
            return None
        from modelyard.errors import ResourceDoesNotExist

        try:
            actions: list[dict[str, Any]] = self.store.get_rule(note.alert_id).actions
        except ResourceDoesNotExist:
            return None
        index = int(note.payload.get("action_index", -1))
        if 0 <= index < len(actions) and actions[index].get("url") == note.payload.get("url"):
            secret = actions[index].get("secret")
            return str(secret) if secret else None
        return None

    def deliver(self, note: Notification) -> None:
        """Send one claimed notification and record the outcome (never raises)."""
        try:
            outcome = send_notification(
                note.kind,
                note.notification_id,
                note.payload,
                secret=self._secret(note),
                jobs_uri=self.jobs_uri,
                timeout=self.timeout,
            )
        except Exception as exc:  # a bug in a channel must not stop the others
            _log.exception("alert notification %s failed unexpectedly", note.notification_id)
            from modelyard.mlops.alerts.channels import Outcome

            outcome = Outcome(False, False, None, f"{type(exc).__name__}: {exc}")
        now = now_ms()
        if outcome.ok:
            self.store.finish_notification(
                note.notification_id,
                now,
                status="DELIVERED",
                result=outcome.result,
                error=outcome.error,
            )
            return
        retry_at, error = self._retry(
            now, note.attempts, outcome.retryable, outcome.error or "failed"
        )
        self.store.finish_notification(
            note.notification_id,
            now,
            status="FAILED",
            result=outcome.result,
            error=error[:2000],
            retry_at=retry_at,
        )

    def run_once(self, limit: int = 20) -> int:
        """Claim and send what is due; returns how many were claimed."""
        claimed = self.store.claim_due(now_ms(), self.lease_ms, limit)
        for note in claimed:
            self.deliver(note)
        return len(claimed)

    def drain(self, timeout: float = 60.0) -> int:
        """Send until no notification is PENDING (retries included) or ``timeout`` passes;
        returns how many are still pending."""
        deadline = time.monotonic() + timeout
        while True:
            if self.run_once() == 0:
                pending = len(self.store.list_notifications(None, 1, status="PENDING")[0])
                if pending == 0 or time.monotonic() > deadline:
                    return pending
                time.sleep(min(0.05, self.backoff_ms / 1000.0))

    # ------------------------------------------------------------ background thread
    def start(self) -> Dispatcher:
        self._start_thread("alert-dispatcher")
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop_thread(timeout)
