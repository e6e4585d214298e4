"""``modelyard demo --mlops`` end to end, through the CLI, on the embedded SQLite store: real
endpoint server, monitor, alert, webhook receiver, jobs scheduler and retraining job."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from modelyard.cli.demo import demo_command
from modelyard.demo.mlops import DEMO_ENV, MlopsDemoResult


def _signed(secret: str, headers: dict[str, str], body: str) -> bool:
    h = {k.lower(): v for k, v in headers.items()}
    content = f"{h['x-mlflow-delivery-id']}.{h['x-mlflow-timestamp']}.{body}".encode()
    digest = hmac.new(secret.encode(), content, hashlib.sha256).digest()
    return h["x-mlflow-signature"] == "v1," + base64.b64encode(digest).decode()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[MlopsDemoResult, str, dict]:
    mp = pytest.MonkeyPatch()
    for key in (*DEMO_ENV, "MLFLOW_TRACKING_URI", "MODELYARD_ARTIFACT_ROOT", "MLFLOW_RUN_ID"):
        mp.delenv(key, raising=False)
    mp.setenv("MPLBACKEND", "Agg")
    workdir = tmp_path_factory.mktemp("mlops") / "d"
    try:
        out = CliRunner().invoke(
            demo_command,
            ["--mlops", "--workdir", str(workdir), "--rows", "3000"],
            standalone_mode=False,
            catch_exceptions=False,
        )
        after = {k: os.environ.get(k) for k in DEMO_ENV}
    finally:
        mp.undo()
    assert out.exit_code == 0, out.output
    assert isinstance(out.return_value, MlopsDemoResult)
    return out.return_value, out.output, after


def test_the_switches_are_scoped_to_the_demo_and_announced(demo) -> None:  # type: ignore[no-untyped-def]
    result, output, after = demo
    assert after == dict.fromkeys(DEMO_ENV)  # unset again once the demo ended
    for key, value in DEMO_ENV.items():
        assert f"{key}={value}" in output
    assert result.tracking_uri == f"sqlite:///{Path(result.workdir) / 'modelyard.db'}"
    assert (Path(result.workdir) / "modelyard.db").is_file()


def test_the_alert_fired_and_its_webhook_arrived_signed(demo) -> None:  # type: ignore[no-untyped-def]
    from modelyard.mlops.alerts import get_alert, get_alert_history, list_notifications

    result, output, _ = demo
    uri = result.tracking_uri
    assert get_alert("churn-drift", tracking_uri=uri)["state"] == "TRIGGERED"
    history = get_alert_history("churn-drift", tracking_uri=uri)
    assert [(e["from_state"], e["to_state"]) for e in history] == [("OK", "TRIGGERED")]
    # the shift changed exactly these two columns of the served traffic
    assert sorted(history[0]["evidence"]["drifted_columns"]) == ["monthly_charges", "tenure"]

    notes = {n["kind"]: n for n in list_notifications("churn-drift", tracking_uri=uri)}
    assert set(notes) == {"webhook", "job"}
    assert notes["webhook"]["status"] == "DELIVERED" and notes["webhook"]["result"] == "200"
    [hook] = result.webhook_deliveries
    assert hook.path == "/hooks/modelyard-alerts"
    assert hook.signature_valid
    assert _signed(result.webhook_secret, hook.headers, hook.body)  # checked independently
    assert not _signed("another-secret", hook.headers, hook.body)
    assert hook.delivery_id == notes["webhook"]["notification_id"]
    body = json.loads(hook.body)
    assert (body["entity"], body["action"]) == ("monitor", "alert")
    assert body["data"]["alert"] == "churn-drift"
    assert body["data"]["state"] == "TRIGGERED"
    assert f"X-MLflow-Delivery-Id {hook.delivery_id}" in output
    assert "X-MLflow-Signature valid" in output
    assert "1 of 1 webhook delivery(ies) validly signed" in output


def test_the_retraining_job_ran_once_and_made_a_new_version(demo) -> None:  # type: ignore[no-untyped-def]
    from modelyard.jobs import JobsClient
    from modelyard.mlops.alerts import list_notifications
    from modelyard.tracking import MlflowClient

    result, _, _ = demo
    uri = result.tracking_uri
    jobs = JobsClient(uri)
    [job_note] = [
        n for n in list_notifications("churn-drift", tracking_uri=uri) if n["kind"] == "job"
    ]
    assert job_note["status"] == "DELIVERED"
    assert int(job_note["result"]) == result.job_run_id
    run = jobs.get_run(result.job_run_id)
    assert run["job_id"] == result.job_id
    assert run["state"]["life_cycle_state"] == "TERMINATED"
    assert run["state"]["result_state"] == "SUCCESS"
    params = {p["name"]: p["value"] for p in run["job_parameters"]}
    assert params["reason"] == "drift:churn-drift"
    assert params["window"].startswith("1 day|")
    # the loop guard: more drifted traffic after the retraining started no second run
    assert len(jobs.list_runs(result.job_id)["runs"]) == 1
    assert result.loop_guard["job_runs"] == 1
    assert result.loop_guard["state"] == "TRIGGERED"
    assert result.loop_guard["notifications_before"] == result.loop_guard["notifications_after"]

    client = MlflowClient(uri)
    new = client.get_model_version(result.model_name, result.retrained_version)
    assert int(new.version) == 3  # after the incumbent (1) and the A/B challenger (2)
    tags = client.get_run(new.run_id).data.tags
    assert tags["modelyard.job.id"] == str(result.job_id)
    assert tags["modelyard.job.run_id"] == str(result.job_run_id)


def test_the_final_stage_matches_the_gates_and_the_audit_trail_has_them(demo) -> None:  # type: ignore[no-untyped-def]
    from modelyard.tracking import MlflowClient

    result, output, _ = demo
    client = MlflowClient(result.tracking_uri)
    name, new = result.model_name, result.retrained_version
    assert client.get_model_version(name, new).current_stage == result.retrained_stage
    gates = [g for g in client.get_gate_results(name, new) if g.target == "Production"]
    assert {g.record.gate_type for g in gates} == {
        "metric_threshold",
        "not_worse_than_production",
        "signature_compatible",
        "approvals",
    }
    all_passed = all(g.record.outcome == "PASSED" for g in gates)
    assert result.verdict == ("promoted" if all_passed else "rejected")
    assert (result.retrained_stage == "Production") == all_passed
    assert f"VERDICT: retrained version {new} {result.verdict.upper()}" in output

    # the A/B: the challenger (v2) won, promote_winner was held by the approvals gate alone,
    # the approved request moved it (approver recorded as anonymous, auth is off)
    assert result.ab_winner_version == result.candidate_version == "2"
    v2 = client.get_gate_results(name, "2")
    held = [g for g in v2 if g.target == "Production" and g.record.outcome == "FAILED"]
    assert [g.record.gate_type for g in held] == ["approvals"]
    history = client.get_model_history(name)
    # every gate of every attempt is an entry of the model's audit trail too
    gate_entries = [h for h in history if h.kind == "gate"]
    assert len(gate_entries) == len(client.get_gate_results(name))
    assert ("approvals", "FAILED") in [(h.from_value, h.to_value) for h in gate_entries]
    moves = [(h.version, h.from_value, h.to_value) for h in history if h.kind == "stage"]
    assert ("2", "Staging", "Production") in [(str(v), f, t) for v, f, t in moves]
    approvals = [
        g for g in v2 if g.record.gate_type == "approvals" and g.record.outcome == "PASSED"
    ]
    assert approvals and approvals[-1].record.evidence["approvers"] == ["anonymous"]
    assert result.evaluations["2"] > result.evaluations["1"]


def test_a_blocked_approval_is_rejected_and_moves_nothing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The demo's last step when the retrained version fails a gate: the approval is refused,
    the request is rejected, the version stays where it was, the failed gate is in the trail."""
    from sklearn.tree import DecisionTreeClassifier

    import modelyard
    from modelyard.demo._loop_models import POLICY, request_and_approve, train_version
    from modelyard.demo.data import FEATURES, make_churn
    from modelyard.tracking import MlflowClient

    monkeypatch.setenv("MODELYARD_ARTIFACT_ROOT", (tmp_path / "artifacts").as_uri())
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    modelyard.set_tracking_uri(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        client = MlflowClient()
        client.create_registered_model("m")
        client.set_registered_model_policy("m", POLICY)
        lines: list[str] = []
        trained = train_version(
            DecisionTreeClassifier(max_depth=1),
            make_churn(300, 1),
            FEATURES,
            "m",
            "t",
            lines.append,
        )
        # never evaluated: the metric gate has no evidence and fails
        outcome = request_and_approve("m", trained.version, "Production", "try", lines.append)
        assert not outcome.moved
        failed = {g for g, result, _ in outcome.gates if result == "FAILED"}
        assert "metric_threshold:accuracy_score" in failed
        assert client.get_model_version("m", trained.version).current_stage == "None"
        [rejected] = client.list_transition_requests("m", trained.version, ["REJECTED"])
        assert rejected.to_stage == "Production"
        assert client.list_transition_requests("m", trained.version) == []
        assert any("BLOCKED" in line for line in lines)
    finally:
        modelyard.set_tracking_uri(None)


def test_a_server_url_or_a_used_folder_is_refused(tmp_path: Path) -> None:
    out = CliRunner().invoke(demo_command, ["--mlops", "--tracking-uri", "http://127.0.0.1:1"])
    assert out.exit_code == 2
    assert "--tracking-uri" in out.output and "not a server URL" in out.output
    (tmp_path / "modelyard.db").write_bytes(b"")
    out = CliRunner().invoke(demo_command, ["--mlops", "--workdir", str(tmp_path)])
    assert out.exit_code == 1
    assert "workdir:" in str(out.exception) and "already holds a demo store" in str(out.exception)
