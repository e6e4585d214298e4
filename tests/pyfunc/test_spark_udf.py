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


def test_spark_udf_without_signature_names_columns_as_strings(spark, tmp_path):
    """Like MLflow: unnamed UDF arguments reach the model as columns "0", "1", ..."""
    from pyspark.sql.functions import col
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    import modelyard.sklearn
    from modelyard.pyfunc._spark import spark_udf

    rng = np.random.default_rng(1)
    train = pd.DataFrame({str(i): rng.uniform(0, 1, 200) for i in range(3)})
    y = (train["0"] > train["2"]).astype(int)
    # selects columns by their string names: int names 0, 1, 2 would not be found
    model = make_pipeline(
        make_column_transformer(("passthrough", ["0", "2"])), LogisticRegression()
    ).fit(train, y)
    path = tmp_path / "unsigned"
    modelyard.sklearn.save_model(model, str(path))

    df = spark.createDataFrame(train.rename(columns=lambda c: f"f{c}").assign(row_id=range(200)))
    udf = spark_udf(spark, str(path), result_type="long")
    out = (
        df.select("row_id", udf(col("f0"), col("f1"), col("f2")).alias("p"))
        .toPandas()
        .sort_values("row_id")
    )
    assert out["p"].tolist() == model.predict(train).tolist()


def test_spark_udf_predict_proba_param(spark, data_and_model):
    from pyspark.sql.functions import col

    from modelyard.pyfunc._spark import spark_udf

    frame, model = data_and_model
    small = frame.head(300)
    df = spark.createDataFrame(small.assign(row_id=np.arange(len(small)))).repartition(2)
    udf = spark_udf(
        spark,
        "models:/spark_churn/1",
        result_type="array<double>",
        params={"predict_method": "predict_proba"},
    )
    rows = (
        df.select("row_id", udf(*[col(c) for c in FEATURES]).alias("p"))
        .toPandas()
        .sort_values("row_id")
    )
    got = np.array([list(p) for p in rows["p"]])
    assert got.shape == (len(small), 2)
    np.testing.assert_allclose(got, model.predict_proba(small), rtol=1e-9)


def test_spark_udf_sets_worker_python_when_unset(spark, data_and_model, monkeypatch):
    """A local session created without PYSPARK_PYTHON gets this interpreter for its workers
    ('python3' on the PATH here has no modelyard)."""
    from pyspark.sql.functions import col

    from modelyard.pyfunc._spark import spark_udf

    frame, model = data_and_model
    sc = spark.sparkContext
    saved = sc.pythonExec
    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    sc.pythonExec = "python3"  # what SparkContext picks when PYSPARK_PYTHON is unset
    try:
        udf = spark_udf(spark, "models:/spark_churn/1", result_type="long")
        assert sc.pythonExec == sys.executable
        small = frame.head(50)
        df = spark.createDataFrame(small.assign(row_id=np.arange(len(small))))
        rows = df.select("row_id", udf(*[col(c) for c in FEATURES]).alias("p")).toPandas()
        assert rows.sort_values("row_id")["p"].tolist() == model.predict(small).tolist()
    finally:
        sc.pythonExec = saved


def test_spark_udf_cluster_without_pyspark_python_is_a_clear_error(monkeypatch):
    """Outside local mode the executors' interpreter cannot be guessed."""
    from types import SimpleNamespace

    from modelyard.errors import InvalidParameterValue
    from modelyard.pyfunc._spark import _ensure_worker_python

    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    conf = SimpleNamespace(get=lambda key, default=None: default)
    sc = SimpleNamespace(master="spark://10.0.0.1:7077", pythonExec="python3", getConf=lambda: conf)
    with pytest.raises(InvalidParameterValue, match="PYSPARK_PYTHON"):
        _ensure_worker_python(SimpleNamespace(sparkContext=sc))
    monkeypatch.setenv("PYSPARK_PYTHON", "/opt/py/bin/python")
    _ensure_worker_python(SimpleNamespace(sparkContext=sc))  # the user's choice is kept
    assert sc.pythonExec == "python3"
