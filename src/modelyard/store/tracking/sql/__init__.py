"""The SQL tracking store (SQLite and PostgreSQL), built on SQLAlchemy Core.

``SqlTrackingStore(db_uri, default_artifact_root)`` implements
:class:`~modelyard.store.tracking.base.TrackingStore`. The pieces live in private modules, one
concern each: experiments, runs, logging (params/tags/metrics), logged models, traces and bulk
hydration. Searches are delegated to :mod:`modelyard.store.tracking.sql.search`, which turns a
filter into one SQL query returning ids; this package then loads the entities in bulk.
"""

from __future__ import annotations

from modelyard.store.tracking.base import TrackingStore
from modelyard.store.tracking.sql._experiments import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    ExperimentsMixin,
)
from modelyard.store.tracking.sql._logged_models import LoggedModelsMixin
from modelyard.store.tracking.sql._logging import LoggingMixin
from modelyard.store.tracking.sql._runs import RUN_NAME_TAG, RunsMixin
from modelyard.store.tracking.sql._traces import TracesMixin

__all__ = ["DEFAULT_EXPERIMENT_ID", "DEFAULT_EXPERIMENT_NAME", "RUN_NAME_TAG", "SqlTrackingStore"]


class SqlTrackingStore(
    ExperimentsMixin, RunsMixin, LoggingMixin, LoggedModelsMixin, TracesMixin, TrackingStore
):
    """Tracking store on a SQL database.

    The schema is created (or, for SQLite, migrated) on first use; the ``Default`` experiment
    ``"0"`` exists from the start, with its artifacts under ``<default_artifact_root>/0``.
    """

    def __init__(self, db_uri: str, default_artifact_root: str) -> None:
        super().__init__(db_uri, default_artifact_root)
        self.ensure_default_experiment()

    def __repr__(self) -> str:
        safe = self.engine.url.render_as_string(hide_password=True)
        return f"SqlTrackingStore({safe!r}, {self.default_artifact_root!r})"
