"""The typed result of parsing a filter or an ``order_by`` clause.

A filter is a conjunction, so a parsed filter is just a list of :class:`Comparison`. Keys are
canonical: aliases such as ``created`` or ``Run name`` are already resolved to the column-level
name (``start_time``, ``run_name``), and comparators are upper case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "ATTRIBUTE",
    "DATASET",
    "LIST_COMPARATORS",
    "METRIC",
    "NULL_COMPARATORS",
    "PARAM",
    "TAG",
    "Comparison",
    "EntityType",
    "OrderKey",
    "Value",
]

EntityType = Literal["attribute", "metric", "param", "tag", "dataset"]

ATTRIBUTE: Final = "attribute"
METRIC: Final = "metric"
PARAM: Final = "param"
TAG: Final = "tag"
DATASET: Final = "dataset"

#: Comparators that take a parenthesised list of strings.
LIST_COMPARATORS: Final = frozenset({"IN", "NOT IN"})
#: Comparators that take no value at all.
NULL_COMPARATORS: Final = frozenset({"IS NULL", "IS NOT NULL"})

#: ``None`` for IS [NOT] NULL, a tuple for IN lists, a number for metrics and numeric
#: attributes, a string otherwise.
Value = str | int | float | tuple[str, ...] | None


@dataclass(frozen=True)
class Comparison:
    """One ``<entity>.<key> <comparator> <value>`` clause."""

    entity_type: EntityType
    key: str
    comparator: str
    value: Value


@dataclass(frozen=True)
class OrderKey:
    """One ``order_by`` entry."""

    entity_type: EntityType
    key: str
    ascending: bool = True
