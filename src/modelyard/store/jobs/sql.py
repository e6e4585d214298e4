"""The jobs store on SQLite or PostgreSQL (SQLAlchemy Core, the tracking database).

Exactly-once rules live in single statements: a schedule fires by inserting the run row for
(job_id, scheduled_time), which the unique constraint allows once, together with a conditional
UPDATE of the job's cursor; a pending run is claimed with ``UPDATE ... WHERE life_cycle_state =
'PENDING'`` and only the process whose update changed the row runs it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.store.jobs.base import ACTIVE_STATES, Job, JobRun, JobStore
from modelyard.store.sql import schema
from modelyard.store.sql.engine import make_engine, read_conn, write_tx
from modelyard.store.sql.migrate import ensure_schema

__all__ = ["SqlJobStore"]

_jobs = schema.jobs
_runs = schema.job_runs
_RUN_FIELDS = {
    "life_cycle_state",
    "result_state",
    "state_message",
    "start_time",
    "end_time",
    "mlflow_run_id",
    "log_location",
    "worker_id",
    "heartbeat_time",
    "cancel_requested",
    "settings",
    "run_name",
}


def _job(row: Any) -> Job:
    return Job(
        job_id=row.job_id,
        name=row.name,
        settings=json.loads(row.settings),
        created_time=row.created_time,
        creator_user_name=row.creator_user_name,
        schedule_active=bool(row.schedule_active),
        schedule_cursor=row.schedule_cursor,
    )


def _run(row: Any, tasks: Sequence[JobRun] = ()) -> JobRun:
    return JobRun(
        run_id=row.run_id,
        job_id=row.job_id,
        trigger=row.trigger,
        life_cycle_state=row.life_cycle_state,
        created_time=row.created_time,
        parent_run_id=row.parent_run_id,
        task_key=row.task_key,
        attempt_number=row.attempt_number,
        scheduled_time=row.scheduled_time,
        run_name=row.run_name,
        result_state=row.result_state,
        state_message=row.state_message,
        start_time=row.start_time,
        end_time=row.end_time,
        job_parameters=json.loads(row.job_parameters) if row.job_parameters else {},
        settings=json.loads(row.settings) if row.settings else {},
        mlflow_run_id=row.mlflow_run_id,
        log_location=row.log_location,
        worker_id=row.worker_id,
        heartbeat_time=row.heartbeat_time,
        cancel_requested=bool(row.cancel_requested),
        tasks=tuple(tasks),
    )


def _as_int(value: Any, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidParameterValue(f"Invalid value {value!r} for parameter '{field}'.") from None
    if not -(2**31) <= number < 2**31:
        raise ResourceDoesNotExist(f"No {field.split('_')[0]} with id {value}.")
    return number


class SqlJobStore(JobStore):
    """``SqlJobStore("sqlite:///mlruns.db")`` or ``("postgresql://...")``."""

    def __init__(self, db_uri: str) -> None:
        self.db_uri = db_uri
        self.engine = make_engine(db_uri)
        ensure_schema(self.engine)

    # ------------------------------------------------------------ jobs
    def create_job(
        self,
        settings: dict[str, Any],
        creator_user_name: str | None,
        now: int,
        schedule_active: bool,
    ) -> int:
        with write_tx(self.engine) as conn:
            result = conn.execute(
                insert(_jobs).values(
                    name=settings.get("name") or "Untitled",
                    settings=json.dumps(settings),
                    creator_user_name=creator_user_name,
                    created_time=now,
                    schedule_active=schedule_active,
                    schedule_cursor=now,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def _job_row(self, conn: Connection, job_id: int) -> Any:
        row = conn.execute(select(_jobs).where(_jobs.c.job_id == _as_int(job_id, "job_id"))).first()
        if row is None:
            raise ResourceDoesNotExist(f"Job {job_id} does not exist.")
        return row

    def get_job(self, job_id: int) -> Job:
        with read_conn(self.engine) as conn:
            return _job(self._job_row(conn, job_id))

    def list_jobs(
        self, limit: int, offset: int = 0, name: str | None = None
    ) -> tuple[list[Job], bool]:
        query = select(_jobs).order_by(_jobs.c.job_id).limit(limit + 1).offset(offset)
        if name:
            query = query.where(_jobs.c.name == name)
        with read_conn(self.engine) as conn:
            rows = conn.execute(query).fetchall()
        return [_job(r) for r in rows[:limit]], len(rows) > limit

    def replace_job_settings(
        self, job_id: int, settings: dict[str, Any], schedule_active: bool, now: int
    ) -> None:
        with write_tx(self.engine) as conn:
            row = self._job_row(conn, job_id)
            values: dict[str, Any] = {
                "name": settings.get("name") or "Untitled",
                "settings": json.dumps(settings),
                "schedule_active": schedule_active,
            }
            old = json.loads(row.settings).get("schedule")
            if schedule_active and (not row.schedule_active or old != settings.get("schedule")):
                values["schedule_cursor"] = now  # a new or resumed schedule fires from now on
            conn.execute(update(_jobs).where(_jobs.c.job_id == row.job_id).values(**values))

    def delete_job(self, job_id: int) -> None:
        with write_tx(self.engine) as conn:
            row = self._job_row(conn, job_id)
            conn.execute(delete(_runs).where(_runs.c.job_id == row.job_id))
            conn.execute(delete(_jobs).where(_jobs.c.job_id == row.job_id))

    def scheduled_jobs(self) -> list[Job]:
        with read_conn(self.engine) as conn:
            rows = conn.execute(
                select(_jobs).where(_jobs.c.schedule_active.is_(True)).order_by(_jobs.c.job_id)
            ).fetchall()
        return [_job(r) for r in rows]

    def fire_schedule(
        self,
        job_id: int,
        expected_cursor: int | None,
        scheduled_time: int,
        settings: dict[str, Any],
        job_parameters: dict[str, str],
        life_cycle_state: str,
        state_message: str | None,
        now: int,
    ) -> int | None:
        try:
            with write_tx(self.engine) as conn:
                cursor_match = (
                    _jobs.c.schedule_cursor.is_(None)
                    if expected_cursor is None
                    else _jobs.c.schedule_cursor == expected_cursor
                )
                moved = conn.execute(
                    update(_jobs)
                    .where(_jobs.c.job_id == job_id, cursor_match)
                    .values(schedule_cursor=scheduled_time)
                )
                if moved.rowcount != 1:
                    return None  # another scheduler advanced the cursor first
                result = conn.execute(
                    insert(_runs).values(
                        **self._run_values(
                            job_id,
                            "PERIODIC",
                            settings,
                            job_parameters,
                            now,
                            life_cycle_state=life_cycle_state,
                            state_message=state_message,
                        ),
                        scheduled_time=scheduled_time,
                    )
                )
                key = result.inserted_primary_key
                assert key is not None
                return int(key[0])
        except IntegrityError:  # the (job_id, scheduled_time) row exists: already fired
            return None

    # ------------------------------------------------------------ runs
    @staticmethod
    def _run_values(
        job_id: int,
        trigger: str,
        settings: dict[str, Any],
        job_parameters: dict[str, str],
        now: int,
        run_name: str | None = None,
        life_cycle_state: str = "PENDING",
        state_message: str | None = None,
        parent_run_id: int | None = None,
        task_key: str | None = None,
        attempt_number: int = 0,
    ) -> dict[str, Any]:
        terminal = life_cycle_state not in ACTIVE_STATES
        return {
            "job_id": job_id,
            "trigger": trigger,
            "settings": json.dumps(settings),
            "job_parameters": json.dumps(job_parameters),
            "created_time": now,
            "run_name": run_name,
            "life_cycle_state": life_cycle_state,
            "state_message": state_message,
            "parent_run_id": parent_run_id,
            "task_key": task_key,
            "attempt_number": attempt_number,
            "cancel_requested": False,
            "start_time": now if terminal else None,
            "end_time": now if terminal else None,
        }

    def create_run(
        self,
        job_id: int,
        trigger: str,
        settings: dict[str, Any],
        job_parameters: dict[str, str],
        now: int,
        run_name: str | None = None,
        life_cycle_state: str = "PENDING",
        state_message: str | None = None,
        parent_run_id: int | None = None,
        task_key: str | None = None,
        attempt_number: int = 0,
    ) -> int:
        with write_tx(self.engine) as conn:
            self._job_row(conn, job_id)
            result = conn.execute(
                insert(_runs).values(
                    **self._run_values(
                        job_id,
                        trigger,
                        settings,
                        job_parameters,
                        now,
                        run_name,
                        life_cycle_state,
                        state_message,
                        parent_run_id,
                        task_key,
                        attempt_number,
                    )
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def _with_tasks(self, conn: Connection, rows: Sequence[Any]) -> list[JobRun]:
        if not rows:
            return []
        ids = [r.run_id for r in rows]
        task_rows = conn.execute(
            select(_runs).where(_runs.c.parent_run_id.in_(ids)).order_by(_runs.c.run_id)
        ).fetchall()
        by_parent: dict[int, list[JobRun]] = {}
        for t in task_rows:
            by_parent.setdefault(t.parent_run_id, []).append(_run(t))
        return [_run(r, by_parent.get(r.run_id, ())) for r in rows]

    def get_run(self, run_id: int) -> JobRun:
        with read_conn(self.engine) as conn:
            row = conn.execute(
                select(_runs).where(_runs.c.run_id == _as_int(run_id, "run_id"))
            ).first()
            if row is None:
                raise ResourceDoesNotExist(f"Run {run_id} does not exist.")
            return self._with_tasks(conn, [row])[0]

    def list_runs(
        self,
        job_id: int | None,
        limit: int,
        offset: int = 0,
        active_only: bool = False,
        completed_only: bool = False,
    ) -> tuple[list[JobRun], bool]:
        query = (
            select(_runs)
            .where(_runs.c.parent_run_id.is_(None))
            .order_by(_runs.c.run_id.desc())
            .limit(limit + 1)
            .offset(offset)
        )
        if job_id is not None:
            query = query.where(_runs.c.job_id == _as_int(job_id, "job_id"))
        if active_only:
            query = query.where(_runs.c.life_cycle_state.in_(ACTIVE_STATES))
        if completed_only:
            query = query.where(_runs.c.life_cycle_state.not_in(ACTIVE_STATES))
        with read_conn(self.engine) as conn:
            rows = conn.execute(query).fetchall()
            return self._with_tasks(conn, rows[:limit]), len(rows) > limit

    def count_active_runs(self, job_id: int, exclude_run_id: int | None = None) -> int:
        query = select(func.count()).where(
            _runs.c.job_id == job_id,
            _runs.c.parent_run_id.is_(None),
            _runs.c.life_cycle_state.in_(ACTIVE_STATES),
        )
        if exclude_run_id is not None:
            query = query.where(_runs.c.run_id != exclude_run_id)
        with read_conn(self.engine) as conn:
            return int(conn.execute(query).scalar_one())

    def pending_run_ids(self, limit: int) -> list[int]:
        with read_conn(self.engine) as conn:
            rows = conn.execute(
                select(_runs.c.run_id)
                .where(_runs.c.parent_run_id.is_(None), _runs.c.life_cycle_state == "PENDING")
                .order_by(_runs.c.run_id)
                .limit(limit)
            ).fetchall()
        return [r.run_id for r in rows]

    def claim_run(self, run_id: int, worker_id: str, now: int) -> bool:
        with write_tx(self.engine) as conn:
            result = conn.execute(
                update(_runs)
                .where(_runs.c.run_id == run_id, _runs.c.life_cycle_state == "PENDING")
                .values(
                    life_cycle_state="RUNNING",
                    worker_id=worker_id,
                    heartbeat_time=now,
                    start_time=now,
                )
            )
            return result.rowcount == 1

    def update_run(
        self,
        run_id: int,
        *,
        expected_states: Sequence[str] | None = None,
        **fields: Any,
    ) -> bool:
        unknown = set(fields) - _RUN_FIELDS
        if unknown:
            raise ValueError(f"unknown job run fields {sorted(unknown)}")
        if "settings" in fields:
            fields["settings"] = json.dumps(fields["settings"])
        query = update(_runs).where(_runs.c.run_id == run_id)
        if expected_states is not None:
            query = query.where(_runs.c.life_cycle_state.in_(list(expected_states)))
        with write_tx(self.engine) as conn:
            return conn.execute(query.values(**fields)).rowcount == 1

    def request_cancel(self, run_id: int) -> None:
        with write_tx(self.engine) as conn:
            conn.execute(
                update(_runs)
                .where(
                    or_(_runs.c.run_id == run_id, _runs.c.parent_run_id == run_id),
                    _runs.c.life_cycle_state.in_(ACTIVE_STATES),
                )
                .values(cancel_requested=True)
            )

    def heartbeat(self, worker_id: str, run_ids: Sequence[int], now: int) -> None:
        if not run_ids:
            return
        with write_tx(self.engine) as conn:
            conn.execute(
                update(_runs)
                .where(_runs.c.run_id.in_(list(run_ids)), _runs.c.worker_id == worker_id)
                .values(heartbeat_time=now)
            )

    def stale_runs(self, before: int) -> list[JobRun]:
        with read_conn(self.engine) as conn:
            rows = conn.execute(
                select(_runs)
                .where(
                    _runs.c.parent_run_id.is_(None),
                    _runs.c.life_cycle_state.in_(("RUNNING", "TERMINATING")),
                    _runs.c.heartbeat_time < before,
                )
                .order_by(_runs.c.run_id)
            ).fetchall()
            return self._with_tasks(conn, rows)
