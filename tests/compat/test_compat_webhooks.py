"""The REAL mlflow 3.17.2 client's webhook calls against a live ``modelyard server``, which
delivers to a real local receiver process (development switches on, as MLflow documents)."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest
from compat_support import ServerProcess, mlflow_python, run_mlflow_script

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from webhook_helpers import Receiver, wait_for

pytestmark = pytest.mark.compat


def test_mlflow_client_webhooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mlflow_python()
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS", "true")
    monkeypatch.setenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES", "http,https")
    monkeypatch.setenv("MODELYARD_WEBHOOK_POLL_MS", "100")
    (tmp_path / "artifacts").mkdir()
    receiver = Receiver(tmp_path)
    try:
        with ServerProcess(
            f"sqlite:///{tmp_path / 'store.db'}",
            tmp_path / "artifacts",
            log_path=tmp_path / "server.log",
        ) as server:
            prefix = uuid.uuid4().hex[:10]
            out = run_mlflow_script(
                "webhook_flow.py", server.url, tmp_path, {"prefix": prefix, "url": receiver.url}
            )
            records = wait_for(lambda: receiver.records() if len(receiver.records()) >= 2 else None)
    finally:
        receiver.stop()
    assert out["created"] == {
        "name": f"hook-{prefix}",
        "url": receiver.url,
        "events": ["model_version.created", "model_version_alias.created"],
        "status": "ACTIVE",
        "description": "compat",
        "secret": None,  # write-only: never comes back
    }
    assert out["get_same"] and out["listed"]
    assert out["updated"] == {"description": "changed", "events": ["registered_model.created"]}
    assert out["test"] == {"success": True, "status": 200, "body": "ok"}
    assert out["bad_url"] == "INVALID_PARAMETER_VALUE"
    assert out["after_delete"] == "RESOURCE_DOES_NOT_EXIST"
    bodies = [json.loads(r["body"]) for r in records]
    # the test delivery uses the webhook's first event (after the update) and example data
    assert (bodies[0]["entity"], bodies[0]["action"]) == ("registered_model", "created")
    assert bodies[0]["data"]["name"] == "example_model"
    assert bodies[1]["data"]["name"] == f"compat-wh-{prefix}"
    assert all("X-MLflow-Signature" in r["headers"] for r in records)
