"""Optional SHAP explainability for ``evaluate`` (``log_model_explainability=True``).

Config keys (MLflow's): ``explainability_algorithm`` (``exact``, ``permutation``, ``partition``,
``kernel``; default: shap picks), ``explainability_nsamples`` (rows explained, default 2000),
``log_explainer`` (also log the SHAP values as ``explainer/shap_values.npz``).
Artifacts: ``shap_beeswarm_plot``, ``shap_summary_plot``, ``shap_feature_importance_plot``.
"""

from __future__ import annotations

import os
from typing import Any

from modelyard.errors import InvalidParameterValue
from modelyard.mlops.evaluation.result import EvaluationArtifact

__all__ = ["log_shap"]

_ALGORITHMS = ("exact", "permutation", "partition", "kernel")


def log_shap(resolved: Any, inputs: Any, model_type: str, config: dict[str, Any], out: Any) -> None:
    """Explain a seeded sample of rows and log MLflow's three SHAP plots."""
    import sys

    import matplotlib
    import numpy as np

    algorithm = config.get("explainability_algorithm")
    if algorithm is not None and algorithm not in _ALGORITHMS:
        raise InvalidParameterValue(
            f"evaluator_config 'explainability_algorithm' must be one of {list(_ALGORITHMS)}, "
            f"got {algorithm!r}"
        )
    try:
        import shap
    except ImportError as exc:
        raise InvalidParameterValue(
            "evaluator_config 'log_model_explainability' needs the 'shap' package "
            "(pip install 'modelyard[mlops]')"
        ) from exc
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    from matplotlib import pyplot

    features = inputs.features
    names = inputs.feature_names
    nsamples = int(config.get("explainability_nsamples", 2000))
    rng = np.random.default_rng(0)
    rows = min(nsamples, len(features))
    sample = features.iloc[np.sort(rng.choice(len(features), rows, replace=False))]
    background = sample.iloc[: min(100, rows)]
    predict = (
        resolved.predict_proba
        if (model_type == "classifier" and resolved.predict_proba is not None)
        else resolved.predict
    )

    def fn(x: Any) -> Any:
        import pandas as pd

        result = np.asarray(predict(pd.DataFrame(x, columns=names)))
        if result.ndim == 2 and result.shape[1] == 2:
            return result[:, 1]
        return result

    if algorithm == "kernel":
        explainer = shap.KernelExplainer(fn, background.to_numpy())
        values = shap.Explanation(
            np.asarray(explainer.shap_values(sample.to_numpy(), silent=True)),
            data=sample.to_numpy(),
            feature_names=names,
        )
    else:
        explainer = shap.Explainer(
            fn, background.to_numpy(), algorithm=algorithm or "auto", feature_names=names, seed=0
        )
        values = explainer(sample.to_numpy())
    if values.values.ndim == 3:  # multi-output: explain the last output column
        values = values[..., -1]
    for name, draw in (
        ("shap_beeswarm_plot", lambda: shap.plots.beeswarm(values, show=False, color_bar=True)),
        ("shap_summary_plot", lambda: shap.summary_plot(values, show=False, color_bar=True)),
        ("shap_feature_importance_plot", lambda: shap.plots.bar(values, show=False)),
    ):
        path = out.path(name, "png")
        pyplot.clf()
        try:
            draw()
            pyplot.savefig(path, bbox_inches="tight")
        finally:
            pyplot.close("all")
        out.log(name, path)
    if config.get("log_explainer", False):
        folder = os.path.join(out.tmp, "explainer")
        os.makedirs(folder, exist_ok=True)
        file = os.path.join(folder, "shap_values.npz")
        np.savez(
            file,
            values=values.values,
            base_values=values.base_values,
            data=values.data,
            feature_names=np.asarray(names),
        )
        out.client.log_artifact(out.run_id, folder)
        out.artifacts["explainer"] = EvaluationArtifact(f"{out.artifact_uri}/explainer", folder)
