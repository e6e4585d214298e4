"""The MLproject file: what a project declares and how an entry point becomes a command.

An ``MLproject`` file (YAML) names the project, its environment (``python_env``, ``conda_env``
or ``docker_env``) and its ``entry_points``; each entry point has typed ``parameters``
(``float``, ``int``, ``string``, ``path``, ``uri``; a value or ``{type, default}``) and a
``command`` template whose ``{name}`` fields are filled with the parameter values.

Every value is checked against its type and then shell-quoted (:func:`shlex.quote`) before it
enters the command, so no value can add shell syntax. A template field that names no declared
parameter is an error naming it, and so is a declared parameter without a default that the
caller did not give. Values given for undeclared parameters are appended as ``--name value``
(MLflow's rule). A folder without ``MLproject`` runs ``*.py`` files with Python and ``*.sh``
files with bash, the parameters appended as ``--name value``.
"""

from __future__ import annotations

import math
import os
import shlex
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelyard.errors import InvalidParameterValue

__all__ = [
    "PARAMETER_TYPES",
    "EntryPoint",
    "Parameter",
    "Project",
    "load_project",
]

PARAMETER_TYPES = ("float", "int", "string", "path", "uri")
MLPROJECT_FILE = "MLproject"
_TOP_LEVEL_KEYS = {"name", "python_env", "conda_env", "docker_env", "entry_points"}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str = "string"
    default: Any = None

    @property
    def required(self) -> bool:
        return self.default is None

    def convert(self, value: Any, *, where: str) -> str:
        """The value as a string, checked against the type (``path`` made absolute)."""
        text = value if isinstance(value, str) else str(value)
        if "\x00" in text:
            raise InvalidParameterValue(f"Parameter '{self.name}' of {where}: NUL in the value.")
        if self.type == "float":
            try:
                number = float(text)
            except ValueError:
                raise InvalidParameterValue(
                    f"Parameter '{self.name}' of {where} must be a float, got {text!r}."
                ) from None
            if not math.isfinite(number) and text.strip().lower() not in ("inf", "-inf", "nan"):
                raise InvalidParameterValue(f"Parameter '{self.name}' of {where}: bad float.")
            return text.strip()
        if self.type == "int":
            try:
                int(text.strip())
            except ValueError:
                raise InvalidParameterValue(
                    f"Parameter '{self.name}' of {where} must be an int, got {text!r}."
                ) from None
            return text.strip()
        if self.type == "path":
            return str(Path(text).expanduser().resolve())
        if self.type == "uri":
            if "://" in text or text.startswith(("s3:", "gs:", "runs:", "models:", "file:")):
                return text
            return Path(text).expanduser().resolve().as_uri()
        return text


@dataclass(frozen=True)
class EntryPoint:
    name: str
    command: str
    parameters: dict[str, Parameter] = field(default_factory=dict)

    def template_fields(self) -> list[str]:
        names: list[str] = []
        try:
            parsed = list(string.Formatter().parse(self.command))
        except ValueError as exc:
            raise InvalidParameterValue(
                f"Entry point '{self.name}': invalid command template ({exc})."
            ) from None
        for _, name, spec, conversion in parsed:
            if name is None:
                continue
            if not name.isidentifier() or spec or conversion:
                raise InvalidParameterValue(
                    f"Entry point '{self.name}': invalid placeholder {{{name}}} in the command."
                )
            names.append(name)
        return names

    def resolve(self, given: dict[str, Any] | None) -> dict[str, str]:
        """Every parameter value, defaults filled in and checked (undeclared ones kept)."""
        given = {str(k): v for k, v in (given or {}).items()}
        where = f"entry point '{self.name}'"
        out: dict[str, str] = {}
        missing = []
        for name, param in self.parameters.items():
            if name in given and given[name] is not None:
                out[name] = param.convert(given[name], where=where)
            elif param.default is not None:
                out[name] = param.convert(param.default, where=where)
            else:
                missing.append(name)
        if missing:
            raise InvalidParameterValue(
                f"No value given for the parameter(s) {', '.join(sorted(missing))} of {where} "
                "(they have no default)."
            )
        for name, value in given.items():
            if name not in self.parameters:
                if not name or any(c.isspace() for c in name) or name.startswith("-"):
                    raise InvalidParameterValue(f"Invalid parameter name {name!r} for {where}.")
                out[name] = Parameter(name).convert(value, where=where)
        return out

    def command_for(self, values: dict[str, str]) -> str:
        """The shell command, each value quoted; undeclared values appended as ``--k v``."""
        fields = self.template_fields()
        for name in fields:
            if name not in self.parameters:
                raise InvalidParameterValue(
                    f"The command of entry point '{self.name}' references '{{{name}}}', which "
                    "is not a declared parameter."
                )
        quoted = {k: shlex.quote(v) for k, v in values.items()}
        command = self.command.format(**{k: quoted[k] for k in fields})
        extra = [k for k in values if k not in self.parameters]
        for name in extra:
            command += f" --{shlex.quote(name)} {quoted[name]}"
        return command


@dataclass(frozen=True)
class Project:
    """A parsed project folder (``MLproject`` or a plain folder of scripts)."""

    directory: Path
    name: str | None = None
    env_type: str | None = None  # "python_env" | "conda_env" | "docker_env" | None
    env_file: Path | None = None
    docker_env: dict[str, Any] | None = None
    entry_points: dict[str, EntryPoint] = field(default_factory=dict)
    has_mlproject: bool = True

    def get_entry_point(self, name: str) -> EntryPoint:
        entry = self.entry_points.get(name)
        if entry is not None:
            return entry
        path = (self.directory / name).resolve()
        if name.endswith((".py", ".sh")) and path.is_file() and _inside(path, self.directory):
            runner = "python" if name.endswith(".py") else "bash"
            return EntryPoint(name, f"{runner} {shlex.quote(name)}")
        known = ", ".join(sorted(self.entry_points)) or "none"
        raise InvalidParameterValue(
            f"Could not find entry point '{name}' in the project at {self.directory} "
            f"(declared: {known}; a .py or .sh file of the project also works)."
        )


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _parameter(entry: str, name: str, raw: Any) -> Parameter:
    where = f"entry_points.{entry}.parameters.{name}"
    if isinstance(raw, str):
        ptype, default = raw, None
    elif isinstance(raw, dict):
        unknown = set(raw) - {"type", "default"}
        if unknown:
            raise InvalidParameterValue(f"Unknown field(s) {sorted(unknown)} in {where}.")
        ptype, default = raw.get("type", "string"), raw.get("default")
    else:
        raise InvalidParameterValue(f"{where} must be a type name or a {{type, default}} map.")
    if ptype not in PARAMETER_TYPES:
        raise InvalidParameterValue(
            f"Unknown type {ptype!r} for {where} (expected one of {', '.join(PARAMETER_TYPES)})."
        )
    if isinstance(default, bool) or isinstance(default, dict | list):
        raise InvalidParameterValue(f"Invalid default {default!r} for {where}.")
    param = Parameter(name, ptype, default)
    if default is not None and ptype in ("float", "int"):
        param.convert(default, where=f"MLproject ({where}.default)")
    return param


def _entry_point(name: str, raw: Any) -> EntryPoint:
    if not isinstance(raw, dict):
        raise InvalidParameterValue(f"entry_points.{name} must be a map with a 'command'.")
    unknown = set(raw) - {"parameters", "command"}
    if unknown:
        raise InvalidParameterValue(f"Unknown field(s) {sorted(unknown)} in entry_points.{name}.")
    command = raw.get("command")
    if not isinstance(command, str) or not command.strip():
        raise InvalidParameterValue(f"entry_points.{name}.command must be a non-empty string.")
    params_raw = raw.get("parameters") or {}
    if not isinstance(params_raw, dict):
        raise InvalidParameterValue(f"entry_points.{name}.parameters must be a map.")
    params = {str(k): _parameter(name, str(k), v) for k, v in params_raw.items()}
    entry = EntryPoint(str(name), command, params)
    for fname in entry.template_fields():  # fail at load time, naming the field
        if fname not in params:
            raise InvalidParameterValue(
                f"The command of entry point '{name}' references '{{{fname}}}', which is not a "
                "declared parameter."
            )
    return entry


def load_project(directory: str | os.PathLike[str]) -> Project:
    """Parse the project at ``directory`` (``MLproject`` optional)."""
    import yaml

    root = Path(directory).resolve()
    if not root.is_dir():
        raise InvalidParameterValue(f"Project directory {root} does not exist.")
    spec_path = next(
        (p for p in (root / MLPROJECT_FILE, root / "mlproject") if p.is_file()),
        None,
    )
    if spec_path is None:
        return Project(directory=root, has_mlproject=False)
    try:
        raw = yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InvalidParameterValue(f"{spec_path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidParameterValue(f"{spec_path} must hold a YAML map.")
    unknown = set(raw) - _TOP_LEVEL_KEYS
    if unknown:
        raise InvalidParameterValue(f"Unknown field(s) {sorted(unknown)} in {spec_path}.")
    envs = [k for k in ("python_env", "conda_env", "docker_env") if raw.get(k)]
    if len(envs) > 1:
        raise InvalidParameterValue(
            f"{spec_path} declares {' and '.join(envs)}; a project has at most one environment."
        )
    env_type = envs[0] if envs else None
    env_file: Path | None = None
    docker_env: dict[str, Any] | None = None
    if env_type == "docker_env":
        docker_env = raw["docker_env"] if isinstance(raw["docker_env"], dict) else {}
    elif env_type is not None:
        value = raw[env_type]
        if not isinstance(value, str):
            raise InvalidParameterValue(f"{env_type} in {spec_path} must be a file name.")
        env_file = (root / value).resolve()
        if not _inside(env_file, root) or not env_file.is_file():
            raise InvalidParameterValue(
                f"{env_type} file {value!r} named in {spec_path} is not a file of the project."
            )
    entries_raw = raw.get("entry_points") or {}
    if not isinstance(entries_raw, dict):
        raise InvalidParameterValue(f"entry_points in {spec_path} must be a map.")
    entries = {str(k): _entry_point(str(k), v) for k, v in entries_raw.items()}
    name = raw.get("name")
    return Project(
        directory=root,
        name=str(name) if name is not None else None,
        env_type=env_type,
        env_file=env_file,
        docker_env=docker_env,
        entry_points=entries,
    )
