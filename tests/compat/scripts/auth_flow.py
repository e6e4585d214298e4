"""Auth workflow run by the REAL mlflow client against ``modelyard server --auth``.

Input: env ``COMPAT_ARGS`` = {"prefix", "admin_password"}. The admin creates a user with the
auth client (``mlflow.server.get_app_client("basic-auth")``); the user logs with basic auth, then
with a personal access token (``MLFLOW_TRACKING_TOKEN``). Output: one ``RESULT{json}`` line.
"""

import json
import os
import sys
import types

# ``mlflow.server.auth`` (the package of the auth client) imports Flask-WTF for its own Flask
# server at import time; the shared client venv has no ``mlflow[auth]`` extra, and only the
# client runs here, so a stand-in module satisfies that import. The client code is unchanged.
if "flask_wtf" not in sys.modules:
    try:
        import flask_wtf.csrf  # noqa: F401
    except ImportError:
        _wtf = types.ModuleType("flask_wtf")
        _csrf = types.ModuleType("flask_wtf.csrf")
        _csrf.CSRFProtect = type("CSRFProtect", (), {})
        _wtf.csrf = _csrf
        sys.modules.update({"flask_wtf": _wtf, "flask_wtf.csrf": _csrf})

import mlflow
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.server import get_app_client

ARGS = json.loads(os.environ["COMPAT_ARGS"])
prefix = ARGS["prefix"]
uri = os.environ["MLFLOW_TRACKING_URI"]
out: dict = {}


def error_code(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except MlflowException as exc:
        return exc.error_code
    return None


def as_user(username, password):
    os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
    os.environ["MLFLOW_TRACKING_USERNAME"] = username
    os.environ["MLFLOW_TRACKING_PASSWORD"] = password


def as_token(token):
    os.environ.pop("MLFLOW_TRACKING_USERNAME", None)
    os.environ.pop("MLFLOW_TRACKING_PASSWORD", None)
    os.environ["MLFLOW_TRACKING_TOKEN"] = token


# ------------------------------------------------------------------ admin: users and grants
as_user("admin", ARGS["admin_password"])
auth = get_app_client("basic-auth", tracking_uri=uri)
alice, bob = f"alice-{prefix}", f"bob-{prefix}"
user = auth.create_user(alice, "alice-password-1")
auth.create_user(bob, "bob-password-1")
out["created"] = [user.username, user.is_admin]
out["get_user"] = auth.get_user(alice).username
admin_client = MlflowClient()
private = admin_client.create_experiment(f"admin-private-{prefix}")
shared = admin_client.create_experiment(f"admin-shared-{prefix}")
auth.grant_user_permission(alice, "experiment", shared, "READ")
out["alice_on_shared"] = auth.get_user_permission(alice, "experiment", shared).permission
out["duplicate_grant"] = error_code(auth.grant_user_permission, alice, "experiment", shared, "EDIT")
out["bad_permission"] = error_code(auth.grant_user_permission, alice, "experiment", shared, "OWNER")

# ------------------------------------------------------------------ alice with basic auth
as_user(alice, "alice-password-1")
client = MlflowClient()
mine = mlflow.create_experiment(f"alice-{prefix}")
with mlflow.start_run(experiment_id=mine) as run:
    mlflow.log_param("alpha", "0.5")
    mlflow.log_metric("rmse", 0.25, step=1)
    mlflow.set_tag("who", "alice")
    mlflow.log_dict({"a": 1}, "conf.json")
out["run_metric"] = client.get_run(run.info.run_id).data.metrics["rmse"]
out["artifacts"] = [f.path for f in client.list_artifacts(run.info.run_id)]
out["read_shared"] = client.get_experiment(shared).name
out["write_shared"] = error_code(client.create_run, shared)
out["read_private"] = error_code(client.get_experiment, private)
out["search_names"] = sorted(e.name for e in client.search_experiments() if e.name.endswith(prefix))
out["create_user_as_alice"] = error_code(
    get_app_client("basic-auth", tracking_uri=uri).create_user, f"eve-{prefix}", "eve-password-1"
)
out["self_manage"] = error_code(
    get_app_client("basic-auth", tracking_uri=uri).grant_user_permission,
    alice,
    "experiment",
    private,
    "MANAGE",
)
# alice owns her experiment (MANAGE): she may share it with bob
get_app_client("basic-auth", tracking_uri=uri).grant_user_permission(
    bob, "experiment", mine, "EDIT"
)

# ------------------------------------------------------------------ a personal access token
resp = requests.post(
    f"{uri}/api/2.0/mlflow/users/tokens/create",
    json={"name": "ci"},
    auth=(alice, "alice-password-1"),
    timeout=30,
)
token = resp.json()["token"]
token_id = resp.json()["token_info"]["id"]
as_token(token)
client = MlflowClient()
with mlflow.start_run(experiment_id=mine) as run2:
    mlflow.log_metric("rmse", 0.2)
out["token_run_metric"] = client.get_run(run2.info.run_id).data.metrics["rmse"]
out["token_private"] = error_code(client.get_experiment, private)
requests.post(
    f"{uri}/api/2.0/mlflow/users/tokens/revoke",
    json={"token_id": token_id},
    auth=(alice, "alice-password-1"),
    timeout=30,
)
out["revoked_token"] = error_code(client.get_experiment, mine)

# ------------------------------------------------------------------ bob with basic auth
as_user(bob, "bob-password-1")
client = MlflowClient()
run3 = client.create_run(mine)
client.log_metric(run3.info.run_id, "m", 1.0)
out["bob_runs_in_alice_exp"] = len(client.search_runs([mine]))
out["bob_delete_alice_exp"] = error_code(client.delete_experiment, mine)
out["wrong_password"] = None
as_user(bob, "not-the-password")
out["wrong_password"] = error_code(MlflowClient().get_experiment, mine)

# ------------------------------------------------------------------ admin: changes take effect
as_user("admin", ARGS["admin_password"])
auth = get_app_client("basic-auth", tracking_uri=uri)
auth.update_user_password(bob, "bob-password-2")
auth.update_user_admin(bob, True)
out["bob_admin"] = auth.get_user(bob).is_admin
as_user(bob, "bob-password-1")
out["old_password"] = error_code(MlflowClient().get_experiment, mine)
as_user(bob, "bob-password-2")
out["bob_reads_private"] = MlflowClient().get_experiment(private).name
as_user("admin", ARGS["admin_password"])
auth.revoke_user_permission(alice, "experiment", shared)
auth.delete_user(bob)
out["deleted"] = error_code(auth.get_user, bob)
print("RESULT" + json.dumps(out))
