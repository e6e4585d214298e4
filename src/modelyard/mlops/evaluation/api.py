"""``evaluate``: predict once, compute MLflow's default metrics and plots, log them to a run."""

from __future__ import annotations

import os
import tempfile
import time
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.mlops.evaluation import _inputs, plots
from modelyard.mlops.evaluation.result import EvaluationArtifact, EvaluationResult
from modelyard.services.gates import DATASET_TAG, MODEL_VERSION_TAG  # read by the gates

__all__ = ["evaluate"]

_MODEL_TYPES = ("classifier", "regressor")


def _sklearn_score(
    resolved: _inputs.ResolvedModel,
    inputs: _inputs.Inputs,
    model_type: str,
    metrics: dict[str, float],
    weights: Any,
) -> float | None:
    """MLflow's ``score`` for sklearn models; the mixins' own score is taken from the metrics
    already computed instead of predicting a second time."""
    raw = resolved.raw
    if raw is None or not (resolved.loader_module or "").endswith("sklearn"):
        return None
    try:
        from sklearn.base import ClassifierMixin, RegressorMixin
    except ImportError:  # pragma: no cover - sklearn models imply sklearn
        return None
    own = type(raw).score
    if model_type == "classifier" and own is ClassifierMixin.score:
        return metrics["accuracy_score"]
    if model_type == "regressor" and own is RegressorMixin.score:
        return metrics["r2_score"]
    try:
        return float(raw.score(inputs.features, inputs.labels, sample_weight=weights))
    except Exception:
        return None


class _Logger:
    """Writes the artifacts into a temporary directory and logs them through the client."""

    def __init__(self, client: Any, run_id: str, prefix: str) -> None:
        self.client = client
        self.run_id = run_id
        self.prefix = prefix
        self.tmp = tempfile.mkdtemp(prefix="modelyard-eval-")
        self.artifact_uri = client.get_run(run_id).info.artifact_uri.rstrip("/")
        self.artifacts: dict[str, EvaluationArtifact] = {}

    def path(self, name: str, ext: str) -> str:
        return os.path.join(self.tmp, f"{self.prefix}{name}.{ext}")

    def log(self, name: str, local: str) -> None:
        self.client.log_artifact(self.run_id, local)
        base = os.path.basename(local)
        self.artifacts[name] = EvaluationArtifact(f"{self.artifact_uri}/{base}", local)


def _classifier(
    inputs: _inputs.Inputs, y_pred: Any, y_proba: Any, config: dict[str, Any], out: _Logger
) -> dict[str, float]:
    import numpy as np

    from modelyard.mlops.evaluation.classifier import classifier_metrics

    scores = classifier_metrics(
        inputs.labels,
        y_pred,
        y_proba,
        label_list=config.get("label_list"),
        pos_label=config.get("pos_label"),
        sample_weights=config.get("sample_weights"),
        average=config.get("average", "weighted"),
    )
    labels = scores.labels
    if len(labels) == 2:
        proba = None if y_proba is None else np.asarray(y_proba, dtype=np.float64)
        if scores.roc is not None and proba is not None and scores.pr is not None:
            pos = scores.pos_label
            fpr, tpr, auc = scores.roc
            p = out.path("roc_curve_plot", "png")
            plots.plot_roc_curves([(f"AUC={auc:.3f}", fpr, tpr)], pos, p)
            out.log("roc_curve_plot", p)
            rec, prec, ap = scores.pr
            p = out.path("precision_recall_curve_plot", "png")
            plots.plot_pr_curves([(f"AP={ap:.3f}", rec, prec)], pos, p)
            out.log("precision_recall_curve_plot", p)
            pos_index = int(scores.pos_index or 0)
            t_bin = np.asarray(inputs.labels) == pos
            sorted_labels = np.sort(labels)
            p = out.path("lift_curve_plot", "png")
            plots.plot_lift_curve(t_bin, proba, sorted_labels, pos_index, p)
            out.log("lift_curve_plot", p)
            p = out.path("calibration_curve_plot", "png")
            n_bins = int(config.get("calibration_n_bins", 10))
            plots.plot_calibration_curve(t_bin, proba[:, pos_index], n_bins, pos, p)
            out.log("calibration_curve_plot", p)
    else:
        if scores.per_class_curves is not None:
            limit = int(config.get("max_classes_for_multiclass_roc_pr", 10))
            curves = scores.per_class_curves
            if len(curves) <= limit:
                p = out.path("roc_curve_plot", "png")
                plots.plot_roc_curves(
                    [(f"label={c[0]},AUC={c[5]:.3f}", c[1], c[2]) for c in curves], None, p
                )
                out.log("roc_curve_plot", p)
                p = out.path("precision_recall_curve_plot", "png")
                plots.plot_pr_curves(
                    [(f"label={c[0]},AP={c[6]:.3f}", c[3], c[4]) for c in curves], None, p
                )
                out.log("precision_recall_curve_plot", p)
        if scores.per_class is not None:
            import pandas as pd

            p = out.path("per_class_metrics", "csv")
            pd.DataFrame(scores.per_class).to_csv(p, index=False)
            out.log("per_class_metrics", p)
    p = out.path("confusion_matrix", "png")
    plots.plot_confusion_matrix(scores.confusion, labels, p)
    out.log("confusion_matrix", p)
    return scores.metrics


def _regressor(
    inputs: _inputs.Inputs, y_pred: Any, config: dict[str, Any], out: _Logger
) -> dict[str, float]:
    from modelyard.mlops.evaluation.regressor import regressor_metrics

    metrics = regressor_metrics(inputs.labels, y_pred, config.get("sample_weights"))
    if config.get("log_residuals", True):
        p = out.path("residuals_plot", "png")
        plots.plot_residuals(inputs.labels, y_pred, p)
        out.log("residuals_plot", p)
    return metrics


def _check_config(model_type: Any, evaluators: Any, config: Any) -> dict[str, Any]:
    if model_type not in _MODEL_TYPES:
        raise InvalidParameterValue(
            f"evaluate(): 'model_type' must be one of {list(_MODEL_TYPES)}, got {model_type!r}"
        )
    names = [evaluators] if isinstance(evaluators, str) else list(evaluators or ["default"])
    unknown = [n for n in names if n not in ("default", model_type, "shap")]
    if unknown:
        raise InvalidParameterValue(
            f"evaluate(): unknown evaluators {unknown}; available: 'default'"
        )
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise InvalidParameterValue("evaluate(): 'evaluator_config' must be a dict")
    if names and all(isinstance(v, dict) for v in config.values()) and set(config) <= set(names):
        merged: dict[str, Any] = {}
        for name in names:
            merged.update(config.get(name, {}))
        return merged
    return dict(config)


def evaluate(
    model: Any = None,
    data: Any = None,
    *,
    model_type: str | None = None,
    targets: Any = None,
    predictions: str | None = None,
    feature_names: list[str] | None = None,
    evaluators: str | list[str] | None = None,
    evaluator_config: dict[str, Any] | None = None,
    extra_metrics: list[Any] | None = None,
    run_id: str | None = None,
) -> EvaluationResult:
    """Evaluate ``model`` on ``data`` with MLflow's default evaluator names.

    ``model`` is a model URI, a :class:`~modelyard.pyfunc.PyFuncModel`, an object with
    ``predict`` (and optionally ``predict_proba``) or a callable; ``None`` with ``predictions``
    naming the column that already holds them. Metrics and artifacts are logged to ``run_id``,
    else the active run, else a new run that is ended afterwards.
    """
    import numpy as np

    config = _check_config(model_type, evaluators, evaluator_config)
    if extra_metrics:
        raise InvalidParameterValue("evaluate(): 'extra_metrics' is not supported yet")
    resolved = _inputs.resolve_model(model)
    if resolved.predict is None and predictions is None:
        raise InvalidParameterValue(
            "evaluate(): pass a 'model', or 'predictions' naming the column of predictions"
        )
    inputs = _inputs.read_inputs(data, targets, predictions, feature_names)
    if resolved.predict is not None:
        y_pred = _inputs.as_1d(resolved.predict(inputs.features), predictions)
    else:
        y_pred = inputs.predictions
    y_proba = None
    if model_type == "classifier" and resolved.predict_proba is not None:
        y_proba = np.asarray(resolved.predict_proba(inputs.features))

    from modelyard.client import MlflowClient, fluent

    client = MlflowClient()
    eval_tags = _evaluation_tags(client, model, config)
    started = None
    if run_id is None:
        active = fluent.active_run()
        if active is None:
            started = fluent.start_run()
            run_id = started.info.run_id
        else:
            run_id = active.info.run_id
    try:
        for key, value in eval_tags.items():
            client.set_tag(run_id, key, value)
        prefix = str(config.get("metric_prefix", "") or "")
        out = _Logger(client, run_id, prefix)
        if model_type == "classifier":
            metrics = _classifier(inputs, y_pred, y_proba, config, out)
        else:
            metrics = _regressor(inputs, y_pred, config, out)
        score = _sklearn_score(
            resolved, inputs, str(model_type), metrics, config.get("sample_weights")
        )
        if score is not None:
            metrics = {"score": score, **metrics}
        if resolved.predict is not None and config.get("log_model_explainability", False):
            from modelyard.mlops.evaluation.explain import log_shap

            log_shap(resolved, inputs, str(model_type), config, out)
        metrics = {f"{prefix}{k}": float(v) for k, v in metrics.items()}
        _log_metrics(client, run_id, metrics)
    finally:
        if started is not None:
            fluent.end_run()
    return EvaluationResult(metrics=metrics, artifacts=out.artifacts, run_id=run_id)


def _evaluation_tags(client: Any, model: Any, config: dict[str, Any]) -> dict[str, str]:
    """``modelyard.evaluation.model_version = <name>/<version>`` when the model is a registry
    URI (``models:/name/3``, ``models:/name/Staging``, ``models:/name@alias``) or
    ``evaluator_config["model_version"]`` names one; ``modelyard.evaluation.dataset`` from
    ``evaluator_config["dataset_name"]``."""
    tags: dict[str, str] = {}
    given = config.get("model_version")
    if given is not None:
        if not isinstance(given, str) or "/" not in given:
            raise InvalidParameterValue(
                "evaluate(): evaluator_config['model_version'] must be '<name>/<version>'"
            )
        tags[MODEL_VERSION_TAG] = given
    elif isinstance(model, str) and model.startswith("models:/"):
        rest = model[len("models:/") :]
        if "@" in rest and "/" not in rest:
            name, alias = rest.rsplit("@", 1)
            tags[MODEL_VERSION_TAG] = (
                f"{name}/{client.get_model_version_by_alias(name, alias).version}"
            )
        elif rest.count("/") == 1:
            name, ref = rest.split("/")
            if ref.isdigit():
                tags[MODEL_VERSION_TAG] = f"{name}/{int(ref)}"
            else:
                stages = None if ref.lower() == "latest" else [ref]
                found = client.get_latest_versions(name, stages)
                if found:
                    newest = max(found, key=lambda mv: int(mv.version))
                    tags[MODEL_VERSION_TAG] = f"{name}/{newest.version}"
    dataset = config.get("dataset_name")
    if dataset is not None:
        if not isinstance(dataset, str) or not dataset.strip():
            raise InvalidParameterValue(
                "evaluate(): evaluator_config['dataset_name'] must be a non-empty string"
            )
        tags[DATASET_TAG] = dataset
    return tags


def _log_metrics(client: Any, run_id: str, metrics: dict[str, float]) -> None:
    from modelyard.entities import Metric

    now = int(time.time() * 1000)
    batch = [Metric(key=k, value=v, timestamp=now, step=0) for k, v in metrics.items()]
    for i in range(0, len(batch), 1000):
        client.log_batch(run_id, metrics=batch[i : i + 1000])
