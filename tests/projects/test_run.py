"""Project runs end to end: a local git repo, a python_env in a fresh venv, tags, params,
attachment of the child to the run, versions, cancel, the CLI."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.projects.conftest import git, make_repo, write_files

from modelyard import projects
from modelyard.client import MlflowClient
from modelyard.errors import InvalidParameterValue, NotImplementedByBackend

VENV_PROJECT = {
    "MLproject": """
        name: venv-demo
        python_env: python_env.yaml
        entry_points:
          main:
            parameters:
              out: path
              word: {type: string, default: hello}
            command: "python where.py {out} {word}"
    """,
    "python_env.yaml": f"""
        python: "{sys.version_info.major}.{sys.version_info.minor}"
        build_dependencies: []
        dependencies: []
    """,
    "where.py": """
        import os, sys
        with open(sys.argv[1], "w") as f:
            f.write(sys.prefix + "\\n" + sys.argv[2] + "\\n" + os.environ["MLFLOW_RUN_ID"])
    """,
}

LOGGING_PROJECT = {
    "MLproject": """
        name: logging-demo
        entry_points:
          main:
            parameters:
              alpha: {type: float, default: 0.1}
            command: "python train.py {alpha}"
          slow:
            command: "bash slow.sh"
    """,
    "train.py": """
        import sys
        import modelyard as mlflow
        with mlflow.start_run() as run:
            mlflow.log_metric("alpha_x2", 2 * float(sys.argv[1]))
            print("child run", run.info.run_id)
    """,
    "slow.sh": """
        sleep 300 &
        echo $! > "$PID_FILE"
        wait
    """,
}


def test_local_git_repo_with_python_env_in_fresh_venv(tmp_path: Path, tracking: str) -> None:
    repo = make_repo(tmp_path / "repo", VENV_PROJECT)
    commit = git(repo, "rev-parse", "HEAD")
    out = tmp_path / "where.txt"
    submitted = projects.run(
        repo.as_uri(),
        parameters={"out": str(out), "word": "it's $(id)"},
        env_manager="virtualenv",
        experiment_name="proj",
    )
    assert submitted.get_status() == "FINISHED"
    prefix, word, child_run = out.read_text().splitlines()
    env_root = Path(os.environ["MODELYARD_ENV_ROOT"])
    assert Path(prefix).parent == env_root  # the venv, not this interpreter
    assert word == "it's $(id)"
    assert child_run == submitted.run_id
    run = MlflowClient(tracking).get_run(submitted.run_id)
    assert run.info.status == "FINISHED"
    tags = run.data.tags
    assert tags["mlflow.source.type"] == "PROJECT"
    assert tags["mlflow.source.git.commit"] == commit
    assert tags["mlflow.project.entryPoint"] == "main"
    assert tags["mlflow.project.env"] == "virtualenv"
    assert tags["mlflow.project.backend"] == "local"
    assert run.data.params == {"out": str(out), "word": "it's $(id)"}
    # the environment is cached by content: a second run builds nothing new
    envs = sorted(p.name for p in env_root.iterdir() if not p.name.startswith("."))
    projects.run(str(repo), parameters={"out": str(out)}, env_manager="virtualenv")
    assert sorted(p.name for p in env_root.iterdir() if not p.name.startswith(".")) == envs
    assert len(envs) == 1


def test_child_logs_into_the_run(tmp_path: Path, tracking: str) -> None:
    project = write_files(tmp_path / "p", LOGGING_PROJECT)
    submitted = projects.run(str(project), parameters={"alpha": 1.5}, env_manager="local")
    run = MlflowClient(tracking).get_run(submitted.run_id)
    assert run.data.metrics["alpha_x2"] == 3.0
    assert run.data.params == {"alpha": "1.5"}
    assert run.info.status == "FINISHED"


def test_versions_commit_branch_tag_and_bad_revision(tmp_path: Path, tracking: str) -> None:
    files = dict(VENV_PROJECT)
    files["python_env.yaml"] = "python: null\n"
    repo = make_repo(tmp_path / "repo", files)
    first = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "v1")
    git(repo, "checkout", "--quiet", "-b", "feature")
    (repo / "where.py").write_text('import sys\nopen(sys.argv[1], "w").write("feature")\n')
    git(repo, "commit", "--quiet", "-am", "feature")
    git(repo, "checkout", "--quiet", "main")
    out = tmp_path / "o.txt"
    client = MlflowClient(tracking)
    for version, expect_feature in (("feature", True), ("v1", False), (first, False)):
        submitted = projects.run(
            repo.as_uri(), parameters={"out": str(out)}, version=version, env_manager="local"
        )
        assert (out.read_text() == "feature") is expect_feature
        tags = client.get_run(submitted.run_id).data.tags
        assert tags["mlflow.source.git.repoURL"] == repo.as_uri()
        if version == "feature":
            assert tags["mlflow.source.git.branch"] == "feature"
    with pytest.raises(InvalidParameterValue, match="'no-such-rev' does not exist"):
        projects.run(repo.as_uri(), parameters={"out": str(out)}, version="no-such-rev")


def test_subdirectory_and_plain_script(tmp_path: Path, tracking: str) -> None:
    repo = make_repo(tmp_path / "repo", {"sub/hello.py": "print('hi')\n"})
    submitted = projects.run(f"{repo.as_uri()}#sub", entry_point="hello.py", env_manager="local")
    assert submitted.get_status() == "FINISHED"


def test_docker_env_is_unsupported(tmp_path: Path, tracking: str) -> None:
    project = write_files(tmp_path / "d", {"MLproject": "docker_env:\n  image: x\n"})
    with pytest.raises(NotImplementedByBackend, match="docker_env"):
        projects.run(str(project))


def test_failing_environment_build(tmp_path: Path, tracking: str) -> None:
    files = dict(VENV_PROJECT)
    files["python_env.yaml"] = "python: '2.5'\n"
    project = write_files(tmp_path / "p", files)
    with pytest.raises(projects.EnvironmentBuildError, match="2.5"):
        projects.run(str(project), parameters={"out": "x"}, env_manager="virtualenv")


def test_failed_command_marks_run_failed(tmp_path: Path, tracking: str) -> None:
    project = write_files(tmp_path / "p", {"boom.py": "raise SystemExit(3)\n"})
    with pytest.raises(projects.ExecutionException, match="exited with 3"):
        projects.run(str(project), entry_point="boom.py", env_manager="local")
    runs = MlflowClient(tracking).search_runs(["0"])
    assert [r.info.status for r in runs] == ["FAILED"]


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper is not running)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"


def test_cancel_kills_the_whole_process_group(tmp_path: Path, tracking: str) -> None:
    project = write_files(tmp_path / "p", LOGGING_PROJECT)
    pid_file = tmp_path / "pid"
    os.environ["PID_FILE"] = str(pid_file)
    try:
        submitted = projects.run(str(project), entry_point="slow", synchronous=False)
    finally:
        del os.environ["PID_FILE"]
    for _ in range(600):  # wait for the grandchild to exist (bounded by trials)
        if pid_file.exists() and pid_file.read_text().strip():
            break
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())
    assert submitted.get_status() == "RUNNING"
    submitted.cancel()
    assert submitted.get_status() == "KILLED"
    for _ in range(200):  # SIGKILL is delivered asynchronously: bounded by trials
        if not _alive(grandchild):
            break
        time.sleep(0.02)
    assert not _alive(grandchild)
    assert MlflowClient(tracking).get_run(submitted.run_id).info.status == "KILLED"


def test_timeout_through_backend_config(tmp_path: Path, tracking: str) -> None:
    project = write_files(tmp_path / "p", {"nap.sh": "sleep 300\n"})
    with pytest.raises(projects.ExecutionException, match="timed out"):
        projects.run(str(project), entry_point="nap.sh", backend_config={"timeout_seconds": 0.5})
    with pytest.raises(InvalidParameterValue, match="backend"):
        projects.run(str(project), entry_point="nap.sh", backend="kubernetes")


def test_cli_run(tmp_path: Path, tracking: str) -> None:
    from modelyard.cli.main import cli

    project = write_files(tmp_path / "p", LOGGING_PROJECT)
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(project),
            "-P",
            "alpha=2",
            "--env-manager",
            "local",
            "--tracking-uri",
            tracking,
            "--experiment-name",
            "cli-exp",
            "--run-name",
            "r1",
        ],
    )
    assert result.exit_code == 0, result.output
    client = MlflowClient(tracking)
    exp = client.get_experiment_by_name("cli-exp")
    assert exp is not None
    (run,) = client.search_runs([exp.experiment_id])
    assert run.data.metrics["alpha_x2"] == 4.0
    assert run.info.run_name == "r1"
    bad = CliRunner().invoke(
        cli, ["run", str(project), "-P", "alpha=abc", "--tracking-uri", tracking]
    )
    assert bad.exit_code != 0
    assert "INVALID_PARAMETER_VALUE" in bad.output and "'alpha'" in bad.output
