"""search_registered_models / search_model_versions as one SQL statement per page.

Both functions return primary keys (``registered_models.id``, or ``(model_pk, version)``) in
order plus the next page token; the registry store hydrates them.

Prompts: MLflow stores prompts as registered models tagged ``mlflow.prompt.is_prompt='true'``,
and its client appends ``tag.`mlflow.prompt.is_prompt` != 'true'`` to every model search. So,
like MLflow, any clause on that tag is treated specially: unless the filter asks for prompts
(``= 'true'`` or ``!= 'false'``), the prompt clauses are dropped and prompts are excluded with
an anti-join, which keeps models that lack the tag. For versions a prompt is recognised by
the tag on the version (any version of the model) or on the registered model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, FromClause, Select, exists, select
from sqlalchemy.sql.elements import ColumnElement

from modelyard.query import (
    ATTRIBUTE,
    Comparison,
    OrderKey,
    check_max_results,
    decode_page_token,
    next_page_token,
    parse_model_version_filter,
    parse_model_version_order_by,
    parse_registered_model_filter,
    parse_registered_model_order_by,
)
from modelyard.store.sql import schema as s
from modelyard.store.sql.filtering import (
    compare_number,
    compare_string,
    order_terms,
    page,
    sort_text,
)

__all__ = [
    "MODEL_VERSIONS_MAX_RESULTS_LIMIT",
    "PROMPT_TAG_KEY",
    "REGISTERED_MODELS_MAX_RESULTS_LIMIT",
    "search_model_version_keys",
    "search_registered_model_pks",
]

REGISTERED_MODELS_MAX_RESULTS_LIMIT = 1000
MODEL_VERSIONS_MAX_RESULTS_LIMIT = 200000
PROMPT_TAG_KEY = "mlflow.prompt.is_prompt"
_DELETED_STAGE = "Deleted_Internal"

_RM = s.registered_models
_MV = s.model_versions
_RMT = s.registered_model_tags
_MVT = s.model_version_tags


def _split_prompt_clauses(comparisons: list[Comparison]) -> tuple[list[Comparison], bool]:
    """(the clauses to apply, whether prompts must be excluded)."""
    querying_prompts = False
    for cmp in comparisons:
        if cmp.entity_type == "tag" and cmp.key == PROMPT_TAG_KEY:
            value = str(cmp.value).lower()
            querying_prompts = (cmp.comparator == "=" and value == "true") or (
                cmp.comparator == "!=" and value == "false"
            )
            break
    if querying_prompts:
        return comparisons, False
    rest = [c for c in comparisons if not (c.entity_type == "tag" and c.key == PROMPT_TAG_KEY)]
    return rest, True


def _is_prompt_tag(table: Any) -> ColumnElement[bool]:
    return (table.c.key == PROMPT_TAG_KEY) & (table.c.value == "true")


class _TagJoins:
    """One aliased LEFT JOIN of a tag table per distinct key."""

    def __init__(self, table: Any, on: dict[str, ColumnElement[Any]]) -> None:
        self._table = table
        self._on = on
        self._aliases: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        if key not in self._aliases:
            self._aliases[key] = self._table.alias(f"tag_{len(self._aliases)}")
        return self._aliases[key]

    def apply(self, base: FromClause) -> FromClause:
        for key, alias in self._aliases.items():
            cond = alias.c.key == key
            for column, owner in self._on.items():
                cond = cond & (alias.c[column] == owner)
            base = base.outerjoin(alias, cond)
        return base


def _tag_clause(cmp: Comparison, joins: _TagJoins, dialect: str) -> ColumnElement[bool]:
    alias = joins.get(cmp.key)
    return compare_string(alias.c.value, cmp.comparator, cmp.value, dialect)


def _run_query(
    conn: Connection, query: Select[Any], offset: int, max_results: int
) -> tuple[list[Any], str | None]:
    rows = list(conn.execute(page(query, offset, max_results)))
    return rows[:max_results], next_page_token(offset, max_results, len(rows))


# ------------------------------------------------------------------ registered models


def search_registered_model_pks(
    conn: Connection,
    filter_string: str | None,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> tuple[list[int], str | None]:
    """``registered_models.id`` of one page, default order ``name ASC``."""
    max_results = check_max_results(max_results, REGISTERED_MODELS_MAX_RESULTS_LIMIT)
    offset = decode_page_token(page_token)
    dialect = conn.dialect.name
    comparisons, exclude_prompts = _split_prompt_clauses(
        parse_registered_model_filter(filter_string)
    )
    order_keys = parse_registered_model_order_by(order_by)
    joins = _TagJoins(_RMT, {"model_pk": _RM.c.id})
    where: list[ColumnElement[bool]] = []
    for cmp in comparisons:
        if cmp.entity_type == ATTRIBUTE:
            where.append(compare_string(_RM.c.name, cmp.comparator, cmp.value, dialect))
        else:
            where.append(_tag_clause(cmp, joins, dialect))
    if exclude_prompts:
        where.append(~exists().where(_RMT.c.model_pk == _RM.c.id, _is_prompt_tag(_RMT)))
    columns = {
        "name": sort_text(_RM.c.name, dialect),
        "last_updated_timestamp": _RM.c.last_updated_time,
    }
    ordering: list[ColumnElement[Any]] = []
    for key in order_keys:
        ordering.extend(order_terms(columns[key.key], key.ascending, dialect))
    if all(k.key != "name" for k in order_keys):
        ordering.append(columns["name"].asc())
    query = select(_RM.c.id).select_from(joins.apply(_RM)).where(*where).order_by(*ordering)
    rows, token = _run_query(conn, query, offset, max_results)
    return [int(r[0]) for r in rows], token


# --------------------------------------------------------------------- model versions

_MV_DEFAULT_ORDER = (
    OrderKey(ATTRIBUTE, "last_updated_timestamp", False),
    OrderKey(ATTRIBUTE, "name", True),
    OrderKey(ATTRIBUTE, "version_number", False),
)


def _version_attribute_clause(cmp: Comparison, dialect: str) -> ColumnElement[bool]:
    if cmp.key == "version_number":
        return compare_number(_MV.c.version, cmp.comparator, cmp.value)
    column = {"name": _RM.c.name, "run_id": _MV.c.run_id, "source_path": _MV.c.source}[cmp.key]
    return compare_string(column, cmp.comparator, cmp.value, dialect)


def search_model_version_keys(
    conn: Connection,
    filter_string: str | None,
    max_results: int,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> tuple[list[tuple[int, int]], str | None]:
    """``(model_pk, version)`` of one page; default order
    ``last_updated_timestamp DESC, name ASC, version_number DESC``."""
    max_results = check_max_results(max_results, MODEL_VERSIONS_MAX_RESULTS_LIMIT)
    offset = decode_page_token(page_token)
    dialect = conn.dialect.name
    comparisons, exclude_prompts = _split_prompt_clauses(parse_model_version_filter(filter_string))
    order_keys = parse_model_version_order_by(order_by)
    joins = _TagJoins(_MVT, {"model_pk": _MV.c.model_pk, "version": _MV.c.version})
    where: list[ColumnElement[bool]] = [_MV.c.current_stage != _DELETED_STAGE]
    for cmp in comparisons:
        if cmp.entity_type == ATTRIBUTE:
            where.append(_version_attribute_clause(cmp, dialect))
        else:
            where.append(_tag_clause(cmp, joins, dialect))
    if exclude_prompts:
        where.append(~exists().where(_MVT.c.model_pk == _MV.c.model_pk, _is_prompt_tag(_MVT)))
        where.append(~exists().where(_RMT.c.model_pk == _MV.c.model_pk, _is_prompt_tag(_RMT)))
    columns = {
        "name": sort_text(_RM.c.name, dialect),
        "version_number": _MV.c.version,
        "creation_timestamp": _MV.c.creation_time,
        "last_updated_timestamp": _MV.c.last_updated_time,
    }
    given = {k.key for k in order_keys}
    keys = [*order_keys, *(k for k in _MV_DEFAULT_ORDER if k.key not in given)]
    ordering: list[ColumnElement[Any]] = []
    for key in keys:
        ordering.extend(order_terms(columns[key.key], key.ascending, dialect))
    base = _MV.join(_RM, _RM.c.id == _MV.c.model_pk)
    query = (
        select(_MV.c.model_pk, _MV.c.version)
        .select_from(joins.apply(base))
        .where(*where)
        .order_by(*ordering)
    )
    rows, token = _run_query(conn, query, offset, max_results)
    return [(int(r[0]), int(r[1])) for r in rows], token
