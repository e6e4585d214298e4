"""TrackingService: validates input with MLflow's rules, then delegates to a TrackingStore.

It implements the store interface itself, so the server, the local client and the REST client
all hold "a TrackingStore" and the same rules apply everywhere. Long param and run/logged-model
tag values are truncated (as MLflow does by default); every other over-long field is refused
with MLflow's limit: experiment tag values (20,000), run names and the ``mlflow.runName`` tag
(250), artifact locations (2,048, ``MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH``), dataset fields and
input tags (:func:`~modelyard.services.validation.check_dataset_inputs`).
"""

from __future__ import annotations

from collections.abc import Sequence

from modelyard.entities import (
    DatasetInput,
    DatasetSummary,
    Experiment,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from modelyard.errors import InvalidParameterValue
from modelyard.query.paging import check_max_results
from modelyard.services.traces import TraceRules
from modelyard.services.validation import (
    MAX_EXPERIMENT_TAG_VALUE_LENGTH,
    MAX_PARAM_VALUE_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    check_artifact_location,
    check_batch_limits,
    check_dataset_inputs,
    check_experiment_id,
    check_experiment_name,
    check_key,
    check_length,
    check_metric,
    check_run_id,
    check_run_name,
    check_run_name_tag,
    check_timestamp,
    truncate,
)
from modelyard.store.tracking.base import (
    EXPERIMENTS_MAX_RESULTS_DEFAULT,
    SEARCH_DATASETS_MAX_EXPERIMENTS,
    SEARCH_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_THRESHOLD,
    TrackingStore,
)

__all__ = ["TrackingService"]


def _clean_tags(tags: Sequence[RunTag]) -> list[RunTag]:
    clean = []
    for t in tags:
        value = truncate(t.value, MAX_TAG_VALUE_LENGTH)
        check_run_name_tag(check_key(t.key, "tag"), value)
        clean.append(RunTag(t.key, value))
    return clean


def _experiment_tag_value(key: str, value: object) -> str:
    """An experiment tag value: refused (not truncated) over 20,000 characters, as in MLflow."""
    text = value if isinstance(value, str) else str(value)
    field = f"Value of experiment tag '{key[:40]}'"
    return check_length(text, field, MAX_EXPERIMENT_TAG_VALUE_LENGTH) or ""


def _experiment_ids(experiment_ids: Sequence[str] | str | int) -> list[str]:
    """The experiment ids of a run search or count (one id may come alone), each checked."""
    if isinstance(experiment_ids, (str, int)):
        experiment_ids = [str(experiment_ids)]
    return [check_experiment_id(e) for e in experiment_ids]


class TrackingService(TraceRules, TrackingStore):
    """Validating facade over any TrackingStore (the trace rules come from
    :class:`~modelyard.services.traces.TraceRules`)."""

    def __init__(self, store: TrackingStore) -> None:
        self.store = store

    # ------------------------------------------------------------ experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
    ) -> str:
        check_experiment_name(name)
        if artifact_location is not None and not isinstance(artifact_location, str):
            raise InvalidParameterValue("Invalid value for parameter 'artifact_location'")
        if artifact_location and artifact_location.startswith("runs:"):
            raise InvalidParameterValue(
                "Experiment artifact_location cannot be a runs:/ URI (field 'artifact_location')"
            )
        check_artifact_location(artifact_location)
        clean = [
            (check_key(k, "experiment tag"), _experiment_tag_value(k, v)) for k, v in (tags or [])
        ]
        return self.store.create_experiment(name, artifact_location or None, clean)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.store.get_experiment(check_experiment_id(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        if not isinstance(name, str) or not name:
            raise InvalidParameterValue("Missing value for required parameter 'experiment_name'")
        return self.store.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = EXPERIMENTS_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        max_results = check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        return self.store.search_experiments(
            ViewType.coerce(view_type), max_results, filter_string or None, order_by, page_token
        )

    def delete_experiment(self, experiment_id: str) -> None:
        self.store.delete_experiment(check_experiment_id(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self.store.restore_experiment(check_experiment_id(experiment_id))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        check_experiment_name(new_name)
        self.store.rename_experiment(check_experiment_id(experiment_id), new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        check_key(key, "experiment tag")
        self.store.set_experiment_tag(
            check_experiment_id(experiment_id),
            key,
            _experiment_tag_value(key, value),
        )

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        check_key(key, "experiment tag")
        self.store.delete_experiment_tag(check_experiment_id(experiment_id), key)

    # ------------------------------------------------------------ runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str | None,
        start_time: int | None,
        tags: Sequence[RunTag],
        run_name: str | None,
    ) -> Run:
        check_run_name(run_name)
        start_time = check_timestamp(start_time, "start_time")
        return self.store.create_run(
            check_experiment_id(experiment_id), user_id, start_time, _clean_tags(tags), run_name
        )

    def get_run(self, run_id: str) -> Run:
        return self.store.get_run(check_run_id(run_id))

    def update_run_info(
        self,
        run_id: str,
        run_status: str | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        status = RunStatus.coerce(run_status) if run_status is not None else None
        end_time = check_timestamp(end_time, "end_time")
        check_run_name(run_name)
        return self.store.update_run_info(check_run_id(run_id), status, end_time, run_name)

    def delete_run(self, run_id: str) -> None:
        self.store.delete_run(check_run_id(run_id))

    def restore_run(self, run_id: str) -> None:
        self.store.restore_run(check_run_id(run_id))

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        check_run_id(run_id)
        check_batch_limits(len(metrics), len(params), len(tags))
        clean_metrics = []
        seen_keys: set[str] = set()  # a batch usually repeats a few keys many times
        for m in metrics:
            if (
                m.key in seen_keys
                and type(m.value) is float
                and type(m.timestamp) is int
                and type(m.step) is int
                and 0 <= m.timestamp
                and -(2**63) <= m.step < 2**63
            ):
                clean_metrics.append(m)
                continue
            seen_keys.add(m.key)
            value, ts, step = check_metric(m.key, m.value, m.timestamp, m.step)
            if (value, ts, step) != (m.value, m.timestamp, m.step):
                m = Metric(
                    m.key, value, ts, step, m.run_id, m.model_id, m.dataset_name, m.dataset_digest
                )
            clean_metrics.append(m)
        clean_params: list[Param] = []
        for p in params:
            check_key(p.key, "param")
            clean_params.append(Param(p.key, truncate(p.value, MAX_PARAM_VALUE_LENGTH)))
        # repeated keys: the store's one rule (modelyard.store.tracking.base.dedupe_params)
        self.store.log_batch(run_id, clean_metrics, clean_params, _clean_tags(tags))

    def delete_tag(self, run_id: str, key: str) -> None:
        self.store.delete_tag(check_run_id(run_id), check_key(key, "tag"))

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        if not isinstance(metric_key, str) or not metric_key:
            raise InvalidParameterValue("Missing value for required parameter 'metric_key'")
        if max_results is not None:
            max_results = check_max_results(max_results, 2**31 - 1)
        return self.store.get_metric_history(
            check_run_id(run_id), metric_key, max_results, page_token
        )

    def sample_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> list[Metric]:
        """At most ``max_results`` evenly spaced points of a metric's history (the store's
        :meth:`~modelyard.store.tracking.base.RunStore.sample_metric_history`)."""
        if not isinstance(metric_key, str) or not metric_key:
            raise InvalidParameterValue("Missing value for required parameter 'metric_key'")
        return self.store.sample_metric_history(
            check_run_id(run_id), metric_key, max_results, start_step, end_step
        )

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        ids = _experiment_ids(experiment_ids)
        max_results = check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        return self.store.search_runs(
            ids,
            filter_string or None,
            ViewType.coerce(run_view_type),
            max_results,
            list(order_by) if order_by else None,
            page_token or None,
        )

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        ids = _experiment_ids(experiment_ids)
        return self.store.count_runs(ids, filter_string or None, ViewType.coerce(run_view_type))

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] = (),
        models: Sequence[LoggedModelInput] = (),
    ) -> None:
        check_dataset_inputs(datasets)
        self.store.log_inputs(check_run_id(run_id), datasets, models)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        self.store.log_outputs(check_run_id(run_id), models)

    def search_datasets(self, experiment_ids: Sequence[str]) -> list[DatasetSummary]:
        """The datasets the runs of these experiments used (MLflow's ``SearchDatasets``)."""
        ids = [str(e) for e in experiment_ids or ()]
        if not ids:
            raise InvalidParameterValue(
                "SearchDatasets request must specify at least one experiment_id."
            )
        if len(ids) > SEARCH_DATASETS_MAX_EXPERIMENTS:
            raise InvalidParameterValue(
                "SearchDatasets request cannot specify more than "
                f"{SEARCH_DATASETS_MAX_EXPERIMENTS} experiment_ids. Received {len(ids)} "
                "experiment_ids."
            )
        return self.store.search_datasets(ids)

    # ------------------------------------------------------------ logged models
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
        params: Sequence[tuple[str, str]] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        if source_run_id:
            check_run_id(source_run_id)
        clean_tags = [
            (check_key(k, "tag"), truncate(v, MAX_TAG_VALUE_LENGTH)) for k, v in tags or []
        ]
        clean_params = [
            (check_key(k, "param"), truncate(v, MAX_PARAM_VALUE_LENGTH)) for k, v in params or []
        ]
        return self.store.create_logged_model(
            check_experiment_id(experiment_id),
            name or None,
            source_run_id or None,
            clean_tags,
            clean_params,
            model_type,
        )

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        return self.store.get_logged_model(_check_model_id(model_id), allow_deleted)

    def finalize_logged_model(self, model_id: str, status: str) -> LoggedModel:
        return self.store.finalize_logged_model(
            _check_model_id(model_id), LoggedModelStatus.coerce(status)
        )

    def set_logged_model_tags(self, model_id: str, tags: Sequence[tuple[str, str]]) -> None:
        clean = [(check_key(k, "tag"), truncate(v, MAX_TAG_VALUE_LENGTH)) for k, v in tags]
        self.store.set_logged_model_tags(_check_model_id(model_id), clean)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self.store.delete_logged_model_tag(_check_model_id(model_id), check_key(key, "tag"))

    def log_logged_model_params(self, model_id: str, params: Sequence[tuple[str, str]]) -> None:
        clean = [(check_key(k, "param"), truncate(v, MAX_PARAM_VALUE_LENGTH)) for k, v in params]
        self.store.log_logged_model_params(_check_model_id(model_id), clean)

    def delete_logged_model(self, model_id: str) -> None:
        self.store.delete_logged_model(_check_model_id(model_id))

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[dict[str, object]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        ids = [check_experiment_id(e) for e in experiment_ids]
        max_results = check_max_results(max_results, SEARCH_MAX_RESULTS_THRESHOLD)
        return self.store.search_logged_models(
            ids, filter_string or None, max_results, order_by, page_token or None
        )


def _check_model_id(model_id: str) -> str:
    if not isinstance(model_id, str) or not model_id:
        raise InvalidParameterValue("Missing value for required parameter 'model_id'")
    if "/" in model_id or ".." in model_id:
        raise InvalidParameterValue(f"Invalid value {model_id!r} for parameter 'model_id'")
    return model_id
