"""Bounds on a GraphQL document, checked before it is validated or run.

A document may nest at most :data:`MAX_DEPTH` levels, select at most :data:`MAX_SELECTIONS` fields
in all, ask for at most ``MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS`` root fields and use at most
``MLFLOW_SERVER_GRAPHQL_MAX_ALIASES`` aliases on one level (MLflow's switches and defaults).
Fragments count where they are spread, so aliases spread over sibling fragments add up, and a
fragment that spreads itself is followed once.
"""

from __future__ import annotations

import os

from graphql.language import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

__all__ = ["MAX_DEPTH", "MAX_SELECTIONS", "MAX_TOKENS", "check_document"]

MAX_DEPTH = 10
MAX_SELECTIONS = 1000
MAX_TOKENS = 10_000


def _env_limit(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.isdigit() else default


def _fields_of_level(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> tuple[list[tuple[FieldNode, frozenset[str]]], int, bool]:
    """The fields one level selects (fragments flattened into it), its alias count, and
    whether the level is over the bounds (then the fields are only the first ones)."""
    fields: list[tuple[FieldNode, frozenset[str]]] = []
    aliases = 0
    pending: list[tuple[SelectionSetNode, frozenset[str]]] = [(selection_set, seen)]
    expansions = 0
    # fragments spread many times fan out: stop as soon as the level is over the bound
    while pending and len(fields) <= MAX_SELECTIONS and expansions <= 10 * MAX_SELECTIONS:
        expansions += 1
        current, path = pending.pop()
        for selection in current.selections:
            if isinstance(selection, FieldNode):
                fields.append((selection, path))
                aliases += selection.alias is not None
            elif isinstance(selection, InlineFragmentNode):
                pending.append((selection.selection_set, path))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in path:
                    pending.append((fragment.selection_set, path | {name}))
    return fields, aliases, bool(pending) or len(fields) > MAX_SELECTIONS


def check_document(document: DocumentNode) -> str | None:
    """Why ``document`` is refused, or None when it is within every bound."""
    max_root = _env_limit("MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS", 10)
    max_aliases = _env_limit("MLFLOW_SERVER_GRAPHQL_MAX_ALIASES", 10)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    selections = 0
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        stack: list[tuple[SelectionSetNode, int, frozenset[str]]] = [
            (operation.selection_set, 1, frozenset())
        ]
        while stack:
            selection_set, depth, seen = stack.pop()
            if depth > MAX_DEPTH:
                return f"Query exceeds maximum depth of {MAX_DEPTH}"
            fields, aliases, too_many = _fields_of_level(selection_set, fragments, seen)
            if too_many:
                return f"Query exceeds maximum total selections of {MAX_SELECTIONS}"
            if depth == 1 and len(fields) > max_root:
                return (
                    f"GraphQL queries should have at most {max_root} root fields, got "
                    f"{len(fields)} root fields. To increase the limit, set the "
                    "MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS environment variable."
                )
            if aliases > max_aliases:
                return (
                    f"GraphQL queries should have at most {max_aliases} aliases, got "
                    f"{aliases} aliases. To increase the limit, set the "
                    "MLFLOW_SERVER_GRAPHQL_MAX_ALIASES environment variable."
                )
            selections += len(fields)
            if selections > MAX_SELECTIONS:
                return f"Query exceeds maximum total selections of {MAX_SELECTIONS}"
            for field, path in fields:
                if field.selection_set is not None:
                    stack.append((field.selection_set, depth + 1, path))
    return None
