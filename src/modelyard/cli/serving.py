"""Deployment commands: ``models serve``, ``models predict`` and the ``endpoints`` group.

``serve_command`` and ``predict_command`` are attached to ``modelyard models`` by
``modelyard.cli.main``; ``endpoints_group`` is the ``modelyard endpoints`` command.
"""

from __future__ import annotations

import json
from typing import Any

import click

from modelyard.cli._common import echo_table, tracking_uri_option, use_tracking_uri

__all__ = ["endpoints_group", "predict_command", "serve_command"]

_MAX_BODY_DEFAULT = 100 * 1024 * 1024


def _batching_options(func: Any) -> Any:
    func = click.option(
        "--max-wait-ms",
        type=float,
        default=0.0,
        show_default=True,
        help="Hold a micro-batch open this long to collect more rows (0: adaptive only).",
    )(func)
    func = click.option(
        "--max-batch-rows", type=int, default=512, show_default=True, help="Rows per predict call."
    )(func)
    func = click.option(
        "--predict-in-thread",
        is_flag=True,
        help="Run predict in a thread instead of on the event loop (for very slow models).",
    )(func)
    return click.option(
        "--batching/--no-batching",
        default=True,
        show_default=True,
        help="Group concurrent requests into one predict call.",
    )(func)


@click.command("serve")
@click.option(
    "-m",
    "--model-uri",
    required=True,
    help="models:/name/Stage, models:/name@alias, runs:/…, path.",
)
@click.option("-h", "--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=5000, show_default=True, type=int)
@click.option("-w", "--workers", default=1, show_default=True, type=int, help="Worker processes.")
@click.option(
    "--max-body-bytes",
    type=int,
    default=_MAX_BODY_DEFAULT,
    envvar="MODELYARD_SERVING_MAX_BODY_BYTES",
    show_default=True,
    help="Larger request bodies are refused with 413.",
)
@click.option("--timeout", type=float, default=None, help="Seconds per request (default 60) → 504.")
@click.option(
    "--env-manager", default="local", hidden=True, help="Accepted for MLflow parity; only 'local'."
)
@_batching_options
@tracking_uri_option
def serve_command(
    model_uri: str,
    host: str,
    port: int,
    workers: int,
    max_body_bytes: int,
    timeout: float | None,
    env_manager: str,
    batching: bool,
    max_batch_rows: int,
    max_wait_ms: float,
    predict_in_thread: bool,
    tracking_uri: str | None,
) -> None:
    """Serve a model over MLflow's scoring protocol (/invocations, /ping, /health, /version)."""
    if env_manager != "local":
        raise click.UsageError(
            "Only --env-manager local is supported: the model runs in this environment."
        )
    use_tracking_uri(tracking_uri)
    from modelyard.serving.scoring import serve_model

    serve_model(
        model_uri,
        host=host,
        port=port,
        workers=workers,
        batching=batching,
        max_batch_rows=max_batch_rows,
        max_wait_ms=max_wait_ms,
        predict_in_thread=predict_in_thread,
        max_body_bytes=max_body_bytes,
        timeout_s=timeout,
    )


@click.command("predict")
@click.option("-m", "--model-uri", required=True)
@click.option(
    "-i", "--input-path", "input_path", required=True, help="CSV, Parquet or Delta input."
)
@click.option(
    "-o",
    "--output-path",
    "output_path",
    required=True,
    help="*.csv, *.parquet, a parquet dir, or a Delta table dir.",
)
@click.option(
    "--mode", type=click.Choice(["append", "overwrite"]), default="overwrite", show_default=True
)
@click.option("--chunk-rows", type=int, default=100_000, show_default=True)
@click.option("--prediction-col", default="prediction", show_default=True)
@click.option(
    "--timestamp-col", default="prediction_date", show_default=True, help="Empty string: none."
)
@click.option("--input-format", type=click.Choice(["csv", "parquet", "delta"]), default=None)
@click.option("--output-format", type=click.Choice(["csv", "parquet", "delta"]), default=None)
@click.option("--no-progress", is_flag=True, help="Hide the progress bar.")
@tracking_uri_option
def predict_command(
    model_uri: str,
    input_path: str,
    output_path: str,
    mode: str,
    chunk_rows: int,
    prediction_col: str,
    timestamp_col: str,
    input_format: str | None,
    output_format: str | None,
    no_progress: bool,
    tracking_uri: str | None,
) -> None:
    """Batch inference: score a file or table in chunks and write the rows with predictions."""
    use_tracking_uri(tracking_uri)
    from modelyard.batch import predict

    result = predict(
        model_uri,
        input_path,
        output_path,
        mode=mode,
        chunk_rows=chunk_rows,
        prediction_col=prediction_col,
        timestamp_col=timestamp_col or None,
        input_format=input_format,
        output_format=output_format,
        progress=not no_progress,
    )
    click.echo(
        f"Wrote {result.rows} rows to {result.output} ({result.output_format}) in "
        f"{result.seconds:.2f} s ({result.rows_per_second:,.0f} rows/s)"
    )


# ---------------------------------------------------------------------- endpoints

_home_option = click.option(
    "--serving-home",
    envvar="MODELYARD_SERVING_HOME",
    default=None,
    help="Endpoint/token store directory (default ./modelyard-serving).",
)


def _parse_served(specs: tuple[str, ...]) -> list[dict[str, Any]]:
    """``name:version=3:70`` / ``name:stage=Production:30`` / ``name:alias=champion`` /
    ``name:stage=Staging:shadow`` or JSON."""
    out: list[dict[str, Any]] = []
    for spec in specs:
        if spec.lstrip().startswith("{"):
            out.append(json.loads(spec))
            continue
        parts = spec.split(":")
        if len(parts) not in (2, 3) or "=" not in parts[1]:
            raise click.BadParameter(
                f"{spec!r}: use MODEL:version=N[:PCT], MODEL:stage=S[:PCT], MODEL:alias=A[:PCT] "
                "(PCT may be 'shadow')"
            )
        kind, _, value = parts[1].partition("=")
        key = {"version": "model_version", "stage": "stage", "alias": "alias"}.get(kind)
        if key is None:
            raise click.BadParameter(f"{spec!r}: unknown selector {kind!r}")
        if len(parts) == 3 and parts[2] == "shadow":
            out.append({"model_name": parts[0], key: value, "shadow": True})
            continue
        try:
            pct = int(parts[2]) if len(parts) == 3 else 100
        except ValueError:
            raise click.BadParameter(
                f"{spec!r}: the traffic share must be a whole number or 'shadow'"
            ) from None
        out.append({"model_name": parts[0], key: value, "traffic_percentage": pct})
    return out


@click.group("endpoints")
def endpoints_group() -> None:
    """Serving endpoints: traffic-split model endpoints with bearer tokens and inference logs."""


@endpoints_group.command("create")
@click.argument("name")
@click.option(
    "-s",
    "--served-model",
    "served",
    multiple=True,
    required=True,
    help="MODEL:stage=Production[:PCT], MODEL:version=3[:PCT], MODEL:alias=A[:PCT] or JSON; "
    "PCT 'shadow' makes a shadow model (a copy of every request, answers only logged).",
)
@click.option(
    "--workload-size",
    type=click.Choice(["small", "medium", "large"]),
    default="small",
    show_default=True,
)
@click.option("--no-inference-log", is_flag=True)
@_batching_options
@_home_option
@tracking_uri_option
def _create(
    name: str,
    served: tuple[str, ...],
    workload_size: str,
    no_inference_log: bool,
    batching: bool,
    max_batch_rows: int,
    max_wait_ms: float,
    predict_in_thread: bool,
    serving_home: str | None,
    tracking_uri: str | None,
) -> None:
    """Create an endpoint."""
    use_tracking_uri(tracking_uri)
    from modelyard.serving import endpoints

    ep = endpoints.create_endpoint(
        name,
        _parse_served(served),
        workload_size,
        batching={
            "enabled": batching,
            "max_batch_rows": max_batch_rows,
            "max_wait_ms": max_wait_ms,
            "inline": not predict_in_thread,
        },
        inference_logging=not no_inference_log,
        home=serving_home,
    )
    click.echo(json.dumps(ep.to_dict(), indent=2))


@endpoints_group.command("update")
@click.argument("name")
@click.option("-s", "--served-model", "served", multiple=True)
@click.option("--workload-size", type=click.Choice(["small", "medium", "large"]), default=None)
@_home_option
@tracking_uri_option
def _update(
    name: str,
    served: tuple[str, ...],
    workload_size: str | None,
    serving_home: str | None,
    tracking_uri: str | None,
) -> None:
    """Change the served models / traffic split of an endpoint (running servers follow)."""
    use_tracking_uri(tracking_uri)
    from modelyard.serving import endpoints

    ep = endpoints.update_endpoint(
        name, _parse_served(served) if served else None, workload_size, home=serving_home
    )
    click.echo(json.dumps(ep.to_dict(), indent=2))


@endpoints_group.command("list")
@_home_option
def _list(serving_home: str | None) -> None:
    """List endpoints."""
    from modelyard.serving import endpoints

    rows = []
    for ep in endpoints.list_endpoints(home=serving_home):
        split = ", ".join(
            f"{m['model_name']}/{m.get('model_version') or m.get('stage') or '@' + str(m.get('alias'))}"
            f"={m['traffic_percentage']}%"
            for m in ep.served_models
        )
        rows.append((ep.name, ep.workload_size, split))
    echo_table(["name", "workload", "served models"], rows)


@endpoints_group.command("get")
@click.argument("name")
@_home_option
def _get(name: str, serving_home: str | None) -> None:
    """Show an endpoint and what its running workers serve."""
    from modelyard.serving import endpoints

    ep = endpoints.get_endpoint(name, home=serving_home).to_dict()
    ep["workers"] = endpoints.get_endpoint_status(name, home=serving_home)
    click.echo(json.dumps(ep, indent=2))


@endpoints_group.command("ab-report")
@click.argument("name")
@click.option(
    "--metric",
    default=None,
    help="accuracy, error_rate, latency_ms, mae or rmse (default: accuracy or rmse).",
)
@click.option("--since", default=None, help="ISO time or a duration back from now (7d, 2h).")
@click.option(
    "--min-samples", type=int, default=100, show_default=True, help="Units needed per variant."
)
@click.option("--alpha", type=float, default=0.05, show_default=True)
@click.option("--control", default=None, help="Served model (or variant) to compare against.")
@click.option(
    "--test",
    "test_name",
    type=click.Choice(["ztest", "chi2", "welch", "mannwhitney"]),
    default=None,
    help="Default: ztest for rates, mannwhitney for latency, welch for errors.",
)
@click.option("--monitor", default=None, help="Take the labels from this monitor.")
@click.option("--monitors-root", envvar="MODELYARD_MONITORS_ROOT", default=None)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_home_option
def _ab_report(
    name: str,
    metric: str | None,
    since: str | None,
    min_samples: int,
    alpha: float,
    control: str | None,
    test_name: str | None,
    monitor: str | None,
    monitors_root: str | None,
    as_json: bool,
    serving_home: str | None,
) -> None:
    """A/B and shadow analysis of an endpoint's inference table: per variant counts, latency,
    errors, predictions and quality; a significance test against the control; the winner."""
    from modelyard.mlops.ab import analyze_endpoint

    result = analyze_endpoint(
        name,
        metric=metric,
        since=since,
        min_samples=min_samples,
        alpha=alpha,
        control=control,
        test=test_name,
        monitor=monitor,
        monitors_root=monitors_root,
        home=serving_home,
    )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        click.echo(str(result))


@endpoints_group.command("delete")
@click.argument("name")
@_home_option
def _delete(name: str, serving_home: str | None) -> None:
    """Delete an endpoint (running servers drop it at their next poll)."""
    from modelyard.serving import endpoints

    endpoints.delete_endpoint(name, home=serving_home)
    click.echo(f"Deleted endpoint {name}")


@endpoints_group.command("serve")
@click.argument("names", nargs=-1)
@click.option("-h", "--host", default="127.0.0.1", show_default=True)
@click.option("-p", "--port", default=8080, show_default=True, type=int)
@click.option("-w", "--workers", default=None, type=int, help="Default: from the workload size.")
@click.option(
    "--poll-interval",
    type=float,
    default=5.0,
    show_default=True,
    help="Seconds between registry polls.",
)
@click.option("--disable-auth", is_flag=True, help="Accept requests without a bearer token.")
@click.option(
    "--auth-db",
    default=None,
    help="Tracking database of a 'modelyard server --auth': its users' tokens and basic "
    "credentials are accepted (CAN_QUERY / CAN_MANAGE on the endpoint).",
)
@click.option(
    "--max-body-bytes",
    type=int,
    default=_MAX_BODY_DEFAULT,
    envvar="MODELYARD_SERVING_MAX_BODY_BYTES",
    show_default=True,
)
@click.option(
    "--shadow-queue-size",
    type=int,
    default=1000,
    show_default=True,
    help="Request copies each worker holds for shadow models; more are dropped (counted).",
)
@_home_option
@tracking_uri_option
def _serve(
    names: tuple[str, ...],
    host: str,
    port: int,
    workers: int | None,
    poll_interval: float,
    disable_auth: bool,
    auth_db: str | None,
    max_body_bytes: int,
    shadow_queue_size: int,
    serving_home: str | None,
    tracking_uri: str | None,
) -> None:
    """Serve endpoints (all of them by default) at /serving-endpoints/<name>/invocations."""
    use_tracking_uri(tracking_uri)
    from modelyard.serving import endpoints

    endpoints.serve_endpoints(
        list(names) or None,
        host=host,
        port=port,
        workers=workers,
        auth=not disable_auth,
        poll_interval_s=poll_interval,
        max_body_bytes=max_body_bytes,
        home=serving_home,
        auth_db_uri=auth_db,
        shadow_queue_size=shadow_queue_size,
    )


@endpoints_group.group("tokens")
def tokens_group() -> None:
    """Bearer tokens for endpoint requests."""


@tokens_group.command("create")
@click.option("--comment", default=None)
@click.option("--endpoint", default=None, help="Restrict the token to one endpoint.")
@click.option("--lifetime-seconds", type=int, default=None)
@_home_option
def _token_create(
    comment: str | None,
    endpoint: str | None,
    lifetime_seconds: int | None,
    serving_home: str | None,
) -> None:
    """Create a token; the secret is printed once."""
    from modelyard.serving import endpoints

    click.echo(
        json.dumps(
            endpoints.create_token(
                comment, endpoint=endpoint, lifetime_seconds=lifetime_seconds, home=serving_home
            ),
            indent=2,
        )
    )


@tokens_group.command("revoke")
@click.argument("token_id")
@_home_option
def _token_revoke(token_id: str, serving_home: str | None) -> None:
    """Revoke a token (servers stop accepting it within seconds)."""
    from modelyard.serving import endpoints

    endpoints.revoke_token(token_id, home=serving_home)
    click.echo(f"Revoked token {token_id}")


@tokens_group.command("list")
@_home_option
def _token_list(serving_home: str | None) -> None:
    """List tokens (ids and metadata, never the secrets)."""
    from modelyard.serving import endpoints

    rows = [
        (
            t["token_id"],
            t["comment"] or "",
            t["endpoint"] or "*",
            t["creation_timestamp"],
            "yes" if t["revoked"] else "",
        )
        for t in endpoints.list_tokens(home=serving_home)
    ]
    echo_table(["token_id", "comment", "endpoint", "created", "revoked"], rows)
