"""search_runs / search_experiments / search_logged_models as one SQL statement per page.

Each function parses the filter and ``order_by`` (:mod:`modelyard.query`), builds one
``SELECT <id> ... ORDER BY ... LIMIT n+1 OFFSET k`` with the filter and the ordering pushed
down, and returns the ids of the page plus the token of the next page (``None`` on the last).
Every distinct metric / param / tag key used by the filter or the ordering gets its own
aliased ``LEFT JOIN`` on (run, key), which the primary keys of those tables serve.
Hydrating the ids into entities is the store's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, FromClause, Select, exists, func, select
from sqlalchemy.sql.elements import ColumnElement

from modelyard.entities import LifecycleStage, ViewType
from modelyard.errors import InvalidParameterValue
from modelyard.query import (
    ATTRIBUTE,
    DATASET,
    METRIC,
    PARAM,
    TAG,
    Comparison,
    OrderKey,
    check_max_results,
    decode_page_token,
    next_page_token,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_logged_model_filter,
    parse_logged_model_order_by,
    parse_run_filter,
    parse_run_order_by,
)
from modelyard.store.sql import schema as s
from modelyard.store.sql.filtering import (
    as_text,
    compare_number,
    compare_string,
    escape_like,
    order_terms,
    page,
    sort_text,
)

__all__ = [
    "EXPERIMENTS_MAX_RESULTS_LIMIT",
    "LOGGED_MODELS_MAX_RESULTS_LIMIT",
    "MAX_DISTINCT_KEYS",
    "RUNS_MAX_RESULTS_LIMIT",
    "search_experiment_ids",
    "search_logged_model_ids",
    "search_run_ids",
]

RUNS_MAX_RESULTS_LIMIT = 50000
#: SQLite joins at most 64 tables in one statement; one join per distinct key
MAX_DISTINCT_KEYS = 60
EXPERIMENTS_MAX_RESULTS_LIMIT = 50000
LOGGED_MODELS_MAX_RESULTS_LIMIT = 50000

_R = s.runs
_RUN_ATTRIBUTE_COLUMNS: Mapping[str, ColumnElement[Any]] = {
    "run_id": _R.c.run_uuid,
    "run_name": _R.c.name,
    "status": _R.c.status,
    "user_id": _R.c.user_id,
    "artifact_uri": _R.c.artifact_uri,
    "start_time": _R.c.start_time,
    "end_time": _R.c.end_time,
}
_NUMERIC_RUN_ATTRIBUTES = frozenset({"start_time", "end_time"})
_CONTEXT_TAG = "mlflow.data.context"


def _int_ids(ids: Sequence[Any]) -> list[int]:
    """Experiment ids as integers; ids that cannot be integers cannot match any row."""
    out: list[int] = []
    for e in ids:
        text = str(e).strip()
        if text.isdigit():
            out.append(int(text))
    return out


class _KeyJoins:
    """One aliased LEFT JOIN per distinct (entity, key), shared by filter and ordering."""

    def __init__(self, owner_id: ColumnElement[Any], tables: Mapping[str, Any]) -> None:
        self._owner_id = owner_id
        self._tables = tables
        self._aliases: dict[tuple[str, str], Any] = {}

    def get(self, entity: str, key: str) -> Any:
        alias = self._aliases.get((entity, key))
        if alias is None:
            if len(self._aliases) >= MAX_DISTINCT_KEYS:
                raise InvalidParameterValue(
                    f"Too many distinct keys in filter and order_by: {entity}s.{key!r} would be "
                    f"number {len(self._aliases) + 1}, at most {MAX_DISTINCT_KEYS} are allowed"
                )
            table = self._tables[entity]
            alias = table.alias(f"{entity}_{len(self._aliases)}")
            self._aliases[(entity, key)] = alias
        return alias

    def apply(self, base: FromClause, id_column: str) -> FromClause:
        joined = base
        for (_, key), alias in self._aliases.items():
            joined = joined.outerjoin(
                alias, (alias.c[id_column] == self._owner_id) & (alias.c.key == key)
            )
        return joined


# ------------------------------------------------------------------------------- runs


def _dataset_clause(cmp: Comparison, dialect: str) -> ColumnElement[bool]:
    d = s.run_dataset_inputs
    if cmp.key == "context":
        # context lives in the input tags, stored as JSON pairs: ["mlflow.data.context", "x"]
        prefix = escape_like(f'["{_CONTEXT_TAG}", "')
        if cmp.comparator in ("IN", "NOT IN"):
            assert isinstance(cmp.value, tuple)
            options = [f'%{prefix}{escape_like(v)}"]%' for v in cmp.value]
            matches = [compare_string(d.c.tags_json, "LIKE", o, dialect) for o in options]
            cond: ColumnElement[bool] = matches[0]
            for m in matches[1:]:
                cond = cond | m
            if cmp.comparator == "NOT IN":
                cond = d.c.tags_json.like(f"%{prefix}%") & ~cond
        else:
            comparator = {"=": "LIKE", "!=": "LIKE"}.get(cmp.comparator, cmp.comparator)
            inner = escape_like(str(cmp.value)) if cmp.comparator in ("=", "!=") else cmp.value
            cond = compare_string(d.c.tags_json, comparator, f'%{prefix}{inner}"]%', dialect)
            if cmp.comparator == "!=":
                cond = d.c.tags_json.like(f"%{prefix}%") & ~cond
    else:
        cond = compare_string(d.c[cmp.key], cmp.comparator, cmp.value, dialect)
    return exists().where(d.c.run_uuid == _R.c.run_uuid, cond)


def _run_filter_clause(cmp: Comparison, joins: _KeyJoins, dialect: str) -> ColumnElement[bool]:
    if cmp.entity_type == ATTRIBUTE:
        col = _RUN_ATTRIBUTE_COLUMNS[cmp.key]
        if cmp.key in _NUMERIC_RUN_ATTRIBUTES:
            return compare_number(col, cmp.comparator, cmp.value)
        return compare_string(col, cmp.comparator, cmp.value, dialect)
    if cmp.entity_type == DATASET:
        return _dataset_clause(cmp, dialect)
    alias = joins.get(cmp.entity_type, cmp.key)
    if cmp.comparator == "IS NULL":
        return alias.c.run_uuid.is_(None)
    if cmp.comparator == "IS NOT NULL":
        return alias.c.run_uuid.is_not(None)
    if cmp.entity_type == METRIC:
        return compare_number(alias.c.value, cmp.comparator, cmp.value)
    return compare_string(alias.c.value, cmp.comparator, cmp.value, dialect)


def _run_order_terms(key: OrderKey, joins: _KeyJoins, dialect: str) -> list[ColumnElement[Any]]:
    if key.entity_type == ATTRIBUTE:
        col = _RUN_ATTRIBUTE_COLUMNS[key.key]
        if key.key not in _NUMERIC_RUN_ATTRIBUTES:
            col = sort_text(col, dialect)
        return order_terms(col, key.ascending, dialect)
    alias = joins.get(key.entity_type, key.key)
    if key.entity_type == METRIC:
        # a NaN is a present row with a NULL value: after real values, before missing keys
        return order_terms(
            alias.c.value, key.ascending, dialect, missing=alias.c.run_uuid.is_(None)
        )
    return order_terms(sort_text(alias.c.value, dialect), key.ascending, dialect)


def build_run_search(
    dialect: str,
    experiment_ids: Sequence[Any],
    filter_string: str | None,
    run_view_type: Any,
    order_by: Sequence[str] | None,
) -> Select[Any]:
    """The SELECT of run ids (without paging) for the arguments of search_runs."""
    comparisons = parse_run_filter(filter_string)
    order_keys = parse_run_order_by(order_by)
    stages = LifecycleStage.view_type_to_stages(ViewType.coerce(run_view_type))
    joins = _KeyJoins(_R.c.run_uuid, {METRIC: s.latest_metrics, PARAM: s.params, TAG: s.tags})
    where = [_run_filter_clause(c, joins, dialect) for c in comparisons]
    ordering: list[ColumnElement[Any]] = []
    for key in order_keys:
        ordering.extend(_run_order_terms(key, joins, dialect))
    ordered_attrs = {k.key for k in order_keys if k.entity_type == ATTRIBUTE}
    if "start_time" not in ordered_attrs:
        ordering.extend(order_terms(_R.c.start_time, False, dialect))
    if "run_id" not in ordered_attrs:
        ordering.append(_R.c.run_uuid.asc())
    return (
        select(_R.c.run_uuid)
        .select_from(joins.apply(_R, "run_uuid"))
        .where(
            _R.c.experiment_id.in_(_int_ids(experiment_ids)),
            _R.c.lifecycle_stage.in_(stages),
            *where,
        )
        .order_by(*ordering)
    )


def search_run_ids(
    conn: Connection,
    experiment_ids: Sequence[Any],
    filter_string: str | None,
    run_view_type: Any,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> tuple[list[str], str | None]:
    """Run ids of one page of search_runs, in order, and the next page's token."""
    max_results = check_max_results(max_results, RUNS_MAX_RESULTS_LIMIT)
    offset = decode_page_token(page_token)
    query = build_run_search(
        conn.dialect.name, experiment_ids, filter_string, run_view_type, order_by
    )
    if not _int_ids(experiment_ids):
        return [], None
    rows = [r[0] for r in conn.execute(page(query, offset, max_results))]
    return rows[:max_results], next_page_token(offset, max_results, len(rows))


def count_run_ids(
    conn: Connection,
    experiment_ids: Sequence[Any],
    filter_string: str | None,
    run_view_type: Any,
) -> int:
    """How many runs the search of these arguments finds: one ``COUNT(*)`` over the search's
    SELECT without its ordering (the filter is parsed and checked as for a search)."""
    query = build_run_search(conn.dialect.name, experiment_ids, filter_string, run_view_type, None)
    if not _int_ids(experiment_ids):
        return 0
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    return int(conn.execute(counted).scalar_one())


# ------------------------------------------------------------------------ experiments

_E = s.experiments
_EXPERIMENT_NUMERIC = {
    "creation_time": _E.c.creation_time,
    "last_update_time": _E.c.last_update_time,
}


def _experiment_id_clause(cmp: Comparison, dialect: str) -> ColumnElement[bool]:
    values = [str(v) for v in (cmp.value if isinstance(cmp.value, tuple) else (cmp.value,))]
    if cmp.comparator in ("=", "!=", "IN", "NOT IN") and all(v.isdigit() for v in values):
        # compare as integers so that the primary key index serves the lookup
        ints = [int(v) for v in values]
        value: Any = tuple(ints) if isinstance(cmp.value, tuple) else ints[0]
        return compare_string(_E.c.experiment_id, cmp.comparator, value, dialect)
    return compare_string(as_text(_E.c.experiment_id), cmp.comparator, cmp.value, dialect)


def _experiment_filter_clause(
    cmp: Comparison, joins: _KeyJoins, dialect: str
) -> ColumnElement[bool]:
    if cmp.entity_type == ATTRIBUTE:
        if cmp.key in _EXPERIMENT_NUMERIC:
            return compare_number(_EXPERIMENT_NUMERIC[cmp.key], cmp.comparator, cmp.value)
        if cmp.key == "experiment_id":
            return _experiment_id_clause(cmp, dialect)
        return compare_string(_E.c.name, cmp.comparator, cmp.value, dialect)
    alias = joins.get(TAG, cmp.key)
    if cmp.comparator == "IS NULL":
        return alias.c.experiment_id.is_(None)
    if cmp.comparator == "IS NOT NULL":
        return alias.c.experiment_id.is_not(None)
    return compare_string(alias.c.value, cmp.comparator, cmp.value, dialect)


def search_experiment_ids(
    conn: Connection,
    view_type: Any,
    max_results: int,
    filter_string: str | None,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> tuple[list[int], str | None]:
    """Experiment ids of one page of search_experiments and the next page's token."""
    max_results = check_max_results(max_results, EXPERIMENTS_MAX_RESULTS_LIMIT)
    offset = decode_page_token(page_token)
    dialect = conn.dialect.name
    comparisons = parse_experiment_filter(filter_string)
    order_keys = parse_experiment_order_by(order_by) or [
        OrderKey(ATTRIBUTE, "creation_time", False)
    ]
    stages = LifecycleStage.view_type_to_stages(ViewType.coerce(view_type))
    joins = _KeyJoins(_E.c.experiment_id, {TAG: s.experiment_tags})
    where = [_experiment_filter_clause(c, joins, dialect) for c in comparisons]
    columns = {**_EXPERIMENT_NUMERIC, "name": _E.c.name, "experiment_id": _E.c.experiment_id}
    ordering: list[ColumnElement[Any]] = []
    for key in order_keys:
        col = columns[key.key]
        value = sort_text(col, dialect) if key.key == "name" else col
        ordering.extend(order_terms(value, key.ascending, dialect))
    if all(k.key != "experiment_id" for k in order_keys):
        ordering.append(_E.c.experiment_id.asc())
    query = (
        select(_E.c.experiment_id)
        .select_from(joins.apply(_E, "experiment_id"))
        .where(_E.c.lifecycle_stage.in_(stages), *where)
        .order_by(*ordering)
    )
    rows = [int(r[0]) for r in conn.execute(page(query, offset, max_results))]
    return rows[:max_results], next_page_token(offset, max_results, len(rows))


# ---------------------------------------------------------------------- logged models

_LM = s.logged_models
_LM_COLUMNS: Mapping[str, ColumnElement[Any]] = {
    "name": _LM.c.name,
    "model_id": _LM.c.model_id,
    "model_type": _LM.c.model_type,
    "status": _LM.c.status,
    "source_run_id": _LM.c.source_run_id,
    "creation_timestamp": _LM.c.creation_timestamp,
    "last_updated_timestamp": _LM.c.last_updated_timestamp,
}
_LM_NUMERIC = frozenset({"creation_timestamp", "last_updated_timestamp"})


def _latest_model_metric(key: str) -> ColumnElement[Any]:
    """Scalar subquery: the model's latest value of metric ``key`` (NULL if NaN or missing)."""
    m = s.metrics
    return (
        select(m.c.value)
        .where(m.c.model_id == _LM.c.model_id, m.c.key == key)
        .order_by(m.c.timestamp.desc(), m.c.step.desc())
        .limit(1)
        .correlate(_LM)
        .scalar_subquery()
    )


def _logged_model_clause(cmp: Comparison, joins: _KeyJoins, dialect: str) -> ColumnElement[bool]:
    if cmp.entity_type == ATTRIBUTE:
        col = _LM_COLUMNS[cmp.key]
        if cmp.key in _LM_NUMERIC:
            return compare_number(col, cmp.comparator, cmp.value)
        return compare_string(col, cmp.comparator, cmp.value, dialect)
    if cmp.entity_type == METRIC:
        # like MLflow: any logged value of the metric may satisfy the comparison
        m = s.metrics
        return exists().where(
            m.c.model_id == _LM.c.model_id,
            m.c.key == cmp.key,
            compare_number(m.c.value, cmp.comparator, cmp.value),
        )
    alias = joins.get(cmp.entity_type, cmp.key)
    return compare_string(alias.c.value, cmp.comparator, cmp.value, dialect)


def search_logged_model_ids(
    conn: Connection,
    experiment_ids: Sequence[Any],
    filter_string: str | None,
    max_results: int,
    order_by: Sequence[Mapping[str, Any]] | None,
    page_token: str | None,
) -> tuple[list[str], str | None]:
    """Model ids of one page of search_logged_models (active models only) and the next token."""
    max_results = check_max_results(max_results, LOGGED_MODELS_MAX_RESULTS_LIMIT)
    offset = decode_page_token(page_token)
    dialect = conn.dialect.name
    comparisons = parse_logged_model_filter(filter_string)
    order_keys = parse_logged_model_order_by(order_by)
    ids = _int_ids(experiment_ids)
    if not ids:
        return [], None
    joins = _KeyJoins(_LM.c.model_id, {TAG: s.logged_model_tags, PARAM: s.logged_model_params})
    where = [_logged_model_clause(c, joins, dialect) for c in comparisons]
    ordering: list[ColumnElement[Any]] = []
    for key in order_keys:
        if key.entity_type == METRIC:
            ordering.extend(order_terms(_latest_model_metric(key.key), key.ascending, dialect))
            continue
        col = _LM_COLUMNS[key.key]
        value = col if key.key in _LM_NUMERIC else sort_text(col, dialect)
        ordering.extend(order_terms(value, key.ascending, dialect))
    ordered_attrs = {k.key for k in order_keys if k.entity_type == ATTRIBUTE}
    if "creation_timestamp" not in ordered_attrs:
        ordering.append(_LM.c.creation_timestamp.desc())
    if "model_id" not in ordered_attrs:
        ordering.append(_LM.c.model_id.asc())
    query = (
        select(_LM.c.model_id)
        .select_from(joins.apply(_LM, "model_id"))
        .where(
            _LM.c.experiment_id.in_(ids),
            _LM.c.lifecycle_stage == LifecycleStage.ACTIVE,
            *where,
        )
        .order_by(*ordering)
    )
    rows = [r[0] for r in conn.execute(page(query, offset, max_results))]
    return rows[:max_results], next_page_token(offset, max_results, len(rows))
