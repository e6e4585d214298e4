"""Experiments of the SQL tracking store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from modelyard.entities import Experiment, LifecycleStage, PagedList, ViewType
from modelyard.errors import (
    InvalidParameterValue,
    InvalidState,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
)
from modelyard.store.sql import schema as s
from modelyard.store.sql.engine import read_conn, write_tx
from modelyard.store.tracking.base import EXPERIMENTS_MAX_RESULTS_DEFAULT
from modelyard.store.tracking.sql._base import (
    SqlBase,
    artifact_location_for,
    parse_experiment_id,
)
from modelyard.store.tracking.sql._hydrate import load_experiments
from modelyard.utils.time import now_ms

__all__ = ["DEFAULT_EXPERIMENT_ID", "DEFAULT_EXPERIMENT_NAME", "ExperimentsMixin"]

DEFAULT_EXPERIMENT_ID = 0
DEFAULT_EXPERIMENT_NAME = "Default"
_E = s.experiments


class ExperimentsMixin(SqlBase):
    def ensure_default_experiment(self) -> None:
        with read_conn(self.engine) as conn:
            found = conn.execute(
                select(_E.c.experiment_id).where(_E.c.experiment_id == DEFAULT_EXPERIMENT_ID)
            ).first()
        if found is not None:
            return
        now = now_ms()
        with write_tx(self.engine) as conn:
            conn.execute(
                self.insert_ignore(_E),
                {
                    "experiment_id": DEFAULT_EXPERIMENT_ID,
                    "name": DEFAULT_EXPERIMENT_NAME,
                    "artifact_location": artifact_location_for(
                        self.default_artifact_root, DEFAULT_EXPERIMENT_ID
                    ),
                    "lifecycle_stage": LifecycleStage.ACTIVE,
                    "creation_time": now,
                    "last_update_time": now,
                },
            )

    # ------------------------------------------------------------------ create / read
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
    ) -> str:
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameterValue(
                "Invalid experiment name: 'name' must be a non-empty string"
            )
        now = now_ms()
        try:
            with write_tx(self.engine) as conn:
                taken = conn.execute(select(_E.c.experiment_id).where(_E.c.name == name)).first()
                if taken is not None:
                    raise ResourceAlreadyExists(
                        f"Experiment(name={name}) already exists (it may be deleted; "
                        "deleted experiments keep their names)."
                    )
                result = conn.execute(
                    _E.insert(),
                    {
                        "name": name,
                        "artifact_location": artifact_location or "",
                        "lifecycle_stage": LifecycleStage.ACTIVE,
                        "creation_time": now,
                        "last_update_time": now,
                    },
                )
                primary_key = result.inserted_primary_key
                assert primary_key is not None
                exp_id = int(primary_key[0])
                if not artifact_location:
                    conn.execute(
                        update(_E)
                        .where(_E.c.experiment_id == exp_id)
                        .values(
                            artifact_location=artifact_location_for(
                                self.default_artifact_root, exp_id
                            )
                        )
                    )
                tag_rows = _tag_rows(exp_id, tags)
                if tag_rows:
                    conn.execute(
                        self.upsert(s.experiment_tags, ["experiment_id", "key"], ["value"]),
                        tag_rows,
                    )
        except IntegrityError:
            raise ResourceAlreadyExists(f"Experiment(name={name}) already exists") from None
        return str(exp_id)

    def get_experiment(self, experiment_id: str) -> Experiment:
        exp_id = parse_experiment_id(experiment_id)
        with read_conn(self.engine) as conn:
            found = load_experiments(conn, [exp_id], 1)
        if not found:
            raise ResourceDoesNotExist(f"No Experiment with id={experiment_id} exists")
        return found[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with read_conn(self.engine) as conn:
            row = conn.execute(select(_E.c.experiment_id).where(_E.c.name == name)).first()
            if row is None:
                return None
            found = load_experiments(conn, [int(row[0])], 1)
        return found[0] if found else None

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = EXPERIMENTS_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        from modelyard.store.tracking.sql.search import search_experiment_ids

        with read_conn(self.engine) as conn:
            ids, token = search_experiment_ids(
                conn, ViewType.coerce(view_type), max_results, filter_string, order_by, page_token
            )
            return PagedList(load_experiments(conn, [int(i) for i in ids], self.max_in), token)

    # ------------------------------------------------------------------ lifecycle
    def _set_experiment_stage(self, experiment_id: str, current: str, target: str) -> None:
        now = now_ms()
        with write_tx(self.engine) as conn:
            row = self.experiment_row(conn, experiment_id)
            if row.lifecycle_stage != current:
                raise ResourceDoesNotExist(
                    f"No {current} Experiment with id={experiment_id} exists "
                    f"(its lifecycle_stage is {row.lifecycle_stage!r})"
                )
            conn.execute(
                update(_E)
                .where(_E.c.experiment_id == row.experiment_id)
                .values(lifecycle_stage=target, last_update_time=now)
            )
            # the experiment's runs follow it into (and out of) the bin
            conn.execute(
                update(s.runs)
                .where(s.runs.c.experiment_id == row.experiment_id)
                .where(s.runs.c.lifecycle_stage == current)
                .values(
                    lifecycle_stage=target,
                    deleted_time=now if target == LifecycleStage.DELETED else None,
                )
            )

    def delete_experiment(self, experiment_id: str) -> None:
        self._set_experiment_stage(experiment_id, LifecycleStage.ACTIVE, LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        self._set_experiment_stage(experiment_id, LifecycleStage.DELETED, LifecycleStage.ACTIVE)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        if not isinstance(new_name, str) or not new_name.strip():
            raise InvalidParameterValue(
                "Invalid experiment name: 'new_name' must be a non-empty string"
            )
        try:
            with write_tx(self.engine) as conn:
                row = self.experiment_row(conn, experiment_id)
                if row.lifecycle_stage != LifecycleStage.ACTIVE:
                    raise InvalidState(
                        f"Cannot rename the experiment {experiment_id}: it is not active "
                        f"(lifecycle_stage {row.lifecycle_stage!r})."
                    )
                if new_name == row.name:
                    return
                taken = conn.execute(
                    select(_E.c.experiment_id).where(_E.c.name == new_name)
                ).first()
                if taken is not None:
                    raise ResourceAlreadyExists(f"Experiment(name={new_name}) already exists")
                conn.execute(
                    update(_E)
                    .where(_E.c.experiment_id == row.experiment_id)
                    .values(name=new_name, last_update_time=now_ms())
                )
        except IntegrityError:
            raise ResourceAlreadyExists(f"Experiment(name={new_name}) already exists") from None

    # ------------------------------------------------------------------ tags
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        with write_tx(self.engine) as conn:
            row = self.experiment_row(conn, experiment_id)
            self.check_experiment_active(row)
            conn.execute(
                self.upsert(s.experiment_tags, ["experiment_id", "key"], ["value"]),
                {"experiment_id": row.experiment_id, "key": key, "value": value},
            )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        with write_tx(self.engine) as conn:
            row = self.experiment_row(conn, experiment_id)
            self.check_experiment_active(row)
            t = s.experiment_tags
            result = conn.execute(
                delete(t).where(t.c.experiment_id == row.experiment_id).where(t.c.key == key)
            )
            if result.rowcount == 0:
                raise ResourceDoesNotExist(
                    f"No tag with name: {key} in experiment with id {experiment_id}"
                )


def _tag_rows(exp_id: int, tags: Sequence[Any] | None) -> list[dict[str, Any]]:
    """``(key, value)`` tuples or ``ExperimentTag``-like objects; the last value of a key wins."""
    rows: dict[str, dict[str, Any]] = {}
    for tag in tags or ():
        key, value = (tag.key, tag.value) if hasattr(tag, "key") else tag
        rows[key] = {"experiment_id": exp_id, "key": key, "value": value}
    return list(rows.values())
