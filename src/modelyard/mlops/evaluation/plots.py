"""The standard evaluation plots, drawn on Agg figures (no pyplot state, no display needed).

Each function takes the evaluation arrays and writes one PNG to ``path``.
"""

from __future__ import annotations

from typing import Any

from modelyard.mlops.evaluation import _curves

__all__ = [
    "plot_calibration_curve",
    "plot_confusion_matrix",
    "plot_lift_curve",
    "plot_pr_curves",
    "plot_residuals",
    "plot_roc_curves",
]

_DPI = 100


def _figure(size: tuple[float, float] = (6.0, 4.5), right: float = 0.96) -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=_DPI)
    FigureCanvasAgg(fig)
    # fixed margins instead of a "tight" bounding box: the figure is drawn once, not twice
    fig.subplots_adjust(left=0.13, right=right, bottom=0.12, top=0.92)
    return fig, fig.add_subplot(1, 1, 1)


def _save(fig: Any, path: str) -> None:
    fig.savefig(path, format="png", pil_kwargs={"compress_level": 1})


def plot_confusion_matrix(confusion: Any, labels: Any, path: str) -> None:
    """Row-normalised confusion matrix (truth rows), like MLflow's and sklearn autologging's."""
    import numpy as np

    rows = confusion.sum(axis=1, keepdims=True)
    norm = np.divide(confusion, rows, out=np.zeros_like(confusion), where=rows != 0)
    fig, ax = _figure()
    image = ax.imshow(norm, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax)
    k = len(labels)
    names = [str(v) for v in labels]
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    size = max(4, min(8, int(50 / k)))
    for i in range(k):
        for j in range(k):
            ax.text(
                j,
                i,
                f"{norm[i, j]:.2g}",
                ha="center",
                va="center",
                fontsize=size,
                color="white" if norm[i, j] > 0.5 else "black",
            )
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title("Normalized confusion matrix")
    _save(fig, path)


def _lines(
    series: list[tuple[str, Any, Any]],
    diagonal: tuple[list[int], list[int]],
    xlabel: str,
    ylabel: str,
    title: str,
    path: str,
) -> None:
    many = len(series) > 1
    fig, ax = _figure((8.0, 4.5), right=0.62) if many else _figure()
    for label, x, y in series:
        xs, ys = _curves.thin(x, y)
        ax.plot(xs, ys, drawstyle="steps-post", linewidth=1, label=label)
    ax.plot(*diagonal, color="gray", alpha=0.3, linestyle="dashed")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if many:
        ax.legend(loc="center left", bbox_to_anchor=(1, 0.5))
    else:
        ax.legend(loc="best")
    _save(fig, path)


def plot_roc_curves(series: list[tuple[str, Any, Any]], pos_label: Any, path: str) -> None:
    """ROC curve(s): ``series`` holds (legend, fpr, tpr)."""
    suffix = f" (Positive label: {pos_label})" if pos_label is not None else ""
    _lines(
        series,
        ([0, 1], [0, 1]),
        f"False Positive Rate{suffix}",
        f"True Positive Rate{suffix}",
        "ROC curve",
        path,
    )


def plot_pr_curves(series: list[tuple[str, Any, Any]], pos_label: Any, path: str) -> None:
    """Precision-recall curve(s): ``series`` holds (legend, recall, precision)."""
    suffix = f" (Positive label: {pos_label})" if pos_label is not None else ""
    _lines(
        series,
        ([0, 1], [1, 0]),
        f"Recall{suffix}",
        f"Precision{suffix}",
        "Precision recall curve",
        path,
    )


def plot_lift_curve(t_bin: Any, proba: Any, labels: Any, pos_index: int, path: str) -> None:
    """Lift of each class's score over random ordering (binary)."""
    import numpy as np

    fig, ax = _figure()
    n = t_bin.size
    pct = np.arange(1, n + 1) / n
    for j in (0, 1):
        is_j = t_bin if j == pos_index else ~t_bin
        order = np.argsort(proba[:, j], kind="mergesort")[::-1]
        total = is_j.sum()
        gains = np.cumsum(is_j[order]) / (total if total else 1)
        xs, ys = _curves.thin(pct, gains / pct)
        tag = " (positive)" if j == pos_index else ""
        ax.plot(xs, ys, lw=3, label=f"Class {labels[j]}{tag}")
    ax.plot([0, 1], [1, 1], "k--", lw=2, label="Baseline")
    ax.set_xlabel("Percentage of sample")
    ax.set_ylabel("Lift")
    ax.set_title("Lift Curve")
    ax.grid(True)
    ax.legend(loc="lower right")
    _save(fig, path)


def plot_calibration_curve(t_bin: Any, score: Any, n_bins: int, pos_label: Any, path: str) -> None:
    """Reliability diagram: mean predicted probability against observed frequency per bin."""
    import numpy as np

    bins = np.clip((np.asarray(score) * n_bins).astype(np.int64), 0, n_bins - 1)
    count = np.bincount(bins, minlength=n_bins)
    hits = np.bincount(bins, weights=t_bin.astype(np.float64), minlength=n_bins)
    mean_p = np.bincount(bins, weights=score, minlength=n_bins)
    keep = count > 0
    fig, ax = _figure()
    ax.plot([0, 1], [0, 1], "k:", label="Perfectly calibrated")
    ax.plot(
        mean_p[keep] / count[keep],
        hits[keep] / count[keep],
        "s-",
        label=f"Positive class: {pos_label}",
    )
    ax.set_xlabel(f"Mean predicted probability (Positive label: {pos_label})")
    ax.set_ylabel(f"Fraction of positives (Positive label: {pos_label})")
    ax.set_title("Calibration Curve")
    ax.legend(loc="best")
    _save(fig, path)


def plot_residuals(y_true: Any, y_pred: Any, path: str, max_points: int = 5000) -> None:
    """Residuals against predictions (a seeded sample of at most ``max_points``) and a histogram."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).reshape(y.size, -1)[:, 0]
    res = y - p
    fig = Figure(figsize=(10.0, 4.0), dpi=_DPI)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.13, top=0.9, wspace=0.25)
    left, right = fig.subplots(1, 2)
    idx = np.arange(y.size)
    if y.size > max_points:
        idx = np.random.default_rng(0).choice(y.size, max_points, replace=False)
    left.scatter(p[idx], res[idx], s=4, alpha=0.4)
    left.axhline(0.0, color="gray", linestyle="dashed")
    left.set_xlabel("Predicted value")
    left.set_ylabel("Residual (true - predicted)")
    left.set_title("Residuals vs predictions")
    right.hist(res, bins=50)
    right.set_xlabel("Residual")
    right.set_ylabel("Count")
    right.set_title("Residual distribution")
    _save(fig, path)
