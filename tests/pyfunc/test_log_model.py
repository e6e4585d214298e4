"""log_model as MLflow 3 logged models, and loading through every model URI form."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import modelyard.pyfunc
import modelyard.sklearn
import modelyard.xgboost
from modelyard.client import fluent
from modelyard.client.model_uris import download_model, parse_models_uri, resolve_model_uri
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    fluent.set_tracking_uri(uri)
    yield fluent._client()
    while fluent.active_run() is not None:
        fluent.end_run()
    fluent.set_tracking_uri(None)


@pytest.fixture
def fitted():
    from sklearn.linear_model import LogisticRegression

    X = pd.DataFrame({"age": [21.0, 35.0, 52.0, 64.0], "visits": [1, 4, 2, 7]})
    return LogisticRegression().fit(X, [0, 1, 0, 1]), X


def test_log_model_in_a_run_and_every_uri(tracking, fitted) -> None:
    model, X = fitted
    expected = model.predict(X)
    with fluent.start_run() as run:
        fluent.log_param("C", 1.0)
        info = modelyard.sklearn.log_model(
            model,
            name="clf",
            input_example=X.head(2),
            registered_model_name="churn",
            params={"extra": 2},
            tags={"team": "ml"},
        )
    run_id = run.info.run_id
    assert info.model_uri == f"models:/{info.model_id}" and info.model_id.startswith("m-")
    assert info.run_id == run_id and info.artifact_path == "clf"
    assert info.registered_model_version == 1
    assert info.signature is not None and info.signature.inputs.input_names() == ["age", "visits"]
    assert "sklearn" in info.flavors

    logged = tracking.get_logged_model(info.model_id)
    assert logged.status == "LOGGED_MODEL_READY" and logged.source_run_id == run_id
    assert logged.name == "clf"
    assert logged.params == {"C": "1.0", "extra": "2"}
    assert logged.tags["team"] == "ml" and "mlflow.user" in logged.tags
    assert [o.model_id for o in tracking.get_run(run_id).outputs.model_outputs] == [info.model_id]

    tracking.set_registered_model_alias("churn", "champion", 1)
    tracking.transition_model_version_stage("churn", 1, "Production")
    uris = [
        info.model_uri,
        f"runs:/{run_id}/clf",
        "models:/churn/1",
        "models:/churn/production",
        "models:/churn/latest",
        "models:/churn@champion",
    ]
    for uri in uris:
        loaded = modelyard.pyfunc.load_model(uri)
        np.testing.assert_array_equal(loaded.predict(X), expected, err_msg=uri)
        assert loaded.metadata.model_id == info.model_id
        assert loaded.metadata.run_id == run_id
    np.testing.assert_array_equal(
        modelyard.sklearn.load_model(f"runs:/{run_id}/clf").predict(X), expected
    )


def test_log_model_without_a_run_and_download(tracking, fitted, tmp_path) -> None:
    import xgboost as xgb

    model, X = fitted
    info = modelyard.sklearn.log_model(model, "plain", serialization_format="cloudpickle")
    assert info.run_id is None and info.registered_model_version is None
    dst = tmp_path / "dl"
    local = download_model(info.model_uri, dst_path=str(dst))
    assert local.startswith(str(dst)) and (Path(local) / "MLmodel").is_file()
    assert modelyard.pyfunc.load_model(local).predict(X).tolist() == model.predict(X).tolist()

    booster = xgb.XGBRegressor(n_estimators=3).fit(X, [1.0, 2.0, 3.0, 4.0])
    with fluent.start_run():
        xinfo = modelyard.xgboost.log_model(booster, name="xgb", registered_model_name="reg")
        second = modelyard.xgboost.log_model(booster, name="xgb", registered_model_name="reg")
    assert second.registered_model_version == 2
    assert resolve_model_uri("models:/reg/latest").endswith(f"{second.model_id}/artifacts")
    assert resolve_model_uri("models:/reg/1").endswith(f"{xinfo.model_id}/artifacts")
    np.testing.assert_allclose(
        modelyard.pyfunc.load_model("models:/reg/1").predict(X), booster.predict(X), rtol=1e-6
    )


def test_uri_errors(tracking, fitted) -> None:
    model, _X = fitted
    with fluent.start_run() as run:
        modelyard.sklearn.log_model(model, name="m", registered_model_name="only")
    with pytest.raises(ResourceDoesNotExist, match="stage 'Staging'"):
        resolve_model_uri("models:/only/Staging")
    with pytest.raises(ResourceDoesNotExist, match="no logged model named 'nothere'"):
        resolve_model_uri(f"runs:/{run.info.run_id}/nothere")
    with pytest.raises(InvalidParameterValue, match="name"):
        modelyard.sklearn.log_model(model, name="a/b")


def test_parse_models_uri() -> None:
    assert parse_models_uri("models:/m-123") == {"model_id": "m-123"}
    assert parse_models_uri("models:/a/3") == {"name": "a", "version": "3"}
    assert parse_models_uri("models:/a/LATEST") == {"name": "a", "latest": "latest"}
    assert parse_models_uri("models:/a/Staging") == {"name": "a", "stage": "Staging"}
    assert parse_models_uri("models:/a@b@champ") == {"name": "a@b", "alias": "champ"}
    with pytest.raises(InvalidParameterValue):
        parse_models_uri("models:/")
    with pytest.raises(InvalidParameterValue):
        parse_models_uri("models:/a/b/c")


def test_local_and_file_uris(tmp_path, fitted) -> None:
    model, X = fitted
    modelyard.sklearn.save_model(model, tmp_path / "m")
    assert download_model(str(tmp_path / "m")) == str((tmp_path / "m").resolve())
    loaded = modelyard.pyfunc.load_model((tmp_path / "m").as_uri())
    assert loaded.predict(X).tolist() == model.predict(X).tolist()
    with pytest.raises(ResourceDoesNotExist):
        download_model(str(tmp_path / "absent"))
    assert modelyard.pyfunc.get_model_dependencies(str(tmp_path / "m")).endswith("requirements.txt")


class Plus(modelyard.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input["age"] + (params or {}).get("delta", 0)


def test_log_custom_python_model(tracking, fitted) -> None:
    _model, X = fitted
    with fluent.start_run() as run:
        info = modelyard.pyfunc.log_model(
            name="plus",
            python_model=Plus(),
            input_example=(X.head(2), {"delta": 1}),
            registered_model_name="plus-model",
        )
    assert info.signature.params is not None
    loaded = modelyard.pyfunc.load_model(f"runs:/{run.info.run_id}/plus")
    assert loaded.predict(X).tolist() == (X["age"] + 1).tolist()  # the example's default param
    assert loaded.predict(X, params={"delta": 5}).tolist() == (X["age"] + 5).tolist()
    assert isinstance(loaded.unwrap_python_model(), Plus)
    assert modelyard.pyfunc.load_model("models:/plus-model/1").metadata.model_id == info.model_id
