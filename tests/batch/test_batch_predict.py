"""Batch inference on real files and Delta tables with a real sklearn model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from modelyard.batch import predict
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist

FEATURES = ["age", "tenure", "monthly_charges"]


@pytest.fixture(scope="module")
def model_and_data(tmp_path_factory):
    from sklearn.linear_model import LogisticRegression

    import modelyard.sklearn
    from modelyard.models.signature import infer_signature

    rng = np.random.default_rng(0)
    n = 5_000
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(n),
            "age": rng.uniform(18, 80, n),
            "tenure": rng.uniform(0, 72, n),
            "monthly_charges": rng.uniform(20, 120, n),
        }
    )
    y = (frame["monthly_charges"] > 70).astype(int)
    model = LogisticRegression().fit(frame[FEATURES], y)
    root = tmp_path_factory.mktemp("batch")
    modelyard.sklearn.save_model(
        model,
        str(root / "model"),
        signature=infer_signature(frame[FEATURES], model.predict(frame[FEATURES])),
    )
    frame.to_csv(root / "in.csv", index=False)
    frame.to_parquet(root / "in.parquet")
    return root, frame, model.predict(frame[FEATURES])


def _check(out: pd.DataFrame, frame: pd.DataFrame, want: np.ndarray, col: str) -> None:
    out = out.sort_values("customer_id").reset_index(drop=True)
    assert len(out) == len(frame)
    np.testing.assert_array_equal(out[col].to_numpy(), want)
    np.testing.assert_allclose(out["age"].to_numpy(), frame["age"].to_numpy())
    assert out["prediction_date"].nunique() == 1


def test_csv_to_csv_in_chunks(model_and_data, tmp_path):
    root, frame, want = model_and_data
    result = predict(
        str(root / "model"),
        str(root / "in.csv"),
        str(tmp_path / "out.csv"),
        chunk_rows=700,
        prediction_col="churn_prediction",
        progress=False,
    )
    assert result.rows == 5000 and result.output_format == "csv"
    out = pd.read_csv(tmp_path / "out.csv", parse_dates=["prediction_date"])
    _check(out, frame, want, "churn_prediction")
    predict(
        str(root / "model"),
        str(root / "in.csv"),
        str(tmp_path / "out.csv"),
        mode="append",
        chunk_rows=2000,
        prediction_col="churn_prediction",
        progress=False,
    )
    assert len(pd.read_csv(tmp_path / "out.csv")) == 10_000


def test_parquet_file_and_dataset(model_and_data, tmp_path):
    root, frame, want = model_and_data
    predict(
        str(root / "model"),
        str(root / "in.parquet"),
        str(tmp_path / "out.parquet"),
        chunk_rows=1000,
        progress=False,
    )
    _check(pd.read_parquet(tmp_path / "out.parquet"), frame, want, "prediction")
    with pytest.raises(InvalidParameterValue, match="single parquet file"):
        predict(
            str(root / "model"),
            str(root / "in.parquet"),
            str(tmp_path / "out.parquet"),
            mode="append",
            progress=False,
        )
    target = tmp_path / "dataset"
    predict(
        str(root / "model"),
        str(root / "in.parquet"),
        str(target),
        output_format="parquet",
        progress=False,
    )
    predict(
        str(root / "model"),
        str(root / "in.parquet"),
        str(target),
        output_format="parquet",
        mode="append",
        progress=False,
    )
    assert len(pd.read_parquet(target)) == 10_000
    predict(
        str(root / "model"),
        str(root / "in.parquet"),
        str(target),
        output_format="parquet",
        mode="overwrite",
        progress=False,
    )
    _check(pd.read_parquet(target), frame, want, "prediction")


def test_delta_append_overwrite_and_delta_input(model_and_data, tmp_path):
    from deltalake import DeltaTable

    root, frame, want = model_and_data
    table = tmp_path / "churn_predictions"
    for _ in range(2):
        predict(
            str(root / "model"),
            str(root / "in.parquet"),
            str(table),
            mode="append",
            prediction_col="churn_prediction",
            chunk_rows=1500,
            progress=False,
        )
    dt = DeltaTable(str(table))
    assert len(dt.to_pandas()) == 10_000
    assert dt.version() == 1  # one commit per run
    predict(
        str(root / "model"),
        str(root / "in.csv"),
        str(table),
        mode="overwrite",
        prediction_col="churn_prediction",
        progress=False,
    )
    out = DeltaTable(str(table)).to_pandas()
    _check(out, frame, want, "churn_prediction")
    assert str(out["prediction_date"].dt.tz) == "UTC"
    # a Delta table as input; re-scoring replaces the old prediction columns
    predict(
        str(root / "model"),
        str(table),
        str(tmp_path / "again.parquet"),
        prediction_col="churn_prediction",
        progress=False,
    )
    again = pd.read_parquet(tmp_path / "again.parquet")
    assert list(again.columns).count("churn_prediction") == 1
    _check(again, frame, want, "churn_prediction")


def test_errors(model_and_data, tmp_path):
    root, _, _ = model_and_data
    with pytest.raises(ResourceDoesNotExist):
        predict(
            str(root / "model"),
            str(tmp_path / "missing.csv"),
            str(tmp_path / "o.csv"),
            progress=False,
        )
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"age": [1.0], "tenure": [2.0]}).to_csv(bad, index=False)
    with pytest.raises(InvalidParameterValue, match="monthly_charges"):
        predict(str(root / "model"), str(bad), str(tmp_path / "o.csv"), progress=False)
    with pytest.raises(InvalidParameterValue, match="mode"):
        predict(
            str(root / "model"),
            str(root / "in.csv"),
            str(tmp_path / "o.csv"),
            mode="upsert",
            progress=False,
        )


def test_cli_models_predict(model_and_data, tmp_path):
    from modelyard.cli.main import cli

    root, frame, want = model_and_data
    out = tmp_path / "cli_table"
    r = CliRunner().invoke(
        cli,
        [
            "models",
            "predict",
            "-m",
            str(root / "model"),
            "-i",
            str(root / "in.parquet"),
            "-o",
            str(out),
            "--mode",
            "append",
            "--chunk-rows",
            "1000",
            "--prediction-col",
            "churn_prediction",
            "--no-progress",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "Wrote 5000 rows" in r.output and "(delta)" in r.output
    from deltalake import DeltaTable

    _check(DeltaTable(str(out)).to_pandas(), frame, want, "churn_prediction")
