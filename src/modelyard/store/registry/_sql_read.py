"""Read helpers of the SQL registry store: rows -> entities, in bulk.

Every loader takes an open connection and a list of keys and returns entities in the order of
the keys, with three or four queries whatever the number of keys (chunked ``IN`` lists), so a
search page of 10,000 versions costs a handful of round trips, never one per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, func, select, tuple_

from modelyard.entities import ModelVersion, RegisteredModel
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.store.sql import schema

__all__ = [
    "CHUNK",
    "latest_version_keys",
    "load_model_versions",
    "load_registered_models",
    "model_pk",
    "parse_version",
    "version_exists",
]

CHUNK = 500

_rm = schema.registered_models
_rmt = schema.registered_model_tags
_mv = schema.model_versions
_mvt = schema.model_version_tags
_al = schema.registered_model_aliases


def parse_version(version: str | int) -> int:
    """A model version number from its wire form (``"3"`` or ``3``)."""
    if isinstance(version, bool):
        raise InvalidParameterValue(f"Parameter 'version' must be an integer, got '{version}'.")
    try:
        return int(str(version).strip())
    except (TypeError, ValueError):
        raise InvalidParameterValue(
            f"Parameter 'version' must be an integer, got '{version}'."
        ) from None


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def model_pk(conn: Connection, name: str, *, for_update: bool = False) -> int:
    """The surrogate key of a registered model; ResourceDoesNotExist when unknown.

    ``for_update`` takes a row lock on PostgreSQL (SQLite already holds the database write
    lock for the whole ``BEGIN IMMEDIATE`` transaction), so concurrent writers to one model
    queue up instead of interleaving.
    """
    stmt = select(_rm.c.id).where(_rm.c.name == name)
    if for_update:
        stmt = stmt.with_for_update()
    pk = conn.execute(stmt).scalar()
    if pk is None:
        raise ResourceDoesNotExist(f"Registered Model with name={name} not found")
    return int(pk)


def version_exists(conn: Connection, pk: int, version: int, name: str) -> None:
    row = conn.execute(
        select(_mv.c.version).where(_mv.c.model_pk == pk, _mv.c.version == version)
    ).first()
    if row is None:
        raise ResourceDoesNotExist(f"Model Version (name={name}, version={version}) not found")


def latest_version_keys(
    conn: Connection, pks: Sequence[int], stages: Sequence[str] | None = None
) -> list[tuple[int, int]]:
    """(model_pk, version) of the highest version per (model, stage)."""
    keys: list[tuple[int, int]] = []
    for part in _chunks(list(pks)):
        stmt = (
            select(_mv.c.model_pk, func.max(_mv.c.version))
            .where(_mv.c.model_pk.in_(part))
            .group_by(_mv.c.model_pk, _mv.c.current_stage)
        )
        if stages is not None:
            stmt = stmt.where(_mv.c.current_stage.in_(list(stages)))
        keys.extend((int(pk), int(v)) for pk, v in conn.execute(stmt))
    keys.sort()
    return keys


def load_model_versions(conn: Connection, keys: Sequence[tuple[int, int]]) -> list[ModelVersion]:
    """Model versions with tags and aliases, in the order of ``keys`` (missing keys skipped)."""
    if not keys:
        return []
    rows: dict[tuple[int, int], ModelVersion] = {}
    for part in _chunks(list(keys)):
        stmt = (
            select(_mv, _rm.c.name)
            .join(_rm, _rm.c.id == _mv.c.model_pk)
            .where(tuple_(_mv.c.model_pk, _mv.c.version).in_(list(part)))
        )
        for r in conn.execute(stmt).mappings():
            rows[(r["model_pk"], r["version"])] = ModelVersion(
                name=r["name"],
                version=str(r["version"]),
                creation_timestamp=r["creation_time"],
                last_updated_timestamp=r["last_updated_time"],
                current_stage=r["current_stage"],
                description=r["description"],
                user_id=r["user_id"],
                source=r["source"],
                run_id=r["run_id"],
                status=r["status"],
                status_message=r["status_message"],
                run_link=r["run_link"],
                model_id=r["model_id"],
            )
        tag_stmt = select(_mvt).where(tuple_(_mvt.c.model_pk, _mvt.c.version).in_(list(part)))
        for r in conn.execute(tag_stmt).mappings():
            mv = rows.get((r["model_pk"], r["version"]))
            if mv is not None:
                mv.tags[r["key"]] = r["value"]
    pks = sorted({pk for pk, _ in rows})
    for part in _chunks(pks):
        alias_stmt = (
            select(_al).where(_al.c.model_pk.in_(part)).order_by(_al.c.model_pk, _al.c.alias)
        )
        for r in conn.execute(alias_stmt).mappings():
            mv = rows.get((r["model_pk"], r["version"]))
            if mv is not None:
                mv.aliases.append(r["alias"])
    return [rows[k] for k in keys if k in rows]


def load_registered_models(conn: Connection, pks: Sequence[int]) -> list[RegisteredModel]:
    """Registered models with tags, aliases and latest versions, in the order of ``pks``."""
    if not pks:
        return []
    models: dict[int, RegisteredModel] = {}
    for part in _chunks(list(pks)):
        for r in conn.execute(select(_rm).where(_rm.c.id.in_(part))).mappings():
            models[r["id"]] = RegisteredModel(
                name=r["name"],
                creation_timestamp=r["creation_time"],
                last_updated_timestamp=r["last_updated_time"],
                description=r["description"],
                user_id=r["user_id"],
            )
        for r in conn.execute(select(_rmt).where(_rmt.c.model_pk.in_(part))).mappings():
            models[r["model_pk"]].tags[r["key"]] = r["value"]
        alias_stmt = (
            select(_al).where(_al.c.model_pk.in_(part)).order_by(_al.c.model_pk, _al.c.alias)
        )
        for r in conn.execute(alias_stmt).mappings():
            models[r["model_pk"]].aliases[r["alias"]] = str(r["version"])
    latest = load_model_versions(conn, latest_version_keys(conn, list(models)))
    by_name = {m.name: m for m in models.values()}
    for mv in latest:
        by_name[mv.name].latest_versions.append(mv)
    return [models[pk] for pk in pks if pk in models]
