"""Promotion policies: parsing and checking a policy document (YAML text, a file or a dict).

A policy lists gates per target stage (``Staging``, ``Production``, also ``Archived`` and
``None``) and per alias::

    stages:
      Production:
        - type: metric_threshold          # the latest evaluation of the candidate version
          metric: accuracy_score
          threshold: 0.85
          greater_is_better: true
          dataset: validation             # optional: only evaluations tagged with this dataset
        - type: not_worse_than_production
          metric: accuracy_score
          max_absolute_drop: 0.01         # or max_relative_drop: 0.02 (a fraction)
        - type: signature_compatible      # no input column dropped or retyped
        - type: serving_budget            # from a Delta inference table
          inference_table: /data/inference/churn
          max_p99_latency_ms: 250
          max_error_rate: 0.01
          min_requests: 100
        - type: approvals
          min_approvals: 1
        - type: evidence                  # a provider registered with register_evidence_provider
          provider: my_check
          params: {any: thing}
    aliases:
      champion:
        - type: signature_compatible

Every gate may carry a ``name`` (default ``<type>`` or ``<type>:<metric>``; names are unique in
a stage). Anything unknown (a gate type, a field, a stage) is ``InvalidParameterValue`` naming
the field by its path, e.g. ``policy.stages.Production[1].type``. :func:`parse_policy` returns
the normalised document (the form stored in the registry).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelyard.entities import Stage
from modelyard.errors import InvalidParameterValue

__all__ = [
    "GATE_TYPES",
    "GateSpec",
    "Policy",
    "is_policy_file_name",
    "load_policy_source",
    "parse_policy",
]

_COMMON = {"type", "name"}
_METRIC = {"metric", "greater_is_better", "dataset"}
#: gate type -> (required fields, optional fields)
GATE_TYPES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "metric_threshold": (frozenset({"metric", "threshold"}), frozenset(_METRIC)),
    "not_worse_than_production": (
        frozenset({"metric"}),
        frozenset(_METRIC | {"max_absolute_drop", "max_relative_drop"}),
    ),
    "signature_compatible": (frozenset(), frozenset()),
    "serving_budget": (
        frozenset({"inference_table"}),
        frozenset({"endpoint", "max_p99_latency_ms", "max_error_rate", "min_requests"}),
    ),
    "approvals": (frozenset(), frozenset({"min_approvals"})),
    "evidence": (frozenset({"provider"}), frozenset({"params"})),
}
_TOP = {"stages", "aliases", "description"}


@dataclass(frozen=True)
class GateSpec:
    type: str
    name: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Policy:
    document: dict[str, Any]
    version: int | None = None

    def gates_for(self, target: str) -> list[GateSpec]:
        """Gates for ``Production`` (a stage) or ``alias:champion``."""
        if target.startswith("alias:"):
            raw = self.document.get("aliases", {}).get(target[len("alias:") :], [])
        else:
            raw = self.document.get("stages", {}).get(target, [])
        return [
            GateSpec(g["type"], g["name"], {k: v for k, v in g.items() if k not in _COMMON})
            for g in raw
        ]


def _bad(field: str, why: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid promotion policy: field '{field}' {why}")


def _number(value: Any, field: str, *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(field, f"must be a finite number, got {value!r}.")
    if minimum is not None and value < minimum:
        raise _bad(field, f"must be at least {minimum}, got {value!r}.")
    return float(value)


def _gate(raw: Any, field: str, *, alias: bool) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise _bad(field, f"must be a mapping with a 'type', got {raw!r}.")
    kind = raw.get("type")
    if kind not in GATE_TYPES:
        raise _bad(
            f"{field}.type", f"has unknown gate type {kind!r}; known types: {sorted(GATE_TYPES)}."
        )
    if alias and kind == "approvals":
        raise _bad(f"{field}.type", "'approvals' applies to stages only (requests are per stage).")
    required, optional = GATE_TYPES[kind]
    for key in raw:
        if key not in required | optional | _COMMON:
            raise _bad(f"{field}.{key}", f"is not a field of a '{kind}' gate.")
    for key in sorted(required):
        if key not in raw:
            raise _bad(f"{field}.{key}", f"is required for a '{kind}' gate.")
    gate: dict[str, Any] = {"type": kind}
    for key in ("metric", "dataset", "provider", "inference_table", "endpoint"):
        if key in raw:
            if not isinstance(raw[key], str) or not raw[key].strip():
                raise _bad(f"{field}.{key}", "must be a non-empty string.")
            gate[key] = raw[key]
    if "greater_is_better" in raw or kind in ("metric_threshold", "not_worse_than_production"):
        value = raw.get("greater_is_better", True)
        if not isinstance(value, bool):
            raise _bad(f"{field}.greater_is_better", f"must be true or false, got {value!r}.")
        gate["greater_is_better"] = value
    if "threshold" in raw:
        gate["threshold"] = _number(raw["threshold"], f"{field}.threshold")
    if kind == "not_worse_than_production":
        given = [k for k in ("max_absolute_drop", "max_relative_drop") if k in raw]
        if len(given) > 1:
            raise _bad(f"{field}.max_relative_drop", "cannot be given with 'max_absolute_drop'.")
        key = given[0] if given else "max_absolute_drop"
        gate[key] = _number(raw.get(key, 0.0), f"{field}.{key}", minimum=0.0)
    if kind == "serving_budget":
        limits = [k for k in ("max_p99_latency_ms", "max_error_rate") if k in raw]
        if not limits:
            raise _bad(f"{field}.max_p99_latency_ms", "or 'max_error_rate' is required.")
        for key in limits:
            gate[key] = _number(raw[key], f"{field}.{key}", minimum=0.0)
        gate["min_requests"] = int(
            _number(raw.get("min_requests", 1), f"{field}.min_requests", minimum=1)
        )
    if kind == "approvals":
        gate["min_approvals"] = int(
            _number(raw.get("min_approvals", 1), f"{field}.min_approvals", minimum=1)
        )
    if kind == "evidence":
        params = raw.get("params", {})
        if not isinstance(params, Mapping):
            raise _bad(f"{field}.params", "must be a mapping.")
        gate["params"] = dict(params)
    default_name = f"{kind}:{gate['metric']}" if "metric" in gate else kind
    name = raw.get("name", default_name)
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise _bad(f"{field}.name", "must be a non-empty string of at most 200 characters.")
    gate["name"] = name
    return gate


def _gate_list(raw: Any, field: str, *, alias: bool) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad(field, "must be a list of gates.")
    gates = [_gate(g, f"{field}[{i}]", alias=alias) for i, g in enumerate(raw)]
    seen: set[str] = set()
    for i, g in enumerate(gates):
        if g["name"] in seen:
            raise _bad(f"{field}[{i}].name", f"repeats the gate name {g['name']!r}.")
        seen.add(g["name"])
    return gates


def parse_policy(raw: Any) -> dict[str, Any]:
    """Check a policy (a dict, or YAML/JSON text) and return its normalised document."""
    if isinstance(raw, str):
        import yaml

        try:
            raw = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise InvalidParameterValue(
                f"Invalid promotion policy (field 'policy'): {exc}"
            ) from None
    if not isinstance(raw, Mapping):
        raise _bad("policy", f"must be a mapping with 'stages' and/or 'aliases', got {raw!r}.")
    for key in raw:
        if key not in _TOP:
            raise _bad(f"policy.{key}", f"is unknown; known fields: {sorted(_TOP)}.")
    doc: dict[str, Any] = {}
    if raw.get("description") is not None:
        if not isinstance(raw["description"], str):
            raise _bad("policy.description", "must be a string.")
        doc["description"] = raw["description"]
    stages = raw.get("stages") or {}
    if not isinstance(stages, Mapping):
        raise _bad("policy.stages", "must map stage names to lists of gates.")
    out_stages: dict[str, list[dict[str, Any]]] = {}
    for stage, gates in stages.items():
        try:
            canonical = Stage.canonical(str(stage))
        except InvalidParameterValue:
            raise _bad(
                f"policy.stages.{stage}", "is not a stage (None, Staging, Production, Archived)."
            ) from None
        out_stages[canonical] = _gate_list(gates, f"policy.stages.{canonical}", alias=False)
    aliases = raw.get("aliases") or {}
    if not isinstance(aliases, Mapping):
        raise _bad("policy.aliases", "must map alias names to lists of gates.")
    out_aliases = {
        str(alias): _gate_list(gates, f"policy.aliases.{alias}", alias=True)
        for alias, gates in aliases.items()
    }
    doc["stages"] = out_stages
    doc["aliases"] = out_aliases
    return doc


def is_policy_file_name(source: Any) -> bool:
    """Whether ``source`` names a policy file (a one-line ``.yaml``/``.yml``/``.json`` string)
    rather than being the policy's text."""
    return (
        isinstance(source, str)
        and "\n" not in source
        and source.endswith((".yaml", ".yml", ".json"))
    )


def load_policy_source(source: Any) -> dict[str, Any]:
    """A policy from a dict, YAML text or a path to a YAML/JSON file, normalised."""
    if isinstance(source, Path) or is_policy_file_name(source):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidParameterValue(
                f"Cannot read the promotion policy file '{path}' (field 'policy'): {exc.strerror}"
            ) from None
        return parse_policy(text)
    return parse_policy(source)
