"""``modelyard jobs``: create, list, trigger and follow jobs; run the scheduler.

The target is ``--tracking-uri`` (a database URI, or a ``modelyard server`` URL whose
``/api/2.1/jobs`` API is then used). ``create`` and ``reset`` read a job spec file (YAML or
JSON, the Databricks ``JobSettings`` shape); relative ``project_uri`` and ``python_file``
paths in it are taken relative to the spec file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from modelyard.cli._common import echo_table, tracking_uri_option

__all__ = ["jobs_group", "load_spec"]


def load_spec(path: str) -> dict[str, Any]:
    """A job spec file; local relative paths resolved against the file's folder."""
    import yaml

    from modelyard.errors import InvalidParameterValue

    spec_path = Path(path)
    try:
        text = spec_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidParameterValue(f"Cannot read the job spec {path}: {exc}") from None
    try:
        data = json.loads(text) if spec_path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidParameterValue(f"The job spec {path} does not parse: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidParameterValue(f"The job spec {path} must hold an object.")
    base = spec_path.resolve().parent
    for task in data.get("tasks") or []:
        if not isinstance(task, dict):
            continue
        project = task.get("project_task")
        if isinstance(project, dict) and isinstance(project.get("project_uri"), str):
            uri = project["project_uri"]
            if "://" not in uri and not uri.startswith(("git@", "/")):
                project["project_uri"] = str((base / uri).resolve())
        script = task.get("spark_python_task")
        if isinstance(script, dict) and isinstance(script.get("python_file"), str):
            file = script["python_file"]
            if "://" not in file and not file.startswith("/"):
                script["python_file"] = str((base / file).resolve())
    return data


def _client(tracking_uri: str | None) -> Any:
    from modelyard.jobs.client import JobsClient

    return JobsClient(tracking_uri)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    from modelyard.cli.projects import parse_param_pairs

    return parse_param_pairs(values, "--param")


@click.group("jobs")
def jobs_group() -> None:
    """Jobs: scheduled and triggered runs of projects and Python/Spark scripts."""


@jobs_group.command("create")
@click.argument("spec_file", type=click.Path(exists=True, dir_okay=False))
@tracking_uri_option
def create_command(spec_file: str, tracking_uri: str | None) -> None:
    """Create a job from a YAML/JSON spec file; prints the job id."""
    click.echo(_client(tracking_uri).create_job(load_spec(spec_file)))


@jobs_group.command("list")
@click.option("--limit", default=20, show_default=True, type=int)
@click.option("--offset", default=0, show_default=True, type=int)
@click.option("--name", default=None, help="Only jobs with this exact name.")
@tracking_uri_option
def list_command(limit: int, offset: int, name: str | None, tracking_uri: str | None) -> None:
    """List jobs."""
    page = _client(tracking_uri).list_jobs(limit, offset, name)
    rows = []
    for job in page.get("jobs", []):
        sched = job["settings"].get("schedule") or {}
        rows.append(
            (
                job["job_id"],
                job["settings"]["name"],
                sched.get("quartz_cron_expression", ""),
                sched.get("pause_status", ""),
            )
        )
    echo_table(["job_id", "name", "schedule", "pause_status"], rows)


@jobs_group.command("get")
@click.argument("job_id", type=int)
@tracking_uri_option
def get_command(job_id: int, tracking_uri: str | None) -> None:
    """Show a job (JSON)."""
    _echo_json(_client(tracking_uri).get_job(job_id))


@jobs_group.command("update")
@click.argument("job_id", type=int)
@click.option(
    "--spec",
    "spec_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Replace the settings with this spec file (jobs/reset).",
)
@click.option("--pause/--unpause", default=None, help="Pause or resume the schedule.")
@click.option("--max-concurrent-runs", type=int, default=None)
@tracking_uri_option
def update_command(
    job_id: int,
    spec_file: str | None,
    pause: bool | None,
    max_concurrent_runs: int | None,
    tracking_uri: str | None,
) -> None:
    """Change a job: a new spec, pause/unpause, concurrency."""
    from modelyard.errors import InvalidParameterValue

    client = _client(tracking_uri)
    if spec_file:
        client.reset_job(job_id, load_spec(spec_file))
    changes: dict[str, Any] = {}
    if max_concurrent_runs is not None:
        changes["max_concurrent_runs"] = max_concurrent_runs
    if pause is not None:
        schedule = client.get_job(job_id)["settings"].get("schedule")
        if not schedule:
            raise InvalidParameterValue(f"Job {job_id} has no schedule to pause or resume.")
        changes["schedule"] = {**schedule, "pause_status": "PAUSED" if pause else "UNPAUSED"}
    if changes:
        client.update_job(job_id, changes)
    click.echo(f"Job {job_id} updated.")


@jobs_group.command("delete")
@click.argument("job_id", type=int)
@tracking_uri_option
def delete_command(job_id: int, tracking_uri: str | None) -> None:
    """Delete a job and its run history (active runs are cancelled)."""
    _client(tracking_uri).delete_job(job_id)
    click.echo(f"Job {job_id} deleted.")


@jobs_group.command("run-now")
@click.argument("job_id", type=int)
@click.option("--param", "-P", "params", multiple=True, help="A job parameter, name=value.")
@click.option("--wait/--no-wait", default=False, help="Wait for the run to end.")
@tracking_uri_option
def run_now_command(
    job_id: int, params: tuple[str, ...], wait: bool, tracking_uri: str | None
) -> None:
    """Trigger a run; prints its run id (with --wait, its final state)."""
    client = _client(tracking_uri)
    run_id = client.run_now(job_id, _pairs(params) or None)
    click.echo(run_id)
    if wait:
        run = client.wait_for_run(run_id)
        state = run["state"]
        click.echo(f"{state['life_cycle_state']} {state.get('result_state', '')}".strip())
        if state.get("result_state") != "SUCCESS":
            raise SystemExit(1)


@jobs_group.command("runs")
@click.option("--job-id", type=int, default=None)
@click.option("--active-only", is_flag=True, default=False)
@click.option("--limit", default=25, show_default=True, type=int)
@click.option("--run-id", type=int, default=None, help="Show one run (JSON) instead.")
@tracking_uri_option
def runs_command(
    job_id: int | None,
    active_only: bool,
    limit: int,
    run_id: int | None,
    tracking_uri: str | None,
) -> None:
    """List job runs (or show one with --run-id)."""
    client = _client(tracking_uri)
    if run_id is not None:
        _echo_json(client.get_run(run_id))
        return
    page = client.list_runs(job_id, active_only=active_only, limit=limit)
    rows = [
        (
            r["run_id"],
            r["job_id"],
            r["trigger"],
            r["state"]["life_cycle_state"],
            r["state"].get("result_state", ""),
            len(r["tasks"]),
        )
        for r in page.get("runs", [])
    ]
    echo_table(["run_id", "job_id", "trigger", "state", "result", "tasks"], rows)


@jobs_group.command("cancel")
@click.argument("run_id", type=int)
@tracking_uri_option
def cancel_command(run_id: int, tracking_uri: str | None) -> None:
    """Cancel a run (its processes are killed)."""
    _client(tracking_uri).cancel_run(run_id)
    click.echo(f"Cancellation of run {run_id} requested.")


@jobs_group.command("logs")
@click.argument("run_id", type=int)
@tracking_uri_option
def logs_command(run_id: int, tracking_uri: str | None) -> None:
    """Print the stdout/stderr of a task run (or of every task of a job run)."""
    client = _client(tracking_uri)
    run = client.get_run(run_id)
    task_ids = [t["run_id"] for t in run.get("tasks", [])] or [run_id]
    if "parent_run_id" in run:
        task_ids = [run_id]
    for task_run_id in task_ids:
        output = client.get_run_output(task_run_id)
        if len(task_ids) > 1:
            task: dict[str, Any] = next((t for t in run["tasks"] if t["run_id"] == task_run_id), {})
            click.echo(
                f"--- task {task.get('task_key')} (run {task_run_id}, attempt "
                f"{task.get('attempt_number', 0)}) ---"
            )
        click.echo(output.get("logs", ""), nl=False)
        if output.get("error"):
            click.echo(f"error: {output['error']}", err=True)


@jobs_group.command("scheduler")
@click.option("--poll-interval", default=1.0, show_default=True, type=float, help="Seconds.")
@click.option("--max-parallel-runs", default=4, show_default=True, type=int)
@click.option("--logs-dir", default=None, help="Where task logs are written while running.")
@click.option(
    "--lease-seconds",
    default=30.0,
    show_default=True,
    type=float,
    help="A run whose executor has not heartbeated for this long is failed (and retried).",
)
@tracking_uri_option
def scheduler_command(
    poll_interval: float,
    max_parallel_runs: int,
    logs_dir: str | None,
    lease_seconds: float,
    tracking_uri: str | None,
) -> None:
    """Run the scheduler and executor on the tracking database until interrupted."""
    import signal
    import threading

    from modelyard.client.fluent import get_tracking_uri
    from modelyard.jobs.scheduler import Scheduler
    from modelyard.utils.uris import absolute_tracking_uri

    db_uri = absolute_tracking_uri(tracking_uri or get_tracking_uri())
    scheduler = Scheduler(
        db_uri,
        poll_interval=poll_interval,
        max_parallel_runs=max_parallel_runs,
        logs_root=logs_dir,
        lease_ms=int(lease_seconds * 1000),
    )
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    click.echo(f"modelyard jobs scheduler on {db_uri} (worker {scheduler.worker_id})", err=True)
    scheduler.start()
    done.wait()
    scheduler.stop()
