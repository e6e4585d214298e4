"""Where serving endpoints, access tokens and per-worker endpoint state are kept.

A small SQLite file, ``<serving home>/serving.db``, separate from the tracking store. Why not
tables in the tracking database: the serving feature is a *user* of the registry (it could run
against a remote ``modelyard server``), endpoints are local deployment state like a process
manager's config, and a separate file needs no migration chained on the tracking schema. WAL
mode lets the CLI, the Python API and every server worker read and write it concurrently.

The serving home is ``MODELYARD_SERVING_HOME``, else ``./modelyard-serving``.
Tokens are stored as SHA-256 digests: they are 256-bit random strings, so a fast hash is enough
(there is nothing to brute-force), and lookups stay cheap on the request path.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

__all__ = ["ServingStore", "hash_token", "mark_stale", "serving_home", "workers_summary"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS endpoints (
    name TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    creation_timestamp INTEGER NOT NULL,
    last_updated_timestamp INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    comment TEXT,
    endpoint TEXT,
    creation_timestamp INTEGER NOT NULL,
    expiry_timestamp INTEGER,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS endpoint_state (
    endpoint TEXT NOT NULL,
    worker TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_timestamp INTEGER NOT NULL,
    PRIMARY KEY (endpoint, worker)
);
"""


def serving_home() -> Path:
    return Path(os.environ.get("MODELYARD_SERVING_HOME") or "modelyard-serving").resolve()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now_ms() -> int:
    return int(time.time() * 1000)


class ServingStore:
    def __init__(self, home: str | os.PathLike[str] | None = None) -> None:
        self.home = Path(home).resolve() if home else serving_home()
        self.home.mkdir(parents=True, exist_ok=True)
        self.path = self.home / "serving.db"
        self._local = threading.local()
        self._conn().executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # ---------------------------------------------------------------- endpoints

    def insert_endpoint(self, name: str, config: dict[str, Any]) -> bool:
        now = _now_ms()
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO endpoints VALUES (?, ?, ?, ?)",
                (name, orjson.dumps(config).decode(), now, now),
            )
            return cur.rowcount == 1

    def update_endpoint(self, name: str, config: dict[str, Any]) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE endpoints SET config = ?, last_updated_timestamp = ? WHERE name = ?",
                (orjson.dumps(config).decode(), _now_ms(), name),
            )
            return cur.rowcount == 1

    def delete_endpoint(self, name: str) -> bool:
        with self._tx() as conn:
            conn.execute("DELETE FROM endpoint_state WHERE endpoint = ?", (name,))
            return conn.execute("DELETE FROM endpoints WHERE name = ?", (name,)).rowcount == 1

    def get_endpoint(self, name: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT * FROM endpoints WHERE name = ?", (name,)).fetchone()
        return _endpoint_row(row) if row else None

    def list_endpoints(self) -> list[dict[str, Any]]:
        rows = self._conn().execute("SELECT * FROM endpoints ORDER BY name").fetchall()
        return [_endpoint_row(r) for r in rows]

    # ---------------------------------------------------------------- tokens

    def insert_token(
        self,
        token_id: str,
        token: str,
        comment: str | None,
        endpoint: str | None,
        expiry_ms: int | None,
    ) -> int:
        now = _now_ms()
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, 0)",
                (token_id, hash_token(token), comment, endpoint, now, expiry_ms),
            )
        return now

    def revoke_token(self, token_id: str) -> bool:
        with self._tx() as conn:
            cur = conn.execute("UPDATE tokens SET revoked = 1 WHERE token_id = ?", (token_id,))
            return cur.rowcount == 1

    def list_tokens(self) -> list[dict[str, Any]]:
        cur = self._conn().execute(
            "SELECT token_id, comment, endpoint, creation_timestamp, expiry_timestamp, revoked "
            "FROM tokens ORDER BY creation_timestamp"
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def find_token(self, token_hash: str) -> dict[str, Any] | None:
        cur = self._conn().execute(
            "SELECT token_id, endpoint, expiry_timestamp, revoked FROM tokens WHERE token_hash = ?",
            (token_hash,),
        )
        row = cur.fetchone()
        if row is None:
            return None
        return {"token_id": row[0], "endpoint": row[1], "expiry": row[2], "revoked": bool(row[3])}

    # ---------------------------------------------------------------- worker state

    def put_state(self, endpoint: str, worker: str, state: dict[str, Any]) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO endpoint_state VALUES (?, ?, ?, ?)",
                (endpoint, worker, orjson.dumps(state).decode(), _now_ms()),
            )

    def drop_worker_state(self, worker: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM endpoint_state WHERE worker = ?", (worker,))

    def get_states(self, endpoint: str) -> list[dict[str, Any]]:
        rows = self._conn().execute(
            "SELECT worker, state, updated_timestamp FROM endpoint_state WHERE endpoint = ? "
            "ORDER BY worker",
            (endpoint,),
        )
        return [
            {"worker": w, **orjson.loads(s), "updated_timestamp": t} for w, s, t in rows.fetchall()
        ]


def mark_stale(
    workers: list[dict[str, Any]], poll_interval_s: float = 5.0, now_ms: int | None = None
) -> list[dict[str, Any]]:
    """Flag (``stale``) the worker reports older than 5 polls (at least 30 s): a worker that
    stopped without cleaning up (killed) no longer refreshes its row. Returns the live ones."""
    now = _now_ms() if now_ms is None else now_ms
    horizon = now - max(30.0, 5 * poll_interval_s) * 1000
    for worker in workers:
        worker["stale"] = worker["updated_timestamp"] < horizon
    return [w for w in workers if not w["stale"]]


def workers_summary(live: list[dict[str, Any]]) -> str:
    """One word for what the live workers report: NOT_RUNNING, LOADING, READY,
    READY_WITH_ERRORS (some served model failed to load, the rest answers) or FAILED."""
    if not live:
        return "NOT_RUNNING"
    if any(w.get("errors") for w in live):
        return "READY_WITH_ERRORS" if all(w.get("ready") for w in live) else "FAILED"
    return "READY" if all(w.get("ready") for w in live) else "LOADING"


def _endpoint_row(row: tuple[Any, ...]) -> dict[str, Any]:
    name, config, created, updated = row
    return {
        "name": name,
        **orjson.loads(config),
        "creation_timestamp": created,
        "last_updated_timestamp": updated,
    }
