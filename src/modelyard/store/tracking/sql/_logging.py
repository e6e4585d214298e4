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

    def sample_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        """Sampled without reading the whole history when it can be.

        Over the full range the unique index ``(run_uuid, key, timestamp, step, value)`` is
        used: the first and last timestamps, then one index seek per bucket of equal time
        (``max_results - 1`` seeks, plus the last point), so a 1,000,000-point metric costs
        2,500 seeks rather than a scan. Points logged at a steady pace give the same sample as
        sampling by position; when timestamps bunch up (fewer than half the wanted points come
        back) and for a step window (``step`` is not indexed) one query numbers the rows with
        ``ROW_NUMBER()`` and keeps the first row of each of ``max_results`` equal buckets.
        """
        limit = max(1, int(max_results))
        windowed = start_step is not None and end_step is not None
        with read_conn(self.engine) as conn:
            cur = cursor(conn)
            cur.execute(sql("SELECT 1 FROM runs WHERE run_uuid = ?", self.dialect), (run_id,))
            if cur.fetchone() is None:
                raise ResourceDoesNotExist(f"Run with id={run_id} not found")
            rows = None if windowed else self._sample_by_seeks(cur, run_id, metric_key, limit)
            if rows is None:
                rows = self._sample_by_row_number(
                    cur, run_id, metric_key, limit, start_step if windowed else None, end_step
                )
        nan = math.nan
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
        return sorted(points, key=lambda m: (m.step, m.timestamp, m.value))

    def _sample_by_seeks(
        self, cur: Any, run_id: str, metric_key: str, limit: int
    ) -> list[tuple[Any, ...]] | None:
        dialect = self.dialect
        base = _HISTORY
        order = 'ORDER BY "timestamp", step, "value"'
        back = 'ORDER BY "timestamp" DESC, step DESC, "value" DESC LIMIT 1'
        cur.execute(sql(base + back, dialect), (run_id, metric_key))
        last = cur.fetchone()
        if last is None or limit == 1:
            return [] if last is None else [last]
        cur.execute(sql(f"{base}{order} LIMIT ?", dialect), (run_id, metric_key, limit + 1))
        head = cur.fetchall()
        if len(head) <= limit:
            return list(head)
        lo, hi = head[0][2], last[2]
        seek = sql(f'{base}AND "timestamp" >= ? {order} LIMIT 1', dialect)
        picked: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        span, m = hi - lo, limit - 1
        for k in range(m):
            cur.execute(seek, (run_id, metric_key, lo + -(-k * span // m)))
            row = cur.fetchone()
            if row is not None:
                picked.setdefault((row[2], row[3], row[0], row[1]), row)
        picked[(last[2], last[3], last[0], last[1])] = last
        if 2 * len(picked) <= limit:
            return None  # timestamps bunch up: sample by position instead
        return list(picked.values())[:limit]

    def _sample_by_row_number(
        self,
        cur: Any,
        run_id: str,
        metric_key: str,
        limit: int,
        start_step: int | None,
        end_step: int | None,
    ) -> list[tuple[Any, ...]]:
        dialect = self.dialect
        order = _HISTORY_ORDER.get(dialect, _HISTORY_ORDER["postgresql"])
        where = 'run_uuid = ? AND "key" = ?'
        args: list[Any] = [run_id, metric_key]
        if start_step is not None and end_step is not None:
            where += " AND step >= ? AND step <= ?"
            args += [int(start_step), int(end_step)]
        inner = (
            'SELECT "value", is_nan, "timestamp", step, model_id, dataset_name, dataset_digest, '
            f"ROW_NUMBER() OVER ({order}) - 1 AS rn, COUNT(*) OVER () AS total "
            f"FROM metrics WHERE {where}"
        )
        if limit == 1:
            keep = "rn = total - 1"
        else:  # i*m // t changes: the first row of each bucket, incl. the first and the last
            keep = (
                "total <= ? OR rn = 0 OR (rn * ?) / NULLIF(total - 1, 0) "
                "> ((rn - 1) * ?) / NULLIF(total - 1, 0)"
            )
            args += [limit, limit - 1, limit - 1]
        query = (
            'SELECT "value", is_nan, "timestamp", step, model_id, dataset_name, dataset_digest '
            f"FROM ({inner}) sampled WHERE {keep}"
        )
        cur.execute(sql(query, dialect), args)
        return list(cur.fetchall())


def _point_order(row: tuple[Any, ...]) -> tuple[str, int, int, float]:
    value = row[2]
    return (row[1], row[4], row[5], -math.inf if value is None else value)
