"""``spark_udf`` on a real local Spark session (local[2]) with a real sklearn model."""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.timeout(600)]

FEATURES = ["age", "tenure", "monthly_charges", "total_charges"]


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("modelyard-spark-udf-test")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def data_and_model(tmp_path_factory):
    from sklearn.linear_model import LogisticRegression

    import modelyard
    import modelyard.sklearn
    from modelyard.models.signature import infer_signature

    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame({c: rng.uniform(0, 100, n) for c in FEATURES})
    y = (frame["age"] + frame["tenure"] > 100).astype(int)
    model = LogisticRegression(max_iter=500).fit(frame, y)
    root = tmp_path_factory.mktemp("spark")
    saved_root = os.environ.get("MODELYARD_ARTIFACT_ROOT")
    modelyard.set_tracking_uri(f"sqlite:///{root / 'tracking.db'}")
    os.environ["MODELYARD_ARTIFACT_ROOT"] = (root / "artifacts").as_uri()
    with modelyard.start_run():
        modelyard.sklearn.log_model(
            model,
            name="model",
            registered_model_name="spark_churn",
            signature=infer_signature(frame, model.predict(frame)),
        )
    modelyard.MlflowClient().transition_model_version_stage("spark_churn", "1", "Production")
    yield frame, model
    modelyard.set_tracking_uri(None)
    if saved_root is None:
        os.environ.pop("MODELYARD_ARTIFACT_ROOT", None)
    else:
        os.environ["MODELYARD_ARTIFACT_ROOT"] = saved_root


def test_spark_udf_result_types(spark, data_and_model):
    from pyspark.sql.functions import col, struct

    from modelyard.pyfunc._spark import spark_udf

    frame, model = data_and_model
    df = spark.createDataFrame(frame.assign(row_id=np.arange(len(frame)))).repartition(3)

    udf = spark_udf(spark, "models:/spark_churn/Production", result_type="double")
    out = (
        df.withColumn("churn_prediction", udf(*[col(c) for c in FEATURES]))
        .select("row_id", "churn_prediction")
        .toPandas()
        .sort_values("row_id")
    )
    assert out["churn_prediction"].dtype == np.float64
    np.testing.assert_array_equal(out["churn_prediction"].to_numpy(), model.predict(frame))

    as_array = spark_udf(spark, "models:/spark_churn/1", result_type="array<long>")
    rows = (
        df.select("row_id", as_array(struct(*FEATURES)).alias("p")).toPandas().sort_values("row_id")
    )
    assert [list(p) for p in rows["p"].head(5)] == [[int(x)] for x in model.predict(frame.head(5))]

    as_struct = spark_udf(spark, "models:/spark_churn/1", result_type="struct<label:long>")
    rows = df.select("row_id", as_struct(*FEATURES).alias("p")).toPandas().sort_values("row_id")
    assert [r["label"] for r in rows["p"]] == model.predict(frame).tolist()
