"""Experiment RPCs (``/api/2.0/mlflow/experiments/...``, compat spec §3.1)."""

from __future__ import annotations

from typing import Any

from modelyard.entities import ViewType
from modelyard.errors import ResourceDoesNotExist
from modelyard.server.routing import Call, Endpoint
from modelyard.store.tracking.base import EXPERIMENTS_MAX_RESULTS_DEFAULT
from modelyard.wire import experiment_to_json

__all__ = ["ENDPOINTS"]


def create_experiment(call: Call) -> dict[str, Any]:
    a = call.args
    name = a.req_str("name")
    location = a.str("artifact_location")
    tags = a.key_values("tags")  # every field's type is checked before the location's rules
    if location:
        location = call.ctx.check_artifact_location(location)
    experiment_id = call.tracking.create_experiment(name, location or None, tags)
    return {"experiment_id": experiment_id}


def search_datasets(call: Call) -> dict[str, Any]:
    """UI route: the datasets the runs of some experiments used."""
    summaries = call.tracking.search_datasets(call.args.str_list("experiment_ids") or [])
    return {
        "dataset_summaries": [
            {
                k: v
                for k, v in (
                    ("experiment_id", d.experiment_id),
                    ("name", d.name),
                    ("digest", d.digest),
                    ("context", d.context),
                )
                if v is not None
            }
            for d in summaries
        ]
    }


def get_experiment(call: Call) -> dict[str, Any]:
    exp = call.tracking.get_experiment(call.args.req_str("experiment_id"))
    return {"experiment": experiment_to_json(exp)}


def get_experiment_by_name(call: Call) -> dict[str, Any]:
    name = call.args.req_str("experiment_name")
    exp = call.tracking.get_experiment_by_name(name)
    if exp is None:
        raise ResourceDoesNotExist(f"Could not find experiment with name '{name}'")
    return {"experiment": experiment_to_json(exp)}


def search_experiments(call: Call) -> dict[str, Any]:
    a = call.args
    page = call.tracking.search_experiments(
        view_type=a.enum("view_type", ViewType.coerce, ViewType.ACTIVE_ONLY),
        max_results=a.int("max_results", default=EXPERIMENTS_MAX_RESULTS_DEFAULT),
        filter_string=a.str("filter") or None,
        order_by=a.str_list("order_by") or None,
        page_token=a.str("page_token") or None,
    )
    out: dict[str, Any] = {}
    if page:
        out["experiments"] = [experiment_to_json(e) for e in page]
    if page.token:
        out["next_page_token"] = page.token
    return out


def update_experiment(call: Call) -> dict[str, Any]:
    a = call.args
    call.tracking.rename_experiment(a.req_str("experiment_id"), a.req_str("new_name"))
    return {}


def delete_experiment(call: Call) -> dict[str, Any]:
    call.tracking.delete_experiment(call.args.req_str("experiment_id"))
    return {}


def restore_experiment(call: Call) -> dict[str, Any]:
    call.tracking.restore_experiment(call.args.req_str("experiment_id"))
    return {}


def set_experiment_tag(call: Call) -> dict[str, Any]:
    a = call.args
    call.tracking.set_experiment_tag(
        a.req_str("experiment_id"), a.req_str("key"), a.str("value") or ""
    )
    return {}


def delete_experiment_tag(call: Call) -> dict[str, Any]:
    a = call.args
    call.tracking.delete_experiment_tag(a.req_str("experiment_id"), a.req_str("key"))
    return {}


_P = "/mlflow/experiments"
ENDPOINTS: list[Endpoint] = [
    Endpoint("POST", f"{_P}/create", create_experiment),
    Endpoint("GET", f"{_P}/get", get_experiment),
    Endpoint("POST", f"{_P}/search-datasets", search_datasets),
    Endpoint("GET", f"{_P}/get-by-name", get_experiment_by_name),
    Endpoint("POST", f"{_P}/search", search_experiments),
    Endpoint("GET", f"{_P}/search", search_experiments),
    Endpoint("POST", f"{_P}/update", update_experiment),
    Endpoint("POST", f"{_P}/delete", delete_experiment),
    Endpoint("POST", f"{_P}/restore", restore_experiment),
    Endpoint("POST", f"{_P}/set-experiment-tag", set_experiment_tag),
    Endpoint("POST", f"{_P}/delete-experiment-tag", delete_experiment_tag),
]
