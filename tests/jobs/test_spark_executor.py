"""A job on the Spark executor: spark-submit to a real local standalone master + worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.jobs.conftest import run_to_end

from modelyard.client import MlflowClient
from modelyard.jobs.scheduler import Scheduler

pytestmark = pytest.mark.spark


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spark_class() -> str:
    import importlib.util

    spec = importlib.util.find_spec("pyspark")
    assert spec is not None and spec.submodule_search_locations, "pyspark is required"
    return str(Path(list(spec.submodule_search_locations)[0]) / "bin" / "spark-class")


def _wait_for_log(
    path: Path, needle: str, proc: subprocess.Popen[bytes], trials: int = 1200
) -> None:
    for _ in range(trials):
        if path.exists() and needle in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise AssertionError(f"Spark process exited:\n{path.read_text(errors='replace')}")
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} not seen in {path}:\n{path.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def spark_master(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A standalone master and one worker (1 core, 512 MB) on 127.0.0.1."""
    logs = tmp_path_factory.mktemp("spark")
    port = _free_port()
    env = dict(
        os.environ,
        SPARK_LOCAL_IP="127.0.0.1",
        PYSPARK_PYTHON=sys.executable,
        SPARK_WORKER_DIR=str(logs / "work"),
    )
    procs: list[subprocess.Popen[bytes]] = []
    try:
        master_log = logs / "master.log"
        with open(master_log, "wb") as out:
            master = subprocess.Popen(
                [
                    _spark_class(),
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--webui-port",
                    str(_free_port()),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        procs.append(master)
        _wait_for_log(master_log, "I have been elected leader", master)
        url = f"spark://127.0.0.1:{port}"
        worker_log = logs / "worker.log"
        with open(worker_log, "wb") as out:
            worker = subprocess.Popen(
                [
                    _spark_class(),
                    "org.apache.spark.deploy.worker.Worker",
                    url,
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    "1",
                    "--memory",
                    "512m",
                    "--webui-port",
                    str(_free_port()),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        procs.append(worker)
        _wait_for_log(worker_log, "Successfully registered with master", worker)
        yield url
    finally:
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)


SPARK_SCRIPT = """
import sys
from pyspark.sql import SparkSession
import modelyard as mlflow

spark = SparkSession.builder.appName("modelyard-job").getOrCreate()
total = spark.sparkContext.parallelize(range(int(sys.argv[1])), 2).sum()
print("master", spark.sparkContext.master)
print("total", total)
with mlflow.start_run():
    mlflow.log_metric("total", total)
spark.stop()
"""


def test_job_on_the_spark_executor(tmp_path: Path, db_uri: str, spark_master: str) -> None:
    script = tmp_path / "sum.py"
    script.write_text(textwrap.dedent(SPARK_SCRIPT))
    scheduler = Scheduler(db_uri, poll_interval=0.1, logs_root=tmp_path / "logs")
    try:
        job_id = scheduler.service.create(
            {
                "name": "spark-sum",
                "executor": {
                    "type": "spark",
                    "master": spark_master,
                    "spark_conf": {
                        "spark.executor.memory": "512m",
                        "spark.pyspark.python": sys.executable,
                    },
                },
                "parameters": [{"name": "n", "default": "101"}],
                "tasks": [
                    {
                        "task_key": "sum",
                        "timeout_seconds": 300,
                        "spark_python_task": {
                            "python_file": str(script),
                            "parameters": ["{{job.parameters.n}}"],
                        },
                    }
                ],
            }
        )
        doc = run_to_end(scheduler, scheduler.service.run_now(job_id), ticks=3)
    finally:
        scheduler.stop()
    output = scheduler.service.get_output(doc["tasks"][0]["run_id"])
    assert doc["state"]["result_state"] == "SUCCESS", output
    assert f"master {spark_master}" in output["logs"]
    assert "total 5050" in output["logs"]
    assert "spark-submit" in output["logs"]
    run = MlflowClient(db_uri).get_run(doc["tasks"][0]["mlflow_run_id"])
    assert run.data.metrics["total"] == 5050
    assert run.data.tags["mlflow.source.type"] == "JOB"
