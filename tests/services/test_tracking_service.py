"""TrackingService: MLflow's validation rules and limits, over a real SQLite store."""

from __future__ import annotations

import uuid

import pytest

from modelyard.entities import Metric, Param, RunTag
from modelyard.errors import InvalidParameterValue
from modelyard.services.tracking import TrackingService
from modelyard.store.tracking.sql import SqlTrackingStore


@pytest.fixture
def service(sqlite_uri, artifact_root):
    return TrackingService(SqlTrackingStore(sqlite_uri, artifact_root))


@pytest.fixture
def run_id(service):
    exp = service.create_experiment(f"svc-{uuid.uuid4().hex[:8]}")
    return service.create_run(exp, "me", 0, [], None).info.run_id


@pytest.mark.parametrize("key", ["../x", "/abs", "a/../b", "./a", "bad*char", "a\\b", ""])
def test_bad_keys_rejected(service, run_id, key):
    with pytest.raises(InvalidParameterValue):
        service.log_batch(run_id, params=[Param(key, "v")])


def test_good_keys_accepted(service, run_id):
    keys = ["a", "a/b", "a.b-c_d e", "x:y"]
    service.log_batch(run_id, params=[Param(k, "v") for k in keys])
    assert set(service.get_run(run_id).data.params) == set(keys)


def test_key_length_limit(service, run_id):
    with pytest.raises(InvalidParameterValue, match="250"):
        service.log_batch(run_id, metrics=[Metric("k" * 251, 1.0, 0, 0)])


def test_long_values_are_truncated_not_rejected(service, run_id):
    service.log_batch(run_id, params=[Param("p", "x" * 7000)], tags=[RunTag("t", "y" * 9000)])
    data = service.get_run(run_id).data
    assert len(data.params["p"]) == 6000
    assert len(data.tags["t"]) == 8000


def test_batch_limits(service, run_id):
    with pytest.raises(InvalidParameterValue, match="1000 metrics"):
        service.log_batch(run_id, metrics=[Metric("m", 1.0, i, i) for i in range(1001)])
    with pytest.raises(InvalidParameterValue, match="100 params"):
        service.log_batch(run_id, params=[Param(f"p{i}", "v") for i in range(101)])
    with pytest.raises(InvalidParameterValue, match="100 tags"):
        service.log_batch(run_id, tags=[RunTag(f"t{i}", "v") for i in range(101)])


def test_duplicate_params_in_one_batch(service, run_id):
    service.log_batch(run_id, params=[Param("a", "1"), Param("a", "1")])
    with pytest.raises(InvalidParameterValue, match="'b'"):
        service.log_batch(run_id, params=[Param("b", "1"), Param("b", "2")])
    assert "b" not in service.get_run(run_id).data.params


@pytest.mark.parametrize(("value", "timestamp"), [("abc", 0), (None, 0), (1.0, -5), (1.0, "later")])
def test_bad_metric_values(service, run_id, value, timestamp):
    with pytest.raises(InvalidParameterValue):
        service.log_batch(run_id, metrics=[Metric("m", value, timestamp, 0)])


def test_nan_and_inf_strings_accepted(service, run_id):
    service.log_batch(run_id, metrics=[Metric("a", "NaN", 1, 0), Metric("b", "-Infinity", 1, 0)])
    metrics = service.get_run(run_id).data.metrics
    assert metrics["a"] != metrics["a"] and metrics["b"] == float("-inf")


@pytest.mark.parametrize("name", ["", "   ", 42, "x" * 501])
def test_bad_experiment_names(service, name):
    with pytest.raises(InvalidParameterValue, match="name"):
        service.create_experiment(name)


def test_bad_ids_and_limits(service):
    with pytest.raises(InvalidParameterValue, match="run_id"):
        service.get_run("../../etc/passwd")
    with pytest.raises(InvalidParameterValue, match="max_results"):
        service.search_runs(["0"], max_results=50001)
    with pytest.raises(InvalidParameterValue, match="max_results"):
        service.search_experiments(max_results=0)
    with pytest.raises(InvalidParameterValue, match="status"):
        service.update_run_info(uuid.uuid4().hex, run_status="DONE")
    with pytest.raises(InvalidParameterValue, match="artifact_location"):
        service.create_experiment("runs-loc", artifact_location="runs:/abc/x")


def test_numbers_beyond_the_backend_are_rejected_before_the_store(service, run_id):
    with pytest.raises(InvalidParameterValue, match="timestamp"):
        service.log_batch(run_id, metrics=[Metric("m", 1.0, 2**64, 0)])
    with pytest.raises(InvalidParameterValue, match="end_time"):
        service.update_run_info(run_id, end_time=2**70)
    exp = service.get_run(run_id).info.experiment_id
    with pytest.raises(InvalidParameterValue, match="start_time"):
        service.create_run(exp, "me", 10**30, [], None)


def test_huge_experiment_id_is_not_found(service):
    from modelyard.errors import ResourceDoesNotExist

    with pytest.raises(ResourceDoesNotExist):
        service.get_experiment("9" * 40)
