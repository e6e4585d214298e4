"""The registry over MLflow's REST API (a ``modelyard server`` or a real ``mlflow server``).

Encodings follow the compat spec §3.4: GET with query parameters (repeated keys for lists),
POST/PATCH/DELETE with JSON bodies (DELETE too). Errors come back typed through
``store._http`` (``RESOURCE_ALREADY_EXISTS`` -> ResourceAlreadyExists, ...).

``storage_location`` of ``create_model_version`` is not sent: the server decides where a
version's files are. ``get_model_history`` uses the modelyard-only route
``GET /api/2.0/mlflow/model-versions/history`` (an MLflow server answers it with 404
``ENDPOINT_NOT_FOUND``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelyard.entities import ModelVersion, PagedList, RegisteredModel, StageTransition
from modelyard.store._http import HttpSession, get_session
from modelyard.store.registry.base import RegistryStore
from modelyard.store.registry.records import (
    GateResultEntry,
    PolicyVersion,
    TransitionRequest,
    gate_entry_from_json,
    policy_from_json,
    request_from_json,
)
from modelyard.wire import model_version_from_json, registered_model_from_json

__all__ = ["RestRegistryStore", "stage_transition_from_json"]

_RM = "/api/2.0/mlflow/registered-models"
_MV = "/api/2.0/mlflow/model-versions"
_TR = "/api/2.0/mlflow/transition-requests"


def _tags(tags: Sequence[tuple[str, str]] | None) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in (tags or [])]


def stage_transition_from_json(d: dict[str, Any]) -> StageTransition:
    return StageTransition(
        name=d["name"],
        version=str(d["version"]),
        kind=d["kind"],
        from_value=d.get("from_value"),
        to_value=d.get("to_value"),
        user_id=d.get("user_id"),
        timestamp=int(d.get("timestamp", 0)),
    )


class RestRegistryStore(RegistryStore):
    """``RestRegistryStore("http://host:5000")``."""

    enforces_policies = True  # the server runs the promotion gates

    def __init__(self, host_uri: str, session: HttpSession | None = None) -> None:
        self.host_uri = host_uri.rstrip("/")
        self._session = session

    @property
    def session(self) -> HttpSession:
        if self._session is None:
            self._session = get_session(self.host_uri)
        return self._session

    def _call(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        clean = {k: v for k, v in body.items() if v is not None}
        return self.session.call(method, path, clean)

    # ------------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: Sequence[tuple[str, str]] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        body = {"name": name, "tags": _tags(tags), "description": description}
        data = self._call("POST", f"{_RM}/create", body)
        return registered_model_from_json(data["registered_model"])

    def get_registered_model(self, name: str) -> RegisteredModel:
        data = self._call("GET", f"{_RM}/get", {"name": name})
        return registered_model_from_json(data["registered_model"])

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        data = self._call("POST", f"{_RM}/rename", {"name": name, "new_name": new_name})
        return registered_model_from_json(data["registered_model"])

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        data = self._call("PATCH", f"{_RM}/update", {"name": name, "description": description})
        return registered_model_from_json(data["registered_model"])

    def delete_registered_model(self, name: str) -> None:
        self._call("DELETE", f"{_RM}/delete", {"name": name})

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        params = {
            "filter": filter_string or None,
            "max_results": max_results,
            "order_by": list(order_by or []) or None,
            "page_token": page_token or None,
        }
        data = self._call("GET", f"{_RM}/search", params)
        items = [registered_model_from_json(d) for d in data.get("registered_models", ())]
        return PagedList(items, data.get("next_page_token") or None)

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self._call("POST", f"{_RM}/set-tag", {"name": name, "key": key, "value": value})

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._call("DELETE", f"{_RM}/delete-tag", {"name": name, "key": key})

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        body: dict[str, Any] = {"name": name}
        if stages:
            body["stages"] = list(stages)
        data = self._call("POST", f"{_RM}/get-latest-versions", body)
        return [model_version_from_json(d) for d in data.get("model_versions", ())]

    # ------------------------------------------------------------ model versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Sequence[tuple[str, str]] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
        storage_location: str | None = None,
    ) -> ModelVersion:
        body = {
            "name": name,
            "source": source,
            "run_id": run_id or None,
            "tags": _tags(tags),
            "run_link": run_link or None,
            "description": description or None,
            "model_id": model_id or None,
        }
        data = self._call("POST", f"{_MV}/create", body)
        return model_version_from_json(data["model_version"])

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        data = self._call("GET", f"{_MV}/get", {"name": name, "version": str(version)})
        return model_version_from_json(data["model_version"])

    def update_model_version(
        self, name: str, version: str | int, description: str | None
    ) -> ModelVersion:
        body = {"name": name, "version": str(version), "description": description}
        data = self._call("PATCH", f"{_MV}/update", body)
        return model_version_from_json(data["model_version"])

    def delete_model_version(self, name: str, version: str | int) -> None:
        self._call("DELETE", f"{_MV}/delete", {"name": name, "version": str(version)})

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool,
        force: bool = False,
        comment: str | None = None,
    ) -> ModelVersion:
        body = {
            "name": name,
            "version": str(version),
            "stage": stage,
            "archive_existing_versions": bool(archive_existing_versions),
            "force": True if force else None,
            "comment": comment,
        }
        data = self._call("POST", f"{_MV}/transition-stage", body)
        return model_version_from_json(data["model_version"])

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        params = {"name": name, "version": str(version)}
        return str(self._call("GET", f"{_MV}/get-download-uri", params).get("artifact_uri", ""))

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        params = {
            "filter": filter_string or None,
            "max_results": max_results,
            "order_by": list(order_by or []) or None,
            "page_token": page_token or None,
        }
        data = self._call("GET", f"{_MV}/search", params)
        items = [model_version_from_json(d) for d in data.get("model_versions", ())]
        return PagedList(items, data.get("next_page_token") or None)

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: str) -> None:
        body = {"name": name, "version": str(version), "key": key, "value": value}
        self._call("POST", f"{_MV}/set-tag", body)

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        body = {"name": name, "version": str(version), "key": key}
        self._call("DELETE", f"{_MV}/delete-tag", body)

    # ------------------------------------------------------------ aliases
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        body = {"name": name, "alias": alias, "version": str(version)}
        self._call("POST", f"{_RM}/alias", body)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._call("DELETE", f"{_RM}/alias", {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        data = self._call("GET", f"{_RM}/alias", {"name": name, "alias": alias})
        return model_version_from_json(data["model_version"])

    # ------------------------------------------------------------ audit trail
    def get_model_history(
        self, name: str, version: str | int | None = None
    ) -> list[StageTransition]:
        params = {"name": name, "version": None if version is None else str(version)}
        data = self._call("GET", f"{_MV}/history", params)
        return [stage_transition_from_json(d) for d in data.get("transitions", ())]

    # ------------------------------------------------------------ promotion (modelyard routes)
    def set_registered_model_policy(
        self, name: str, document: dict[str, Any], user_id: str | None = None
    ) -> PolicyVersion:
        data = self._call("POST", f"{_RM}/policy/set", {"name": name, "policy": document})
        return policy_from_json(data["policy"])

    def get_registered_model_policy(
        self, name: str, version: int | None = None
    ) -> PolicyVersion | None:
        params = {"name": name, "version": None if version is None else str(version)}
        data = self._call("GET", f"{_RM}/policy/get", params)
        return policy_from_json(data["policy"]) if data.get("policy") else None

    def list_registered_model_policies(self, name: str) -> list[PolicyVersion]:
        data = self._call("GET", f"{_RM}/policy/list", {"name": name})
        return [policy_from_json(d) for d in data.get("policies", ())]

    def get_gate_results(self, name: str, version: int | None = None) -> list[GateResultEntry]:
        params = {"name": name, "version": None if version is None else str(version)}
        data = self._call("GET", f"{_MV}/gate-results", params)
        return [gate_entry_from_json(d) for d in data.get("gate_results", ())]

    def create_transition_request(
        self,
        name: str,
        version: int,
        stage: str,
        comment: str | None,
        creator: str | None,
        archive_existing_versions: bool = False,
    ) -> TransitionRequest:
        body = {"name": name, "version": str(version), "stage": stage, "comment": comment}
        return request_from_json(self._call("POST", f"{_TR}/create", body)["request"])

    def list_transition_requests(
        self, name: str, version: int, states: Sequence[str] | None = ("PENDING",)
    ) -> list[TransitionRequest]:
        params: dict[str, Any] = {"name": name, "version": str(version)}
        if states != ("PENDING",):
            params["state"] = list(states) if states else ["ALL"]
        data = self._call("GET", f"{_TR}/list", params)
        return [request_from_json(d) for d in data.get("requests", ())]

    def approve_transition_request(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool,
        comment: str | None = None,
    ) -> dict[str, Any]:
        body = {
            "name": name,
            "version": str(version),
            "stage": stage,
            "archive_existing_versions": bool(archive_existing_versions),
            "comment": comment,
        }
        return self._call("POST", f"{_TR}/approve", body)

    def reject_transition_request(
        self, name: str, version: str | int, stage: str, comment: str | None = None
    ) -> dict[str, Any]:
        body = {"name": name, "version": str(version), "stage": stage, "comment": comment}
        return self._call("POST", f"{_TR}/reject", body)

    def delete_transition_request(
        self, name: str, version: str | int, stage: str, creator: str | None
    ) -> None:
        body = {"name": name, "version": str(version), "stage": stage, "creator": creator}
        self._call("DELETE", f"{_TR}/delete", body)
