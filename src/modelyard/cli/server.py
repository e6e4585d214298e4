"""``modelyard server``: run the MLflow-compatible tracking server with uvicorn.

With ``--workers N`` (N > 1) uvicorn starts N processes that each build the app through the
factory ``modelyard.server:app_from_env``; the configuration travels in one environment
variable (``MODELYARD_SERVER_CONFIG``) set by this command.
"""

from __future__ import annotations

import os
from typing import Any

import click

__all__ = ["server_command"]


def _split(values: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


def _as_uri(location: str) -> str:
    """A plain local path becomes an absolute ``file://`` URI; URIs are kept as they are."""
    from pathlib import Path

    scheme = location.split(":", 1)[0] if ":" in location else ""
    if len(scheme) > 1 and "/" not in scheme:
        return location
    return Path(location).expanduser().resolve().as_uri()


def _prepare_auth(config: Any) -> None:
    """Create the first admin now (or refuse to start), before any worker starts."""
    from modelyard.errors import ModelyardError
    from modelyard.server.auth import build_auth_service

    try:
        build_auth_service(config)
    except ModelyardError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("server")
@click.option("--host", "-h", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", "-p", default=5000, show_default=True, type=int, help="Port to bind.")
@click.option(
    "--backend-store-uri",
    default=None,
    help="Tracking store URI (default: sqlite:///modelyard.db in the current directory).",
)
@click.option("--registry-store-uri", default=None, help="Registry store URI (default: backend).")
@click.option(
    "--artifacts-destination",
    default=None,
    help="Where the artifact proxy stores files (default: ./modelyard-artifacts beside the DB).",
)
@click.option(
    "--default-artifact-root",
    default=None,
    help="Artifact root of new experiments (default: mlflow-artifacts:/ when serving artifacts).",
)
@click.option(
    "--serve-artifacts/--no-serve-artifacts",
    default=True,
    show_default=True,
    help="Serve the mlflow-artifacts proxy.",
)
@click.option("--workers", "-w", default=1, show_default=True, type=int, help="Worker processes.")
@click.option(
    "--allowed-hosts",
    multiple=True,
    help="Extra Host header values to accept (comma-separated or repeated; '*' for any).",
)
@click.option(
    "--cors-allowed-origins",
    multiple=True,
    help="Origins allowed to make cross-origin requests (comma-separated or repeated; '*').",
)
@click.option(
    "--max-request-bytes", default=None, type=int, help="Largest JSON request body accepted."
)
@click.option(
    "--max-artifact-bytes", default=None, type=int, help="Largest artifact upload accepted."
)
@click.option("--static-prefix", default="", help="Prefix added to every route (e.g. /mlflow).")
@click.option(
    "--disable-security-middleware",
    is_flag=True,
    default=False,
    help="Turn off the Host and Origin checks (only behind a trusted proxy).",
)
@click.option(
    "--auth",
    "auth",
    is_flag=True,
    default=False,
    help="Require users, tokens and permissions (the first admin's password comes from "
    "MLFLOW_AUTH_ADMIN_PASSWORD or --auth-config).",
)
@click.option(
    "--app-name",
    default=None,
    type=click.Choice(["basic-auth"]),
    help="MLflow's spelling of --auth: 'basic-auth'.",
)
@click.option(
    "--auth-admin-username",
    default=None,
    help="Name of the first admin, created when there is no user yet (default: admin).",
)
@click.option(
    "--auth-default-permission",
    default=None,
    type=click.Choice(["NO_PERMISSIONS", "READ", "USE", "EDIT", "MANAGE"]),
    help="Permission of users on resources they have no grant on (default: NO_PERMISSIONS).",
)
@click.option(
    "--auth-config",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="INI file with an [mlflow] section: admin_username, admin_password, default_permission.",
)
@click.option("--log-level", default="warning", show_default=True, help="uvicorn log level.")
def server_command(
    host: str,
    port: int,
    backend_store_uri: str | None,
    registry_store_uri: str | None,
    artifacts_destination: str | None,
    default_artifact_root: str | None,
    serve_artifacts: bool,
    workers: int,
    allowed_hosts: tuple[str, ...],
    cors_allowed_origins: tuple[str, ...],
    max_request_bytes: int | None,
    max_artifact_bytes: int | None,
    static_prefix: str,
    disable_security_middleware: bool,
    auth: bool,
    app_name: str | None,
    auth_admin_username: str | None,
    auth_default_permission: str | None,
    auth_config: str | None,
    log_level: str,
) -> None:
    """Run the tracking server (MLflow REST API, registry and artifact proxy)."""
    import uvicorn

    from modelyard import settings
    from modelyard.server.config import ServerConfig

    extra: dict[str, Any] = {}
    if max_request_bytes is not None:
        extra["max_request_bytes"] = max_request_bytes
    if max_artifact_bytes is not None:
        extra["max_artifact_bytes"] = max_artifact_bytes
    if artifacts_destination:
        artifacts_destination = _as_uri(artifacts_destination)
    if auth or app_name == "basic-auth":
        extra["auth"] = True
        if auth_admin_username:
            extra["auth_admin_username"] = auth_admin_username
        if auth_default_permission:
            extra["auth_default_permission"] = auth_default_permission
        if auth_config:
            extra["auth_config"] = os.path.abspath(auth_config)
    config = ServerConfig(
        backend_store_uri=backend_store_uri or settings.default_tracking_uri(),
        registry_store_uri=registry_store_uri,
        default_artifact_root=default_artifact_root,
        artifacts_destination=artifacts_destination,
        serve_artifacts=serve_artifacts,
        host=host,
        port=port,
        allowed_hosts=_split(allowed_hosts),
        cors_allowed_origins=_split(cors_allowed_origins),
        static_prefix=static_prefix,
        security_checks=not disable_security_middleware,
        **extra,
    )
    if config.auth:
        _prepare_auth(config)
    click.echo(f"modelyard server listening on http://{host}:{port}{config.static_prefix}")
    if host in ("0.0.0.0", "::") and not config.allowed_hosts:
        click.echo(
            "note: only localhost Host headers are accepted; pass --allowed-hosts with the "
            "names clients use to reach this server (or '*').",
            err=True,
        )
    if workers > 1:
        # Create or upgrade the schema once, here, so that the workers do not race to do it.
        from modelyard.server.context import ServerContext

        warm = ServerContext(config)
        warm.tracking  # noqa: B018
        warm.registry  # noqa: B018
        os.environ.update(config.to_env())
        uvicorn.run(
            "modelyard.server:app_from_env",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level=log_level,
            proxy_headers=False,
            ws="none",  # no websocket routes: skip loading the websockets stack
        )
    else:
        from modelyard.server import create_app

        uvicorn.run(
            create_app(config),
            host=host,
            port=port,
            log_level=log_level,
            proxy_headers=False,
            ws="none",
        )
