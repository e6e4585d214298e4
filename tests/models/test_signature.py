"""Signature inference and the MLmodel JSON encoding, checked against MLflow 3.17.2's output."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.models import ColSpec, DataType, ModelSignature, Schema, TensorSpec, infer_signature


def test_frame_and_prediction_inference_matches_mlflow_encoding() -> None:
    X = pd.DataFrame({"a": [1, 2, 3, 4], "b": [0.5, 1.5, 2.5, 3.5], "c": ["x", "y", "x", "y"]})
    sig = infer_signature(X, np.array([0, 1, 0, 1]), params={"k": 1, "lst": [1.0, 2.0], "s": "v"})
    encoded = sig.to_dict()
    # The exact strings MLflow 3.17.2 writes for the same input (captured from mlflow).
    assert encoded["inputs"] == (
        '[{"type": "long", "name": "a", "required": true}, {"type": "double", "name": "b", '
        '"required": true}, {"type": "string", "name": "c", "required": true}]'
    )
    assert (
        encoded["outputs"]
        == '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
    )
    assert json.loads(encoded["params"]) == [
        {"name": "k", "default": 1, "shape": None, "type": "long"},
        {"name": "lst", "default": [1.0, 2.0], "shape": [-1], "type": "double"},
        {"name": "s", "default": "v", "shape": None, "type": "string"},
    ]
    assert ModelSignature.from_dict(encoded) == sig


def test_column_types_and_required() -> None:
    frame = pd.DataFrame(
        {
            "d": pd.to_datetime(["2020-01-01", "2020-01-02"]),
            "e": [None, "a"],
            "f": [1.0, None],
            "g": np.array([1, 2], dtype=np.int32),
            "h": [True, False],
            "i": [b"a", b"b"],
            "s": pd.array(["x", "y"], dtype="string"),
        }
    )
    specs = {s.name: s for s in infer_signature(frame).inputs}
    assert specs["d"] == ColSpec(DataType.datetime, "d", True)
    assert specs["e"] == ColSpec(DataType.string, "e", False)
    assert specs["f"] == ColSpec(DataType.double, "f", False)
    assert specs["g"].type == DataType.integer
    assert specs["h"].type == DataType.boolean
    assert specs["i"].type == DataType.binary
    assert specs["s"].type == DataType.string


def test_tensor_and_named_tensor_inference() -> None:
    sig = infer_signature(np.zeros((3, 4), dtype=np.float32), pd.Series([1, 2, 3]))
    assert sig.inputs == Schema([TensorSpec("float32", (-1, 4))])
    assert sig.to_dict()["outputs"] == '[{"type": "long", "required": true}]'
    named = infer_signature({"a": np.array([1, 2]), "b": np.array([[1.0, 2.0]])})
    assert named.to_dict()["inputs"] == (
        '[{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}, '
        '{"name": "b", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]'
    )


def test_text_tensors_are_written_without_their_width_as_mlflow() -> None:
    sig = infer_signature(np.array([["abc", "d"]]), np.array([b"x", b"yy"]))
    assert (
        sig.to_dict()["inputs"]
        == '[{"type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1, 2]}}]'
    )
    assert sig.to_dict()["outputs"] == (
        '[{"type": "tensor", "tensor-spec": {"dtype": "bytes", "shape": [-1]}}]'
    )


def test_records_scalars_and_bad_input() -> None:
    assert infer_signature([{"a": 1}], ["x"]).to_dict() == {
        "inputs": '[{"type": "long", "name": "a", "required": true}]',
        "outputs": '[{"type": "string", "required": true}]',
        "params": None,
    }
    with pytest.raises(InvalidParameterValue, match="column 'o'"):
        infer_signature(pd.DataFrame({"o": [object(), object()]}))
    with pytest.raises(InvalidParameterValue, match="param 'p'"):
        infer_signature(pd.DataFrame({"a": [1]}), params={"p": None})


def test_datetime_param_and_mixed_schema_rejected() -> None:
    sig = infer_signature(params={"when": dt.datetime(2024, 1, 2, 3, 4)})
    assert json.loads(sig.to_dict()["params"])[0] == {
        "name": "when",
        "default": "2024-01-02T03:04:00",
        "shape": None,
        "type": "datetime",
    }
    with pytest.raises(InvalidParameterValue):
        Schema([ColSpec(DataType.long, "a"), TensorSpec("float32", (-1,), "b")])


def test_complex_column_types_survive_roundtrip() -> None:
    text = json.dumps(
        [{"type": "array", "items": {"type": "string"}, "name": "tags", "required": True}]
    )
    schema = Schema.from_json(text)
    assert json.loads(schema.to_json()) == json.loads(text)
