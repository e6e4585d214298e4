"""Course section 5, "Model Serving (Real-time)", run on modelyard.

Only the imports changed, plus local stand-ins for Databricks: "Enable Serving" in the UI is
``modelyard.serving.endpoints.create_endpoint`` (workload size small) followed by
``modelyard endpoints serve`` (started here as a background process), the Databricks API token
comes from ``endpoints.create_token``, and the endpoint URL is local.
"""

import os
import subprocess
import sys
import time

import modelyard as mlflow
import modelyard.sklearn
from modelyard.serving import endpoints
from sklearn.linear_model import LogisticRegression

from _data import read_customer_churn

# set-up: a Production model, as left by section 3
model_name = "customer_churn_classifier"
FEATURES = ["age", "tenure", "monthly_charges", "total_charges"]
history = read_customer_churn()
with mlflow.start_run():
    info = mlflow.sklearn.log_model(
        LogisticRegression(max_iter=1000).fit(history[FEATURES], history["churn"]),
        name="model",
        registered_model_name=model_name,
        input_example=history[FEATURES].head(3),
    )
mlflow.MlflowClient().transition_model_version_stage(
    model_name, info.registered_model_version, "Production"
)

# "Enable Serving" (Machine Learning → Models → Serving), workload size Small
endpoints.create_endpoint(
    model_name,
    served_models=[{"model_name": model_name, "stage": "Production", "traffic_percentage": 100}],
    workload_size="small",
)
port = int(os.environ.get("SECTION5_PORT", "8765"))
server = subprocess.Popen(
    [sys.executable, "-m", "modelyard.cli.main", "endpoints", "serve", "--port", str(port)]
)
import requests

for _ in range(600):
    try:
        if requests.get(f"http://127.0.0.1:{port}/ping", timeout=2).status_code == 200:
            break
    except requests.ConnectionError:
        pass
    time.sleep(0.2)

try:
    # --- the course's code ---------------------------------------------------------------
    # Appeler le endpoint
    import requests
    import json

    # Token d'authentification (Databricks: dbutils...apiToken())
    token = endpoints.create_token(comment="section 5")["token"]

    # Endpoint du modèle
    serving_endpoint = f"http://127.0.0.1:{port}/serving-endpoints/customer_churn_classifier/invocations"

    # Données d'entrée
    input_data = {
        "dataframe_records": [
            {"age": 35, "tenure": 12, "monthly_charges": 65.5, "total_charges": 786.0},
            {"age": 42, "tenure": 24, "monthly_charges": 89.3, "total_charges": 2143.2}
        ]
    }

    # Requête
    response = requests.post(
        serving_endpoint,
        headers={"Authorization": f"Bearer {token}"},
        json=input_data
    )

    predictions = response.json()
    print(predictions)
    # Output: {"predictions": [0, 1]}
    # -----------------------------------------------------------------------------------
    print("served by version", response.headers["X-Modelyard-Model-Version"])
finally:
    server.terminate()
    server.wait(30)
