"""The model registry store interface (the MLflow registry methods abstract; the promotion
extensions refuse by default).

Implementations: ``store.registry.sql`` (SQLite/PostgreSQL, same database as tracking) and
``store.registry.rest``. One contract suite (``modelyard.testing.registry_contract``) runs on each.
Stage and alias rules that every backend shares (canonical stage names, reserved alias names)
are checked in ``modelyard.services.registry`` before a store is called; the store owns version
numbering, archive-existing semantics and the audit trail because they need a transaction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from modelyard.entities import ModelVersion, PagedList, RegisteredModel, StageTransition
from modelyard.errors import NotImplementedByBackend
from modelyard.store.registry.records import (
    GateRecord,
    GateResultEntry,
    PolicyVersion,
    TransitionRequest,
)

__all__ = ["RegistryStore"]


def _unsupported(what: str) -> NotImplementedByBackend:
    return NotImplementedByBackend(f"This registry store does not support {what}.")


class RegistryStore(ABC):
    #: True when the store is remote and the server behind it runs the promotion gates itself
    #: (the REST store); the RegistryService then forwards transitions and transition requests
    #: as they are instead of running the gates in this process.
    enforces_policies: bool = False

    # registered models
    @abstractmethod
    def create_registered_model(
        self,
        name: str,
        tags: Sequence[tuple[str, str]] | None = None,
        description: str | None = None,
    ) -> RegisteredModel: ...

    @abstractmethod
    def get_registered_model(self, name: str) -> RegisteredModel: ...

    @abstractmethod
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...

    @abstractmethod
    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel: ...

    @abstractmethod
    def delete_registered_model(self, name: str) -> None: ...

    @abstractmethod
    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]: ...

    @abstractmethod
    def set_registered_model_tag(self, name: str, key: str, value: str) -> None: ...

    @abstractmethod
    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

    @abstractmethod
    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]: ...

    # model versions
    @abstractmethod
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
        storage_location: str | None = None,
    ) -> ModelVersion: ...

    @abstractmethod
    def get_model_version(self, name: str, version: str | int) -> ModelVersion: ...

    @abstractmethod
    def update_model_version(
        self, name: str, version: str | int, description: str | None
    ) -> ModelVersion: ...

    @abstractmethod
    def delete_model_version(self, name: str, version: str | int) -> None: ...

    @abstractmethod
    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool,
        force: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        """Move a version to ``stage``. ``force``/``comment`` only matter to a store that
        ``enforces_policies`` (it sends them to the server); a local store applies the move as
        asked (the service ran the gates)."""

    @abstractmethod
    def get_model_version_download_uri(self, name: str, version: str | int) -> str: ...

    @abstractmethod
    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]: ...

    @abstractmethod
    def set_model_version_tag(
        self, name: str, version: str | int, key: str, value: str
    ) -> None: ...

    @abstractmethod
    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None: ...

    # aliases
    @abstractmethod
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None: ...

    @abstractmethod
    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...

    @abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    # audit trail (modelyard extension, not in MLflow)
    @abstractmethod
    def get_model_history(
        self, name: str, version: str | int | None = None
    ) -> list[StageTransition]:
        """Every stage and alias change of the model (or of one version), oldest first."""

    # promotion policies, gates and transition requests (modelyard extension). The defaults
    # refuse, so a store without these tables still serves everything else.
    def set_registered_model_policy(
        self, name: str, document: dict[str, Any], user_id: str | None = None
    ) -> PolicyVersion:
        """Store ``document`` as the next policy version of the model."""
        raise _unsupported("promotion policies")

    def get_registered_model_policy(
        self, name: str, version: int | None = None
    ) -> PolicyVersion | None:
        """The newest (or the given) policy version; None when the model has no policy."""
        raise _unsupported("promotion policies")

    def list_registered_model_policies(self, name: str) -> list[PolicyVersion]:
        raise _unsupported("promotion policies")

    def registry_revision(self, name: str) -> str:
        """A number that changes whenever a stage or alias of the model changes (the newest
        audit entry's id); a gated transition is applied only if it is unchanged."""
        raise _unsupported("promotion policies")

    def apply_gated_transition(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing_versions: bool,
        *,
        expected_revision: str,
        gates: Sequence[GateRecord],
        user_id: str | None,
        forced: bool = False,
        approved_request_id: str | None = None,
        approval_comment: str | None = None,
    ) -> ModelVersion:
        """In one transaction: check the revision (ResourceConflict when it moved), write the
        gate results, mark ``approved_request_id`` and every approved request of this version
        and stage APPLIED, and move the version."""
        raise _unsupported("promotion policies")

    def record_gate_results(
        self,
        name: str,
        version: int,
        target: str,
        gates: Sequence[GateRecord],
        user_id: str | None,
    ) -> None:
        """Write the gate results of a blocked transition to the audit trail."""
        raise _unsupported("promotion policies")

    def get_gate_results(self, name: str, version: int | None = None) -> list[GateResultEntry]:
        raise _unsupported("promotion policies")

    def create_transition_request(
        self,
        name: str,
        version: int,
        stage: str,
        comment: str | None,
        creator: str | None,
        archive_existing_versions: bool = False,
    ) -> TransitionRequest:
        raise _unsupported("transition requests")

    def list_transition_requests(
        self, name: str, version: int, states: Sequence[str] | None = ("PENDING",)
    ) -> list[TransitionRequest]:
        raise _unsupported("transition requests")

    def resolve_transition_request(
        self,
        request_id: str,
        state: str,
        resolver: str | None,
        comment: str | None,
        system_comment: str | None = None,
    ) -> TransitionRequest:
        """Move a PENDING request to ``state`` (InvalidState when it is no longer pending)."""
        raise _unsupported("transition requests")

    def approve_transition_request(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool,
        comment: str | None = None,
    ) -> dict[str, Any]:
        """Only for a store that ``enforces_policies``: the server approves (Databricks'
        ``{"activity": ...}`` answer)."""
        raise _unsupported("remote approval")

    def reject_transition_request(
        self, name: str, version: str | int, stage: str, comment: str | None = None
    ) -> dict[str, Any]:
        raise _unsupported("remote rejection")

    def delete_transition_request(
        self, name: str, version: str | int, stage: str, creator: str | None
    ) -> None:
        """Cancel the PENDING request of ``creator`` for this version and stage."""
        raise _unsupported("transition requests")
