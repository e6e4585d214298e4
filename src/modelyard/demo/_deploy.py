"""Demo step 3: batch and real-time scoring of the Production model (course section 5).

The web application of the course sends four fields per customer (age, tenure, monthly and
total charges). The step trains a compact model on those fields, validates it and promotes it to
Production (the previous version is archived); then it batch-scores a file of new customers into
a Delta table, starts a serving endpoint that follows the Production stage, creates a bearer
token and calls the endpoint with the course's two records.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["API_FEATURES", "DeployResult", "free_port", "run_deploy", "wait_until_serving"]

API_FEATURES = ["age", "tenure", "monthly_charges", "total_charges"]
COURSE_RECORDS = [
    {"age": 35, "tenure": 12, "monthly_charges": 65.5, "total_charges": 786.0},
    {"age": 42, "tenure": 24, "monthly_charges": 89.3, "total_charges": 2143.2},
]


@dataclass
class DeployResult:
    version: str
    scored_rows: int
    table_path: str
    response: dict[str, Any]
    served_version: str
    logged_requests: int = 0


def wait_until_serving(
    proc: subprocess.Popen[bytes], base: str, failure_output: Callable[[], str]
) -> None:
    """Until ``modelyard endpoints serve`` at ``base`` answers ``/ping``; its output
    (``failure_output()``) in the error when it exits first or never answers."""
    import httpx

    deadline = time.monotonic() + 300  # generous: a busy machine starts workers slowly
    while True:
        try:
            if httpx.get(f"{base}/ping", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the serving endpoint did not start:\n{failure_output()}")
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _promote_compact_model(df: Any, model_name: str, echo: Any) -> str:
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split

    import modelyard as mlflow
    import modelyard.sklearn
    from modelyard.tracking import MlflowClient

    X_train, X_val, y_train, y_val = train_test_split(
        df[API_FEATURES], df["churn"], test_size=0.2, random_state=7
    )
    with mlflow.start_run(run_name="api_model_4_features"):
        model = GradientBoostingClassifier(random_state=7).fit(X_train, y_train)
        accuracy = float(accuracy_score(y_val, model.predict(X_val)))
        mlflow.log_param("features", ",".join(API_FEATURES))
        mlflow.log_metric("accuracy", accuracy)
        info = modelyard.sklearn.log_model(
            model, "model", registered_model_name=model_name, input_example=X_train.head(2)
        )
    version = str(info.registered_model_version)
    client = MlflowClient()
    client.transition_model_version_stage(model_name, version, "Staging")
    client.transition_model_version_stage(
        model_name, version, "Production", archive_existing_versions=True
    )
    echo(
        f"  compact model on {API_FEATURES} (accuracy={accuracy:.4f}) registered as version "
        f"{version} -> Production; the previous Production version is archived"
    )
    return version


#: rows of shifted traffic the demo sends to the endpoint (the monitoring step looks at them)
SHIFTED_ROWS = 500


def shifted_traffic(frame: Any) -> Any:
    """New customers whose monthly charges rose by a quarter and who stay a third shorter: the
    drift the monitoring step must flag (age and total charges are left as they were)."""
    out = frame.copy()
    out["monthly_charges"] = out["monthly_charges"] * 1.25
    out["tenure"] = (out["tenure"] * 0.66).round().astype(out["tenure"].dtype)
    return out


def run_deploy(df: Any, model_name: str, seed: int = 42, echo: Any = print) -> DeployResult:
    import httpx

    import modelyard as mlflow
    from modelyard import batch
    from modelyard.demo.data import make_churn
    from modelyard.serving import endpoints

    version = _promote_compact_model(df, model_name, echo)

    new_customers = make_churn(1000, seed=seed + 100).drop(columns=["churn"])
    new_path = os.path.abspath("new_customers.csv")
    new_customers.to_csv(new_path, index=False)
    table = os.path.abspath("churn_predictions")
    result = batch.predict(
        f"models:/{model_name}/Production",
        new_path,
        table,
        mode="append",
        prediction_col="churn_prediction",
        output_format="delta",
        progress=False,
    )
    echo(
        f"  batch: {len(new_customers)} new customers scored -> Delta table {table} "
        f"(columns churn_prediction, prediction_date)"
    )

    endpoint_name = model_name
    try:
        endpoints.delete_endpoint(endpoint_name)
    except mlflow.ModelyardError:
        pass
    endpoints.create_endpoint(
        endpoint_name,
        served_models=[
            {"model_name": model_name, "stage": "Production", "traffic_percentage": 100}
        ],
        workload_size="small",
    )
    token = endpoints.create_token(comment="modelyard demo", endpoint=endpoint_name)["token"]
    port = free_port()
    env = dict(os.environ, MLFLOW_TRACKING_URI=mlflow.get_tracking_uri())
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "modelyard.cli.main",
            "endpoints",
            "serve",
            endpoint_name,
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(
            server, base, lambda: server.stderr.read().decode()[-2000:] if server.stderr else ""
        )
        unauthorized = httpx.post(
            f"{base}/serving-endpoints/{endpoint_name}/invocations",
            json={"dataframe_records": COURSE_RECORDS},
            timeout=120,
        )
        echo(
            f"  endpoint {endpoint_name} started on port {port}; without a token: "
            f"HTTP {unauthorized.status_code}"
        )
        response = httpx.post(
            f"{base}/serving-endpoints/{endpoint_name}/invocations",
            headers={"Authorization": f"Bearer {token}"},
            json={"dataframe_records": COURSE_RECORDS},
            timeout=120,
        )
        response.raise_for_status()
        served = response.headers.get("X-Modelyard-Model-Version", "?")
        echo(
            f"  POST /serving-endpoints/{endpoint_name}/invocations with a bearer token and the "
            f"course's two records -> {response.json()} (version {served})"
        )
        shifted = shifted_traffic(make_churn(SHIFTED_ROWS, seed=seed + 200))
        for start in range(0, len(shifted), 100):
            chunk = shifted.iloc[start : start + 100][API_FEATURES]
            httpx.post(
                f"{base}/serving-endpoints/{endpoint_name}/invocations",
                headers={"Authorization": f"Bearer {token}"},
                json={"dataframe_split": chunk.to_dict(orient="split", index=False)},
                timeout=30,
            ).raise_for_status()
        echo(
            f"  then {len(shifted)} more customers in {-(-len(shifted) // 100)} requests, with "
            "monthly charges and tenure shifted (logged to the endpoint's inference table)"
        )
    finally:
        server.terminate()
        server.wait(30)
    requests = 1 + -(-SHIFTED_ROWS // 100)  # the course records + the shifted chunks
    return DeployResult(version, result.rows, table, response.json(), served, requests)
