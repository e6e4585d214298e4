"""SQL search of runs, experiments and logged models on real SQLite and PostgreSQL.

Rows are inserted straight into the schema tables, so these tests check the translation of
the search language alone: filtering, ordering (NaN and missing last in both directions),
paging, case sensitivity of LIKE, IN lists, view types, and one statement per page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, insert

from modelyard.entities import ViewType
from modelyard.errors import InvalidParameterValue
from modelyard.query import decode_page_token
from modelyard.store.sql import schema as s
from modelyard.store.tracking.sql.search import (
    search_experiment_ids,
    search_logged_model_ids,
    search_run_ids,
)

NAN = object()

# run_id: (experiment, name, status, user, start, end, stage, acc, lr, team)
RUNS: dict[str, tuple[Any, ...]] = {
    "a": (1, "Alpha", "FINISHED", "alice", 100, 200, "active", 0.9, "0.1", "Red"),
    "b": (1, "beta", "FAILED", "bob", 200, None, "active", NAN, "0.01", "red"),
    "c": (1, "gamma", "RUNNING", "alice", 300, None, "active", None, None, "blue"),
    "d": (1, "delta_x", "FINISHED", "carol", 400, 500, "active", 0.5, "1", None),
    "e": (1, "epsilon", "FINISHED", "bob", 500, 600, "deleted", 0.7, "0.5", "red"),
    "f": (2, "zeta", "FINISHED", "alice", 600, None, "active", 0.95, "0.2", None),
    "g": (1, "a*b?[c]", "FINISHED", "dave", 650, None, "active", None, None, None),
    "h": (1, "eta", "FINISHED", "erin", 700, None, "active", None, None, None),
    "i": (1, "theta", "FINISHED", "erin", 700, None, "active", None, None, None),
}
ACTIVE_EXP1_DEFAULT_ORDER = ["h", "i", "g", "d", "c", "b", "a"]
PAGED_EXPERIMENT = 3
PAGED_RUNS = 57


def _load(engine: Engine) -> None:
    s.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(s.experiments),
            [
                dict(experiment_id=1, name="exp-one", artifact_location="/a/1",
                     lifecycle_stage="active", creation_time=10, last_update_time=40),
                dict(experiment_id=2, name="Exp-Two", artifact_location="/a/2",
                     lifecycle_stage="active", creation_time=30, last_update_time=30),
                dict(experiment_id=3, name="paged", artifact_location="/a/3",
                     lifecycle_stage="active", creation_time=30, last_update_time=None),
                dict(experiment_id=4, name="exp-gone", artifact_location="/a/4",
                     lifecycle_stage="deleted", creation_time=5, last_update_time=5),
            ],
        )  # fmt: skip
        conn.execute(
            insert(s.experiment_tags),
            [
                dict(experiment_id=1, key="team", value="red"),
                dict(experiment_id=2, key="team", value="Red"),
                dict(experiment_id=3, key="other", value="x"),
            ],
        )
        run_rows, metric_rows, param_rows, tag_rows = [], [], [], []
        for rid, (exp, name, status, user, start, end, stage, acc, lr, team) in RUNS.items():
            run_rows.append(
                dict(run_uuid=rid, name=name, experiment_id=exp, status=status, user_id=user,
                     start_time=start, end_time=end, lifecycle_stage=stage,
                     artifact_uri=f"s3://bucket/{rid}")
            )  # fmt: skip
            if acc is not None:
                nan = acc is NAN
                metric_rows.append(
                    dict(run_uuid=rid, key="acc", value=None if nan else acc, is_nan=nan,
                         timestamp=1, step=0)
                )  # fmt: skip
            if lr is not None:
                param_rows.append(dict(run_uuid=rid, key="lr", value=lr))
            if team is not None:
                tag_rows.append(dict(run_uuid=rid, key="team", value=team))
        for n in range(PAGED_RUNS):
            rid = f"p{n:03d}"
            run_rows.append(
                dict(run_uuid=rid, name=f"run {n}", experiment_id=PAGED_EXPERIMENT,
                     status="FINISHED", user_id="u", start_time=1000 + n % 7, end_time=None,
                     lifecycle_stage="active", artifact_uri=None)
            )  # fmt: skip
            if n % 5:
                metric_rows.append(
                    dict(run_uuid=rid, key="loss", value=float(n % 11), is_nan=False,
                         timestamp=1, step=0)
                )  # fmt: skip
            elif n % 10 == 0:
                metric_rows.append(
                    dict(run_uuid=rid, key="loss", value=None, is_nan=True, timestamp=1, step=0)
                )
            if n % 3:
                param_rows.append(dict(run_uuid=rid, key="depth", value=str(n % 4)))
        conn.execute(insert(s.runs), run_rows)
        conn.execute(insert(s.latest_metrics), metric_rows)
        conn.execute(insert(s.params), param_rows)
        conn.execute(insert(s.tags), tag_rows)
        conn.execute(
            insert(s.run_dataset_inputs),
            [
                dict(run_uuid="a", name="iris", digest="d1", source_type="local", source="x",
                     tags_json=json.dumps([["mlflow.data.context", "training"]])),
                dict(run_uuid="b", name="wine", digest="d2", source_type="local", source="x",
                     tags_json=json.dumps([["mlflow.data.context", "eval"]])),
            ],
        )  # fmt: skip
        conn.execute(
            insert(s.logged_models),
            [
                dict(model_id=f"m-{k}", experiment_id=1, name=name, artifact_location="/x",
                     creation_timestamp=ts, last_updated_timestamp=ts, status=status,
                     source_run_id=run, model_type=None, lifecycle_stage=stage)
                for k, name, ts, status, run, stage in [
                    (1, "model", 10, "READY", "a", "active"),
                    (2, "model", 20, "PENDING", "b", "active"),
                    (3, "other", 30, "READY", "a", "active"),
                    (4, "model", 40, "READY", "a", "deleted"),
                ]
            ],
        )  # fmt: skip
        conn.execute(
            insert(s.logged_model_tags),
            [dict(model_id="m-1", key="t", value="x"), dict(model_id="m-3", key="t", value="y")],
        )
        conn.execute(
            insert(s.logged_model_params), [dict(model_id="m-2", key="alpha", value="0.5")]
        )
        conn.execute(
            insert(s.metrics),
            [
                dict(run_uuid="a", key="score", value=0.1, is_nan=False, timestamp=1, step=0,
                     model_id="m-1"),
                dict(run_uuid="a", key="score", value=0.8, is_nan=False, timestamp=2, step=0,
                     model_id="m-1"),
                dict(run_uuid="b", key="score", value=0.5, is_nan=False, timestamp=1, step=0,
                     model_id="m-2"),
            ],
        )  # fmt: skip


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path_factory.mktemp('search') / 'search.db'}"
    else:
        uri = request.getfixturevalue("make_pg_database")()
    eng = create_engine(uri)
    _load(eng)
    yield eng
    eng.dispose()


def runs(engine: Engine, flt: str | None = None, order_by: list[str] | None = None,
         view: ViewType = ViewType.ACTIVE_ONLY, experiments: tuple[str, ...] = ("1",),
         max_results: int = 1000) -> list[str]:  # fmt: skip
    with engine.connect() as conn:
        ids, token = search_run_ids(conn, list(experiments), flt, view, max_results, order_by, None)
    assert token is None
    return ids


# ------------------------------------------------------------------------ run filters


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (None, ACTIVE_EXP1_DEFAULT_ORDER),
        ("metrics.acc > 0.6", ["a"]),
        ("metrics.acc >= 0.5 AND metrics.acc < 0.9", ["d"]),
        ("metrics.acc != 0.9", ["d"]),  # the NaN of b and the missing metric never match
        ("metrics.acc = 0.5", ["d"]),
        ("params.lr = '0.1'", ["a"]),
        ("params.lr != '0.1'", ["d", "b"]),
        ("params.lr IS NULL", ["h", "i", "g", "c"]),
        ("params.lr IS NOT NULL", ["d", "b", "a"]),
        ("params.lr LIKE '0.%'", ["b", "a"]),
        ("tags.team = 'red'", ["b"]),
        ("tags.team LIKE 'r%'", ["b"]),
        ("tags.team ILIKE 'r%'", ["b", "a"]),
        ("tags.team ILIKE 'RED'", ["b", "a"]),
        ("tags.team IS NULL", ["h", "i", "g", "d"]),
        ("tags.team != 'blue'", ["b", "a"]),
        ("attributes.run_name LIKE 'A%'", ["a"]),
        ("attributes.run_name LIKE 'a%'", ["g"]),
        ("run_name ILIKE 'a%'", ["g", "a"]),
        ("run_name LIKE 'a*b?[c]'", ["g"]),  # GLOB metacharacters are literal
        ("run_name LIKE 'a_b%'", ["g"]),
        ("run_name LIKE '%\\_x'", ["d"]),  # backslash escapes the wildcard
        ("run_name LIKE '%_x'", ["d"]),
        ("`Run name` = 'beta'", ["b"]),
        ("run_name = 'BETA'", []),
        ("run_id IN ('a', 'c', 'zzz')", ["c", "a"]),
        ("run_id NOT IN ('a', 'h')", ["i", "g", "d", "c", "b"]),
        ("attributes.status = 'FINISHED' AND user_id = 'erin'", ["h", "i"]),
        ("status != 'FINISHED'", ["c", "b"]),
        ("created >= 300 AND start_time < 700", ["g", "d", "c"]),
        ("end_time > 100", ["d", "a"]),
        ("artifact_uri = 's3://bucket/c'", ["c"]),
        ("datasets.name = 'iris'", ["a"]),
        ("datasets.digest IN ('d1', 'd2')", ["b", "a"]),
        ("datasets.context = 'training'", ["a"]),
        ("datasets.context != 'training'", ["b"]),
        ("datasets.context IN ('eval')", ["b"]),
        ("datasets.name LIKE 'w%'", ["b"]),
        ("metrics.acc > 0 AND params.lr LIKE '%1' AND tags.team ILIKE 'r%'", ["a"]),
    ],
)
def test_run_filters(engine: Engine, flt: str | None, expected: list[str]) -> None:
    assert runs(engine, flt) == expected


def test_view_types_and_experiments(engine: Engine) -> None:
    assert runs(engine, "metrics.acc > 0.6", view=ViewType.ALL) == ["e", "a"]
    assert runs(engine, None, view=ViewType.DELETED_ONLY) == ["e"]
    assert runs(engine, "metrics.acc > 0.6", experiments=("1", "2")) == ["f", "a"]
    assert runs(engine, None, experiments=()) == []
    assert runs(engine, None, experiments=("999",)) == []


# ------------------------------------------------------------------------ run ordering


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["metrics.acc DESC"], ["a", "d", "b", "h", "i", "g", "c"]),
        (["metrics.acc ASC"], ["d", "a", "b", "h", "i", "g", "c"]),
        (["metrics.acc"], ["d", "a", "b", "h", "i", "g", "c"]),
        (["params.lr"], ["b", "a", "d", "h", "i", "g", "c"]),  # strings: "0.01" < "0.1" < "1"
        (["params.lr DESC"], ["d", "a", "b", "h", "i", "g", "c"]),
        (["tags.team"], ["a", "c", "b", "h", "i", "g", "d"]),  # bytewise: "Red" < "blue" < "red"
        (["end_time ASC"], ["a", "d", "h", "i", "g", "c", "b"]),
        (["end_time DESC"], ["d", "a", "h", "i", "g", "c", "b"]),
        (["start_time ASC"], ["a", "b", "c", "d", "g", "h", "i"]),
        (["created DESC"], ["h", "i", "g", "d", "c", "b", "a"]),
        (["run_name"], ["a", "g", "b", "d", "h", "c", "i"]),
        (["`Run name` DESC"], ["i", "c", "h", "d", "b", "g", "a"]),
        (["user_id DESC", "run_id DESC"], ["i", "h", "g", "d", "b", "c", "a"]),
        (["status", "metrics.acc DESC"], ["b", "a", "d", "h", "i", "g", "c"]),
        (["tags.team DESC", "params.lr DESC"], ["b", "c", "a", "d", "h", "i", "g"]),
    ],
)
def test_run_ordering(engine: Engine, order_by: list[str], expected: list[str]) -> None:
    assert runs(engine, None, order_by) == expected


def _all_pages(
    engine: Engine, order_by: list[str] | None, page_size: int, flt: str | None = None
) -> list[str]:
    seen: list[str] = []
    token: str | None = None
    pages = 0
    with engine.connect() as conn:
        while True:
            ids, token = search_run_ids(
                conn, [str(PAGED_EXPERIMENT)], flt, ViewType.ACTIVE_ONLY, page_size, order_by, token
            )
            pages += 1
            assert len(ids) <= page_size
            seen.extend(ids)
            if token is None:
                break
            assert len(ids) == page_size
            assert decode_page_token(token) == len(seen)
    assert pages == max(1, -(-len(seen) // page_size))
    return seen


@pytest.mark.parametrize(
    "order_by",
    [None, ["metrics.loss DESC"], ["metrics.loss ASC"], ["params.depth DESC", "metrics.loss"],
     ["start_time ASC"], ["run_name DESC"]],
)  # fmt: skip
def test_paging_covers_every_run_once(engine: Engine, order_by: list[str] | None) -> None:
    with engine.connect() as conn:
        full, token = search_run_ids(
            conn, [str(PAGED_EXPERIMENT)], None, ViewType.ACTIVE_ONLY, 50000, order_by, None
        )
    assert token is None
    assert len(full) == PAGED_RUNS == len(set(full))
    for size in (1, 10, 57):
        assert _all_pages(engine, order_by, size) == full


def test_paged_metric_order_puts_nan_then_missing_last(engine: Engine) -> None:
    for direction in ("ASC", "DESC"):
        ordered = _all_pages(engine, [f"metrics.loss {direction}"], 10)
        kinds = []
        for rid in ordered:
            n = int(rid[1:])
            kinds.append("value" if n % 5 else ("nan" if n % 10 == 0 else "missing"))
        first_nan = kinds.index("nan")
        first_missing = kinds.index("missing")
        assert set(kinds[:first_nan]) == {"value"}
        assert set(kinds[first_nan:first_missing]) == {"nan"}
        assert set(kinds[first_missing:]) == {"missing"}
        values = [
            float(int(r[1:]) % 11) for r, k in zip(ordered, kinds, strict=True) if k == "value"
        ]
        assert values == sorted(values, reverse=direction == "DESC")


def test_paging_with_filter(engine: Engine) -> None:
    page = _all_pages(engine, ["metrics.loss DESC"], 4, "metrics.loss >= 5")
    assert len(page) == len({f"p{n:03d}" for n in range(PAGED_RUNS) if n % 5 and n % 11 >= 5})


# ------------------------------------------------------------------------ errors


@pytest.mark.parametrize("bad", [0, -3, 50001])
def test_run_max_results_limits(engine: Engine, bad: int) -> None:
    with engine.connect() as conn, pytest.raises(InvalidParameterValue, match="max_results"):
        search_run_ids(conn, ["1"], None, ViewType.ACTIVE_ONLY, bad, None, None)


def test_run_search_errors(engine: Engine) -> None:
    with engine.connect() as conn:
        with pytest.raises(InvalidParameterValue, match="Invalid page token"):
            search_run_ids(conn, ["1"], None, ViewType.ACTIVE_ONLY, 10, None, "garbage!")
        with pytest.raises(InvalidParameterValue, match="Expected numeric value type for metric"):
            search_run_ids(conn, ["1"], "metrics.acc = '1'", ViewType.ACTIVE_ONLY, 10, None, None)
        with pytest.raises(InvalidParameterValue, match="Invalid order_by key 'nope'"):
            search_run_ids(conn, ["1"], None, ViewType.ACTIVE_ONLY, 10, ["nope"], None)
        with pytest.raises(InvalidParameterValue, match="lifecycle_stage"):
            search_run_ids(conn, ["1"], "lifecycle_stage = 'active'", 1, 10, None, None)


def test_many_keys(engine: Engine) -> None:
    flt = " AND ".join(f"params.k{i} IS NULL" for i in range(40))
    order = [f"metrics.m{i} DESC" for i in range(20)]
    assert runs(engine, flt, order) == ACTIVE_EXP1_DEFAULT_ORDER
    with engine.connect() as conn, pytest.raises(InvalidParameterValue, match="Too many distinct"):
        search_run_ids(conn, ["1"], flt, 1, 10, [*order, "tags.a", "tags.b"], None)


def test_one_statement_per_page(engine: Engine) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as conn:
            statements.clear()
            ids, token = search_run_ids(
                conn,
                ["1", "2", "3"],
                "metrics.acc > 0 AND params.lr LIKE '%' AND tags.team ILIKE 'r%' "
                "AND datasets.name = 'iris' AND run_id IN ('a', 'b')",
                ViewType.ALL,
                1,
                ["metrics.acc DESC", "params.lr", "tags.team DESC", "metrics.loss"],
                None,
            )
            assert (ids, len(statements)) == (["a"], 1)
            statements.clear()
            search_experiment_ids(conn, ViewType.ALL, 2, "tags.team ILIKE 'red'", ["name"], None)
            assert len(statements) == 1
            statements.clear()
            search_logged_model_ids(
                conn, ["1"], "metrics.score > 0", 5, [{"field_name": "metrics.score"}], None
            )
            assert len(statements) == 1
    finally:
        event.remove(engine, "before_cursor_execute", count)


# ------------------------------------------------------------------------ experiments


def experiments(engine: Engine, flt: str | None = None, order_by: list[str] | None = None,
                view: ViewType = ViewType.ACTIVE_ONLY) -> list[int]:  # fmt: skip
    with engine.connect() as conn:
        ids, token = search_experiment_ids(conn, view, 1000, flt, order_by, None)
    assert token is None
    return ids


@pytest.mark.parametrize(
    ("flt", "order_by", "view", "expected"),
    [
        (None, None, ViewType.ACTIVE_ONLY, [2, 3, 1]),  # creation_time DESC, experiment_id ASC
        (None, None, ViewType.ALL, [2, 3, 1, 4]),
        (None, None, ViewType.DELETED_ONLY, [4]),
        ("name LIKE 'exp%'", None, ViewType.ALL, [1, 4]),
        ("name ILIKE 'exp%'", None, ViewType.ALL, [2, 1, 4]),
        ("name = 'paged'", None, ViewType.ACTIVE_ONLY, [3]),
        ("experiment_id = '2'", None, ViewType.ACTIVE_ONLY, [2]),
        ("experiment_id IN ('1', '3')", None, ViewType.ACTIVE_ONLY, [3, 1]),
        ("experiment_id != '1'", None, ViewType.ACTIVE_ONLY, [2, 3]),
        ("experiment_id LIKE '%2'", None, ViewType.ACTIVE_ONLY, [2]),
        ("creation_time > 10", None, ViewType.ACTIVE_ONLY, [2, 3]),
        ("last_update_time >= 30", None, ViewType.ACTIVE_ONLY, [2, 1]),
        ("tags.team = 'red'", None, ViewType.ACTIVE_ONLY, [1]),
        ("tags.team ILIKE 'red'", None, ViewType.ACTIVE_ONLY, [2, 1]),
        ("tags.team IS NULL", None, ViewType.ACTIVE_ONLY, [3]),
        ("tags.team IS NOT NULL", None, ViewType.ACTIVE_ONLY, [2, 1]),
        (None, ["name"], ViewType.ACTIVE_ONLY, [2, 1, 3]),
        (None, ["name DESC"], ViewType.ACTIVE_ONLY, [3, 1, 2]),
        (None, ["creation_time ASC"], ViewType.ACTIVE_ONLY, [1, 2, 3]),
        (None, ["last_update_time DESC"], ViewType.ACTIVE_ONLY, [1, 2, 3]),
        (None, ["last_update_time ASC"], ViewType.ACTIVE_ONLY, [2, 1, 3]),
        (None, ["experiment_id DESC"], ViewType.ACTIVE_ONLY, [3, 2, 1]),
    ],
)
def test_experiment_search(engine: Engine, flt: str | None, order_by: list[str] | None,
                           view: ViewType, expected: list[int]) -> None:  # fmt: skip
    assert experiments(engine, flt, order_by, view) == expected


def test_experiment_paging_and_limits(engine: Engine) -> None:
    with engine.connect() as conn:
        first, token = search_experiment_ids(conn, ViewType.ALL, 3, None, None, None)
        assert first == [2, 3, 1] and token is not None
        second, token = search_experiment_ids(conn, ViewType.ALL, 3, None, None, token)
        assert (second, token) == ([4], None)
        with pytest.raises(InvalidParameterValue, match="max_results"):
            search_experiment_ids(conn, ViewType.ALL, 50001, None, None, None)
        with pytest.raises(InvalidParameterValue, match="Invalid entity type 'metrics'"):
            search_experiment_ids(conn, ViewType.ALL, 10, "metrics.a > 1", None, None)


# ------------------------------------------------------------------------ logged models


def logged(
    engine: Engine, flt: str | None, order_by: list[dict[str, Any]] | None = None
) -> list[str]:
    with engine.connect() as conn:
        ids, token = search_logged_model_ids(conn, ["1"], flt, 100, order_by, None)
    assert token is None
    return ids


@pytest.mark.parametrize(
    ("flt", "order_by", "expected"),
    [
        ("name = 'model'", None, ["m-2", "m-1"]),  # deleted m-4 is hidden; newest first
        (None, None, ["m-3", "m-2", "m-1"]),
        ("name = 'model' AND source_run_id = 'a'", None, ["m-1"]),
        ("status = 'READY'", None, ["m-3", "m-1"]),
        ("model_id IN ('m-1', 'm-3')", None, ["m-3", "m-1"]),
        ("creation_timestamp >= 20", None, ["m-3", "m-2"]),
        ("tags.t = 'x'", None, ["m-1"]),
        ("params.alpha = '0.5'", None, ["m-2"]),
        ("metrics.score > 0.6", None, ["m-1"]),
        ("metrics.score < 0.2", None, ["m-1"]),  # like MLflow: any logged value may match
        ("metrics.score = 0.5", None, ["m-2"]),
        ("tags.t IN ('x', 'y')", None, ["m-3", "m-1"]),
        ("params.alpha NOT IN ('0.1')", None, ["m-2"]),
        (None, [{"field_name": "creation_timestamp", "ascending": True}], ["m-1", "m-2", "m-3"]),
        (None, [{"field_name": "name", "ascending": False}], ["m-3", "m-2", "m-1"]),
        (None, [{"field_name": "metrics.score", "ascending": True}], ["m-2", "m-1", "m-3"]),
        (None, [{"field_name": "metrics.score", "ascending": False}], ["m-1", "m-2", "m-3"]),
    ],
)
def test_logged_model_search(engine: Engine, flt: str | None,
                             order_by: list[dict[str, Any]] | None, expected: list[str]) -> None:  # fmt: skip
    assert logged(engine, flt, order_by) == expected


def test_logged_model_paging(engine: Engine) -> None:
    with engine.connect() as conn:
        ids, token = search_logged_model_ids(conn, ["1"], None, 2, None, None)
        assert ids == ["m-3", "m-2"] and token is not None
        assert search_logged_model_ids(conn, ["1"], None, 2, None, token) == (["m-1"], None)
        assert search_logged_model_ids(conn, [], None, 2, None, None) == ([], None)


# ------------------------------------------------------------------------ LIKE -> GLOB


@pytest.mark.parametrize(
    ("like", "glob"),
    [
        ("abc", "abc"),
        ("a%", "a*"),
        ("_b_", "?b?"),
        ("a*b?[c]", "a[*]b[?][[]c]"),
        ("50\\%", "50%"),
        ("a\\_b", "a_b"),
        ("x\\\\y", "x\\y"),
        ("\\*", "[*]"),
    ],
)
def test_like_to_glob(like: str, glob: str) -> None:
    from modelyard.store.sql.filtering import like_to_glob

    assert like_to_glob(like) == glob
