"""Scale-out: two ``modelyard server`` processes on one PostgreSQL database and one artifact
destination, and one server with ``--workers 2``. Eight concurrent clients alternate between
the endpoints; afterwards every run, param, tag, metric point and artifact is there exactly
once, read back through every server.

``ServerProcess`` is modelyard's public test helper (``modelyard.testing.server_process``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from modelyard.testing.server_process import ServerProcess

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
N_CLIENTS = 8
POINTS = 2000
BATCH = 250


def _ok(resp: httpx.Response) -> dict:
    assert resp.status_code == 200, resp.text
    return resp.json() if resp.content else {}


def _client_work(urls: list[str], experiment_id: str, index: int, results: dict) -> None:
    """One client: every request goes to the next endpoint in ``urls`` (round robin)."""
    calls = 0

    def url() -> str:
        nonlocal calls
        calls += 1
        return urls[(index + calls) % len(urls)]

    with httpx.Client(timeout=60) as http:
        run = _ok(
            http.post(
                url() + API + "/runs/create",
                json={"experiment_id": experiment_id, "run_name": f"client-{index}"},
            )
        )["run"]["info"]
        run_id = run["run_id"]
        _ok(
            http.post(
                url() + API + "/runs/log-batch",
                json={
                    "run_id": run_id,
                    "params": [{"key": f"p{j}", "value": f"{index}-{j}"} for j in range(10)],
                    "tags": [{"key": f"t{j}", "value": str(j)} for j in range(5)],
                },
            )
        )
        for start in range(0, POINTS, BATCH):
            metrics = [
                {"key": "loss", "value": s / POINTS, "timestamp": 1_700_000_000_000 + s, "step": s}
                for s in range(start, start + BATCH)
            ]
            _ok(
                http.post(
                    url() + API + "/runs/log-batch", json={"run_id": run_id, "metrics": metrics}
                )
            )
        _ok(
            http.post(
                url() + API + "/runs/log-metric",
                json={
                    "run_id": run_id,
                    "key": "acc",
                    "value": 0.5 + index / 100,
                    "timestamp": 1,
                    "step": 0,
                },
            )
        )
        rel = run["artifact_uri"].removeprefix("mlflow-artifacts:/")
        _ok(
            http.put(
                f"{url()}{ARTIFACTS_API}/{rel}/notes/client-{index}.txt",
                content=f"client {index}".encode(),
            )
        )
        _ok(
            http.post(
                url() + API + "/runs/update",
                json={"run_id": run_id, "status": "FINISHED", "end_time": int(time.time() * 1000)},
            )
        )
    results[index] = (run_id, rel)


def _run_clients(urls: list[str]) -> tuple[str, dict]:
    experiment_id = _ok(
        httpx.post(
            urls[0] + API + "/experiments/create",
            json={"name": f"scale-{uuid.uuid4().hex}"},
            timeout=60,
        )
    )["experiment_id"]
    results: dict = {}
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            _client_work(urls, experiment_id, i, results)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(N_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert len(results) == N_CLIENTS
    return experiment_id, results


def _check_everything(url: str, experiment_id: str, results: dict) -> None:
    with httpx.Client(timeout=60) as http:
        found = _ok(
            http.post(
                url + API + "/runs/search",
                json={"experiment_ids": [experiment_id], "max_results": 100},
            )
        )["runs"]
        assert sorted(r["info"]["run_id"] for r in found) == sorted(r for r, _ in results.values())
        for index, (run_id, rel) in results.items():
            run = _ok(http.get(url + API + "/runs/get", params={"run_id": run_id}))["run"]
            assert run["info"]["status"] == "FINISHED"
            params = {p["key"]: p["value"] for p in run["data"]["params"]}
            assert params == {f"p{j}": f"{index}-{j}" for j in range(10)}
            tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
            assert {k: tags[k] for k in (f"t{j}" for j in range(5))} == {
                f"t{j}": str(j) for j in range(5)
            }
            latest = {m["key"]: m["value"] for m in run["data"]["metrics"]}
            assert latest == {"loss": (POINTS - 1) / POINTS, "acc": 0.5 + index / 100}
            history = _ok(
                http.get(
                    url + API + "/metrics/get-history",
                    params={"run_id": run_id, "metric_key": "loss"},
                )
            )["metrics"]
            assert len(history) == POINTS
            assert sorted(m["step"] for m in history) == list(range(POINTS))
            listing = _ok(http.get(url + ARTIFACTS_API, params={"path": f"{rel}/notes"}))
            assert [f["path"] for f in listing["files"]] == [f"client-{index}.txt"]
            body = http.get(f"{url}{ARTIFACTS_API}/{rel}/notes/client-{index}.txt")
            assert body.status_code == 200 and body.content == f"client {index}".encode()


@pytest.mark.postgres
def test_two_servers_share_one_postgres_database(
    make_pg_database: Callable[[], str], tmp_path: Path
) -> None:
    db = make_pg_database()
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    with ServerProcess(db, artifacts) as first, ServerProcess(db, artifacts) as second:
        urls = [first.url, second.url]
        experiment_id, results = _run_clients(urls)
        for url in urls:
            _check_everything(url, experiment_id, results)


@pytest.mark.postgres
def test_one_server_with_two_workers(make_pg_database: Callable[[], str], tmp_path: Path) -> None:
    db = make_pg_database()
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    with ServerProcess(db, artifacts, workers=2) as server:
        experiment_id, results = _run_clients([server.url])
        _check_everything(server.url, experiment_id, results)


def test_one_sqlite_server_with_two_workers(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    with ServerProcess(f"sqlite:///{tmp_path / 'store.db'}", artifacts, workers=2) as server:
        experiment_id, results = _run_clients([server.url])
        _check_everything(server.url, experiment_id, results)
