"""Serving endpoints over real HTTP: a 2-worker gateway, a real registry, real sklearn models.

Covers auth, A/B traffic split, hot reload on promotion under load (zero failed requests), a
broken promotion that keeps the old version serving, inference tables and the CLI.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pandas as pd
import pytest
from click.testing import CliRunner
from serving_helpers import FEATURES, fit, row_dicts

from modelyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.serving import endpoints

pytestmark = pytest.mark.timeout(400)

ROWS = row_dicts(20, seed=3)
WANT = {
    "normal": fit().predict(pd.DataFrame(ROWS)[FEATURES]).tolist(),
    "flipped": fit(flip=True).predict(pd.DataFrame(ROWS)[FEATURES]).tolist(),
}


@pytest.fixture(scope="module")
def setup(registry):
    """Models and endpoints that exist before the gateway starts."""
    home = registry.home
    v = {
        "ab1": registry.register("ab", stage="Production"),
        "ab2": registry.register("ab", flip=True),
        "live1": registry.register("live", stage="Production"),
    }
    endpoints.create_endpoint(
        "ab",
        [
            {"model_name": "ab", "model_version": v["ab1"], "traffic_percentage": 70},
            {"model_name": "ab", "model_version": v["ab2"], "traffic_percentage": 30},
        ],
        home=home,
    )
    endpoints.create_endpoint(
        "live",
        [{"model_name": "live", "stage": "Production", "traffic_percentage": 100}],
        home=home,
    )
    token = endpoints.create_token("tests", home=home)
    return {"versions": v, "token": token["token"], "token_id": token["token_id"]}


@pytest.fixture(scope="module")
def gateway(start_server, registry, setup):
    return start_server(
        ["endpoints", "serve", "--workers", "2", "--poll-interval", "0.5"], registry.env, workers=2
    )


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _invoke(client: httpx.Client, name: str, token: str) -> httpx.Response:
    return client.post(
        f"/serving-endpoints/{name}/invocations",
        json={"dataframe_records": ROWS},
        headers=_auth(token),
    )


def test_config_validation(registry):
    home = registry.home
    with pytest.raises(InvalidParameterValue, match="add up to 100"):
        endpoints.create_endpoint(
            "x", [{"model_name": "ab", "model_version": "1", "traffic_percentage": 60}], home=home
        )
    with pytest.raises(InvalidParameterValue, match="exactly one of"):
        endpoints.create_endpoint("x", [{"model_name": "ab"}], home=home)
    with pytest.raises(ResourceDoesNotExist):
        endpoints.create_endpoint(
            "x", [{"model_name": "no-such-model", "stage": "Production"}], home=home
        )
    with pytest.raises(InvalidParameterValue, match="endpoint name"):
        endpoints.create_endpoint("bad name!", [{"model_name": "ab", "stage": "x"}], home=home)


def test_duplicate_and_listing(setup, registry):
    with pytest.raises(ResourceAlreadyExists):
        endpoints.create_endpoint(
            "live", [{"model_name": "live", "stage": "Production"}], home=registry.home
        )
    names = [e.name for e in endpoints.list_endpoints(home=registry.home)]
    assert {"ab", "live"} <= set(names)
    ep = endpoints.get_endpoint("ab", home=registry.home)
    assert [m["traffic_percentage"] for m in ep.served_models] == [70, 30]


def test_auth(gateway, setup, registry):
    with httpx.Client(base_url=gateway.url, timeout=60) as c:
        r = c.post("/serving-endpoints/live/invocations", json={"dataframe_records": ROWS})
        assert r.status_code == 401
        assert r.json()["error_code"] == "UNAUTHENTICATED"
        r = _invoke(c, "live", "myd_not-a-token")
        assert r.status_code == 401
        assert r.json()["error_code"] == "UNAUTHENTICATED"
        assert _invoke(c, "live", setup["token"]).status_code == 200
        assert _invoke(c, "nope", setup["token"]).status_code == 404

        scoped = endpoints.create_token("ab only", endpoint="ab", home=registry.home)
        assert _invoke(c, "ab", scoped["token"]).status_code == 200
        r = _invoke(c, "live", scoped["token"])
        assert r.status_code == 403
        assert r.json()["error_code"] == "PERMISSION_DENIED"

        endpoints.revoke_token(scoped["token_id"], home=registry.home)
        deadline = time.time() + 120  # the workers re-read tokens every 2 s; generous for load
        while _invoke(c, "ab", scoped["token"]).status_code == 200:
            assert time.time() < deadline, "revoked token still accepted"
            time.sleep(0.2)
        assert _invoke(c, "ab", scoped["token"]).json()["error_code"] == "UNAUTHENTICATED"
    listed = {t["token_id"]: t for t in endpoints.list_tokens(home=registry.home)}
    assert listed[scoped["token_id"]]["revoked"] is True
    assert "token" not in listed[scoped["token_id"]]


def _wait_both_versions(gateway, setup) -> None:
    """Every worker serves both versions of "ab" (bounded by polls): the split is measured on
    the endpoint as configured, not on a worker still loading or retrying one version."""
    want = {setup["versions"]["ab1"], setup["versions"]["ab2"]}
    workers: list = []
    for _ in range(600):
        status = httpx.get(
            f"{gateway.url}/serving-endpoints/ab/status", headers=_auth(setup["token"]), timeout=60
        ).json()
        workers = [w for w in status["workers"] if not w["stale"]]
        if len(workers) == 2 and all(
            {m["model_version"] for m in w["served_models"]} == want and not w["errors"]
            for w in workers
        ):
            return
        time.sleep(0.1)
    raise AssertionError(f"the workers never served both versions: {workers}")


def test_ab_split(gateway, setup):
    v = setup["versions"]
    _wait_both_versions(gateway, setup)
    counts = {v["ab1"]: 0, v["ab2"]: 0}
    one = {"dataframe_records": ROWS[:1]}

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=60) as ac:
            sem = asyncio.Semaphore(16)

            async def call() -> httpx.Response:
                async with sem:
                    return await ac.post(
                        "/serving-endpoints/ab/invocations", json=one, headers=_auth(setup["token"])
                    )

            return await asyncio.gather(*(call() for _ in range(1000)))

    for r in asyncio.run(run()):
        assert r.status_code == 200
        version = r.headers["x-modelyard-model-version"]
        counts[version] += 1
        want = WANT["normal" if version == v["ab1"] else "flipped"][0]
        assert r.json()["predictions"] == [want]
    share = counts[v["ab1"]] / 1000
    assert abs(share - 0.70) < 0.06, counts  # 4 standard deviations of a fair 70/30 draw


def test_hot_reload_under_load(gateway, setup, registry):
    """Promote a new version while clients hammer the endpoint: no request fails, every answer
    matches the version that claims it, and all workers end on the new version."""
    token = setup["token"]
    v2 = registry.register("live", flip=True)
    results: list[tuple[int, str, list[int]]] = []
    stop = asyncio.Event()

    async def client_loop(ac: httpx.AsyncClient) -> None:
        while not stop.is_set():
            r = await ac.post(
                "/serving-endpoints/live/invocations",
                json={"dataframe_records": ROWS},
                headers=_auth(token),
            )
            body = r.json()
            results.append(
                (
                    r.status_code,
                    r.headers.get("x-modelyard-model-version", ""),
                    body.get("predictions"),
                )
            )

    async def run() -> None:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=60) as ac:
            tasks = [asyncio.create_task(client_loop(ac)) for _ in range(8)]
            deadline = time.time() + 120
            while len(results) < 40:  # traffic on the old version first, however slow the box
                assert time.time() < deadline, results
                await asyncio.sleep(0.1)
            await asyncio.to_thread(
                registry.client().transition_model_version_stage,
                "live",
                v2,
                "Production",
                archive_existing_versions=True,
            )
            deadline = time.time() + 120
            while time.time() < deadline:
                await asyncio.sleep(0.5)
                tail = results[-40:]
                if len(tail) == 40 and all(version == v2 for _, version, _ in tail):
                    break
            await asyncio.sleep(0.5)
            stop.set()
            await asyncio.gather(*tasks)

    asyncio.run(run())
    assert results, "no requests were sent"
    failures = [r for r in results if r[0] != 200]
    assert failures == []
    versions = [v for _, v, _ in results]
    assert versions[0] == setup["versions"]["live1"]
    assert versions[-1] == v2
    for _, version, predictions in results:
        kind = "flipped" if version == v2 else "normal"
        assert predictions == WANT[kind]
    status = httpx.get(
        f"{gateway.url}/serving-endpoints/live/status", headers=_auth(token), timeout=60
    ).json()
    assert status["state"] == "READY"
    assert len(status["workers"]) == 2
    assert {w["served_models"][0]["model_version"] for w in status["workers"]} == {v2}


def test_broken_promotion_keeps_old_version(gateway, setup, registry):
    token = setup["token"]
    endpoints.create_endpoint(
        "fragile",
        [{"model_name": "fragile", "stage": "Production", "traffic_percentage": 100}],
        home=registry.home,
        validate=False,
    )
    good = registry.register("fragile", stage="Production")
    with httpx.Client(base_url=gateway.url, timeout=60) as c:
        deadline = time.time() + 120
        while True:  # both workers serve the good version
            status = c.get("/serving-endpoints/fragile/status", headers=_auth(token)).json()
            versions = [
                w["served_models"][0]["model_version"] for w in status["workers"] if w["ready"]
            ]
            if versions == [good, good]:
                break
            assert time.time() < deadline, status
            time.sleep(0.3)
        bad = registry.register("fragile", flip=True)
        registry.break_version("fragile", bad)
        registry.client().transition_model_version_stage("fragile", bad, "Production")
        deadline = time.time() + 120
        while True:
            status = c.get("/serving-endpoints/fragile/status", headers=_auth(token)).json()
            errors = [w["errors"] for w in status["workers"] if w["errors"]]
            if len(errors) == 2:
                break
            assert time.time() < deadline, status
            time.sleep(0.3)
        assert status["state"] == "READY_WITH_ERRORS"
        assert f"models:/fragile/{bad}" in next(iter(errors[0].values()))
        for _ in range(20):
            r = _invoke(c, "fragile", token)
            assert r.status_code == 200
            assert r.headers["x-modelyard-model-version"] == good
            assert r.json()["predictions"] == WANT["normal"]
        # the failure passes (the files are back): the version is tried again by itself, with
        # no new promotion, and both workers switch to it
        registry.repair_version("fragile", bad)
        for _ in range(1200):  # retried after 1, 2, 4 ... s: bounded by polls
            status = c.get("/serving-endpoints/fragile/status", headers=_auth(token)).json()
            served = {w["served_models"][0]["model_version"] for w in status["workers"]}
            if served == {bad} and not any(w["errors"] for w in status["workers"]):
                break
            time.sleep(0.1)
        assert served == {bad}, status
        assert _invoke(c, "fragile", token).json()["predictions"] == WANT["flipped"]
    assert "failed to load models:/fragile/" in gateway.log_path.read_text()


def test_inference_table(gateway, setup, registry):
    token = setup["token"]
    endpoints.create_endpoint(
        "logged",
        [{"model_name": "live", "model_version": setup["versions"]["live1"]}],
        home=registry.home,
    )
    with httpx.Client(base_url=gateway.url, timeout=60) as c:
        deadline = time.time() + 120
        while (r := _invoke(c, "logged", token)).status_code != 200:
            assert time.time() < deadline, r.text
            time.sleep(0.3)
        for _ in range(9):
            assert _invoke(c, "logged", token).status_code == 200
        bad = c.post(
            "/serving-endpoints/logged/invocations",
            json={"dataframe_records": [{"age": 1}]},
            headers=_auth(token),
        )
        assert bad.status_code == 400
    deadline = time.time() + 120
    while True:
        table = endpoints.read_inference_table("logged", home=registry.home)
        if len(table) >= 11:
            break
        assert time.time() < deadline, len(table)
        time.sleep(0.5)
    assert len(table) == 11
    assert set(table["endpoint"]) == {"logged"}
    assert set(table["model_version"]) == {setup["versions"]["live1"]}
    assert sorted(table["status_code"].tolist()) == [200] * 10 + [400]
    ok = table[table["status_code"] == 200].iloc[0]
    assert '"dataframe_records"' in ok["request"]
    assert ok["response"] == '{"predictions":' + str(WANT["normal"]).replace(" ", "") + "}"
    assert (table["latency_ms"] > 0).all()
    assert table["timestamp"].dt.tz is not None


def test_metrics_and_update(gateway, setup, registry):
    # each worker exports its own series; scrape until both workers answered
    texts = {httpx.get(f"{gateway.url}/metrics", timeout=60).text for _ in range(30)}
    assert any('modelyard_requests_total{endpoint="live"' in t for t in texts)
    assert any("modelyard_request_latency_seconds_bucket" in t for t in texts)
    ep = endpoints.update_endpoint(
        "ab",
        [
            {
                "model_name": "ab",
                "model_version": setup["versions"]["ab2"],
                "traffic_percentage": 100,
            }
        ],
        home=registry.home,
    )
    assert len(ep.served_models) == 1
    with httpx.Client(base_url=gateway.url, timeout=60) as c:
        deadline = time.time() + 120
        while True:
            seen = {
                _invoke(c, "ab", setup["token"]).headers["x-modelyard-model-version"]
                for _ in range(20)
            }
            if seen == {setup["versions"]["ab2"]}:
                break
            assert time.time() < deadline, seen
            time.sleep(0.3)


def test_cli_endpoints_and_tokens(registry, setup):
    from modelyard.cli.main import cli

    runner = CliRunner()
    env = {"MODELYARD_SERVING_HOME": str(registry.home), "MLFLOW_TRACKING_URI": registry.uri}
    r = runner.invoke(cli, ["endpoints", "create", "cli-ep", "-s", "live:version=1:100"], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["endpoints", "list"], env=env)
    assert "cli-ep" in r.output and "live/1=100%" in r.output
    r = runner.invoke(cli, ["endpoints", "tokens", "create", "--comment", "cli"], env=env)
    assert r.exit_code == 0 and '"token": "myd_' in r.output
    r = runner.invoke(cli, ["endpoints", "tokens", "list"], env=env)
    assert "cli" in r.output and "myd_" not in r.output
    r = runner.invoke(cli, ["endpoints", "delete", "cli-ep"], env=env)
    assert r.exit_code == 0
    r = runner.invoke(cli, ["endpoints", "get", "cli-ep"], env=env)
    assert r.exit_code != 0 and "RESOURCE_DOES_NOT_EXIST" in r.output


def test_models_serve_registry_uri(start_server, registry, setup):
    """``models serve -m models:/name/Stage --tracking-uri ...``: every worker resolves it."""
    server = start_server(
        [
            "models",
            "serve",
            "-m",
            "models:/ab/Production",
            "--tracking-uri",
            registry.uri,
            "-w",
            "2",
        ],
        {},
        workers=2,
    )
    with httpx.Client(base_url=server.url, timeout=60) as c:
        for _ in range(10):
            r = c.post("/invocations", json={"dataframe_records": ROWS})
            assert r.status_code == 200
            assert r.json()["predictions"] == WANT["normal"]


def test_unknown_routes_are_json(gateway, setup):
    with httpx.Client(base_url=gateway.url, timeout=60) as c:
        for method, path, status in [
            ("GET", "/no/such/route", 404),
            ("POST", "/invocations", 404),
            ("GET", "/serving-endpoints/live/invocations", 405),
            ("DELETE", "/serving-endpoints/live/status", 405),
        ]:
            r = c.request(method, path, headers=_auth(setup["token"]))
            assert r.status_code == status, (method, path)
            assert r.headers["content-type"].startswith("application/json")
            body = r.json()
            assert set(body) == {"error_code", "message"}
            assert body["error_code"] == "ENDPOINT_NOT_FOUND"
            assert "Traceback" not in r.text


def test_model_error_has_no_stack_trace(gateway, setup):
    with httpx.Client(base_url=gateway.url, timeout=60) as c:
        r = c.post(
            "/serving-endpoints/live/invocations",
            json={"dataframe_records": [{"a": "x"}]},
            headers=_auth(setup["token"]),
        )
        assert r.status_code == 400
        body = r.json()
        assert set(body) == {"error_code", "message"}
        assert "Traceback" not in r.text
        assert len(r.headers["x-request-id"]) == 32
