"""Per-call logging throughput of ``modelyard server`` with auth off and with ``--auth``, side by
side in one run (the anchor is the same server without auth). Prints calls/s and the ratio.

    .venv/bin/python benchmarks/tracking/bench_auth.py [--calls 2000] [--workers 1]

Each call is one ``runs/log-metric`` on one keep-alive connection, as the MLflow client sends
them; with auth the caller is a non-admin user with EDIT through the experiment's creator grant
(basic auth, so the cached credential check, the permission lookup and the run-to-experiment
lookup are all on the path) and, separately, a personal access token.
"""

from __future__ import annotations

import argparse
import base64
import tempfile
import time
from pathlib import Path

import httpx

from modelyard.testing.server_process import ServerProcess

API = "/api/2.0/mlflow"


def _run(url: str, calls: int, headers: dict[str, str] | None = None) -> float:
    with httpx.Client(base_url=url, timeout=60, headers=headers) as c:
        eid = c.post(f"{API}/experiments/create", json={"name": f"b-{time.time_ns()}"}).json()[
            "experiment_id"
        ]
        run_id = c.post(f"{API}/runs/create", json={"experiment_id": eid}).json()["run"]["info"][
            "run_id"
        ]
        body = {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1, "step": 0}
        for _ in range(50):  # warm up
            c.post(f"{API}/runs/log-metric", json=body)
        start = time.perf_counter()
        for i in range(calls):
            body["step"] = i
            r = c.post(f"{API}/runs/log-metric", json=body)
            assert r.status_code == 200, r.text
        return calls / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for d in ("a1", "a2"):
            (base / d).mkdir()
        plain = ServerProcess(f"sqlite:///{base / 'plain.db'}", base / "a1", workers=args.workers)
        secured = ServerProcess(
            f"sqlite:///{base / 'auth.db'}",
            base / "a2",
            workers=args.workers,
            extra_args=("--auth",),
            env={"MLFLOW_AUTH_ADMIN_PASSWORD": "bench-admin-password"},
        )
        with plain, secured:
            admin = ("admin", "bench-admin-password")
            httpx.post(
                f"{secured.url}{API}/users/create",
                json={"username": "u", "password": "bench-user-password"},
                auth=admin,
            ).raise_for_status()
            user = ("u", "bench-user-password")
            token = httpx.post(
                f"{secured.url}{API}/users/tokens/create", json={}, auth=user
            ).json()["token"]
            basic = {
                "Authorization": "Basic " + base64.b64encode(b"u:bench-user-password").decode()
            }
            bearer = {"Authorization": f"Bearer {token}"}
            # interleaved rounds, so that a busy machine weighs on every variant alike
            rates: dict[str, list[float]] = {"off": [], "basic": [], "token": []}
            for _ in range(args.rounds):
                rates["off"].append(_run(plain.url, args.calls))
                rates["token"].append(_run(secured.url, args.calls, headers=bearer))
                rates["basic"].append(_run(secured.url, args.calls, headers=basic))
            off, on_basic, on_token = (max(rates[k]) for k in ("off", "basic", "token"))
    print(f"best of {args.rounds} rounds of {args.calls} calls")
    print(f"log-metric calls/s  auth off: {off:8.1f}")
    print(f"log-metric calls/s  basic:    {on_basic:8.1f}  ratio {on_basic / off:.3f}")
    print(f"log-metric calls/s  token:    {on_token:8.1f}  ratio {on_token / off:.3f}")


if __name__ == "__main__":
    main()
