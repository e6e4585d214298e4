"""A real ``modelyard server`` process with two workers: the Python API and the CLI on its URL,
a refresh through its REST API evaluates the rule, one worker's dispatcher delivers once, the
scheduled evaluations of both workers record the transition once."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from click.testing import CliRunner
from tests.mlops.alerts.conftest import day_frame, wait_for

from modelyard.cli.main import cli
from modelyard.mlops.alerts import (
    create_alert,
    deliver_notifications,
    evaluate_alerts,
    get_alert,
    get_alert_history,
    list_notifications,
)
from modelyard.testing.server_process import ServerProcess

MON = "/api/2.0/modelyard/monitors"


def test_alerts_on_a_server_with_two_workers(tmp_path: Path, receiver) -> None:  # type: ignore[no-untyped-def]
    dest = tmp_path / "artifacts"
    folder = dest / "table"
    folder.mkdir(parents=True)
    day_frame(0).to_parquet(folder / "d0.parquet")
    env = {
        "MODELYARD_MONITORS_ROOT": str(tmp_path / "monitors"),
        "MODELYARD_ALERTS_EVAL_SECONDS": "1",
        "MODELYARD_ALERTS_POLL_MS": "200",
        "MODELYARD_JOBS_SCHEDULER": "0",
        "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
        "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
    }
    db = f"sqlite:///{tmp_path / 'server.db'}"
    with ServerProcess(db, dest, workers=2, env=env, log_path=tmp_path / "server.log") as server:
        url = server.url
        r = httpx.post(
            f"{url}{MON}/create",
            json={
                "name": "churn",
                "table": str(folder),
                "timestamp_col": "ts",
                "prediction_col": "prediction",
            },
            timeout=120,
        )
        assert r.status_code == 200, r.text
        rule = create_alert(
            "served",
            {"type": "drift", "monitor": "churn", "min_columns": 2, "drift_type": "consecutive"},
            [{"type": "slack", "url": f"{receiver.base}/slack"}],
            tracking_uri=url,
        )
        assert rule["state"] == "OK"
        day_frame(1, shift=1.5).to_parquet(folder / "d1.parquet")
        r = httpx.post(f"{url}{MON}/refresh", json={"name": "churn"}, timeout=120)
        assert r.status_code == 200, r.text
        assert get_alert("served", tracking_uri=url)["state"] == "TRIGGERED"
        assert deliver_notifications(tracking_uri=url, timeout=120) == 0
        wait_for(lambda: receiver.bodies("/slack"), "the server to deliver")
        # more evaluations by hand and by both workers' schedules: still one transition
        for _ in range(3):
            [out] = evaluate_alerts(alert="served", tracking_uri=url)
            assert out["windows_judged"] == 0
        assert len(get_alert_history("served", tracking_uri=url)) == 1
        [note] = list_notifications("served", tracking_uri=url)
        assert (note["status"], note["attempts"]) == ("DELIVERED", 1)
        assert len(receiver.bodies("/slack")) == 1

        runner = CliRunner()
        r = runner.invoke(cli, ["alerts", "list", "--tracking-uri", url])
        assert r.exit_code == 0 and "served" in r.output and "TRIGGERED" in r.output
        r = runner.invoke(cli, ["alerts", "get", "served", "--tracking-uri", url])
        assert json.loads(r.output)["alert_id"] == rule["alert_id"]
        r = runner.invoke(cli, ["alerts", "delete", "served", "--yes", "--tracking-uri", url])
        assert r.exit_code == 0, r.output
        r = runner.invoke(cli, ["alerts", "get", "served", "--tracking-uri", url])
        assert r.exit_code != 0 and "RESOURCE_DOES_NOT_EXIST" in r.output
