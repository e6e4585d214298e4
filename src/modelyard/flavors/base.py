"""What every flavor's ``save_model`` does around writing its own model file."""

from __future__ import annotations

import os
import platform
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue, ResourceAlreadyExists
from modelyard.models.environment import CONDA_ENV_FILE, PYTHON_ENV_FILE, write_environment
from modelyard.models.input_example import save_input_example, split_example
from modelyard.models.mlmodel import MLMODEL_FILE_NAME, Model, dir_size_bytes
from modelyard.models.signature import ModelSignature, infer_param_schema, infer_schema

__all__ = ["CODE_DIR", "add_code_to_path", "local_model_dir", "pyfunc_block", "save_model_dir"]

CODE_DIR = "code"


def pyfunc_block(loader_module: str, **config: Any) -> dict[str, Any]:
    """The ``python_function`` flavor block MLflow's ``pyfunc.load_model`` reads."""
    block: dict[str, Any] = {
        "loader_module": loader_module,
        "python_version": platform.python_version(),
        "env": {"conda": CONDA_ENV_FILE, "virtualenv": PYTHON_ENV_FILE},
    }
    block.update(config)
    return block


def _prepare(path: str | os.PathLike[str]) -> Path:
    target = Path(path).absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ResourceAlreadyExists(f"Path '{target}' already exists and is not empty")
    target.mkdir(parents=True, exist_ok=True)
    return target


def _infer(example: Any, predict: Callable[[Any], Any] | None) -> ModelSignature | None:
    import logging

    import pandas as pd

    try:
        inputs = infer_schema(example)
    except InvalidParameterValue as exc:
        logging.getLogger(__name__).warning("No signature inferred from the input example: %s", exc)
        return None
    outputs = None
    if predict is not None:
        try:
            output = predict(example)
            if isinstance(example, pd.DataFrame) and getattr(output, "ndim", 0) == 1:
                output = pd.Series(output)
            outputs = infer_schema(output)
        except Exception as exc:  # a model that cannot score its own example: inputs only
            logging.getLogger(__name__).warning("Could not infer the output schema: %s", exc)
    return ModelSignature(inputs=inputs, outputs=outputs)


def save_model_dir(
    path: str | os.PathLike[str],
    write: Callable[[Path, Model], None],
    *,
    default_reqs: list[str],
    predict: Callable[[Any], Any] | None = None,
    signature: ModelSignature | bool | None = None,
    input_example: Any = None,
    pip_requirements: list[str] | str | None = None,
    extra_pip_requirements: list[str] | str | None = None,
    metadata: dict[str, Any] | None = None,
    mlmodel: Model | None = None,
    code_paths: list[str] | None = None,
    conda_env: dict[str, Any] | str | None = None,
    **unknown: Any,
) -> Model:
    """Create the model directory ``path``; ``write(dir, mlmodel)`` stores the model files and
    adds its flavor blocks. Then the example, signature (inferred from the example when not
    given; ``signature=False`` disables it), ``MLmodel`` and environment files are written.
    A failure removes the half-written directory."""
    if signature is not None and not isinstance(signature, ModelSignature | bool):
        raise InvalidParameterValue("Field 'signature' must be a ModelSignature, False or None")
    _check_unknown(unknown)
    target = _prepare(path)
    try:
        model = mlmodel if mlmodel is not None else Model()
        example = None
        if input_example is not None:
            example = save_input_example(model, input_example, target)
        write(target, model)
        if code_paths:
            _copy_code(code_paths, target, model)
        if isinstance(signature, ModelSignature):
            model.signature = signature
        elif signature is not False and example is not None:
            model.signature = _infer(example, predict)
            _data, example_params = split_example(input_example)
            if model.signature is not None and example_params:
                model.signature.params = infer_param_schema(example_params)
        if metadata is not None:
            model.metadata = dict(metadata)
        write_environment(target, default_reqs, pip_requirements, extra_pip_requirements, conda_env)
        model.model_size_bytes = dir_size_bytes(target)
        model.save(target / MLMODEL_FILE_NAME)
        return model
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


#: MLflow keyword arguments accepted for script compatibility but without effect here.
_NO_EFFECT = {
    "extra_files",
    "resources",
    "auth_policy",
    "prompts",
    "infer_code_paths",
    "streamable",
    "example_no_conversion",
    "registered_model_name_tags",
}


def _check_unknown(unknown: dict[str, Any]) -> None:
    import logging

    ignored = sorted(k for k in unknown if k in _NO_EFFECT)
    if ignored:
        logging.getLogger(__name__).warning("Arguments without effect in modelyard: %s", ignored)
    bad = sorted(k for k in unknown if k not in _NO_EFFECT)
    if bad:
        raise InvalidParameterValue(f"Unexpected argument(s) for save_model/log_model: {bad}")


def _copy_code(code_paths: list[str], target: Path, model: Model) -> None:
    """Copy ``code_paths`` into ``code/`` and record it in every flavor block; loading puts
    ``code/`` first on ``sys.path`` (MLflow does the same)."""
    if isinstance(code_paths, str) or not all(isinstance(p, str | os.PathLike) for p in code_paths):
        raise InvalidParameterValue("Field 'code_paths' must be a list of paths")
    code_dir = target / CODE_DIR
    code_dir.mkdir()
    for item in code_paths:
        source = Path(item)
        if not source.exists():
            raise InvalidParameterValue(
                f"Field 'code_paths' names a path that does not exist: {item}"
            )
        if source.is_dir():
            shutil.copytree(source, code_dir / source.name)
        else:
            shutil.copy2(source, code_dir / source.name)
    for conf in model.flavors.values():
        conf["code"] = CODE_DIR


def add_code_to_path(model_dir: Path, model: Model) -> None:
    """Put the model's ``code/`` directory first on ``sys.path`` (runs the model's own code)."""
    import sys

    for conf in model.flavors.values():
        code = conf.get("code") if isinstance(conf, dict) else None
        if code:
            path = str((model_dir / code).resolve())
            if path not in sys.path:
                sys.path.insert(0, path)
            return


def local_model_dir(model_uri: str | os.PathLike[str], dst_path: str | None = None) -> Path:
    """A local directory holding the model at ``model_uri`` (downloaded when remote)."""
    from modelyard.client.model_uris import download_model

    return Path(download_model(str(model_uri), dst_path=dst_path))
