"""Migrations: a migrated database matches ``schema.metadata``; ensure_schema's decisions."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from modelyard.errors import InvalidState
from modelyard.store.sql import migrate
from modelyard.store.sql.engine import make_engine
from modelyard.store.sql.schema import metadata


def _diffs(uri: str) -> list[object]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with make_engine(uri).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def _check_fresh_database(uri: str) -> None:
    assert migrate.current_revision(uri) is None
    migrate.ensure_schema(make_engine(uri))
    assert migrate.current_revision(uri) == migrate.head_revision()
    assert _diffs(uri) == []


def test_head_revision() -> None:
    assert migrate.head_revision() == "0008"
    # the constant ensure_schema checks against without loading Alembic
    assert migrate.HEAD_REVISION == migrate.head_revision()


def _layout(uri: str) -> dict[str, object]:
    """Everything the inspector sees of a database, in comparable form."""
    insp = sa.inspect(make_engine(uri))
    out: dict[str, object] = {}
    for table in sorted(insp.get_table_names()):
        out[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                for c in insp.get_columns(table)
            ],
            "pk": insp.get_pk_constraint(table)["constrained_columns"],
            "fks": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], str(f.get("options")))
                for f in insp.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in insp.get_indexes(table)
            ),
            "uniques": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
            "checks": sorted(str(c["sqltext"]) for c in insp.get_check_constraints(table)),
        }
    return out


def _check_created_equals_migrated(created: str, migrated: str) -> None:
    migrate.ensure_schema(make_engine(created))  # fresh: built from the metadata, stamped
    migrate.upgrade(migrated)  # the whole migration chain
    assert migrate.current_revision(created) == migrate.current_revision(migrated)
    assert _layout(created) == _layout(migrated)


def test_created_sqlite_schema_equals_the_migrated_one(tmp_path: Path) -> None:
    _check_created_equals_migrated(
        f"sqlite:///{tmp_path / 'created.db'}", f"sqlite:///{tmp_path / 'migrated.db'}"
    )


@pytest.mark.postgres
def test_created_postgres_schema_equals_the_migrated_one(make_pg_database) -> None:  # type: ignore[no-untyped-def]
    _check_created_equals_migrated(make_pg_database(), make_pg_database())


def test_migrated_sqlite_matches_metadata(tmp_path: Path) -> None:
    _check_fresh_database(f"sqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
def test_migrated_postgres_matches_metadata(make_pg_database) -> None:  # type: ignore[no-untyped-def]
    _check_fresh_database(make_pg_database())


def test_upgrade_is_idempotent_and_explicit(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'u.db'}"
    migrate.upgrade(uri)
    migrate.upgrade(uri)
    assert migrate.current_revision(uri) == migrate.head_revision()
    names = set(sa.inspect(make_engine(uri)).get_table_names())
    assert {"experiments", "runs", "metrics", "registered_models", "alembic_version"} <= names


def test_sqlite_behind_head_is_upgraded_on_first_use(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(uri, "0001")  # an embedded database made by an older modelyard
    assert migrate.current_revision(uri) == "0001"
    migrate.ensure_schema(make_engine(uri))
    assert migrate.current_revision(uri) == migrate.head_revision()
    assert _diffs(uri) == []


def test_downgrade_to_base_then_first_use_recreates(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'base.db'}"
    migrate.upgrade(uri)
    migrate.downgrade(uri, "base")
    assert migrate.current_revision(uri) is None
    assert "experiments" not in sa.inspect(make_engine(uri)).get_table_names()
    migrate.ensure_schema(make_engine(uri))
    assert _diffs(uri) == []


def test_foreign_tables_are_refused(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'foreign.db'}"
    with make_engine(uri).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE experiments (id INTEGER PRIMARY KEY)")
    with pytest.raises(InvalidState, match="did not create"):
        migrate.ensure_schema(make_engine(uri))


def test_unknown_newer_revision_is_refused(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'newer.db'}"
    migrate.upgrade(uri)
    with make_engine(uri).begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff'")
    with pytest.raises(InvalidState, match="newer"):
        migrate.ensure_schema(make_engine(uri))


@pytest.mark.postgres
def test_server_database_behind_head_needs_explicit_upgrade(make_pg_database) -> None:  # type: ignore[no-untyped-def]
    uri = make_pg_database()
    migrate.upgrade(uri, "0001")
    with pytest.raises(InvalidState, match="modelyard db upgrade"):
        migrate.ensure_schema(make_engine(uri))
    migrate.upgrade(uri)
    migrate.ensure_schema(make_engine(uri))
    assert _diffs(uri) == []
