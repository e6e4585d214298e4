"""Webhook notifications of job runs (``webhook_notifications.on_start|on_success|on_failure``).

Each URL gets ``POST`` JSON ``{"event_type": "jobs.on_start" | "jobs.on_success" |
"jobs.on_failure", "job_id", "run_id", "run_name", "state": {...}}``, with up to three tries,
through the webhooks' sender (:func:`modelyard.services.webhook_delivery.send`): the URL is
checked again after DNS against the same destination rules as registry webhooks
(``MLFLOW_WEBHOOK_ALLOWED_SCHEMES``, ``MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS``,
``MODELYARD_WEBHOOK_ALLOWED_HOSTS``), the connection goes to the checked address, and each
request carries ``X-MLflow-Delivery-Id`` (the same id on every try) and ``X-MLflow-Timestamp``.
Job notifications have no secret, so they are not signed. A delivery that fails or is refused
is logged and reported to the caller, never raised into the run.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

__all__ = ["notify"]

_log = logging.getLogger("modelyard.jobs")
_TRIES = 3
_TIMEOUT_S = 5.0


def notify(settings: dict[str, Any], event: str, run: dict[str, Any]) -> list[str]:
    """Deliver ``event`` for ``run`` (a runs/get document); returns the URLs that failed."""
    targets = (settings.get("webhook_notifications") or {}).get(event) or []
    if not targets:
        return []
    from modelyard.services.webhook_delivery import send

    payload = {
        "event_type": f"jobs.{event}",
        "job_id": run.get("job_id"),
        "run_id": run.get("run_id"),
        "run_name": run.get("run_name"),
        "state": run.get("state"),
    }
    body = json.dumps(payload, default=str)
    failed: list[str] = []
    for target in targets:
        url = target["url"]
        delivery_id = str(uuid.uuid4())
        for attempt in range(_TRIES):
            result = send(url, delivery_id, body, None, _TIMEOUT_S)
            if result.ok:
                break
            _log.warning("webhook %s failed (try %d): %s", url, attempt + 1, result.error)
            if not result.retryable or (result.error or "").startswith("refused:"):
                failed.append(url)  # refused by the rules, or an answer a retry cannot change
                break
            if attempt + 1 < _TRIES:
                time.sleep(0.2 * (attempt + 1))
        else:
            failed.append(url)
    return failed
