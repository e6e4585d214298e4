"""MLflow 3 logged models in the SQL tracking store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, delete, select, update

from modelyard.entities import LifecycleStage, LoggedModel, LoggedModelStatus, Metric, PagedList
from modelyard.errors import ResourceDoesNotExist
from modelyard.store.sql import schema as s
from modelyard.store.sql.engine import read_conn, write_tx
from modelyard.store.tracking.sql._base import SqlBase, chunked
from modelyard.store.tracking.sql._hydrate import metric_value
from modelyard.utils.names import generate_run_name, new_model_id
from modelyard.utils.time import now_ms

__all__ = ["LoggedModelsMixin"]

_LM = s.logged_models


def _pairs(items: Sequence[Any] | None) -> dict[str, str]:
    """``(key, value)`` tuples or objects with ``key``/``value``; the last value of a key wins."""
    out: dict[str, str] = {}
    for item in items or ():
        key, value = (item.key, item.value) if hasattr(item, "key") else item
        out[key] = value
    return out


class LoggedModelsMixin(SqlBase):
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
        params: Sequence[tuple[str, str]] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        model_id = new_model_id()
        now = now_ms()
        with write_tx(self.engine) as conn:
            exp = self.experiment_row(conn, experiment_id)
            self.check_experiment_active(exp)
            conn.execute(
                _LM.insert(),
                {
                    "model_id": model_id,
                    "experiment_id": exp.experiment_id,
                    "name": name or generate_run_name(),
                    "artifact_location": (
                        f"{exp.artifact_location.rstrip('/')}/models/{model_id}/artifacts"
                    ),
                    "creation_timestamp": now,
                    "last_updated_timestamp": now,
                    "status": LoggedModelStatus.PENDING,
                    "status_message": None,
                    "model_type": model_type,
                    "source_run_id": source_run_id,
                    "creator_id": None,
                    "lifecycle_stage": LifecycleStage.ACTIVE,
                },
            )
            self._put_pairs(conn, s.logged_model_tags, model_id, _pairs(tags))
            self._put_pairs(conn, s.logged_model_params, model_id, _pairs(params))
            return self.load_logged_models(conn, [model_id])[0]

    def _put_pairs(
        self, conn: Connection, table: Any, model_id: str, pairs: dict[str, str]
    ) -> None:
        if pairs:
            conn.execute(
                self.upsert(table, ["model_id", "key"], ["value"]),
                [{"model_id": model_id, "key": k, "value": v} for k, v in pairs.items()],
            )

    def _model_row(self, conn: Connection, model_id: str, allow_deleted: bool = False) -> Row[Any]:
        row = conn.execute(select(_LM).where(_LM.c.model_id == model_id)).first()
        if row is None or (row.lifecycle_stage == LifecycleStage.DELETED and not allow_deleted):
            raise ResourceDoesNotExist(f"Logged model with ID '{model_id}' not found.")
        return row

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        with read_conn(self.engine) as conn:
            self._model_row(conn, model_id, allow_deleted)
            return self.load_logged_models(conn, [model_id])[0]

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        status = LoggedModelStatus.coerce(status)
        with write_tx(self.engine) as conn:
            self._model_row(conn, model_id)
            conn.execute(
                update(_LM)
                .where(_LM.c.model_id == model_id)
                .values(status=status, last_updated_timestamp=now_ms())
            )
            return self.load_logged_models(conn, [model_id])[0]

    def set_logged_model_tags(self, model_id: str, tags: Sequence[tuple[str, str]]) -> None:
        with write_tx(self.engine) as conn:
            self._model_row(conn, model_id)
            self._put_pairs(conn, s.logged_model_tags, model_id, _pairs(tags))
            self._touch(conn, model_id)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        t = s.logged_model_tags
        with write_tx(self.engine) as conn:
            self._model_row(conn, model_id)
            result = conn.execute(delete(t).where(t.c.model_id == model_id, t.c.key == key))
            if result.rowcount == 0:
                raise ResourceDoesNotExist(
                    f"No tag with key {key!r} found for logged model with ID '{model_id}'."
                )
            self._touch(conn, model_id)

    def log_logged_model_params(self, model_id: str, params: Sequence[tuple[str, str]]) -> None:
        with write_tx(self.engine) as conn:
            self._model_row(conn, model_id)
            self._put_pairs(conn, s.logged_model_params, model_id, _pairs(params))
            self._touch(conn, model_id)

    def delete_logged_model(self, model_id: str) -> None:
        with write_tx(self.engine) as conn:
            self._model_row(conn, model_id)
            conn.execute(
                update(_LM)
                .where(_LM.c.model_id == model_id)
                .values(lifecycle_stage=LifecycleStage.DELETED, last_updated_timestamp=now_ms())
            )

    def _touch(self, conn: Connection, model_id: str) -> None:
        conn.execute(
            update(_LM).where(_LM.c.model_id == model_id).values(last_updated_timestamp=now_ms())
        )

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[dict[str, object]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        from modelyard.store.tracking.sql.search import search_logged_model_ids

        with read_conn(self.engine) as conn:
            ids, token = search_logged_model_ids(
                conn,
                [str(e) for e in experiment_ids],
                filter_string,
                max_results,
                order_by,
                page_token,
            )
            return PagedList(self.load_logged_models(conn, ids), token)

    def load_logged_models(self, conn: Connection, model_ids: Sequence[str]) -> list[LoggedModel]:
        """Models in the order of ``model_ids`` (unknown ids skipped), in bulk queries."""
        found: dict[str, LoggedModel] = {}
        for chunk in chunked(list(dict.fromkeys(model_ids)), self.max_in):
            for r in conn.execute(select(_LM).where(self.where_in(_LM.c.model_id, chunk))):
                found[r.model_id] = LoggedModel(
                    model_id=r.model_id,
                    experiment_id=str(r.experiment_id),
                    name=r.name,
                    artifact_location=r.artifact_location,
                    creation_timestamp=r.creation_timestamp,
                    last_updated_timestamp=r.last_updated_timestamp,
                    status=r.status,
                    status_message=r.status_message,
                    model_type=r.model_type,
                    source_run_id=r.source_run_id,
                    creator_id=r.creator_id,
                )
            tt, pt, m = s.logged_model_tags, s.logged_model_params, s.metrics
            for r in conn.execute(select(tt).where(self.where_in(tt.c.model_id, chunk))):
                found[r.model_id].tags[r.key] = r.value if r.value is not None else ""
            for r in conn.execute(select(pt).where(self.where_in(pt.c.model_id, chunk))):
                found[r.model_id].params[r.key] = r.value
            query = (
                select(m)
                .where(self.where_in(m.c.model_id, chunk))
                .order_by(m.c.key, m.c.timestamp, m.c.step, m.c.value)
            )
            for r in conn.execute(query):
                if r.model_id in found:
                    found[r.model_id].metrics.append(
                        Metric(
                            key=r.key,
                            value=metric_value(r.value, r.is_nan),
                            timestamp=r.timestamp,
                            step=r.step,
                            run_id=r.run_uuid,
                            model_id=r.model_id,
                            dataset_name=r.dataset_name,
                            dataset_digest=r.dataset_digest,
                        )
                    )
        return [found[i] for i in model_ids if i in found]
