"""Shadow served models and the A/B analysis over a real endpoint: a 2-worker gateway serving
two registered versions at 50/50 plus a shadow version, real HTTP requests, the Delta inference
table read back, labels logged later through a monitor, the analysis in Python, over REST and
on the command line, and a hot reload of the shadow."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from serving_helpers import FEATURES, fit, row_dicts

from modelyard import monitoring
from modelyard.errors import InvalidParameterValue
from modelyard.mlops import ab
from modelyard.serving import endpoints

pytestmark = pytest.mark.timeout(600)

N = 240
ROWS = row_dicts(N, seed=5)
FRAME = pd.DataFrame(ROWS)[FEATURES]
NORMAL = fit().predict(FRAME).tolist()
FLIPPED = fit(flip=True).predict(FRAME).tolist()
TRUTH = ((FRAME["monthly_charges"] > 70) & (FRAME["tenure"] < 30)).astype(int).tolist()


@pytest.fixture(scope="module")
def setup(registry):
    v = {
        "control": registry.register("shd", stage="Production"),
        "challenger": registry.register("shd", flip=True),
        "shadow": registry.register("shd"),
        "shadow2": registry.register("shd", flip=True),
    }
    endpoints.create_endpoint(
        "shd",
        [
            {"name": "control", "model_name": "shd", "model_version": v["control"],
             "traffic_percentage": 50},
            {"name": "challenger", "model_name": "shd", "model_version": v["challenger"],
             "traffic_percentage": 50},
            {"name": "shadow", "model_name": "shd", "model_version": v["shadow"], "shadow": True},
        ],
        home=registry.home,
    )  # fmt: skip
    token = endpoints.create_token("shadow tests", home=registry.home)["token"]
    return {"versions": v, "token": token, "monitors": str(registry.root / "monitors")}


@pytest.fixture(scope="module")
def gateway(start_server, registry, setup):
    env = {**registry.env, "MODELYARD_MONITORS_ROOT": setup["monitors"]}
    return start_server(
        ["endpoints", "serve", "--workers", "2", "--poll-interval", "0.5"], env, workers=2
    )


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _send(url: str, token: str, indices: list[int]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        sem = asyncio.Semaphore(8)

        async def one(i: int) -> httpx.Response:
            async with sem:
                return await client.post(
                    "/serving-endpoints/shd/invocations",
                    json={"dataframe_records": [ROWS[i]]},
                    headers=_auth(token),
                )

        return await asyncio.gather(*(one(i) for i in indices))


def _wait_for_rows(home: Any, predicate: Any, what: str, timeout: float = 240.0) -> pd.DataFrame:
    deadline = time.time() + timeout
    while True:
        frame = endpoints.read_inference_table("shd", home=home)
        if predicate(frame):
            return frame
        assert time.time() < deadline, f"timed out waiting for {what}: {len(frame)} rows"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def traffic(gateway, setup, registry):
    """N single-row requests; request id -> row index and the version that answered."""
    v = setup["versions"]
    responses = asyncio.run(_send(gateway.url, setup["token"], list(range(N))))
    sent: dict[str, tuple[int, str]] = {}
    for i, r in enumerate(responses):
        assert r.status_code == 200, r.text
        version = r.headers["X-Modelyard-Model-Version"]
        assert version in (v["control"], v["challenger"])
        sent[r.headers["X-Request-Id"]] = (i, version)
        # the caller gets the live model's answer, never the shadow's (which is NORMAL)
        want = NORMAL[i] if version == v["control"] else FLIPPED[i]
        assert r.json() == {"predictions": [want]}
    frame = _wait_for_rows(
        registry.home,
        lambda f: int(f["shadow"].sum()) >= N and int((~f["shadow"]).sum()) >= N,
        "the live and shadow rows",
    )
    return {"sent": sent, "frame": frame}


def test_shadow_config_is_validated(registry):
    base = {"model_name": "shd", "model_version": "1", "traffic_percentage": 100}
    with pytest.raises(InvalidParameterValue, match="'traffic_percentage' of shadow"):
        endpoints.create_endpoint(
            "x",
            [base, {"model_name": "shd", "model_version": "2", "shadow": True,
                    "traffic_percentage": 10}],
            validate=False,
            home=registry.home,
        )  # fmt: skip
    with pytest.raises(InvalidParameterValue, match="Field 'shadow'"):
        endpoints.create_endpoint(
            "x",
            [base, {"model_name": "shd", "model_version": "2", "shadow": "yes"}],
            validate=False,
            home=registry.home,
        )
    with pytest.raises(InvalidParameterValue, match="not 'shadow'"):
        endpoints.create_endpoint(
            "x", [{"model_name": "shd", "model_version": "2", "shadow": True}], home=registry.home
        )
    assert "x" not in [e.name for e in endpoints.list_endpoints(home=registry.home)]


def test_cli_parses_a_shadow_served_model(registry, setup):
    from modelyard.cli.main import cli

    v = setup["versions"]
    result = CliRunner().invoke(
        cli,
        [
            "endpoints", "create", "shd-cli",
            "-s", f"shd:version={v['control']}",
            "-s", f"shd:version={v['shadow']}:shadow",
            "--serving-home", str(registry.home),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    served = json.loads(result.output)["served_models"]
    assert [(m["shadow"], m["traffic_percentage"]) for m in served] == [(False, 100), (True, 0)]
    endpoints.delete_endpoint("shd-cli", home=registry.home)


def test_shadow_answers_are_logged_never_returned(traffic, setup):
    v = setup["versions"]
    sent, frame = traffic["sent"], traffic["frame"]
    live = frame[~frame["shadow"] & frame["request_id"].isin(list(sent))]
    shadow = frame[frame["shadow"] & frame["request_id"].isin(list(sent))]
    assert len(live) == N and len(shadow) == N
    assert set(shadow["request_id"]) == set(sent)  # a copy of every request, same id
    assert set(shadow["served_model"]) == {"shadow"}
    assert set(shadow["model_version"]) == {v["shadow"]}
    assert set(shadow["status_code"]) == {200}
    assert (shadow["latency_ms"] >= 0).all()
    assert (shadow["request"] == "").all()  # the request itself is on the live row
    for rec in shadow.itertuples():
        i, _ = sent[rec.request_id]
        assert json.loads(rec.response) == {"predictions": [NORMAL[i]]}
    for rec in live.itertuples():
        i, version = sent[rec.request_id]
        assert rec.model_version == version
        assert json.loads(rec.request) == {"dataframe_records": [ROWS[i]]}


@pytest.fixture(scope="module")
def monitor(traffic, registry, setup):
    table = str(endpoints.inference_table_path("shd", home=registry.home))
    return monitoring.create_monitor(
        "shd-quality",
        table=table,
        granularities=["1 day"],
        label_col="churn",
        problem_type="classification",
        root=setup["monitors"],
    )


def test_monitors_leave_shadow_rows_out(monitor, setup):
    monitoring.refresh_monitor(monitor.name, root=setup["monitors"])
    prof = monitoring.get_monitor(monitor.name, root=setup["monitors"]).profile_metrics()
    counts = prof[(prof["column_name"] == "age") & (prof["slice_key"] == ":all")]["count"]
    assert list(counts) == [N]  # the live rows only, not the shadow copies


@pytest.fixture(scope="module")
def labelled(traffic, monitor, setup, registry):
    """Before the labels: no quality, "not enough data"; then the labels arrive."""
    before = ab.analyze_endpoint(
        "shd",
        metric="accuracy",
        min_samples=30,
        home=registry.home,
        monitors_root=setup["monitors"],
    )
    assert before.winner is None
    assert before.verdict.startswith("not enough data yet (n=0, need 30)")
    assert all(v.labelled == 0 and v.quality == {} for v in before.variants)
    ids = list(traffic["sent"])
    labels = [TRUTH[traffic["sent"][rid][0]] for rid in ids]
    assert monitoring.log_labels("shd-quality", ids, labels, root=setup["monitors"]) == N
    return traffic


def test_analysis_per_variant(labelled, setup, registry):
    v = setup["versions"]
    result = ab.analyze_endpoint(
        "shd",
        metric="accuracy",
        min_samples=30,
        home=registry.home,
        monitors_root=setup["monitors"],
    )
    by = {x.served_model: x for x in result.variants}
    assert set(by) == {"control", "challenger", "shadow"}
    ctrl, chal, shad = by["control"], by["challenger"], by["shadow"]
    assert result.control == ctrl.variant == f"control:v{v['control']}"
    assert (ctrl.role, chal.role, shad.role) == ("control", "challenger", "shadow")
    assert ctrl.requests + chal.requests == N and shad.requests == N
    assert ctrl.requests > 50 and chal.requests > 50  # 50/50, N=240
    assert ctrl.traffic_share + chal.traffic_share == pytest.approx(1.0)
    assert shad.traffic_share is None
    for x in (ctrl, chal, shad):
        assert x.errors == 0 and x.error_rate == 0.0
        assert 0 <= x.latency_p50_ms <= x.latency_p95_ms <= x.latency_p99_ms
        assert x.labelled == x.records == x.requests
        assert sum(x.prediction_distribution.values()) == pytest.approx(1.0)
    # quality: the monitors' metrics, against the true labels
    sent = labelled["sent"]
    for x, preds in ((ctrl, NORMAL), (chal, FLIPPED)):
        idx = [i for i, ver in sent.values() if ver == x.model_version]
        want = float(np.mean([preds[i] == TRUTH[i] for i in idx]))
        assert x.quality["accuracy"] == pytest.approx(want)
        assert x.metric_value == pytest.approx(want)
    assert shad.quality["accuracy"] == pytest.approx(np.mean(np.equal(NORMAL, TRUTH)))
    assert ctrl.quality["accuracy"] > 0.8 and chal.quality["accuracy"] < 0.2
    assert {"precision", "recall", "f1"} <= set(ctrl.quality)
    # the flipped challenger loses; the shadow (same model as the control) agrees with it fully
    comp = result.comparison(chal.variant)
    assert not comp.paired and comp.significant and comp.better == ctrl.variant
    scomp = result.comparison(shad.variant)
    assert scomp.paired and scomp.n_pairs == ctrl.requests
    assert scomp.agreement == 1.0 and not scomp.significant
    assert result.winner is None
    assert "significantly worse: " + chal.variant in result.verdict
    frame = result.to_frame()
    assert list(frame["variant"]) == [x.variant for x in result.variants]
    assert "quality_accuracy" in frame.columns
    text = str(result)
    assert "Verdict:" in text and "Winner: none" in text and shad.variant in text


def test_analysis_other_control_and_metrics(labelled, setup, registry):
    v = setup["versions"]
    opts = {"home": registry.home, "monitors_root": setup["monitors"], "min_samples": 30}
    result = ab.analyze_endpoint("shd", metric="accuracy", control="challenger", **opts)
    assert result.winner is not None
    assert result.winner.model_version in (v["control"], v["shadow"])
    # the shadow against the flipped challenger, paired on the challenger's requests
    scomp = result.comparison(f"shadow:v{v['shadow']}")
    assert scomp.paired and scomp.agreement == 0.0 and scomp.better == scomp.challenger
    errors = ab.analyze_endpoint("shd", metric="error_rate", **opts)
    assert errors.winner is None and all(c.p_value == 1.0 for c in errors.comparisons)
    latency = ab.analyze_endpoint("shd", metric="latency_ms", **opts)
    assert all(c.p_value is not None for c in latency.comparisons)


def test_rest_route(labelled, gateway, setup):
    url = f"{gateway.url}/serving-endpoints/shd/ab-analysis"
    r = httpx.get(url, params={"metric": "accuracy", "min_samples": "30"}, timeout=120)
    assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"
    auth = _auth(setup["token"])
    r = httpx.get(
        url, params={"metric": "accuracy", "min_samples": "30"}, headers=auth, timeout=120
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert {x["served_model"] for x in body["variants"]} == {"control", "challenger", "shadow"}
    assert sum(x["requests"] for x in body["variants"]) >= 2 * N
    assert all(x["labelled"] > 0 for x in body["variants"])
    assert body["winner"] is None and body["metric"] == "accuracy"
    r = httpx.get(url, params={"min_samples": "many"}, headers=auth, timeout=60)
    assert r.status_code == 400 and "min_samples" in r.json()["message"]
    assert "Traceback" not in r.text
    r = httpx.get(url, params={"metric": "speed"}, headers=auth, timeout=60)
    assert r.status_code == 400 and "speed" in r.json()["message"]
    r = httpx.get(url, params={"colour": "red"}, headers=auth, timeout=60)
    assert r.status_code == 400 and "colour" in r.json()["message"]
    r = httpx.get(f"{gateway.url}/serving-endpoints/nope/ab-analysis", headers=auth, timeout=60)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_cli_ab_report(labelled, setup, registry):
    from modelyard.cli.main import cli

    args = [
        "endpoints", "ab-report", "shd", "--min-samples", "30",
        "--serving-home", str(registry.home), "--monitors-root", setup["monitors"],
    ]  # fmt: skip
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["metric"] == "accuracy" and len(body["variants"]) == 3
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Verdict:" in result.output and "challenger" in result.output
    result = CliRunner().invoke(cli, [*args, "--metric", "speed"])
    assert result.exit_code != 0
    assert "INVALID_PARAMETER_VALUE" in result.output and "Traceback" not in result.output


def test_shadow_hot_reload(labelled, gateway, setup, registry):
    """Pointing the shadow at another version: the workers load it and its answers are logged,
    live answers stay the live models'."""
    v = setup["versions"]
    ep = endpoints.get_endpoint("shd", home=registry.home)
    served = [dict(m) for m in ep.served_models]
    served[2]["model_version"] = v["shadow2"]
    endpoints.update_endpoint("shd", served, home=registry.home)
    deadline = time.time() + 240
    seen: dict[str, int] = {}
    while True:
        responses = asyncio.run(_send(gateway.url, setup["token"], list(range(10))))
        for i, r in enumerate(responses):
            version = r.headers["X-Modelyard-Model-Version"]
            want = NORMAL[i] if version == v["control"] else FLIPPED[i]
            assert r.json() == {"predictions": [want]}
            seen[r.headers["X-Request-Id"]] = i
        frame = endpoints.read_inference_table("shd", home=registry.home)
        new = frame[frame["shadow"] & (frame["model_version"] == v["shadow2"])]
        if len(new):
            break
        assert time.time() < deadline, "the shadow never switched to the new version"
        time.sleep(0.5)
    for rec in new.itertuples():
        assert json.loads(rec.response) == {"predictions": [FLIPPED[seen[rec.request_id]]]}


def test_streamed_body_is_logged_and_copied(labelled, gateway, setup, registry):
    """A chunked request body (no Content-Length) reaches the inference log and the shadow."""

    def chunks():
        yield b'{"dataframe_records": '
        yield json.dumps([ROWS[0]]).encode() + b"}"

    r = httpx.post(
        f"{gateway.url}/serving-endpoints/shd/invocations",
        content=chunks(),
        headers={**_auth(setup["token"]), "Content-Type": "application/json"},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    rid = r.headers["X-Request-Id"]
    frame = _wait_for_rows(
        registry.home, lambda f: int((f["request_id"] == rid).sum()) == 2, "both rows"
    )
    rows = frame[frame["request_id"] == rid]
    live = rows[~rows["shadow"]].iloc[0]
    assert json.loads(live["request"]) == {"dataframe_records": [ROWS[0]]}
    assert json.loads(live["response"]) == r.json()
    shadow = rows[rows["shadow"]].iloc[0]
    assert shadow["status_code"] == 200
    assert len(json.loads(shadow["response"])["predictions"]) == 1
