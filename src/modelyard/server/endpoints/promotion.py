"""Promotion RPCs: transition requests (Databricks' registry routes), promotion policies and
gate results (modelyard extensions), served under ``/api`` and ``/ajax-api``.

* ``POST /2.0/mlflow/transition-requests/create`` {name, version, stage, comment} -> ``{"request"}``
* ``POST /2.0/mlflow/transition-requests/approve`` {name, version, stage,
  archive_existing_versions, comment} -> ``{"activity", "model_version"?, "gates"}``
* ``POST /2.0/mlflow/transition-requests/reject`` {name, version, stage, comment} -> ``{"activity"}``
* ``GET /2.0/mlflow/transition-requests/list`` {name, version[, state]} -> ``{"requests"}`` (open
  requests; ``state`` may list PENDING, APPROVED, APPLIED, REJECTED, CANCELLED or ALL)
* ``DELETE /2.0/mlflow/transition-requests/delete`` {name, version, stage, creator} -> ``{}``
* ``POST /2.0/mlflow/registered-models/policy/set`` {name, policy (object or YAML text)}
  -> ``{"policy"}``; ``GET .../policy/get`` {name[, version]}; ``GET .../policy/list`` {name}
* ``GET /2.0/mlflow/model-versions/gate-results`` {name[, version]} -> ``{"gate_results"}``

Who may do what when auth is on (rules in ``server.auth.rules``): creating and listing requests
and reading policies and gate results need READ on the model; approving and rejecting need
MANAGE (admins always), and a requester cannot approve their own request unless admin; deleting
needs READ and is limited to the caller's own request unless the caller has MANAGE; setting a
policy needs MANAGE. With auth off every caller is anonymous (no self-approval rule).
"""

from __future__ import annotations

from typing import Any

from modelyard.errors import InvalidParameterValue, PermissionDenied
from modelyard.server.auth.middleware import SCOPE_SERVICE, SCOPE_USER
from modelyard.server.routing import Call, Endpoint
from modelyard.services.policies import is_policy_file_name
from modelyard.services.registry import RegistryService
from modelyard.store.registry.records import (
    REQUEST_STATES,
    gate_entry_to_json,
    policy_to_json,
    request_to_json,
)

__all__ = ["ENDPOINTS", "caller", "can_manage_model", "gated_registry"]


def caller(call: Call) -> tuple[str | None, bool]:
    """(username, is_admin) of the caller; (None, True) when auth is off."""
    if call.request.scope.get(SCOPE_SERVICE) is None:
        return None, True
    user = call.request.scope.get(SCOPE_USER)
    if user is None:
        raise PermissionDenied("Permission denied.")
    return user.username, bool(user.is_admin)


def can_manage_model(call: Call, name: str) -> bool:
    service = call.request.scope.get(SCOPE_SERVICE)
    if service is None:
        return True
    user = call.request.scope.get(SCOPE_USER)
    if user is None:
        return False
    return bool(service.permission(user, "registered_model", name).can_manage)


def gated_registry(call: Call) -> RegistryService:
    """The context's registry service (``ServerContext`` has it read model files through the
    server's resolver)."""
    return call.registry


def _version(call: Call) -> Any:
    value = call.args.get_raw("version")
    if isinstance(value, list):
        value = value[-1] if value else None
    if value is None or value == "":
        raise InvalidParameterValue("Missing value for required parameter 'version'.")
    return value


# ---------------------------------------------------------------- transition requests
def create_request(call: Call) -> dict[str, Any]:
    a = call.args
    user, _ = caller(call)
    request = call.registry.create_transition_request(
        a.req_str("name"), _version(call), a.req_str("stage"), a.str("comment"), user
    )
    return {"request": request_to_json(request)}


def approve_request(call: Call) -> dict[str, Any]:
    a = call.args
    user, is_admin = caller(call)
    return call.registry.approve_transition_request(
        a.req_str("name"),
        _version(call),
        a.req_str("stage"),
        a.bool("archive_existing_versions", default=False),
        a.str("comment"),
        user=user,
        is_admin=is_admin,
    )


def reject_request(call: Call) -> dict[str, Any]:
    a = call.args
    user, _ = caller(call)
    return call.registry.reject_transition_request(
        a.req_str("name"), _version(call), a.req_str("stage"), a.str("comment"), user=user
    )


def list_requests(call: Call) -> dict[str, Any]:
    a = call.args
    states = [s.upper() for s in a.str_list("state")] or ["PENDING"]
    for s in states:
        if s != "ALL" and s not in REQUEST_STATES:
            raise InvalidParameterValue(
                f"Invalid value '{s}' for parameter 'state'. Valid values: "
                f"{[*REQUEST_STATES, 'ALL']}"
            )
    found = call.registry.list_transition_requests(
        a.req_str("name"), _version(call), None if "ALL" in states else states
    )
    return {"requests": [request_to_json(r) for r in found]} if found else {}


def delete_request(call: Call) -> dict[str, Any]:
    a = call.args
    name = a.req_str("name")
    user, _ = caller(call)
    creator = a.str("creator") or user
    if user is not None and creator != user and not can_manage_model(call, name):
        raise PermissionDenied(
            f"Permission denied: only '{creator}' (or a user with MANAGE on model '{name}') "
            "can delete this transition request."
        )
    call.registry.delete_transition_request(name, _version(call), a.req_str("stage"), creator)
    return {}


# ---------------------------------------------------------------- policies and gate results
def set_policy(call: Call) -> dict[str, Any]:
    a = call.args
    raw = a.get_raw("policy")
    if raw is None or raw == "":
        raise InvalidParameterValue("Missing value for required parameter 'policy'.")
    if is_policy_file_name(raw):
        raise InvalidParameterValue(
            "Invalid value for parameter 'policy': send the policy document, not a file name."
        )
    user, _ = caller(call)
    policy = call.registry.set_registered_model_policy(a.req_str("name"), raw, user)
    return {"policy": policy_to_json(policy)}


def get_policy(call: Call) -> dict[str, Any]:
    a = call.args
    policy = call.registry.get_registered_model_policy(a.req_str("name"), a.str("version"))
    return {"policy": policy_to_json(policy)} if policy is not None else {}


def list_policies(call: Call) -> dict[str, Any]:
    found = call.registry.list_registered_model_policies(call.args.req_str("name"))
    return {"policies": [policy_to_json(p) for p in found]} if found else {}


def gate_results(call: Call) -> dict[str, Any]:
    a = call.args
    found = call.registry.get_gate_results(a.req_str("name"), a.str("version"))
    return {"gate_results": [gate_entry_to_json(e) for e in found]} if found else {}


_TR = "/mlflow/transition-requests"
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", f"{_TR}/create", create_request),
    Endpoint("POST", f"{_TR}/approve", approve_request),
    Endpoint("POST", f"{_TR}/reject", reject_request),
    Endpoint("GET", f"{_TR}/list", list_requests),
    Endpoint("DELETE", f"{_TR}/delete", delete_request),
    Endpoint("POST", "/mlflow/registered-models/policy/set", set_policy),
    Endpoint("GET", "/mlflow/registered-models/policy/get", get_policy),
    Endpoint("GET", "/mlflow/registered-models/policy/list", list_policies),
    Endpoint("GET", "/mlflow/model-versions/gate-results", gate_results),
]
