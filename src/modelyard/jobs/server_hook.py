"""The scheduler inside ``modelyard server``: started with the app, stopped with it.

Every server worker (``--workers N``) and every replica runs one; they share the work through
the database (see :mod:`modelyard.jobs.scheduler`). ``MODELYARD_JOBS_SCHEDULER=0`` turns it
off (then run ``modelyard jobs scheduler`` somewhere). Task runs log to this server over HTTP
when it proxies artifacts (``mlflow-artifacts:`` roots need the proxy), else straight to the
database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["start"]


def start(config: Any) -> Callable[[], None]:
    """Start a scheduler for the server ``config``; returns the function that stops it."""
    from modelyard import settings

    if not settings.env_flag("MODELYARD_JOBS_SCHEDULER", True):
        return lambda: None
    from modelyard.jobs.scheduler import Scheduler
    from modelyard.store.sql.engine import is_sql_uri

    db_uri = str(config.backend_store_uri)
    if not is_sql_uri(db_uri):
        return lambda: None
    tracking_uri = config.local_url() if config.proxies_artifacts else db_uri
    poll = float(settings.env_int("MODELYARD_JOBS_POLL_MS", 1000)) / 1000.0
    scheduler = Scheduler(db_uri, tracking_uri, poll_interval=poll).start()
    # a short wait: while the server shuts down, a task's calls back to it cannot succeed;
    # runs not finished by then are marked failed with the reason (their processes are killed)
    return lambda: scheduler.stop(timeout=3.0)
