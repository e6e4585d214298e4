"""``modelyard alerts ...`` through click's runner: a rule from a YAML spec on a real monitor,
evaluation after a drifted day, the Slack message at a local receiver, history and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from tests.mlops.alerts.conftest import Receiver, day_frame

from modelyard.cli.main import cli


def test_create_evaluate_history_notifications_delete(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", "http,https")
    receiver = Receiver()
    try:
        db = f"sqlite:///{tmp_path / 'cli.db'}"
        root = str(tmp_path / "monitors")
        folder = tmp_path / "table"
        folder.mkdir()
        day_frame(0).to_parquet(folder / "d0.parquet")
        train = tmp_path / "train.csv"
        pd.concat([day_frame(-i, seed=i) for i in (1, 2)]).drop(columns=["ts"]).to_csv(
            train, index=False
        )
        runner = CliRunner()
        base = ["--tracking-uri", db]
        r = runner.invoke(
            cli,
            [
                "monitors",
                "create",
                "churn",
                "--table",
                str(folder),
                "--timestamp-col",
                "ts",
                "--prediction-col",
                "prediction",
                "--baseline-data",
                str(train),
                "--root",
                root,
            ],
        )
        assert r.exit_code == 0, r.output
        spec = tmp_path / "rule.yaml"
        spec.write_text(
            "condition: {type: drift, monitor: churn, min_columns: 2}\n"
            f"actions:\n  - {{type: slack, url: '{receiver.base}/slack'}}\n"
            "cooldown_seconds: 60\n"
        )
        r = runner.invoke(
            cli, ["alerts", "create", "drifty", "--spec", str(spec), "--root", root, *base]
        )
        assert r.exit_code == 0, r.output
        assert "Created alert 'drifty'" in r.output and "state OK" in r.output

        day_frame(1, shift=1.0).to_parquet(folder / "d1.parquet")
        # refreshed by the CLI: the hook evaluates the rule in the --tracking-uri database
        r = runner.invoke(cli, ["monitors", "refresh", "churn", "--root", root, *base])
        assert r.exit_code == 0, r.output
        r = runner.invoke(cli, ["alerts", "deliver", *base])
        assert r.exit_code == 0 and "0 notification(s) still pending" in r.output
        [msg] = receiver.bodies("/slack")
        assert "drifty" in msg["text"] and "TRIGGERED" in msg["text"]

        r = runner.invoke(cli, ["alerts", "list", *base])
        assert "drifty" in r.output and "TRIGGERED" in r.output
        r = runner.invoke(cli, ["alerts", "get", "drifty", *base])
        assert json.loads(r.output)["state"] == "TRIGGERED"
        r = runner.invoke(cli, ["alerts", "evaluate", "--monitor", "churn", "--root", root, *base])
        assert r.exit_code == 0 and "drifty" in r.output  # nothing new to judge
        r = runner.invoke(cli, ["alerts", "history", "drifty", *base])
        assert "OK -> TRIGGERED" in r.output and "1 day|2026-11-03T00:00:00+00:00" in r.output
        r = runner.invoke(
            cli, ["alerts", "notifications", "drifty", "--status", "DELIVERED", *base]
        )
        assert "slack" in r.output and "DELIVERED" in r.output
        r = runner.invoke(cli, ["alerts", "update", "drifty", "--disable", *base])
        assert r.exit_code == 0, r.output
        assert (
            json.loads(runner.invoke(cli, ["alerts", "get", "drifty", *base]).output)["enabled"]
            is False
        )

        r = runner.invoke(
            cli, ["alerts", "create", "bad", "--condition", "{not json}", "--root", root, *base]
        )
        assert r.exit_code != 0 and "--condition is not valid JSON" in r.output
        assert "Traceback" not in r.output
        r = runner.invoke(
            cli,
            ["alerts", "create", "bad", "--condition", '{"type": "drift"}', "--root", root, *base],
        )
        assert r.exit_code != 0 and "'condition.monitor' is required" in r.output
        r = runner.invoke(cli, ["alerts", "delete", "drifty", "--yes", *base])
        assert r.exit_code == 0, r.output
        r = runner.invoke(cli, ["alerts", "get", "drifty", *base])
        assert r.exit_code != 0 and "RESOURCE_DOES_NOT_EXIST" in r.output
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
