"""Webhook notifications of job runs (``webhook_notifications.on_start|on_success|on_failure``).

Each URL gets ``POST`` JSON ``{"event_type": "jobs.on_start" | "jobs.on_success" |
"jobs.on_failure", "job_id", "run_id", "run_name", "state": {...}}``, with up to three tries.
A delivery that fails is logged and reported to the caller, never raised into the run.
"""

from __future__ import annotations

import logging
import time
from typing import Any

__all__ = ["notify"]

_log = logging.getLogger("modelyard.jobs")


def notify(settings: dict[str, Any], event: str, run: dict[str, Any]) -> list[str]:
    """Deliver ``event`` for ``run`` (a runs/get document); returns the URLs that failed."""
    targets = (settings.get("webhook_notifications") or {}).get(event) or []
    if not targets:
        return []
    import httpx

    payload = {
        "event_type": f"jobs.{event}",
        "job_id": run.get("job_id"),
        "run_id": run.get("run_id"),
        "run_name": run.get("run_name"),
        "state": run.get("state"),
    }
    failed: list[str] = []
    for target in targets:
        url = target["url"]
        for attempt in range(3):
            try:
                response = httpx.post(url, json=payload, timeout=5.0)
                if response.status_code < 300:
                    break
            except httpx.HTTPError as exc:
                _log.warning("webhook %s failed (try %d): %s", url, attempt + 1, exc)
            time.sleep(0.2 * (attempt + 1))
        else:
            failed.append(url)
    return failed
