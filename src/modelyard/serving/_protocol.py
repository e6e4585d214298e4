"""The pyfunc scoring protocol: request bodies in, ``{"predictions": ...}`` out.

Facts follow MLflow 3.17.2's scoring server (compat spec §9): JSON objects with exactly one of
``dataframe_split``, ``dataframe_records``, ``instances``, ``inputs`` (plus optional ``params``),
CSV with a header row, or a parquet file. Errors are :class:`modelyard.errors.BadRequest` (400
``BAD_REQUEST``) for malformed bodies and :class:`UnsupportedMediaType` (415, text/plain) for
content types the server does not speak.

Tabular JSON inputs are kept *column-major* (``{"col": [values...]}``) instead of being turned
into a DataFrame here. That keeps parsing cheap on the event loop and lets the micro-batcher
concatenate many small requests into one frame before a single ``predict`` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from modelyard.errors import BadRequest

__all__ = [
    "CONTENT_TYPE_CSV",
    "CONTENT_TYPE_JSON",
    "CONTENT_TYPE_PARQUET",
    "FORMAT_KEYS",
    "ScoringInput",
    "UnsupportedMediaType",
    "dumps_error",
    "dumps_predictions",
    "jsonable",
    "parse_request",
]

CONTENT_TYPE_JSON = "application/json"
CONTENT_TYPE_CSV = "text/csv"
CONTENT_TYPE_PARQUET = "application/vnd.apache.parquet"
_CONTENT_TYPES = (CONTENT_TYPE_JSON, CONTENT_TYPE_CSV, CONTENT_TYPE_PARQUET)

FORMAT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_PARAMS_KEY = "params"
_REQUIRED = (
    "The request body must be a JSON object with exactly one of the keys "
    "'dataframe_split', 'dataframe_records', 'instances' or 'inputs' "
    "(and optionally 'params')"
)


class UnsupportedMediaType(Exception):
    """A content type (or content-type parameter) the scoring server does not accept: HTTP 415."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(slots=True)
class ScoringInput:
    """One parsed request.

    Either ``columns`` (column name → list of values, all the same length: batchable) or ``data``
    (a DataFrame, an ndarray or any other object handed to ``predict`` as is) is set.
    """

    columns: dict[str, list[Any]] | None
    data: Any
    params: dict[str, Any] | None
    n_rows: int

    @property
    def batch_key(self) -> tuple[str, ...] | None:
        """Requests with the same key can share one ``predict`` call (``None``: never)."""
        if self.columns is None or self.params:
            return None
        return tuple(self.columns)

    def to_model_input(self) -> Any:
        if self.columns is None:
            return self.data
        import pandas as pd

        return pd.DataFrame({name: _column(values) for name, values in self.columns.items()})

    def raw(self) -> Any:
        """The input in a JSON-friendly form, for the inference log."""
        if self.columns is not None:
            return {"dataframe_split": _split_from_columns(self.columns)}
        return jsonable(self.data)


def _column(values: list[Any]) -> Any:
    """A numpy array for homogeneous numeric/bool columns (10x faster than letting pandas infer
    from a list); anything else stays a list, for pandas' own inference."""
    import numpy as np

    try:
        arr = np.array(values)
    except (ValueError, TypeError):
        return values
    return arr if arr.dtype.kind in "biuf" and arr.ndim == 1 else values


def _split_from_columns(columns: dict[str, list[Any]]) -> dict[str, Any]:
    names = list(columns)
    return {"columns": names, "data": [list(r) for r in zip(*columns.values(), strict=True)]}


# ------------------------------------------------------------------ content types


def _split_content_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    if not content_type:
        return "", {}
    parts = [p.strip() for p in content_type.split(";")]
    params = {}
    for part in parts[1:]:
        if not part:
            continue
        key, _, value = part.partition("=")
        params[key.strip().lower()] = value.strip().strip('"')
    return parts[0].lower(), params


def parse_request(
    body: bytes, content_type: str | None, input_types: dict[str, str] | None = None
) -> ScoringInput:
    """Parse a scoring request body. ``input_types`` (column → pandas dtype, from the model
    signature) sets the dtypes of CSV columns."""
    mime, ct_params = _split_content_type(content_type)
    charset = ct_params.pop("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("The scoring server only supports the utf-8 charset.")
    if ct_params:
        raise UnsupportedMediaType(
            f"Unrecognized content type parameters: {', '.join(sorted(ct_params))}. The scoring "
            "protocol changed in MLflow 2.0: the format goes in the JSON body as one of "
            f"{list(FORMAT_KEYS)}, not in the content type."
        )
    if mime == CONTENT_TYPE_JSON:
        return parse_json(body)
    if mime == CONTENT_TYPE_CSV:
        return _parse_csv(body, input_types)
    if mime == CONTENT_TYPE_PARQUET:
        return _parse_parquet(body)
    raise UnsupportedMediaType(
        "This predictor only supports the following content types: "
        f"{list(_CONTENT_TYPES)}. Got '{content_type or ''}'."
    )


# ------------------------------------------------------------------ JSON


def parse_json(body: bytes) -> ScoringInput:
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None
    if isinstance(doc, list):
        raise BadRequest(f"{_REQUIRED}. Received a list.")
    if not isinstance(doc, dict):
        raise BadRequest(f"{_REQUIRED}. Received a {type(doc).__name__}.")
    found = [k for k in FORMAT_KEYS if k in doc]
    if len(found) != 1:
        raise BadRequest(f"{_REQUIRED}. Received an object with the keys {list(doc)}.")
    params = doc.get(_PARAMS_KEY)
    if params is not None and not isinstance(params, dict):
        raise BadRequest("'params' must be a JSON object mapping parameter names to values.")
    key = found[0]
    value = doc[key]
    if key == "dataframe_split":
        return _from_split(value, params)
    if key == "dataframe_records":
        return _from_records(value, params, key)
    if key == "instances":
        return _from_instances(value, params)
    return _from_inputs(value, params)


def _from_split(value: Any, params: dict[str, Any] | None) -> ScoringInput:
    if not isinstance(value, dict) or "data" not in value:
        raise BadRequest(
            "'dataframe_split' must be an object with 'columns' and 'data' (pandas 'split' orient)."
        )
    data = value["data"]
    cols = value.get("columns")
    if not isinstance(data, list):
        raise BadRequest("'dataframe_split.data' must be a list of rows.")
    if cols is None or "index" in value or not all(isinstance(r, list) for r in data):
        return ScoringInput(None, _frame_from_split(value), params, len(data))
    if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
        raise BadRequest("'dataframe_split.columns' must be a list of column names.")
    if len(set(cols)) != len(cols):
        raise BadRequest(f"'dataframe_split.columns' has duplicate names: {cols}.")
    width = len(cols)
    for i, row in enumerate(data):
        if len(row) != width:
            raise BadRequest(
                f"'dataframe_split' row {i} has {len(row)} values but there are {width} columns."
            )
    if not data:
        return ScoringInput({c: [] for c in cols}, None, params, 0)
    columns = {c: list(v) for c, v in zip(cols, zip(*data, strict=True), strict=True)}
    return ScoringInput(columns, None, params, len(data))


def _frame_from_split(value: dict[str, Any]) -> Any:
    import pandas as pd

    try:
        return pd.DataFrame(value["data"], columns=value.get("columns"), index=value.get("index"))
    except Exception as exc:
        raise BadRequest(f"Could not build a DataFrame from 'dataframe_split': {exc}") from None


def _from_records(value: Any, params: dict[str, Any] | None, key: str) -> ScoringInput:
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise BadRequest(f"'{key}' must be a list of objects, one per row.")
    if not value:
        import pandas as pd

        return ScoringInput(None, pd.DataFrame(), params, 0)
    first = value[0].keys()
    if all(r.keys() == first for r in value):
        names = list(first)
        columns = {c: [r[c] for r in value] for c in names}
        return ScoringInput(columns, None, params, len(value))
    import pandas as pd

    # rows with different keys: pandas fills the holes with missing values
    return ScoringInput(None, pd.DataFrame.from_records(value), params, len(value))


def _from_instances(value: Any, params: dict[str, Any] | None) -> ScoringInput:
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        return _from_records(value, params, "instances")
    return _from_tensor(value, params, "instances")


def _from_inputs(value: Any, params: dict[str, Any] | None) -> ScoringInput:
    if isinstance(value, dict):
        lists = [v for v in value.values() if isinstance(v, list)]
        if len(lists) == len(value) and lists and len({len(v) for v in lists}) == 1:
            if all(not isinstance(x, list | dict) for v in lists for x in v[:1]):
                columns = {str(k): list(v) for k, v in value.items()}
                return ScoringInput(columns, None, params, len(lists[0]))
        import numpy as np

        return ScoringInput(None, {k: np.asarray(v) for k, v in value.items()}, params, 1)
    return _from_tensor(value, params, "inputs")


def _from_tensor(value: Any, params: dict[str, Any] | None, key: str) -> ScoringInput:
    import numpy as np

    try:
        array = np.asarray(value)
    except Exception as exc:
        raise BadRequest(f"'{key}' is not a rectangular list or tensor: {exc}") from None
    if array.dtype == object and isinstance(value, list) and value and isinstance(value[0], list):
        raise BadRequest(f"'{key}' is not a rectangular list: rows have different lengths.")
    n = int(array.shape[0]) if array.ndim else 1
    return ScoringInput(None, array, params, n)


# ------------------------------------------------------------------ CSV and parquet


def _parse_csv(body: bytes, input_types: dict[str, str] | None) -> ScoringInput:
    import io

    import pandas as pd

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"The CSV body is not valid UTF-8: {exc}") from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=input_types or None)
    except Exception as exc:
        raise BadRequest(
            "Failed to parse the input as a pandas DataFrame: send a CSV with a header row "
            f"(as written by DataFrame.to_csv(index=False)). Error: {exc}"
        ) from None
    return ScoringInput(None, frame, None, len(frame))


def _parse_parquet(body: bytes) -> ScoringInput:
    import io

    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(io.BytesIO(body)).to_pandas()
    except Exception as exc:
        raise BadRequest(
            f"Failed to parse the input as a parquet file of a pandas DataFrame. Error: {exc}"
        ) from None
    return ScoringInput(None, frame, None, len(frame))


# ------------------------------------------------------------------ output

_ORJSON_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def jsonable(obj: Any) -> Any:
    """Predictions → a value orjson can write: DataFrames become record lists, Series and
    object arrays become lists, dicts are converted value by value."""
    mod = type(obj).__module__
    if mod.startswith("pandas"):
        import pandas as pd

        if isinstance(obj, pd.DataFrame):
            return [{str(k): jsonable(v) for k, v in r.items()} for r in obj.to_dict("records")]
        if isinstance(obj, pd.Series):
            return jsonable(obj.to_numpy())
        if isinstance(obj, pd.Timestamp):
            return obj.isoformat()
    if mod == "numpy":
        import numpy as np

        if isinstance(obj, np.ndarray):
            if obj.dtype.kind in "biuf" and obj.dtype.isnative:
                return obj
            return [jsonable(x) for x in obj.tolist()]
        if isinstance(obj, np.generic):
            return obj.item()
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(x) for x in obj]
    if isinstance(obj, float) and obj != obj:  # NaN
        return None
    return obj


def dumps_predictions(predictions: Any) -> bytes:
    return orjson.dumps({"predictions": jsonable(predictions)}, option=_ORJSON_OPTS)


def dumps_error(error_code: str, message: str, **extra: Any) -> bytes:
    return orjson.dumps({"error_code": error_code, "message": message, **extra})
