"""Promotion gates: evaluate the gates of a policy for one transition and collect the evidence.

Each gate gives a :class:`~modelyard.store.registry.records.GateRecord` (PASSED or FAILED, a
one-line message, an evidence dict). A gate that cannot find its evidence fails (it never
raises): a metric no evaluation logged, a Production version without an evaluation, a missing
inference table.

Where the evidence comes from:

* ``metric_threshold`` / ``not_worse_than_production``: the newest run (by start time, across
  all experiments) tagged ``modelyard.evaluation.model_version = <name>/<version>`` (and
  ``modelyard.evaluation.dataset = <dataset>`` when the gate names one). ``modelyard.models.
  evaluate`` sets those tags when it evaluates a ``models:/<name>/<version>`` URI or is given
  ``evaluator_config={"model_version": ..., "dataset_name": ...}``. The evidence cites the run id.
* ``signature_compatible``: the ``signature.inputs`` of the versions' ``MLmodel`` files, read
  through :attr:`GateContext.read_mlmodel`.
* ``serving_budget``: a Delta inference table (the serving endpoints' columns ``model_name``,
  ``model_version``, ``status_code``, ``latency_ms``, ``endpoint``), read lazily with
  ``deltalake``/``pyarrow``; rows of the candidate version only; an error is status >= 500.
* ``approvals``: APPROVED transition requests of this version and stage (distinct approvers).
* ``evidence``: a provider registered by an upper layer or the user with
  :func:`register_evidence_provider` (name -> ``fn(ctx, params) -> (passed, message, evidence)``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelyard.entities import ModelVersion, Run, Stage, ViewType
from modelyard.store.registry.records import GATE_FAILED, GATE_PASSED, GateRecord
from modelyard.store.tracking.base import TrackingStore

__all__ = [
    "DATASET_TAG",
    "MODEL_VERSION_TAG",
    "EvidenceProvider",
    "GateContext",
    "evaluate_gates",
    "production_for",
    "register_evidence_provider",
    "unregister_evidence_provider",
]

_log = logging.getLogger(__name__)

MODEL_VERSION_TAG = "modelyard.evaluation.model_version"
DATASET_TAG = "modelyard.evaluation.dataset"

#: ``fn(ctx, params) -> (passed, message, evidence)``
EvidenceProvider = Callable[["GateContext", Mapping[str, Any]], tuple[bool, str, dict[str, Any]]]
_providers: dict[str, EvidenceProvider] = {}
_providers_lock = threading.Lock()


def register_evidence_provider(name: str, provider: EvidenceProvider) -> None:
    """Make ``provider`` answer the policy gates ``{type: evidence, provider: <name>}``."""
    with _providers_lock:
        _providers[name] = provider


def unregister_evidence_provider(name: str) -> None:
    with _providers_lock:
        _providers.pop(name, None)


@dataclass
class GateContext:
    """What a gate may look at for one transition attempt."""

    name: str
    candidate: ModelVersion
    target: str  # a stage, or "alias:<alias>"
    production: ModelVersion | None
    tracking: TrackingStore | None
    #: reads a version's MLmodel document (None when it has none)
    read_mlmodel: Callable[[ModelVersion], dict[str, Any] | None]
    #: distinct users who approved requests for this version and stage
    approvers: Sequence[str] = ()
    _runs: dict[tuple[str, str | None], Run | None] = field(default_factory=dict)

    def evaluation(self, version: ModelVersion, dataset: str | None) -> Run | None:
        """The newest evaluation run of ``version`` (on ``dataset``), cached per attempt."""
        key = (str(version.version), dataset)
        if key not in self._runs:
            self._runs[key] = self._find_evaluation(version, dataset)
        return self._runs[key]

    def _find_evaluation(self, version: ModelVersion, dataset: str | None) -> Run | None:
        if self.tracking is None:
            return None
        value = f"{version.name}/{version.version}".replace("'", "\\'")
        filt = f"tags.`{MODEL_VERSION_TAG}` = '{value}'"
        if dataset is not None:
            filt += " and tags.`{}` = '{}'".format(DATASET_TAG, dataset.replace("'", "\\'"))
        experiment_ids: list[str] = []
        token: str | None = None
        while True:
            page = self.tracking.search_experiments(
                view_type=ViewType.ACTIVE_ONLY, max_results=1000, page_token=token
            )
            experiment_ids += [e.experiment_id for e in page]
            token = page.token
            if not token:
                break
        if not experiment_ids:
            return None
        runs = self.tracking.search_runs(
            experiment_ids, filt, ViewType.ACTIVE_ONLY, 1, ["attributes.start_time DESC"]
        )
        return runs[0] if runs else None


def _metric_of(
    ctx: GateContext, version: ModelVersion, p: Mapping[str, Any]
) -> tuple[float | None, dict[str, Any], str]:
    """(value, evidence, reason when missing) of the gate's metric for ``version``."""
    dataset = p.get("dataset")
    run = ctx.evaluation(version, dataset)
    where = f" on dataset '{dataset}'" if dataset else ""
    if run is None:
        return (
            None,
            {"version": str(version.version), "dataset": dataset},
            f"no evaluation of version {version.version}{where} is logged (a run tagged "
            f"{MODEL_VERSION_TAG}={version.name}/{version.version})",
        )
    evidence = {
        "version": str(version.version),
        "evaluation_run_id": run.info.run_id,
        "dataset": dataset,
    }
    value = run.data.metrics.get(p["metric"])
    if value is None:
        return (
            None,
            evidence,
            f"metric '{p['metric']}' was not produced by evaluation run {run.info.run_id} of "
            f"version {version.version}{where}",
        )
    evidence["value"] = value
    return float(value), evidence, ""


def _metric_threshold(ctx: GateContext, p: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    value, evidence, missing = _metric_of(ctx, ctx.candidate, p)
    evidence.update(metric=p["metric"], threshold=p["threshold"])
    if value is None:
        return False, missing, evidence
    better = p.get("greater_is_better", True)
    ok = value >= p["threshold"] if better else value <= p["threshold"]
    op = (">=" if ok else "<") if better else ("<=" if ok else ">")
    return (
        ok,
        f"{p['metric']} = {value:g} {op} threshold {p['threshold']:g} "
        f"(evaluation run {evidence['evaluation_run_id']})",
        evidence,
    )


def _not_worse(ctx: GateContext, p: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    metric = p["metric"]
    prod = ctx.production
    if prod is None:
        return (
            True,
            "no other version is in Production: nothing to compare with",
            {"metric": metric},
        )
    value, evidence, missing = _metric_of(ctx, ctx.candidate, p)
    evidence = {"metric": metric, "candidate": evidence, "production_version": str(prod.version)}
    if value is None:
        return False, missing, evidence
    base, base_evidence, base_missing = _metric_of(ctx, prod, p)
    evidence["production"] = base_evidence
    if base is None:
        return False, f"cannot compare with Production: {base_missing}", evidence
    better = p.get("greater_is_better", True)
    drop = (base - value) if better else (value - base)
    evidence["drop"] = drop
    if "max_relative_drop" in p:
        limit = float(p["max_relative_drop"])
        relative = drop / max(abs(base), 1e-10)
        evidence.update(relative_drop=relative, max_relative_drop=limit)
        ok = relative <= limit
        detail = f"relative drop {relative:.4g} {'<=' if ok else '>'} {limit:g}"
    else:
        limit = float(p.get("max_absolute_drop", 0.0))
        evidence["max_absolute_drop"] = limit
        ok = drop <= limit
        detail = f"drop {drop:.4g} {'<=' if ok else '>'} {limit:g}"
    return (
        ok,
        f"{metric}: candidate {value:g} vs Production v{prod.version} {base:g}, {detail} "
        f"(evaluation runs {evidence['candidate']['evaluation_run_id']} and "
        f"{base_evidence['evaluation_run_id']})",
        evidence,
    )


def _inputs(doc: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    if not doc:
        return None
    raw = (doc.get("signature") or {}).get("inputs")
    if raw is None:
        return None
    parsed = json.loads(raw) if isinstance(raw, str) else raw
    return list(parsed) if isinstance(parsed, list) else None


def _signature(ctx: GateContext, p: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    prod = ctx.production
    if prod is None:
        return True, "no other version is in Production: nothing to compare with", {}
    evidence: dict[str, Any] = {"production_version": str(prod.version)}
    try:
        base = _inputs(ctx.read_mlmodel(prod))
        cand = _inputs(ctx.read_mlmodel(ctx.candidate))
    except Exception as exc:  # unreadable model files are a failed gate, not a crash
        return False, f"cannot read the MLmodel files: {exc}", evidence
    if base is None:
        return True, f"Production v{prod.version} has no input signature", evidence
    if cand is None:
        return (
            False,
            f"Production v{prod.version} has an input signature, the candidate has none",
            evidence,
        )
    named = all("name" in c for c in base)
    if not named:  # tensor or unnamed inputs: must be equal
        ok = base == cand
        return ok, "unnamed inputs " + ("equal" if ok else "differ"), evidence
    cand_types = {c.get("name"): c.get("type") for c in cand}
    dropped = [c["name"] for c in base if c["name"] not in cand_types]
    retyped = [
        f"{c['name']} ({c.get('type')} -> {cand_types[c['name']]})"
        for c in base
        if c["name"] in cand_types and cand_types[c["name"]] != c.get("type")
    ]
    evidence.update(dropped=dropped, retyped=retyped)
    if dropped or retyped:
        parts = []
        if dropped:
            parts.append("dropped input columns " + ", ".join(dropped))
        if retyped:
            parts.append("retyped input columns " + ", ".join(retyped))
        return False, "; ".join(parts) + f" (vs Production v{prod.version})", evidence
    return True, f"inputs compatible with Production v{prod.version}", evidence


def _serving_budget(ctx: GateContext, p: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    path = p["inference_table"]
    evidence: dict[str, Any] = {"inference_table": path, "version": str(ctx.candidate.version)}
    try:
        import pyarrow.compute as pc

        from modelyard.utils.delta import delta_dataset
    except ImportError:
        return False, "reading inference tables needs deltalake and pyarrow", evidence
    try:
        table = delta_dataset(path).to_table(
            columns=["endpoint", "model_name", "model_version", "status_code", "latency_ms"]
        )
    except Exception as exc:
        return False, f"cannot read inference table '{path}': {exc}", evidence
    mask = pc.and_(
        pc.equal(table["model_name"], ctx.candidate.name),
        pc.equal(table["model_version"], str(ctx.candidate.version)),
    )
    if p.get("endpoint"):
        mask = pc.and_(mask, pc.equal(table["endpoint"], p["endpoint"]))
        evidence["endpoint"] = p["endpoint"]
    rows = table.filter(mask)
    n = rows.num_rows
    evidence["requests"] = n
    if n < int(p.get("min_requests", 1)):
        return (
            False,
            f"{n} requests logged for the candidate, at least {p['min_requests']} needed",
            evidence,
        )
    problems, facts = [], []
    if "max_p99_latency_ms" in p:
        p99 = float(pc.quantile(rows["latency_ms"], q=0.99, interpolation="higher")[0].as_py())
        evidence["p99_latency_ms"] = p99
        facts.append(f"p99 latency {p99:g} ms (limit {p['max_p99_latency_ms']:g})")
        if p99 > p["max_p99_latency_ms"]:
            problems.append("p99 latency over budget")
    if "max_error_rate" in p:
        errors = int(pc.sum(pc.greater_equal(rows["status_code"], 500).cast("int64")).as_py() or 0)
        rate = errors / n
        evidence["error_rate"] = rate
        facts.append(f"error rate {rate:.4g} (limit {p['max_error_rate']:g})")
        if rate > p["max_error_rate"]:
            problems.append("error rate over budget")
    message = ", ".join(facts) + f" over {n} requests"
    return not problems, (("; ".join(problems) + ": ") if problems else "") + message, evidence


def _approvals(ctx: GateContext, p: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    need = int(p.get("min_approvals", 1))
    approvers = sorted(set(ctx.approvers))
    ok = len(approvers) >= need
    return (
        ok,
        f"{len(approvers)} of {need} required approvals"
        + (f" ({', '.join(approvers)})" if approvers else ""),
        {"approvers": approvers, "min_approvals": need},
    )


def _evidence(ctx: GateContext, p: Mapping[str, Any]) -> tuple[bool, str, dict[str, Any]]:
    with _providers_lock:
        provider = _providers.get(p["provider"])
    if provider is None:
        return False, f"no evidence provider named '{p['provider']}' is registered", {}
    passed, message, evidence = provider(ctx, dict(p.get("params", {})))
    return bool(passed), str(message), dict(evidence)


_GATES: dict[str, Callable[[GateContext, Mapping[str, Any]], tuple[bool, str, dict[str, Any]]]] = {
    "metric_threshold": _metric_threshold,
    "not_worse_than_production": _not_worse,
    "signature_compatible": _signature,
    "serving_budget": _serving_budget,
    "approvals": _approvals,
    "evidence": _evidence,
}


def evaluate_gates(ctx: GateContext, gates: Sequence[Any]) -> list[GateRecord]:
    """Run every gate (``GateSpec``s); all run even after a failure, so the error lists each."""
    out: list[GateRecord] = []
    for spec in gates:
        try:
            passed, message, evidence = _GATES[spec.type](ctx, spec.params)
        except Exception as exc:  # a gate never takes the transition down with a stack trace
            _log.exception("promotion gate %s failed to run", spec.name)
            passed, message, evidence = False, f"the gate could not run: {exc}", {}
        out.append(
            GateRecord(
                gate=spec.name,
                gate_type=spec.type,
                outcome=GATE_PASSED if passed else GATE_FAILED,
                message=message,
                evidence=evidence,
            )
        )
    return out


def production_for(
    versions: Sequence[ModelVersion], candidate: ModelVersion
) -> ModelVersion | None:
    """The newest version in Production other than the candidate."""
    others = [
        mv
        for mv in versions
        if mv.current_stage == Stage.PRODUCTION and str(mv.version) != str(candidate.version)
    ]
    return max(others, key=lambda mv: int(mv.version)) if others else None
