"""A monitor on the inference table of a real serving endpoint: two registered model versions
behind one endpoint (50/50), shifted traffic over real HTTP, labels arriving after the first
refresh, quality per model version."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pandas as pd
import pytest

import modelyard
from modelyard import monitoring
from modelyard.serving import endpoints

pytestmark = pytest.mark.timeout(300)
FEATURES = ["age", "tenure", "monthly_charges"]


def _data(n: int, seed: int, shift: float = 0.0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.uniform(18, 80, n),
            "tenure": rng.uniform(0, 72, n),
            "monthly_charges": rng.uniform(20, 120, n) * (1 + shift),
        }
    )
    y = ((X["monthly_charges"] > 70) & (X["tenure"] < 30)).astype(int).to_numpy()
    return X, y


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def env(tmp_path, monkeypatch):
    values = {
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'tracking.db'}",
        "MODELYARD_SERVING_HOME": str(tmp_path / "serving"),
        "MODELYARD_ARTIFACT_ROOT": (tmp_path / "artifacts").as_uri(),
        "MODELYARD_MONITORS_ROOT": str(tmp_path / "monitors"),
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    monkeypatch.chdir(tmp_path)
    modelyard.set_tracking_uri(values["MLFLOW_TRACKING_URI"])
    yield values
    modelyard.set_tracking_uri(None)


def test_monitor_on_a_real_endpoint(env, tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    import modelyard.sklearn
    from modelyard.models.signature import infer_signature

    X, y = _data(600, 0)
    versions = []
    for model in (LogisticRegression(max_iter=500), DecisionTreeClassifier(max_depth=4)):
        model.fit(X, y)
        with modelyard.start_run():
            info = modelyard.sklearn.log_model(
                model,
                name="model",
                registered_model_name="churn",
                signature=infer_signature(X, model.predict(X)),
            )
        versions.append(str(info.registered_model_version))
    monitoring.set_baseline("churn", versions[0], X)
    endpoints.create_endpoint(
        "churn",
        [
            {"model_name": "churn", "model_version": versions[0], "traffic_percentage": 50},
            {"model_name": "churn", "model_version": versions[1], "traffic_percentage": 50},
        ],
    )
    token = endpoints.create_token("monitoring test")["token"]
    port = _port()
    log = open(tmp_path / "gateway.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "modelyard.cli.main",
            "endpoints",
            "serve",
            "--workers",
            "1",
            "--port",
            str(port),
            "--poll-interval",
            "0.5",
        ],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    traffic, truth = _data(160, 5, shift=0.6)  # prices went up
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as c:
            headers = {"Authorization": f"Bearer {token}"}
            deadline = time.time() + 120
            first = traffic.iloc[:1].to_dict("records")
            while True:
                try:
                    r = c.post(
                        "/serving-endpoints/churn/invocations",
                        json={"dataframe_records": first},
                        headers=headers,
                    )
                    if r.status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None, (tmp_path / "gateway.log").read_text()
                assert time.time() < deadline, (tmp_path / "gateway.log").read_text()[-2000:]
                time.sleep(0.5)
            for row in traffic.iloc[1:].to_dict("records"):
                r = c.post(
                    "/serving-endpoints/churn/invocations",
                    json={"dataframe_records": [row]},
                    headers=headers,
                )
                assert r.status_code == 200, r.text
        deadline = time.time() + 30
        while len(table := endpoints.read_inference_table("churn")) < 160:
            assert time.time() < deadline, len(table)
            time.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()

    mon = monitoring.create_monitor(
        "churn",
        table=str(endpoints.inference_table_path("churn")),
        model_name="churn",
        label_col="churn",
        problem_type="classification",
        baseline=versions[0],
    )
    assert mon.has_baseline and mon.prediction_col == "prediction"
    assert len(monitoring.refresh_monitor("churn")["processed"]) >= 1  # 2 across midnight
    drift = monitoring.get_monitor("churn").drift_metrics()
    flagged = set(drift[drift.drift & (drift.drift_type == "baseline")].column_name)
    assert flagged == {"monthly_charges"}

    # labels arrive: the true outcome of each request, matched through the request body
    table = table.sort_values("timestamp")
    rows = {
        json.dumps(r, sort_keys=True): int(t)
        for r, t in zip(traffic.to_dict("records"), truth, strict=True)
    }
    labels = [
        rows[json.dumps(json.loads(req)["dataframe_records"][0], sort_keys=True)]
        for req in table["request"]
    ]
    monitoring.log_labels("churn", table["request_id"].tolist(), labels)
    assert monitoring.refresh_monitor("churn")["processed"] == mon_keys(mon)
    quality = monitoring.get_monitor("churn").quality_metrics().set_index("model_version")
    assert set(quality.index) == {":all", *versions}
    assert quality.loc[versions[0], "count"] + quality.loc[versions[1], "count"] == 160
    for v in versions:
        served = table[table["model_version"] == v]
        preds = [json.loads(r)["predictions"][0] for r in served["response"]]
        want = np.mean(
            [
                p == rows[json.dumps(json.loads(q)["dataframe_records"][0], sort_keys=True)]
                for p, q in zip(preds, served["request"], strict=True)
            ]
        )
        assert quality.loc[v, "accuracy"] == pytest.approx(want)


def mon_keys(mon) -> list[str]:
    return list(monitoring.get_monitor(mon.name).windows)
