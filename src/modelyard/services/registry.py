"""RegistryService: validates registry input with MLflow's rules, then delegates to a store.

It implements ``RegistryStore`` itself, so the server and the local client hold "a registry
store" and the same rules apply on both sides.

What is checked here (every failure is ``InvalidParameterValue`` naming the field):

* model names: non-empty, no ``/`` or ``:``, a normalized path, at most 256 characters;
* versions: integers (``"Parameter 'version' must be an integer"``);
* stages: case-insensitive, stored canonical (``None``/``Staging``/``Production``/``Archived``);
* aliases: ``^[\\w\\-]+$``, at most 255 characters; ``latest`` (any case) and ``v<digits>`` are
  reserved for ``set`` (``get_model_version_by_alias(name, "latest")`` means the newest version);
* tags: key rules of run tags, key <= 250 characters, value <= 100,000 characters (rejected,
  not truncated, as MLflow does for the registry);
* descriptions at most 5,000 characters, a version's ``source`` and ``run_link`` at most 500
  (MLflow's column sizes, refused on every database here);
* ``max_results``: 1..1000 for registered models, 1..200,000 for model versions;
* version sources (see :meth:`RegistryService.resolve_source`).

Source rules. Path traversal is refused in any encoding (``..`` segments after repeated
percent-decoding, NUL bytes). ``models:/<model_id>`` needs the same ``model_id`` and is stored
with the logged model's artifact location as download location; ``models:/<name>/<version|stage
|latest>`` and ``models:/<name>@<alias>`` are canonicalised to ``models:/<name>/<version>`` and
inherit that version's lineage and download location; ``runs:/<run_id>/<path>`` must name the
same run as ``run_id`` (taken from the source when omitted). A local path or ``file:`` URI (``.``
and ``..`` resolved first, as MLflow does) must lie inside the artifact directory of the given run
or logged model, so a local source without ``run_id``/``model_id`` is refused; when
``allowed_artifact_roots`` is None (an embedded client on the user's own machine; the server
always passes its roots) local paths are accepted. ``mlflow-artifacts:`` sources (and proxy URLs)
must lie inside the run's or logged model's artifact root when a tracking backend is available.

Pass ``tracking`` (a TrackingStore, normally the TrackingService over the same database) when the
tracking data is local; a remote client should not pass it, the server checks lineage itself.
"""

from __future__ import annotations

import json
import logging
import os
import posixpath
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_plus, urlsplit, urlunsplit

from modelyard.entities import ModelVersion, PagedList, RegisteredModel, Stage, StageTransition
from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.query.paging import check_max_results
from modelyard.services.validation import (
    MAX_DESCRIPTION_LENGTH,
    MAX_RUN_LINK_LENGTH,
    MAX_VERSION_SOURCE_LENGTH,
    check_key,
    check_length,
    check_run_id,
)
from modelyard.store.artifacts.base import ArtifactRepository
from modelyard.store.artifacts.paths import safe_relative_path
from modelyard.store.registry.base import RegistryStore
from modelyard.store.registry.records import GateResultEntry, PolicyVersion, TransitionRequest
from modelyard.store.tracking.base import TrackingStore

if TYPE_CHECKING:
    from modelyard.services.promotion import Promotion

_log = logging.getLogger(__name__)

__all__ = [
    "MAX_ALIAS_LENGTH",
    "MAX_MODEL_NAME_LENGTH",
    "MAX_REGISTRY_TAG_VALUE_LENGTH",
    "MODEL_VERSIONS_TAG",
    "REGISTERED_MODELS_MAX_RESULTS",
    "MODEL_VERSIONS_MAX_RESULTS",
    "RegistryService",
    "add_model_version_tag",
    "check_alias",
    "check_model_name",
    "check_version",
]

MAX_MODEL_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000
REGISTERED_MODELS_MAX_RESULTS = 1000
MODEL_VERSIONS_MAX_RESULTS = 200_000
#: logged-model tag listing the registry versions made from the model (JSON list)
MODEL_VERSIONS_TAG = "mlflow.modelVersions"

_ALIAS = re.compile(r"^[\w\-]+$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")
_PROXY_ROUTE = ("api", "2.0", "mlflow-artifacts", "artifacts")


# ---------------------------------------------------------------- field checks
def check_model_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterValue(f"Missing value for required parameter '{field}'.")
    if "/" in name or ":" in name:
        raise InvalidParameterValue(
            f"Invalid model name '{name}' (field '{field}'). Names cannot contain '/' or ':'."
        )
    if len(name) > MAX_MODEL_NAME_LENGTH:
        raise InvalidParameterValue(
            f"Model name (field '{field}') has length {len(name)}, which exceeds the limit "
            f"of {MAX_MODEL_NAME_LENGTH}."
        )
    normalized = posixpath.normpath(name)
    if normalized != name or normalized in (".", "..") or normalized.startswith("../"):
        raise InvalidParameterValue(
            f"Invalid model name '{name}' (field '{field}'): names are used as paths and must "
            f"not resolve to another name (this one resolves to '{normalized}')."
        )
    return name


def check_version(version: object) -> int:
    if isinstance(version, bool) or version is None:
        raise InvalidParameterValue(f"Parameter 'version' must be an integer, got '{version}'.")
    try:
        return int(str(version).strip())
    except ValueError:
        raise InvalidParameterValue(
            f"Parameter 'version' must be an integer, got '{version}'."
        ) from None


def _optional_version(version: object) -> int | None:
    """A version filter: None (or ``""``) for every version."""
    return None if version is None or version == "" else check_version(version)


def check_alias(alias: object, *, for_set: bool) -> str:
    if not isinstance(alias, str) or alias == "":
        raise InvalidParameterValue("Registered model alias name (field 'alias') cannot be empty.")
    if not _ALIAS.match(alias):
        raise InvalidParameterValue(
            f"Invalid alias name: '{alias}' (field 'alias'). Aliases may only contain "
            "alphanumerics, underscores and dashes."
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidParameterValue(
            f"Alias (field 'alias') has length {len(alias)}, which exceeds the limit of "
            f"{MAX_ALIAS_LENGTH}."
        )
    if for_set and alias.lower() == "latest":
        raise InvalidParameterValue("'latest' alias name (case insensitive) is reserved.")
    if for_set and _VERSION_ALIAS.match(alias):
        raise InvalidParameterValue(f"Version alias name '{alias}' is reserved.")
    return alias


def _check_tag(key: object, value: object, kind: str) -> tuple[str, str]:
    check_key(key, kind)
    text = "" if value is None else value if isinstance(value, str) else str(value)
    if len(text) > MAX_REGISTRY_TAG_VALUE_LENGTH:
        raise InvalidParameterValue(
            f"{kind.capitalize()} value (field 'value') of key '{key}' has length {len(text)}, "
            f"which exceeds the limit of {MAX_REGISTRY_TAG_VALUE_LENGTH}."
        )
    return str(key), text


def _check_tags(tags: Sequence[tuple[str, str]] | None, kind: str) -> list[tuple[str, str]]:
    return [_check_tag(k, v, kind) for k, v in (tags or [])]


def _check_optional_str(value: object, field: str, limit: int | None = None) -> str | None:
    if value is None or isinstance(value, str):
        return value if limit is None else check_length(value, field, limit)
    raise InvalidParameterValue(
        f"Invalid value {value!r} for parameter '{field}': expected a string"
    )


def _check_description(value: object) -> str | None:
    return _check_optional_str(value, "description", MAX_DESCRIPTION_LENGTH)


# ---------------------------------------------------------------- source helpers
def _fully_unquoted(text: str) -> str:
    for _ in range(10):
        decoded = unquote_plus(text)
        if decoded == text:
            return text
        text = decoded
    return text


def _reject_traversal(source: str) -> None:
    decoded = _fully_unquoted(source)
    segments = re.split(r"[/\\]", decoded)
    if "\x00" in decoded or any(seg == ".." for seg in segments):
        raise InvalidParameterValue(
            f"Invalid model version source: '{source}' (field 'source'). If supplying a source "
            "as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an "
            "absolute path must be provided without relative path references present. Please "
            "provide an absolute path without relative path references."
        )


def _normalize_local(source: str) -> str:
    """A local source with ``.`` and ``..`` resolved lexically (MLflow accepts
    ``<run artifact dir>/model/..``); where it then points is checked against the run."""
    if "\x00" in _fully_unquoted(source):
        _reject_traversal(source)
    parts = urlsplit(source)
    if parts.scheme.lower() == "file":
        path = posixpath.normpath(unquote(parts.path)) if parts.path else parts.path
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return os.path.normpath(source)


def _is_local(source: str) -> bool:
    scheme = urlsplit(source).scheme.lower()
    return scheme in ("", "file") or (len(scheme) == 1 and source[1:2] == ":")  # C:\...


def _local_path(uri: str) -> Path:
    parts = urlsplit(uri)
    if parts.scheme.lower() == "file":
        return Path(unquote(parts.path)).resolve()
    return Path(uri).resolve()


def _uri_parts(uri: str) -> tuple[str, str, tuple[str, ...]]:
    parts = urlsplit(uri)
    segs = tuple(_fully_unquoted(s) for s in parts.path.split("/") if s)
    return parts.scheme.lower(), parts.netloc.lower(), segs


def _within(source: str, root: str | None) -> bool:
    if not root:
        return False
    if _is_local(source):
        if not _is_local(root):
            return False
        src, base = _local_path(source), _local_path(root)
        return src == base or base in src.parents
    s_scheme, s_host, s_parts = _uri_parts(source)
    r_scheme, r_host, r_parts = _uri_parts(root)
    return (
        s_scheme == r_scheme
        and s_host == r_host
        and bool(r_parts)
        and s_parts[: len(r_parts)] == r_parts
    )


def _is_proxy_source(source: str) -> bool:
    scheme, _, parts = _uri_parts(source)
    if scheme == "mlflow-artifacts":
        return True
    n = len(_PROXY_ROUTE)
    return scheme in ("http", "https") and any(
        parts[i : i + n] == _PROXY_ROUTE for i in range(len(parts) - n + 1)
    )


def _invalid_source(source: str, field: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Invalid model version source: '{source}'. The {field} request parameter must identify "
        "the resource that contains the source."
    )


class RegistryService(RegistryStore):
    """Validating facade over any RegistryStore."""

    def __init__(
        self,
        store: RegistryStore,
        tracking: TrackingStore | None = None,
        allowed_artifact_roots: Sequence[str] | None = None,
    ) -> None:
        self.store = store
        self.tracking = tracking
        self.allowed_artifact_roots = (
            None if allowed_artifact_roots is None else [r for r in allowed_artifact_roots if r]
        )
        #: called as ``event_sink(event_name, data)`` after each change webhooks report
        #: (the server sets it to ``WebhookService.emit``); a failing sink never fails the call
        self.event_sink: Callable[[str, dict[str, Any]], Any] | None = None
        #: opens the artifact repository of a version's files (the signature gate reads
        #: ``MLmodel``); the server sets it to its own resolver (``mlflow-artifacts:`` URIs)
        self.artifact_repository_for: Callable[[str], ArtifactRepository] = _default_repository

    def _promotion(self) -> Promotion:
        from modelyard.services.promotion import Promotion

        return Promotion(self)

    def _emit(self, event: str, data: dict[str, Any]) -> None:
        sink = self.event_sink
        if sink is None:
            return
        try:
            sink(event, data)
        except Exception:
            _log.exception("could not queue webhook event %s", event)

    @classmethod
    def for_uri(
        cls,
        registry_uri: str,
        tracking: TrackingStore | None = None,
        tracking_uri: str | None = None,
    ) -> RegistryService:
        """The service a client uses for ``registry_uri``.

        ``tracking`` is attached only when both the registry and the tracking store are local
        databases (then this process must resolve lineage itself); against a server the server
        does it, and attaching it would only add round trips.
        """
        from modelyard.store.registry.registry import get_registry_store
        from modelyard.store.sql.engine import is_sql_uri

        local = is_sql_uri(registry_uri) and tracking_uri is not None and is_sql_uri(tracking_uri)
        return cls(get_registry_store(registry_uri), tracking=tracking if local else None)

    # ------------------------------------------------------------ registered models
    def create_registered_model(
        self,
        name: str,
        tags: Sequence[tuple[str, str]] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        check_model_name(name)
        clean = _check_tags(tags, "registered model tag")
        description = _check_description(description)
        rm = self.store.create_registered_model(name, clean, description)
        self._emit(
            "registered_model.created",
            {"name": rm.name, "tags": dict(clean), "description": description or None},
        )
        return rm

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self.store.get_registered_model(check_model_name(name))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        check_model_name(name)
        check_model_name(new_name, "new_name")
        return self.store.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        check_model_name(name)
        return self.store.update_registered_model(name, _check_description(description))

    def delete_registered_model(self, name: str) -> None:
        self.store.delete_registered_model(check_model_name(name))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        return self.store.search_registered_models(
            _check_optional_str(filter_string, "filter") or None,
            check_max_results(max_results, REGISTERED_MODELS_MAX_RESULTS),
            list(order_by) if order_by else None,
            _check_optional_str(page_token, "page_token") or None,
        )

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        check_model_name(name)
        key, value = _check_tag(key, value, "registered model tag")
        self.store.set_registered_model_tag(name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        check_model_name(name)
        self.store.delete_registered_model_tag(name, check_key(key, "registered model tag"))

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        check_model_name(name)
        canonical = [Stage.canonical(s) for s in stages] if stages else None
        return self.store.get_latest_versions(name, canonical)

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
        check_model_name(name)
        clean = _check_tags(tags, "model version tag")
        run_link = _check_optional_str(run_link, "run_link", MAX_RUN_LINK_LENGTH)
        description = _check_description(description)
        if isinstance(source, str):
            check_length(source, "source", MAX_VERSION_SOURCE_LENGTH)
        source, run_id, model_id, location = self.resolve_source(source, run_id, model_id)
        mv = self.store.create_model_version(
            name,
            source,
            run_id=run_id,
            tags=clean,
            run_link=run_link or None,
            description=description or None,
            model_id=model_id,
            storage_location=storage_location or location,
        )
        if model_id and self.tracking is not None:
            self.record_version_on_logged_model(model_id, mv.name, mv.version)
        self._emit(
            "model_version.created",
            {
                "name": mv.name,
                "version": str(mv.version),
                "source": mv.source,
                "run_id": mv.run_id or None,
                "tags": dict(clean),
                "description": description or None,
            },
        )
        return mv

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return self.store.get_model_version(check_model_name(name), check_version(version))

    def update_model_version(
        self, name: str, version: str | int, description: str | None
    ) -> ModelVersion:
        check_model_name(name)
        return self.store.update_model_version(
            name, check_version(version), _check_description(description)
        )

    def delete_model_version(self, name: str, version: str | int) -> None:
        self.store.delete_model_version(check_model_name(name), check_version(version))

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool,
        force: bool = False,
        comment: str | None = None,
        *,
        user: str | None = None,
    ) -> ModelVersion:
        """Move a version to ``stage`` through the gates of the model's promotion policy (see
        :mod:`modelyard.services.promotion`); ``force`` goes past failed gates (recorded)."""
        check_model_name(name)
        v = check_version(version)
        target = Stage.canonical(stage)
        archive = bool(archive_existing_versions)
        comment = _check_optional_str(comment, "comment")
        if archive and target not in (Stage.STAGING, Stage.PRODUCTION):
            raise InvalidParameterValue(
                f"Model version transition cannot archive existing model versions because "
                f"'{target}' is not an active stage (field 'archive_existing_versions'). "
                "Valid stages are ['Staging', 'Production']."
            )
        before = self.store.get_model_version(name, v) if self.event_sink is not None else None
        if self.store.enforces_policies:  # the server runs the gates
            mv = self.store.transition_model_version_stage(
                name, v, target, archive, force=bool(force), comment=comment
            )
        else:
            mv = self._promotion().transition(
                name,
                v,
                target,
                archive,
                force=bool(force),
                user=user,
            )
        self.emit_transition(before, mv, archive)
        return mv

    def emit_transition(self, before: ModelVersion | None, mv: ModelVersion, archive: bool) -> None:
        self._emit(
            "model_version_stage.transitioned",
            {
                "name": mv.name,
                "version": str(mv.version),
                "from_stage": before.current_stage if before is not None else None,
                "to_stage": mv.current_stage,
                "archive_existing_versions": archive,
            },
        )

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        return self.store.get_model_version_download_uri(
            check_model_name(name), check_version(version)
        )

    def files_uri(self, uri: str) -> str:
        """Follow ``runs:/`` and ``models:/`` download URIs to the artifact URI of the files."""
        tracking = self.tracking
        for _ in range(8):  # models:/a/1 -> models:/b/2 -> ... ends quickly
            if uri.startswith("runs:") and tracking is not None:
                run_id, _, path = uri[len("runs:") :].lstrip("/").partition("/")
                base = tracking.get_run(run_id).info.artifact_uri.rstrip("/")
                uri = f"{base}/{safe_relative_path(path)}" if path.strip("/") else base
            elif uri.startswith("models:"):
                rest = uri[len("models:") :].lstrip("/")
                if "/" not in rest and "@" not in rest and tracking is not None:
                    return tracking.get_logged_model(rest).artifact_location
                name, _, version = rest.partition("/")
                uri = self.get_model_version_download_uri(name, version)
            else:
                return uri
        raise ResourceDoesNotExist(f"Cannot resolve the files of model URI '{uri}'.")

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        return self.store.search_model_versions(
            _check_optional_str(filter_string, "filter") or None,
            check_max_results(max_results, MODEL_VERSIONS_MAX_RESULTS),
            list(order_by) if order_by else None,
            _check_optional_str(page_token, "page_token") or None,
        )

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: str) -> None:
        check_model_name(name)
        v = check_version(version)
        key, value = _check_tag(key, value, "model version tag")
        self.store.set_model_version_tag(name, v, key, value)
        self._emit(
            "model_version_tag.set", {"name": name, "version": str(v), "key": key, "value": value}
        )

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        check_model_name(name)
        v = check_version(version)
        key = check_key(key, "model version tag")
        self.store.delete_model_version_tag(name, v, key)
        self._emit("model_version_tag.deleted", {"name": name, "version": str(v), "key": key})

    # ------------------------------------------------------------ aliases
    def set_registered_model_alias(
        self,
        name: str,
        alias: str,
        version: str | int,
        force: bool = False,
        *,
        user: str | None = None,
    ) -> None:
        """Set or move an alias; a policy's ``aliases.<alias>`` gates run first (local store)."""
        check_model_name(name)
        check_alias(alias, for_set=True)
        v = check_version(version)
        if not self.store.enforces_policies:
            self._promotion().gated_alias(name, alias, v, force=bool(force), user=user)
        self.store.set_registered_model_alias(name, alias, v)
        self._emit("model_version_alias.created", {"name": name, "alias": alias, "version": str(v)})

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        check_model_name(name)
        alias = check_alias(alias, for_set=False)
        self.store.delete_registered_model_alias(name, alias)
        self._emit("model_version_alias.deleted", {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        check_model_name(name)
        return self.store.get_model_version_by_alias(name, check_alias(alias, for_set=False))

    # ------------------------------------------------------------ audit trail
    def get_model_history(
        self, name: str, version: str | int | None = None
    ) -> list[StageTransition]:
        check_model_name(name)
        v = _optional_version(version)
        return self.store.get_model_history(name, v)

    # ------------------------------------------------------------ promotion policies
    def set_registered_model_policy(
        self, name: str, document: Any, user_id: str | None = None
    ) -> PolicyVersion:
        """Store a new version of the model's policy (a dict, YAML text or a file path)."""
        from modelyard.services.policies import load_policy_source

        check_model_name(name)
        return self.store.set_registered_model_policy(name, load_policy_source(document), user_id)

    def get_registered_model_policy(
        self, name: str, version: str | int | None = None
    ) -> PolicyVersion | None:
        check_model_name(name)
        v = _optional_version(version)
        return self.store.get_registered_model_policy(name, v)

    def list_registered_model_policies(self, name: str) -> list[PolicyVersion]:
        return self.store.list_registered_model_policies(check_model_name(name))

    def get_gate_results(
        self, name: str, version: str | int | None = None
    ) -> list[GateResultEntry]:
        check_model_name(name)
        v = _optional_version(version)
        return self.store.get_gate_results(name, v)

    # ------------------------------------------------------------ transition requests
    def create_transition_request(
        self,
        name: str,
        version: str | int,
        stage: str,
        comment: str | None = None,
        creator: str | None = None,
        archive_existing_versions: bool = False,
    ) -> TransitionRequest:
        check_model_name(name)
        v = check_version(version)
        target = _request_stage(stage)
        comment = _check_optional_str(comment, "comment")
        request = self.store.create_transition_request(
            name, v, target, comment, creator, bool(archive_existing_versions)
        )
        self._emit("transition_request.created", _request_event(request))
        return request

    def list_transition_requests(
        self, name: str, version: str | int, states: Sequence[str] | None = ("PENDING",)
    ) -> list[TransitionRequest]:
        check_model_name(name)
        return self.store.list_transition_requests(name, check_version(version), states)

    def approve_transition_request(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool = False,
        comment: str | None = None,
        *,
        user: str | None = None,
        is_admin: bool = True,
    ) -> dict[str, Any]:
        """Approve the pending request and apply the transition after the gates; returns
        Databricks' ``{"activity": ...}`` (plus ``model_version`` when applied, ``gates``)."""
        check_model_name(name)
        v = check_version(version)
        target = _request_stage(stage)
        comment = _check_optional_str(comment, "comment")
        if self.store.enforces_policies:
            return self.store.approve_transition_request(
                name, v, target, bool(archive_existing_versions), comment
            )
        return self._promotion().approve(
            name, v, target, bool(archive_existing_versions), comment, user=user, is_admin=is_admin
        )

    def reject_transition_request(
        self,
        name: str,
        version: str | int,
        stage: str,
        comment: str | None = None,
        *,
        user: str | None = None,
    ) -> dict[str, Any]:
        check_model_name(name)
        v = check_version(version)
        target = _request_stage(stage)
        comment = _check_optional_str(comment, "comment")
        if self.store.enforces_policies:
            return self.store.reject_transition_request(name, v, target, comment)
        return self._promotion().reject(name, v, target, comment, user=user)

    def delete_transition_request(
        self, name: str, version: str | int, stage: str, creator: str | None = None
    ) -> None:
        check_model_name(name)
        v = check_version(version)
        target = _request_stage(stage)
        creator = _check_optional_str(creator, "creator") or None
        self.store.delete_transition_request(name, v, target, creator)
        self._emit(
            "transition_request.cancelled",
            {"name": name, "version": str(v), "to_stage": target, "user_id": creator},
        )

    # ------------------------------------------------------------ sources and lineage
    def resolve_source(
        self, source: object, run_id: str | None, model_id: str | None
    ) -> tuple[str, str | None, str | None, str | None]:
        """Validate a version source; returns ``(source, run_id, model_id, storage_location)``."""
        if not isinstance(source, str) or not source.strip():
            raise InvalidParameterValue("Missing value for required parameter 'source'.")
        run_id = check_run_id(run_id) if run_id else None
        model_id = _check_optional_str(model_id, "model_id") or None
        if _is_local(source):
            source = _normalize_local(source)
        else:
            _reject_traversal(source)
        scheme = urlsplit(source).scheme.lower()
        if scheme == "models":
            return self._resolve_models_source(source, run_id, model_id)
        if scheme == "runs":
            return self._resolve_runs_source(source, run_id, model_id)
        if _is_local(source):
            self._check_local_source(source, run_id, model_id)
        elif _is_proxy_source(source):
            self._check_proxy_source(source, run_id, model_id)
        if model_id and not run_id:
            run_id = self._logged_model_run(model_id, source)
        return source, run_id, model_id, None

    def _resolve_models_source(
        self, source: str, run_id: str | None, model_id: str | None
    ) -> tuple[str, str | None, str | None, str | None]:
        parts = urlsplit(source)
        rest = parts.path.lstrip("/")
        if parts.netloc or not rest:
            raise _invalid_source(source, "model_id")
        segments = rest.split("/")
        if len(segments) == 1 and "@" not in rest:  # models:/<model_id>
            if model_id != rest:
                raise _invalid_source(source, "model_id")
            location = None
            if self.tracking is not None:
                logged = self._logged_model(model_id, source)
                location = logged.artifact_location
                run_id = run_id or logged.source_run_id or None
            return source, run_id, model_id, location
        mv = self._registered_source_version(source, segments, rest)
        if (run_id and run_id != (mv.run_id or "")) or (
            model_id and model_id != (mv.model_id or "")
        ):
            raise InvalidParameterValue(
                f"Invalid model version source: '{source}'. The run_id and model_id request "
                "parameters must match the referenced model version."
            )
        location = self.store.get_model_version_download_uri(mv.name, mv.version)
        return (
            f"models:/{mv.name}/{mv.version}",
            run_id or mv.run_id or None,
            model_id or mv.model_id or None,
            location,
        )

    def _registered_source_version(
        self, source: str, segments: list[str], rest: str
    ) -> ModelVersion:
        try:
            if len(segments) == 1:  # name@alias
                name, alias = rest.rsplit("@", 1)
                return self.store.get_model_version_by_alias(name, alias)
            if len(segments) != 2:
                raise _invalid_source(source, "model_id")
            name, suffix = segments
            if suffix.isdigit():
                return self.store.get_model_version(name, int(suffix))
            stages = None if suffix.lower() == "latest" else [Stage.canonical(suffix)]
            found = self.store.get_latest_versions(name, stages)
        except ResourceDoesNotExist as exc:
            raise InvalidParameterValue(
                f"Invalid model version source: '{source}': {exc.message}"
            ) from None
        if not found:
            raise InvalidParameterValue(
                f"Invalid model version source: '{source}': no version matches."
            )
        return max(found, key=lambda mv: int(mv.version))

    def _resolve_runs_source(
        self, source: str, run_id: str | None, model_id: str | None
    ) -> tuple[str, str | None, str | None, str | None]:
        parts = urlsplit(source)
        source_run = parts.path.lstrip("/").split("/", 1)[0]
        if parts.netloc or not source_run or model_id:
            raise _invalid_source(source, "model_id" if model_id else "run_id")
        if run_id is not None and run_id != source_run:
            raise _invalid_source(source, "run_id")
        return source, source_run, None, None

    def _check_local_source(self, source: str, run_id: str | None, model_id: str | None) -> None:
        if self.allowed_artifact_roots is None:  # embedded: the user's own files
            return
        roots: list[str] = []
        if self.tracking is not None and model_id:
            roots.append(self._logged_model(model_id, source).artifact_location)
        elif self.tracking is not None and run_id:
            roots.append(self._run_artifact_uri(run_id, source))
        if not any(_within(source, root) for root in roots):
            raise InvalidParameterValue(
                f"Invalid model version source: '{source}' (field 'source'). To use a local "
                "path as a model version source, the run_id request parameter has to be "
                "specified and the local path has to be contained within the artifact "
                "directory of the run specified by the run_id (or the model_id's artifact "
                "location)."
            )

    def _check_proxy_source(self, source: str, run_id: str | None, model_id: str | None) -> None:
        if self.tracking is None:
            return
        if model_id:
            if _within(source, self._logged_model(model_id, source).artifact_location):
                return
            raise _invalid_source(source, "model_id")
        if run_id and _within(source, self._run_artifact_uri(run_id, source)):
            return
        raise _invalid_source(source, "run_id")

    def _logged_model(self, model_id: str, source: str):
        assert self.tracking is not None
        try:
            return self.tracking.get_logged_model(model_id)
        except ResourceDoesNotExist:
            raise _invalid_source(source, "model_id") from None

    def _logged_model_run(self, model_id: str, source: str) -> str | None:
        if self.tracking is None:
            return None
        return self._logged_model(model_id, source).source_run_id or None

    def _run_artifact_uri(self, run_id: str, source: str) -> str:
        assert self.tracking is not None
        try:
            return self.tracking.get_run(run_id).info.artifact_uri or ""
        except ResourceDoesNotExist:
            raise _invalid_source(source, "run_id") from None

    def record_version_on_logged_model(self, model_id: str, name: str, version: str) -> None:
        """Add ``{name, version}`` to the logged model's ``mlflow.modelVersions`` tag (once)."""
        if self.tracking is None:
            return
        add_model_version_tag(self.tracking, model_id, name, version)


def _default_repository(uri: str) -> ArtifactRepository:
    from modelyard.store.artifacts.registry import get_artifact_repository

    return get_artifact_repository(uri)


def _request_stage(stage: object) -> str:
    if not isinstance(stage, str) or not stage.strip():
        raise InvalidParameterValue("Missing value for required parameter 'stage'.")
    return Stage.canonical(stage)


def _request_event(request: TransitionRequest) -> dict[str, Any]:
    return {
        "name": request.name,
        "version": request.version,
        "id": request.id,
        "to_stage": request.to_stage,
        "state": request.state,
        "user_id": request.creator,
        "comment": request.comment,
    }


def add_model_version_tag(tracking: TrackingStore, model_id: str, name: str, version: str) -> None:
    """Merge ``{"name", "version"}`` into the ``mlflow.modelVersions`` tag of a logged model."""
    entry = {"name": name, "version": str(version)}
    existing = tracking.get_logged_model(model_id).tags.get(MODEL_VERSIONS_TAG)
    entries: list = []
    if existing:
        try:
            entries = list(json.loads(existing))
        except (TypeError, ValueError):
            entries = []
    if entry in entries:
        return
    tracking.set_logged_model_tags(model_id, [(MODEL_VERSIONS_TAG, json.dumps([*entries, entry]))])
