"""MLOps demo steps on the registry: the promotion policy, training a version, evaluating it,
and moving it through the gates (directly, or by an approved transition request)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "POLICY",
    "GateOutcome",
    "Trained",
    "evaluate_version",
    "gated_move",
    "print_gates",
    "request_and_approve",
    "train_version",
]

#: the model's promotion policy: what a version must show before Staging and Production
POLICY: dict[str, Any] = {
    "stages": {
        "Staging": [
            {
                "type": "metric_threshold",
                "metric": "accuracy_score",
                "threshold": 0.6,
                "dataset": "validation",
            },
            {"type": "signature_compatible"},
        ],
        "Production": [
            {
                "type": "metric_threshold",
                "metric": "accuracy_score",
                "threshold": 0.65,
                "dataset": "validation",
            },
            {
                "type": "not_worse_than_production",
                "metric": "accuracy_score",
                "max_absolute_drop": 0.01,
                "dataset": "validation",
            },
            {"type": "signature_compatible"},
            {"type": "approvals", "min_approvals": 1},
        ],
    }
}


@dataclass
class Trained:
    version: str
    run_id: str
    description: str


@dataclass
class GateOutcome:
    """One transition attempt: whether it moved, and each gate's (name, outcome, message)."""

    version: str
    target: str
    moved: bool
    gates: list[tuple[str, str, str]] = field(default_factory=list)
    error: str | None = None


def train_version(
    model: Any, train: Any, features: list[str], model_name: str, run_name: str, echo: Any
) -> Trained:
    import modelyard as mlflow
    import modelyard.sklearn

    with mlflow.start_run(run_name=run_name) as run:
        model.fit(train[features], train["churn"])
        mlflow.log_param("estimator", type(model).__name__)
        mlflow.log_param("rows", len(train))
        info = modelyard.sklearn.log_model(
            model,
            "model",
            registered_model_name=model_name,
            input_example=train[features].head(2),
        )
    version = str(info.registered_model_version)
    echo(
        f"  trained {run_name} ({type(model).__name__}, {len(train)} rows) in run "
        f"{run.info.run_id} -> registered '{model_name}' version {version}"
    )
    return Trained(version, run.info.run_id, run_name)


def evaluate_version(
    model_name: str, version: str, data: Any, features: list[str], echo: Any
) -> tuple[float, str]:
    """``modelyard.models.evaluate`` on the validation rows; returns (accuracy, run id)."""
    import modelyard as mlflow
    from modelyard.models import evaluate

    with mlflow.start_run(run_name=f"evaluate v{version}") as run:
        result = evaluate(
            f"models:/{model_name}/{version}",
            data[[*features, "churn"]],
            targets="churn",
            model_type="classifier",
            evaluator_config={"dataset_name": "validation"},
        )
    accuracy = float(result.metrics["accuracy_score"])
    echo(
        f"  evaluate(models:/{model_name}/{version}, validation, {len(data)} rows): "
        f"accuracy_score={accuracy:.4f} f1_score={result.metrics['f1_score']:.4f} "
        f"roc_auc={result.metrics['roc_auc']:.4f} (evaluation run {run.info.run_id})"
    )
    return accuracy, run.info.run_id


def _latest_gates(model_name: str, version: str, target: str) -> list[tuple[str, str, str]]:
    from modelyard.tracking import MlflowClient

    entries = [
        e for e in MlflowClient().get_gate_results(model_name, version) if e.target == target
    ]
    if not entries:
        return []
    # one attempt's gates are written together, with one timestamp
    newest = max(e.timestamp for e in entries)
    return [
        (e.record.gate, e.record.outcome, e.record.message)
        for e in sorted(entries, key=lambda e: e.audit_id)
        if e.timestamp == newest
    ]


def print_gates(outcome: GateOutcome, echo: Any) -> None:
    verdict = "moved" if outcome.moved else "BLOCKED"
    echo(f"  gates for version {outcome.version} -> {outcome.target}: {verdict}")
    for gate, result, message in outcome.gates:
        echo(f"    {result:6} {gate}: {message}")


def gated_move(model_name: str, version: str, stage: str, echo: Any) -> GateOutcome:
    """``transition_model_version_stage``: the policy's gates decide; a block is reported."""
    from modelyard.services.promotion import PromotionBlocked
    from modelyard.tracking import MlflowClient

    try:
        MlflowClient().transition_model_version_stage(
            model_name, version, stage, archive_existing_versions=True
        )
        outcome = GateOutcome(version, stage, True)
    except PromotionBlocked as exc:
        outcome = GateOutcome(version, stage, False, error=exc.message.splitlines()[0])
    outcome.gates = _latest_gates(model_name, version, stage)
    print_gates(outcome, echo)
    return outcome


def request_and_approve(
    model_name: str, version: str, stage: str, comment: str, echo: Any
) -> GateOutcome:
    """A transition request, then its approval: the gates run with the approver counted (with
    auth off the approver is ``anonymous``). A block leaves the request open: it is rejected."""
    from modelyard.services.promotion import PromotionBlocked
    from modelyard.tracking import MlflowClient

    client = MlflowClient()
    request = client.create_transition_request(model_name, version, stage, comment=comment)
    echo(f"  transition request {request.id}: version {version} -> {stage} ({comment})")
    try:
        answer = client.approve_transition_request(
            model_name,
            version,
            stage,
            archive_existing_versions=True,
            comment="approved by the demo",
        )
        activity = answer["activity"]
        echo(
            f"  approved by {activity.get('user_id')}: {activity.get('system_comment', '')}".rstrip()
        )
        outcome = GateOutcome(version, stage, "model_version" in answer)
    except PromotionBlocked as exc:
        outcome = GateOutcome(version, stage, False, error=exc.message.splitlines()[0])
        client.reject_transition_request(
            model_name, version, stage, comment="rejected: the gates failed"
        )
        echo("  the approval was refused by the gates; the request is rejected")
    outcome.gates = _latest_gates(model_name, version, stage)
    print_gates(outcome, echo)
    return outcome
