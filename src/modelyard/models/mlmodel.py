"""The ``MLmodel`` file: one YAML document describing a saved model directory.

Keys written (MLflow 3.17 layout; null-valued optional keys are left out): ``artifact_path``,
``flavors``, ``model_id``, ``model_uuid``, ``run_id``, ``mlflow_version``, ``utc_time_created``,
``model_size_bytes``, ``signature`` (JSON strings), ``is_signature_from_type_hint``,
``type_hint_from_example``, ``saved_input_example_info`` and ``metadata``. Unknown keys read from
a file are kept and written back, so a round trip never loses what another tool recorded.

``mlflow_version`` is the MLflow release whose format we write (:data:`MLFLOW_COMPAT_VERSION`).
MLflow only reads it for informational purposes (and for Spark UDF environment checks), so the
value must be a real MLflow release string.
"""

from __future__ import annotations

import datetime as _dt
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.models.signature import ModelSignature, ParamSchema, Schema

__all__ = [
    "MLMODEL_FILE_NAME",
    "MLFLOW_COMPAT_VERSION",
    "PYFUNC_FLAVOR",
    "Model",
    "ModelInfo",
    "dir_size_bytes",
]

MLMODEL_FILE_NAME = "MLmodel"
MLFLOW_COMPAT_VERSION = "3.17.2"
PYFUNC_FLAVOR = "python_function"

_KNOWN = {
    "artifact_path",
    "run_id",
    "utc_time_created",
    "flavors",
    "signature",
    "saved_input_example_info",
    "model_uuid",
    "mlflow_version",
    "metadata",
    "model_size_bytes",
    "model_id",
    "is_signature_from_type_hint",
    "type_hint_from_example",
}


def _now() -> str:
    return str(_dt.datetime.now(_dt.UTC).replace(tzinfo=None))


@dataclass
class Model:
    """In-memory form of an ``MLmodel`` file."""

    artifact_path: str | None = None
    run_id: str | None = None
    utc_time_created: str = field(default_factory=_now)
    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    model_uuid: str | None = field(default_factory=lambda: uuid.uuid4().hex)
    mlflow_version: str | None = MLFLOW_COMPAT_VERSION
    metadata: dict[str, Any] | None = None
    model_size_bytes: int | None = None
    model_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    # ---------------------------------------------------------------- flavors
    def add_flavor(self, name: str, **config: Any) -> Model:
        self.flavors[name] = dict(config)
        return self

    def flavor_config(self, name: str) -> dict[str, Any]:
        try:
            return self.flavors[name]
        except KeyError:
            raise ResourceDoesNotExist(
                f"Model does not have the {name!r} flavor (flavors: {sorted(self.flavors)})"
            ) from None

    # ---------------------------------------------------------------- signature helpers
    def get_input_schema(self) -> Schema | None:
        return self.signature.inputs if self.signature is not None else None

    def get_output_schema(self) -> Schema | None:
        return self.signature.outputs if self.signature is not None else None

    def get_params_schema(self) -> ParamSchema | None:
        return self.signature.params if self.signature is not None else None

    def load_input_example(self, path: str | os.PathLike[str]) -> Any:
        """The saved input example of the model directory ``path`` (None when there is none)."""
        from modelyard.models.input_example import load_input_example

        return load_input_example(self, path)

    # ---------------------------------------------------------------- (de)serialization
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        if self.artifact_path is not None:
            out["artifact_path"] = self.artifact_path
        out["flavors"] = self.flavors
        out["model_id"] = self.model_id
        if self.model_size_bytes is not None:
            out["model_size_bytes"] = self.model_size_bytes
        out["model_uuid"] = self.model_uuid
        if self.mlflow_version is not None:
            out["mlflow_version"] = self.mlflow_version
        if self.run_id is not None:
            out["run_id"] = self.run_id
        if self.signature is not None:
            out["signature"] = self.signature.to_dict()
            out["is_signature_from_type_hint"] = False
            out["type_hint_from_example"] = False
        if self.saved_input_example_info is not None:
            out["saved_input_example_info"] = self.saved_input_example_info
        if self.metadata is not None:
            out["metadata"] = self.metadata
        out["utc_time_created"] = self.utc_time_created
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        if not isinstance(data, dict):
            raise InvalidParameterValue("An MLmodel document must be a YAML mapping")
        flavors = data.get("flavors") or {}
        if not isinstance(flavors, dict):
            raise InvalidParameterValue("MLmodel field 'flavors' must be a mapping")
        sig = data.get("signature")
        size = data.get("model_size_bytes")
        return cls(
            artifact_path=data.get("artifact_path"),
            run_id=data.get("run_id"),
            utc_time_created=str(data.get("utc_time_created") or _now()),
            flavors=flavors,
            signature=ModelSignature.from_dict(sig) if isinstance(sig, dict) else None,
            saved_input_example_info=data.get("saved_input_example_info"),
            model_uuid=data.get("model_uuid"),
            mlflow_version=data.get("mlflow_version"),
            metadata=data.get("metadata"),
            model_size_bytes=int(size) if size is not None else None,
            model_id=data.get("model_id"),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
        )

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), default_flow_style=False)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the YAML to ``path`` (a file, or a directory that gets ``MLmodel``)."""
        target = Path(path)
        if target.is_dir():
            target = target / MLMODEL_FILE_NAME
        target.write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read ``MLmodel`` from a local model directory, the file itself, or a ``file:`` URI.
        (This layer sits below the client: for ``runs:/``/``models:/`` URIs, load the model with
        ``modelyard.pyfunc.load_model`` and read ``.metadata``.)"""
        import yaml

        text = os.fspath(path)
        if text.startswith("file:"):
            from urllib.parse import unquote, urlparse

            text = unquote(urlparse(text).path)
        target = Path(text)
        if target.is_dir():
            target = target / MLMODEL_FILE_NAME
        if not target.is_file():
            raise ResourceDoesNotExist(f'Could not find an "{MLMODEL_FILE_NAME}" file at "{path}"')
        try:
            data = yaml.safe_load(target.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InvalidParameterValue(
                f"Malformed {MLMODEL_FILE_NAME} file at {target}: {exc}"
            ) from None
        return cls.from_dict(data)


@dataclass
class ModelInfo:
    """What ``log_model`` returns."""

    artifact_path: str | None
    flavors: dict[str, dict[str, Any]]
    model_uri: str
    model_uuid: str | None
    run_id: str | None
    model_id: str | None
    signature: ModelSignature | None
    utc_time_created: str
    mlflow_version: str | None
    saved_input_example_info: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    name: str | None = None
    registered_model_version: int | None = None
    artifact_uri: str | None = None

    @property
    def signature_dict(self) -> dict[str, str | None] | None:
        return self.signature.to_dict() if self.signature is not None else None


def dir_size_bytes(path: str | os.PathLike[str]) -> int:
    """Total size of the files under ``path``."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total
