"""MLflow 3 trace records in the SQL tracking store: start, get, search, delete, tags.

A search is one SQL query returning trace ids (filter and order pushed down, tags and metadata
as correlated ``EXISTS``/scalar subqueries), then the records are loaded in bulk.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, not_, select, update
from sqlalchemy.sql.elements import ColumnElement

from modelyard.entities import TRACE_ARTIFACT_LOCATION_TAG, PagedList, TraceInfo
from modelyard.errors import ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.query.traces import (
    TraceComparison,
    TraceOrderKey,
    parse_trace_filter,
    parse_trace_order_by,
)
from modelyard.store.sql import schema as s
from modelyard.store.sql.engine import read_conn, write_tx
from modelyard.store.sql.filtering import compare_number, compare_string, nulls_last, sort_text
from modelyard.store.tracking.base import SEARCH_TRACES_MAX_RESULTS_DEFAULT
from modelyard.store.tracking.sql._base import (
    SqlBase,
    chunked,
    decode_offset_token,
    encode_offset_token,
    parse_experiment_id,
)

__all__ = ["TracesMixin"]

_T = s.trace_info
_TAGS = s.trace_tags
_META = s.trace_request_metadata


def _not_found(trace_id: str) -> ResourceDoesNotExist:
    return ResourceDoesNotExist(f"Trace with ID '{trace_id}' not found.")


class TracesMixin(SqlBase):
    def start_trace(self, trace_info: TraceInfo) -> TraceInfo:
        trace_id = trace_info.trace_id
        with write_tx(self.engine) as conn:
            exp = self.experiment_row(conn, trace_info.experiment_id)
            self.check_experiment_active(exp)
            row = {
                "experiment_id": exp.experiment_id,
                "request_time": trace_info.request_time,
                "execution_duration": trace_info.execution_duration,
                "state": trace_info.state,
                "client_request_id": trace_info.client_request_id,
                "request_preview": trace_info.request_preview,
                "response_preview": trace_info.response_preview,
            }
            existing = conn.execute(
                select(_T.c.experiment_id).where(_T.c.trace_id == trace_id)
            ).first()
            if existing is None:
                conn.execute(_T.insert(), {"trace_id": trace_id, **row})
            elif existing.experiment_id != exp.experiment_id:
                raise ResourceAlreadyExists(
                    f"Trace with ID '{trace_id}' already exists in experiment "
                    f"{existing.experiment_id}."
                )
            else:
                conn.execute(update(_T).where(_T.c.trace_id == trace_id).values(**row))
            tags = dict(trace_info.tags)
            tags[TRACE_ARTIFACT_LOCATION_TAG] = (
                f"{exp.artifact_location.rstrip('/')}/traces/{trace_id}/artifacts"
            )
            self._put_trace_pairs(conn, _TAGS, trace_id, tags)
            self._put_trace_pairs(conn, _META, trace_id, dict(trace_info.trace_metadata))
            return self._load_traces(conn, [trace_id])[0]

    def _put_trace_pairs(
        self, conn: Connection, table: Any, trace_id: str, pairs: dict[str, str]
    ) -> None:
        if pairs:
            conn.execute(
                self.upsert(table, ["trace_id", "key"], ["value"]),
                [{"trace_id": trace_id, "key": k, "value": v} for k, v in sorted(pairs.items())],
            )

    def _check_trace(self, conn: Connection, trace_id: str) -> None:
        if conn.execute(select(_T.c.trace_id).where(_T.c.trace_id == trace_id)).first() is None:
            raise _not_found(trace_id)

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        with read_conn(self.engine) as conn:
            found = self._load_traces(conn, [trace_id])
        if not found:
            raise _not_found(trace_id)
        return found[0]

    def batch_get_trace_infos(self, trace_ids: Sequence[str]) -> list[TraceInfo]:
        with read_conn(self.engine) as conn:
            return self._load_traces(conn, list(trace_ids))

    def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        with write_tx(self.engine) as conn:
            self._check_trace(conn, trace_id)
            self._put_trace_pairs(conn, _TAGS, trace_id, {key: value})

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        with write_tx(self.engine) as conn:
            self._check_trace(conn, trace_id)
            result = conn.execute(
                delete(_TAGS).where(_TAGS.c.trace_id == trace_id, _TAGS.c.key == key)
            )
            if result.rowcount == 0:
                raise ResourceDoesNotExist(
                    f"No trace tag with key '{key}' for trace with ID '{trace_id}'"
                )

    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int:
        exp_id = parse_experiment_id(experiment_id)
        with write_tx(self.engine) as conn:
            query = select(_T.c.trace_id).where(_T.c.experiment_id == exp_id)
            if trace_ids:
                query = query.where(self.where_in(_T.c.trace_id, list(trace_ids)))
            if max_timestamp_millis is not None:
                query = query.where(_T.c.request_time <= max_timestamp_millis)
            query = query.order_by(_T.c.request_time, _T.c.trace_id)
            if max_traces is not None:
                query = query.limit(max_traces)
            ids = [r.trace_id for r in conn.execute(query)]
            for chunk in chunked(ids, self.max_in):
                for table in (_TAGS, _META):
                    conn.execute(delete(table).where(self.where_in(table.c.trace_id, chunk)))
                conn.execute(delete(_T).where(self.where_in(_T.c.trace_id, chunk)))
            return len(ids)

    # ------------------------------------------------------------------ search
    def search_traces(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = SEARCH_TRACES_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[TraceInfo]:
        comparisons = parse_trace_filter(filter_string)
        order_keys = parse_trace_order_by(order_by)
        offset = decode_offset_token(page_token)
        exp_ids = [parse_experiment_id(e) for e in experiment_ids]
        if not exp_ids:
            return PagedList([], None)
        query = select(_T.c.trace_id).where(self.where_in(_T.c.experiment_id, exp_ids))
        for c in comparisons:
            query = query.where(self._trace_condition(c))
        terms: list[ColumnElement[Any]] = []
        for key in order_keys:
            terms.append(nulls_last(self._order_value(key), key.ascending, self.dialect))
        if not any(k.entity == "attribute" and k.key == "request_time" for k in order_keys):
            terms.append(_T.c.request_time.desc())
        terms.append(_T.c.trace_id.asc())
        query = query.order_by(*terms).limit(max_results + 1).offset(offset)
        with read_conn(self.engine) as conn:
            ids = [r.trace_id for r in conn.execute(query)]
            token = encode_offset_token(offset + max_results) if len(ids) > max_results else None
            return PagedList(self._load_traces(conn, ids[:max_results]), token)

    def _kv_value(self, table: Any, key: str) -> Any:
        return (
            select(table.c.value)
            .where(table.c.trace_id == _T.c.trace_id, table.c.key == key)
            .scalar_subquery()
        )

    def _attribute(self, key: str) -> ColumnElement[Any]:
        if key == "end_time":
            return _T.c.request_time + func.coalesce(_T.c.execution_duration, 0)
        if key == "experiment_id":
            return _T.c.experiment_id
        return _T.c[key]

    def _trace_condition(self, c: TraceComparison) -> ColumnElement[bool]:
        if c.entity == "attribute":
            col = self._attribute(c.key)
            if isinstance(c.value, (int, float)):
                return compare_number(col, c.comparator, c.value)
            return compare_string(col, c.comparator, c.value, self.dialect)
        table = _TAGS if c.entity == "tag" else _META
        has_key = exists().where(table.c.trace_id == _T.c.trace_id, table.c.key == c.key)
        if c.comparator == "IS NULL":
            return not_(has_key)
        if c.comparator == "IS NOT NULL":
            return has_key
        return exists().where(
            and_(
                table.c.trace_id == _T.c.trace_id,
                table.c.key == c.key,
                compare_string(table.c.value, c.comparator, c.value, self.dialect),
            )
        )

    def _order_value(self, key: TraceOrderKey) -> ColumnElement[Any]:
        if key.entity == "attribute":
            col = self._attribute(key.key)
            if key.key in ("state", "trace_id", "client_request_id"):
                return sort_text(col, self.dialect)
            return col
        table = _TAGS if key.entity == "tag" else _META
        return sort_text(self._kv_value(table, key.key), self.dialect)

    # ------------------------------------------------------------------ hydration
    def _load_traces(self, conn: Connection, trace_ids: Sequence[str]) -> list[TraceInfo]:
        """Records in the order of ``trace_ids`` (unknown ids skipped), in bulk queries."""
        found: dict[str, TraceInfo] = {}
        for chunk in chunked(list(dict.fromkeys(trace_ids)), self.max_in):
            for r in conn.execute(select(_T).where(self.where_in(_T.c.trace_id, chunk))):
                found[r.trace_id] = TraceInfo(
                    trace_id=r.trace_id,
                    experiment_id=str(r.experiment_id),
                    request_time=r.request_time,
                    state=r.state,
                    execution_duration=r.execution_duration,
                    client_request_id=r.client_request_id,
                    request_preview=r.request_preview,
                    response_preview=r.response_preview,
                )
            for r in conn.execute(select(_TAGS).where(self.where_in(_TAGS.c.trace_id, chunk))):
                found[r.trace_id].tags[r.key] = r.value if r.value is not None else ""
            for r in conn.execute(select(_META).where(self.where_in(_META.c.trace_id, chunk))):
                found[r.trace_id].trace_metadata[r.key] = r.value if r.value is not None else ""
        return [found[i] for i in trace_ids if i in found]
