"""Webhooks through the REAL mlflow client: create, get, list, update, test, delete.

Input: env ``COMPAT_ARGS`` = {"prefix": "<unique>", "url": "<receiver URL>"}. Output: one
``RESULT{json}`` line.
"""

import json
import os

from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent, WebhookStatus
from mlflow.exceptions import MlflowException

ARGS = json.loads(os.environ["COMPAT_ARGS"])
prefix = ARGS["prefix"]
client = MlflowClient()
out: dict = {}

hook = client.create_webhook(
    name=f"hook-{prefix}",
    url=ARGS["url"],
    events=["model_version.created", "model_version_alias.created"],
    description="compat",
    secret="compat-secret",
)
out["created"] = {
    "name": hook.name,
    "url": hook.url,
    "events": sorted(str(e) for e in hook.events),
    "status": str(hook.status),
    "description": hook.description,
    "secret": hook.secret,
}
got = client.get_webhook(hook.webhook_id)
out["get_same"] = got.webhook_id == hook.webhook_id and got.name == hook.name
page = client.list_webhooks(max_results=1000)
out["listed"] = hook.webhook_id in [w.webhook_id for w in page]
updated = client.update_webhook(
    hook.webhook_id,
    description="changed",
    events=[WebhookEvent("registered_model", "created")],
    status=WebhookStatus.ACTIVE,
)
out["updated"] = {"description": updated.description, "events": [str(e) for e in updated.events]}
result = client.test_webhook(hook.webhook_id)
out["test"] = {
    "success": result.success,
    "status": result.response_status,
    "body": result.response_body,
}
client.create_registered_model(f"compat-wh-{prefix}")  # a real event to the receiver
try:
    client.create_webhook(
        name=f"bad-{prefix}", url="ftp://example.com/x", events=["model_version.created"]
    )
    out["bad_url"] = None
except MlflowException as exc:
    out["bad_url"] = exc.error_code
client.delete_webhook(hook.webhook_id)
try:
    client.get_webhook(hook.webhook_id)
    out["after_delete"] = None
except MlflowException as exc:
    out["after_delete"] = exc.error_code
print("RESULT" + json.dumps(out))
