"""SQL building blocks shared by the tracking and registry searches.

Comparators of the search language mean the same thing on SQLite and PostgreSQL here:

* ``=``, ``!=``, ``IN`` compare case-sensitively (both backends do for text by default).
* ``LIKE`` is case-sensitive. SQLite's own LIKE is not, so it becomes a ``GLOB`` with the
  pattern translated (``%`` -> ``*``, ``_`` -> ``?``, GLOB metacharacters bracketed).
* ``ILIKE`` is case-insensitive (``ILIKE`` on PostgreSQL, ``lower(x) LIKE lower(y)`` on SQLite).
* In ``LIKE``/``ILIKE`` patterns a backslash escapes the next character on both backends
  (PostgreSQL's default), so ``'a\\_b'`` matches the literal ``a_b``.
* A comparison with a missing (NULL) value is never true, so a NaN metric (stored as NULL)
  or a missing key never matches.

Ordering puts real values first in the requested direction, then NaN, then missing values,
in both directions, by prefixing each key with a rank ``CASE``. Strings sort bytewise
(``COLLATE "C"`` on PostgreSQL) so both backends give one order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, String, and_, case, cast
from sqlalchemy.sql.elements import ColumnElement

from modelyard.errors import InvalidParameterValue

__all__ = [
    "as_text",
    "compare_number",
    "compare_string",
    "dialect_of",
    "escape_like",
    "like_to_glob",
    "nulls_last",
    "order_terms",
    "page",
    "sort_text",
]


def like_to_glob(pattern: str) -> str:
    """Translate a LIKE pattern (backslash escapes) into an equivalent SQLite GLOB pattern."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(_glob_literal(pattern[i + 1]))
            i += 2
            continue
        if ch == "%":
            out.append("*")
        elif ch == "_":
            out.append("?")
        else:
            out.append(_glob_literal(ch))
        i += 1
    return "".join(out)


def _glob_literal(ch: str) -> str:
    return f"[{ch}]" if ch in "*?[" else ch


def escape_like(text: str) -> str:
    """A LIKE pattern that matches ``text`` literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(col: ColumnElement[Any], pattern: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "sqlite":
        return col.op("GLOB", is_comparison=True)(like_to_glob(pattern))
    return col.like(pattern)


def _ilike(col: ColumnElement[Any], pattern: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "sqlite":
        return col.ilike(pattern, escape="\\")
    return col.ilike(pattern)


def compare_string(
    col: ColumnElement[Any], comparator: str, value: Any, dialect: str
) -> ColumnElement[bool]:
    """``col <comparator> value`` for the string comparators of the search language."""
    if comparator == "=":
        return col == value
    if comparator == "!=":
        return col != value
    if comparator == "LIKE":
        return _like(col, value, dialect)
    if comparator == "ILIKE":
        return _ilike(col, value, dialect)
    if comparator == "IN":
        return col.in_(list(value))
    if comparator == "NOT IN":
        # NOT IN is false for a NULL column, like every other comparison with a missing value
        return and_(col.is_not(None), col.not_in(list(value)))
    raise InvalidParameterValue(f"Invalid comparator {comparator!r} for a string value")


def compare_number(col: ColumnElement[Any], comparator: str, value: Any) -> ColumnElement[bool]:
    """``col <comparator> value`` for numeric comparators."""
    ops = {
        "=": col.__eq__,
        "!=": col.__ne__,
        "<": col.__lt__,
        "<=": col.__le__,
        ">": col.__gt__,
        ">=": col.__ge__,
    }
    if comparator not in ops:
        raise InvalidParameterValue(f"Invalid comparator {comparator!r} for a numeric value")
    return ops[comparator](value)


def sort_text(col: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """A text expression that sorts bytewise on every backend."""
    if dialect == "postgresql":
        return col.collate("C")
    return col


def nulls_last(value: ColumnElement[Any], ascending: bool, dialect: str) -> ColumnElement[Any]:
    """``value ASC|DESC`` with NULLs after every real value.

    Where the backend already puts NULLs last (SQLite DESC, PostgreSQL ASC) no NULLS LAST
    is written, so an index on the column can still deliver the order.
    """
    term = value.asc() if ascending else value.desc()
    natural_last = (dialect == "sqlite" and not ascending) or (
        dialect == "postgresql" and ascending
    )
    return term if natural_last else term.nulls_last()


def order_terms(
    value: ColumnElement[Any],
    ascending: bool,
    dialect: str,
    *,
    missing: ColumnElement[bool] | None = None,
) -> list[ColumnElement[Any]]:
    """ORDER BY terms: real values in the requested direction, then NULL values, then rows
    for which ``missing`` is true (e.g. a metric key the run never logged, while a NaN
    metric is a present row with a NULL value)."""
    terms: list[ColumnElement[Any]] = []
    if missing is not None:
        terms.append(case((missing, 1), else_=0).asc())
    terms.append(nulls_last(value, ascending, dialect))
    return terms


def page(query: Select[Any], offset: int, max_results: int) -> Select[Any]:
    """Ask for one row more than the page so the caller knows whether a next page exists."""
    return query.limit(max_results + 1).offset(offset)


def dialect_of(conn: Connection) -> str:
    return conn.dialect.name


def as_text(col: ColumnElement[Any]) -> ColumnElement[Any]:
    return cast(col, String)
