"""One tracking workload, run under either library: ``python _workload.py mlflow|modelyard URI``.

Prints one JSON line of timings (seconds). The mlflow interpreter never imports modelyard and
vice versa, so each side runs in its own virtual environment.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    lib_name, uri = sys.argv[1], sys.argv[2]
    n_points = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
    n_runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
    if lib_name == "mlflow":
        import mlflow as lib
        from mlflow.entities import Metric, Param, RunTag
    else:
        import modelyard as lib
        from modelyard.entities import Metric, Param, RunTag
    client = lib.MlflowClient(tracking_uri=uri)
    out: dict[str, float] = {}

    exp = client.create_experiment(f"bench-{time.time_ns()}")
    run = client.create_run(exp)
    run_id = run.info.run_id
    ts = int(time.time() * 1000)
    t = time.perf_counter()
    for b in range(n_points // 1000):
        client.log_batch(
            run_id,
            metrics=[
                Metric("loss", 1.0 / (i + 1), ts + i, i) for i in range(b * 1000, (b + 1) * 1000)
            ],
        )
    out["log_batch_points_s"] = time.perf_counter() - t

    t = time.perf_counter()
    hist = client.get_metric_history(run_id, "loss")
    out["history_s"] = time.perf_counter() - t
    assert len(hist) == n_points, len(hist)

    exp2 = client.create_experiment(f"bench-runs-{time.time_ns()}")
    t = time.perf_counter()
    for i in range(n_runs):
        r = client.create_run(exp2)
        client.log_batch(
            r.info.run_id,
            metrics=[
                Metric(f"m{j}", ((i * 7919 + j * 104729) % 1000) / 1000, ts, 0) for j in range(10)
            ],
            params=[Param(f"p{j}", "a" if (i + j) % 2 == 0 else "b") for j in range(10)],
            tags=[RunTag(f"t{j}", f"v{i % 5}") for j in range(5)],
        )
    out["create_runs_s"] = time.perf_counter() - t

    t = time.perf_counter()
    found = 0
    token = None
    while True:
        page = client.search_runs(
            [exp2],
            "metrics.m1 > 0.5 and params.p1 = 'a'",
            max_results=1000,
            order_by=["metrics.m1 DESC"],
            page_token=token,
        )
        found += len(page)
        token = page.token
        if not token:
            break
    out["search_s"] = time.perf_counter() - t
    out["search_found"] = found
    print(json.dumps(out))


if __name__ == "__main__":
    main()
