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

from sqlalchemy import Connection, and_, false, or_, select, true, update

from modelyard.entities import Metric, PagedList, Param, RunTag
from modelyard.errors import InvalidParameterValue
from modelyard.store.sql import schema as s
from modelyard.store.sql.engine import read_conn, write_tx
from modelyard.store.tracking.sql._base import (
    SqlBase,
    chunked,
    decode_offset_token,
    encode_offset_token,
)
from modelyard.store.tracking.sql._runs import RUN_NAME_TAG

__all__ = ["LoggingMixin"]


def _rank(m: Metric) -> tuple[int, int, int, float]:
    nan = math.isnan(m.value)
    return (m.step, m.timestamp, 0 if nan else 1, 0.0 if nan else m.value)


class LoggingMixin(SqlBase):
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        new_params = _dedupe_params(run_id, params)
        with write_tx(self.engine) as conn:
            self.active_run_row(conn, run_id)
            if new_params:
                self._write_params(conn, run_id, new_params)
            if tags:
                self._write_tags(conn, run_id, tags)
            if metrics:
                self._write_metrics(conn, run_id, metrics)

    def _write_params(self, conn: Connection, run_id: str, wanted: dict[str, str]) -> None:
        p = s.params
        existing: dict[str, str] = {}
        for chunk in chunked(list(wanted), self.max_in):
            query = select(p.c.key, p.c.value).where(
                p.c.run_uuid == run_id, self.where_in(p.c.key, chunk)
            )
            existing.update({row.key: row.value for row in conn.execute(query)})
        for key, old in existing.items():
            if old != wanted[key]:
                raise InvalidParameterValue(
                    f"Changing param values is not allowed. Param with key='{key}' was already "
                    f"logged with value='{old}' for run ID='{run_id}'. Attempted logging new "
                    f"value '{wanted[key]}'."
                )
        rows = [
            {"run_uuid": run_id, "key": k, "value": v}
            for k, v in wanted.items()
            if k not in existing
        ]
        if rows:
            conn.execute(p.insert(), rows)

    def _write_tags(self, conn: Connection, run_id: str, tags: Sequence[RunTag]) -> None:
        latest = {t.key: t.value for t in tags}
        conn.execute(
            self.upsert(s.tags, ["run_uuid", "key"], ["value"]),
            [{"run_uuid": run_id, "key": k, "value": latest[k]} for k in sorted(latest)],
        )
        if RUN_NAME_TAG in latest:
            conn.execute(
                update(s.runs).where(s.runs.c.run_uuid == run_id).values(name=latest[RUN_NAME_TAG])
            )

    def _write_metrics(self, conn: Connection, run_id: str, metrics: Sequence[Metric]) -> None:
        rows: list[dict[str, Any]] = []
        best: dict[str, Metric] = {}
        for m in metrics:
            value = float(m.value)
            nan = math.isnan(value)
            rows.append(
                {
                    "run_uuid": run_id,
                    "key": m.key,
                    "value": None if nan else value,
                    "is_nan": nan,
                    "timestamp": int(m.timestamp),
                    "step": int(m.step or 0),
                    "model_id": m.model_id,
                    "dataset_name": m.dataset_name,
                    "dataset_digest": m.dataset_digest,
                }
            )
            current = best.get(m.key)
            if current is None or _rank(m) > _rank(current):
                best[m.key] = m
        if self.dialect != "sqlite":
            # concurrent writers take index locks in one order, so they cannot deadlock
            # (SQLite needs no care: BEGIN IMMEDIATE serialises writers)
            rows.sort(key=_point_order)
        conn.execute(self.insert_ignore(s.metrics), rows)
        latest = [_latest_row(run_id, best[key]) for key in sorted(best)]
        conn.execute(self._latest_upsert(), latest)

    def _latest_upsert(self) -> Any:
        lm = s.latest_metrics
        stmt = self.insert(lm)
        new = stmt.excluded  # type: ignore[attr-defined]
        same_point = and_(new.step == lm.c.step, new.timestamp == lm.c.timestamp)
        newer = or_(
            new.step > lm.c.step,
            and_(new.step == lm.c.step, new.timestamp > lm.c.timestamp),
            and_(
                same_point,
                new.is_nan == false(),
                or_(lm.c.is_nan == true(), new.value > lm.c.value),
            ),
        )
        return stmt.on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[lm.c.run_uuid, lm.c.key],
            set_={c: new[c] for c in ("value", "is_nan", "timestamp", "step")},
            where=newer,
        )

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
        m = s.metrics
        query = (
            select(
                m.c.value,
                m.c.is_nan,
                m.c.timestamp,
                m.c.step,
                m.c.model_id,
                m.c.dataset_name,
                m.c.dataset_digest,
            )
            .where(m.c.run_uuid == run_id, m.c.key == metric_key)
            .order_by(m.c.timestamp, m.c.step, m.c.is_nan.desc(), m.c.value)
            .offset(offset)
        )
        if max_results is not None:
            query = query.limit(int(max_results) + 1)
        with read_conn(self.engine) as conn:
            self.run_row(conn, run_id)
            rows = conn.execute(query).all()
        token = None
        if max_results is not None and len(rows) > int(max_results):
            rows = rows[: int(max_results)]
            token = encode_offset_token(offset + len(rows))
        nan = math.nan
        # positional unpacking: attribute access on 200,000 rows costs seconds
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


def _dedupe_params(run_id: str, params: Sequence[Param]) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for p in params:
        value = str(p.value)
        if p.key in wanted and wanted[p.key] != value:
            raise InvalidParameterValue(
                f"Duplicate parameter key '{p.key}' with different values "
                f"('{wanted[p.key]}' and '{value}') in one batch for run ID='{run_id}'."
            )
        wanted[p.key] = value
    return wanted


def _point_order(row: dict[str, Any]) -> tuple[str, int, int, float]:
    value = row["value"]
    return (row["key"], row["timestamp"], row["step"], -math.inf if value is None else value)


def _latest_row(run_id: str, m: Metric) -> dict[str, Any]:
    nan = math.isnan(m.value)
    return {
        "run_uuid": run_id,
        "key": m.key,
        "value": None if nan else float(m.value),
        "is_nan": nan,
        "timestamp": int(m.timestamp),
        "step": int(m.step or 0),
    }
