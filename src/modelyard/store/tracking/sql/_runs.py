"""Runs of the SQL tracking store: create, read, update, lifecycle, tags, inputs and outputs."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update

from modelyard.entities import (
    DatasetInput,
    DatasetSummary,
    LifecycleStage,
    LoggedModelInput,
    LoggedModelOutput,
    PagedList,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
    ViewType,
)
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.store.sql import schema as s
from modelyard.store.sql.engine import read_conn, write_tx
from modelyard.store.tracking.base import SEARCH_DATASETS_MAX_RESULTS, SEARCH_MAX_RESULTS_DEFAULT
from modelyard.store.tracking.sql._base import SqlBase, parse_experiment_id
from modelyard.store.tracking.sql._hydrate import load_runs, run_info_from_row
from modelyard.store.tracking.sql._raw import cursor, insert_many, sql
from modelyard.store.tracking.sql.search import count_run_ids, search_run_ids
from modelyard.utils.names import generate_run_name, new_run_id
from modelyard.utils.time import now_ms

#: The input tag that says what a dataset was used for ("training", "eval", ...)
DATASET_CONTEXT_TAG = "mlflow.data.context"

__all__ = ["RUN_NAME_TAG", "RunsMixin"]

RUN_NAME_TAG = "mlflow.runName"
_R = s.runs
_EXPERIMENT_FOR_RUN = (
    "SELECT experiment_id, artifact_location, lifecycle_stage FROM experiments "
    "WHERE experiment_id = ?"
)
_RUN_INSERT = (
    "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, "
    "lifecycle_stage, artifact_uri, deleted_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _resolve_run_name(run_name: str | None, tags: Sequence[RunTag]) -> str:
    tag_name = next((t.value for t in reversed(tags) if t.key == RUN_NAME_TAG), None)
    if run_name and tag_name and run_name != tag_name:
        raise InvalidParameterValue(
            f"Both 'run_name' argument and '{RUN_NAME_TAG}' tag are specified, but with "
            f"different values (run_name='{run_name}', {RUN_NAME_TAG}='{tag_name}')."
        )
    return run_name or tag_name or generate_run_name()


class RunsMixin(SqlBase):
    def create_run(
        self,
        experiment_id: str,
        user_id: str | None,
        start_time: int | None,
        tags: Sequence[RunTag],
        run_name: str | None,
    ) -> Run:
        tags = list(tags or ())
        name = _resolve_run_name(run_name, tags)
        run_id = new_run_id()
        exp_id = parse_experiment_id(experiment_id)
        dialect = self.dialect
        with write_tx(self.engine) as conn:
            cur = cursor(conn)
            cur.execute(sql(_EXPERIMENT_FOR_RUN, dialect), (exp_id,))
            exp = cur.fetchone()
            if exp is None:
                raise ResourceDoesNotExist(f"No Experiment with id={experiment_id} exists")
            if exp[2] != LifecycleStage.ACTIVE:
                raise InvalidParameterValue(
                    f"The experiment {exp[0]} must be in the 'active' state. "
                    f"Current state is {exp[2]}."
                )
            start = start_time if start_time is not None else now_ms()
            artifact_uri = f"{exp[1].rstrip('/')}/{run_id}/artifacts"
            cur.execute(
                sql(_RUN_INSERT, dialect),
                (
                    run_id,
                    name,
                    exp[0],
                    user_id,
                    RunStatus.RUNNING,
                    start,
                    None,
                    LifecycleStage.ACTIVE,
                    artifact_uri,
                    None,
                ),
            )
            values = {t.key: t.value for t in tags}
            values[RUN_NAME_TAG] = name
            tag_rows = sorted((run_id, k, v) for k, v in values.items())
            insert_many(cur, dialect, 'INSERT INTO tags (run_uuid, "key", "value")', 3, tag_rows)
        # the run as inserted: no read-back
        info = RunInfo(
            run_id=run_id,
            experiment_id=str(exp[0]),
            run_name=name,
            user_id=user_id or "",
            status=RunStatus.RUNNING,
            start_time=start,
            end_time=None,
            artifact_uri=artifact_uri,
            lifecycle_stage=LifecycleStage.ACTIVE,
        )
        data = RunData(tags={k: v if v is not None else "" for _, k, v in tag_rows})
        return Run(info=info, data=data, inputs=RunInputs(), outputs=RunOutputs())

    def get_run(self, run_id: str) -> Run:
        # one read transaction: the queries of the hydration see one snapshot
        with read_conn(self.engine) as conn, conn.begin():
            found = load_runs(conn, [run_id], self.max_in)
        if not found:
            raise ResourceDoesNotExist(f"Run with id={run_id} not found")
        return found[0]

    def update_run_info(
        self,
        run_id: str,
        run_status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        values: dict[str, Any] = {}
        if run_status is not None:
            values["status"] = RunStatus.coerce(run_status)
        if end_time is not None:
            values["end_time"] = end_time
        if run_name:
            values["name"] = run_name
        with write_tx(self.engine) as conn:
            self.active_run_row(conn, run_id)
            if values:
                conn.execute(update(_R).where(_R.c.run_uuid == run_id).values(**values))
            if run_name:
                conn.execute(
                    self.upsert(s.tags, ["run_uuid", "key"], ["value"]),
                    {"run_uuid": run_id, "key": RUN_NAME_TAG, "value": run_name},
                )
            return run_info_from_row(self.run_row(conn, run_id))

    def _set_run_stage(self, run_id: str, target: str) -> None:
        with write_tx(self.engine) as conn:
            self.run_row(conn, run_id)
            deleted_time = now_ms() if target == LifecycleStage.DELETED else None
            conn.execute(
                update(_R)
                .where(_R.c.run_uuid == run_id)
                .values(lifecycle_stage=target, deleted_time=deleted_time)
            )

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.ACTIVE)

    def delete_tag(self, run_id: str, key: str) -> None:
        with write_tx(self.engine) as conn:
            self.active_run_row(conn, run_id)
            t = s.tags
            result = conn.execute(delete(t).where(t.c.run_uuid == run_id).where(t.c.key == key))
            if result.rowcount == 0:
                raise ResourceDoesNotExist(f"No tag with name: {key} in run with id {run_id}")

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        with read_conn(self.engine) as conn:
            ids, token = search_run_ids(
                conn,
                [str(e) for e in experiment_ids],
                filter_string,
                ViewType.coerce(run_view_type),
                max_results,
                order_by,
                page_token,
            )
            return PagedList(load_runs(conn, ids, self.max_in), token)

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        with read_conn(self.engine) as conn:
            return count_run_ids(
                conn,
                [str(e) for e in experiment_ids],
                filter_string,
                ViewType.coerce(run_view_type),
            )

    # ------------------------------------------------------------------ inputs / outputs
    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] = (),
        models: Sequence[LoggedModelInput] = (),
    ) -> None:
        dataset_rows: dict[tuple[str, str], dict[str, Any]] = {}
        for item in datasets or ():
            ds = item.dataset
            dataset_rows[(ds.name, ds.digest)] = {
                "run_uuid": run_id,
                "name": ds.name,
                "digest": ds.digest,
                "source_type": ds.source_type,
                "source": ds.source,
                "schema": ds.schema,
                "profile": ds.profile,
                "tags_json": json.dumps([[t.key, t.value] for t in item.tags]),
            }
        model_rows = [
            {"run_uuid": run_id, "model_id": m.model_id} for m in dict.fromkeys(models or (), None)
        ]
        with write_tx(self.engine) as conn:
            self.active_run_row(conn, run_id)
            if dataset_rows:
                conn.execute(
                    self.upsert(
                        s.run_dataset_inputs,
                        ["run_uuid", "name", "digest"],
                        ["source_type", "source", "schema", "profile", "tags_json"],
                    ),
                    list(dataset_rows.values()),
                )
            if model_rows:
                conn.execute(self.insert_ignore(s.run_model_inputs), model_rows)

    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
        ids: list[int] = []
        for experiment_id in experiment_ids:
            try:
                ids.append(parse_experiment_id(experiment_id))
            except ResourceDoesNotExist:
                continue  # an id that names no experiment has no datasets
        if not ids:
            return []
        d, r = s.run_dataset_inputs, s.runs
        query = (
            select(r.c.experiment_id, d.c.name, d.c.digest, d.c.tags_json)
            .select_from(d.join(r, r.c.run_uuid == d.c.run_uuid))
            .where(r.c.experiment_id.in_(ids), r.c.lifecycle_stage == "active")
            .order_by(r.c.experiment_id, d.c.name, d.c.digest)
        )
        found: dict[tuple[str, str, str, str | None], None] = {}
        with read_conn(self.engine) as conn:
            for experiment_id, name, digest, tags_json in conn.execute(query):
                tags = dict(json.loads(tags_json)) if tags_json else {}
                key = (str(experiment_id), name, digest, tags.get(DATASET_CONTEXT_TAG))
                found.setdefault(key, None)
                if len(found) >= SEARCH_DATASETS_MAX_RESULTS:
                    break
        return [DatasetSummary(*key) for key in found]

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        rows = {
            m.model_id: {"run_uuid": run_id, "model_id": m.model_id, "step": m.step} for m in models
        }
        with write_tx(self.engine) as conn:
            self.active_run_row(conn, run_id)
            if rows:
                conn.execute(
                    self.upsert(s.run_model_outputs, ["run_uuid", "model_id"], ["step"]),
                    list(rows.values()),
                )
