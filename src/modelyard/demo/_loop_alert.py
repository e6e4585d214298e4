"""MLOps demo steps after the shift: the monitor refresh that fires the drift alert, its
deliveries (signed webhook, job run), the retraining run, and the loop guard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["alert_fires", "loop_guard", "retrain"]


def _names() -> Any:
    from modelyard.demo import mlops

    return mlops


def alert_fires(folder: Path, receiver: Any, secret: str, job_id: int, echo: Any) -> dict[str, Any]:
    from modelyard import monitoring
    from modelyard.mlops.alerts import (
        deliver_notifications,
        get_alert,
        get_alert_history,
        list_notifications,
    )

    names = _names()
    result = monitoring.refresh_monitor(names.MONITOR, root=str(folder / "monitors"))
    echo(
        f"  refresh_monitor('{names.MONITOR}'): {len(result['processed'])} window(s) processed; "
        "the alert rules of the monitor are evaluated right after"
    )
    alert = get_alert(names.ALERT)
    [event, *_] = get_alert_history(names.ALERT)
    evidence = event.get("evidence") or {}
    effects = evidence.get("effect_sizes") or {}
    drifted = ", ".join(
        f"{c} (effect size {effects[c]:.3f})" if c in effects else str(c)
        for c in evidence.get("drifted_columns") or []
    )
    echo(
        f"  alert '{names.ALERT}': {event['from_state']} -> {event['to_state']} in window "
        f"{event['window']}; drifted columns ({evidence.get('value')}): {drifted or '-'}"
    )
    pending = deliver_notifications(timeout=120)  # the background sender may have done it
    notes = list_notifications(names.ALERT)
    for n in reversed(notes):
        echo(
            f"  notification {n['notification_id']}: {n['kind']} -> {n['target']} "
            f"{n['status']} after {n['attempts']} attempt(s), result {n['result']}"
            + (f", error {n['error']}" if n.get("error") else "")
        )
    if pending:
        echo(f"  ({pending} notification(s) still pending)")
    [hook, *_] = receiver.wait_for(names.WEBHOOK_PATH, 1) or [None]
    if hook is None:
        raise RuntimeError("the alert's webhook did not reach the local receiver")
    body = hook.json()
    echo(
        f"  receiver got POST {hook.path}: X-MLflow-Delivery-Id {hook.delivery_id}, "
        f"X-MLflow-Signature {'valid' if hook.signature_valid else 'INVALID'} (HMAC-SHA256 "
        f"with the shared secret), event {body['entity']}.{body['action']}, state "
        f"{body['data']['state']}"
    )
    job_notes = [n for n in notes if n["kind"] == "job" and n["status"] == "DELIVERED"]
    if not job_notes:
        raise RuntimeError(f"the alert did not start the retraining job: {notes}")
    run_id = int(job_notes[0]["result"])
    echo(f"  retraining job {job_id}: run {run_id} queued by the alert")
    return {"job_run_id": run_id, "webhook": hook, "state": alert["state"]}


def retrain(uri: str, job_run_id: int, receiver: Any, echo: Any) -> dict[str, Any]:
    from modelyard.jobs import JobsClient

    jobs = JobsClient(uri)
    run = jobs.wait_for_run(job_run_id, timeout=900)
    state = run["state"]
    params = {p["name"]: p["value"] for p in run.get("job_parameters") or []}
    [task] = run["tasks"]
    echo(
        f"  job run {job_run_id}: {state['life_cycle_state']} / {state.get('result_state')} "
        f"(trigger {run.get('trigger')}, parameters {params}); task run {task['run_id']}, "
        f"MLflow run {task.get('mlflow_run_id')}"
    )
    logs = jobs.get_run_output(task["run_id"]).get("logs") or ""
    output: dict[str, Any] = {}
    for line in reversed(logs.splitlines()):
        if line.strip().startswith("{"):
            output = json.loads(line)
            break
    if state.get("result_state") != "SUCCESS" or not output:
        raise RuntimeError(f"the retraining job run {job_run_id} failed: {state}\n{logs[-3000:]}")
    version = output["version"]
    echo(
        f"  it trained on the recent labelled customers and registered version {version} "
        f"(run {output['training_run_id']})"
    )
    for v, ev in output["evaluations"].items():
        echo(
            f"  evaluated v{v} on the recent validation rows: accuracy_score="
            f"{ev['accuracy_score']:.4f} (evaluation run {ev['run_id']})"
        )
    staging = output["staging"]
    for hook in receiver.wait_for(_names().JOB_HOOK_PATH, 1, timeout=30):
        body = hook.json()
        echo(
            f"  receiver got POST {hook.path}: {body.get('event_type')} for job run "
            f"{body.get('run_id')} (the job's own notification, unsigned)"
        )
    echo(
        f"  version {version} -> Staging: "
        + ("gates passed" if staging["moved"] else f"blocked: {staging.get('error')}")
    )
    return {"run": run, "output": output}


def loop_guard(
    server: Any,
    features: list[str],
    frame: Any,
    home: str,
    job_id: int,
    folder: Path,
    echo: Any,
) -> dict[str, Any]:
    """More shifted traffic and another refresh: the condition still holds, the rule stays
    TRIGGERED, nothing is sent and no second retraining run starts."""
    from modelyard import monitoring
    from modelyard.demo._loop_serving import send_traffic, wait_for_rows
    from modelyard.demo.mlops import _shifted
    from modelyard.jobs import JobsClient
    from modelyard.mlops.alerts import deliver_notifications, get_alert, list_notifications

    names = _names()
    before = len(list_notifications(names.ALERT))
    rows = len(wait_for_rows(names.ENDPOINT, home, 0))
    traffic = send_traffic(server, _shifted(frame), features)
    wait_for_rows(names.ENDPOINT, home, rows + traffic.requests)
    result = monitoring.refresh_monitor(names.MONITOR, root=str(folder / "monitors"))
    deliver_notifications(timeout=60)
    after = len(list_notifications(names.ALERT))
    state = get_alert(names.ALERT)["state"]
    runs = JobsClient().list_runs(job_id, limit=25).get("runs") or []
    echo(
        f"\n  loop guard: {traffic.requests} more shifted requests, refresh processed "
        f"{len(result['processed'])} window(s): alert still {state}, notifications "
        f"{before} -> {after}, runs of the retraining job: {len(runs)}"
    )
    return {
        "state": state,
        "notifications_before": before,
        "notifications_after": after,
        "job_runs": len(runs),
    }
