"""A stopped server closes its database: on SQLite the write-ahead log is checkpointed into the
database file and removed, so the data is in one file and the disk holds no 32 MB WAL."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import httpx

from modelyard.testing.server_process import ServerProcess

API = "/api/2.0/mlflow"


def test_sigterm_checkpoints_the_wal_into_the_database(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    server = ServerProcess(f"sqlite:///{db}", tmp_path / "art").start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            eid = c.post(f"{API}/experiments/create", json={"name": "x"}).json()["experiment_id"]
            run = c.post(f"{API}/runs/create", json={"experiment_id": eid}).json()["run"]
            metrics = [{"key": "m", "value": 1.0, "timestamp": 1, "step": i} for i in range(1000)]
            for _ in range(5):
                c.post(
                    f"{API}/runs/log-batch",
                    json={"run_id": run["info"]["run_id"], "metrics": metrics},
                )
        assert Path(f"{db}-wal").exists()  # the writes are in the WAL while the server runs
    finally:
        server.stop()  # SIGTERM: uvicorn's graceful shutdown runs the app's lifespan end
    assert not Path(f"{db}-wal").exists()
    with closing(sqlite3.connect(db)) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM metrics").fetchone()
    assert count == 1000  # steps repeat across the 5 batches with the same value: one row each
