"""The trace part of the tracking contract: every ``TrackingStore`` records, finds, tags and
deletes MLflow 3 trace records alike (SQLite, PostgreSQL, REST).

:class:`TraceStoreContract` is mixed into
:class:`~modelyard.testing.tracking_contract.TrackingStoreContract`; each test makes its own
experiment, so a shared database or a live server can serve the whole session.
"""

from __future__ import annotations

import uuid

import pytest

from modelyard.entities import TRACE_ARTIFACT_LOCATION_TAG, TraceInfo, TraceState
from modelyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.store.tracking.base import TrackingStore

__all__ = ["TraceStoreContract", "new_trace"]


def new_trace(experiment_id: str, request_time: int, **fields: object) -> TraceInfo:
    """A finished trace record with a fresh ``tr-<hex>`` id."""
    info = TraceInfo(
        trace_id=f"tr-{uuid.uuid4().hex}",
        experiment_id=experiment_id,
        request_time=request_time,
        state=str(fields.pop("state", TraceState.OK)),
        execution_duration=fields.pop("execution_duration", 25),  # type: ignore[arg-type]
    )
    for name, value in fields.items():
        setattr(info, name, value)
    return info


def _experiment(store: TrackingStore) -> str:
    return store.create_experiment(f"traces-{uuid.uuid4().hex[:12]}")


class TraceStoreContract:
    def test_start_and_get_trace(self, store: TrackingStore) -> None:
        exp = _experiment(store)
        info = new_trace(
            exp,
            1_700_000_000_123,
            execution_duration=321,
            client_request_id="client-1",
            request_preview='{"x": 3}',
            response_preview="7",
            tags={"mlflow.traceName": "parent_fn", "team": "search"},
            trace_metadata={"mlflow.sourceRun": "r" * 32, "mlflow.user": "ada"},
        )
        created = store.start_trace(info)
        assert created.trace_id == info.trace_id
        location = created.tags[TRACE_ARTIFACT_LOCATION_TAG]
        assert location.endswith(f"/{exp}/traces/{info.trace_id}/artifacts")
        got = store.get_trace_info(info.trace_id)
        assert (got.experiment_id, got.request_time, got.execution_duration) == (
            exp,
            1_700_000_000_123,
            321,
        )
        assert (got.state, got.client_request_id) == ("OK", "client-1")
        assert (got.request_preview, got.response_preview) == ('{"x": 3}', "7")
        assert got.tags == {
            "mlflow.traceName": "parent_fn",
            "team": "search",
            TRACE_ARTIFACT_LOCATION_TAG: location,
        }
        assert got.trace_metadata == {"mlflow.sourceRun": "r" * 32, "mlflow.user": "ada"}
        assert got.artifact_location == location

    def test_start_trace_again_updates_and_merges(self, store: TrackingStore) -> None:
        exp = _experiment(store)
        info = new_trace(exp, 1000, state="IN_PROGRESS", tags={"a": "1"})
        store.start_trace(info)
        info.state, info.execution_duration, info.tags = "ERROR", 99, {"b": "2"}
        store.start_trace(info)
        got = store.get_trace_info(info.trace_id)
        assert (got.state, got.execution_duration) == ("ERROR", 99)
        assert {k: v for k, v in got.tags.items() if k != TRACE_ARTIFACT_LOCATION_TAG} == {
            "a": "1",
            "b": "2",
        }

    def test_trace_id_of_another_experiment_is_refused(self, store: TrackingStore) -> None:
        one, two = _experiment(store), _experiment(store)
        info = store.start_trace(new_trace(one, 1000))
        with pytest.raises(ResourceAlreadyExists):
            store.start_trace(new_trace(two, 2000, trace_id=info.trace_id))
        assert store.get_trace_info(info.trace_id).experiment_id == one

    def test_unknown_trace_and_experiment(self, store: TrackingStore) -> None:
        with pytest.raises(ResourceDoesNotExist):
            store.get_trace_info("tr-" + "0" * 32)
        with pytest.raises(ResourceDoesNotExist):
            store.start_trace(new_trace("987654321", 1000))
        with pytest.raises(ResourceDoesNotExist):
            store.set_trace_tag("tr-" + "0" * 32, "k", "v")

    def test_start_trace_in_deleted_experiment_is_refused(self, store: TrackingStore) -> None:
        exp = _experiment(store)
        store.delete_experiment(exp)
        with pytest.raises(InvalidParameterValue):
            store.start_trace(new_trace(exp, 1000))

    def test_batch_get_keeps_order_and_skips_unknown(self, store: TrackingStore) -> None:
        exp = _experiment(store)
        a = store.start_trace(new_trace(exp, 1000)).trace_id
        b = store.start_trace(new_trace(exp, 2000)).trace_id
        got = store.batch_get_trace_infos([b, "tr-" + "f" * 32, a])
        assert [t.trace_id for t in got] == [b, a]

    def test_tags_set_overwrite_delete(self, store: TrackingStore) -> None:
        exp = _experiment(store)
        tid = store.start_trace(new_trace(exp, 1000)).trace_id
        store.set_trace_tag(tid, "stage", "dev")
        store.set_trace_tag(tid, "stage", "prod")
        assert store.get_trace_info(tid).tags["stage"] == "prod"
        store.delete_trace_tag(tid, "stage")
        assert "stage" not in store.get_trace_info(tid).tags
        with pytest.raises(ResourceDoesNotExist):
            store.delete_trace_tag(tid, "stage")

    def test_search_default_order_is_newest_first(self, store: TrackingStore) -> None:
        exp = _experiment(store)
        ids = [store.start_trace(new_trace(exp, t)).trace_id for t in (3000, 1000, 2000)]
        page = store.search_traces([exp])
        assert [t.request_time for t in page] == [3000, 2000, 1000]
        assert {t.trace_id for t in page} == set(ids)
        assert page.token is None
        asc = store.search_traces([exp], order_by=["timestamp_ms ASC"])
        assert [t.request_time for t in asc] == [1000, 2000, 3000]

    def test_search_filters(self, store: TrackingStore) -> None:
        exp = _experiment(store)
        run_id = uuid.uuid4().hex
        ok = store.start_trace(
            new_trace(
                exp,
                1000,
                execution_duration=10,
                tags={"mlflow.traceName": "predict", "env": "prod"},
                trace_metadata={"mlflow.sourceRun": run_id},
            )
        ).trace_id
        err = store.start_trace(
            new_trace(
                exp,
                2000,
                state="ERROR",
                execution_duration=500,
                tags={"mlflow.traceName": "train", "env": "dev"},
            )
        ).trace_id

        def ids(filter_string: str) -> list[str]:
            return [t.trace_id for t in store.search_traces([exp], filter_string)]

        assert ids("status = 'OK'") == [ok]
        assert ids("attributes.status = 'ERROR'") == [err]
        assert ids("trace.status != 'OK'") == [err]
        assert ids("timestamp_ms > 1500") == [err]
        assert ids("attributes.timestamp_ms <= 1000") == [ok]
        assert ids("execution_time_ms >= 100") == [err]
        assert ids("end_time_ms = 1010") == [ok]
        assert ids("tags.env = 'prod'") == [ok]
        assert ids("tags.env LIKE 'd%'") == [err]
        assert ids("tags.env ILIKE 'PR%'") == [ok]
        assert ids("tags.missing IS NULL") == [err, ok]
        assert ids("name = 'train'") == [err]
        assert ids(f"run_id = '{run_id}'") == [ok]
        assert ids(f"metadata.`mlflow.sourceRun` = '{run_id}'") == [ok]
        assert ids(f"request_metadata.`mlflow.sourceRun` = '{run_id}'") == [ok]
        assert ids(f"trace_id = '{ok}'") == [ok]
        assert ids(f"request_id IN ('{ok}', '{err}')") == [err, ok]
        assert ids("tags.env = 'prod' AND status = 'ERROR'") == []

    def test_search_refuses_unknown_keys(self, store: TrackingStore) -> None:
        exp = _experiment(store)
        with pytest.raises(InvalidParameterValue, match="Invalid attribute key 'colour'"):
            store.search_traces([exp], "colour = 'red'")
        with pytest.raises(InvalidParameterValue, match="Invalid entity type 'span'"):
            store.search_traces([exp], "span.name = 'x'")
        with pytest.raises(InvalidParameterValue):
            store.search_traces([exp], "timestamp_ms > 'abc'")

    def test_search_order_by_tag_and_duration(self, store: TrackingStore) -> None:
        exp = _experiment(store)
        for t, d, rank in ((1000, 30, "b"), (2000, 10, "c"), (3000, 20, "a")):
            store.start_trace(new_trace(exp, t, execution_duration=d, tags={"rank": rank}))
        by_duration = store.search_traces([exp], order_by=["execution_time_ms DESC"])
        assert [t.execution_duration for t in by_duration] == [30, 20, 10]
        by_tag = store.search_traces([exp], order_by=["tags.rank"])
        assert [t.tags["rank"] for t in by_tag] == ["a", "b", "c"]

    def test_search_pages(self, store: TrackingStore) -> None:
        exp = _experiment(store)
        for t in range(5):
            store.start_trace(new_trace(exp, 1000 + t))
        seen: list[int] = []
        token = None
        pages = 0
        while True:
            page = store.search_traces([exp], max_results=2, page_token=token)
            seen.extend(t.request_time for t in page)
            pages += 1
            token = page.token
            if token is None:
                break
        assert seen == [1004, 1003, 1002, 1001, 1000]
        assert pages == 3
        with pytest.raises(InvalidParameterValue):
            store.search_traces([exp], page_token="not-a-token")

    def test_search_spans_experiments(self, store: TrackingStore) -> None:
        one, two = _experiment(store), _experiment(store)
        a = store.start_trace(new_trace(one, 1000)).trace_id
        b = store.start_trace(new_trace(two, 2000)).trace_id
        assert [t.trace_id for t in store.search_traces([one, two])] == [b, a]
        assert [t.trace_id for t in store.search_traces([two])] == [b]

    def test_delete_traces_by_ids(self, store: TrackingStore) -> None:
        exp, other = _experiment(store), _experiment(store)
        a = store.start_trace(new_trace(exp, 1000, tags={"k": "v"})).trace_id
        b = store.start_trace(new_trace(exp, 2000)).trace_id
        foreign = store.start_trace(new_trace(other, 1000)).trace_id
        assert store.delete_traces(exp, trace_ids=[a, foreign]) == 1
        assert [t.trace_id for t in store.search_traces([exp])] == [b]
        assert store.get_trace_info(foreign).experiment_id == other
        with pytest.raises(ResourceDoesNotExist):
            store.get_trace_info(a)

    def test_delete_traces_by_time_oldest_first(self, store: TrackingStore) -> None:
        exp = _experiment(store)
        for t in (1000, 2000, 3000, 4000):
            store.start_trace(new_trace(exp, t))
        assert store.delete_traces(exp, max_timestamp_millis=3000, max_traces=2) == 2
        assert [t.request_time for t in store.search_traces([exp])] == [4000, 3000]
        assert store.delete_traces(exp, max_timestamp_millis=3500) == 1
        assert [t.request_time for t in store.search_traces([exp])] == [4000]
