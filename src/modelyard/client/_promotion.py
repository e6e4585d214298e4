"""Promotion methods of ``MlflowClient`` (modelyard extensions; transition requests with
Databricks' names): policies, gate results and transition requests.

:class:`PromotionClientMixin` expects ``_registry`` (a RegistryService) on the class using it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelyard.services.registry import RegistryService
    from modelyard.store.registry.records import (
        GateResultEntry,
        PolicyVersion,
        TransitionRequest,
    )

__all__ = ["PromotionClientMixin"]


class PromotionClientMixin:
    if TYPE_CHECKING:

        @property
        def _registry(self) -> RegistryService: ...

    # ------------------------------------------------------------ policies
    def set_registered_model_policy(
        self, name: str, policy: dict[str, Any] | str | Path
    ) -> PolicyVersion:
        """Store a new version of the model's promotion policy: a dict, YAML text or a path
        to a ``.yaml``/``.yml``/``.json`` file (read here, sent as a document)."""
        return self._registry.set_registered_model_policy(name, policy)

    def get_registered_model_policy(
        self, name: str, version: int | None = None
    ) -> PolicyVersion | None:
        return self._registry.get_registered_model_policy(name, version)

    def list_registered_model_policies(self, name: str) -> list[PolicyVersion]:
        return self._registry.list_registered_model_policies(name)

    def get_gate_results(
        self, name: str, version: str | int | None = None
    ) -> list[GateResultEntry]:
        """Every gate result (with its evidence) recorded for the model or one version."""
        return self._registry.get_gate_results(name, version)

    # ------------------------------------------------------------ transition requests
    def create_transition_request(
        self, name: str, version: str | int, stage: str, comment: str | None = None
    ) -> TransitionRequest:
        return self._registry.create_transition_request(name, version, stage, comment)

    def list_transition_requests(
        self, name: str, version: str | int, states: list[str] | None = None
    ) -> list[TransitionRequest]:
        """Open (PENDING) requests, or those in ``states`` (``["ALL"]`` for every state)."""
        if states is None:
            return self._registry.list_transition_requests(name, version)
        wanted = None if "ALL" in [s.upper() for s in states] else [s.upper() for s in states]
        return self._registry.list_transition_requests(name, version, wanted)

    def approve_transition_request(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
    ) -> dict[str, Any]:
        """Approve the pending request; the transition is applied after the gates. Returns
        ``{"activity": ..., "model_version": ... (when applied), "gates": [...]}``."""
        return self._registry.approve_transition_request(
            name, version, stage, archive_existing_versions, comment
        )

    def reject_transition_request(
        self, name: str, version: str | int, stage: str, comment: str | None = None
    ) -> dict[str, Any]:
        return self._registry.reject_transition_request(name, version, stage, comment)

    def delete_transition_request(
        self, name: str, version: str | int, stage: str, creator: str | None = None
    ) -> None:
        """Cancel a pending request (the caller's own unless ``creator`` names another)."""
        self._registry.delete_transition_request(name, version, stage, creator)
