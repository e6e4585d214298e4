"""The jobs store (job definitions, job and task runs) and the Jobs API service over it.

``SqlJobStore(db_uri)`` keeps jobs in the tracking database (migration 0003);
``JobService(store)`` validates settings and answers in the Databricks Jobs API 2.1 shapes.
"""

from __future__ import annotations

from modelyard.store.jobs.base import (
    ACTIVE_STATES,
    LIFE_CYCLE_STATES,
    RESULT_STATES,
    Job,
    JobRun,
    JobStore,
)

__all__ = [
    "ACTIVE_STATES",
    "LIFE_CYCLE_STATES",
    "RESULT_STATES",
    "Job",
    "JobRun",
    "JobStore",
    "get_job_store",
]


def get_job_store(db_uri: str) -> JobStore:
    """The jobs store of a SQL database URI (SQLite or PostgreSQL)."""
    from modelyard.errors import InvalidParameterValue
    from modelyard.store.sql.engine import is_sql_uri

    if not is_sql_uri(db_uri):
        raise InvalidParameterValue(
            f"Jobs live in a SQL tracking database; {db_uri!r} is not a database URI "
            "(use the REST API of the server for remote jobs)."
        )
    from modelyard.store.jobs.sql import SqlJobStore

    return SqlJobStore(db_uri)
