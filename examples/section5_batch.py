"""Course section 5, "Batch Inference", run on modelyard.

Only the imports changed, plus local stand-ins for Databricks: the table ``new_customers`` is a
parquet file, and ``saveAsTable("churn_predictions")`` becomes a Delta table at the path
``churn_predictions`` (written with ``deltalake``, no Spark needed). The set-up registers a
Production model first. The end shows the same job streamed in bounded memory by
``modelyard.batch.predict`` (what ``modelyard models predict`` runs).
"""

import modelyard as mlflow
import modelyard.pyfunc
import modelyard.sklearn
import pandas as pd
from deltalake import write_deltalake
from modelyard.utils.delta import read_delta
from sklearn.linear_model import LogisticRegression

from _data import read_customer_churn

# set-up: a Production model and a "new_customers" table
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
history[FEATURES].sample(500, random_state=1).to_parquet("new_customers.parquet", index=False)

# --- the course's code -------------------------------------------------------------------
# Charger le modèle Production
model = mlflow.pyfunc.load_model(f"models:/{model_name}/Production")

# Charger de nouvelles données
new_data_pandas = pd.read_parquet("new_customers.parquet")  # spark.read.table(...).toPandas()

# Prédictions batch
predictions = model.predict(new_data_pandas)

# Ajouter les prédictions au DataFrame
new_data_pandas["churn_prediction"] = predictions
new_data_pandas["prediction_date"] = pd.Timestamp.now()

# Sauvegarder les résultats (saveAsTable("churn_predictions") → a local Delta table)
write_deltalake("churn_predictions", new_data_pandas, mode="append")
# -------------------------------------------------------------------------------------------

print(read_delta("churn_predictions").head())  # spark.read.table("churn_predictions")

# The same job, streamed in chunks (bounded memory, any input size), appended to the table:
from modelyard.batch import predict

result = predict(
    f"models:/{model_name}/Production",
    "new_customers.parquet",
    "churn_predictions",
    mode="append",
    chunk_rows=200,
    prediction_col="churn_prediction",
)
print(f"Appended {result.rows} rows; table now has {len(read_delta('churn_predictions'))} rows")
