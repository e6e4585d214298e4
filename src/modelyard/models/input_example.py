"""Input examples: ``input_example.json`` and ``serving_input_example.json`` in a model directory.

Supported examples and how they are written (the MLflow 3.17 encoding):

* ``pandas.DataFrame`` → type ``dataframe``, ``pandas_orient: split``; the file is
  ``{"columns": [...], "data": [[...]]}`` (no index); serving form ``{"dataframe_split": ...}``.
* ``numpy.ndarray`` or a dict of arrays → type ``ndarray``; the file is the nested list (or a dict
  of lists); serving form ``{"inputs": ...}``.
* a dict, a list, or a scalar → type ``json_object``; serving form ``{"inputs": ...}``.
* a tuple ``(data, params)`` adds ``params``: the file becomes ``{"inputs": data, "params": {...}}``
  and ``saved_input_example_info`` gets ``params: "true"``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "INPUT_EXAMPLE_FILE",
    "SERVING_INPUT_FILE",
    "load_input_example",
    "load_input_example_params",
    "save_input_example",
    "split_example",
    "to_jsonable",
]

INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_INPUT_FILE = "serving_input_example.json"


def to_jsonable(value: Any) -> Any:
    """numpy/pandas values → plain JSON values (NaN → None)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if hasattr(value, "isoformat"):  # pandas Timestamp
        return value.isoformat()
    return value


def split_example(example: Any) -> tuple[Any, dict[str, Any] | None]:
    """``(data, params)`` for an example given as data or as a ``(data, params)`` tuple."""
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], dict):
        return example[0], example[1]
    return example, None


def save_input_example(model: Any, example: Any, path: str | os.PathLike[str]) -> Any:
    """Write the example files into the model directory ``path``, record
    ``saved_input_example_info`` on ``model`` and return the example data (for signature
    inference)."""
    import numpy as np
    import pandas as pd

    data, params = split_example(example)
    info: dict[str, Any] = {"artifact_path": INPUT_EXAMPLE_FILE}
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if isinstance(data, pd.DataFrame):
        split = data.astype(object).where(data.notna(), None).to_dict(orient="split")
        split.pop("index", None)
        if list(data.columns) == list(range(len(data.columns))):
            split.pop("columns", None)
        payload: Any = to_jsonable(split)
        serving: dict[str, Any] = {"dataframe_split": payload}
        info.update(
            {"type": "dataframe", "pandas_orient": "split" if "columns" in split else "values"}
        )
    elif isinstance(data, np.ndarray) or (
        isinstance(data, dict) and data and all(isinstance(v, np.ndarray) for v in data.values())
    ):
        payload = to_jsonable(data)
        serving = {"inputs": payload}
        info["type"] = "ndarray"
    elif isinstance(data, dict | list | str | int | float | bool | bytes | _dt.datetime):
        payload = to_jsonable(data)
        serving = {"inputs": payload}
        info["type"] = "json_object"
    else:
        raise InvalidParameterValue(
            "Field 'input_example' must be a pandas DataFrame, a numpy array, a dict, a list or a "
            f"scalar, got {type(data).__name__}"
        )
    if params is not None:
        info["params"] = "true"
        payload = {"inputs": payload, "params": to_jsonable(params)}
        serving = {**serving, "params": to_jsonable(params)}
    info["serving_input_path"] = SERVING_INPUT_FILE
    root = Path(path)
    (root / INPUT_EXAMPLE_FILE).write_text(json.dumps(payload), encoding="utf-8")
    (root / SERVING_INPUT_FILE).write_text(json.dumps(serving, indent=2), encoding="utf-8")
    model.saved_input_example_info = info
    return data


def _read(model: Any, path: str | os.PathLike[str]) -> Any:
    info = model.saved_input_example_info
    if not info:
        return None
    file = Path(path) / info.get("artifact_path", INPUT_EXAMPLE_FILE)
    return json.loads(file.read_text(encoding="utf-8"))


def load_input_example(model: Any, path: str | os.PathLike[str]) -> Any:
    """The saved example of the model directory ``path``, decoded back to a DataFrame / ndarray /
    JSON value; None when the model has none."""
    import numpy as np
    import pandas as pd

    raw = _read(model, path)
    if raw is None:
        return None
    info = model.saved_input_example_info
    if info.get("params"):
        raw = raw["inputs"]
    kind = info.get("type")
    if kind == "dataframe":
        frame = pd.DataFrame(raw["data"], columns=raw.get("columns"))
        schema = model.get_input_schema()
        if schema is not None and schema.has_input_names() and not schema.is_tensor_spec():
            from modelyard.models.schema_enforcement import enforce_schema

            try:
                return enforce_schema(frame, schema)
            except InvalidParameterValue:
                return frame
        return frame
    if kind == "ndarray":
        if isinstance(raw, dict):
            return {k: np.asarray(v) for k, v in raw.items()}
        return np.asarray(raw)
    return raw


def load_input_example_params(model: Any, path: str | os.PathLike[str]) -> dict[str, Any] | None:
    info = model.saved_input_example_info
    if not info or not info.get("params"):
        return None
    return _read(model, path)["params"]
