"""The sklearn pyfunc's ``predict_method`` inference param (with and without a signature)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import modelyard.pyfunc
import modelyard.sklearn
from modelyard.errors import InvalidParameterValue
from modelyard.models.signature import infer_signature


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.normal(size=120)})
    y = (X["a"] + X["b"] > 0).astype(int).to_numpy()
    return X, y


@pytest.fixture(scope="module", params=["signature", "no-signature"])
def saved(request, data, tmp_path_factory):
    from sklearn.naive_bayes import GaussianNB

    X, y = data
    model = GaussianNB().fit(X, y)
    path = tmp_path_factory.mktemp("sk") / "m"
    sig = infer_signature(X, model.predict(X)) if request.param == "signature" else None
    modelyard.sklearn.save_model(model, str(path), signature=sig)
    return model, modelyard.pyfunc.load_model(str(path))


@pytest.mark.parametrize(
    "method", ["predict", "predict_proba", "predict_log_proba", "predict_joint_log_proba"]
)
def test_predict_method_values(saved, data, method):
    model, pyfunc = saved
    X, _ = data
    got = pyfunc.predict(X, params={"predict_method": method})
    np.testing.assert_allclose(np.asarray(got), getattr(model, method)(X))


def test_default_is_saved_predict_fn(saved, data):
    model, pyfunc = saved
    X, _ = data
    assert pyfunc.predict(X).tolist() == model.predict(X).tolist()
    assert pyfunc.predict(X, params={}).tolist() == model.predict(X).tolist()


@pytest.mark.parametrize("bad", ["decision_function", "fit", "", None, ["predict_proba"]])
def test_invalid_predict_method(saved, data, bad):
    _, pyfunc = saved
    X, _ = data
    if bad is None:  # None means "not given"
        assert len(pyfunc.predict(X, params={"predict_method": None})) == len(X)
        return
    with pytest.raises(InvalidParameterValue, match="predict_method") as info:
        pyfunc.predict(X, params={"predict_method": bad})
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "predict_joint_log_proba" in info.value.message


def test_method_the_estimator_lacks(data, tmp_path):
    from sklearn.linear_model import LinearRegression

    X, y = data
    path = tmp_path / "reg"
    modelyard.sklearn.save_model(LinearRegression().fit(X, y), str(path))
    pyfunc = modelyard.pyfunc.load_model(str(path))
    with pytest.raises(InvalidParameterValue, match="LinearRegression\\) has no predict_proba"):
        pyfunc.predict(X, params={"predict_method": "predict_proba"})
