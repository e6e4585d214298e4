"""``modelyard demo --mlops``: the closed MLOps loop on the embedded store, step by step.

train + register -> gates -> Staging -> A/B against Production -> promotion (gates, approval)
-> shifted traffic -> monitor refresh -> drift alert TRIGGERED -> signed webhook to a local
receiver + the retraining job started -> new version -> gates -> promoted or rejected.

Everything runs in this process and its children, on a SQLite file in ``workdir``: a webhook
receiver thread on 127.0.0.1, a jobs scheduler thread, and the endpoint server
(``modelyard endpoints serve``) in a child process. No outside service is needed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DEMO_ENV", "MlopsDemoResult", "run_mlops_demo"]

MODEL_NAME = "churn_mlops"
ENDPOINT = "churn_mlops"
MONITOR = "churn_mlops_traffic"
ALERT = "churn-drift"
EXPERIMENT = "/Users/demo@modelyard.dev/churn_mlops_loop"
WEBHOOK_PATH = "/hooks/modelyard-alerts"
JOB_HOOK_PATH = "/hooks/retraining-job"

#: set for the demo's own process scope only (restored when it ends): the alert's webhook goes
#: to the demo's receiver on 127.0.0.1 over plain http, which the destination rules refuse
DEMO_ENV = {
    "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
    "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
}


@dataclass
class MlopsDemoResult:
    """What the demo did, with the evidence (ids and values) of every step."""

    workdir: str
    tracking_uri: str
    model_name: str
    incumbent_version: str
    candidate_version: str
    evaluations: dict[str, float]  # version -> accuracy_score on its validation set
    gate_outcomes: list[Any]  # GateOutcome of every transition attempt, in order
    ab_verdict: str
    ab_winner_version: str | None
    ab_requests: dict[str, int]  # version -> requests answered during the A/B
    alert_state: str
    alert_history: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    webhook_deliveries: list[Any]  # Received (path, headers, body, signature_valid)
    webhook_secret: str
    job_id: int
    job_run_id: int
    job_run: dict[str, Any]
    job_output: dict[str, Any]
    retrained_version: str
    retrained_stage: str
    verdict: str  # "promoted" or "rejected"
    loop_guard: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0


@contextmanager
def _env(values: dict[str, str | None]) -> Iterator[None]:
    """Set (None: remove) environment variables for the block, restore them afterwards."""
    before = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_mlops_demo(
    workdir: str | None = None,
    tracking_uri: str | None = None,
    rows: int = 3000,
    seed: int = 42,
    echo: Callable[[str], Any] = print,
) -> MlopsDemoResult:
    """Run the loop in ``workdir`` (default: a new temporary folder, kept) on the SQLite store
    ``<workdir>/modelyard.db`` (or ``tracking_uri``, a database URI) and return the evidence."""
    import modelyard as mlflow
    from modelyard.errors import InvalidParameterValue

    if tracking_uri and tracking_uri.startswith(("http://", "https://")):
        raise InvalidParameterValue(
            "tracking_uri: the MLOps demo runs on a database (the embedded SQLite store or "
            f"PostgreSQL), not on a server URL ({tracking_uri!r})."
        )
    if rows < 1000:
        raise InvalidParameterValue(f"rows must be at least 1000 for the MLOps demo, got {rows}.")
    folder = Path(workdir or tempfile.mkdtemp(prefix="modelyard-mlops-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if not tracking_uri and (folder / "modelyard.db").exists():
        raise InvalidParameterValue(
            f"workdir: {folder} already holds a demo store (modelyard.db); the MLOps demo "
            "starts from an empty one: give a new folder."
        )
    uri = tracking_uri or f"sqlite:///{folder / 'modelyard.db'}"
    previous_uri = mlflow.get_tracking_uri()
    env: dict[str, str | None] = {**DEMO_ENV, "MLFLOW_RUN_ID": None}
    if not os.environ.get("MODELYARD_ARTIFACT_ROOT"):
        env["MODELYARD_ARTIFACT_ROOT"] = (folder / "artifacts").as_uri()
    started = time.perf_counter()
    with _env(env):
        mlflow.set_tracking_uri(uri)

        def timed(line: str) -> Any:  # each step's header says when it started
            if line.startswith("\n["):
                line = f"{line}  (at {time.perf_counter() - started:.1f}s)"
            return echo(line)

        try:
            result = _loop(folder, mlflow.get_tracking_uri(), rows, seed, timed)
        finally:
            mlflow.set_tracking_uri(previous_uri)
    result.elapsed_s = time.perf_counter() - started
    echo(f"\nDone in {result.elapsed_s:.1f}s.")
    echo(
        f"VERDICT: retrained version {result.retrained_version} {result.verdict.upper()} "
        f"(stage {result.retrained_stage}); alert {ALERT} {result.alert_state}, "
        f"{sum(1 for r in result.webhook_deliveries if r.signature_valid)} of "
        f"{len(result.webhook_deliveries)} webhook delivery(ies) validly signed, retraining job run "
        f"{result.job_run_id} {result.job_run['state'].get('result_state')}"
    )
    return result


def _loop(
    folder: Path, uri: str, rows: int, seed: int, echo: Callable[[str], Any]
) -> MlopsDemoResult:
    import secrets

    import modelyard as mlflow
    from modelyard.demo._receiver import WebhookReceiver
    from modelyard.demo.data import FEATURES, make_churn

    steps = 9
    echo(f"modelyard demo --mlops — store: {uri}")
    echo(f"  folder: {folder}")
    echo(
        "  for this demo's process only: "
        + " ".join(f"{k}={v}" for k, v in DEMO_ENV.items())
        + " (the alert's webhook goes to a local receiver over http)"
    )
    secret = secrets.token_hex(16)
    with WebhookReceiver(secret) as receiver, ExitStack() as stack:
        echo(f"  webhook receiver listening on {receiver.url} (thread of this process)")

        echo(f"\n[1/{steps}] Data and the promotion policy")
        df = make_churn(rows, seed)
        cut = int(len(df) * 0.8)
        train, valid = df.iloc[:cut], df.iloc[cut:]
        echo(f"  {len(df)} generated customers: {len(train)} to train, {len(valid)} validation")
        mlflow.set_experiment(EXPERIMENT)
        from modelyard.demo._loop_models import POLICY
        from modelyard.tracking import MlflowClient

        client = MlflowClient()
        client.create_registered_model(MODEL_NAME)
        policy = client.set_registered_model_policy(MODEL_NAME, POLICY)
        echo(f"  policy version {policy.version} of '{MODEL_NAME}':")
        for stage, gates in POLICY["stages"].items():
            shown = ", ".join(_gate_text(g) for g in gates)
            echo(f"    {stage}: {shown}")

        outcomes: list[Any] = []
        evaluations: dict[str, float] = {}
        incumbent = _incumbent(train, valid, FEATURES, seed, outcomes, evaluations, echo, steps)
        candidate = _candidate(train, valid, FEATURES, seed, outcomes, evaluations, echo, steps)

        from modelyard.demo._loop_serving import send_traffic, serve, wait_for_rows
        from modelyard.serving import endpoints

        home = str(folder / "serving")
        endpoints.create_endpoint(
            ENDPOINT,
            served_models=[
                {
                    "name": "production",
                    "model_name": MODEL_NAME,
                    "stage": "Production",
                    "traffic_percentage": 50,
                },
                {
                    "name": "staging",
                    "model_name": MODEL_NAME,
                    "stage": "Staging",
                    "traffic_percentage": 50,
                },
            ],
            workload_size="small",
            home=home,
        )
        echo(f"\n[4/{steps}] A/B: Staging v{candidate} against Production v{incumbent}")
        with serve(ENDPOINT, home, uri, str(folder / "endpoint.log")) as server:
            echo(
                f"  endpoint '{ENDPOINT}' on {server.base} (child process): production 50% "
                f"(stage Production), staging 50% (stage Staging)"
            )
            ab_frame = make_churn(max(800, rows // 2), seed + 1)
            traffic = send_traffic(server, ab_frame, FEATURES)
            wait_for_rows(ENDPOINT, home, traffic.requests)
            shares = ", ".join(f"v{v}: {n}" for v, n in sorted(traffic.by_version.items()))
            echo(
                f"  {traffic.requests} requests of 20 customers ({len(ab_frame)} records) -> "
                f"answered by {shares}; their churn labels arrive afterwards"
            )
            from modelyard.mlops import ab

            analysis = ab.analyze_endpoint(
                ENDPOINT,
                metric="accuracy",
                min_samples=200,
                labels=traffic.label_frame(),
                home=home,
            )
            for v in analysis.variants:
                echo(
                    f"    {v.variant:18} {v.role:10} requests={v.requests:3} "
                    f"labelled={v.labelled:4} accuracy={_num(v.metric_value)}"
                )
            for comp in analysis.comparisons:
                echo(
                    f"    {comp.challenger} vs {analysis.control}: {comp.test} "
                    f"p={_num(comp.p_value)} (Holm {_num(comp.p_value_adjusted)})"
                )
            echo(f"  verdict: {analysis.verdict}")
            winner = analysis.winner

            echo(f"\n[5/{steps}] Promotion of the A/B winner")
            winner_version = winner.model_version if winner is not None else None
            if winner_version is not None and str(winner_version) == candidate:
                _promote_winner(analysis, candidate, outcomes, echo)
            else:
                echo("  no significant winner among the challengers: Production stays as it is")
            production = _stage_of(MODEL_NAME, "Production")

            echo(f"\n[6/{steps}] Shifted traffic on Production v{production}, watched by a monitor")
            endpoints.update_endpoint(
                ENDPOINT,
                served_models=[
                    {"name": "production", "model_name": MODEL_NAME, "stage": "Production"}
                ],
                home=home,
            )
            server.wait_for_versions([production])
            echo(f"  endpoint now serves only the Production stage (v{production})")
            job_id = _retraining_job(folder, receiver.url, seed, echo)
            from modelyard.jobs import Scheduler

            scheduler = Scheduler(
                uri,
                uri,
                poll_interval=0.2,
                fire_schedules=False,
                logs_root=folder / "job-logs",
            ).start()
            stack.callback(scheduler.stop)
            echo("  jobs scheduler started (thread of this process) to execute the job's runs")
            _monitor_and_alert(home, train, FEATURES, receiver.url, secret, job_id, echo)

            from modelyard import monitoring
            from modelyard.mlops.alerts import get_alert

            monitoring.refresh_monitor(MONITOR, root=str(folder / "monitors"))
            state = get_alert(ALERT)["state"]
            echo(f"  refresh before the shift (A/B traffic only): alert {ALERT} is {state}")
            shifted = _shifted(make_churn(max(800, rows // 2), seed + 2))
            shifted_traffic = send_traffic(server, shifted, FEATURES)
            logged = len(wait_for_rows(ENDPOINT, home, traffic.requests + shifted_traffic.requests))
            recent = folder / "recent_customers.csv"
            shifted.to_csv(recent, index=False)
            echo(
                f"  {shifted_traffic.requests} requests ({len(shifted)} customers) with monthly "
                f"charges +25% and tenure -34%; their labels -> {recent.name} "
                f"(inference table: {logged} requests)"
            )

            from modelyard.demo._loop_alert import alert_fires, loop_guard, retrain

            echo(f"\n[7/{steps}] Monitor refresh -> drift alert -> webhook and retraining job")
            fired = alert_fires(folder, receiver, secret, job_id, echo)

            echo(f"\n[8/{steps}] The retraining job (scheduler thread of this process)")
            job = retrain(uri, fired["job_run_id"], receiver, echo)
            retrained = str(job["output"]["version"])
            for version, ev in job["output"]["evaluations"].items():
                evaluations[f"{version}@recent"] = float(ev["accuracy_score"])

            echo(f"\n[9/{steps}] Production gates for the retrained version {retrained}")
            from modelyard.demo._loop_models import gated_move, request_and_approve

            if _version(MODEL_NAME, retrained).current_stage != "Staging":
                outcomes.append(gated_move(MODEL_NAME, retrained, "Staging", echo))
            staged = _version(MODEL_NAME, retrained).current_stage == "Staging"
            if staged:
                outcome = request_and_approve(
                    MODEL_NAME,
                    retrained,
                    "Production",
                    f"retrained by job run {fired['job_run_id']} after {ALERT}",
                    echo,
                )
                outcomes.append(outcome)
            final_stage = _version(MODEL_NAME, retrained).current_stage
            verdict = "promoted" if final_stage == "Production" else "rejected"
            guard = loop_guard(
                server, FEATURES, make_churn(400, seed + 3), home, job_id, folder, echo
            )
            _audit(echo)

        from modelyard.mlops.alerts import get_alert_history, list_notifications

        return MlopsDemoResult(
            workdir=str(folder),
            tracking_uri=uri,
            model_name=MODEL_NAME,
            incumbent_version=incumbent,
            candidate_version=candidate,
            evaluations=evaluations,
            gate_outcomes=outcomes,
            ab_verdict=analysis.verdict,
            ab_winner_version=None if winner_version is None else str(winner_version),
            ab_requests=dict(traffic.by_version),
            alert_state=get_alert(ALERT)["state"],
            alert_history=get_alert_history(ALERT),
            notifications=list_notifications(ALERT),
            webhook_deliveries=[r for r in receiver.received if r.path == WEBHOOK_PATH],
            webhook_secret=secret,
            job_id=job_id,
            job_run_id=int(fired["job_run_id"]),
            job_run=job["run"],
            job_output=job["output"],
            retrained_version=retrained,
            retrained_stage=final_stage,
            verdict=verdict,
            loop_guard=guard,
        )


# ------------------------------------------------------------------------------ helpers


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _gate_text(gate: dict[str, Any]) -> str:
    kind = gate["type"]
    if kind == "metric_threshold":
        return f"{gate['metric']} >= {gate['threshold']} on {gate['dataset']}"
    if kind == "not_worse_than_production":
        return f"{gate['metric']} not more than {gate['max_absolute_drop']} below Production"
    if kind == "approvals":
        return f"{gate['min_approvals']} approval"
    return str(kind)


def _version(name: str, version: str) -> Any:
    from modelyard.tracking import MlflowClient

    return MlflowClient().get_model_version(name, version)


def _stage_of(name: str, stage: str) -> str:
    from modelyard.tracking import MlflowClient

    found = MlflowClient().get_latest_versions(name, [stage])
    return str(found[0].version) if found else "-"


def _shifted(frame: Any) -> Any:
    from modelyard.demo._deploy import shifted_traffic

    return shifted_traffic(frame)


def _incumbent(
    train: Any,
    valid: Any,
    features: list[str],
    seed: int,
    outcomes: list[Any],
    evaluations: dict[str, float],
    echo: Callable[[str], Any],
    steps: int,
) -> str:
    from sklearn.tree import DecisionTreeClassifier

    from modelyard.demo._loop_models import (
        evaluate_version,
        gated_move,
        request_and_approve,
        train_version,
    )

    echo(f"\n[2/{steps}] The incumbent: train, register, evaluate, gates, Production")
    # a first model weighted for recall: it flags many customers who stay, so the A/B
    # challenger beats it clearly whichever requests the random split gives each side
    trained = train_version(
        DecisionTreeClassifier(max_depth=2, class_weight="balanced", random_state=seed),
        train,
        features,
        MODEL_NAME,
        "incumbent_tree",
        echo,
    )
    evaluations[trained.version], _ = evaluate_version(
        MODEL_NAME, trained.version, valid, features, echo
    )
    outcomes.append(gated_move(MODEL_NAME, trained.version, "Staging", echo))
    outcomes.append(
        request_and_approve(
            MODEL_NAME, trained.version, "Production", "first model of the churn service", echo
        )
    )
    return trained.version


def _candidate(
    train: Any,
    valid: Any,
    features: list[str],
    seed: int,
    outcomes: list[Any],
    evaluations: dict[str, float],
    echo: Callable[[str], Any],
    steps: int,
) -> str:
    from sklearn.ensemble import GradientBoostingClassifier

    from modelyard.demo._loop_models import evaluate_version, gated_move, train_version

    echo(f"\n[3/{steps}] The candidate: train, register, evaluate, gates, Staging")
    trained = train_version(
        GradientBoostingClassifier(random_state=seed),
        train,
        features,
        MODEL_NAME,
        "candidate_gbm",
        echo,
    )
    evaluations[trained.version], _ = evaluate_version(
        MODEL_NAME, trained.version, valid, features, echo
    )
    outcomes.append(gated_move(MODEL_NAME, trained.version, "Staging", echo))
    return trained.version


def _promote_winner(analysis: Any, candidate: str, outcomes: list[Any], echo: Any) -> None:
    """``promote_winner`` first: the automation may move the winner only if every gate passes,
    and the approval gate needs a person. Then the transition request and its approval."""
    from modelyard.demo._loop_models import GateOutcome, print_gates, request_and_approve
    from modelyard.mlops import ab
    from modelyard.services.promotion import PromotionBlocked

    try:
        ab.promote_winner(analysis, stage="Production")
        outcome = GateOutcome(candidate, "Production", True)
        echo(f"  promote_winner moved version {candidate} to Production")
    except PromotionBlocked as exc:
        outcome = GateOutcome(candidate, "Production", False, error=exc.message.splitlines()[0])
        outcome.gates = [(r.gate, r.outcome, r.message) for r in exc.results]
        echo("  ab.promote_winner(result, stage='Production') runs the Production gates:")
        print_gates(outcome, echo)
    outcomes.append(outcome)
    if not outcome.moved:
        comparison = analysis.comparison(analysis.winner.variant)
        outcomes.append(
            request_and_approve(
                MODEL_NAME,
                candidate,
                "Production",
                f"A/B winner: accuracy {_num(comparison.challenger_value)} vs "
                f"{_num(comparison.control_value)}, p={_num(comparison.p_value_adjusted)}",
                echo,
            )
        )


def _retraining_job(folder: Path, receiver_url: str, seed: int, echo: Any) -> int:
    from modelyard import jobs

    script = folder / "retrain_job.py"
    shutil.copyfile(Path(__file__).with_name("_retrain_job.py"), script)
    job_id = jobs.create_job(
        {
            "name": "churn-retraining",
            "max_concurrent_runs": 1,
            "parameters": [
                {"name": "reason", "default": "manual"},
                {"name": "window", "default": ""},
            ],
            "tasks": [
                {
                    "task_key": "retrain",
                    "timeout_seconds": 900,
                    "spark_python_task": {
                        "python_file": str(script),
                        "parameters": [
                            "--data",
                            str(folder / "recent_customers.csv"),
                            "--model-name",
                            MODEL_NAME,
                            "--reason",
                            "{{job.parameters.reason}}",
                            "--window",
                            "{{job.parameters.window}}",
                            "--seed",
                            str(seed),
                        ],
                    },
                }
            ],
            "webhook_notifications": {"on_success": [{"url": receiver_url + JOB_HOOK_PATH}]},
        }
    )
    echo(f"  retraining job {job_id} 'churn-retraining' runs {script.name} (not scheduled)")
    return job_id


def _monitor_and_alert(
    home: str,
    train: Any,
    features: list[str],
    receiver_url: str,
    secret: str,
    job_id: int,
    echo: Any,
) -> None:
    from modelyard import monitoring
    from modelyard.mlops.alerts import create_alert
    from modelyard.serving import endpoints

    root = str(Path(home).parent / "monitors")
    monitoring.create_monitor(
        MONITOR,
        table=str(endpoints.inference_table_path(ENDPOINT, home=home)),
        profile="inference",
        granularities=["1 day"],
        feature_columns=features,
        baseline=train[features],
        root=root,
    )
    rule = create_alert(
        ALERT,
        {"type": "drift", "monitor": MONITOR, "min_columns": 2},
        [
            {"type": "webhook", "url": receiver_url + WEBHOOK_PATH, "secret": secret},
            {
                "type": "job",
                "job_id": job_id,
                "job_parameters": {"reason": "drift:{{alert.name}}", "window": "{{alert.window}}"},
            },
        ],
        cooldown_seconds=3600,
        description="drift of the churn endpoint's traffic against the training data",
        monitors_root=root,
    )
    echo(
        f"  monitor '{MONITOR}' on the endpoint's inference table (baseline: the training "
        f"rows); alert '{ALERT}' (state {rule['state']}): drift on >= 2 columns -> signed "
        f"webhook + job {job_id}, cool-down {rule['cooldown_seconds']}s"
    )


def _audit(echo: Any) -> None:
    from modelyard.tracking import MlflowClient

    client = MlflowClient()
    echo("\n  audit trail of the registry (stage moves; gate results below):")
    for entry in client.get_model_history(MODEL_NAME):
        if entry.kind == "gate":
            continue
        echo(
            f"    v{entry.version} {entry.kind:10} {entry.from_value or '-':>10} -> "
            f"{entry.to_value or '-':10} by {entry.user_id}"
        )
    results = client.get_gate_results(MODEL_NAME)
    failed = [r for r in results if r.record.outcome != "PASSED"]
    echo(
        f"  gate results recorded: {len(results)}, {len(results) - len(failed)} passed"
        + "".join(f"; v{r.version} {r.target} {r.record.gate} {r.record.outcome}" for r in failed)
    )
    for v in client.search_model_versions(f"name='{MODEL_NAME}'"):
        echo(f"    version {v.version}: {v.current_stage}")
