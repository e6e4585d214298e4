"""AutoML from ``modelyard server`` (``/api/2.0/modelyard/automl/...``), used by the web UI.

- ``POST upload?filename=train.csv`` (the raw CSV or Parquet bytes as the body, at most the
  server's artifact size limit): stores the file under ``<MODELYARD_AUTOML_HOME>/uploads/`` and
  answers ``{"path", "columns": [{"name", "dtype"}], "rows"}``.
- ``GET columns?path=``: the same description of a file already on the server.
- ``POST start``: ``data_path``, ``problem_type`` (classification / regression / forecast),
  ``target_col``, ``primary_metric``, ``timeout_minutes``, ``max_trials``, ``seed``, ``parallelism``,
  ``experiment_name``, and for forecasts ``time_col``, ``frequency``, ``horizon``. Starts the
  search in a child process (:mod:`modelyard.automl.launch`) and answers ``{"run_id",
  "experiment_id"}`` at once; the trials appear as the run's nested runs.
- ``POST cancel``: ``run_id``; the run is marked ``KILLED`` and the search's processes are
  stopped (400 ``INVALID_STATE`` when it is not running).
- ``GET log?run_id=``: the last lines of that search's output.

A data file (a relative path is read in the uploads folder) must lie under the uploads folder, the server's local artifact destination or one
of the folders in ``MODELYARD_AUTOML_DATA_ROOTS`` (``os.pathsep``-separated): callers cannot make
the server read files elsewhere. With ``--auth`` these routes are for admins (they start
processes on the server); the search then logs with a token of the admin who started it,
valid for the budget plus an hour.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from modelyard.automl.launch import (
    TAG_LAUNCHED,
    automl_home,
    build_command,
    cancel,
    launch,
    log_tail,
)
from modelyard.errors import InvalidParameterValue, PermissionDenied, ResourceDoesNotExist
from modelyard.server.local_files import allowed_folders, is_inside, local_path
from modelyard.server.routing import Call, Endpoint, read_body

__all__ = ["DATA_ROOTS_ENV", "ENDPOINTS"]

DATA_ROOTS_ENV = "MODELYARD_AUTOML_DATA_ROOTS"
_SUFFIXES = (".csv", ".parquet", ".pq")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_COUNT_CHUNK = 1 << 20


def _checked_path(call: Call, raw: Any, field: str = "data_path") -> Path:
    if not isinstance(raw, str) or not raw:
        raise InvalidParameterValue(f"Missing value for required field '{field}'.")
    uploads = automl_home() / "uploads"  # a relative path names a file in the uploads folder
    path = local_path(raw, relative_to=uploads)
    if not is_inside(path, allowed_folders(call.ctx.config, DATA_ROOTS_ENV, [uploads])):
        raise PermissionDenied(
            f"File {raw!r} (field '{field}') is outside the folders this server may read "
            f"(its AutoML uploads, its artifact destination and {DATA_ROOTS_ENV})."
        )
    if not path.is_file() or path.suffix.lower() not in _SUFFIXES:
        raise ResourceDoesNotExist(f"No CSV or Parquet file at {raw!r} (field '{field}').")
    return path


def describe(path: Path, count_rows: bool = True) -> dict[str, Any]:
    """Columns with their types and (``count_rows``: a CSV is read to its end for it) the
    number of rows of a CSV or Parquet file."""
    if path.suffix.lower() == ".csv":
        import pandas as pd

        try:
            head = pd.read_csv(path, nrows=1000)
        except Exception as exc:  # a file that is not CSV: say so, no traceback
            raise InvalidParameterValue(f"Cannot read {path.name} as CSV: {exc}") from None
        rows = _csv_rows(path) if count_rows else None
        columns = [{"name": str(c), "dtype": str(t)} for c, t in head.dtypes.items()]
    else:
        import pyarrow.parquet as pq

        try:
            meta = pq.ParquetFile(path)
        except Exception as exc:
            raise InvalidParameterValue(f"Cannot read {path.name} as Parquet: {exc}") from None
        rows = meta.metadata.num_rows
        columns = [{"name": f.name, "dtype": str(f.type)} for f in meta.schema_arrow]
    return {"path": str(path), "columns": columns, "rows": rows}


def _csv_rows(path: Path) -> int:
    with open(path, "rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(_COUNT_CHUNK), b""))
        f.seek(max(0, path.stat().st_size - 1))
        last = f.read(1)
    return max(0, lines - 1 + (1 if last not in (b"\n", b"") else 0))


async def upload(call: Call) -> dict[str, Any]:
    import anyio

    name = call.args.req_str("filename")
    stem = _SAFE_NAME.sub("_", os.path.basename(name)).strip("._") or "data"
    if Path(stem).suffix.lower() not in _SUFFIXES:
        raise InvalidParameterValue(
            f"Field 'filename' must end in .csv or .parquet (got {name!r})."
        )
    body = await read_body(call.request, call.ctx.config.max_artifact_bytes)
    if not body:
        raise InvalidParameterValue("The upload is empty (the file's bytes go in the body).")
    folder = automl_home() / "uploads" / secrets.token_hex(8)

    def _save() -> dict[str, Any]:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / stem
        partial = folder / f".{stem}.partial"
        partial.write_bytes(body)
        os.replace(partial, path)  # never a half-written file under the final name
        return describe(path)

    return await anyio.to_thread.run_sync(_save)


def columns(call: Call) -> dict[str, Any]:
    return describe(_checked_path(call, call.args.str("path"), "path"))


def _child_tracking(call: Call) -> tuple[str, dict[str, str]]:
    """Where the search logs: this server over HTTP when it proxies artifacts (``mlflow-
    artifacts:`` roots need the proxy), else straight to the database; with auth on and HTTP,
    a token of the caller (an admin) for the budget plus an hour."""
    from modelyard.utils.uris import absolute_tracking_uri

    config = call.ctx.config
    if not config.proxies_artifacts:
        return absolute_tracking_uri(str(config.backend_store_uri)), {}
    url = config.local_url(*(call.request.scope.get("server") or (None, None)))
    env: dict[str, str] = {}
    from modelyard.server.auth.middleware import SCOPE_SERVICE, SCOPE_USER

    service, user = call.request.scope.get(SCOPE_SERVICE), call.request.scope.get(SCOPE_USER)
    if service is not None and user is not None:
        budget = float(call.args.raw().get("timeout_minutes") or 120) * 60
        secret, _token = service.create_token(
            user, f"automl {time.strftime('%Y-%m-%d %H:%M')}", int(budget + 3600)
        )
        env["MLFLOW_TRACKING_TOKEN"] = secret
        for key in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            env[key] = ""
    return url, env


def start(call: Call) -> dict[str, Any]:
    body = call.args.raw()
    data = _checked_path(call, body.get("data_path"))
    problem = call.args.req_str("problem_type")
    options = {k: body.get(k) for k in body if k not in ("data_path", "problem_type")}
    build_command(str(data), problem, options)  # every field checked before anything is made
    names = {c["name"] for c in describe(data, count_rows=False)["columns"]}
    for field in ("target_col", "time_col"):
        value = options.get(field)
        if value and value not in names:
            raise InvalidParameterValue(
                f"Field '{field}': column {value!r} is not in {data.name} "
                f"(columns: {', '.join(sorted(names)[:20])})."
            )
    experiment_name = call.args.str("experiment_name") or (
        f"automl_{problem}_{time.strftime('%Y%m%d_%H%M%S')}"
    )
    tracking_uri, env = _child_tracking(call)
    from modelyard.server.auth.middleware import SCOPE_USER

    user = call.request.scope.get(SCOPE_USER)
    launched = launch(
        call.tracking,
        data_path=str(data),
        problem_type=problem,
        options=options,
        experiment_name=experiment_name,
        tracking_uri=tracking_uri,
        extra_env=env,
        user_id=getattr(user, "username", None),
    )
    return {"run_id": launched.run_id, "experiment_id": launched.experiment_id}


def cancel_search(call: Call) -> dict[str, Any]:
    from modelyard.server.auth.middleware import SCOPE_USER

    user = call.request.scope.get(SCOPE_USER)
    cancel(call.tracking, call.args.req_str("run_id"), getattr(user, "username", None))
    return {}


def log(call: Call) -> dict[str, Any]:
    run = call.tracking.get_run(call.args.req_str("run_id"))
    if run.data.tags.get(TAG_LAUNCHED) is None:
        raise ResourceDoesNotExist(f"Run {run.info.run_id} is not a search started here.")
    return {"log": log_tail(automl_home() / run.info.run_id / "automl.log")}


_P = "/modelyard/automl"
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", f"{_P}/upload", upload, body="stream"),
    Endpoint("GET", f"{_P}/columns", columns),
    Endpoint("POST", f"{_P}/start", start),
    Endpoint("POST", f"{_P}/cancel", cancel_search),
    Endpoint("GET", f"{_P}/log", log),
]
