"""Registry methods of ``MlflowClient`` (MLflow names and semantics).

:class:`RegistryClientMixin` expects the class using it to provide ``_registry`` (a
RegistryService) and ``_tracking`` (a TrackingService).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from modelyard.entities import ModelVersion, PagedList, RegisteredModel, Stage, StageTransition
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist

if TYPE_CHECKING:
    from modelyard.services.registry import RegistryService
    from modelyard.services.tracking import TrackingService

__all__ = ["PROMPT_FILTER", "RegistryClientMixin"]

#: MLflow hides prompts (registered models tagged as prompts) from model searches
PROMPT_FILTER = "tag.`mlflow.prompt.is_prompt` != 'true'"
DEFAULT_AWAIT_REGISTRATION = 300


def _pairs(tags: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in (tags or {}).items()]


class RegistryClientMixin:
    """Model registry methods; mixed into :class:`modelyard.client.MlflowClient`."""

    if TYPE_CHECKING:

        @property
        def _registry(self) -> RegistryService: ...
        @property
        def _tracking(self) -> TrackingService: ...
        def get_run(self, run_id: str) -> Any: ...
        def list_artifacts(self, run_id: str, path: str | None = None) -> list[Any]: ...
        def search_logged_models(
            self,
            experiment_ids: Sequence[str],
            filter_string: str | None = None,
            max_results: int = ...,
            order_by: list[dict[str, Any]] | None = None,
            page_token: str | None = None,
        ) -> Any: ...

    # ------------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, Any] | None = None,
        description: str | None = None,
        deployment_job_id: str | None = None,
    ) -> RegisteredModel:
        return self._registry.create_registered_model(name, _pairs(tags), description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._registry.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        return self._registry.rename_registered_model(name, new_name)

    def update_registered_model(
        self, name: str, description: str | None = None, deployment_job_id: str | None = None
    ) -> RegisteredModel:
        return self._registry.update_registered_model(name, description)

    def delete_registered_model(self, name: str) -> None:
        self._registry.delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Like MLflow, prompts (models tagged ``mlflow.prompt.is_prompt=true``) are left out."""
        full = f"{filter_string} AND {PROMPT_FILTER}" if filter_string else PROMPT_FILTER
        return self._registry.search_registered_models(full, max_results, order_by, page_token)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        self._registry.set_registered_model_tag(name, key, str(value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._registry.delete_registered_model_tag(name, key)

    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        return self._registry.get_latest_versions(name, stages)

    # ------------------------------------------------------------ model versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        await_creation_for: int = DEFAULT_AWAIT_REGISTRATION,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Versions are READY as soon as they are created, so nothing is awaited."""
        return self._registry.create_model_version(
            name,
            source,
            run_id=run_id,
            tags=_pairs(tags),
            run_link=run_link,
            description=description,
            model_id=model_id,
        )

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return self._registry.get_model_version(name, version)

    def update_model_version(
        self, name: str, version: str | int, description: str | None = None
    ) -> ModelVersion:
        return self._registry.update_model_version(name, version, description)

    def delete_model_version(self, name: str, version: str | int) -> None:
        self._registry.delete_model_version(name, version)

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool = False,
        force: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        """MLflow's call; the model's promotion gates run first (a failed gate raises
        ``PromotionBlocked``/INVALID_STATE). ``force=True`` goes past them (recorded; a server
        with auth allows it to MANAGE only)."""
        return self._registry.transition_model_version_stage(
            name, version, stage, archive_existing_versions, force, comment
        )

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        return self._registry.get_model_version_download_uri(name, version)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10000,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        return self._registry.search_model_versions(
            filter_string, max_results, order_by, page_token
        )

    def _version_for(self, name: str, version: str | int | None, stage: str | None) -> str | int:
        if version is not None and stage is not None:
            raise InvalidParameterValue("Give either 'version' or 'stage', not both.")
        if version is not None:
            return version
        if stage is None:
            raise InvalidParameterValue("Missing value for parameter 'version' (or 'stage').")
        found = self._registry.get_latest_versions(name, [Stage.canonical(stage)])
        if not found:
            raise ResourceDoesNotExist(f"Model '{name}' has no version in stage '{stage}'.")
        return max(found, key=lambda mv: int(mv.version)).version

    def set_model_version_tag(
        self,
        name: str,
        version: str | int | None = None,
        key: str | None = None,
        value: Any = None,
        stage: str | None = None,
    ) -> None:
        v = self._version_for(name, version, stage)
        self._registry.set_model_version_tag(name, v, key, str(value))  # type: ignore[arg-type]

    def delete_model_version_tag(
        self,
        name: str,
        version: str | int | None = None,
        key: str | None = None,
        stage: str | None = None,
    ) -> None:
        v = self._version_for(name, version, stage)
        self._registry.delete_model_version_tag(name, v, key)  # type: ignore[arg-type]

    # ------------------------------------------------------------ aliases
    def set_registered_model_alias(
        self, name: str, alias: str, version: str | int, force: bool = False
    ) -> None:
        self._registry.set_registered_model_alias(name, alias, version, force)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._registry.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self._registry.get_model_version_by_alias(name, alias)

    # ------------------------------------------------------------ modelyard extra
    def get_model_history(
        self, name: str, version: str | int | None = None
    ) -> list[StageTransition]:
        """Stage and alias changes of a model (or one version), oldest first, with who/when."""
        return self._registry.get_model_history(name, version)
