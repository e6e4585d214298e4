"""The route table of the auth middleware: for each (method, route template), who may call it.

Templates are the dispatcher's, with the ``/api`` or ``/ajax-api`` prefix removed, so a REST
route and its ajax twin share one rule (``/2.0/mlflow/runs/get``); absolute routes keep their path
(``/health``). A route that is not in :data:`RULES` is refused to everyone but admins
(default-deny), and a test proves every registered route has a rule.

Access kinds:

* ``public``: no credentials (health, version, server-info, the UI's static shell, login);
* ``user``: any authenticated user (creating experiments and models, searches, whose results the
  middleware filters, and the auth routes whose handler applies MLflow's admin-or-self rule);
* ``admin``: admins only (user management, jobs, GraphQL, metrics, the audit log);
* ``resource``: every :class:`Need` must hold: the caller's permission on the resource found in
  the request allows the action (``read``, ``update``, ``delete``, ``manage``).

Resource kinds of a :class:`Need`: ``experiment`` (an id), ``experiment_name``, ``run`` (its
experiment), ``logged_model`` (its experiment), ``trace`` (an MLflow 3 trace id: its
experiment), ``registered_model`` (a name; model versions use
their model's), ``artifact_path`` (an ``mlflow-artifacts`` path whose first segment is the
experiment id) and ``granted`` (the ``resource_type``/``resource_id`` fields of a grant request).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FILTERS", "HOOKS", "RULES", "Need", "Rule", "rule_key"]


@dataclass(frozen=True)
class Need:
    kind: str
    fields: tuple[str, ...]  # request fields tried in order; "path:<name>" is a path parameter
    action: str  # read | update | delete | manage
    many: bool = False
    # a dotted field ("trace.trace_info.trace_location...") is read level by level, lists walked
    default: str | None = None  # value when the request has none (runs/create: experiment 0)
    optional: bool = False  # no value in the request: nothing to check


@dataclass(frozen=True)
class Rule:
    access: str  # public | user | admin | resource
    needs: tuple[Need, ...] = ()
    filter: str | None = None  # response filter (search results), see FILTERS
    hook: str | None = None  # after a successful call (creator grant, rename), see HOOKS


PUBLIC = Rule("public")
USER = Rule("user")
ADMIN = Rule("admin")


def _r(kind: str, fields: str | tuple[str, ...], action: str, **kw: object) -> Rule:
    names = (fields,) if isinstance(fields, str) else fields
    return Rule("resource", (Need(kind, names, action, **kw),))  # type: ignore[arg-type]


_RUN = ("run_id", "run_uuid")
_EXP = "experiment_id"
_M = "/2.0/mlflow"
_EXPERIMENT_READ = _r("experiment", _EXP, "read")
_EXPERIMENT_UPDATE = _r("experiment", _EXP, "update")
_EXPERIMENT_DELETE = _r("experiment", _EXP, "delete")
_RUN_READ = _r("run", _RUN, "read")
_RUN_UPDATE = _r("run", _RUN, "update")
_RUN_DELETE = _r("run", _RUN, "delete")
_MODEL_READ = _r("registered_model", "name", "read")
_MODEL_UPDATE = _r("registered_model", "name", "update")
_MODEL_DELETE = _r("registered_model", "name", "delete")
_LOGGED_READ = _r("logged_model", "path:model_id", "read")
_LOGGED_UPDATE = _r("logged_model", "path:model_id", "update")
_LOGGED_DELETE = _r("logged_model", "path:model_id", "delete")
_ART = "path:path"
_TRACE_READ = _r("trace", "path:trace_id", "read")
_TRACE_READ_QUERY = _r("trace", "trace_id", "read")
_TRACE_UPDATE = _r("trace", "path:trace_id", "update")

RULES: dict[tuple[str, str], Rule] = {
    # ---------------------------------------------------------------- public
    ("GET", "/health"): PUBLIC,
    ("GET", "/version"): PUBLIC,
    ("GET", "/3.0/mlflow/server-info"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/static-files/{path:path}"): PUBLIC,
    ("POST", "/auth/login"): PUBLIC,
    ("POST", "/auth/logout"): PUBLIC,
    ("GET", "/auth/session"): PUBLIC,  # answers auth_enabled, and the user of a valid cookie
    ("GET", "/favicon.ico"): PUBLIC,
    # ---------------------------------------------------------------- admin only
    ("GET", "/metrics"): ADMIN,
    ("GET", "/graphql"): ADMIN,
    ("POST", "/graphql"): ADMIN,
    ("GET", "/2.1/jobs/get"): ADMIN,
    ("GET", "/2.1/jobs/list"): ADMIN,
    ("GET", "/2.1/jobs/runs/get"): ADMIN,
    ("GET", "/2.1/jobs/runs/get-output"): ADMIN,
    ("GET", "/2.1/jobs/runs/list"): ADMIN,
    ("POST", "/2.1/jobs/create"): ADMIN,
    ("POST", "/2.1/jobs/delete"): ADMIN,
    ("POST", "/2.1/jobs/reset"): ADMIN,
    ("POST", "/2.1/jobs/run-now"): ADMIN,
    ("POST", "/2.1/jobs/runs/cancel"): ADMIN,
    ("POST", "/2.1/jobs/update"): ADMIN,
    # serving endpoints: they load models into serving processes and hand out bearer tokens
    ("GET", "/2.0/serving-endpoints"): ADMIN,
    ("POST", "/2.0/serving-endpoints"): ADMIN,
    ("GET", "/2.0/serving-endpoints/{name}"): ADMIN,
    ("DELETE", "/2.0/serving-endpoints/{name}"): ADMIN,
    ("PUT", "/2.0/serving-endpoints/{name}/config"): ADMIN,
    ("GET", "/2.0/serving-endpoints/{name}/figures"): ADMIN,
    ("GET", "/2.0/modelyard/serving-endpoints/tokens"): ADMIN,
    ("POST", "/2.0/modelyard/serving-endpoints/tokens/create"): ADMIN,
    ("POST", "/2.0/modelyard/serving-endpoints/tokens/revoke"): ADMIN,
    # AutoML from the UI: starts processes on the server and reads files on its disk
    ("POST", "/2.0/modelyard/automl/upload"): ADMIN,
    ("GET", "/2.0/modelyard/automl/columns"): ADMIN,
    ("POST", "/2.0/modelyard/automl/start"): ADMIN,
    ("POST", "/2.0/modelyard/automl/cancel"): ADMIN,
    ("GET", "/2.0/modelyard/automl/log"): ADMIN,
    # Monitors and webhooks: admins only; monitors read tables on the server's disk.
    **{
        (method, path): ADMIN
        for method, path in (
            ("POST", "/2.0/modelyard/monitors/create"),
            ("POST", "/2.0/modelyard/monitors/delete"),
            ("GET", "/2.0/modelyard/monitors/drift"),
            ("GET", "/2.0/modelyard/monitors/quality"),
            ("GET", "/2.0/modelyard/monitors/get"),
            ("POST", "/2.0/modelyard/monitors/labels"),
            ("GET", "/2.0/modelyard/monitors/list"),
            ("POST", "/2.0/modelyard/monitors/refresh"),
            # alerts: their actions reach out of the server and start jobs
            ("POST", "/2.0/modelyard/alerts/create"),
            ("GET", "/2.0/modelyard/alerts/get"),
            ("GET", "/2.0/modelyard/alerts/list"),
            ("POST", "/2.0/modelyard/alerts/update"),
            ("POST", "/2.0/modelyard/alerts/delete"),
            ("POST", "/2.0/modelyard/alerts/evaluate"),
            ("GET", "/2.0/modelyard/alerts/history"),
            ("GET", "/2.0/modelyard/alerts/notifications"),
            # webhooks: their URLs and secrets reach out of the server, so admins manage them
            ("POST", "/2.0/mlflow/webhooks"),
            ("GET", "/2.0/mlflow/webhooks"),
            ("GET", "/2.0/mlflow/webhooks/{webhook_id}"),
            ("PATCH", "/2.0/mlflow/webhooks/{webhook_id}"),
            ("DELETE", "/2.0/mlflow/webhooks/{webhook_id}"),
            ("POST", "/2.0/mlflow/webhooks/{webhook_id}/test"),
            ("GET", "/2.0/mlflow/webhooks/{webhook_id}/deliveries"),
        )
    },
    # ---------------------------------------------------------------- traces (MLflow 3)
    # the permission on the trace's experiment: READ to read or search (every experiment of a
    # search), EDIT to start a trace or change its tags, MANAGE to delete; an unknown trace id
    # passes to the handler (404). /v1/traces answers 501 to everyone signed in.
    # (a trace id taken in another experiment: that trace's permission too, so a caller who
    # cannot see it gets 403 rather than the store's "exists in experiment <id>")
    ("POST", "/3.0/mlflow/traces"): Rule(
        "resource",
        (
            Need(
                "experiment",
                ("trace.trace_info.trace_location.mlflow_experiment.experiment_id",),
                "update",
            ),
            Need("trace", ("trace.trace_info.trace_id",), "update", optional=True),
        ),
    ),
    ("POST", "/3.0/mlflow/traces/search"): _r(
        "experiment", "locations.mlflow_experiment.experiment_id", "read", many=True
    ),
    ("GET", f"{_M}/traces"): _r("experiment", "experiment_ids", "read", many=True),
    ("GET", "/3.0/mlflow/traces/get"): _TRACE_READ_QUERY,
    ("GET", "/3.0/mlflow/traces/batchGet"): _r("trace", "trace_ids", "read", many=True),
    ("POST", "/3.0/mlflow/traces/batchGetInfos"): _r("trace", "trace_ids", "read", many=True),
    ("GET", "/3.0/mlflow/traces/{trace_id}"): _TRACE_READ,
    ("GET", f"{_M}/traces/{{trace_id}}/info"): _TRACE_READ,
    ("PATCH", "/3.0/mlflow/traces/{trace_id}/tags"): _TRACE_UPDATE,
    ("DELETE", "/3.0/mlflow/traces/{trace_id}/tags"): _TRACE_UPDATE,
    ("PATCH", f"{_M}/traces/{{trace_id}}/tags"): _TRACE_UPDATE,
    ("DELETE", f"{_M}/traces/{{trace_id}}/tags"): _TRACE_UPDATE,
    # deletes only within experiment_id (the store's rule), so its permission is the one needed
    ("POST", "/3.0/mlflow/traces/delete-traces"): _EXPERIMENT_DELETE,
    ("POST", f"{_M}/traces/delete-traces"): _EXPERIMENT_DELETE,
    ("GET", f"{_M}/get-trace-artifact"): _r("trace", "request_id", "read"),
    ("GET", "/3.0/mlflow/get-trace-artifact"): _r("trace", "request_id", "read"),
    ("POST", "/v1/traces"): USER,
    # ---------------------------------------------------------------- experiments
    ("POST", f"{_M}/experiments/create"): Rule("user", hook="experiment_created"),
    ("GET", f"{_M}/experiments/get"): _EXPERIMENT_READ,
    ("GET", f"{_M}/experiments/get-by-name"): _r("experiment_name", "experiment_name", "read"),
    ("GET", f"{_M}/experiments/search"): Rule("user", filter="experiments"),
    ("POST", f"{_M}/experiments/search"): Rule("user", filter="experiments"),
    ("POST", f"{_M}/experiments/search-datasets"): Rule(
        "resource", (Need("experiment", ("experiment_ids",), "read", many=True),)
    ),
    ("POST", f"{_M}/experiments/update"): _EXPERIMENT_UPDATE,
    ("POST", f"{_M}/experiments/set-experiment-tag"): _EXPERIMENT_UPDATE,
    ("POST", f"{_M}/experiments/delete-experiment-tag"): _EXPERIMENT_UPDATE,
    ("POST", f"{_M}/experiments/delete"): _EXPERIMENT_DELETE,
    ("POST", f"{_M}/experiments/restore"): _EXPERIMENT_DELETE,
    # ---------------------------------------------------------------- runs
    ("POST", f"{_M}/runs/create"): _r("experiment", _EXP, "update", default="0"),
    ("POST", f"{_M}/runs/create-promptlab-run"): _EXPERIMENT_UPDATE,
    # the UI's gateway proxy reaches the operator's deployments target: signed-in users only
    ("GET", f"{_M}/gateway-proxy"): USER,
    ("POST", f"{_M}/gateway-proxy"): USER,
    ("GET", f"{_M}/runs/get"): _RUN_READ,
    ("GET", f"{_M}/runs/search"): Rule("user", filter="runs"),
    ("POST", f"{_M}/runs/search"): Rule("user", filter="runs"),
    # a count cannot leave out what the caller may not read: every experiment must be readable
    ("POST", "/2.0/modelyard/runs/count"): Rule(
        "resource", (Need("experiment", ("experiment_ids",), "read", many=True),)
    ),
    ("POST", f"{_M}/runs/update"): _RUN_UPDATE,
    ("POST", f"{_M}/runs/log-batch"): _RUN_UPDATE,
    ("POST", f"{_M}/runs/log-metric"): _RUN_UPDATE,
    ("POST", f"{_M}/runs/log-parameter"): _RUN_UPDATE,
    ("POST", f"{_M}/runs/log-inputs"): _RUN_UPDATE,
    ("POST", f"{_M}/runs/outputs"): _RUN_UPDATE,
    ("POST", f"{_M}/runs/set-tag"): _RUN_UPDATE,
    ("POST", f"{_M}/runs/delete-tag"): _RUN_UPDATE,
    ("POST", f"{_M}/runs/delete"): _RUN_DELETE,
    ("POST", f"{_M}/runs/restore"): _RUN_DELETE,
    ("GET", f"{_M}/metrics/get-history"): _RUN_READ,
    ("GET", f"{_M}/metrics/get-history-bulk"): Rule(
        "resource", (Need("run", ("run_id",), "read", many=True),)
    ),
    ("GET", f"{_M}/metrics/get-history-bulk-interval"): Rule(
        "resource", (Need("run", ("run_ids", "run_id"), "read", many=True),)
    ),
    # ---------------------------------------------------------------- artifacts
    ("GET", f"{_M}/artifacts/list"): _RUN_READ,
    ("GET", "/get-artifact"): _RUN_READ,
    ("POST", f"{_M}/upload-artifact"): _r("run", ("run_uuid", "run_id"), "update"),
    ("GET", "/2.0/mlflow-artifacts/artifacts"): _r("artifact_path", "path", "read"),
    ("GET", "/2.0/mlflow-artifacts/artifacts/{path:path}"): _r("artifact_path", _ART, "read"),
    ("PUT", "/2.0/mlflow-artifacts/artifacts/{path:path}"): _r("artifact_path", _ART, "update"),
    ("DELETE", "/2.0/mlflow-artifacts/artifacts/{path:path}"): _r("artifact_path", _ART, "delete"),
    ("GET", "/model-versions/get-artifact"): _MODEL_READ,
    # ---------------------------------------------------------------- logged models
    ("POST", f"{_M}/logged-models"): _EXPERIMENT_UPDATE,
    ("POST", f"{_M}/logged-models/search"): Rule("user", filter="logged_models"),
    ("GET", f"{_M}/logged-models/{{model_id}}"): _LOGGED_READ,
    ("PATCH", f"{_M}/logged-models/{{model_id}}"): _LOGGED_UPDATE,
    ("DELETE", f"{_M}/logged-models/{{model_id}}"): _LOGGED_DELETE,
    ("PATCH", f"{_M}/logged-models/{{model_id}}/tags"): _LOGGED_UPDATE,
    ("DELETE", f"{_M}/logged-models/{{model_id}}/tags/{{tag_key:path}}"): _LOGGED_UPDATE,
    ("POST", f"{_M}/logged-models/{{model_id}}/params"): _LOGGED_UPDATE,
    ("GET", f"{_M}/logged-models/{{model_id}}/artifacts/directories"): _LOGGED_READ,
    ("GET", f"{_M}/logged-models/{{model_id}}/artifacts/files"): _LOGGED_READ,
    # ---------------------------------------------------------------- registry
    ("POST", f"{_M}/registered-models/create"): Rule("user", hook="model_created"),
    ("GET", f"{_M}/registered-models/get"): _MODEL_READ,
    ("GET", f"{_M}/registered-models/search"): Rule("user", filter="registered_models"),
    ("PATCH", f"{_M}/registered-models/update"): _MODEL_UPDATE,
    ("POST", f"{_M}/registered-models/rename"): Rule(
        "resource", (Need("registered_model", ("name",), "update"),), hook="model_renamed"
    ),
    ("DELETE", f"{_M}/registered-models/delete"): Rule(
        "resource", (Need("registered_model", ("name",), "delete"),), hook="model_deleted"
    ),
    ("POST", f"{_M}/registered-models/set-tag"): _MODEL_UPDATE,
    ("DELETE", f"{_M}/registered-models/delete-tag"): _MODEL_UPDATE,
    ("GET", f"{_M}/registered-models/get-latest-versions"): _MODEL_READ,
    ("POST", f"{_M}/registered-models/get-latest-versions"): _MODEL_READ,
    ("GET", f"{_M}/registered-models/alias"): _MODEL_READ,
    ("POST", f"{_M}/registered-models/alias"): _MODEL_UPDATE,
    ("DELETE", f"{_M}/registered-models/alias"): _MODEL_UPDATE,
    ("POST", f"{_M}/model-versions/create"): Rule(
        "resource",
        (
            Need("registered_model", ("name",), "update"),
            Need("run", ("run_id",), "read", optional=True),
        ),
    ),
    ("GET", f"{_M}/model-versions/get"): _MODEL_READ,
    ("GET", f"{_M}/model-versions/get-download-uri"): _MODEL_READ,
    ("GET", f"{_M}/model-versions/history"): _MODEL_READ,
    ("GET", f"{_M}/model-versions/search"): Rule("user", filter="model_versions"),
    ("PATCH", f"{_M}/model-versions/update"): _MODEL_UPDATE,
    ("POST", f"{_M}/model-versions/set-tag"): _MODEL_UPDATE,
    ("DELETE", f"{_M}/model-versions/delete-tag"): _MODEL_UPDATE,
    ("POST", f"{_M}/model-versions/transition-stage"): _MODEL_UPDATE,
    # promotion (force past the gates: the handler also checks MANAGE)
    ("POST", f"{_M}/transition-requests/create"): _MODEL_READ,
    ("GET", f"{_M}/transition-requests/list"): _MODEL_READ,
    ("DELETE", f"{_M}/transition-requests/delete"): _MODEL_READ,  # own request, or MANAGE
    ("POST", f"{_M}/transition-requests/approve"): _r("registered_model", "name", "manage"),
    ("POST", f"{_M}/transition-requests/reject"): _r("registered_model", "name", "manage"),
    ("POST", f"{_M}/registered-models/policy/set"): _r("registered_model", "name", "manage"),
    ("GET", f"{_M}/registered-models/policy/get"): _MODEL_READ,
    ("GET", f"{_M}/registered-models/policy/list"): _MODEL_READ,
    ("GET", f"{_M}/model-versions/gate-results"): _MODEL_READ,
    ("DELETE", f"{_M}/model-versions/delete"): _MODEL_DELETE,
    # ---------------------------------------------------------------- auth API
    ("POST", f"{_M}/users/create"): ADMIN,
    ("GET", f"{_M}/users/get"): USER,  # handler: admin or self
    ("GET", f"{_M}/users/current"): USER,
    ("GET", f"{_M}/users/list"): ADMIN,
    ("PATCH", f"{_M}/users/update-password"): USER,  # handler: admin or self (+ current)
    ("PATCH", f"{_M}/users/update-admin"): ADMIN,
    ("DELETE", f"{_M}/users/delete"): ADMIN,
    ("POST", f"{_M}/users/tokens/create"): USER,
    ("GET", f"{_M}/users/tokens/list"): USER,
    ("POST", f"{_M}/users/tokens/revoke"): USER,
    ("GET", f"{_M}/users/audit/list"): ADMIN,
    ("POST", f"{_M}/experiments/permissions/create"): _r("experiment", _EXP, "manage"),
    ("GET", f"{_M}/experiments/permissions/get"): _r("experiment", _EXP, "manage"),
    ("PATCH", f"{_M}/experiments/permissions/update"): _r("experiment", _EXP, "manage"),
    ("DELETE", f"{_M}/experiments/permissions/delete"): _r("experiment", _EXP, "manage"),
    ("POST", f"{_M}/registered-models/permissions/create"): _r(
        "registered_model", "name", "manage"
    ),
    ("GET", f"{_M}/registered-models/permissions/get"): _r("registered_model", "name", "manage"),
    ("PATCH", f"{_M}/registered-models/permissions/update"): _r(
        "registered_model", "name", "manage"
    ),
    ("DELETE", f"{_M}/registered-models/permissions/delete"): _r(
        "registered_model", "name", "manage"
    ),
    ("POST", "/3.0/mlflow/users/permissions/grant"): _r("granted", "resource_id", "manage"),
    ("POST", "/3.0/mlflow/users/permissions/revoke"): _r("granted", "resource_id", "manage"),
    ("GET", "/3.0/mlflow/users/permissions/get"): USER,  # handler: admin or self
    ("GET", "/3.0/mlflow/users/permissions/list"): USER,  # handler: admin or self
    ("GET", "/3.0/mlflow/users/current/permissions"): USER,
}

#: Response filters: the list field of a search answer and how to find each item's resource.
FILTERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "experiments": ("experiments", "experiment", ("experiment_id",)),
    "runs": ("runs", "experiment", ("info", "experiment_id")),
    "logged_models": ("models", "experiment", ("info", "experiment_id")),
    "registered_models": ("registered_models", "registered_model", ("name",)),
    "model_versions": ("model_versions", "registered_model", ("name",)),
}

#: Hooks after a successful call (names only; the middleware implements them).
HOOKS = ("experiment_created", "model_created", "model_renamed", "model_deleted")


def rule_key(method: str, template: str) -> tuple[str, str]:
    """The :data:`RULES` key of a dispatcher route (HEAD is checked as GET)."""
    for prefix in ("/api/", "/ajax-api/"):
        if template.startswith(prefix):
            template = template[len(prefix) - 1 :]
            break
    return ("GET" if method == "HEAD" else method, template)
