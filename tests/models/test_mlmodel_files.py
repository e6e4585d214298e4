"""MLmodel read/write, input example files and environment files of a model directory."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.models import Model, infer_signature
from modelyard.models.environment import write_environment
from modelyard.models.input_example import load_input_example_params, save_input_example


def test_mlmodel_roundtrip_keeps_unknown_keys(tmp_path) -> None:
    text = """
artifact_path: mlflow-artifacts:/1/models/m-abc/artifacts
databricks_runtime: '15.4'
flavors:
  python_function: {loader_module: mlflow.sklearn, model_path: model.skops}
mlflow_version: 3.17.2
model_id: m-abc
model_uuid: m-abc
run_id: r1
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}]'
  outputs: null
  params: null
utc_time_created: '2026-01-02 03:04:05.000006'
"""
    (tmp_path / "MLmodel").write_text(text)
    model = Model.load(tmp_path)
    assert model.model_id == "m-abc" and model.run_id == "r1"
    assert model.get_input_schema().input_names() == ["x"]
    model.save(tmp_path / "out")
    again = yaml.safe_load((tmp_path / "out").read_text())
    assert again["databricks_runtime"] == "15.4"
    assert again["signature"]["inputs"] == '[{"type": "double", "name": "x", "required": true}]'
    assert again["utc_time_created"] == "2026-01-02 03:04:05.000006"


def test_mlmodel_errors(tmp_path) -> None:
    with pytest.raises(ResourceDoesNotExist, match="MLmodel"):
        Model.load(tmp_path)
    (tmp_path / "MLmodel").write_text("- a list\n")
    with pytest.raises(InvalidParameterValue):
        Model.load(tmp_path)
    with pytest.raises(ResourceDoesNotExist, match="'sklearn'"):
        Model().flavor_config("sklearn")


def test_dataframe_example_files(tmp_path) -> None:
    model = Model()
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, None]})
    save_input_example(model, frame, tmp_path)
    assert json.loads((tmp_path / "input_example.json").read_text()) == {
        "columns": ["a", "b"],
        "data": [[1, 0.5], [2, None]],
    }
    serving = json.loads((tmp_path / "serving_input_example.json").read_text())
    assert serving == {"dataframe_split": {"columns": ["a", "b"], "data": [[1, 0.5], [2, None]]}}
    assert model.saved_input_example_info == {
        "artifact_path": "input_example.json",
        "type": "dataframe",
        "pandas_orient": "split",
        "serving_input_path": "serving_input_example.json",
    }
    model.signature = infer_signature(frame)
    back = model.load_input_example(tmp_path)
    assert back["a"].tolist() == [1, 2] and np.isnan(back["b"][1])


def test_ndarray_example_with_params(tmp_path) -> None:
    model = Model()
    save_input_example(model, (np.array([[1.0, 2.0]]), {"k": np.int64(3)}), tmp_path)
    assert json.loads((tmp_path / "input_example.json").read_text()) == {
        "inputs": [[1.0, 2.0]],
        "params": {"k": 3},
    }
    assert json.loads((tmp_path / "serving_input_example.json").read_text()) == {
        "inputs": [[1.0, 2.0]],
        "params": {"k": 3},
    }
    assert model.saved_input_example_info["params"] == "true"
    np.testing.assert_array_equal(model.load_input_example(tmp_path), np.array([[1.0, 2.0]]))
    assert load_input_example_params(model, tmp_path) == {"k": 3}
    with pytest.raises(InvalidParameterValue, match="input_example"):
        save_input_example(Model(), object(), tmp_path)


def test_environment_files(tmp_path) -> None:
    reqs = write_environment(
        tmp_path, ["mlflow==3.17.2", "numpy==2.0"], extra_pip_requirements=["foo>=1"]
    )
    assert reqs == ["mlflow==3.17.2", "numpy==2.0", "foo>=1"]
    assert (tmp_path / "requirements.txt").read_text() == "mlflow==3.17.2\nnumpy==2.0\nfoo>=1"
    conda = yaml.safe_load((tmp_path / "conda.yaml").read_text())
    assert conda["name"] == "mlflow-env" and conda["channels"] == ["conda-forge"]
    assert conda["dependencies"][0].startswith("python=")
    assert conda["dependencies"][2] == {"pip": reqs}
    env = yaml.safe_load((tmp_path / "python_env.yaml").read_text())
    assert env["dependencies"] == ["-r requirements.txt"] and "wheel" in env["build_dependencies"]
    with pytest.raises(InvalidParameterValue, match="pip_requirements"):
        write_environment(tmp_path, [], pip_requirements=["a"], extra_pip_requirements=["b"])


def test_importing_models_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys, modelyard.models, modelyard.pyfunc, modelyard.sklearn, modelyard.xgboost, modelyard.lightgbm;"
        "print([m for m in ('pandas', 'numpy', 'sklearn', 'xgboost', 'lightgbm', 'skops') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
