"""Python environments for projects, built once and cached by content hash.

``env_manager``:

* ``local``: the current interpreter's environment, nothing installed;
* ``virtualenv``: ``python -m venv`` then ``pip install`` of the ``python_env.yaml``
  build dependencies and dependencies;
* ``uv``: ``uv venv`` + ``uv pip install`` (the default for ``python_env`` when ``uv`` is on
  ``PATH``, else ``virtualenv``).

An environment lives in ``<root>/<hash>`` where the hash covers the manager, the Python version
and the dependency lists, so two projects with the same requirements share one. ``root`` is
``MODELYARD_ENV_ROOT`` or ``~/.modelyard/envs``. Building happens in a temporary folder beside
it, under a file lock, and is renamed into place only on success: a failed build leaves nothing
behind and is reported with the installer's last output lines. ``conda_env`` files are read for
their Python version and pip dependencies and built the same way (conda itself is not used).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue, InvalidState

__all__ = [
    "ENV_MANAGERS",
    "EnvironmentBuildError",
    "PythonEnv",
    "default_env_manager",
    "env_root",
    "prepare_environment",
    "read_python_env",
]

ENV_MANAGERS = ("local", "virtualenv", "uv")


class EnvironmentBuildError(InvalidState):
    """The project's environment could not be built."""


@dataclass(frozen=True)
class PythonEnv:
    python: str | None
    build_dependencies: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()

    def key(self, manager: str) -> str:
        payload = json.dumps(
            [manager, self.python, list(self.build_dependencies), list(self.dependencies)]
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:24]


def _str_list(raw: Any, where: str, base: Path | None = None) -> tuple[str, ...]:
    """Requirement strings; ``-r FILE`` (relative to the env file) is expanded in place, so
    the content hash covers the file's requirements."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise InvalidParameterValue(f"{where} must be a list of requirement strings.")
    out: list[str] = []
    for req in raw:
        text = req.strip()
        if text.startswith("-r ") and base is not None:
            target = (base / text[3:].strip()).resolve()
            if not target.is_relative_to(base.resolve()) or not target.is_file():
                raise InvalidParameterValue(f"{where}: {req!r} is not a file of the project.")
            lines = target.read_text(encoding="utf-8").splitlines()
            nested = [ln.split("#", 1)[0].strip() for ln in lines]
            out.extend(_str_list([n for n in nested if n], f"{where} ({target.name})", None))
        elif text.startswith("-"):
            raise InvalidParameterValue(f"{where}: option {req!r} is not a requirement.")
        else:
            out.append(text)
    return tuple(out)


def read_python_env(path: Path, kind: str = "python_env") -> PythonEnv:
    """Parse ``python_env.yaml`` (or the pip part of a ``conda.yaml``)."""
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidParameterValue(f"Could not read {kind} file {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidParameterValue(f"{kind} file {path} must hold a YAML map.")
    if kind == "conda_env":
        python: str | None = None
        pip_deps: list[str] = []
        for dep in raw.get("dependencies") or []:
            if isinstance(dep, str) and dep.replace(" ", "").startswith("python"):
                spec = dep.replace(" ", "")[len("python") :].lstrip("=<>~!")
                python = spec or None
            elif isinstance(dep, dict) and isinstance(dep.get("pip"), list):
                pip_deps.extend(str(x) for x in dep["pip"])
        return PythonEnv(python, ("pip",), _str_list(pip_deps, f"{path}: pip"))
    unknown = set(raw) - {"python", "build_dependencies", "dependencies"}
    if unknown:
        raise InvalidParameterValue(f"Unknown field(s) {sorted(unknown)} in {path}.")
    python = raw.get("python")
    if python is not None and not isinstance(python, str | float | int):
        raise InvalidParameterValue(f"'python' in {path} must be a version string.")
    return PythonEnv(
        str(python) if python is not None else None,
        _str_list(raw.get("build_dependencies"), f"build_dependencies in {path}", path.parent),
        _str_list(raw.get("dependencies"), f"dependencies in {path}", path.parent),
    )


def default_env_manager() -> str:
    return "uv" if shutil.which("uv") else "virtualenv"


def env_root() -> Path:
    explicit = os.environ.get("MODELYARD_ENV_ROOT")
    return Path(explicit) if explicit else Path.home() / ".modelyard" / "envs"


def _interpreter(version: str | None) -> str:
    """A local interpreter for ``version`` (``3.11``, ``3.11.4``): nothing is downloaded."""
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    if not version:
        return sys.executable
    wanted = ".".join(version.strip().split(".")[:2])
    if wanted == current:
        return sys.executable
    found = shutil.which(f"python{wanted}")
    if found is None:
        raise EnvironmentBuildError(
            f"python_env asks for Python {version}, and no python{wanted} is installed here "
            f"(this machine runs {current})."
        )
    return found


def _run(argv: list[str], log: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    log.append(f"$ {' '.join(argv)}\n{proc.stdout}{proc.stderr}")
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-8:])
        raise EnvironmentBuildError(f"Building the project environment failed: {tail}")


def _build(target: Path, env: PythonEnv, manager: str) -> None:
    python = _interpreter(env.python)
    log: list[str] = []
    py = target / "bin" / "python"
    if manager == "uv":
        uv = shutil.which("uv")
        assert uv is not None
        _run([uv, "venv", "--quiet", "--python", python, str(target)], log)
        install = [uv, "pip", "install", "--quiet", "--python", str(py)]
    else:
        _run([python, "-m", "venv", str(target)], log)
        install = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if env.build_dependencies:
        _run([*install, *env.build_dependencies], log)
    if env.dependencies:
        _run([*install, *env.dependencies], log)
    (target / "modelyard-env.json").write_text(
        json.dumps(
            {
                "manager": manager,
                "python": env.python,
                "build_dependencies": list(env.build_dependencies),
                "dependencies": list(env.dependencies),
            }
        )
    )


def prepare_environment(env: PythonEnv, manager: str) -> Path:
    """The folder of a ready environment for ``env`` (built now if not cached)."""
    if manager not in ("virtualenv", "uv"):
        raise InvalidParameterValue(
            f"Invalid env_manager {manager!r} (expected one of {', '.join(ENV_MANAGERS)})."
        )
    if manager == "uv" and shutil.which("uv") is None:
        raise InvalidParameterValue("env_manager 'uv' was asked for, and uv is not on PATH.")
    root = env_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / env.key(manager)
    marker = target / "modelyard-env.json"
    if marker.is_file():
        return target
    with open(root / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building the same env
        if marker.is_file():
            return target
        building = root / f".{target.name}.building"
        shutil.rmtree(building, ignore_errors=True)
        try:
            _build(building, env, manager)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        shutil.rmtree(target, ignore_errors=True)
        # venv scripts hold absolute paths: rebuild the paths by renaming before first use
        building.rename(target)
        _fix_paths(target, building)
    return target


def _fix_paths(target: Path, old: Path) -> None:
    """venv writes its own folder into scripts and pyvenv.cfg; point them at the final one."""
    old_s, new_s = str(old), str(target)
    for path in [target / "pyvenv.cfg", *(target / "bin").iterdir()]:
        if path.is_symlink() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if old_s in text:
            path.write_text(text.replace(old_s, new_s), encoding="utf-8")
