"""Fixtures: a SQLite tracking database, a scheduler on it, a local webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def db_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MODELYARD_ARTIFACT_ROOT", (tmp_path / "artifacts").as_uri())
    monkeypatch.setenv("MODELYARD_ENV_ROOT", str(tmp_path / "envs"))
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    return f"sqlite:///{tmp_path / 'jobs.db'}"


@pytest.fixture
def scheduler(db_uri: str, tmp_path: Path) -> Iterator[Any]:
    from modelyard.jobs.scheduler import Scheduler

    sched = Scheduler(db_uri, poll_interval=0.1, logs_root=tmp_path / "logs")
    yield sched
    sched.stop()


class Webhooks:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        received, headers = self.events, self.headers

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("content-length", 0))
                received.append(json.loads(self.rfile.read(size)))
                headers.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def webhooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Webhooks]:
    """A receiver on 127.0.0.1, reachable because the webhooks' development switches are on
    (a job's webhook URLs follow the registry webhooks' destination rules)."""
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", "http,https")
    hooks = Webhooks()
    yield hooks
    hooks.server.shutdown()
    hooks.server.server_close()


def run_to_end(scheduler: Any, run_id: int, ticks: int = 50) -> dict[str, Any]:
    """Tick until ``run_id`` was claimed and its thread finished (bounded by ticks)."""
    for _ in range(ticks):
        scheduler.tick()
        scheduler.wait_idle()
        doc = scheduler.service.get_run(run_id)
        if doc["state"]["life_cycle_state"] not in ("PENDING", "RUNNING", "TERMINATING"):
            return doc
    raise AssertionError(f"run {run_id} did not finish: {scheduler.service.get_run(run_id)}")
