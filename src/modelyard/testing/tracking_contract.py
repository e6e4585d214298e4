"""The contract every ``TrackingStore`` implementation passes (SQLite, PostgreSQL, REST).

Subclass :class:`TrackingStoreContract` in a test module and provide a ``store`` fixture::

    class TestSqliteTracking(TrackingStoreContract):
        @pytest.fixture
        def store(self, sqlite_uri, artifact_root):
            return SqlTrackingStore(sqlite_uri, artifact_root)

Every test creates its own experiments with unique (uuid) names and never assumes the store is
empty, so one long-lived database or a live server can serve a whole session. Keys and values
are valid by MLflow's rules, so a store behind ``TrackingService`` passes too.
"""

from __future__ import annotations

import math
import re
import uuid

import pytest

from modelyard.entities import (
    Dataset,
    DatasetInput,
    DatasetSummary,
    InputTag,
    LifecycleStage,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelStatus,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from modelyard.errors import (
    InvalidParameterValue,
    InvalidState,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
)
from modelyard.store.tracking.base import TrackingStore
from modelyard.testing.trace_contract import TraceStoreContract

__all__ = ["TrackingStoreContract"]

RUN_NAME = "mlflow.runName"
MISSING_EXPERIMENT = "987654321"
MISSING_RUN = "0" * 31 + "f"


def _name(prefix: str = "exp") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _exp(store: TrackingStore) -> str:
    return store.create_experiment(_name())


def _run(store: TrackingStore, experiment_id: str | None = None, **kwargs: object) -> str:
    exp = experiment_id or _exp(store)
    run = store.create_run(
        exp,
        user_id=kwargs.get("user_id", "tester"),  # type: ignore[arg-type]
        start_time=kwargs.get("start_time"),  # type: ignore[arg-type]
        tags=kwargs.get("tags", []),  # type: ignore[arg-type]
        run_name=kwargs.get("run_name"),  # type: ignore[arg-type]
    )
    return run.info.run_id


def _values(points: list[Metric]) -> list[tuple[int, int, float]]:
    return [(m.timestamp, m.step, m.value) for m in points]


class TrackingStoreContract(TraceStoreContract):
    """Semantics of every tracking method; ``store`` is supplied by the subclass."""

    @pytest.fixture
    def store(self) -> TrackingStore:  # pragma: no cover - overridden
        raise NotImplementedError

    # ============================================================ experiments
    def test_default_experiment_exists(self, store: TrackingStore) -> None:
        default = store.get_experiment("0")
        assert default.experiment_id == "0"
        assert default.name == "Default"
        assert default.artifact_location.rstrip("/").endswith("0")

    def test_create_and_get_experiment(self, store: TrackingStore) -> None:
        name = _name()
        exp_id = store.create_experiment(name, tags=[("team", "risk"), ("owner", "ana")])
        assert isinstance(exp_id, str) and exp_id.isdigit() and exp_id != "0"
        exp = store.get_experiment(exp_id)
        assert exp.name == name
        assert exp.experiment_id == exp_id
        assert exp.lifecycle_stage == LifecycleStage.ACTIVE
        assert exp.tags == {"team": "risk", "owner": "ana"}
        assert exp.artifact_location.endswith(f"/{exp_id}")
        assert exp.creation_time is not None and exp.creation_time > 0
        assert exp.last_update_time is not None and exp.last_update_time >= exp.creation_time
        by_name = store.get_experiment_by_name(name)
        assert by_name is not None and by_name.experiment_id == exp_id

    def test_experiment_names_may_hold_paths(self, store: TrackingStore) -> None:
        name = f"/Users/me@company.com/{_name()}.v2"
        exp_id = store.create_experiment(name)
        assert store.get_experiment(exp_id).name == name

    def test_explicit_artifact_location_is_kept(self, store: TrackingStore) -> None:
        location = f"s3://bucket/{_name('loc')}"
        exp_id = store.create_experiment(_name(), artifact_location=location)
        assert store.get_experiment(exp_id).artifact_location == location
        run = store.create_run(exp_id, "u", None, [], None)
        assert run.info.artifact_uri == f"{location}/{run.info.run_id}/artifacts"

    def test_duplicate_experiment_name_is_rejected(self, store: TrackingStore) -> None:
        name = _name()
        store.create_experiment(name)
        with pytest.raises(ResourceAlreadyExists):
            store.create_experiment(name)

    def test_deleted_experiment_keeps_its_name(self, store: TrackingStore) -> None:
        name = _name()
        exp_id = store.create_experiment(name)
        store.delete_experiment(exp_id)
        with pytest.raises(ResourceAlreadyExists):
            store.create_experiment(name)
        found = store.get_experiment_by_name(name)
        assert found is not None
        assert found.experiment_id == exp_id
        assert found.lifecycle_stage == LifecycleStage.DELETED

    def test_unknown_experiment(self, store: TrackingStore) -> None:
        with pytest.raises(ResourceDoesNotExist):
            store.get_experiment(MISSING_EXPERIMENT)
        assert store.get_experiment_by_name(_name("missing")) is None

    def test_delete_and_restore_experiment(self, store: TrackingStore) -> None:
        exp_id = _exp(store)
        run_id = _run(store, exp_id)
        before = store.get_experiment(exp_id).last_update_time or 0
        store.delete_experiment(exp_id)
        deleted = store.get_experiment(exp_id)
        assert deleted.lifecycle_stage == LifecycleStage.DELETED
        assert (deleted.last_update_time or 0) >= before
        assert store.get_run(run_id).info.lifecycle_stage == LifecycleStage.DELETED
        with pytest.raises(InvalidParameterValue):
            store.create_run(exp_id, "u", None, [], None)
        store.restore_experiment(exp_id)
        assert store.get_experiment(exp_id).lifecycle_stage == LifecycleStage.ACTIVE
        assert store.get_run(run_id).info.lifecycle_stage == LifecycleStage.ACTIVE

    def test_rename_experiment(self, store: TrackingStore) -> None:
        old, new = _name(), _name()
        exp_id = store.create_experiment(old)
        created = store.get_experiment(exp_id)
        store.rename_experiment(exp_id, new)
        renamed = store.get_experiment(exp_id)
        assert renamed.name == new
        assert (renamed.last_update_time or 0) >= (created.last_update_time or 0)
        assert store.get_experiment_by_name(old) is None
        other = _name()
        store.create_experiment(other)
        with pytest.raises(ResourceAlreadyExists):
            store.rename_experiment(exp_id, other)

    def test_rename_deleted_experiment_is_invalid_state(self, store: TrackingStore) -> None:
        exp_id = _exp(store)
        store.delete_experiment(exp_id)
        with pytest.raises(InvalidState):
            store.rename_experiment(exp_id, _name())

    def test_experiment_tags(self, store: TrackingStore) -> None:
        exp_id = _exp(store)
        store.set_experiment_tag(exp_id, "stage", "dev")
        store.set_experiment_tag(exp_id, "stage", "prod")
        store.set_experiment_tag(exp_id, "note", "")
        assert store.get_experiment(exp_id).tags == {"stage": "prod", "note": ""}
        store.delete_experiment_tag(exp_id, "stage")
        assert store.get_experiment(exp_id).tags == {"note": ""}
        with pytest.raises(ResourceDoesNotExist):
            store.delete_experiment_tag(exp_id, "stage")
        with pytest.raises(ResourceDoesNotExist):
            store.set_experiment_tag(MISSING_EXPERIMENT, "k", "v")

    # ============================================================ runs
    def test_create_run_defaults(self, store: TrackingStore) -> None:
        exp_id = _exp(store)
        exp = store.get_experiment(exp_id)
        run = store.create_run(exp_id, "alice", 1_700_000_000_000, [RunTag("k", "v")], None)
        info = run.info
        assert re.fullmatch(r"[0-9a-f]{32}", info.run_id)
        assert info.run_uuid == info.run_id
        assert info.experiment_id == exp_id
        assert info.user_id == "alice"
        assert info.status == RunStatus.RUNNING
        assert info.start_time == 1_700_000_000_000
        assert info.end_time is None
        assert info.lifecycle_stage == LifecycleStage.ACTIVE
        assert info.artifact_uri == f"{exp.artifact_location}/{info.run_id}/artifacts"
        assert re.fullmatch(r"[a-z]+-[a-z]+-\d{1,3}", info.run_name)
        assert run.data.tags["k"] == "v"
        assert run.data.tags[RUN_NAME] == info.run_name
        assert run.data.metrics == {} and run.data.params == {}
        fetched = store.get_run(info.run_id)
        assert fetched.info == info
        assert fetched.data.tags == run.data.tags

    def test_run_name_rules(self, store: TrackingStore) -> None:
        exp_id = _exp(store)
        by_arg = store.create_run(exp_id, "u", None, [], "from-arg")
        assert by_arg.info.run_name == "from-arg"
        assert by_arg.data.tags[RUN_NAME] == "from-arg"
        by_tag = store.create_run(exp_id, "u", None, [RunTag(RUN_NAME, "from-tag")], None)
        assert by_tag.info.run_name == "from-tag"
        both = store.create_run(exp_id, "u", None, [RunTag(RUN_NAME, "same")], "same")
        assert both.info.run_name == "same"
        with pytest.raises(InvalidParameterValue):
            store.create_run(exp_id, "u", None, [RunTag(RUN_NAME, "a")], "b")
        assert by_arg.info.start_time is not None and by_arg.info.start_time > 0

    def test_create_run_in_unknown_or_deleted_experiment(self, store: TrackingStore) -> None:
        with pytest.raises(ResourceDoesNotExist):
            store.create_run(MISSING_EXPERIMENT, "u", None, [], None)
        exp_id = _exp(store)
        store.delete_experiment(exp_id)
        with pytest.raises(InvalidParameterValue):
            store.create_run(exp_id, "u", None, [], None)

    def test_unknown_run(self, store: TrackingStore) -> None:
        with pytest.raises(ResourceDoesNotExist):
            store.get_run(MISSING_RUN)
        with pytest.raises(ResourceDoesNotExist):
            store.log_batch(MISSING_RUN, params=[Param("p", "1")])
        with pytest.raises(ResourceDoesNotExist):
            store.delete_run(MISSING_RUN)

    def test_update_run_info(self, store: TrackingStore) -> None:
        run_id = _run(store, run_name="before")
        info = store.update_run_info(run_id, RunStatus.FINISHED, 1_800_000_000_000, "after")
        assert info.status == RunStatus.FINISHED
        assert info.end_time == 1_800_000_000_000
        assert info.run_name == "after"
        run = store.get_run(run_id)
        assert run.info.status == RunStatus.FINISHED
        assert run.data.tags[RUN_NAME] == "after"
        killed = store.update_run_info(run_id, RunStatus.KILLED)
        assert killed.status == RunStatus.KILLED
        assert killed.run_name == "after"
        assert killed.end_time == 1_800_000_000_000

    def test_run_name_tag_renames_run(self, store: TrackingStore) -> None:
        run_id = _run(store, run_name="first")
        store.log_batch(run_id, tags=[RunTag(RUN_NAME, "second")])
        run = store.get_run(run_id)
        assert run.info.run_name == "second"
        assert run.data.tags[RUN_NAME] == "second"

    def test_delete_and_restore_run(self, store: TrackingStore) -> None:
        run_id = _run(store)
        store.delete_run(run_id)
        deleted = store.get_run(run_id)
        assert deleted.info.lifecycle_stage == LifecycleStage.DELETED
        with pytest.raises(InvalidParameterValue, match="must be in the 'active' state"):
            store.log_batch(run_id, metrics=[Metric("m", 1.0, 1, 0)])
        with pytest.raises(InvalidParameterValue):
            store.delete_tag(run_id, RUN_NAME)
        with pytest.raises(InvalidParameterValue):
            store.log_inputs(run_id, models=[LoggedModelInput("m-" + "1" * 32)])
        with pytest.raises(InvalidParameterValue):
            store.log_outputs(run_id, [LoggedModelOutput("m-" + "1" * 32, 0)])
        store.restore_run(run_id)
        assert store.get_run(run_id).info.lifecycle_stage == LifecycleStage.ACTIVE
        store.log_batch(run_id, metrics=[Metric("m", 1.0, 1, 0)])
        assert store.get_run(run_id).data.metrics == {"m": 1.0}

    # ============================================================ params and tags
    def test_params_are_immutable(self, store: TrackingStore) -> None:
        run_id = _run(store)
        store.log_batch(run_id, params=[Param("lr", "0.1"), Param("depth", "3")])
        store.log_batch(run_id, params=[Param("lr", "0.1")])  # same value: a no-op
        with pytest.raises(InvalidParameterValue, match="lr"):
            store.log_batch(run_id, params=[Param("lr", "0.2")])
        assert store.get_run(run_id).data.params == {"lr": "0.1", "depth": "3"}

    def test_duplicate_param_keys_in_one_batch(self, store: TrackingStore) -> None:
        run_id = _run(store)
        store.log_batch(run_id, params=[Param("a", "1"), Param("a", "1")])
        with pytest.raises(InvalidParameterValue, match="b"):
            store.log_batch(run_id, params=[Param("b", "1"), Param("b", "2")])
        assert store.get_run(run_id).data.params == {"a": "1"}

    def test_log_batch_is_all_or_nothing(self, store: TrackingStore) -> None:
        run_id = _run(store)
        store.log_batch(run_id, params=[Param("fixed", "x")])
        with pytest.raises(InvalidParameterValue):
            store.log_batch(
                run_id,
                metrics=[Metric("loss", 0.5, 10, 0)],
                params=[Param("new", "1"), Param("fixed", "y")],
                tags=[RunTag("written", "no")],
            )
        run = store.get_run(run_id)
        assert run.data.params == {"fixed": "x"}
        assert "written" not in run.data.tags
        assert run.data.metrics == {}
        assert list(store.get_metric_history(run_id, "loss")) == []

    def test_tags_upsert_and_delete(self, store: TrackingStore) -> None:
        run_id = _run(store)
        store.log_batch(run_id, tags=[RunTag("t", "1"), RunTag("u", "x")])
        store.log_batch(run_id, tags=[RunTag("t", "2")])
        assert store.get_run(run_id).data.tags["t"] == "2"
        store.delete_tag(run_id, "t")
        tags = store.get_run(run_id).data.tags
        assert "t" not in tags and tags["u"] == "x"
        with pytest.raises(ResourceDoesNotExist):
            store.delete_tag(run_id, "t")

    # ============================================================ metrics
    def test_latest_metric_is_greatest_step_timestamp_value(self, store: TrackingStore) -> None:
        run_id = _run(store)
        store.log_batch(run_id, metrics=[Metric("acc", 0.9, 100, 5)])
        store.log_batch(run_id, metrics=[Metric("acc", 0.1, 200, 1)])  # older step, later write
        assert store.get_run(run_id).data.metrics["acc"] == 0.9
        store.log_batch(run_id, metrics=[Metric("acc", 0.5, 150, 5)])  # same step, later time
        assert store.get_run(run_id).data.metrics["acc"] == 0.5
        store.log_batch(run_id, metrics=[Metric("acc", 0.7, 150, 5)])  # same point, larger value
        store.log_batch(run_id, metrics=[Metric("acc", 0.6, 150, 5)])
        run = store.get_run(run_id)
        assert run.data.metrics["acc"] == 0.7
        (latest,) = [m for m in run.data.metric_objs if m.key == "acc"]
        assert (latest.step, latest.timestamp, latest.value) == (5, 150, 0.7)

    def test_latest_metric_within_one_out_of_order_batch(self, store: TrackingStore) -> None:
        run_id = _run(store)
        points = [Metric("loss", float(10 - s), 1000 + s, s) for s in (3, 9, 1, 7, 2)]
        points.append(Metric("other", 4.0, 5, 0))
        store.log_batch(run_id, metrics=points)
        assert store.get_run(run_id).data.metrics == {"loss": 1.0, "other": 4.0}
        assert len(store.get_metric_history(run_id, "loss")) == 5

    def test_nan_and_infinity_round_trip(self, store: TrackingStore) -> None:
        run_id = _run(store)
        store.log_batch(
            run_id,
            metrics=[
                Metric("nan", math.nan, 1, 0),
                Metric("pinf", math.inf, 1, 0),
                Metric("ninf", -math.inf, 1, 0),
                Metric("mixed", 1.0, 1, 0),
                Metric("mixed", math.nan, 2, 1),
            ],
        )
        metrics = store.get_run(run_id).data.metrics
        assert math.isnan(metrics["nan"])
        assert metrics["pinf"] == math.inf
        assert metrics["ninf"] == -math.inf
        assert math.isnan(metrics["mixed"])  # the NaN point has the greater step
        (nan_point,) = store.get_metric_history(run_id, "nan")
        assert math.isnan(nan_point.value)
        history = store.get_metric_history(run_id, "mixed")
        assert [m.value for m in history][0] == 1.0
        assert math.isnan(history[1].value)
        assert [m.value for m in store.get_metric_history(run_id, "ninf")] == [-math.inf]

    def test_metric_history_order_and_paging(self, store: TrackingStore) -> None:
        run_id = _run(store)
        points = [
            Metric("h", 3.0, 30, 2),
            Metric("h", 1.0, 10, 0),
            Metric("h", 2.0, 20, 1),
            Metric("h", 2.5, 20, 1),
            Metric("h", 0.5, 20, 0),
            Metric("h", 4.0, 40, 3),
            Metric("h", 5.0, 50, 4),
        ]
        store.log_batch(run_id, metrics=points)
        expected = [(10, 0, 1.0), (20, 0, 0.5), (20, 1, 2.0), (20, 1, 2.5), (30, 2, 3.0)]
        expected += [(40, 3, 4.0), (50, 4, 5.0)]
        full = store.get_metric_history(run_id, "h")
        assert _values(full) == expected
        assert full.token is None
        assert all(m.key == "h" for m in full)
        pages: list[Metric] = []
        token = None
        for _ in range(10):
            page = store.get_metric_history(run_id, "h", max_results=3, page_token=token)
            assert len(page) <= 3
            pages.extend(page)
            token = page.token
            if token is None:
                break
        assert _values(pages) == expected
        with pytest.raises(InvalidParameterValue):
            store.get_metric_history(run_id, "h", max_results=3, page_token="not-a-token")

    def test_sample_metric_history(self, store: TrackingStore) -> None:
        run_id = _run(store)
        store.log_batch(run_id, metrics=[Metric("s", float(i), 1000 + i, i) for i in range(101)])
        sampled = store.sample_metric_history(run_id, "s", 5)
        assert [m.step for m in sampled] == [0, 25, 50, 75, 100]
        assert [m.value for m in sampled] == [0.0, 25.0, 50.0, 75.0, 100.0]
        assert all(m.key == "s" for m in sampled)
        assert [m.step for m in store.sample_metric_history(run_id, "s", 1)] == [100]
        assert len(store.sample_metric_history(run_id, "s", 500)) == 101
        window = store.sample_metric_history(run_id, "s", 3, start_step=10, end_step=20)
        assert [m.step for m in window] == [10, 15, 20]
        assert store.sample_metric_history(run_id, "s", 3, start_step=500, end_step=600) == []
        assert store.sample_metric_history(run_id, "never-logged", 3) == []
        same_time = [Metric("t", float(i), 77, i) for i in range(101)]  # one timestamp
        store.log_batch(run_id, metrics=same_time)
        assert [m.step for m in store.sample_metric_history(run_id, "t", 5)] == [0, 25, 50, 75, 100]
        store.log_batch(run_id, metrics=[Metric("one", 7.0, 5, 0)])
        assert [m.value for m in store.sample_metric_history(run_id, "one", 10)] == [7.0]
        with pytest.raises(ResourceDoesNotExist):
            store.sample_metric_history(MISSING_RUN, "s", 3)

    def test_metric_history_unknown_key_and_run(self, store: TrackingStore) -> None:
        run_id = _run(store)
        assert list(store.get_metric_history(run_id, "never-logged")) == []
        with pytest.raises(ResourceDoesNotExist):
            store.get_metric_history(MISSING_RUN, "m")

    def test_retried_batch_adds_no_duplicate_points(self, store: TrackingStore) -> None:
        run_id = _run(store)
        batch = [Metric("r", float(i), 100 + i, i) for i in range(20)]
        store.log_batch(run_id, metrics=batch)
        store.log_batch(run_id, metrics=batch)
        assert len(store.get_metric_history(run_id, "r")) == 20
        assert store.get_run(run_id).data.metrics["r"] == 19.0
        store.log_batch(run_id, metrics=[Metric("dup", 1.0, 5, 0), Metric("dup", 1.0, 5, 0)])
        assert _values(store.get_metric_history(run_id, "dup")) == [(5, 0, 1.0)]

    # ============================================================ inputs and outputs
    def test_log_inputs_and_outputs(self, store: TrackingStore) -> None:
        exp_id = _exp(store)
        run_id = _run(store, exp_id)
        model = store.create_logged_model(exp_id, name="clf")
        dataset = Dataset(
            name="train",
            digest="abc123",
            source_type="local",
            source='{"uri": "data.csv"}',
            schema='{"mlflow_colspec": []}',
            profile='{"num_rows": 10}',
        )
        store.log_inputs(
            run_id,
            datasets=[DatasetInput(dataset, (InputTag("mlflow.data.context", "training"),))],
            models=[LoggedModelInput(model.model_id)],
        )
        store.log_inputs(run_id, datasets=[DatasetInput(dataset, ())])  # idempotent
        store.log_outputs(run_id, [LoggedModelOutput(model.model_id, 3)])
        run = store.get_run(run_id)
        (ds_input,) = run.inputs.dataset_inputs
        assert ds_input.dataset == dataset
        assert run.inputs.model_inputs == [LoggedModelInput(model.model_id)]
        assert run.outputs.model_outputs == [LoggedModelOutput(model.model_id, 3)]

    def test_search_datasets(self, store: TrackingStore) -> None:
        exp_id, other = _exp(store), _exp(store)
        train = Dataset("train", "d1", "local", '{"uri": "a.csv"}')
        evals = Dataset("eval", "d2", "local", '{"uri": "b.csv"}')
        context = (InputTag("mlflow.data.context", "training"),)
        store.log_inputs(_run(store, exp_id), datasets=[DatasetInput(train, context)])
        store.log_inputs(_run(store, exp_id), datasets=[DatasetInput(train, context)])
        store.log_inputs(_run(store, other), datasets=[DatasetInput(evals, ())])
        deleted = _run(store, other)
        store.log_inputs(deleted, datasets=[DatasetInput(train, ())])
        store.delete_run(deleted)
        assert store.search_datasets([exp_id]) == [
            DatasetSummary(exp_id, "train", "d1", "training")
        ]
        assert store.search_datasets([exp_id, other]) == [
            DatasetSummary(exp_id, "train", "d1", "training"),
            DatasetSummary(other, "eval", "d2", None),
        ]
        assert store.search_datasets(["123456789"]) == []

    # ============================================================ logged models
    def test_create_and_get_logged_model(self, store: TrackingStore) -> None:
        exp_id = _exp(store)
        exp = store.get_experiment(exp_id)
        run_id = _run(store, exp_id)
        model = store.create_logged_model(
            exp_id,
            name="model",
            source_run_id=run_id,
            tags=[("flavor", "sklearn")],
            params=[("alpha", "0.5")],
            model_type="classifier",
        )
        assert re.fullmatch(r"m-[0-9a-f]{32}", model.model_id)
        assert model.experiment_id == exp_id
        assert model.name == "model"
        assert model.status == LoggedModelStatus.PENDING
        assert model.source_run_id == run_id
        assert model.model_type == "classifier"
        assert model.tags == {"flavor": "sklearn"}
        assert model.params == {"alpha": "0.5"}
        assert model.artifact_location == (
            f"{exp.artifact_location}/models/{model.model_id}/artifacts"
        )
        assert model.creation_timestamp > 0
        got = store.get_logged_model(model.model_id)
        assert got.model_id == model.model_id and got.tags == model.tags

    def test_logged_model_generated_name_and_unknowns(self, store: TrackingStore) -> None:
        model = store.create_logged_model(_exp(store))
        assert model.name
        with pytest.raises(ResourceDoesNotExist):
            store.get_logged_model("m-" + "0" * 32)
        with pytest.raises(ResourceDoesNotExist):
            store.create_logged_model(MISSING_EXPERIMENT)
        deleted_exp = _exp(store)
        store.delete_experiment(deleted_exp)
        with pytest.raises(InvalidParameterValue):
            store.create_logged_model(deleted_exp)
        with pytest.raises(InvalidParameterValue):
            store.finalize_logged_model(model.model_id, "NOT_A_STATUS")

    def test_finalize_tags_params_and_delete_logged_model(self, store: TrackingStore) -> None:
        model = store.create_logged_model(_exp(store), name="m")
        ready = store.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
        assert ready.status == LoggedModelStatus.READY
        store.set_logged_model_tags(model.model_id, [("a", "1"), ("b", "2")])
        store.set_logged_model_tags(model.model_id, [("a", "3")])
        store.delete_logged_model_tag(model.model_id, "b")
        with pytest.raises(ResourceDoesNotExist):
            store.delete_logged_model_tag(model.model_id, "b")
        store.log_logged_model_params(model.model_id, [("k", "v")])
        got = store.get_logged_model(model.model_id)
        assert got.tags == {"a": "3"}
        assert got.params == {"k": "v"}
        assert got.status == LoggedModelStatus.READY
        store.delete_logged_model(model.model_id)
        with pytest.raises(ResourceDoesNotExist):
            store.get_logged_model(model.model_id)
        assert store.get_logged_model(model.model_id, allow_deleted=True).model_id == model.model_id

    def test_logged_model_metrics_come_from_run_points(self, store: TrackingStore) -> None:
        exp_id = _exp(store)
        run_id = _run(store, exp_id)
        model = store.create_logged_model(exp_id, source_run_id=run_id)
        store.log_batch(
            run_id,
            metrics=[
                Metric("auc", 0.8, 10, 0, model_id=model.model_id),
                Metric("auc", 0.9, 20, 1, model_id=model.model_id),
                Metric("unrelated", 1.0, 10, 0),
            ],
        )
        metrics = store.get_logged_model(model.model_id).metrics
        assert sorted((m.key, m.step, m.value) for m in metrics) == [
            ("auc", 0, 0.8),
            ("auc", 1, 0.9),
        ]
        assert all(m.model_id == model.model_id for m in metrics)

    # ============================================================ search
    def test_search_runs_in_experiment(self, store: TrackingStore) -> None:
        exp_id = _exp(store)
        ids = [_run(store, exp_id, start_time=1_000 + i) for i in range(5)]
        store.log_batch(ids[0], params=[Param("kind", "special")])
        store.delete_run(ids[4])
        found = store.search_runs([exp_id])
        assert [r.info.run_id for r in found] == ids[3::-1]  # newest first, deleted hidden
        assert found.token is None
        special = store.search_runs([exp_id], filter_string="params.kind = 'special'")
        assert [r.info.run_id for r in special] == [ids[0]]
        assert special[0].data.params == {"kind": "special"}
        deleted = store.search_runs([exp_id], run_view_type=ViewType.DELETED_ONLY)
        assert [r.info.run_id for r in deleted] == [ids[4]]
        assert len(store.search_runs([exp_id], run_view_type=ViewType.ALL)) == 5

    def test_search_runs_paging(self, store: TrackingStore) -> None:
        exp_id = _exp(store)
        ids = {_run(store, exp_id, start_time=5_000 + i) for i in range(7)}
        seen: list[str] = []
        token = None
        for _ in range(10):
            page = store.search_runs([exp_id], max_results=3, page_token=token)
            assert len(page) <= 3
            seen.extend(r.info.run_id for r in page)
            token = page.token
            if token is None:
                break
        assert sorted(seen) == sorted(ids)

    def test_count_runs_matches_the_search(self, store: TrackingStore) -> None:
        exp_id, other = _exp(store), _exp(store)
        ids = [_run(store, exp_id, start_time=7_000 + i) for i in range(6)]
        _run(store, other)
        store.log_batch(ids[0], params=[Param("kind", "special")])
        store.log_batch(ids[1], params=[Param("kind", "special")], metrics=[Metric("m", 2.0, 1, 0)])
        store.delete_run(ids[5])
        assert store.count_runs([exp_id]) == 5
        assert store.count_runs([exp_id, other]) == 6
        assert store.count_runs([exp_id], run_view_type=ViewType.DELETED_ONLY) == 1
        assert store.count_runs([exp_id], run_view_type=ViewType.ALL) == 6
        special = "params.kind = 'special'"
        assert store.count_runs([exp_id], filter_string=special) == 2
        both = f"{special} and metrics.m > 1"
        assert store.count_runs([exp_id], filter_string=both) == len(
            store.search_runs([exp_id], filter_string=both)
        )
        assert store.count_runs([]) == 0
        with pytest.raises(InvalidParameterValue):
            store.count_runs([exp_id], filter_string="metrics.x = 'not a number'")

    def test_search_runs_bad_filter(self, store: TrackingStore) -> None:
        with pytest.raises(InvalidParameterValue):
            store.search_runs([_exp(store)], filter_string="metrics.x = 'not a number'")

    def test_search_experiments_by_name(self, store: TrackingStore) -> None:
        prefix = _name("search")
        a = store.create_experiment(f"{prefix}-a")
        b = store.create_experiment(f"{prefix}-b")
        store.delete_experiment(b)
        active = store.search_experiments(filter_string=f"name LIKE '{prefix}%'")
        assert [e.experiment_id for e in active] == [a]
        every = store.search_experiments(
            view_type=ViewType.ALL, filter_string=f"name LIKE '{prefix}%'"
        )
        assert {e.experiment_id for e in every} == {a, b}

    def test_search_logged_models_by_name(self, store: TrackingStore) -> None:
        exp_id = _exp(store)
        wanted = store.create_logged_model(exp_id, name="model")
        store.create_logged_model(exp_id, name="other")
        found = store.search_logged_models([exp_id], filter_string="name = 'model'")
        assert [m.model_id for m in found] == [wanted.model_id]
