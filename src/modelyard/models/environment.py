"""Environment files of a model directory: ``requirements.txt``, ``conda.yaml``,
``python_env.yaml`` (and ``constraints.txt`` when requirements reference it).

Default requirements pin ``mlflow==<MLFLOW_COMPAT_VERSION>`` first: the ``python_function``
flavor we write names MLflow loader modules (``mlflow.sklearn`` ...), so an environment rebuilt
from these files by ``mlflow models serve`` must contain MLflow. modelyard loads the same model
without it.
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.models.mlmodel import MLFLOW_COMPAT_VERSION

__all__ = [
    "CONDA_ENV_FILE",
    "CONSTRAINTS_FILE",
    "PYTHON_ENV_FILE",
    "REQUIREMENTS_FILE",
    "default_requirements",
    "pinned",
    "read_requirements",
    "write_environment",
]

REQUIREMENTS_FILE = "requirements.txt"
CONDA_ENV_FILE = "conda.yaml"
PYTHON_ENV_FILE = "python_env.yaml"
CONSTRAINTS_FILE = "constraints.txt"


def pinned(distribution: str) -> str | None:
    """``name==installed version``, or None when the distribution is not installed."""
    try:
        return f"{distribution}=={metadata.version(distribution)}"
    except metadata.PackageNotFoundError:
        return None


def default_requirements(*distributions: str) -> list[str]:
    """``mlflow==<compat>`` then the installed version of each distribution (those installed)."""
    reqs = [f"mlflow=={MLFLOW_COMPAT_VERSION}"]
    for dist in distributions:
        pin = pinned(dist)
        if pin is not None and pin not in reqs:
            reqs.append(pin)
    return reqs


def _version(dist: str, fallback: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return fallback


def _check_list(field: str, value: Any) -> list[str]:
    if isinstance(value, str | os.PathLike):
        path = Path(value)
        if path.is_file():
            return [
                ln.strip()
                for ln in path.read_text().splitlines()
                if ln.strip() and not ln.startswith("#")
            ]
        raise InvalidParameterValue(f"Field {field!r} names a file that does not exist: {value}")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise InvalidParameterValue(
            f"Field {field!r} must be a list of requirement strings or a file path"
        )
    return list(value)


def write_environment(
    path: str | os.PathLike[str],
    default_reqs: list[str],
    pip_requirements: list[str] | str | None = None,
    extra_pip_requirements: list[str] | str | None = None,
    conda_env: dict[str, Any] | str | os.PathLike[str] | None = None,
) -> list[str]:
    """Write the three environment files into the model directory; returns the requirements.

    ``pip_requirements`` replaces the defaults; ``extra_pip_requirements`` adds to them;
    ``conda_env`` (a dict or a YAML file) is written as given and its ``pip`` list becomes the
    requirements. Only one of the three can be given.
    """
    import yaml

    given = [
        n
        for n, v in (
            ("pip_requirements", pip_requirements),
            ("extra_pip_requirements", extra_pip_requirements),
            ("conda_env", conda_env),
        )
        if v is not None
    ]
    if len(given) > 1:
        raise InvalidParameterValue(f"Only one of {given} can be given")
    conda_doc: dict[str, Any] | None = None
    if conda_env is not None:
        if isinstance(conda_env, dict):
            conda_doc = conda_env
        else:
            env_file = Path(conda_env)
            if not env_file.is_file():
                raise InvalidParameterValue(
                    f"Field 'conda_env' names a file that does not exist: {conda_env}"
                )
            conda_doc = yaml.safe_load(env_file.read_text())
        if not isinstance(conda_doc, dict):
            raise InvalidParameterValue("Field 'conda_env' must be a mapping (a conda environment)")
        pip_requirements = [
            str(r)
            for dep in conda_doc.get("dependencies") or []
            if isinstance(dep, dict)
            for r in dep.get("pip") or []
        ]
    if pip_requirements is not None:
        reqs = _check_list("pip_requirements", pip_requirements)
    else:
        reqs = list(default_reqs)
        if extra_pip_requirements is not None:
            for req in _check_list("extra_pip_requirements", extra_pip_requirements):
                if req not in reqs:
                    reqs.append(req)
    root = Path(path)
    constraints = [r for r in reqs if r.startswith("-c ")]
    reqs_out = [r for r in reqs if not r.startswith("-c ")]
    if constraints:
        lines: list[str] = []
        for c in constraints:
            lines.extend(_check_list("constraints", c[3:].strip()))
        (root / CONSTRAINTS_FILE).write_text("\n".join(lines))
        reqs_out.append(f"-c {CONSTRAINTS_FILE}")
    (root / REQUIREMENTS_FILE).write_text("\n".join(reqs_out))
    python = platform.python_version()
    pip_version = _version("pip", "24.0")
    conda = conda_doc or {
        "channels": ["conda-forge"],
        "dependencies": [f"python={python}", f"pip<={pip_version}", {"pip": reqs_out}],
        "name": "mlflow-env",
    }
    (root / CONDA_ENV_FILE).write_text(yaml.safe_dump(conda, default_flow_style=False))
    python_env = {
        "python": python,
        "build_dependencies": [
            f"pip=={pip_version}",
            f"setuptools=={_version('setuptools', '69.0.0')}",
            "wheel",
        ],
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    (root / PYTHON_ENV_FILE).write_text(
        yaml.safe_dump(python_env, default_flow_style=False, sort_keys=False)
    )
    return reqs_out


def read_requirements(path: str | os.PathLike[str]) -> list[str]:
    """The requirement lines of a model directory's ``requirements.txt`` ([] when absent)."""
    file = Path(path) / REQUIREMENTS_FILE
    if not file.is_file():
        return []
    return [
        ln.strip() for ln in file.read_text().splitlines() if ln.strip() and not ln.startswith("#")
    ]
