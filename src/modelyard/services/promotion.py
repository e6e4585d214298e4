"""Gated transitions and transition requests over a local registry store.

:class:`Promotion` is what :class:`~modelyard.services.registry.RegistryService` delegates to when
its store keeps the registry itself (SQL); against a server (a store that ``enforces_policies``)
the service forwards the calls and the server runs this.

A transition (or alias assignment) with gates:

1. read the model's revision, the newest policy, the candidate and the current Production version;
2. run every gate of the target (:func:`~modelyard.services.gates.evaluate_gates`);
3. a failed gate (and no ``force``): the results go to the audit trail, a
   ``model_version_gate.failed`` event is emitted and :class:`PromotionBlocked` (INVALID_STATE,
   HTTP 400) names each gate with its evidence; nothing else changes;
4. otherwise the store applies the move together with the gate results, under the model's write
   lock, only if the revision is unchanged (else ``ResourceConflict``, nothing written).

``force=True`` records the failed gates as FORCED plus a ``forced`` audit entry. Who may force
is decided by the caller (the server allows it to MANAGE on the model when auth is on).

Approval (``approve``): the approver may not be the request's creator unless ``is_admin``; the
gates run with the approver counted; when the only failing gates are ``approvals`` (more are
needed), the approval is recorded and the transition waits for the next one; when another gate
fails, nothing is recorded but the gate results, and the error names the gates. Without an
identity (the embedded store, or a server with auth off) the approver is recorded as
:data:`ANONYMOUS_APPROVER`: such approvals count once for the ``approvals`` gate, however many
are given, since they cannot be told apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelyard.entities import ModelVersion, Stage
from modelyard.errors import (
    InvalidState,
    NotImplementedByBackend,
    PermissionDenied,
    ResourceDoesNotExist,
)
from modelyard.services.gates import GateContext, evaluate_gates, production_for
from modelyard.services.policies import Policy
from modelyard.store.registry.records import (
    GATE_FAILED,
    GATE_FORCED,
    GateRecord,
    TransitionRequest,
    gate_to_json,
    request_to_json,
)
from modelyard.utils.time import now_ms
from modelyard.wire import model_version_to_json

if TYPE_CHECKING:
    from modelyard.services.registry import RegistryService

#: the approver recorded when the caller has no identity (auth off)
ANONYMOUS_APPROVER = "anonymous"

__all__ = [
    "ANONYMOUS_APPROVER",
    "Promotion",
    "PromotionBlocked",
    "activity_json",
    "blocked_message",
]


class PromotionBlocked(InvalidState):
    """A transition was blocked by failed gates; ``results`` holds every gate's record."""

    def __init__(self, message: str, results: list[GateRecord]) -> None:
        super().__init__(message)
        self.results = results


def blocked_message(
    name: str, version: str, target: str, results: list[GateRecord], policy: int | None
) -> str:
    failed = [r for r in results if r.outcome == GATE_FAILED]
    where = f"alias '{target[6:]}'" if target.startswith("alias:") else f"stage '{target}'"
    lines = [
        f"Promotion of model '{name}' version {version} to {where} blocked by {len(failed)} of "
        f"{len(results)} gates (policy version {policy}):"
    ]
    for r in results:
        lines.append(f"  - {r.gate} [{r.gate_type}] {r.outcome}: {r.message}")
    return "\n".join(lines)


def activity_json(
    kind: str,
    request: TransitionRequest,
    user: str | None,
    comment: str | None,
    system_comment: str | None,
    from_stage: str | None = None,
) -> dict[str, Any]:
    """Databricks' Activity object (``activity_type`` APPROVED_REQUEST, REJECTED_REQUEST ...)."""
    out: dict[str, Any] = {
        "id": request.id,
        "activity_type": kind,
        "to_stage": request.to_stage,
        "creation_timestamp": now_ms(),
        "last_updated_timestamp": now_ms(),
    }
    for key, value in (
        ("from_stage", from_stage),
        ("user_id", user),
        ("comment", comment),
        ("system_comment", system_comment),
    ):
        if value is not None:
            out[key] = value
    return out


class Promotion:
    def __init__(self, service: RegistryService) -> None:
        self.service = service
        self.store = service.store

    # ------------------------------------------------------------ policies
    def policy(self, name: str) -> Policy | None:
        try:
            found = self.store.get_registered_model_policy(name)
        except NotImplementedByBackend:
            return None
        return None if found is None else Policy(found.document, found.version)

    def _has_gates(self, name: str, target: str) -> bool:
        """Whether the model's newest policy has gates for ``target``: one policy read, so a
        transition of a model without gates skips the revision and candidate reads."""
        policy = self.policy(name)
        return bool(policy and policy.gates_for(target))

    # ------------------------------------------------------------ evidence
    def read_mlmodel(self, mv: ModelVersion) -> dict[str, Any] | None:
        import yaml

        uri = self.service.files_uri(self.store.get_model_version_download_uri(mv.name, mv.version))
        repo = self.service.artifact_repository_for(uri)
        try:
            with repo.open_artifact("MLmodel") as stream:
                doc = yaml.safe_load(stream.read())
        except (ResourceDoesNotExist, FileNotFoundError):
            return None
        return doc if isinstance(doc, dict) else None

    def _production(self, name: str, candidate: ModelVersion) -> ModelVersion | None:
        latest = self.store.get_latest_versions(name, [Stage.PRODUCTION])
        found = production_for(latest, candidate)
        if found is None and latest and str(latest[0].version) == str(candidate.version):
            escaped = name.replace("'", "\\'")
            page = self.store.search_model_versions(f"name = '{escaped}'", 200_000)
            found = production_for(list(page), candidate)
        return found

    def _approvers(self, name: str, version: int, target: str) -> list[str]:
        if target.startswith("alias:"):
            return []
        try:
            approved = self.store.list_transition_requests(name, version, ("APPROVED",))
        except NotImplementedByBackend:
            return []
        return [r.resolver for r in approved if r.to_stage == target and r.resolver]

    def run_gates(
        self, name: str, version: int, target: str, extra_approver: str | None = None
    ) -> tuple[str, Policy | None, ModelVersion, list[GateRecord]]:
        """(revision, policy, candidate, results) for a transition attempt."""
        try:
            revision = self.store.registry_revision(name)
        except NotImplementedByBackend:
            revision = ""
        policy = self.policy(name)
        candidate = self.store.get_model_version(name, version)
        specs = policy.gates_for(target) if policy else []
        if not specs:
            return revision, policy, candidate, []
        approvers = self._approvers(name, version, target)
        if extra_approver:
            approvers.append(extra_approver)
        ctx = GateContext(
            name=name,
            candidate=candidate,
            target=target,
            production=self._production(name, candidate),
            tracking=self.service.tracking,
            read_mlmodel=self.read_mlmodel,
            approvers=approvers,
        )
        return revision, policy, candidate, evaluate_gates(ctx, specs)

    def _blocked(
        self,
        name: str,
        version: int,
        target: str,
        results: list[GateRecord],
        policy: Policy | None,
        user: str | None,
    ) -> PromotionBlocked:
        self.store.record_gate_results(name, version, target, results, user)
        failed = [r for r in results if r.outcome == GATE_FAILED]
        self.service._emit(
            "model_version_gate.failed",
            {
                "name": name,
                "version": str(version),
                "target": target,
                "policy_version": policy.version if policy else None,
                "failed_gates": [gate_to_json(r) for r in failed],
            },
        )
        return PromotionBlocked(
            blocked_message(
                name, str(version), target, results, policy.version if policy else None
            ),
            results,
        )

    # ------------------------------------------------------------ transitions
    def transition(
        self,
        name: str,
        version: int,
        target: str,
        archive: bool,
        *,
        force: bool,
        user: str | None,
    ) -> ModelVersion:
        if not self._has_gates(name, target):
            return self.store.transition_model_version_stage(name, version, target, archive)
        revision, policy, _, results = self.run_gates(name, version, target)
        if not results:  # the policy changed since _has_gates
            return self.store.transition_model_version_stage(name, version, target, archive)
        failed = [r for r in results if r.outcome == GATE_FAILED]
        if failed and not force:
            raise self._blocked(name, version, target, results, policy, user)
        results = [_forced(r) if r.outcome == GATE_FAILED else r for r in results]
        return self.store.apply_gated_transition(
            name,
            version,
            target,
            archive,
            expected_revision=revision,
            gates=results,
            user_id=user,
            forced=bool(failed),
        )

    def gated_alias(
        self, name: str, alias: str, version: int, *, force: bool, user: str | None
    ) -> list[GateRecord]:
        """Run the alias gates; raises PromotionBlocked (results recorded) on a failure."""
        target = f"alias:{alias}"
        if not self._has_gates(name, target):
            return []
        _, policy, _, results = self.run_gates(name, version, target)
        failed = [r for r in results if r.outcome == GATE_FAILED]
        if failed and not force:
            raise self._blocked(name, version, target, results, policy, user)
        results = [_forced(r) if r.outcome == GATE_FAILED else r for r in results]
        if results:
            self.store.record_gate_results(name, version, target, results, user)
        return results

    # ------------------------------------------------------------ requests
    def _pending(self, name: str, version: int, target: str) -> list[TransitionRequest]:
        pending = [
            r for r in self.store.list_transition_requests(name, version) if r.to_stage == target
        ]
        if not pending:
            raise ResourceDoesNotExist(
                f"No pending request to transition version {version} of '{name}' to '{target}'."
            )
        return pending

    def approve(
        self,
        name: str,
        version: int,
        target: str,
        archive: bool,
        comment: str | None,
        *,
        user: str | None,
        is_admin: bool,
    ) -> dict[str, Any]:
        pending = self._pending(name, version, target)
        others = [r for r in pending if user is None or r.creator != user]
        if not others and not is_admin:
            raise PermissionDenied(
                f"User '{user}' cannot approve their own request to transition version "
                f"{version} of '{name}' to '{target}' (an admin can)."
            )
        request = (others or pending)[0]
        user = user or ANONYMOUS_APPROVER
        revision, policy, candidate, results = self.run_gates(name, version, target, user)
        failed = [r for r in results if r.outcome == GATE_FAILED]
        if failed and any(r.gate_type != "approvals" for r in failed):
            raise self._blocked(name, version, target, results, policy, user)
        archive = archive or request.archive_existing_versions
        if failed:  # only approvals missing: record this one, wait for more
            system = "Approved; the transition waits for more approvals: " + "; ".join(
                r.message for r in failed
            )
            resolved = self.store.resolve_transition_request(
                request.id, "APPROVED", user, comment, system
            )
            self.store.record_gate_results(name, version, target, results, user)
            self.service._emit("transition_request.approved", self._event(resolved, False))
            return {
                "activity": activity_json(
                    "APPROVED_REQUEST", resolved, user, comment, system, candidate.current_stage
                ),
                "gates": [gate_to_json(r) for r in results],
            }
        mv = self.store.apply_gated_transition(
            name,
            version,
            target,
            archive,
            expected_revision=revision,
            gates=results,
            user_id=user,
            approved_request_id=request.id,
            approval_comment=comment,
        )
        system = f"Approved and applied: version {version} moved from {candidate.current_stage} to {target}."
        self.service._emit("transition_request.approved", self._event(request, True))
        self.service.emit_transition(candidate, mv, archive)
        return {
            "activity": activity_json(
                "APPROVED_REQUEST", request, user, comment, system, candidate.current_stage
            ),
            "model_version": model_version_to_json(mv),
            "gates": [gate_to_json(r) for r in results],
        }

    def reject(
        self, name: str, version: int, target: str, comment: str | None, *, user: str | None
    ) -> dict[str, Any]:
        pending = self._pending(name, version, target)
        resolved = [
            self.store.resolve_transition_request(r.id, "REJECTED", user, comment) for r in pending
        ]
        for r in resolved:
            self.service._emit("transition_request.rejected", self._event(r, False))
        first = resolved[0]
        return {
            "activity": activity_json(
                "REJECTED_REQUEST", first, user, comment, f"Rejected {len(resolved)} request(s)."
            )
        }

    @staticmethod
    def _event(r: TransitionRequest, applied: bool) -> dict[str, Any]:
        data = request_to_json(r)
        data.pop("available_actions", None)
        data["applied"] = applied
        return data


def _forced(r: GateRecord) -> GateRecord:
    return GateRecord(r.gate, r.gate_type, GATE_FORCED, r.message, r.evidence)
