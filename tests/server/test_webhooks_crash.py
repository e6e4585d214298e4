"""Webhook deliveries survive ``kill -9`` of the server in the middle of delivering.

The receiver hangs on the first attempt of every delivery, so the server is killed while
deliveries are in flight and others are still queued; a new server on the same database
delivers every one of them (at least once, same delivery id), and none is lost.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from test_webhooks import ALL_EVENTS, API, ENV
from webhook_helpers import Receiver, wait_for

from modelyard.testing.server_process import ServerProcess

N_EVENTS = 20


def test_kill_9_mid_delivery_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)
    (tmp_path / "artifacts").mkdir()
    receiver = Receiver(tmp_path, "--hang-first", "5")
    db = f"sqlite:///{tmp_path / 'store.db'}"
    first = ServerProcess(db, tmp_path / "artifacts", log_path=tmp_path / "s1.log").start()
    try:
        body = {"name": "crash-hook", "url": receiver.url, "events": ALL_EVENTS}
        r = httpx.post(f"{first.url}{API}/webhooks", json=body, timeout=30)
        assert r.status_code == 200, r.text
        webhook_id = r.json()["webhook"]["webhook_id"]
        for i in range(N_EVENTS):
            r = httpx.post(
                f"{first.url}{API}/registered-models/create",
                json={"name": f"crash-{i}"},
                timeout=30,
            )
            assert r.status_code == 200, r.text
        wait_for(lambda: receiver.records())  # deliveries are in flight (hanging)
    finally:
        first.kill()
    second = ServerProcess(db, tmp_path / "artifacts", log_path=tmp_path / "s2.log").start()
    try:

        def delivered() -> list[dict] | None:
            rows = httpx.get(
                f"{second.url}{API}/webhooks/{webhook_id}/deliveries", timeout=30
            ).json()["deliveries"]
            done = [d for d in rows if d["status"] == "DELIVERED"]
            return rows if len(done) == N_EVENTS else None

        rows = wait_for(delivered, tries=1200)
        assert len(rows) == N_EVENTS
        ok_ids = {
            rec["headers"]["X-MLflow-Delivery-Id"]
            for rec in receiver.records()
            if rec["status"] == 200
        }
        assert ok_ids == {d["delivery_id"] for d in rows}
        names = sorted({json.loads(rec["body"])["data"]["name"] for rec in receiver.records()})
        assert names == sorted(f"crash-{i}" for i in range(N_EVENTS))
    finally:
        second.stop()
        receiver.stop()
