"""SQL search of registered models and model versions on real SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, insert

from modelyard.errors import InvalidParameterValue
from modelyard.store.registry.sql_search import (
    PROMPT_TAG_KEY,
    search_model_version_keys,
    search_registered_model_pks,
)
from modelyard.store.sql import schema as s

PROMPT = f"tag.`{PROMPT_TAG_KEY}` != 'true'"

# pk: (name, creation_time, last_updated_time)
MODELS = {
    1: ("alpha", 10, 60),
    2: ("Beta", 20, 50),
    3: ("gamma", 30, 70),
    4: ("my-prompt", 40, 80),  # tagged as a prompt
    5: ("delta_x", 50, 40),
    6: ("not-prompt", 60, 30),  # prompt tag present but 'false'
}
# (model_pk, version): (creation, last_updated, run_id, source, stage)
VERSIONS = {
    (1, 1): (100, 100, "run1", "s3://b/alpha/1", "None"),
    (1, 2): (110, 300, "run2", "s3://b/alpha/2", "Production"),
    (1, 3): (120, 120, None, "file:///local/alpha", "None"),
    (2, 1): (130, 300, "run1", "s3://b/beta/1", "Staging"),
    (3, 1): (140, 140, "run3", "s3://B/gamma/1", "None"),
    (3, 2): (150, 150, "run3", "s3://b/gamma/2", "Deleted_Internal"),
    (4, 1): (160, 160, "run4", "s3://b/prompt/1", "None"),
    (6, 1): (170, 170, "run6", "s3://b/np/1", "None"),
}
N_PAGED = 23  # extra models "pm-00".."pm-22" with two versions each


def _load(engine: Engine) -> None:
    s.metadata.create_all(engine)
    with engine.begin() as conn:
        models = [
            dict(id=pk, name=name, creation_time=c, last_updated_time=u)
            for pk, (name, c, u) in MODELS.items()
        ]
        models += [
            dict(id=100 + n, name=f"pm-{n:02d}", creation_time=1000 + n, last_updated_time=5)
            for n in range(N_PAGED)
        ]
        conn.execute(insert(s.registered_models), models)
        conn.execute(
            insert(s.registered_model_tags),
            [
                dict(model_pk=4, key=PROMPT_TAG_KEY, value="true"),
                dict(model_pk=6, key=PROMPT_TAG_KEY, value="false"),
                dict(model_pk=1, key="team", value="red"),
                dict(model_pk=2, key="team", value="Red"),
                dict(model_pk=3, key="team", value="blue"),
            ],
        )
        versions = [
            dict(model_pk=pk, version=v, creation_time=c, last_updated_time=u, run_id=run,
                 source=src, current_stage=stage, status="READY")
            for (pk, v), (c, u, run, src, stage) in VERSIONS.items()
        ]  # fmt: skip
        versions += [
            dict(model_pk=100 + n, version=v, creation_time=2000 + n, last_updated_time=7,
                 run_id=None, source=f"s3://p/{n}/{v}", current_stage="None", status="READY")
            for n in range(N_PAGED)
            for v in (1, 2)
        ]  # fmt: skip
        conn.execute(insert(s.model_versions), versions)
        conn.execute(
            insert(s.model_version_tags),
            [
                dict(model_pk=1, version=2, key="env", value="prod"),
                dict(model_pk=1, version=1, key="env", value="dev"),
                dict(model_pk=2, version=1, key="env", value="Prod"),
                dict(model_pk=4, version=1, key=PROMPT_TAG_KEY, value="true"),
            ],
        )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        uri = f"sqlite:///{tmp_path_factory.mktemp('regsearch') / 'registry.db'}"
    else:
        uri = request.getfixturevalue("make_pg_database")()
    eng = create_engine(uri)
    _load(eng)
    yield eng
    eng.dispose()


def models(engine: Engine, flt: str | None, order_by: list[str] | None = None) -> list[int]:
    with engine.connect() as conn:
        pks, token = search_registered_model_pks(conn, flt, 1000, order_by, None)
    assert token is None
    return [pk for pk in pks if pk < 100]


def versions(
    engine: Engine, flt: str | None, order_by: list[str] | None = None
) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        keys, token = search_model_version_keys(conn, flt, 200000, order_by, None)
    assert token is None
    return [k for k in keys if k[0] < 100]


# ------------------------------------------------------------------ registered models


@pytest.mark.parametrize(
    ("flt", "order_by", "expected"),
    [
        (None, None, [2, 1, 5, 3, 6]),  # name ASC, bytewise; the prompt is excluded
        (PROMPT, None, [2, 1, 5, 3, 6]),  # the clause the MLflow client always appends
        (f"name = 'alpha' AND {PROMPT}", None, [1]),
        (f"name = 'my-prompt' AND {PROMPT}", None, []),
        (f"tags.`{PROMPT_TAG_KEY}` = 'false'", None, [2, 1, 5, 3, 6]),
        (f"tags.`{PROMPT_TAG_KEY}` = 'true'", None, [4]),
        (f"tags.`{PROMPT_TAG_KEY}` != 'false'", None, [4]),
        ("name LIKE 'b%'", None, []),
        ("name LIKE 'B%'", None, [2]),
        ("name ILIKE 'b%'", None, [2]),
        ("name LIKE '%\\_x'", None, [5]),
        ("name != 'alpha'", None, [2, 5, 3, 6]),
        ("name IN ('alpha', 'gamma', 'nope')", None, [1, 3]),
        ("name NOT IN ('alpha', 'gamma')", None, [2, 5, 6]),
        ("tags.team = 'red'", None, [1]),
        ("tag.team ILIKE 'red'", None, [2, 1]),
        ("tags.team != 'red'", None, [2, 3]),  # models lacking the tag do not match
        (f"tags.team LIKE '%e%' AND {PROMPT}", None, [2, 1, 3]),
        (None, ["name DESC"], [6, 3, 5, 1, 2]),
        (None, ["timestamp DESC"], [3, 1, 2, 5, 6]),
        (None, ["last_updated_timestamp ASC"], [6, 5, 2, 1, 3]),
        (None, ["last_updated_timestamp", "name DESC"], [6, 5, 2, 1, 3]),
    ],
)
def test_registered_model_search(
    engine: Engine, flt: str | None, order_by: list[str] | None, expected: list[int]
) -> None:
    assert models(engine, flt, order_by) == expected


def test_registered_model_paging(engine: Engine) -> None:
    with engine.connect() as conn:
        full, token = search_registered_model_pks(conn, PROMPT, 1000, ["name"], None)
        assert token is None and len(full) == 5 + N_PAGED
        for size in (1, 4, 7, 28, 100):
            seen: list[int] = []
            token = None
            while True:
                page, token = search_registered_model_pks(conn, PROMPT, size, ["name"], token)
                seen.extend(page)
                if token is None:
                    break
                assert len(page) == size
            assert seen == full


@pytest.mark.parametrize(
    ("flt", "order_by", "max_results", "message"),
    [
        (None, None, 1001, "max_results"),
        (None, None, 0, "max_results"),
        ("stage = 'x'", None, 10, "Invalid attribute key 'stage'"),
        ("metrics.a > 1", None, 10, "Invalid entity type 'metrics'"),
        (None, ["creation_timestamp"], 10, "Invalid order_by key 'creation_timestamp'"),
        (None, ["timestamp", "last_updated_timestamp"], 10, "duplicate fields"),
    ],
)
def test_registered_model_errors(
    engine: Engine, flt: str | None, order_by: list[str] | None, max_results: int, message: str
) -> None:
    with engine.connect() as conn, pytest.raises(InvalidParameterValue) as err:
        search_registered_model_pks(conn, flt, max_results, order_by, None)
    assert message in str(err.value)


def test_registered_model_bad_token(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(InvalidParameterValue, match="Invalid page token"):
        search_registered_model_pks(conn, None, 10, None, "%%%")


# ------------------------------------------------------------------ model versions

DEFAULT_VERSION_ORDER = [(2, 1), (1, 2), (6, 1), (3, 1), (1, 3), (1, 1)]


@pytest.mark.parametrize(
    ("flt", "order_by", "expected"),
    [
        # last_updated DESC, name ASC ("Beta" < "alpha"), version DESC; the deleted-internal
        # version and the prompt's versions are excluded
        (None, None, DEFAULT_VERSION_ORDER),
        (PROMPT, None, DEFAULT_VERSION_ORDER),
        (f"tags.`{PROMPT_TAG_KEY}` = 'true'", None, [(4, 1)]),
        ("name = 'alpha'", None, [(1, 2), (1, 3), (1, 1)]),
        ("name = 'my-prompt'", None, []),
        ("attribute.name IN ('alpha', 'Beta')", None, [(2, 1), (1, 2), (1, 3), (1, 1)]),
        ("name NOT IN ('alpha')", None, [(2, 1), (6, 1), (3, 1)]),
        ("name ILIKE 'AL%'", None, [(1, 2), (1, 3), (1, 1)]),
        ("run_id = 'run1'", None, [(2, 1), (1, 1)]),
        ("run_id IN ('run1', 'run3')", None, [(2, 1), (3, 1), (1, 1)]),
        ("run_id NOT IN ('run1')", None, [(1, 2), (6, 1), (3, 1)]),  # NULL run_id never matches
        ("source_path = 's3://b/alpha/2'", None, [(1, 2)]),
        ("source_path LIKE 's3://b/%'", None, [(2, 1), (1, 2), (6, 1), (1, 1)]),
        ("source_path ILIKE 's3://b/%'", None, [(2, 1), (1, 2), (6, 1), (3, 1), (1, 1)]),
        ("version_number >= 2", None, [(1, 2), (1, 3)]),
        ("version_number = 1 AND name = 'alpha'", None, [(1, 1)]),
        ("version_number = '3'", None, [(1, 3)]),
        ("tags.env = 'prod'", None, [(1, 2)]),
        ("tags.env ILIKE 'prod'", None, [(2, 1), (1, 2)]),
        ("tag.env != 'prod'", None, [(2, 1), (1, 1)]),
        (None, ["version_number DESC"], [(1, 3), (1, 2), (2, 1), (6, 1), (3, 1), (1, 1)]),
        (None, ["name DESC"], [(6, 1), (3, 1), (1, 2), (1, 3), (1, 1), (2, 1)]),
        (None, ["creation_timestamp"], [(1, 1), (1, 2), (1, 3), (2, 1), (3, 1), (6, 1)]),
        (None, ["last_updated_timestamp ASC"], [(1, 1), (1, 3), (3, 1), (6, 1), (2, 1), (1, 2)]),
    ],
)
def test_model_version_search(
    engine: Engine, flt: str | None, order_by: list[str] | None, expected: list[tuple[int, int]]
) -> None:
    assert versions(engine, flt, order_by) == expected


def test_model_version_paging(engine: Engine) -> None:
    with engine.connect() as conn:
        full, token = search_model_version_keys(conn, PROMPT, 200000, None, None)
        assert token is None and len(full) == len(set(full)) == 6 + 2 * N_PAGED
        for size in (1, 5, 13, 52, 53):
            seen: list[tuple[int, int]] = []
            token = None
            while True:
                page, token = search_model_version_keys(conn, PROMPT, size, None, token)
                seen.extend(page)
                if token is None:
                    break
                assert len(page) == size
            assert seen == full


@pytest.mark.parametrize(
    ("flt", "order_by", "max_results", "message"),
    [
        (None, None, 200001, "max_results"),
        ("stage = 'None'", None, 10, "Invalid attribute key 'stage'"),
        ("version_number = 'x'", None, 10, "Invalid value for numeric attribute"),
        ("source_path IN ('a')", None, 10, "support comparison with a list"),
        (None, ["stage"], 10, "Invalid order_by key 'stage'"),
        (None, ["name", "name"], 10, "duplicate fields"),
    ],
)
def test_model_version_errors(
    engine: Engine, flt: str | None, order_by: list[str] | None, max_results: int, message: str
) -> None:
    with engine.connect() as conn, pytest.raises(InvalidParameterValue) as err:
        search_model_version_keys(conn, flt, max_results, order_by, None)
    assert message in str(err.value)


def test_one_statement_per_page(engine: Engine) -> None:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as conn:
            statements.clear()
            pks, _ = search_registered_model_pks(
                conn, f"name LIKE '%l%' AND tags.team ILIKE 'r%' AND {PROMPT}", 1, None, None
            )
            assert (pks, len(statements)) == ([1], 1)
            statements.clear()
            keys, _ = search_model_version_keys(
                conn,
                f"name IN ('alpha') AND tags.env = 'prod' AND version_number > 0 AND {PROMPT}",
                1,
                ["name", "version_number DESC"],
                None,
            )
            assert (keys, len(statements)) == ([(1, 2)], 1)
    finally:
        event.remove(engine, "before_cursor_execute", count)
