"""``modelyard models``: registered models, their versions, stages, aliases and history.

The group object ``models_group`` is public: the serving feature adds ``serve`` and ``predict``
to it from its own module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from modelyard.cli._common import echo_table, tracking_uri_option, use_tracking_uri

__all__ = ["models_group"]


def _fmt_time(ms: int | None) -> str:
    if not ms:
        return ""
    import datetime as dt

    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _registry_uri_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--registry-uri",
        envvar="MLFLOW_REGISTRY_URI",
        default=None,
        help="Model registry URI (default: the tracking URI).",
    )(func)


def _client(tracking_uri: str | None, registry_uri: str | None) -> Any:
    from modelyard.client import MlflowClient

    use_tracking_uri(tracking_uri)
    return MlflowClient(registry_uri=registry_uri) if registry_uri else MlflowClient()


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@click.group("models")
def models_group() -> None:
    """Registered models: list them, show versions, move stages, set aliases, read history."""


@models_group.command("list")
@click.option("--filter", "filter_string", default="", help="e.g. \"name LIKE 'churn%'\"")
@click.option("--max-results", default=100, show_default=True, help="At most 1000.")
@tracking_uri_option
@_registry_uri_option
def list_(
    filter_string: str, max_results: int, tracking_uri: str | None, registry_uri: str | None
) -> None:
    """List registered models with their latest version per stage and their aliases."""
    client = _client(tracking_uri, registry_uri)
    models = client.search_registered_models(filter_string or None, max_results=max_results)
    rows = []
    for m in models:
        latest = sorted(m.latest_versions, key=lambda v: int(v.version))
        rows.append(
            (
                m.name,
                ", ".join(f"{v.current_stage}:v{v.version}" for v in latest),
                ", ".join(f"{a}->v{v}" for a, v in sorted(m.aliases.items())),
                _fmt_time(m.last_updated_timestamp),
                m.description or "",
            )
        )
    echo_table(["name", "latest versions", "aliases", "last updated (UTC)", "description"], rows)


@models_group.command("versions")
@click.argument("name")
@click.option("--stage", default=None, help="Only versions in this stage (e.g. Production).")
@tracking_uri_option
@_registry_uri_option
def versions(
    name: str, stage: str | None, tracking_uri: str | None, registry_uri: str | None
) -> None:
    """Show every version of model NAME, newest first."""
    from modelyard.entities import Stage

    client = _client(tracking_uri, registry_uri)
    client.get_registered_model(name)  # a clear error for an unknown model
    found = client.search_model_versions(f"name = {_quote(name)}", order_by=["version_number DESC"])
    if stage:
        wanted = Stage.canonical(stage)
        found = [v for v in found if v.current_stage == wanted]
    echo_table(
        ["version", "stage", "aliases", "run_id", "source", "created (UTC)"],
        [
            (
                v.version,
                v.current_stage,
                ", ".join(v.aliases),
                v.run_id or "",
                v.source or "",
                _fmt_time(v.creation_timestamp),
            )
            for v in found
        ],
    )


@models_group.command("transition")
@click.argument("name")
@click.argument("version")
@click.argument("stage")
@click.option(
    "--archive-existing/--keep-existing",
    default=False,
    show_default=True,
    help="Move the other versions currently in STAGE to Archived (Staging/Production only).",
)
@tracking_uri_option
@_registry_uri_option
@click.option("--force", is_flag=True, help="Go past failed promotion gates (recorded; MANAGE).")
@click.option("--comment", default=None, help="Why (kept with the transition).")
def transition(
    name: str,
    version: str,
    stage: str,
    archive_existing: bool,
    tracking_uri: str | None,
    registry_uri: str | None,
    force: bool,
    comment: str | None,
) -> None:
    """Move VERSION of model NAME to STAGE (None, Staging, Production, Archived), through the
    gates of the model's promotion policy."""
    client = _client(tracking_uri, registry_uri)
    mv = client.transition_model_version_stage(
        name, version, stage, archive_existing, force=force, comment=comment
    )
    click.echo(f"{name} v{mv.version} is now in stage {mv.current_stage}.")


@models_group.command("alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version", required=False)
@click.option("--delete", is_flag=True, help="Remove ALIAS from the model.")
@click.option("--force", is_flag=True, help="Go past failed promotion gates (recorded; MANAGE).")
@tracking_uri_option
@_registry_uri_option
def alias(
    name: str,
    alias: str,
    version: str | None,
    delete: bool,
    force: bool,
    tracking_uri: str | None,
    registry_uri: str | None,
) -> None:
    """Point ALIAS of model NAME at VERSION, show where it points (no VERSION), or --delete it."""
    client = _client(tracking_uri, registry_uri)
    if delete:
        if version:
            raise click.UsageError("Give either VERSION or --delete, not both.")
        client.delete_registered_model_alias(name, alias)
        click.echo(f"Alias '{alias}' of {name} deleted.")
    elif version:
        client.set_registered_model_alias(name, alias, version, force=force)
        click.echo(f"Alias '{alias}' of {name} now points to v{version}.")
    else:
        mv = client.get_model_version_by_alias(name, alias)
        click.echo(f"{name}@{alias} -> v{mv.version} ({mv.current_stage}) {mv.source or ''}")


@models_group.command("history")
@click.argument("name")
@click.option("--version", default=None, help="Only this version.")
@tracking_uri_option
@_registry_uri_option
def history(
    name: str, version: str | None, tracking_uri: str | None, registry_uri: str | None
) -> None:
    """Audit trail of model NAME: every stage move and alias change, who made it and when."""
    client = _client(tracking_uri, registry_uri)
    entries = client.get_model_history(name, version)
    changes = {"stage": "stage", "alias_set": "alias set", "alias_deleted": "alias removed"}
    echo_table(
        ["time (UTC)", "user", "version", "change", "from", "to"],
        [
            (
                _fmt_time(e.timestamp),
                e.user_id or "",
                e.version,
                changes.get(e.kind, e.kind),
                e.from_value or "",
                e.to_value or "",
            )
            for e in entries
        ],
    )


# ---------------------------------------------------------------- promotion policies and gates
@models_group.group("policy")
def policy_group() -> None:
    """Promotion policies (gates per target stage and alias), versioned in the registry."""


@policy_group.command("set")
@click.argument("name")
@click.argument("policy_file", type=click.Path(exists=True, dir_okay=False))
@tracking_uri_option
@_registry_uri_option
def policy_set(
    name: str, policy_file: str, tracking_uri: str | None, registry_uri: str | None
) -> None:
    """Store POLICY_FILE (YAML or JSON) as the next policy version of model NAME."""
    from pathlib import Path

    client = _client(tracking_uri, registry_uri)
    policy = client.set_registered_model_policy(name, Path(policy_file))
    click.echo(f"Policy version {policy.version} of {name} stored.")


@policy_group.command("show")
@click.argument("name")
@click.option("--version", default=None, type=int, help="A policy version (default: newest).")
@tracking_uri_option
@_registry_uri_option
def policy_show(
    name: str, version: int | None, tracking_uri: str | None, registry_uri: str | None
) -> None:
    """Print the policy of model NAME as YAML."""
    import yaml

    client = _client(tracking_uri, registry_uri)
    policy = client.get_registered_model_policy(name, version)
    if policy is None:
        click.echo(f"{name} has no promotion policy.")
        return
    click.echo(f"# policy version {policy.version} of {name}")
    click.echo(yaml.safe_dump(policy.document, sort_keys=False).rstrip())


@models_group.command("gates")
@click.argument("name")
@click.option("--version", default=None, help="Only this version.")
@tracking_uri_option
@_registry_uri_option
def gates(
    name: str, version: str | None, tracking_uri: str | None, registry_uri: str | None
) -> None:
    """Every recorded gate result of model NAME with its outcome and evidence."""
    client = _client(tracking_uri, registry_uri)
    echo_table(
        ["time (UTC)", "user", "version", "target", "gate", "outcome", "message"],
        [
            (
                _fmt_time(e.timestamp),
                e.user_id or "",
                e.version,
                e.target,
                e.record.gate,
                e.record.outcome,
                e.record.message,
            )
            for e in client.get_gate_results(name, version)
        ],
    )


# ---------------------------------------------------------------- transition requests
@models_group.group("requests")
def requests_group() -> None:
    """Transition requests: ask for a stage move, approve (applies it after the gates), reject."""


def _request_args(func: Callable[..., Any]) -> Callable[..., Any]:
    func = _registry_uri_option(func)
    func = tracking_uri_option(func)
    for name in ("stage", "version", "name"):
        func = click.argument(name)(func)
    return func


@requests_group.command("create")
@_request_args
@click.option("--comment", default=None)
def requests_create(
    name: str,
    version: str,
    stage: str,
    tracking_uri: str | None,
    registry_uri: str | None,
    comment: str | None,
) -> None:
    """Ask to move VERSION of NAME to STAGE."""
    r = _client(tracking_uri, registry_uri).create_transition_request(name, version, stage, comment)
    click.echo(
        f"Request {r.id} by {r.creator or 'anonymous'}: {name} v{r.version} -> {r.to_stage}."
    )


@requests_group.command("list")
@click.argument("name")
@click.argument("version")
@click.option("--all", "all_states", is_flag=True, help="Also approved, applied, rejected ones.")
@tracking_uri_option
@_registry_uri_option
def requests_list(
    name: str, version: str, all_states: bool, tracking_uri: str | None, registry_uri: str | None
) -> None:
    """Open transition requests of VERSION of NAME."""
    found = _client(tracking_uri, registry_uri).list_transition_requests(
        name, version, ["ALL"] if all_states else None
    )
    echo_table(
        ["id", "created (UTC)", "by", "to", "state", "resolver", "comment"],
        [
            (
                r.id,
                _fmt_time(r.creation_timestamp),
                r.creator or "",
                r.to_stage,
                r.state,
                r.resolver or "",
                r.comment or "",
            )
            for r in found
        ],
    )


@requests_group.command("approve")
@_request_args
@click.option("--archive-existing", is_flag=True, help="Archive the other versions in STAGE.")
@click.option("--comment", default=None)
def requests_approve(
    name: str,
    version: str,
    stage: str,
    tracking_uri: str | None,
    registry_uri: str | None,
    archive_existing: bool,
    comment: str | None,
) -> None:
    """Approve the request to move VERSION of NAME to STAGE; applies it after the gates."""
    out = _client(tracking_uri, registry_uri).approve_transition_request(
        name, version, stage, archive_existing, comment
    )
    for g in out.get("gates", ()):
        click.echo(f"  {g['gate']} [{g['type']}] {g['outcome']}: {g['message']}")
    click.echo(out["activity"].get("system_comment") or "Approved.")


@requests_group.command("reject")
@_request_args
@click.option("--comment", default=None)
def requests_reject(
    name: str,
    version: str,
    stage: str,
    tracking_uri: str | None,
    registry_uri: str | None,
    comment: str | None,
) -> None:
    """Reject the pending requests to move VERSION of NAME to STAGE."""
    out = _client(tracking_uri, registry_uri).reject_transition_request(
        name, version, stage, comment
    )
    click.echo(out["activity"].get("system_comment") or "Rejected.")


@requests_group.command("delete")
@_request_args
@click.option("--creator", default=None, help="Whose request (default: yours).")
def requests_delete(
    name: str,
    version: str,
    stage: str,
    tracking_uri: str | None,
    registry_uri: str | None,
    creator: str | None,
) -> None:
    """Cancel a pending request to move VERSION of NAME to STAGE."""
    _client(tracking_uri, registry_uri).delete_transition_request(name, version, stage, creator)
    click.echo(f"Request to move {name} v{version} to {stage} cancelled.")
