"""Check and convert model input against a signature before ``predict``.

Rules (the same user-visible behaviour as MLflow 3.17's pyfunc):

* Column schemas turn the input into a DataFrame (dict of columns, list of records, Series,
  scalar). A 2-D numpy array with exactly as many columns as the schema gets the schema's names
  (a deliberate convenience: MLflow refuses it with "missing inputs").
* Named columns: a missing required column raises :class:`InvalidParameterValue` with
  ``Model is missing inputs ['age']``; extra columns are dropped; columns come out in schema
  order, so estimators fitted on named features see the order they were fitted with.
* Safe conversions only: int → long/double, float32 → double, smaller ints → wider ints,
  object → string, strings/objects → datetime. Anything else (e.g. float → long) raises an error
  naming the column.
* Tensor schemas: the dtype must convert safely and every fixed dimension must match.
* Params: unknown params are dropped with a warning; declared params are converted to the
  declared type, missing ones get their default.
"""

from __future__ import annotations

import logging
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.models.signature import ColSpec, DataType, ParamSchema, Schema, TensorSpec

__all__ = ["enforce_params", "enforce_schema"]

_log = logging.getLogger(__name__)


def _to_frame(data: Any, schema: Schema) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, np.ndarray):
        if data.ndim == 2 and schema.has_input_names() and data.shape[1] == len(schema.inputs):
            return pd.DataFrame(data, columns=schema.input_names())
        if data.ndim == 1 and schema.has_input_names() and len(schema.inputs) == 1:
            return pd.DataFrame({schema.input_names()[0]: data})
        return pd.DataFrame(data)
    if isinstance(data, dict):
        if all(np.isscalar(v) or v is None for v in data.values()):
            return pd.DataFrame([data])
        try:
            return pd.DataFrame(
                {
                    k: (v.tolist() if isinstance(v, np.ndarray) and v.ndim > 1 else v)
                    for k, v in data.items()
                }
            )
        except ValueError as exc:
            raise InvalidParameterValue(
                f"This model has a column-based signature; the input could not become a DataFrame: {exc}"
            ) from None
    if isinstance(data, list):
        return pd.DataFrame(data)
    if np.isscalar(data):
        return pd.DataFrame([data])
    raise InvalidParameterValue(f"Expected a DataFrame-like input, got {type(data).__name__}")


def _is_object(dtype: Any) -> bool:
    return getattr(dtype, "kind", None) == "O" and not hasattr(dtype, "numpy_dtype")


def _safe_numeric(array: Any, target: Any) -> bool:
    """True when every value of ``array`` survives the cast to ``target`` unchanged: widening
    within a kind, unsigned to a wider signed int, bool/ints to floats whose mantissa holds them
    (for int64 → double the values are checked against 2**53)."""
    import numpy as np

    dtype = array.dtype
    kind, tkind = dtype.kind, target.kind
    if kind == tkind:
        return dtype.itemsize <= target.itemsize
    if kind == "u" and tkind == "i":
        return dtype.itemsize < target.itemsize
    if kind == "b" and tkind in "iuf":
        return True
    if kind in "iu" and tkind == "f":
        mantissa_bits = {2: 11, 4: 24, 8: 53}.get(target.itemsize, 0)
        if dtype.itemsize * 8 <= mantissa_bits:
            return True
        if array.size == 0:
            return True
        limit = 2**mantissa_bits
        return bool(np.all(np.abs(array.astype(np.float64)) <= limit))
    return False


def _convert_column(name: Any, values: Any, t: DataType) -> Any:
    import pandas as pd

    dtype = values.dtype
    if _is_object(dtype) and t not in (DataType.string, DataType.binary):
        values = values.infer_objects()
        dtype = values.dtype
    if t == DataType.string:
        if _is_object(dtype) or isinstance(dtype, pd.StringDtype):
            return values
    if t == DataType.binary and (_is_object(dtype) or isinstance(dtype, pd.StringDtype)):
        return values
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "numpy_dtype"):
        if values.isna().any():
            if t in (DataType.float, DataType.double):
                return values.astype(t.to_numpy())
            return values
        values = values.astype(dtype.numpy_dtype)
        dtype = values.dtype
    target = t.to_numpy()
    if t == DataType.datetime:
        if dtype.kind == "M" or _is_object(dtype) or isinstance(dtype, pd.StringDtype):
            try:
                return values.astype("datetime64[ns]")
            except (TypeError, ValueError) as exc:
                raise InvalidParameterValue(
                    f"Failed to convert column {name} from type {dtype} to datetime: {exc}"
                ) from None
    elif t == DataType.boolean and _is_object(dtype):
        return values
    elif dtype == target:
        return values
    elif not isinstance(dtype, pd.StringDtype) and not _is_object(dtype):
        if _safe_numeric(values.to_numpy(), target):
            return values.astype(target)
    hint = (
        " Hint: use float64 columns, or declare the column as double." if dtype.kind == "f" else ""
    )
    raise InvalidParameterValue(
        f"Incompatible input types for column {name}. Can not safely convert {dtype} to {target}.{hint}"
    )


def _enforce_columns(data: Any, schema: Schema) -> Any:
    df = _to_frame(data, schema)
    specs = [s for s in schema.inputs if isinstance(s, ColSpec)]
    if schema.has_input_names():
        present = {str(c): c for c in df.columns}
        missing = [s.name for s in specs if s.required and s.name not in present]
        if missing:
            extra = [c for c in present if c not in set(schema.input_names())]
            message = f"Model is missing inputs {missing}."
            if extra:
                message += f" Note that there were extra inputs: {extra}."
            raise InvalidParameterValue(message)
        extra = [c for c in present if c not in set(schema.input_names())]
        if extra:
            _log.warning("Ignoring inputs not declared in the model signature: %s", extra)
        out = {}
        for spec in specs:
            if spec.name not in present:
                continue
            col = df[present[spec.name]]
            out[spec.name] = (
                _convert_column(spec.name, col, spec.type)
                if isinstance(spec.type, DataType)
                else col
            )
        import pandas as pd

        return pd.DataFrame(out, index=df.index)
    if len(df.columns) < len(specs):
        raise InvalidParameterValue(
            f"Model inference is missing inputs: the signature declares {len(specs)} unnamed "
            f"inputs but the data has {len(df.columns)}."
        )
    df = df.copy()
    for i, spec in enumerate(specs):
        if isinstance(spec.type, DataType):
            col = df.columns[i]
            df[col] = _convert_column(col, df[col], spec.type)
    return df


def _enforce_tensor(name: str | None, value: Any, spec: TensorSpec) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame | pd.Series):
        value = value.to_numpy()
    value = np.asarray(value)
    label = name or "input"
    target = np.dtype(spec.dtype)
    # text and bytes tensors match by kind: the spec carries no width ("str"), or an older
    # file's width ("<U3") that longer values must not fail on
    same_text_kind = target.kind in "US" and value.dtype.kind == target.kind
    if value.dtype != target and not same_text_kind:
        safe = _safe_numeric(value, target)
        if not safe:
            raise InvalidParameterValue(
                f"dtype of input {value.dtype} for tensor {label} does not match expected dtype "
                f"{target} and can not be converted safely."
            )
        value = value.astype(target)
    shape = spec.shape
    if len(shape) != value.ndim or any(
        s != -1 and s != v for s, v in zip(shape, value.shape, strict=False)
    ):
        raise InvalidParameterValue(
            f"Shape of input {value.shape} for tensor {label} does not match expected shape {list(shape)}."
        )
    return value


def enforce_schema(data: Any, schema: Schema) -> Any:
    """Return ``data`` checked and converted to match ``schema``."""
    if not schema.inputs:
        return data
    if not schema.is_tensor_spec():
        return _enforce_columns(data, schema)
    specs = [s for s in schema.inputs if isinstance(s, TensorSpec)]
    if schema.has_input_names():
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            data = {c: data[c].to_numpy() for c in data.columns}
        if not isinstance(data, dict):
            if len(specs) == 1:
                return {specs[0].name: _enforce_tensor(specs[0].name, data, specs[0])}
            raise InvalidParameterValue("This model expects a dict of named tensors")
        missing = [s.name for s in specs if s.name not in data]
        if missing:
            raise InvalidParameterValue(f"Model is missing inputs {missing}.")
        return {s.name: _enforce_tensor(s.name, data[s.name], s) for s in specs}
    return _enforce_tensor(None, data, specs[0])


def _convert_param(name: str, value: Any, ptype: DataType) -> Any:
    import datetime as dt

    try:
        if ptype == DataType.boolean:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise ValueError(value)
        if ptype in (DataType.integer, DataType.long):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if ptype in (DataType.float, DataType.double):
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if ptype == DataType.string:
            if not isinstance(value, str):
                raise ValueError(value)
            return value
        if ptype == DataType.datetime:
            return (
                value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
            )
        return value
    except (TypeError, ValueError):
        raise InvalidParameterValue(
            f"Failed to convert value {value!r} of param {name!r} to type {ptype.value}"
        ) from None


def enforce_params(
    params: dict[str, Any] | None, schema: ParamSchema | None
) -> dict[str, Any] | None:
    """Validate inference params against the signature's param schema (see module doc)."""
    if schema is None:
        if params:
            _log.warning("The model has no param schema; ignoring params %s", sorted(params))
        return None
    params = dict(params or {})
    declared = {p.name: p for p in schema.params}
    unknown = [k for k in params if k not in declared]
    if unknown:
        _log.warning("Ignoring params not declared in the model signature: %s", unknown)
    out: dict[str, Any] = {}
    for name, spec in declared.items():
        if name not in params:
            out[name] = spec.default
            continue
        value = params[name]
        if spec.shape is not None:
            if not isinstance(value, list | tuple):
                raise InvalidParameterValue(f"Param {name!r} must be a list of {spec.type.value}")
            out[name] = [_convert_param(name, v, spec.type) for v in value]
        else:
            out[name] = _convert_param(name, value, spec.type)
    return out
