"""Gated transitions, transition requests and concurrency over real SQL stores (SQLite and
PostgreSQL), with evaluations logged through the real tracking service."""

from __future__ import annotations

import json
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from modelyard.client import MlflowClient
from modelyard.errors import (
    InvalidParameterValue,
    PermissionDenied,
    ResourceConflict,
    ResourceDoesNotExist,
)
from modelyard.services.gates import (
    DATASET_TAG,
    MODEL_VERSION_TAG,
    register_evidence_provider,
    unregister_evidence_provider,
)
from modelyard.services.promotion import ANONYMOUS_APPROVER, PromotionBlocked
from modelyard.services.registry import RegistryService
from modelyard.services.tracking import TrackingService
from modelyard.store.registry.sql import SqlRegistryStore
from modelyard.store.tracking.registry import get_tracking_store

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class World:
    """A registry service with local tracking, and a client logging evaluation runs."""

    def __init__(self, uri: str, tmp: Path) -> None:
        self.uri = uri
        self.tmp = tmp
        self.client = MlflowClient(tracking_uri=uri)
        self.service = RegistryService(
            SqlRegistryStore(uri), tracking=TrackingService(get_tracking_store(uri))
        )
        self.experiment = self.client.create_experiment(
            f"eval-{uuid.uuid4().hex[:8]}", artifact_location=(tmp / "art").as_uri()
        )
        self.name = f"promo-{uuid.uuid4().hex[:8]}"
        self.service.create_registered_model(self.name)

    def version(self, inputs: list[dict[str, Any]] | None = None) -> str:
        folder = self.tmp / f"model-{uuid.uuid4().hex[:6]}"
        folder.mkdir()
        doc = "flavors: {}\n"
        if inputs is not None:
            doc += "signature:\n  inputs: '" + json.dumps(inputs) + "'\n"
        (folder / "MLmodel").write_text(doc)
        return self.service.create_model_version(self.name, folder.as_uri()).version

    def evaluation(
        self, version: str, metrics: dict[str, float], dataset: str | None = None
    ) -> str:
        run = self.client.create_run(self.experiment)
        self.client.set_tag(run.info.run_id, MODEL_VERSION_TAG, f"{self.name}/{version}")
        if dataset:
            self.client.set_tag(run.info.run_id, DATASET_TAG, dataset)
        for key, value in metrics.items():
            self.client.log_metric(run.info.run_id, key, value)
        self.client.set_terminated(run.info.run_id)
        return run.info.run_id

    def policy(self, doc: dict[str, Any]) -> int:
        return self.service.set_registered_model_policy(self.name, doc).version

    def stage(self, version: str) -> str:
        return self.service.get_model_version(self.name, version).current_stage


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    uri = request.getfixturevalue("sqlite_uri" if request.param == "sqlite" else "pg_database_uri")
    return World(uri, tmp_path)


@pytest.fixture
def local(sqlite_uri: str, tmp_path: Path) -> World:
    return World(sqlite_uri, tmp_path)


def _threshold(metric: str, threshold: float, **kw: Any) -> dict[str, Any]:
    return {"type": "metric_threshold", "metric": metric, "threshold": threshold, **kw}


# ---------------------------------------------------------------- metric gates
def test_metric_threshold_blocks_then_passes_with_evidence(world: World) -> None:
    v = world.version()
    world.policy({"stages": {"Production": [_threshold("accuracy_score", 0.85)]}})
    low = world.evaluation(v, {"accuracy_score": 0.81})
    with pytest.raises(PromotionBlocked) as info:
        world.service.transition_model_version_stage(world.name, v, "Production", False)
    err = info.value
    assert err.error_code == "INVALID_STATE"
    assert "metric_threshold:accuracy_score" in err.message
    assert "accuracy_score = 0.81 < threshold 0.85" in err.message
    assert low in err.message
    assert world.stage(v) == "None"
    (failed,) = world.service.get_gate_results(world.name, v)
    assert failed.record.outcome == "FAILED"
    assert failed.record.evidence["evaluation_run_id"] == low
    assert failed.record.evidence["value"] == pytest.approx(0.81)

    high = world.evaluation(v, {"accuracy_score": 0.9})  # the newest evaluation counts
    mv = world.service.transition_model_version_stage(world.name, v, "Production", False)
    assert mv.current_stage == "Production"
    entries = world.service.get_gate_results(world.name, v)
    assert [e.record.outcome for e in entries] == ["FAILED", "PASSED"]
    assert entries[-1].record.evidence["evaluation_run_id"] == high
    kinds = [(e.kind, e.to_value) for e in world.service.get_model_history(world.name, v)]
    assert kinds == [("gate", "FAILED"), ("gate", "PASSED"), ("stage", "Production")]


def test_metric_no_evaluation_produced_fails_naming_it(world: World) -> None:
    v = world.version()
    world.policy({"stages": {"Staging": [_threshold("f1_score", 0.5)]}})
    with pytest.raises(PromotionBlocked, match="no evaluation of version 1 is logged"):
        world.service.transition_model_version_stage(world.name, v, "Staging", False)
    run = world.evaluation(v, {"accuracy_score": 0.9})
    with pytest.raises(PromotionBlocked) as info:
        world.service.transition_model_version_stage(world.name, v, "Staging", False)
    assert f"metric 'f1_score' was not produced by evaluation run {run}" in info.value.message
    assert world.stage(v) == "None"


def test_dataset_selects_the_evaluation(local: World) -> None:
    v = local.version()
    local.policy(
        {"stages": {"Staging": [_threshold("accuracy_score", 0.85, dataset="validation")]}}
    )
    val = local.evaluation(v, {"accuracy_score": 0.9}, dataset="validation")
    local.evaluation(v, {"accuracy_score": 0.5}, dataset="train")  # newer, other dataset
    mv = local.service.transition_model_version_stage(local.name, v, "Staging", False)
    assert mv.current_stage == "Staging"
    (entry,) = local.service.get_gate_results(local.name, v)
    assert entry.record.evidence["evaluation_run_id"] == val
    assert entry.record.evidence["dataset"] == "validation"


def test_lower_is_better_threshold(local: World) -> None:
    v = local.version()
    local.policy({"stages": {"Staging": [_threshold("log_loss", 0.3, greater_is_better=False)]}})
    local.evaluation(v, {"log_loss": 0.4})
    with pytest.raises(PromotionBlocked, match="log_loss = 0.4 > threshold 0.3"):
        local.service.transition_model_version_stage(local.name, v, "Staging", False)


def test_not_worse_than_production(world: World) -> None:
    v1, v2, v3 = world.version(), world.version(), world.version()
    gate = {
        "type": "not_worse_than_production",
        "metric": "accuracy_score",
        "max_absolute_drop": 0.02,
    }
    world.policy({"stages": {"Production": [gate]}})
    # no Production version yet: passes, says so
    world.service.transition_model_version_stage(world.name, v1, "Production", False)
    assert "nothing to compare" in world.service.get_gate_results(world.name, v1)[0].record.message
    world.evaluation(v2, {"accuracy_score": 0.80})
    with pytest.raises(PromotionBlocked, match="cannot compare with Production"):
        world.service.transition_model_version_stage(world.name, v2, "Production", False)
    world.evaluation(v1, {"accuracy_score": 0.85})
    with pytest.raises(PromotionBlocked, match=r"drop 0.05 > 0.02"):
        world.service.transition_model_version_stage(world.name, v2, "Production", False)
    world.evaluation(v3, {"accuracy_score": 0.84})
    mv = world.service.transition_model_version_stage(world.name, v3, "Production", True)
    assert mv.current_stage == "Production"
    assert world.stage(v1) == "Archived"
    last = world.service.get_gate_results(world.name, v3)[-1].record
    assert last.evidence["production_version"] == v1
    assert last.evidence["drop"] == pytest.approx(0.01)


def test_relative_drop(local: World) -> None:
    v1, v2 = local.version(), local.version()
    local.service.transition_model_version_stage(local.name, v1, "Production", False)
    local.policy(
        {
            "stages": {
                "Production": [
                    {
                        "type": "not_worse_than_production",
                        "metric": "rmse",
                        "greater_is_better": False,
                        "max_relative_drop": 0.1,
                    }
                ]
            }
        }
    )
    local.evaluation(v1, {"rmse": 10.0})
    local.evaluation(v2, {"rmse": 11.5})
    with pytest.raises(PromotionBlocked, match=r"relative drop 0.15 > 0.1"):
        local.service.transition_model_version_stage(local.name, v2, "Production", False)
    local.evaluation(v2, {"rmse": 10.5})
    assert (
        local.service.transition_model_version_stage(
            local.name, v2, "Production", False
        ).current_stage
        == "Production"
    )


# ---------------------------------------------------------------- signature
_COLS = [{"name": "age", "type": "long"}, {"name": "plan", "type": "string"}]


def test_signature_compatible_with_production(local: World) -> None:
    v1 = local.version(_COLS)
    local.service.transition_model_version_stage(local.name, v1, "Production", False)
    local.policy({"stages": {"Production": [{"type": "signature_compatible"}]}})
    dropped = local.version([_COLS[0]])
    with pytest.raises(PromotionBlocked, match="dropped input columns plan"):
        local.service.transition_model_version_stage(local.name, dropped, "Production", False)
    retyped = local.version([_COLS[0], {"name": "plan", "type": "long"}])
    with pytest.raises(PromotionBlocked, match=r"retyped input columns plan \(string -> long\)"):
        local.service.transition_model_version_stage(local.name, retyped, "Production", False)
    unsigned = local.version(None)
    with pytest.raises(PromotionBlocked, match="the candidate has none"):
        local.service.transition_model_version_stage(local.name, unsigned, "Production", False)
    wider = local.version([*_COLS, {"name": "region", "type": "string"}])
    mv = local.service.transition_model_version_stage(local.name, wider, "Production", False)
    assert mv.current_stage == "Production"


# ---------------------------------------------------------------- serving budget
def test_serving_budget_from_inference_table(local: World, tmp_path: Path) -> None:
    import pyarrow as pa
    from deltalake import write_deltalake

    v = local.version()
    table = tmp_path / "inference"
    n = 200
    rows = {
        "endpoint": ["churn"] * n,
        "model_name": [local.name] * n,
        "model_version": [v] * n,
        "status_code": [500 if i < 6 else 200 for i in range(n)],  # 3 % errors
        "latency_ms": [float(i % 100) for i in range(n)],  # p99 = 99
    }
    write_deltalake(str(table), pa.table(rows))
    gate = {
        "type": "serving_budget",
        "inference_table": str(table),
        "endpoint": "churn",
        "max_p99_latency_ms": 120,
        "max_error_rate": 0.01,
        "min_requests": 100,
    }
    local.policy({"stages": {"Production": [gate]}})
    with pytest.raises(PromotionBlocked, match="error rate over budget") as info:
        local.service.transition_model_version_stage(local.name, v, "Production", False)
    assert "p99 latency 99 ms" in info.value.message
    (entry,) = local.service.get_gate_results(local.name, v)
    assert entry.record.evidence["requests"] == n
    assert entry.record.evidence["error_rate"] == pytest.approx(0.03)
    local.policy({"stages": {"Production": [{**gate, "max_error_rate": 0.05}]}})
    mv = local.service.transition_model_version_stage(local.name, v, "Production", False)
    assert mv.current_stage == "Production"


def test_serving_budget_too_few_requests_and_missing_table(local: World, tmp_path: Path) -> None:
    v = local.version()
    gate = {
        "type": "serving_budget",
        "inference_table": str(tmp_path / "nowhere"),
        "max_error_rate": 0.01,
    }
    local.policy({"stages": {"Staging": [gate]}})
    with pytest.raises(PromotionBlocked, match="cannot read inference table"):
        local.service.transition_model_version_stage(local.name, v, "Staging", False)


# ---------------------------------------------------------------- evidence providers, force
def test_evidence_provider_and_unknown_provider(local: World) -> None:
    v = local.version()
    local.policy(
        {"stages": {"Staging": [{"type": "evidence", "provider": "ab", "params": {"min": 3}}]}}
    )
    with pytest.raises(PromotionBlocked, match="no evidence provider named 'ab'"):
        local.service.transition_model_version_stage(local.name, v, "Staging", False)
    seen: list[Any] = []

    def provider(ctx: Any, params: Any) -> tuple[bool, str, dict[str, Any]]:
        seen.append((ctx.candidate.version, ctx.target, params))
        return True, "winner by 4 points", {"lift": 4}

    register_evidence_provider("ab", provider)
    try:
        local.service.transition_model_version_stage(local.name, v, "Staging", False)
    finally:
        unregister_evidence_provider("ab")
    assert seen == [(v, "Staging", {"min": 3})]
    assert local.service.get_gate_results(local.name, v)[-1].record.evidence == {"lift": 4}


def test_force_is_recorded(local: World) -> None:
    v = local.version()
    local.policy({"stages": {"Production": [_threshold("accuracy_score", 0.9)]}})
    mv = local.service.transition_model_version_stage(
        local.name, v, "Production", False, force=True, user="carol"
    )
    assert mv.current_stage == "Production"
    history = local.service.get_model_history(local.name, v)
    assert [(e.kind, e.to_value, e.user_id) for e in history] == [
        ("gate", "FORCED", "carol"),
        ("forced", "Production", "carol"),
        ("stage", "Production", "carol"),
    ]


def test_alias_gates(local: World) -> None:
    v1 = local.version(_COLS)
    local.service.transition_model_version_stage(local.name, v1, "Production", False)
    local.policy({"aliases": {"champion": [{"type": "signature_compatible"}]}})
    v2 = local.version([_COLS[0]])
    with pytest.raises(PromotionBlocked, match="alias 'champion'"):
        local.service.set_registered_model_alias(local.name, "champion", v2)
    with pytest.raises(InvalidParameterValue):
        local.service.get_model_version_by_alias(local.name, "champion")
    local.service.set_registered_model_alias(local.name, "other", v2)  # no gates for it
    local.service.set_registered_model_alias(local.name, "champion", v1)
    assert local.service.get_model_version_by_alias(local.name, "champion").version == v1


def test_policy_versions(local: World) -> None:
    assert local.service.get_registered_model_policy(local.name) is None
    first = local.policy({"stages": {"Staging": [_threshold("a", 1)]}})
    second = local.policy({"stages": {}})
    assert (first, second) == (1, 2)
    assert local.service.get_registered_model_policy(local.name).version == 2  # type: ignore[union-attr]
    old = local.service.get_registered_model_policy(local.name, 1)
    assert old is not None and old.document["stages"]["Staging"][0]["metric"] == "a"
    assert [p.version for p in local.service.list_registered_model_policies(local.name)] == [1, 2]
    with pytest.raises(ResourceDoesNotExist):
        local.service.get_registered_model_policy(local.name, 7)
    with pytest.raises(InvalidParameterValue, match=r"policy.stages.Staging\[0\].type"):
        local.service.set_registered_model_policy(
            local.name, {"stages": {"Staging": [{"type": "vibes"}]}}
        )
    assert len(local.service.list_registered_model_policies(local.name)) == 2


# ---------------------------------------------------------------- transition requests
def test_requests_approval_applies_after_gates(world: World) -> None:
    v = world.version()
    world.policy(
        {
            "stages": {
                "Production": [
                    _threshold("accuracy_score", 0.85),
                    {"type": "approvals", "min_approvals": 1},
                ]
            }
        }
    )
    world.evaluation(v, {"accuracy_score": 0.9})
    with pytest.raises(PromotionBlocked, match=r"0 of 1 required approvals"):
        world.service.transition_model_version_stage(world.name, v, "Production", False)
    req = world.service.create_transition_request(world.name, v, "production", "ship it", "alice")
    assert (req.state, req.to_stage, req.creator) == ("PENDING", "Production", "alice")
    with pytest.raises(PermissionDenied, match="cannot approve their own request"):
        world.service.approve_transition_request(
            world.name, v, "Production", user="alice", is_admin=False
        )
    out = world.service.approve_transition_request(
        world.name, v, "Production", True, "lgtm", user="bob", is_admin=False
    )
    assert out["activity"]["activity_type"] == "APPROVED_REQUEST"
    assert out["model_version"]["current_stage"] == "Production"
    assert [g["outcome"] for g in out["gates"]] == ["PASSED", "PASSED"]
    assert world.service.list_transition_requests(world.name, v) == []
    (done,) = world.service.list_transition_requests(world.name, v, None)
    assert (done.state, done.resolver, done.resolver_comment) == ("APPLIED", "bob", "lgtm")
    with pytest.raises(ResourceDoesNotExist, match="No pending request"):
        world.service.approve_transition_request(world.name, v, "Production", user="bob")


def test_two_approvals_needed(local: World) -> None:
    v = local.version()
    local.policy({"stages": {"Staging": [{"type": "approvals", "min_approvals": 2}]}})
    local.service.create_transition_request(local.name, v, "Staging", None, "alice")
    local.service.create_transition_request(local.name, v, "Staging", None, "dave")
    first = local.service.approve_transition_request(
        local.name, v, "Staging", user="bob", is_admin=False
    )
    assert "model_version" not in first
    assert "1 of 2 required approvals" in first["activity"]["system_comment"]
    assert local.stage(v) == "None"
    second = local.service.approve_transition_request(
        local.name, v, "Staging", user="erin", is_admin=False
    )
    assert second["model_version"]["current_stage"] == "Staging"
    states = sorted(r.state for r in local.service.list_transition_requests(local.name, v, None))
    assert states == ["APPLIED", "APPLIED"]


def test_approval_without_identity_counts_once_as_anonymous(local: World) -> None:
    """Auth off (embedded store, or a server without --auth): an approval still counts."""
    v = local.version()
    local.policy({"stages": {"Staging": [{"type": "approvals", "min_approvals": 1}]}})
    local.service.create_transition_request(local.name, v, "Staging", None, None)
    out = local.service.approve_transition_request(local.name, v, "Staging")
    assert out["model_version"]["current_stage"] == "Staging"
    (done,) = local.service.list_transition_requests(local.name, v, None)
    assert (done.state, done.resolver) == ("APPLIED", ANONYMOUS_APPROVER)
    # anonymous approvals cannot be told apart: two of them are one approver
    local.policy({"stages": {"Production": [{"type": "approvals", "min_approvals": 2}]}})
    local.service.create_transition_request(local.name, v, "Production", None, None)
    local.service.create_transition_request(local.name, v, "Production", None, "alice")
    first = local.service.approve_transition_request(local.name, v, "Production")
    assert "1 of 2 required approvals (anonymous)" in first["activity"]["system_comment"]
    second = local.service.approve_transition_request(local.name, v, "Production")
    assert "model_version" not in second
    assert local.stage(v) == "Staging"


def test_approval_blocked_by_other_gate_records_nothing(local: World) -> None:
    v = local.version()
    local.policy({"stages": {"Staging": [_threshold("accuracy_score", 0.9)]}})
    local.service.create_transition_request(local.name, v, "Staging", None, "alice")
    with pytest.raises(PromotionBlocked, match="no evaluation"):
        local.service.approve_transition_request(local.name, v, "Staging", user="bob")
    (still,) = local.service.list_transition_requests(local.name, v)
    assert still.state == "PENDING"
    assert local.stage(v) == "None"


def test_reject_and_delete(local: World) -> None:
    v = local.version()
    local.service.create_transition_request(local.name, v, "Staging", None, "alice")
    with pytest.raises(Exception, match="already has a pending request"):
        local.service.create_transition_request(local.name, v, "Staging", None, "alice")
    out = local.service.reject_transition_request(local.name, v, "Staging", "not yet", user="bob")
    assert out["activity"]["activity_type"] == "REJECTED_REQUEST"
    local.service.create_transition_request(local.name, v, "Production", None, "alice")
    local.service.delete_transition_request(local.name, v, "Production", "alice")
    with pytest.raises(ResourceDoesNotExist):
        local.service.delete_transition_request(local.name, v, "Production", "alice")
    states = sorted(r.state for r in local.service.list_transition_requests(local.name, v, None))
    assert states == ["CANCELLED", "REJECTED"]
    with pytest.raises(InvalidParameterValue, match="stage"):
        local.service.create_transition_request(local.name, v, "Prod", None, "alice")


# ---------------------------------------------------------------- concurrency
@pytest.mark.parametrize("same_version", [True, False])
def test_concurrent_transitions_one_wins(world: World, same_version: bool) -> None:
    """Both transitions evaluate their gates before either applies (a barrier in an evidence
    provider): exactly one applies, the other gets RESOURCE_CONFLICT and writes nothing."""
    v1 = world.version()
    v2 = v1 if same_version else world.version()
    provider_name = f"barrier-{uuid.uuid4().hex[:6]}"
    barrier = threading.Barrier(2, timeout=120)

    def wait_for_both(ctx: Any, params: Any) -> tuple[bool, str, dict[str, Any]]:
        barrier.wait()
        return True, "both evaluated", {}

    register_evidence_provider(provider_name, wait_for_both)
    world.policy({"stages": {"Production": [{"type": "evidence", "provider": provider_name}]}})
    results: dict[str, Any] = {}

    def move(version: str, key: str, stage: str) -> None:
        try:
            results[key] = world.service.transition_model_version_stage(
                world.name, version, stage, True, user=key
            )
        except BaseException as exc:
            results[key] = exc

    threads = [
        threading.Thread(target=move, args=(v1, "t1", "Production")),
        threading.Thread(target=move, args=(v2, "t2", "Production")),
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    finally:
        unregister_evidence_provider(provider_name)
    conflicts = [k for k, r in results.items() if isinstance(r, ResourceConflict)]
    winners = [k for k, r in results.items() if not isinstance(r, BaseException)]
    assert len(conflicts) == 1 and len(winners) == 1, results
    err = results[conflicts[0]]
    assert err.error_code == "RESOURCE_CONFLICT"
    assert "nothing was applied" in err.message
    history = world.service.get_model_history(world.name)
    assert {e.user_id for e in history} == {winners[0]}
    assert [e.kind for e in history] == ["gate", "stage"]
    winner_version = results[winners[0]].version
    assert world.stage(winner_version) == "Production"
    if not same_version:
        loser_version = v2 if winner_version == v1 else v1
        assert world.stage(loser_version) == "None"
