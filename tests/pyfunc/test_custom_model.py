"""Custom PythonModel: artifacts, context, model_config, params, unwrap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import modelyard.pyfunc
import modelyard.sklearn
from modelyard.errors import InvalidParameterValue
from modelyard.models import infer_signature
from modelyard.pyfunc import PythonModel


class Lookup(PythonModel):
    """Adds an offset read from an artifact file and scales by a param."""

    def load_context(self, context):
        with open(context.artifacts["offset"]) as f:
            self.offset = float(f.read())
        self.config = context.model_config

    def predict(self, context, model_input, params=None):
        scale = (params or {}).get("scale", 1.0)
        return (model_input["x"].to_numpy() + self.offset) * scale


def test_artifacts_params_and_config(tmp_path) -> None:
    offset = tmp_path / "offset.txt"
    offset.write_text("10")
    X = pd.DataFrame({"x": [1.0, 2.0]})
    signature = infer_signature(X, np.array([11.0, 12.0]), params={"scale": 1.0})
    modelyard.pyfunc.save_model(
        tmp_path / "m",
        python_model=Lookup(),
        artifacts={"offset": str(offset)},
        signature=signature,
        model_config={"threshold": 0.5},
    )
    conf = yaml.safe_load((tmp_path / "m" / "MLmodel").read_text())["flavors"]["python_function"]
    assert conf["loader_module"] == "mlflow.pyfunc.model"
    assert conf["python_model"] == "python_model.pkl"
    assert conf["artifacts"] == {"offset": {"path": "artifacts/offset.txt", "uri": str(offset)}}
    assert (tmp_path / "m" / "artifacts" / "offset.txt").read_text() == "10"

    offset.write_text("999")  # the model keeps its own copy
    loaded = modelyard.pyfunc.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict(X), [11.0, 12.0])
    np.testing.assert_allclose(loaded.predict(X, params={"scale": 2}), [22.0, 24.0])
    assert loaded.model_config == {"threshold": 0.5}
    assert isinstance(loaded.unwrap_python_model(), Lookup)
    assert loaded.unwrap_python_model().config == {"threshold": 0.5}
    override = modelyard.pyfunc.load_model(str(tmp_path / "m"), model_config={"threshold": 0.9})
    assert override.model_config == {"threshold": 0.9}


def test_function_model_and_input_example_signature(tmp_path) -> None:
    def add_one(frame):
        return frame["x"] + 1

    X = pd.DataFrame({"x": [1, 2, 3]})
    modelyard.pyfunc.save_model(tmp_path / "f", python_model=add_one, input_example=X)
    loaded = modelyard.pyfunc.load_model(str(tmp_path / "f"))
    assert loaded.predict(X).tolist() == [2, 3, 4]
    assert (
        loaded.metadata.signature.to_dict()["outputs"]
        == '[{"type": "long", "name": "x", "required": true}]'
    )


def test_errors(tmp_path) -> None:
    with pytest.raises(InvalidParameterValue, match="python_model"):
        modelyard.pyfunc.save_model(tmp_path / "x", python_model=42)
    from sklearn.dummy import DummyClassifier

    est = DummyClassifier().fit([[0], [1]], [0, 1])
    modelyard.sklearn.save_model(est, tmp_path / "sk")
    with pytest.raises(InvalidParameterValue, match="unwrap_python_model"):
        modelyard.pyfunc.load_model(str(tmp_path / "sk")).unwrap_python_model()
    with pytest.raises(Exception, match="already exists"):
        modelyard.sklearn.save_model(est, tmp_path / "sk")
    with pytest.raises(InvalidParameterValue, match="serialization_format"):
        modelyard.sklearn.save_model(est, tmp_path / "bad", serialization_format="joblib")
    assert not (tmp_path / "bad").exists()


def test_unknown_loader_module_is_refused(tmp_path) -> None:
    (tmp_path / "MLmodel").write_text("flavors:\n  python_function:\n    loader_module: os\n")
    with pytest.raises(InvalidParameterValue, match="loader_module 'os'"):
        modelyard.pyfunc.load_model(str(tmp_path))


def test_skops_trusts_sklearn_classes_but_not_other_recorded_types(tmp_path) -> None:
    import operator

    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 1, 1, 0]
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    modelyard.sklearn.save_model(forest, tmp_path / "rf")  # default skops, no arguments
    conf = yaml.safe_load((tmp_path / "rf" / "MLmodel").read_text())["flavors"]["sklearn"]
    assert conf["skops_trusted_types"] == ["sklearn.tree._tree.Tree"]
    assert (
        modelyard.pyfunc.load_model(str(tmp_path / "rf")).predict(X).tolist()
        == forest.predict(X).tolist()
    )

    negate = make_pipeline(
        FunctionTransformer(func=operator.neg), RandomForestClassifier(n_estimators=2)
    ).fit(X, y)
    with pytest.raises(InvalidParameterValue, match="_operator.neg"):
        modelyard.sklearn.save_model(negate, tmp_path / "refused")
    assert not (tmp_path / "refused").exists()
    modelyard.sklearn.save_model(negate, tmp_path / "neg", skops_trusted_types=["_operator.neg"])
    # The model's own MLmodel lists _operator.neg; that alone does not make it trusted.
    with pytest.raises(InvalidParameterValue, match="not trusted"):
        modelyard.pyfunc.load_model(str(tmp_path / "neg"))
    expected = negate.predict(X).tolist()
    by_caller = modelyard.sklearn.load_model(
        str(tmp_path / "neg"), skops_trusted_types=["_operator.neg"]
    )
    assert by_caller.predict(X).tolist() == expected
    by_flag = modelyard.pyfunc.load_model(str(tmp_path / "neg"), trust_model_skops_types=True)
    assert by_flag.predict(X).tolist() == expected


def test_code_paths_are_copied_and_importable_at_load(tmp_path) -> None:
    import subprocess
    import sys

    src = tmp_path / "src"
    src.mkdir()
    (src / "shifter.py").write_text(
        "from modelyard.pyfunc import PythonModel\n"
        "class Shift(PythonModel):\n"
        "    def predict(self, context, model_input, params=None):\n"
        "        return [v + 100 for v in model_input['x']]\n"
    )
    code = (
        "import sys; sys.path.insert(0, {src!r})\n"
        "import modelyard.pyfunc, shifter\n"
        "modelyard.pyfunc.save_model({dst!r}, python_model=shifter.Shift(), code_paths=[{file!r}])\n"
    ).format(src=str(src), dst=str(tmp_path / "m"), file=str(src / "shifter.py"))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    assert (tmp_path / "m" / "code" / "shifter.py").is_file()
    load = (
        "import pandas as pd, modelyard.pyfunc\n"
        "m = modelyard.pyfunc.load_model({dst!r})\n"
        "print(m.predict(pd.DataFrame({{'x': [1, 2]}})))\n"
    ).format(dst=str(tmp_path / "m"))
    out = subprocess.run([sys.executable, "-c", load], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[101, 102]"


def test_conda_env_and_unknown_arguments(tmp_path) -> None:
    from sklearn.dummy import DummyRegressor

    est = DummyRegressor().fit([[0], [1]], [0.0, 1.0])
    env = {
        "name": "custom",
        "dependencies": ["python=3.11", {"pip": ["scikit-learn", "mypkg==1.0"]}],
    }
    modelyard.sklearn.save_model(est, tmp_path / "c", conda_env=env)
    assert yaml.safe_load((tmp_path / "c" / "conda.yaml").read_text()) == env
    assert (tmp_path / "c" / "requirements.txt").read_text() == "scikit-learn\nmypkg==1.0"
    with pytest.raises(InvalidParameterValue, match="serialisation_format"):
        modelyard.sklearn.save_model(est, tmp_path / "u", serialisation_format="skops")
    with pytest.raises(InvalidParameterValue, match="Only one of"):
        modelyard.sklearn.save_model(est, tmp_path / "u", conda_env=env, pip_requirements=["x"])


def test_custom_model_needing_a_missing_module(tmp_path) -> None:
    import pickle

    (tmp_path / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
        "    python_model: python_model.pkl\n"
    )
    # A pickle that references a class of a module that is not installed.
    payload = pickle.dumps(0).replace(b"K\x00", b"cno_such_module_xyz\nThing\n)\x81", 1)
    (tmp_path / "python_model.pkl").write_bytes(payload)
    with pytest.raises(InvalidParameterValue, match="no_such_module_xyz"):
        modelyard.pyfunc.load_model(str(tmp_path))
