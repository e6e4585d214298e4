"""Built-in classifier metrics under MLflow's default-evaluator names, from one confusion count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelyard.mlops.evaluation import _curves

__all__ = ["ClassifierScores", "classifier_metrics"]


@dataclass
class ClassifierScores:
    """Metrics plus what the plots need (label order, positive column, curves)."""

    metrics: dict[str, float]
    labels: Any
    confusion: Any  # raw (weighted) counts, rows = truth, columns = prediction, in ``labels`` order
    pos_label: Any = None
    pos_index: int | None = None
    roc: tuple[Any, Any, float] | None = None
    pr: tuple[Any, Any, float] | None = None
    per_class: list[dict[str, Any]] | None = None
    per_class_curves: list[tuple[Any, Any, Any, Any, Any, float, float]] | None = None


def _index_of(labels: Any, values: Any) -> Any:
    import numpy as np

    order = np.argsort(labels, kind="mergesort")
    pos = np.searchsorted(labels[order], values)
    pos = np.clip(pos, 0, labels.size - 1)
    idx = order[pos]
    known = labels[idx] == values
    return np.where(known, idx, -1)


def _confusion(t_idx: Any, p_idx: Any, k: int, weight: Any) -> Any:
    import numpy as np

    ok = (t_idx >= 0) & (p_idx >= 0)
    flat = t_idx[ok] * k + p_idx[ok]
    w = None if weight is None else np.asarray(weight, dtype=np.float64)[ok]
    return np.bincount(flat, weights=w, minlength=k * k).reshape(k, k).astype(np.float64)


def _safe_div(a: Any, b: Any) -> Any:
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros_like(a), where=b != 0)


def _log_loss(t_idx: Any, proba: Any, weight: Any) -> float:
    import numpy as np

    p = np.asarray(proba, dtype=np.float64)
    eps = np.finfo(p.dtype).eps
    p = np.clip(p, eps, 1 - eps)
    p = p / p.sum(axis=1, keepdims=True)
    picked = -np.log(p[np.arange(t_idx.size), t_idx])
    return float(np.average(picked, weights=weight))


def classifier_metrics(
    y_true: Any,
    y_pred: Any,
    y_proba: Any = None,
    *,
    label_list: Any = None,
    pos_label: Any = None,
    sample_weights: Any = None,
    average: str = "weighted",
) -> ClassifierScores:
    """MLflow's default classifier metrics, computed with numpy over integer label indices."""
    import numpy as np

    from modelyard.errors import InvalidParameterValue

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_pred.ndim > 1:
        y_pred = y_pred.reshape(y_pred.shape[0], -1)[:, 0]
    if label_list is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    else:
        labels = np.sort(np.asarray(label_list))
    if labels.size < 2:
        raise InvalidParameterValue(
            "Evaluation dataset for classification must contain at least two unique labels, "
            f"but only {labels.size} was found; pass evaluator_config={{'label_list': [...]}}."
        )
    if pos_label is not None and pos_label not in set(labels.tolist()):
        raise InvalidParameterValue(
            f"evaluator_config 'pos_label' {pos_label!r} must be one of the labels {labels.tolist()}"
        )
    weight = None if sample_weights is None else np.asarray(sample_weights, dtype=np.float64)
    n = int(y_true.size)
    k = int(labels.size)
    t_idx = _index_of(labels, y_true)
    p_idx = _index_of(labels, y_pred)
    proba = None if y_proba is None else np.asarray(y_proba, dtype=np.float64)
    if proba is not None and (proba.ndim != 2 or proba.shape[1] != k):
        proba = None  # columns cannot be aligned with the labels
    if k == 2:
        pos_index = 1 if pos_label is None else int(np.flatnonzero(labels == pos_label)[0])
        pos = labels[pos_index]
        order = [1 - pos_index, pos_index]
        cm = _confusion(t_idx, p_idx, 2, weight)[np.ix_(order, order)]
        unweighted = _confusion(t_idx, p_idx, 2, None)[np.ix_(order, order)]
        tn, fp, fn, tp = (float(v) for v in unweighted.ravel())
        wtn, wfp, wfn, wtp = (float(v) for v in cm.ravel())
        precision = float(_safe_div(wtp, wtp + wfp))
        recall = float(_safe_div(wtp, wtp + wfn))
        f1 = float(_safe_div(2 * precision * recall, precision + recall))
        metrics = {
            "true_negatives": tn,
            "false_positives": fp,
            "false_negatives": fn,
            "true_positives": tp,
            "example_count": float(n),
            "accuracy_score": float(_safe_div(wtn + wtp, cm.sum())),
            "recall_score": recall,
            "precision_score": precision,
            "f1_score": f1,
        }
        scores = ClassifierScores(metrics, labels[order], cm, pos, pos_index)
        if proba is not None and (t_idx >= 0).all():
            metrics["log_loss"] = _log_loss(t_idx, proba, weight)
            y_bin = t_idx == pos_index
            scores.roc = _curves.roc(y_bin, proba[:, pos_index], weight)
            scores.pr = _curves.precision_recall(y_bin, proba[:, pos_index], weight)
            metrics["roc_auc"] = scores.roc[2]
            metrics["precision_recall_auc"] = scores.pr[2]
        return scores
    cm = _confusion(t_idx, p_idx, k, weight)
    support = cm.sum(axis=1)
    tp_k = np.diag(cm)
    prec_k = _safe_div(tp_k, cm.sum(axis=0))
    rec_k = _safe_div(tp_k, support)
    f1_k = _safe_div(2 * prec_k * rec_k, prec_k + rec_k)
    if average == "micro":
        acc = float(_safe_div(tp_k.sum(), cm.sum()))
        prec = rec = f1 = acc
    else:
        w_avg = support if average == "weighted" else np.ones(k)
        prec, rec, f1 = (
            float(_safe_div((v * w_avg).sum(), w_avg.sum())) for v in (prec_k, rec_k, f1_k)
        )
    metrics = {
        "example_count": float(n),
        "accuracy_score": float(_safe_div(tp_k.sum(), cm.sum())),
        "recall_score": rec,
        "precision_score": prec,
        "f1_score": f1,
    }
    scores = ClassifierScores(metrics, labels, cm)
    unweighted = _confusion(t_idx, p_idx, k, None)
    per_class = []
    for j, label in enumerate(labels.tolist()):
        tp = unweighted[j, j]
        fp = unweighted[:, j].sum() - tp
        fn = unweighted[j, :].sum() - tp
        tn = unweighted.sum() - tp - fp - fn
        wtp, wfp, wfn = cm[j, j], cm[:, j].sum() - cm[j, j], cm[j, :].sum() - cm[j, j]
        p = float(_safe_div(wtp, wtp + wfp))
        r = float(_safe_div(wtp, wtp + wfn))
        per_class.append(
            {
                "positive_class": label,
                "true_negatives": int(tn),
                "false_positives": int(fp),
                "false_negatives": int(fn),
                "true_positives": int(tp),
                "example_count": n,
                "accuracy_score": float(_safe_div(cm.sum() - wfp - wfn, cm.sum())),
                "recall_score": r,
                "precision_score": p,
                "f1_score": float(_safe_div(2 * p * r, p + r)),
            }
        )
    scores.per_class = per_class
    if proba is not None and (t_idx >= 0).all():
        metrics["log_loss"] = _log_loss(t_idx, proba, weight)
        curves = []
        aucs = []
        for j, label in enumerate(labels.tolist()):
            y_bin = t_idx == j
            fpr, tpr, auc = _curves.roc(y_bin, proba[:, j], weight)
            rec_c, prec_c, ap = _curves.precision_recall(y_bin, proba[:, j], weight)
            curves.append((label, fpr, tpr, rec_c, prec_c, auc, ap))
            aucs.append(auc)
            per_class[j]["roc_auc"] = auc
            per_class[j]["precision_recall_auc"] = ap
        if average in ("macro", "weighted"):
            w_auc = support if average == "weighted" else np.ones(k)
            metrics["roc_auc"] = float(_safe_div((np.array(aucs) * w_auc).sum(), w_auc.sum()))
        scores.per_class_curves = curves
    return scores
