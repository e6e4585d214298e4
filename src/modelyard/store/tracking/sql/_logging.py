"""Logging to runs: ``log_batch`` (params, tags, metric points) and metric history.

One transaction per batch and bulk ``executemany`` statements:

* params are immutable: the same value again is a no-op, a different one is rejected before
  anything is written;
* tags are upserted, and ``mlflow.runName`` renames the run;
* every metric point is inserted with ``ON CONFLICT DO NOTHING`` (a retried batch adds nothing);
  NaN is stored as ``value NULL, is_nan true``; ±inf as is;
* ``latest_metrics`` keeps, per key, the point with the greatest (step, timestamp, value): the
  batch is first reduced to one candidate per key in Python, then upserted with a conditional
  ``ON CONFLICT DO UPDATE ... WHERE``. A NaN ranks below every number at equal step and timestamp.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from modelyard.entities import Metric, PagedList, Param, RunTag
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.store.sql.engine import read_conn, write_tx
from modelyard.store.tracking.base import dedupe_params
from modelyard.store.tracking.sql._base import (
    SqlBase,
    chunked,
    decode_offset_token,
    encode_offset_token,
)
from modelyard.store.tracking.sql._raw import (
    active_run_stage,
    cursor,
    gc_paused,
    insert_many,
    sql,
)
from modelyard.store.tracking.sql._runs import RUN_NAME_TAG

__all__ = ["LoggingMixin"]


_PARAMS_INSERT = 'INSERT INTO params (run_uuid, "key", "value")'
_TAGS_INSERT = 'INSERT INTO tags (run_uuid, "key", "value")'
_TAGS_UPSERT = 'ON CONFLICT (run_uuid, "key") DO UPDATE SET "value" = excluded."value"'
_METRICS_INSERT = (
    'INSERT INTO metrics (run_uuid, "key", "value", is_nan, "timestamp", step, model_id, '
    "dataset_name, dataset_digest)"
)
_LATEST_INSERT = 'INSERT INTO latest_metrics (run_uuid, "key", "value", is_nan, "timestamp", step)'
# keep the point with the greatest (step, timestamp, value); a NaN ranks below every number
_LATEST_UPSERT = (
    'ON CONFLICT (run_uuid, "key") DO UPDATE SET "value" = excluded."value", '
    'is_nan = excluded.is_nan, "timestamp" = excluded."timestamp", step = excluded.step '
    "WHERE excluded.step > latest_metrics.step "
    'OR (excluded.step = latest_metrics.step AND excluded."timestamp" > latest_metrics."timestamp") '
    'OR (excluded.step = latest_metrics.step AND excluded."timestamp" = latest_metrics."timestamp" '
    'AND NOT excluded.is_nan AND (latest_metrics.is_nan OR excluded."value" > latest_metrics."value"))'
)
_HISTORY = (
    'SELECT "value", is_nan, "timestamp", step, model_id, dataset_name, dataset_digest '
    'FROM metrics WHERE run_uuid = ? AND "key" = ? '
)
# SQLite sorts NULL (a NaN) first, as ``is_nan DESC`` does: the unique index serves the order
_HISTORY_ORDER = {
    "sqlite": 'ORDER BY "timestamp", step, "value"',
    "postgresql": 'ORDER BY "timestamp", step, is_nan DESC, "value"',
}
_PARAM_CHUNK = 500


class LoggingMixin(SqlBase):
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        new_params = dedupe_params(params)
        with write_tx(self.engine) as conn:
            cur = cursor(conn)
            active_run_stage(cur, self.dialect, run_id)
            if new_params:
                self._write_params(cur, run_id, new_params)
            if tags:
                self._write_tags(cur, run_id, tags)
            if metrics:
                self._write_metrics(cur, run_id, metrics)

    def _write_params(self, cur: Any, run_id: str, wanted: dict[str, str]) -> None:
        existing: dict[str, str] = {}
        for chunk in chunked(list(wanted), _PARAM_CHUNK):
            query = 'SELECT "key", "value" FROM params WHERE run_uuid = ? AND "key" IN ({})'
            cur.execute(
                sql(query.format(",".join("?" * len(chunk))), self.dialect), (run_id, *chunk)
            )
            existing.update(cur.fetchall())
        for key, old in existing.items():
            if old != wanted[key]:
                raise InvalidParameterValue(
                    f"Changing param values is not allowed. Param with key='{key}' was already "
                    f"logged with value='{old}' for run ID='{run_id}'. Attempted logging new "
                    f"value '{wanted[key]}'."
                )
        rows = [(run_id, k, v) for k, v in wanted.items() if k not in existing]
        insert_many(cur, self.dialect, _PARAMS_INSERT, 3, rows)

    def _write_tags(self, cur: Any, run_id: str, tags: Sequence[RunTag]) -> None:
        latest = {t.key: t.value for t in tags}
        rows = [(run_id, k, latest[k]) for k in sorted(latest)]
        insert_many(cur, self.dialect, _TAGS_INSERT, 3, rows, _TAGS_UPSERT)
        if RUN_NAME_TAG in latest:
            cur.execute(
                sql("UPDATE runs SET name = ? WHERE run_uuid = ?", self.dialect),
                (latest[RUN_NAME_TAG], run_id),
            )

    def _write_metrics(self, cur: Any, run_id: str, metrics: Sequence[Metric]) -> None:
        rows: list[tuple[Any, ...]] = []
        best: dict[str, tuple[tuple[int, int, int, float], tuple[Any, ...]]] = {}
        isnan = math.isnan
        for m in metrics:
            value = float(m.value)
            nan = isnan(value)
            stored = None if nan else value
            ts = int(m.timestamp)
            step = int(m.step or 0)
            rows.append(
                (run_id, m.key, stored, nan, ts, step, m.model_id, m.dataset_name, m.dataset_digest)
            )
            rank = (step, ts, 0 if nan else 1, 0.0 if nan else value)
            current = best.get(m.key)
            if current is None or rank > current[0]:
                best[m.key] = (rank, (run_id, m.key, stored, nan, ts, step))
        if self.dialect != "sqlite":
            # concurrent writers take index locks in one order, so they cannot deadlock
            # (SQLite needs no care: BEGIN IMMEDIATE serialises writers)
            rows.sort(key=_point_order)
        insert_many(cur, self.dialect, _METRICS_INSERT, 9, rows, "ON CONFLICT DO NOTHING")
        latest = [best[key][1] for key in sorted(best)]
        insert_many(cur, self.dialect, _LATEST_INSERT, 6, latest, _LATEST_UPSERT)

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        if max_results is not None and (isinstance(max_results, bool) or int(max_results) < 1):
            raise InvalidParameterValue(
                f"Invalid value {max_results!r} for parameter 'max_results': must be at least 1"
            )
        offset = decode_offset_token(page_token)
        dialect = self.dialect
        query = _HISTORY + _HISTORY_ORDER.get(dialect, _HISTORY_ORDER["postgresql"])
        args: list[Any] = [run_id, metric_key]
        if max_results is not None:
            query += " LIMIT ? OFFSET ?"
            args += [int(max_results) + 1, offset]
        elif offset:
            query += " LIMIT -1 OFFSET ?" if dialect == "sqlite" else " OFFSET ?"
            args.append(offset)
        with gc_paused():
            with read_conn(self.engine) as conn:
                cur = cursor(conn)
                cur.execute(sql("SELECT 1 FROM runs WHERE run_uuid = ?", dialect), (run_id,))
                if cur.fetchone() is None:
                    raise ResourceDoesNotExist(f"Run with id={run_id} not found")
                cur.execute(sql(query, dialect), args)
                rows = cur.fetchall()
            token = None
            if max_results is not None and len(rows) > int(max_results):
                rows = rows[: int(max_results)]
                token = encode_offset_token(offset + len(rows))
            nan = math.nan
            # positional unpacking of plain DBAPI tuples: 200,000 rows, no per-row processing
            points = [
                Metric(
                    metric_key,
                    nan if is_nan or value is None else float(value),
                    timestamp,
                    step,
                    run_id,
                    model_id,
                    dataset_name,
                    dataset_digest,
                )
                for value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest in rows
            ]
        return PagedList(points, token)


def _point_order(row: tuple[Any, ...]) -> tuple[str, int, int, float]:
    value = row[2]
    return (row[1], row[4], row[5], -math.inf if value is None else value)
