"""Model signatures: what a model takes, returns, and which inference parameters it accepts.

The on-disk form is MLflow 3.17's: in ``MLmodel`` the ``signature`` block holds ``inputs``,
``outputs`` and ``params``, each a *JSON string* encoding a list of specs:

* a column: ``{"type": "long", "name": "age", "required": true}`` (``name`` absent when unnamed);
* a tensor: ``{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}``;
* a parameter: ``{"name": "k", "type": "long", "default": 3, "shape": null}``.

A schema holds only columns or only tensors. numpy and pandas are imported inside functions so
that importing this module stays cheap.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "ColSpec",
    "DataType",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "infer_signature",
    "infer_schema",
    "infer_param_schema",
]


class DataType(StrEnum):
    """Scalar column types (MLflow's names)."""

    boolean = "boolean"
    integer = "integer"
    long = "long"
    float = "float"
    double = "double"
    string = "string"
    binary = "binary"
    datetime = "datetime"

    def __str__(self) -> str:
        return self.value

    def to_numpy(self) -> Any:
        import numpy as np

        return {
            "boolean": np.dtype("bool"),
            "integer": np.dtype("int32"),
            "long": np.dtype("int64"),
            "float": np.dtype("float32"),
            "double": np.dtype("float64"),
            "string": np.dtype("object"),
            "binary": np.dtype("object"),
            "datetime": np.dtype("datetime64[ns]"),
        }[self.value]


# Column types that are not scalars (array/object/map/any) are kept as their JSON dict.
ColType = DataType | dict[str, Any]


@dataclass(frozen=True)
class ColSpec:
    type: ColType
    name: str | None = None
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = (
            {"type": self.type.value} if isinstance(self.type, DataType) else dict(self.type)
        )
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ColSpec:
        raw = str(d.get("type"))
        if raw in DataType.__members__:
            col_type: ColType = DataType(raw)
        elif raw in ("array", "object", "map", "any"):
            col_type = {k: v for k, v in d.items() if k not in ("name", "required")}
        else:
            raise InvalidParameterValue(
                f"Unsupported column type {raw!r} in signature field 'type'"
            )
        return cls(type=col_type, name=d.get("name"), required=bool(d.get("required", True)))


@dataclass(frozen=True)
class TensorSpec:
    dtype: str  # a numpy dtype name, e.g. "float32"
    shape: tuple[int, ...]
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.name is not None:
            out["name"] = self.name
        out["type"] = "tensor"
        out["tensor-spec"] = {"dtype": self.dtype, "shape": list(self.shape)}
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TensorSpec:
        spec = d.get("tensor-spec")
        if not isinstance(spec, dict) or "dtype" not in spec:
            raise InvalidParameterValue("Tensor spec needs field 'tensor-spec' with a 'dtype'")
        return cls(
            dtype=str(spec["dtype"]), shape=tuple(spec.get("shape") or ()), name=d.get("name")
        )


Spec = ColSpec | TensorSpec


@dataclass(frozen=True)
class Schema:
    inputs: tuple[Spec, ...]

    def __init__(self, inputs: list[Spec] | tuple[Spec, ...]) -> None:
        specs = tuple(inputs)
        kinds = {type(s) for s in specs}
        if len(kinds) > 1:
            raise InvalidParameterValue("A schema holds either only columns or only tensors")
        names = [s.name for s in specs]
        if any(n is None for n in names) and any(n is not None for n in names):
            raise InvalidParameterValue("A schema's specs are either all named or all unnamed")
        object.__setattr__(self, "inputs", specs)

    def __iter__(self):
        return iter(self.inputs)

    def __len__(self) -> int:
        return len(self.inputs)

    def is_tensor_spec(self) -> bool:
        return bool(self.inputs) and isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        return bool(self.inputs) and self.inputs[0].name is not None

    def input_names(self) -> list[str]:
        return [s.name for s in self.inputs if s.name is not None]

    def required_input_names(self) -> list[str]:
        return [
            s.name
            for s in self.inputs
            if s.name is not None and (isinstance(s, TensorSpec) or s.required)
        ]

    def optional_input_names(self) -> list[str]:
        return [s.name for s in self.inputs if isinstance(s, ColSpec) and s.name and not s.required]

    def input_types_dict(self) -> dict[str, str]:
        """Column name → type name (``tensor`` for tensors, the JSON ``type`` for complex ones)."""
        out: dict[str, str] = {}
        for spec in self.inputs:
            if spec.name is None:
                continue
            out[spec.name] = "tensor" if isinstance(spec, TensorSpec) else spec.to_dict()["type"]
        return out

    def to_list(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.inputs]

    def to_dict(self) -> list[dict[str, Any]]:
        """The spec list (MLflow's ``Schema.to_dict`` returns the same list)."""
        return self.to_list()

    def to_json(self) -> str:
        return json.dumps(self.to_list())

    @classmethod
    def from_json(cls, text: str | list[dict[str, Any]]) -> Schema:
        items = json.loads(text) if isinstance(text, str) else text
        if not isinstance(items, list):
            raise InvalidParameterValue("A signature schema must be a JSON list")
        return cls(
            [
                TensorSpec.from_dict(d) if d.get("type") == "tensor" else ColSpec.from_dict(d)
                for d in items
            ]
        )


@dataclass(frozen=True)
class ParamSpec:
    name: str
    type: DataType
    default: Any
    shape: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        default = self.default
        if isinstance(default, _dt.datetime | _dt.date):
            default = default.isoformat()
        return {
            "name": self.name,
            "default": default,
            "shape": list(self.shape) if self.shape is not None else None,
            "type": self.type.value,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ParamSpec:
        try:
            ptype = DataType(d["type"])
        except (KeyError, ValueError):
            raise InvalidParameterValue(
                f"Invalid param type {d.get('type')!r} for param {d.get('name')!r}"
            ) from None
        shape = d.get("shape")
        return cls(
            name=str(d["name"]),
            type=ptype,
            default=d.get("default"),
            shape=tuple(shape) if shape is not None else None,
        )


@dataclass(frozen=True)
class ParamSchema:
    params: tuple[ParamSpec, ...]

    def __init__(self, params: list[ParamSpec] | tuple[ParamSpec, ...]) -> None:
        object.__setattr__(self, "params", tuple(params))

    def __iter__(self):
        return iter(self.params)

    def to_json(self) -> str:
        return json.dumps([p.to_dict() for p in self.params])

    @classmethod
    def from_json(cls, text: str | list[dict[str, Any]]) -> ParamSchema:
        items = json.loads(text) if isinstance(text, str) else text
        return cls([ParamSpec.from_dict(d) for d in items])


@dataclass
class ModelSignature:
    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = None

    def to_dict(self) -> dict[str, str | None]:
        """The MLmodel form: each part a JSON string (or None)."""
        return {
            "inputs": self.inputs.to_json() if self.inputs is not None else None,
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": self.params.to_json() if self.params is not None else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSignature:
        def part(key: str, parser):
            value = d.get(key)
            return parser(value) if value not in (None, "", "null") else None

        return cls(
            inputs=part("inputs", Schema.from_json),
            outputs=part("outputs", Schema.from_json),
            params=part("params", ParamSchema.from_json),
        )


# ---------------------------------------------------------------- inference


def _dtype_to_datatype(dtype: Any, values: Any = None, column: str | None = None) -> DataType:
    import numpy as np
    import pandas as pd

    if isinstance(dtype, pd.StringDtype):
        return DataType.string
    if isinstance(dtype, pd.BooleanDtype):
        return DataType.boolean
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and hasattr(dtype, "numpy_dtype"):
        dtype = dtype.numpy_dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return DataType.datetime
    dtype = np.dtype(dtype)
    kind = dtype.kind
    if kind == "b":
        return DataType.boolean
    if kind in "iu":
        limit = 4 if kind == "i" else 2  # uint32 does not fit in a signed 32-bit integer
        return DataType.integer if dtype.itemsize <= limit else DataType.long
    if kind == "f":
        return DataType.float if dtype.itemsize <= 4 else DataType.double
    if kind == "M":
        return DataType.datetime
    if kind in "US":
        return DataType.string if kind == "U" else DataType.binary
    if kind == "O" and values is not None:
        return _infer_object_values(values, column)
    raise InvalidParameterValue(
        f"Cannot infer a signature type for column {column!r} of dtype {dtype}"
    )


def _scalar_type(value: Any, column: str | None = None) -> DataType:
    import numpy as np

    if isinstance(value, bool | np.bool_):
        return DataType.boolean
    if isinstance(value, int | np.integer):
        return DataType.long
    if isinstance(value, float | np.floating):
        return DataType.double
    if isinstance(value, str):
        return DataType.string
    if isinstance(value, bytes | bytearray):
        return DataType.binary
    if isinstance(value, _dt.datetime | _dt.date | np.datetime64):
        return DataType.datetime
    raise InvalidParameterValue(
        f"Cannot infer a signature type for column {column!r}: unsupported value {type(value).__name__}"
    )


def _infer_object_values(values: Any, column: str | None) -> DataType:
    seen: set[DataType] = set()
    for v in values:
        if v is None or (isinstance(v, float) and v != v):
            continue
        seen.add(_scalar_type(v, column))
    if not seen:
        return DataType.string
    if len(seen) > 1:
        if seen <= {DataType.long, DataType.double}:
            return DataType.double
        raise InvalidParameterValue(
            f"Column {column!r} mixes types {sorted(t.value for t in seen)}"
        )
    return seen.pop()


def _frame_schema(df: Any) -> Schema:
    specs: list[Spec] = []
    for col in df.columns:
        series = df[col]
        specs.append(
            ColSpec(
                type=_dtype_to_datatype(series.dtype, series.to_numpy(), str(col)),
                name=str(col),
                required=not bool(series.isna().any()),
            )
        )
    return Schema(specs)


def _tensor_dtype_name(dtype: Any) -> str:
    """A tensor's dtype as MLflow writes it: fixed-width text and bytes without their width
    (``<U3`` is ``str``, ``|S4`` is ``bytes``), so longer values of the same kind still fit."""
    if dtype.kind == "U":
        return "str"
    if dtype.kind == "S":
        return "bytes"
    return str(dtype)


def _tensor(array: Any, name: str | None = None) -> TensorSpec:
    shape = (-1, *array.shape[1:]) if array.ndim >= 1 else ()
    return TensorSpec(
        dtype=_tensor_dtype_name(array.dtype), shape=tuple(int(s) for s in shape), name=name
    )


def infer_schema(data: Any) -> Schema:
    """Infer a schema from a pandas DataFrame/Series, a numpy array, a dict of arrays, a list of
    records or scalars, or one scalar."""
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return _frame_schema(data)
    if isinstance(data, pd.Series):
        name = None if data.name is None or isinstance(data.name, int) else str(data.name)
        return Schema(
            [
                ColSpec(
                    type=_dtype_to_datatype(data.dtype, data.to_numpy(), name),
                    name=name,
                    required=not bool(data.isna().any()),
                )
            ]
        )
    if isinstance(data, np.ndarray):
        return Schema([_tensor(data)])
    if isinstance(data, dict):
        if data and all(isinstance(v, np.ndarray) for v in data.values()):
            return Schema([_tensor(v, str(k)) for k, v in data.items()])
        if all(isinstance(v, list | tuple) for v in data.values()):
            return _frame_schema(pd.DataFrame(data))
        return _frame_schema(pd.DataFrame([data]))
    if isinstance(data, list | tuple):
        if data and all(isinstance(v, dict) for v in data):
            return _frame_schema(pd.DataFrame(list(data)))
        return Schema([ColSpec(type=_infer_object_values(data, None), required=True)])
    if isinstance(data, str | bytes | int | float | bool | _dt.datetime):
        return Schema([ColSpec(type=_scalar_type(data), required=True)])
    raise InvalidParameterValue(f"Cannot infer a signature from data of type {type(data).__name__}")


def infer_param_schema(params: dict[str, Any]) -> ParamSchema:
    import numpy as np

    specs: list[ParamSpec] = []
    for name, value in params.items():
        if not isinstance(name, str):
            raise InvalidParameterValue(f"Param names must be strings, got {name!r}")
        shape: tuple[int, ...] | None = None
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, list | tuple):
            if not value:
                raise InvalidParameterValue(
                    f"Cannot infer the type of param {name!r} from an empty list"
                )
            types = {_scalar_type(v, name) for v in value}
            if len(types) != 1:
                raise InvalidParameterValue(f"Param {name!r} mixes types in its list")
            ptype, shape, value = types.pop(), (-1,), list(value)
        else:
            if value is None:
                raise InvalidParameterValue(f"Cannot infer the type of param {name!r} from None")
            ptype = _scalar_type(value, name)
            if isinstance(value, np.generic):
                value = value.item()
        specs.append(ParamSpec(name=name, type=ptype, default=value, shape=shape))
    return ParamSchema(specs)


def infer_signature(
    model_input: Any = None, model_output: Any = None, params: dict[str, Any] | None = None
) -> ModelSignature:
    """Infer a :class:`ModelSignature` from example input, output and inference params."""
    return ModelSignature(
        inputs=infer_schema(model_input) if model_input is not None else None,
        outputs=infer_schema(model_output) if model_output is not None else None,
        params=infer_param_schema(params) if params else None,
    )
