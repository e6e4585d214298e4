"""MLflow 3 traces with auth, run by the REAL mlflow client against ``modelyard server --auth``.

Input: env ``COMPAT_ARGS`` = {"prefix", "admin_password"}. The admin makes a user ``carol`` with
READ on a shared experiment and nothing on a private one; carol traces in her own experiment,
reads the shared trace and is refused the private one, a mixed search, and writes to the shared
trace. Output: one ``RESULT{json}`` line.
"""

import json
import os
import sys
import types

# the auth client's package imports Flask-WTF (see auth_flow.py): a stand-in when absent
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
    os.environ["MLFLOW_TRACKING_USERNAME"] = username
    os.environ["MLFLOW_TRACKING_PASSWORD"] = password


@mlflow.trace(name="answer")
def answer(question):
    with mlflow.start_span(name="lookup") as span:
        span.set_inputs({"q": question})
        span.set_outputs({"found": True})
    return f"answer to {question}"


def traced_in(experiment_id, question):
    mlflow.set_experiment(experiment_id=experiment_id)
    answer(question)
    mlflow.flush_trace_async_logging()
    return mlflow.get_last_active_trace_id()


# ------------------------------------------------------------------ admin
as_user("admin", ARGS["admin_password"])
auth = get_app_client("basic-auth", tracking_uri=uri)
carol = f"carol-{prefix}"
auth.create_user(carol, "carol-password-1")
admin = MlflowClient()
private = admin.create_experiment(f"traces-private-{prefix}")
shared = admin.create_experiment(f"traces-shared-{prefix}")
auth.grant_user_permission(carol, "experiment", shared, "READ")
private_id = traced_in(private, "private question")
shared_id = traced_in(shared, "shared question")

# ------------------------------------------------------------------ carol
as_user(carol, "carol-password-1")
client = MlflowClient()
own = client.create_experiment(f"traces-carol-{prefix}")
own_id = traced_in(own, "carol's question")
out["own_spans"] = sorted(s.name for s in client.get_trace(own_id).data.spans)
out["own_search"] = [t.info.trace_id for t in client.search_traces(locations=[own])]
out["own_tag"] = error_code(client.set_trace_tag, own_id, "checked", "yes")
out["read_shared"] = [s.name for s in client.get_trace(shared_id).data.spans][:1]
out["read_private"] = error_code(client.get_trace, private_id)
out["search_mixed"] = error_code(client.search_traces, locations=[own, private])
out["tag_shared"] = error_code(client.set_trace_tag, shared_id, "k", "v")
out["delete_shared"] = error_code(client.delete_traces, shared, trace_ids=[shared_id])
out["delete_own"] = client.delete_traces(own, trace_ids=[own_id])

# ------------------------------------------------------------------ admin: nothing changed
as_user("admin", ARGS["admin_password"])
admin = MlflowClient()
out["shared_tags"] = sorted(admin.get_trace(shared_id).info.tags)
out["private_ok"] = admin.get_trace(private_id).info.trace_id == private_id
print("RESULT" + json.dumps(out))
