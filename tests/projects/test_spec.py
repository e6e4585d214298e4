"""MLproject parsing and command building: types, defaults, quoting, the bad-input cases."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from tests.projects.conftest import write_files

from modelyard.errors import InvalidParameterValue
from modelyard.projects import load_project

MLPROJECT = """
name: demo
python_env: python_env.yaml
entry_points:
  main:
    parameters:
      alpha: {type: float, default: 0.5}
      n: {type: int, default: 3}
      label: string
      data: {type: path, default: data.csv}
      out: {type: uri, default: ./out}
    command: "python train.py --alpha {alpha} --n {n} --label {label} --data {data} --out {out}"
"""


def _project(tmp_path: Path, mlproject: str = MLPROJECT):
    write_files(tmp_path, {"MLproject": mlproject, "python_env.yaml": "python: '3.11'\n"})
    return load_project(tmp_path)


def test_typed_parameters_and_defaults(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert project.name == "demo"
    assert project.env_type == "python_env"
    entry = project.get_entry_point("main")
    assert [p.type for p in entry.parameters.values()] == ["float", "int", "string", "path", "uri"]
    values = entry.resolve({"label": "x", "n": 7})
    assert values["alpha"] == "0.5"
    assert values["n"] == "7"
    assert values["data"] == str(Path("data.csv").resolve())
    assert values["out"].startswith("file://")
    argv = shlex.split(entry.command_for(values))
    assert argv[:6] == ["python", "train.py", "--alpha", "0.5", "--n", "7"]


def test_values_cannot_inject_shell_syntax(tmp_path: Path) -> None:
    entry = _project(tmp_path).get_entry_point("main")
    evil = "x; touch /tmp/pwned $(id) `id` && echo"
    command = entry.command_for(entry.resolve({"label": evil}))
    argv = shlex.split(command)
    assert argv[argv.index("--label") + 1] == evil  # one argument, verbatim


def test_undeclared_values_are_appended(tmp_path: Path) -> None:
    entry = _project(tmp_path).get_entry_point("main")
    argv = shlex.split(entry.command_for(entry.resolve({"label": "a", "seed": "1; rm -rf /"})))
    assert argv[-2:] == ["--seed", "1; rm -rf /"]


def test_missing_parameter_without_default(tmp_path: Path) -> None:
    entry = _project(tmp_path).get_entry_point("main")
    with pytest.raises(InvalidParameterValue, match="label"):
        entry.resolve({})


@pytest.mark.parametrize(("name", "value"), [("alpha", "abc"), ("n", "1.5"), ("n", "3; ls")])
def test_wrong_type(tmp_path: Path, name: str, value: str) -> None:
    entry = _project(tmp_path).get_entry_point("main")
    with pytest.raises(InvalidParameterValue, match=f"'{name}'"):
        entry.resolve({"label": "a", name: value})


def test_unknown_parameter_type(tmp_path: Path) -> None:
    bad = MLPROJECT.replace("type: float", "type: decimal")
    with pytest.raises(
        InvalidParameterValue, match=r"decimal.*entry_points\.main\.parameters\.alpha"
    ):
        _project(tmp_path, bad)


def test_command_referencing_undeclared_parameter(tmp_path: Path) -> None:
    bad = MLPROJECT.replace("--out {out}", "--out {out} --lr {learning_rate}")
    with pytest.raises(InvalidParameterValue, match="learning_rate"):
        _project(tmp_path, bad)


def test_unknown_top_level_field_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValue, match="colour"):
        _project(tmp_path, MLPROJECT + "colour: red\n")
    with pytest.raises(InvalidParameterValue, match="YAML"):
        _project(tmp_path, "entry_points: [unclosed\n")


def test_docker_env_is_read(tmp_path: Path) -> None:
    project = _project(tmp_path, "name: d\ndocker_env:\n  image: python:3.11\n")
    assert project.env_type == "docker_env"
    assert project.docker_env == {"image": "python:3.11"}


def test_folder_without_mlproject(tmp_path: Path) -> None:
    write_files(tmp_path, {"train.py": "print(1)\n", "run.sh": "echo 1\n"})
    project = load_project(tmp_path)
    assert not project.has_mlproject
    assert project.get_entry_point("train.py").command == "python train.py"
    assert project.get_entry_point("run.sh").command == "bash run.sh"
    with pytest.raises(InvalidParameterValue, match="entry point 'missing.py'"):
        project.get_entry_point("missing.py")
    with pytest.raises(InvalidParameterValue, match="entry point"):
        project.get_entry_point("../outside.py")


def test_conda_env_is_read_for_python_and_pip(tmp_path: Path) -> None:
    from modelyard.projects.environments import read_python_env

    conda = (
        write_files(
            tmp_path,
            {
                "conda.yaml": """
        name: x
        dependencies:
          - python=3.11
          - pip
          - pip:
            - tinylib==1.0
    """
            },
        )
        / "conda.yaml"
    )
    env = read_python_env(conda, "conda_env")
    assert env.python == "3.11"
    assert env.dependencies == ("tinylib==1.0",)
    same = read_python_env(conda, "conda_env")
    assert env.key("virtualenv") == same.key("virtualenv") != env.key("uv")


def test_python_env_rejects_options_and_unknown_fields(tmp_path: Path) -> None:
    from modelyard.projects.environments import read_python_env

    bad = write_files(tmp_path, {"p.yaml": "dependencies: ['--index-url=http://evil']\n"})
    with pytest.raises(InvalidParameterValue, match="not a requirement"):
        read_python_env(bad / "p.yaml")
    odd = write_files(tmp_path, {"q.yaml": "pythons: '3.11'\n"})
    with pytest.raises(InvalidParameterValue, match="pythons"):
        read_python_env(odd / "q.yaml")


def test_python_env_expands_requirement_files(tmp_path: Path) -> None:
    from modelyard.projects.environments import read_python_env

    root = write_files(
        tmp_path,
        {
            "python_env.yaml": "dependencies: ['-r requirements.txt', 'b==2']\n",
            "requirements.txt": "# pinned\na==1  # first\n\n",
        },
    )
    assert read_python_env(root / "python_env.yaml").dependencies == ("a==1", "b==2")
    (root / "python_env.yaml").write_text("dependencies: ['-r ../outside.txt']\n")
    with pytest.raises(InvalidParameterValue, match="not a file of the project"):
        read_python_env(root / "python_env.yaml")
