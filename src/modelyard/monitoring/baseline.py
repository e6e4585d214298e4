"""Baselines: a reference :class:`Profile` stored with a registered model version.

``log_baseline(model_name, version, data)`` (also named ``set_baseline``) profiles ``data`` (or
takes a ready profile), logs it as a JSON artifact of the version's source run (a small run of
its own when the version has none) and records its ``runs:/`` URI in the version tag
``modelyard.monitoring.baseline``. ``get_baseline`` reads one version's back;
``find_baseline(model_name)`` picks the version: the Production one, else the newest, among the
versions that have a baseline. Everything goes through the public client, so it works the same
against a local store and a ``modelyard server``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.monitoring.profiles import Profile, profile

__all__ = [
    "BASELINE_TAG",
    "Baseline",
    "find_baseline",
    "get_baseline",
    "load_profile",
    "log_baseline",
    "log_profile",
    "set_baseline",
]

BASELINE_TAG = "modelyard.monitoring.baseline"
BASELINES_EXPERIMENT = "modelyard-monitoring-baselines"


def _client(client: Any) -> Any:
    if client is not None:
        return client
    from modelyard.client import MlflowClient

    return MlflowClient()


def _as_profile(data: Any, profile_kwargs: dict[str, Any]) -> Profile:
    if isinstance(data, Profile):
        if profile_kwargs:
            raise InvalidParameterValue(
                "Profile options cannot be given with a ready Profile: "
                + ", ".join(sorted(profile_kwargs))
            )
        return data
    return profile(data, **profile_kwargs)


def log_profile(
    data: Any,
    run_id: str | None = None,
    *,
    artifact_file: str = "monitoring/profile.json",
    client: Any = None,
    **profile_kwargs: Any,
) -> str:
    """Log a profile (of ``data``, or ``data`` itself if a Profile) to a run; returns its URI."""
    prof = _as_profile(data, profile_kwargs)
    if run_id is None:
        from modelyard.client.fluent import active_run

        run = active_run()
        if run is None:
            raise InvalidParameterValue("log_profile needs a run_id or an active run.")
        run_id = run.info.run_id
    _client(client).log_dict(run_id, prof.to_dict(), artifact_file)
    return f"runs:/{run_id}/{artifact_file}"


def load_profile(uri: str, *, client: Any = None) -> Profile:
    """Read a profile from a ``runs:/<run_id>/<path>`` URI or a local JSON file."""
    if uri.startswith("runs:/"):
        rest = uri[len("runs:/") :].lstrip("/")
        run_id, _, path = rest.partition("/")
        if not run_id or not path:
            raise InvalidParameterValue(f"Not a runs:/<run_id>/<path> URI: {uri!r}.")
        local = _client(client).download_artifacts(run_id, path)
    else:
        local = uri
    if not os.path.isfile(local):
        raise ResourceDoesNotExist(f"No profile file at {uri!r}.")
    with open(local, encoding="utf-8") as fh:
        return Profile.from_json(fh.read())


def log_baseline(
    model_name: str,
    version: str | int,
    data: Any,
    *,
    client: Any = None,
    **profile_kwargs: Any,
) -> str:
    """Store the baseline profile of ``model_name`` version ``version``; returns its URI."""
    c = _client(client)
    mv = c.get_model_version(model_name, version)
    prof = _as_profile(data, profile_kwargs)
    run_id = mv.run_id
    if not run_id:
        exp = c.get_experiment_by_name(BASELINES_EXPERIMENT)
        exp_id = exp.experiment_id if exp is not None else c.create_experiment(BASELINES_EXPERIMENT)
        run = c.create_run(exp_id, run_name=f"baseline {model_name} v{mv.version}")
        run_id = run.info.run_id
        c.set_terminated(run_id)
    uri = log_profile(
        prof,
        run_id,
        artifact_file=f"monitoring/baseline/v{mv.version}/profile.json",
        client=c,
    )
    c.set_model_version_tag(model_name, mv.version, BASELINE_TAG, uri)
    return uri


set_baseline = log_baseline  # the earlier name, kept


def get_baseline(model_name: str, version: str | int, *, client: Any = None) -> Profile:
    """The baseline profile stored by :func:`set_baseline` for that model version."""
    c = _client(client)
    mv = c.get_model_version(model_name, version)
    uri = (mv.tags or {}).get(BASELINE_TAG)
    if not uri:
        raise ResourceDoesNotExist(
            f"Model {model_name!r} version {mv.version} has no monitoring baseline "
            "(monitoring.set_baseline stores one)."
        )
    return load_profile(uri, client=c)


PRODUCTION_STAGE = "Production"
PRODUCTION_ALIAS = "production"


@dataclass(frozen=True)
class Baseline:
    """The baseline :func:`find_baseline` picked: the model version it belongs to, why that
    version (``"version"``: asked for; ``"production"``; ``"newest"``), its URI and profile."""

    model_name: str
    version: str
    chosen_by: str
    uri: str
    profile: Profile


def _versions(c: Any, model_name: str) -> list[Any]:
    c.get_registered_model(model_name)  # ResourceDoesNotExist naming the model
    quote = '"' if "'" in model_name else "'"
    flt = f"name = {quote}{model_name}{quote}"
    found: list[Any] = []
    token = None
    while True:
        page = c.search_model_versions(flt, page_token=token)
        found += [mv for mv in page if mv.name == model_name]
        token = getattr(page, "token", None)
        if not token:
            return found


def _is_production(mv: Any) -> bool:
    if (mv.current_stage or "").lower() == PRODUCTION_STAGE.lower():
        return True
    return any(str(a).lower() == PRODUCTION_ALIAS for a in (getattr(mv, "aliases", None) or []))


def find_baseline(
    model_name: str, version: str | int | None = None, *, client: Any = None
) -> Baseline:
    """The baseline of ``model_name``: of ``version`` when given; else of the Production
    version (stage ``Production`` or alias ``production``; the newest such when several);
    else of the newest version. Only versions that have a baseline are candidates, so a
    Production version without one falls back to the newest version that has one.

    Raises ``ResourceDoesNotExist`` naming the model when it does not exist or none of its
    versions (or the version asked for) has a baseline."""
    c = _client(client)
    if version is not None:
        mv = c.get_model_version(model_name, version)
        uri = (mv.tags or {}).get(BASELINE_TAG)
        prof = get_baseline(model_name, mv.version, client=c)
        return Baseline(model_name, str(mv.version), "version", str(uri), prof)
    with_baseline = [mv for mv in _versions(c, model_name) if (mv.tags or {}).get(BASELINE_TAG)]
    if not with_baseline:
        raise ResourceDoesNotExist(
            f"Registered model {model_name!r} has no version with a monitoring baseline "
            "(monitoring.log_baseline stores one)."
        )
    production = [mv for mv in with_baseline if _is_production(mv)]
    pool, chosen_by = (production, "production") if production else (with_baseline, "newest")
    mv = max(pool, key=lambda m: int(m.version))
    uri = mv.tags[BASELINE_TAG]
    return Baseline(model_name, str(mv.version), chosen_by, uri, load_profile(uri, client=c))
