"""Crash safety: a ``modelyard server`` killed with SIGKILL in the middle of a stream of
log-batch requests loses no acknowledged write and leaves no partial batch; eight concurrent
writers of 2,000 points each lose nothing.

Each batch ``b`` carries 100 metric points (steps ``b*100 .. b*100+99``), one param ``p<b>``
and one tag ``t<b>``, so a partially applied batch would show up as a step range with fewer
than 100 points or as a param without its tag or points.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

from modelyard.testing.server_process import ServerProcess

API = "/api/2.0/mlflow"
PER_BATCH = 100
WRITERS = 4


def _batch(run_id: str, b: int) -> dict:
    return {
        "run_id": run_id,
        "metrics": [
            {"key": "m", "value": float(s), "timestamp": 1_700_000_000_000 + s, "step": s}
            for s in range(b * PER_BATCH, (b + 1) * PER_BATCH)
        ],
        "params": [{"key": f"p{b}", "value": str(b)}],
        "tags": [{"key": f"t{b}", "value": str(b)}],
    }


def test_sigkill_mid_stream_loses_no_acknowledged_batch(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    server = ServerProcess(db, artifacts).start()
    try:
        exp = httpx.post(
            server.url + API + "/experiments/create", json={"name": "crash"}, timeout=60
        )
        run_id = httpx.post(
            server.url + API + "/runs/create",
            json={"experiment_id": exp.json()["experiment_id"]},
            timeout=60,
        ).json()["run"]["info"]["run_id"]
        acked: list[int] = []
        lock = threading.Lock()
        stop = threading.Event()

        def writer(w: int) -> None:
            # Writer w sends batches w, w + WRITERS, w + 2*WRITERS, ... until the server dies.
            with httpx.Client(timeout=60) as http:
                b = w
                while not stop.is_set():
                    try:
                        r = http.post(server.url + API + "/runs/log-batch", json=_batch(run_id, b))
                    except httpx.HTTPError:
                        return
                    if r.status_code == 200:
                        with lock:
                            acked.append(b)
                    b += WRITERS

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 300  # 60 acknowledged batches, however slow the machine
        while len(acked) < 60 and time.monotonic() < deadline:
            time.sleep(0.005)
        server.kill()  # SIGKILL while the writers still have requests in flight
        stop.set()
        for t in threads:
            t.join(timeout=120)
        assert len(acked) >= 60
    finally:
        server.stop()

    with ServerProcess(db, artifacts) as restarted:
        run = httpx.get(
            restarted.url + API + "/runs/get", params={"run_id": run_id}, timeout=60
        ).json()["run"]
        history: list[dict] = []
        token = None
        while True:
            page = httpx.get(
                restarted.url + API + "/metrics/get-history",
                params={"run_id": run_id, "metric_key": "m", "max_results": 25000}
                | ({"page_token": token} if token else {}),
                timeout=120,
            ).json()
            history += page.get("metrics", [])
            token = page.get("next_page_token")
            if not token:
                break
    points_per_batch = Counter(m["step"] // PER_BATCH for m in history)
    steps = [m["step"] for m in history]
    assert len(steps) == len(set(steps)), "a metric point was stored twice"
    params = {p["key"] for p in run["data"].get("params", [])}
    tags = {t["key"] for t in run["data"].get("tags", []) if t["key"].startswith("t")}
    present = set(points_per_batch)
    # every acknowledged batch is there, in full
    assert set(acked) <= present
    # no partial batch: each stored batch has all its points, its param and its tag
    assert all(n == PER_BATCH for n in points_per_batch.values()), points_per_batch
    assert params == {f"p{b}" for b in present}
    assert tags == {f"t{b}" for b in present}


def test_eight_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    n_writers, points, batch = 8, 2000, 200
    with ServerProcess(f"sqlite:///{tmp_path / 'store.db'}", artifacts) as server:
        exp_id = httpx.post(
            server.url + API + "/experiments/create",
            json={"name": f"w-{uuid.uuid4().hex}"},
            timeout=60,
        ).json()["experiment_id"]
        run_ids: dict[int, str] = {}
        errors: list[BaseException] = []

        def writer(w: int) -> None:
            try:
                with httpx.Client(timeout=60) as http:
                    run_id = http.post(
                        server.url + API + "/runs/create", json={"experiment_id": exp_id}
                    ).json()["run"]["info"]["run_id"]
                    run_ids[w] = run_id
                    for start in range(0, points, batch):
                        r = http.post(
                            server.url + API + "/runs/log-batch",
                            json={
                                "run_id": run_id,
                                "metrics": [
                                    {"key": "x", "value": float(s), "timestamp": s, "step": s}
                                    for s in range(start, start + batch)
                                ],
                            },
                        )
                        assert r.status_code == 200, r.text
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(n_writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not errors, errors
        assert not any(t.is_alive() for t in threads)
        for run_id in run_ids.values():
            history = httpx.get(
                server.url + API + "/metrics/get-history",
                params={"run_id": run_id, "metric_key": "x", "max_results": 25000},
                timeout=120,
            ).json()["metrics"]
            assert sorted(m["step"] for m in history) == list(range(points))
        assert len(run_ids) == n_writers
