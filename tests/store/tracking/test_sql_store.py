"""The tracking contract on SQLite and PostgreSQL, plus SQL-specific behaviour."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from modelyard.entities import Metric
from modelyard.store.tracking.sql import SqlTrackingStore
from modelyard.testing.tracking_contract import TrackingStoreContract


class TestSqliteTrackingStore(TrackingStoreContract):
    @pytest.fixture
    def store(self, sqlite_uri: str, artifact_root: str) -> SqlTrackingStore:
        return SqlTrackingStore(sqlite_uri, artifact_root)


@pytest.fixture(scope="session")
def pg_store(pg_database_uri: str, tmp_path_factory: pytest.TempPathFactory) -> SqlTrackingStore:
    root = tmp_path_factory.mktemp("pg-artifacts").as_uri()
    return SqlTrackingStore(pg_database_uri, root)


@pytest.mark.postgres
class TestPostgresTrackingStore(TrackingStoreContract):
    @pytest.fixture
    def store(self, pg_store: SqlTrackingStore) -> SqlTrackingStore:
        return pg_store


# ---------------------------------------------------------------- artifact roots
@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ("mlflow-artifacts:", "mlflow-artifacts:/{id}"),
        ("mlflow-artifacts:/", "mlflow-artifacts:/{id}"),
        ("s3://bucket/prefix/", "s3://bucket/prefix/{id}"),
        ("file:///srv/artifacts", "file:///srv/artifacts/{id}"),
        ("file:///", "file:///{id}"),
    ],
)
def test_artifact_location_follows_root(tmp_path: Path, root: str, expected: str) -> None:
    store = SqlTrackingStore(f"sqlite:///{tmp_path / 'a.db'}", root)
    assert store.get_experiment("0").artifact_location == expected.format(id=0)
    exp_id = store.create_experiment("e")
    assert store.get_experiment(exp_id).artifact_location == expected.format(id=exp_id)
    run = store.create_run(exp_id, "u", None, [], None)
    assert run.info.artifact_uri == f"{expected.format(id=exp_id)}/{run.info.run_id}/artifacts"


def test_default_experiment_created_once(sqlite_uri: str, artifact_root: str) -> None:
    SqlTrackingStore(sqlite_uri, artifact_root)
    again = SqlTrackingStore(sqlite_uri, "s3://elsewhere")
    assert again.get_experiment("0").artifact_location == f"{artifact_root}/0"
    assert again.create_experiment("next") == "1"


# ---------------------------------------------------------------- volume (speed: benchmarks/tracking)
def test_200k_points_in_batches_of_1000(sqlite_uri: str, artifact_root: str) -> None:
    store = SqlTrackingStore(sqlite_uri, artifact_root)
    run_id = store.create_run("0", "u", None, [], None).info.run_id
    for batch in range(200):
        points = [Metric("loss", float(i), batch * 1000 + i, batch * 1000 + i) for i in range(1000)]
        store.log_batch(run_id, metrics=points)
    assert store.get_run(run_id).data.metrics == {"loss": 999.0}
    page = store.get_metric_history(run_id, "loss", max_results=25_000)
    assert len(page) == 25_000 and page.token is not None


def test_many_runs_hydrate_in_bulk(sqlite_uri: str, artifact_root: str) -> None:
    from modelyard.store.sql.engine import read_conn
    from modelyard.store.tracking.sql._hydrate import load_runs

    store = SqlTrackingStore(sqlite_uri, artifact_root)
    ids = [store.create_run("0", "u", i, [], None).info.run_id for i in range(60)]
    for run_id in ids:
        store.log_batch(run_id, metrics=[Metric("m", 1.0, 1, 0)])
    with read_conn(store.engine) as conn:
        runs = load_runs(conn, list(reversed(ids)), max_in=7)  # forces several chunks
    assert [r.info.run_id for r in runs] == list(reversed(ids))
    assert all(r.data.metrics == {"m": 1.0} for r in runs)


# ---------------------------------------------------------------- several processes
def _log_points(uri: str, root: str, run_id: str, offset: int, n: int) -> None:
    store = SqlTrackingStore(uri, root)
    for start in range(0, n, 100):
        points = [
            Metric("shared", float(i), offset + i, offset + i) for i in range(start, start + 100)
        ]
        store.log_batch(run_id, metrics=points)


def test_two_processes_logging_to_one_sqlite_file_lose_nothing(
    tmp_path: Path, artifact_root: str
) -> None:
    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    run_id = SqlTrackingStore(uri, artifact_root).create_run("0", "u", None, [], None).info.run_id
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_log_points, args=(uri, artifact_root, run_id, offset, 2000))
        for offset in (0, 1_000_000)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    store = SqlTrackingStore(uri, artifact_root)
    assert len(store.get_metric_history(run_id, "shared")) == 4000
    assert store.get_run(run_id).data.metrics["shared"] == 1999.0


def test_two_processes_creating_a_fresh_database(tmp_path: Path, artifact_root: str) -> None:
    uri = f"sqlite:///{tmp_path / 'fresh.db'}"
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_log_points, args=(uri, artifact_root, "x" * 32, 0, 0)) for _ in range(2)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    assert SqlTrackingStore(uri, artifact_root).get_experiment("0").name == "Default"


@pytest.mark.postgres
def test_concurrent_writers_on_postgres_neither_deadlock_nor_lose(
    pg_store: SqlTrackingStore,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from modelyard.entities import RunTag

    run_id = pg_store.create_run("0", "u", None, [], None).info.run_id
    keys = [f"k{i}" for i in range(20)]

    def write(worker: int) -> None:
        order = keys if worker % 2 else list(reversed(keys))
        for batch in range(15):
            step = worker * 1000 + batch
            points = [Metric(k, float(step), step, step) for k in order]
            tags = [RunTag(k, str(worker)) for k in order]
            pg_store.log_batch(run_id, metrics=points, tags=tags)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    run = pg_store.get_run(run_id)
    assert run.data.metrics == dict.fromkeys(keys, 3014.0)
    assert len(pg_store.get_metric_history(run_id, "k0")) == 60


def _log_from_forked_child(store: SqlTrackingStore, run_id: str) -> None:
    store.log_batch(run_id, metrics=[Metric("child", 1.0, 1, 0)])


def test_store_inherited_by_a_forked_process_uses_its_own_connections(
    sqlite_uri: str, artifact_root: str
) -> None:
    store = SqlTrackingStore(sqlite_uri, artifact_root)
    run_id = store.create_run("0", "u", None, [], None).info.run_id
    store.log_batch(run_id, metrics=[Metric("parent", 1.0, 1, 0)])  # pool holds a connection
    proc = multiprocessing.get_context("fork").Process(
        target=_log_from_forked_child, args=(store, run_id)
    )
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0
    assert store.get_run(run_id).data.metrics == {"parent": 1.0, "child": 1.0}
