"""Signature enforcement in PyFuncModel.predict: real sklearn models, real conversions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.models import ColSpec, DataType, ParamSchema, ParamSpec, Schema, TensorSpec
from modelyard.models.schema_enforcement import enforce_params, enforce_schema

SCHEMA = Schema(
    [
        ColSpec(DataType.double, "age"),
        ColSpec(DataType.long, "visits"),
        ColSpec(DataType.string, "city", required=False),
    ]
)


def test_missing_column_is_named() -> None:
    frame = pd.DataFrame({"visits": [1, 2]})
    with pytest.raises(InvalidParameterValue, match=r"Model is missing inputs \['age'\]"):
        enforce_schema(frame, SCHEMA)


def test_safe_conversions_reorder_and_drop_extra() -> None:
    frame = pd.DataFrame(
        {"extra": [9, 9], "visits": np.array([1, 2], dtype=np.int32), "age": [30, 41]}
    )
    out = enforce_schema(frame, SCHEMA)
    assert list(out.columns) == ["age", "visits"]
    assert out["age"].dtype == np.float64 and out["age"].tolist() == [30.0, 41.0]
    assert out["visits"].dtype == np.int64


def test_unsafe_conversion_names_column() -> None:
    frame = pd.DataFrame({"age": [1.0, 2.0], "visits": [1.5, 2.0]})
    with pytest.raises(InvalidParameterValue, match="column visits.*float64 to int64"):
        enforce_schema(frame, SCHEMA)


def test_int64_to_double_checks_values_fit() -> None:
    frame = pd.DataFrame({"age": np.array([2**60, 1], dtype=np.int64), "visits": [1, 2]})
    with pytest.raises(InvalidParameterValue, match="column age"):
        enforce_schema(frame, SCHEMA)


def test_dict_records_and_ndarray_inputs() -> None:
    assert enforce_schema({"age": 3, "visits": 1}, SCHEMA)["age"].tolist() == [3.0]
    records = enforce_schema([{"age": 1.5, "visits": 2, "city": "Lyon"}], SCHEMA)
    assert records["city"].tolist() == ["Lyon"]
    doubles = Schema([ColSpec(DataType.double, n) for n in ("age", "height", "z")])
    array = enforce_schema(np.array([[1.0, 2, 0], [3.0, 4, 0]]), doubles)
    assert list(array.columns) == ["age", "height", "z"]
    assert array["height"].tolist() == [2.0, 4.0]


def test_tensor_schema_dtype_and_shape() -> None:
    schema = Schema([TensorSpec("float64", (-1, 2))])
    out = enforce_schema(np.array([[1, 2]], dtype=np.int32), schema)
    assert out.dtype == np.float64
    with pytest.raises(InvalidParameterValue, match="shape"):
        enforce_schema(np.zeros((2, 3)), schema)
    with pytest.raises(InvalidParameterValue, match="dtype"):
        enforce_schema(np.zeros((2, 2)), Schema([TensorSpec("int32", (-1, 2))]))


@pytest.mark.parametrize("dtype", ["str", "<U3"])
def test_text_tensor_accepts_longer_values_than_the_example(dtype: str) -> None:
    out = enforce_schema(np.array([["a much longer value"]]), Schema([TensorSpec(dtype, (-1, 1))]))
    assert out.tolist() == [["a much longer value"]]
    with pytest.raises(InvalidParameterValue, match="dtype"):
        enforce_schema(np.array([[b"bytes"]]), Schema([TensorSpec(dtype, (-1, 1))]))


def test_params_defaults_conversion_and_errors() -> None:
    schema = ParamSchema(
        [ParamSpec("k", DataType.long, 3), ParamSpec("w", DataType.double, [1.0], (-1,))]
    )
    assert enforce_params(None, schema) == {"k": 3, "w": [1.0]}
    assert enforce_params({"k": "7", "w": [1, 2], "other": 1}, schema) == {"k": 7, "w": [1.0, 2.0]}
    with pytest.raises(InvalidParameterValue, match="param 'k'"):
        enforce_params({"k": 1.5}, schema)
    assert enforce_params({"x": 1}, None) is None


def test_pyfunc_predict_enforces_signature(tmp_path) -> None:
    from sklearn.linear_model import LinearRegression

    import modelyard.pyfunc
    import modelyard.sklearn
    from modelyard.models import infer_signature

    X = pd.DataFrame({"age": [20.0, 30.0, 40.0], "visits": [1, 3, 2]})
    model = LinearRegression().fit(X, [1.0, 2.0, 3.0])
    modelyard.sklearn.save_model(model, tmp_path / "m", signature=infer_signature(X))
    loaded = modelyard.pyfunc.load_model(str(tmp_path / "m"))
    reordered = pd.DataFrame({"visits": [1, 3, 2], "age": [20, 30, 40]})  # ints for a double column
    np.testing.assert_allclose(loaded.predict(reordered), model.predict(X))
    with pytest.raises(InvalidParameterValue, match=r"missing inputs \['age'\]"):
        loaded.predict(pd.DataFrame({"visits": [1]}))
