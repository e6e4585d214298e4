"""The model registry on SQLite or PostgreSQL (SQLAlchemy Core, same database as tracking).

Rules the store owns because they need one transaction:

* Version numbers come from ``registered_models.max_version`` (incremented under the model's
  write lock), so numbers are never reused, even after a delete.
* ``archive_existing_versions`` archives every *other* version in the target stage, in the same
  transaction as the transition.
* Every stage change and alias change is written to ``registry_audit`` in the transaction that
  makes it (see ``_sql_audit``).

Deleted versions are removed (not soft-deleted): ``max_version`` keeps their number reserved.
Deleting a registered model also removes its audit entries, because SQLite may hand its surrogate
key to the next model created.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from modelyard.entities import ModelVersion, PagedList, RegisteredModel, Stage, StageTransition
from modelyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.store.registry import _sql_audit as audit
from modelyard.store.registry._sql_promotion import SqlPromotionMixin
from modelyard.store.registry._sql_read import (
    latest_version_keys,
    load_model_versions,
    load_registered_models,
    model_pk,
    parse_version,
    version_exists,
)
from modelyard.store.registry.base import RegistryStore
from modelyard.store.sql import schema
from modelyard.store.sql.engine import make_engine, read_conn, write_tx
from modelyard.store.sql.migrate import ensure_schema
from modelyard.utils.time import now_ms

__all__ = ["SqlRegistryStore"]

_rm = schema.registered_models
_rmt = schema.registered_model_tags
_mv = schema.model_versions
_mvt = schema.model_version_tags
_al = schema.registered_model_aliases
_audit = schema.registry_audit

_ARCHIVING_STAGES = (Stage.STAGING, Stage.PRODUCTION)


class SqlRegistryStore(SqlPromotionMixin, RegistryStore):
    """``SqlRegistryStore("sqlite:///mlruns.db")`` or ``("postgresql://...")``."""

    def __init__(self, db_uri: str) -> None:
        self.db_uri = db_uri
        self.engine = make_engine(db_uri)
        ensure_schema(self.engine)

    # ------------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: Sequence[tuple[str, str]] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        now = now_ms()
        try:
            with write_tx(self.engine) as conn:
                if conn.execute(select(_rm.c.id).where(_rm.c.name == name)).first() is not None:
                    raise _already_exists(name)
                pk = conn.execute(
                    insert(_rm)
                    .values(
                        name=name,
                        creation_time=now,
                        last_updated_time=now,
                        description=description,
                        max_version=0,
                    )
                    .returning(_rm.c.id)
                ).scalar_one()
                tag_rows = {k: v for k, v in (tags or [])}
                if tag_rows:
                    conn.execute(
                        insert(_rmt),
                        [{"model_pk": pk, "key": k, "value": v} for k, v in tag_rows.items()],
                    )
                return load_registered_models(conn, [pk])[0]
        except IntegrityError:  # a concurrent create won the race
            raise _already_exists(name) from None

    def get_registered_model(self, name: str) -> RegisteredModel:
        with read_conn(self.engine) as conn:
            return load_registered_models(conn, [model_pk(conn, name)])[0]

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        now = now_ms()
        try:
            with write_tx(self.engine) as conn:
                pk = model_pk(conn, name, for_update=True)
                if new_name != name:
                    taken = conn.execute(select(_rm.c.id).where(_rm.c.name == new_name)).first()
                    if taken is not None:
                        raise _already_exists(new_name)
                conn.execute(
                    update(_rm).where(_rm.c.id == pk).values(name=new_name, last_updated_time=now)
                )
                conn.execute(update(_mv).where(_mv.c.model_pk == pk).values(last_updated_time=now))
                return load_registered_models(conn, [pk])[0]
        except IntegrityError:
            raise _already_exists(new_name) from None

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            conn.execute(
                update(_rm)
                .where(_rm.c.id == pk)
                .values(description=description, last_updated_time=now_ms())
            )
            return load_registered_models(conn, [pk])[0]

    def delete_registered_model(self, name: str) -> None:
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            for table in (
                _mvt,
                _al,
                _rmt,
                _mv,
                _audit,
                schema.registry_policies,
                schema.registry_gate_results,
                schema.registry_transition_requests,
            ):
                conn.execute(delete(table).where(table.c.model_pk == pk))
            conn.execute(delete(_rm).where(_rm.c.id == pk))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        from modelyard.store.registry.sql_search import search_registered_model_pks

        with read_conn(self.engine) as conn:
            pks, token = search_registered_model_pks(
                conn, filter_string, max_results, order_by, page_token
            )
            return PagedList(load_registered_models(conn, pks), token)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            conn.execute(delete(_rmt).where(_rmt.c.model_pk == pk, _rmt.c.key == key))
            conn.execute(insert(_rmt).values(model_pk=pk, key=key, value=value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            conn.execute(delete(_rmt).where(_rmt.c.model_pk == pk, _rmt.c.key == key))

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        canonical = [Stage.canonical(s) for s in stages] if stages else None
        with read_conn(self.engine) as conn:
            pk = model_pk(conn, name)
            return load_model_versions(conn, latest_version_keys(conn, [pk], canonical))

    # ------------------------------------------------------------ model versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
        storage_location: str | None = None,
    ) -> ModelVersion:
        now = now_ms()
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            conn.execute(
                update(_rm)
                .where(_rm.c.id == pk)
                .values(max_version=_rm.c.max_version + 1, last_updated_time=now)
            )
            version = int(
                conn.execute(select(_rm.c.max_version).where(_rm.c.id == pk)).scalar_one()
            )
            conn.execute(
                insert(_mv).values(
                    model_pk=pk,
                    version=version,
                    creation_time=now,
                    last_updated_time=now,
                    description=description or None,
                    current_stage=Stage.NONE,
                    source=source,
                    storage_location=storage_location or source,
                    run_id=run_id or None,
                    run_link=run_link or None,
                    status="READY",
                    model_id=model_id or None,
                )
            )
            tag_rows = {k: v for k, v in (tags or [])}
            if tag_rows:
                conn.execute(
                    insert(_mvt),
                    [
                        {"model_pk": pk, "version": version, "key": k, "value": v}
                        for k, v in tag_rows.items()
                    ],
                )
            return load_model_versions(conn, [(pk, version)])[0]

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        v = parse_version(version)
        with read_conn(self.engine) as conn:
            return self._load_one(conn, model_pk(conn, name), v, name)

    def update_model_version(
        self, name: str, version: str | int, description: str | None
    ) -> ModelVersion:
        v = parse_version(version)
        now = now_ms()
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            version_exists(conn, pk, v, name)
            conn.execute(
                update(_mv)
                .where(_mv.c.model_pk == pk, _mv.c.version == v)
                .values(description=description, last_updated_time=now)
            )
            return self._load_one(conn, pk, v, name)

    def delete_model_version(self, name: str, version: str | int) -> None:
        v = parse_version(version)
        now = now_ms()
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            version_exists(conn, pk, v, name)
            aliases = conn.execute(
                select(_al.c.alias).where(_al.c.model_pk == pk, _al.c.version == v)
            ).scalars()
            for alias in sorted(aliases):
                audit.record(
                    conn,
                    model_pk=pk,
                    name=name,
                    version=v,
                    kind=audit.KIND_ALIAS_DELETED,
                    from_value=alias,
                    to_value=None,
                    timestamp=now,
                )
            conn.execute(delete(_al).where(_al.c.model_pk == pk, _al.c.version == v))
            conn.execute(delete(_mvt).where(_mvt.c.model_pk == pk, _mvt.c.version == v))
            _rq = schema.registry_transition_requests
            conn.execute(delete(_rq).where(_rq.c.model_pk == pk, _rq.c.version == v))
            conn.execute(delete(_mv).where(_mv.c.model_pk == pk, _mv.c.version == v))
            conn.execute(update(_rm).where(_rm.c.id == pk).values(last_updated_time=now))

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool,
        force: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        v = parse_version(version)
        target = Stage.canonical(stage)
        if archive_existing_versions and target not in _ARCHIVING_STAGES:
            raise InvalidParameterValue(
                f"Model version transition cannot archive existing model versions because "
                f"'{target}' is not an active stage. Valid stages for "
                f"'archive_existing_versions' are {list(_ARCHIVING_STAGES)}"
            )
        now = now_ms()
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            current = self._current_stage(conn, pk, name, v)
            return self._move_stage(
                conn, pk, name, v, current, target, archive_existing_versions, now
            )

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        v = parse_version(version)
        with read_conn(self.engine) as conn:
            pk = model_pk(conn, name)
            row = conn.execute(
                select(_mv.c.storage_location, _mv.c.source).where(
                    _mv.c.model_pk == pk, _mv.c.version == v
                )
            ).first()
            if row is None:
                raise ResourceDoesNotExist(f"Model Version (name={name}, version={v}) not found")
            return row.storage_location or row.source or ""

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        from modelyard.store.registry.sql_search import search_model_version_keys

        with read_conn(self.engine) as conn:
            keys, token = search_model_version_keys(
                conn, filter_string, max_results, order_by, page_token
            )
            keys = [(int(pk), int(v)) for pk, v in keys]
            return PagedList(load_model_versions(conn, keys), token)

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: str) -> None:
        v = parse_version(version)
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            version_exists(conn, pk, v, name)
            where = (_mvt.c.model_pk == pk, _mvt.c.version == v, _mvt.c.key == key)
            conn.execute(delete(_mvt).where(*where))
            conn.execute(insert(_mvt).values(model_pk=pk, version=v, key=key, value=value))

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        v = parse_version(version)
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            version_exists(conn, pk, v, name)
            conn.execute(
                delete(_mvt).where(_mvt.c.model_pk == pk, _mvt.c.version == v, _mvt.c.key == key)
            )

    # ------------------------------------------------------------ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        v = parse_version(version)
        now = now_ms()
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            version_exists(conn, pk, v, name)
            old = conn.execute(
                select(_al.c.version).where(_al.c.model_pk == pk, _al.c.alias == alias)
            ).scalar()
            if old == v:
                return
            if old is not None:
                audit.record(
                    conn,
                    model_pk=pk,
                    name=name,
                    version=int(old),
                    kind=audit.KIND_ALIAS_DELETED,
                    from_value=alias,
                    to_value=None,
                    timestamp=now,
                )
                conn.execute(
                    update(_al).where(_al.c.model_pk == pk, _al.c.alias == alias).values(version=v)
                )
            else:
                conn.execute(insert(_al).values(model_pk=pk, alias=alias, version=v))
            audit.record(
                conn,
                model_pk=pk,
                name=name,
                version=v,
                kind=audit.KIND_ALIAS_SET,
                from_value=None,
                to_value=alias,
                timestamp=now,
            )

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        with write_tx(self.engine) as conn:
            pk = model_pk(conn, name, for_update=True)
            old = conn.execute(
                select(_al.c.version).where(_al.c.model_pk == pk, _al.c.alias == alias)
            ).scalar()
            if old is None:
                return
            conn.execute(delete(_al).where(_al.c.model_pk == pk, _al.c.alias == alias))
            audit.record(
                conn,
                model_pk=pk,
                name=name,
                version=int(old),
                kind=audit.KIND_ALIAS_DELETED,
                from_value=alias,
                to_value=None,
                timestamp=now_ms(),
            )

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        with read_conn(self.engine) as conn:
            pk = model_pk(conn, name)
            if alias.lower() == "latest":
                keys = latest_version_keys(conn, [pk])
                if not keys:
                    raise ResourceDoesNotExist(f"Latest version not found for model {name}.")
                return self._load_one(conn, pk, max(v for _, v in keys), name)
            v = conn.execute(
                select(_al.c.version).where(_al.c.model_pk == pk, _al.c.alias == alias)
            ).scalar()
            if v is None:
                raise InvalidParameterValue(f"Registered model alias {alias} not found.")
            return self._load_one(conn, pk, int(v), name)

    # ------------------------------------------------------------ audit trail
    def get_model_history(
        self, name: str, version: str | int | None = None
    ) -> list[StageTransition]:
        v = None if version is None else parse_version(version)
        with read_conn(self.engine) as conn:
            return audit.history(conn, model_pk(conn, name), v)

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _load_one(conn: Connection, pk: int, version: int, name: str) -> ModelVersion:
        found = load_model_versions(conn, [(pk, version)])
        if not found:
            raise ResourceDoesNotExist(f"Model Version (name={name}, version={version}) not found")
        return found[0]

    @staticmethod
    def _current_stage(conn: Connection, pk: int, name: str, version: int) -> str:
        current = conn.execute(
            select(_mv.c.current_stage).where(_mv.c.model_pk == pk, _mv.c.version == version)
        ).scalar()
        if current is None:
            raise ResourceDoesNotExist(f"Model Version (name={name}, version={version}) not found")
        return str(current)

    @classmethod
    def _move_stage(
        cls,
        conn: Connection,
        pk: int,
        name: str,
        version: int,
        current: str,
        target: str,
        archive_existing_versions: bool,
        now: int,
        user_id: str | None = None,
    ) -> ModelVersion:
        """Archive the other versions in ``target`` (when asked), move ``version`` from
        ``current`` to ``target`` (audited as ``user_id``), touch the model; the moved version."""
        if archive_existing_versions:
            others = conn.execute(
                select(_mv.c.version).where(
                    _mv.c.model_pk == pk, _mv.c.version != version, _mv.c.current_stage == target
                )
            ).scalars()
            for other in sorted(others):
                cls._set_stage(conn, pk, name, other, target, Stage.ARCHIVED, now, user_id)
        cls._set_stage(conn, pk, name, version, current, target, now, user_id)
        conn.execute(update(_rm).where(_rm.c.id == pk).values(last_updated_time=now))
        return cls._load_one(conn, pk, version, name)

    @staticmethod
    def _set_stage(
        conn: Connection,
        pk: int,
        name: str,
        version: int,
        old: str,
        new: str,
        now: int,
        user_id: str | None = None,
    ) -> None:
        conn.execute(
            update(_mv)
            .where(_mv.c.model_pk == pk, _mv.c.version == version)
            .values(current_stage=new, last_updated_time=now)
        )
        if old != new:
            audit.record(
                conn,
                model_pk=pk,
                name=name,
                version=version,
                kind=audit.KIND_STAGE,
                from_value=old,
                to_value=new,
                timestamp=now,
                user_id=user_id,
            )


def _already_exists(name: str) -> ResourceAlreadyExists:
    return ResourceAlreadyExists(f"Registered Model (name={name}) already exists.")
