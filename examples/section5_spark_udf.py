"""Course section 5, "Spark UDF (distributed inference)", run on modelyard.

Only the imports changed, plus local stand-ins for Databricks: a local Spark session
(``local[2]``), the table ``all_customers`` is built from the generated churn data,
``display`` prints, and ``saveAsTable("customer_predictions")`` becomes a Delta table at the path
``customer_predictions`` (written with ``deltalake``).
"""

import os
import sys

import modelyard as mlflow
import modelyard.pyfunc
import modelyard.sklearn
from deltalake import write_deltalake
from pyspark.sql import SparkSession
from pyspark.sql.functions import col
from sklearn.linear_model import LogisticRegression

from _data import display, read_customer_churn

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors use this environment
spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.sql.shuffle.partitions", "2")
    .config("spark.ui.enabled", "false")
    .getOrCreate()
)

# set-up: a Production model and the "all_customers" table
model_name = "customer_churn_classifier"
feature_cols = ["age", "tenure", "monthly_charges", "total_charges"]
history = read_customer_churn()
with mlflow.start_run():
    info = mlflow.sklearn.log_model(
        LogisticRegression(max_iter=1000).fit(history[feature_cols], history["churn"]),
        name="model",
        registered_model_name=model_name,
        input_example=history[feature_cols].head(3),
    )
mlflow.MlflowClient().transition_model_version_stage(
    model_name, info.registered_model_version, "Production"
)
spark.createDataFrame(history.drop(columns="churn")).createOrReplaceTempView("all_customers")

# --- the course's code -------------------------------------------------------------------
# Créer une UDF depuis le modèle
model_udf = mlflow.pyfunc.spark_udf(
    spark,
    model_uri=f"models:/{model_name}/Production",
    result_type="double"
)

# Appliquer le modèle sur un grand DataFrame Spark
large_df = spark.read.table("all_customers")

predictions_df = large_df.withColumn(
    "churn_prediction",
    model_udf(*[col(c) for c in feature_cols])
)

display(predictions_df.limit(5).toPandas())

# Sauvegarder (saveAsTable("customer_predictions") → a local Delta table)
write_deltalake("customer_predictions", predictions_df.toArrow(), mode="overwrite")
# -------------------------------------------------------------------------------------------

print("churn rate predicted:", predictions_df.agg({"churn_prediction": "avg"}).first()[0])
spark.stop()
