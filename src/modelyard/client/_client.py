"""MlflowClient: the object-oriented client with MLflow's method names and semantics.

It talks to a TrackingService over whatever store the tracking URI names (SQLite/PostgreSQL
directly, or a modelyard/MLflow server over REST) and to artifact repositories chosen by the
artifact URI's scheme. Registry methods come from :class:`RegistryClientMixin`.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from modelyard.client import _artifacts
from modelyard.client._async_logging import AsyncLogger
from modelyard.client._batching import split_batches
from modelyard.client._context import get_registry_uri, get_tracking_uri, get_user_id, resolve_uri
from modelyard.client._promotion import PromotionClientMixin
from modelyard.client._registry import RegistryClientMixin
from modelyard.entities import (
    DatasetInput,
    Experiment,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    PagedList,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from modelyard.services.tracking import TrackingService
from modelyard.utils.time import now_ms

if TYPE_CHECKING:
    from modelyard.entities import FileInfo
    from modelyard.services.registry import RegistryService
    from modelyard.store.artifacts.base import ArtifactRepository

__all__ = ["MlflowClient"]

_PAGE = 50000


def _as_pairs(tags: dict[str, Any] | None) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in (tags or {}).items()]


def _async_by_default() -> bool:
    from modelyard.settings import env_flag

    return env_flag("MLFLOW_ENABLE_ASYNC_LOGGING")


class MlflowClient(RegistryClientMixin, PromotionClientMixin):
    """Client of a tracking server / store and a model registry.

    ``tracking_uri`` defaults to the process-wide URI (``set_tracking_uri``, then
    ``MLFLOW_TRACKING_URI``, then the embedded SQLite file); ``registry_uri`` to the tracking URI.
    """

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None) -> None:
        self.tracking_uri = resolve_uri(tracking_uri) if tracking_uri else get_tracking_uri()
        if registry_uri:
            self.registry_uri = resolve_uri(registry_uri)
        elif tracking_uri:
            self.registry_uri = self.tracking_uri
        else:
            self.registry_uri = get_registry_uri()
        self._tracking_service: TrackingService | None = None
        self._registry_service: RegistryService | None = None
        self._run_repos: dict[str, ArtifactRepository] = {}
        self._async_logger: AsyncLogger | None = None

    # ------------------------------------------------------------ wiring
    @property
    def _tracking(self) -> TrackingService:
        if self._tracking_service is None:
            from modelyard.store.tracking.registry import get_tracking_store

            self._tracking_service = TrackingService(get_tracking_store(self.tracking_uri))
        return self._tracking_service

    @property
    def _registry(self) -> RegistryService:
        if self._registry_service is None:
            from modelyard.services.registry import RegistryService

            self._registry_service = RegistryService.for_uri(
                self.registry_uri, self._tracking, self.tracking_uri
            )
        return self._registry_service

    def _log(
        self,
        run_id: str,
        synchronous: bool | None,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        if synchronous is None:
            synchronous = not _async_by_default()
        if synchronous:
            self._tracking.log_batch(run_id, metrics, params, tags)
            return
        if self._async_logger is None:
            self._async_logger = AsyncLogger(self._tracking)
        self._async_logger.submit(run_id, list(metrics), list(params), list(tags))

    def flush_async_logging(self) -> None:
        """Wait for queued asynchronous log calls; raises if any of them failed."""
        if self._async_logger is not None:
            self._async_logger.flush()

    def artifact_repo_for_uri(self, artifact_uri: str) -> ArtifactRepository:
        from modelyard.store.artifacts.registry import get_artifact_repository

        return get_artifact_repository(artifact_uri, tracking_uri=self.tracking_uri)

    def artifact_repo_for_run(self, run_id: str) -> ArtifactRepository:
        repo = self._run_repos.get(run_id)
        if repo is None:
            repo = self.artifact_repo_for_uri(self.get_run(run_id).info.artifact_uri)
            self._run_repos[run_id] = repo
        return repo

    # ------------------------------------------------------------ experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: dict[str, Any] | None = None,
    ) -> str:
        return self._tracking.create_experiment(name, artifact_location, _as_pairs(tags))

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._tracking.get_experiment(str(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self._tracking.get_experiment_by_name(name)

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        return self._tracking.search_experiments(
            ViewType.coerce(view_type), max_results, filter_string, order_by, page_token
        )

    def delete_experiment(self, experiment_id: str) -> None:
        self._tracking.delete_experiment(str(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self._tracking.restore_experiment(str(experiment_id))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._tracking.rename_experiment(str(experiment_id), new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        self._tracking.set_experiment_tag(str(experiment_id), key, str(value))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._tracking.delete_experiment_tag(str(experiment_id), key)

    # ------------------------------------------------------------ runs
    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        tags = dict(tags or {})
        user_id = str(tags.get("mlflow.user") or get_user_id())
        return self._tracking.create_run(
            str(experiment_id),
            user_id,
            start_time if start_time is not None else now_ms(),
            [RunTag(k, v) for k, v in _as_pairs(tags)],
            run_name,
        )

    def get_run(self, run_id: str) -> Run:
        return self._tracking.get_run(run_id)

    def get_parent_run(self, run_id: str) -> Run | None:
        parent = self.get_run(run_id).data.tags.get("mlflow.parentRunId")
        return self.get_run(parent) if parent else None

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> None:
        end_time = (
            now_ms() if status and RunStatus.is_terminated(RunStatus.coerce(status)) else None
        )
        self._tracking.update_run_info(run_id, status, end_time, name)

    def set_terminated(
        self, run_id: str, status: str | None = None, end_time: int | None = None
    ) -> None:
        self._tracking.update_run_info(
            run_id, status or RunStatus.FINISHED, end_time if end_time is not None else now_ms()
        )

    def delete_run(self, run_id: str) -> None:
        self._tracking.delete_run(run_id)

    def restore_run(self, run_id: str) -> None:
        self._tracking.restore_run(run_id)

    # ------------------------------------------------------------ logging
    def log_param(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> Any:
        self._log(run_id, synchronous, params=[Param(key, str(value))])
        return value

    def log_metric(
        self,
        run_id: str,
        key: str,
        value: float,
        timestamp: int | None = None,
        step: int | None = None,
        synchronous: bool | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        model_id: str | None = None,
    ) -> None:
        metric = Metric(
            key,
            value,
            timestamp if timestamp is not None else now_ms(),
            step or 0,
            model_id=model_id,
            dataset_name=dataset_name,
            dataset_digest=dataset_digest,
        )
        self._log(run_id, synchronous, metrics=[metric])

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: bool | None = None) -> None:
        self._log(run_id, synchronous, tags=[RunTag(key, str(value))])

    def delete_tag(self, run_id: str, key: str) -> None:
        self._tracking.delete_tag(run_id, key)

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
        synchronous: bool | None = None,
    ) -> None:
        """Log many values; lists larger than one request allows are split into batches."""
        metrics, params, tags = list(metrics), list(params), list(tags)
        if not (metrics or params or tags):
            return
        if synchronous is False or (synchronous is None and _async_by_default()):
            self._log(run_id, False, metrics, params, tags)
            return
        for chunk_m, chunk_p, chunk_t in split_batches(metrics, params, tags):
            self._tracking.log_batch(run_id, chunk_m, chunk_p, chunk_t)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        out: list[Metric] = []
        token: str | None = None
        while True:
            page = self._tracking.get_metric_history(run_id, key, None, token)
            out.extend(page)
            token = page.token
            if not token:
                return out

    def search_runs(
        self,
        experiment_ids: str | Sequence[str],
        filter_string: str = "",
        run_view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = 1000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        if isinstance(experiment_ids, (str, int)):
            experiment_ids = [str(experiment_ids)]
        return self._tracking.search_runs(
            [str(e) for e in experiment_ids],
            filter_string,
            ViewType.coerce(run_view_type),
            max_results,
            order_by,
            page_token,
        )

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] | None = None,
        models: Sequence[LoggedModelInput] | None = None,
    ) -> None:
        self._tracking.log_inputs(run_id, list(datasets or []), list(models or []))

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        self._tracking.log_outputs(run_id, list(models))

    # ------------------------------------------------------------ artifacts
    def log_artifact(self, run_id: str, local_path: str, artifact_path: str | None = None) -> None:
        local_path = os.fspath(local_path)
        repo = self.artifact_repo_for_run(run_id)
        if os.path.isdir(local_path):
            name = os.path.basename(os.path.normpath(local_path))
            target = f"{artifact_path.rstrip('/')}/{name}" if artifact_path else name
            repo.log_artifacts(local_path, target)
        else:
            repo.log_artifact(local_path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: str | None = None) -> None:
        self.artifact_repo_for_run(run_id).log_artifacts(os.fspath(local_dir), artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        with _artifacts.temp_artifact(artifact_file) as (path, directory):
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            self.log_artifact(run_id, path, directory)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        with _artifacts.temp_artifact(artifact_file) as (path, directory):
            _artifacts.write_dict(dictionary, path)
            self.log_artifact(run_id, path, directory)

    def log_figure(
        self,
        run_id: str,
        figure: Any,
        artifact_file: str,
        *,
        save_kwargs: dict[str, Any] | None = None,
    ) -> None:
        with _artifacts.temp_artifact(artifact_file) as (path, directory):
            _artifacts.write_figure(figure, path, save_kwargs)
            self.log_artifact(run_id, path, directory)

    def log_image(
        self, run_id: str, image: Any, artifact_file: str | None = None, **_: Any
    ) -> None:
        artifact_file = artifact_file or f"images/image_{now_ms()}.png"
        with _artifacts.temp_artifact(artifact_file) as (path, directory):
            _artifacts.write_image(image, path)
            self.log_artifact(run_id, path, directory)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        return self.artifact_repo_for_run(run_id).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        if dst_path is not None:
            os.makedirs(dst_path, exist_ok=True)
        else:
            dst_path = tempfile.mkdtemp(prefix="modelyard-dl-")
        return self.artifact_repo_for_run(run_id).download_artifacts(path, dst_path)

    # ------------------------------------------------------------ logged models (MLflow 3)
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        return self._tracking.create_logged_model(
            str(experiment_id), name, source_run_id, _as_pairs(tags), _as_pairs(params), model_type
        )

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        return self._tracking.get_logged_model(model_id, allow_deleted)

    def finalize_logged_model(
        self, model_id: str, status: str = LoggedModelStatus.READY
    ) -> LoggedModel:
        return self._tracking.finalize_logged_model(model_id, status)

    def set_logged_model_tags(self, model_id: str, tags: dict[str, Any]) -> None:
        self._tracking.set_logged_model_tags(model_id, _as_pairs(tags))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self._tracking.delete_logged_model_tag(model_id, key)

    def log_model_params(self, model_id: str, params: dict[str, Any]) -> None:
        self._tracking.log_logged_model_params(model_id, _as_pairs(params))

    def delete_logged_model(self, model_id: str) -> None:
        self._tracking.delete_logged_model(model_id)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: list[dict[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        return self._tracking.search_logged_models(
            [str(e) for e in experiment_ids], filter_string, max_results, order_by, page_token
        )

    def log_model_artifacts(self, model_id: str, local_dir: str) -> None:
        model = self.get_logged_model(model_id)
        self.artifact_repo_for_uri(model.artifact_location).log_artifacts(os.fspath(local_dir))
