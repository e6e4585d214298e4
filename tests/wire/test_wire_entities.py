"""Entity <-> JSON shapes (proto3-JSON conventions) and round trips."""

from __future__ import annotations

import math

import orjson

from modelyard.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    FileInfo,
    InputTag,
    LoggedModel,
    LoggedModelOutput,
    Metric,
    ModelVersion,
    RegisteredModel,
    Run,
    RunData,
    RunInfo,
    RunOutputs,
)
from modelyard.wire import (
    dumps,
    experiment_from_json,
    experiment_to_json,
    file_info_to_json,
    logged_model_from_json,
    logged_model_to_json,
    model_version_from_json,
    model_version_to_json,
    registered_model_from_json,
    registered_model_to_json,
    run_from_json,
    run_to_json,
)


def _run() -> Run:
    info = RunInfo(
        "a" * 32, "1", "r", "", "RUNNING", 1795707888552, None, "mlflow-artifacts:/1/x/artifacts"
    )
    metric = Metric("m", math.nan, 5, 2)
    data = RunData({"m": math.nan}, {"p": "1"}, {"t": "v"}, [metric])
    run = Run(info, data)
    run.inputs.dataset_inputs.append(
        DatasetInput(
            Dataset("d", "dig", "local", "/x"), (InputTag("mlflow.data.context", "train"),)
        )
    )
    run.outputs = RunOutputs([LoggedModelOutput("m-1", 3)])
    return run


def test_run_json_shape():
    d = run_to_json(_run())
    info = d["info"]
    assert info["run_id"] == info["run_uuid"] == "a" * 32
    assert info["start_time"] == 1795707888552  # int64 as a JSON number
    assert "end_time" not in info
    assert info["status"] == "RUNNING"
    assert d["data"]["metrics"] == [{"key": "m", "value": "NaN", "timestamp": 5, "step": 2}]
    assert d["outputs"] == {"model_outputs": [{"model_id": "m-1", "step": 3}]}
    assert b'"start_time":1795707888552' in dumps(d)


def test_run_round_trip():
    run = run_from_json(orjson.loads(dumps(run_to_json(_run()))))
    assert run.info.run_id == "a" * 32
    assert run.info.end_time is None
    assert math.isnan(run.data.metrics["m"])
    assert run.data.metric_objs[0].step == 2
    assert run.data.params == {"p": "1"}
    assert run.inputs.dataset_inputs[0].dataset.digest == "dig"
    assert run.inputs.dataset_inputs[0].tags[0].value == "train"
    assert run.outputs.model_outputs == [LoggedModelOutput("m-1", 3)]


def test_empty_collections_are_omitted():
    exp = Experiment("1", "e", "mlflow-artifacts:/1", creation_time=1, last_update_time=2)
    d = experiment_to_json(exp)
    assert "tags" not in d
    assert experiment_from_json(d) == exp
    assert run_to_json(Run(RunInfo("b" * 32, "1", "r", "u", "FINISHED", 0, 3, "x")))["data"] == {}


def test_infinities():
    d = run_to_json(
        Run(
            RunInfo("c" * 32, "1", "r", "", "RUNNING", 0, None, "x"),
            RunData(metric_objs=[Metric("a", math.inf, 1), Metric("b", -math.inf, 1)]),
        )
    )
    assert [m["value"] for m in d["data"]["metrics"]] == ["Infinity", "-Infinity"]


def test_logged_model_shape_and_round_trip():
    model = LoggedModel(
        "m-" + "0" * 32,
        "1",
        "model",
        "mlflow-artifacts:/1/models/m/artifacts",
        10,
        11,
        tags={"t": "1"},
        params={"p": "2"},
        source_run_id="r" * 32,
    )
    d = logged_model_to_json(model)
    assert d["info"]["creation_timestamp_ms"] == 10
    assert d["info"]["status"] == "LOGGED_MODEL_PENDING"
    assert d["data"]["params"] == [{"key": "p", "value": "2"}]
    assert logged_model_from_json(orjson.loads(dumps(d))) == model


def test_registry_alias_shapes():
    mv = ModelVersion("n", "2", 1, 2, aliases=["champion"], source="models:/m-1", model_id="m-1")
    rm = RegisteredModel("n", 1, 2, latest_versions=[mv], aliases={"champion": "2"})
    d = registered_model_to_json(rm)
    assert d["aliases"] == [{"alias": "champion", "version": "2"}]
    assert d["latest_versions"][0]["aliases"] == ["champion"]
    assert d["latest_versions"][0]["version"] == "2"
    assert registered_model_from_json(d) == rm
    assert model_version_from_json(model_version_to_json(mv)) == mv


def test_file_info():
    assert file_info_to_json(FileInfo("a/b.txt", False, 5)) == {
        "path": "a/b.txt",
        "is_dir": False,
        "file_size": 5,
    }
    assert file_info_to_json(FileInfo("a", True, None)) == {"path": "a", "is_dir": True}
