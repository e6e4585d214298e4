"""The tracking store interface.

Small interfaces, every method abstract: a backend that cannot do something fails at import of
its class, not in front of a user. ``TrackingStore`` is the union that a backend implements
(SQL in ``store.tracking.sql``, REST in ``store.tracking.rest``); one contract suite
(``modelyard.testing.tracking_contract``) runs against each.

Stores enforce data integrity (unknown ids -> ResourceDoesNotExist, duplicate names ->
ResourceAlreadyExists, immutable params, logging only to active runs). Input validation (key
names, lengths, batch limits, truncation) lives in ``modelyard.services.tracking`` and runs before
a store is called, on the client and on the server alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from modelyard.entities import (
    DatasetInput,
    DatasetSummary,
    Experiment,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunTag,
    TraceInfo,
    ViewType,
)
from modelyard.errors import InvalidParameterValue

__all__ = [
    "EXPERIMENTS_MAX_RESULTS_DEFAULT",
    "SEARCH_DATASETS_MAX_EXPERIMENTS",
    "SEARCH_DATASETS_MAX_RESULTS",
    "SEARCH_MAX_RESULTS_DEFAULT",
    "SEARCH_MAX_RESULTS_THRESHOLD",
    "evenly_spaced_indices",
    "SEARCH_TRACES_MAX_RESULTS",
    "SEARCH_TRACES_MAX_RESULTS_DEFAULT",
    "ExperimentStore",
    "LoggedModelStore",
    "RunStore",
    "TraceStore",
    "TrackingStore",
    "count_runs_by_paging",
    "dedupe_params",
]

SEARCH_MAX_RESULTS_DEFAULT = 1000
#: MLflow's limits for ``SearchDatasets``
SEARCH_DATASETS_MAX_EXPERIMENTS = 20
SEARCH_DATASETS_MAX_RESULTS = 1000
SEARCH_MAX_RESULTS_THRESHOLD = 50000
EXPERIMENTS_MAX_RESULTS_DEFAULT = 1000
#: MLflow's page size limits for ``SearchTracesV3``
SEARCH_TRACES_MAX_RESULTS = 500
SEARCH_TRACES_MAX_RESULTS_DEFAULT = 100


class ExperimentStore(ABC):
    @abstractmethod
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
    ) -> str:
        """Create an experiment; returns its id. Duplicate names (deleted ones included) raise
        ResourceAlreadyExists."""

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment: ...

    @abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """Deleted experiments are returned too; ``None`` when no experiment has the name."""

    @abstractmethod
    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = EXPERIMENTS_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]: ...

    @abstractmethod
    def delete_experiment(self, experiment_id: str) -> None: ...

    @abstractmethod
    def restore_experiment(self, experiment_id: str) -> None: ...

    @abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...

    @abstractmethod
    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None: ...

    @abstractmethod
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...


class RunStore(ABC):
    @abstractmethod
    def create_run(
        self,
        experiment_id: str,
        user_id: str | None,
        start_time: int | None,
        tags: Sequence[RunTag],
        run_name: str | None,
    ) -> Run:
        """Create a RUNNING run. The run name follows MLflow's rules (run_name, else the
        ``mlflow.runName`` tag, else a generated name) and the tag is kept in sync."""

    @abstractmethod
    def get_run(self, run_id: str) -> Run:
        """Deleted runs are returned too."""

    @abstractmethod
    def update_run_info(
        self,
        run_id: str,
        run_status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo: ...

    @abstractmethod
    def delete_run(self, run_id: str) -> None: ...

    @abstractmethod
    def restore_run(self, run_id: str) -> None: ...

    @abstractmethod
    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        """Write everything in one transaction, or nothing. A param already logged with a
        different value raises InvalidParameterValue; the same value is a no-op."""

    @abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None: ...

    @abstractmethod
    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        """Every point of the metric, ordered by (timestamp, step, value)."""

    def sample_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        """At most ``max_results`` points of the metric, evenly spaced by position in the
        history (restricted to ``start_step <= step <= end_step`` when given), always keeping
        the first and the last point; ``max_results == 1`` keeps only the last. Ordered by
        (step, timestamp, value).

        Not abstract: this default reads the whole history through :meth:`get_metric_history`;
        the SQL store overrides it with one query that returns only the sampled rows.
        """
        points = [
            m
            for m in self.get_metric_history(run_id, metric_key)
            if start_step is None or end_step is None or start_step <= m.step <= end_step
        ]
        kept = [points[i] for i in evenly_spaced_indices(len(points), max_results)]
        return sorted(kept, key=lambda m: (m.step, m.timestamp, m.value))

    @abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]: ...

    @abstractmethod
    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        """How many runs :meth:`search_runs` with these arguments finds over all its pages."""

    @abstractmethod
    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] = (),
        models: Sequence[LoggedModelInput] = (),
    ) -> None: ...

    @abstractmethod
    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None: ...

    @abstractmethod
    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
        """The distinct datasets (name, digest, ``mlflow.data.context``) that the active runs of
        these experiments logged as inputs, at most :data:`SEARCH_DATASETS_MAX_RESULTS`."""


class LoggedModelStore(ABC):
    """MLflow 3 logged models: a model's files live at
    ``<experiment artifact_location>/models/<model_id>/artifacts``."""

    @abstractmethod
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
        params: Sequence[tuple[str, str]] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel: ...

    @abstractmethod
    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel: ...

    @abstractmethod
    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel: ...

    @abstractmethod
    def set_logged_model_tags(self, model_id: str, tags: Sequence[tuple[str, str]]) -> None: ...

    @abstractmethod
    def delete_logged_model_tag(self, model_id: str, key: str) -> None: ...

    @abstractmethod
    def log_logged_model_params(self, model_id: str, params: Sequence[tuple[str, str]]) -> None: ...

    @abstractmethod
    def delete_logged_model(self, model_id: str) -> None: ...

    @abstractmethod
    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[dict[str, object]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """At least ``name = '<name>'`` (AND-ed with other equality filters on ``model_id``,
        ``source_run_id``, ``status``) must be supported."""


class TraceStore(ABC):
    """MLflow 3 trace records. The spans live in ``traces.json`` under the trace's artifact
    location (tag ``mlflow.artifactLocation``), which :meth:`start_trace` assigns as
    ``<experiment artifact_location>/traces/<trace_id>/artifacts``."""

    @abstractmethod
    def start_trace(self, trace_info: TraceInfo) -> TraceInfo:
        """Record a (finished) trace in its experiment, which must exist and be active. A trace
        id already recorded in the same experiment is updated (fields replaced, tags and metadata
        merged); in another experiment it is ResourceAlreadyExists."""

    @abstractmethod
    def get_trace_info(self, trace_id: str) -> TraceInfo:
        """ResourceDoesNotExist for an unknown id."""

    @abstractmethod
    def batch_get_trace_infos(self, trace_ids: Sequence[str]) -> list[TraceInfo]:
        """The known ones among ``trace_ids``, in that order (unknown ids skipped)."""

    @abstractmethod
    def search_traces(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = SEARCH_TRACES_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[TraceInfo]:
        """Newest first (``timestamp_ms DESC``, then trace id) unless ``order_by`` says
        otherwise; the grammar is :mod:`modelyard.query.traces`."""

    @abstractmethod
    def delete_traces(
        self,
        experiment_id: str,
        max_timestamp_millis: int | None = None,
        max_traces: int | None = None,
        trace_ids: Sequence[str] | None = None,
    ) -> int:
        """Delete by ids, or the oldest traces up to ``max_timestamp_millis`` (at most
        ``max_traces`` of them); returns how many were deleted."""

    @abstractmethod
    def set_trace_tag(self, trace_id: str, key: str, value: str) -> None: ...

    @abstractmethod
    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        """ResourceDoesNotExist when the trace or the tag does not exist."""


class TrackingStore(ExperimentStore, RunStore, LoggedModelStore, TraceStore, ABC):
    """Everything a tracking backend implements."""


def dedupe_params(params: Sequence[Param]) -> dict[str, str]:
    """The params of one batch as ``key -> value``: a key repeated with the same value counts
    once, a key repeated with different values is refused (MLflow's rule, shared by every
    store)."""
    wanted: dict[str, str] = {}
    for p in params:
        value = str(p.value)
        if p.key in wanted and wanted[p.key] != value:
            raise InvalidParameterValue(
                f"Duplicate parameter keys have been submitted: ['{p.key}'] with different "
                f"values ('{wanted[p.key]}' and '{value}'). Please ensure the request contains "
                "only one value per param key (field 'params')."
            )
        wanted[p.key] = value
    return wanted


def evenly_spaced_indices(total: int, max_results: int) -> list[int]:
    """Positions ``0 .. total-1`` thinned to at most ``max_results``: the first position of each
    of ``max_results`` equal buckets (``i * (max_results-1) // (total-1)`` changes), which
    always includes the first and the last; ``max_results == 1`` gives only the last."""
    if total <= 0:
        return []
    if total <= max_results:
        return list(range(total))
    if max_results <= 1:
        return [total - 1]
    m, t = max_results - 1, total - 1
    return [-(-k * t // m) for k in range(max_results)]  # the first i with i*m//t == k


def count_runs_by_paging(
    store: RunStore,
    experiment_ids: Sequence[str],
    filter_string: str | None = None,
    run_view_type: ViewType = ViewType.ACTIVE_ONLY,
) -> int:
    """:meth:`RunStore.count_runs` for a backend that can only search: every page, counted."""
    total, token = 0, None
    while True:
        page = store.search_runs(
            experiment_ids, filter_string, run_view_type, SEARCH_MAX_RESULTS_THRESHOLD, None, token
        )
        total += len(page)
        token = page.token
        if not token:
            return total
