"""``modelyard.models.evaluate``: metric values against sklearn, artifacts logged to the run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LinearRegression, LogisticRegression

import modelyard
from modelyard import errors
from modelyard.client import MlflowClient
from modelyard.models import EvaluationResult, evaluate

CLASSIFIER_PLOTS = {
    "confusion_matrix",
    "roc_curve_plot",
    "precision_recall_curve_plot",
    "lift_curve_plot",
    "calibration_curve_plot",
}


def _binary(n=600, seed=0):
    x, y = make_classification(n_samples=n, n_features=5, random_state=seed)
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(5)])
    model = LogisticRegression(max_iter=200).fit(frame, y)
    return frame.assign(label=y), model


def test_binary_classifier_metrics_match_sklearn_and_are_logged(tracking):
    data, model = _binary()
    features = data.drop(columns="label")
    y = data["label"].to_numpy()
    with modelyard.start_run() as run:
        result = evaluate(model, data, targets="label", model_type="classifier")
    assert isinstance(result, EvaluationResult)
    assert result.run_id == run.info.run_id
    pred = model.predict(features)
    proba = model.predict_proba(features)
    m = result.metrics
    assert m["example_count"] == 600
    assert m["accuracy_score"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["precision_score"] == pytest.approx(skm.precision_score(y, pred))
    assert m["recall_score"] == pytest.approx(skm.recall_score(y, pred))
    assert m["f1_score"] == pytest.approx(skm.f1_score(y, pred))
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, proba), rel=1e-9)
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, proba[:, 1]), rel=1e-12)
    assert m["precision_recall_auc"] == pytest.approx(
        skm.average_precision_score(y, proba[:, 1]), rel=1e-12
    )
    tn, fp, fn, tp = skm.confusion_matrix(y, pred).ravel()
    assert (
        m["true_negatives"],
        m["false_positives"],
        m["false_negatives"],
        m["true_positives"],
    ) == (tn, fp, fn, tp)
    assert set(result.artifacts) == CLASSIFIER_PLOTS
    logged = MlflowClient().get_run(run.info.run_id)
    assert logged.data.metrics["roc_auc"] == pytest.approx(m["roc_auc"])
    files = {f.path for f in MlflowClient().list_artifacts(run.info.run_id)}
    assert files == {f"{name}.png" for name in CLASSIFIER_PLOTS}
    png = result.artifacts["roc_curve_plot"].content
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"


def test_model_uri_gives_sklearn_score_and_a_new_run(tracking):
    data, model = _binary(seed=1)
    with modelyard.start_run():
        info = modelyard.sklearn.log_model(model, name="model")
    assert modelyard.active_run() is None
    result = evaluate(info.model_uri, data, targets="label", model_type="classifier")
    assert modelyard.active_run() is None  # the run evaluate started is ended again
    assert result.metrics["score"] == pytest.approx(
        model.score(data.drop(columns="label"), data["label"])
    )
    run = MlflowClient().get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["accuracy_score"] == pytest.approx(result.metrics["accuracy_score"])


def test_pos_label_weights_and_prefix(tracking):
    data, model = _binary(seed=2)
    y = data["label"].to_numpy()
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=y.size)
    pred = model.predict(data.drop(columns="label"))
    result = evaluate(
        model,
        data,
        targets="label",
        model_type="classifier",
        evaluator_config={"pos_label": 0, "sample_weights": w, "metric_prefix": "val_"},
    )
    m = result.metrics
    assert m["val_precision_score"] == pytest.approx(
        skm.precision_score(y, pred, pos_label=0, sample_weight=w)
    )
    assert m["val_accuracy_score"] == pytest.approx(skm.accuracy_score(y, pred, sample_weight=w))
    assert "accuracy_score" not in m
    assert "val_roc_curve_plot" in {
        a.uri.rsplit("/", 1)[-1].removesuffix(".png") for a in result.artifacts.values()
    }


def test_multiclass_metrics_and_per_class_table(tracking):
    x, y = make_classification(
        n_samples=900, n_features=6, n_informative=4, n_classes=3, random_state=3
    )
    x = pd.DataFrame(x, columns=[f"c{i}" for i in range(6)])  # evaluate names the columns too
    model = LogisticRegression(max_iter=500).fit(x, y)
    result = evaluate(
        model, x, targets=y, model_type="classifier", feature_names=[f"c{i}" for i in range(6)]
    )
    pred = model.predict(x)
    proba = model.predict_proba(x)
    m = result.metrics
    assert m["f1_score"] == pytest.approx(skm.f1_score(y, pred, average="weighted"))
    assert m["recall_score"] == pytest.approx(skm.recall_score(y, pred, average="weighted"))
    assert m["roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted")
    )
    assert m["log_loss"] == pytest.approx(skm.log_loss(y, proba), rel=1e-9)
    assert {"per_class_metrics", "confusion_matrix", "roc_curve_plot"} <= set(result.artifacts)
    table = pd.read_csv(result.artifacts["per_class_metrics"].local_path)
    assert table["positive_class"].tolist() == [0, 1, 2]


def test_regressor_metrics_match_sklearn(tracking):
    x, y = make_regression(n_samples=500, n_features=4, noise=5.0, random_state=4)
    y = y + 300.0  # keep MAPE finite
    x = pd.DataFrame(x, columns=[f"f{i}" for i in range(4)])
    model = LinearRegression().fit(x, y)
    pred = model.predict(x)
    result = evaluate(model.predict, x, targets=y, model_type="regressor")
    m = result.metrics
    assert m["mean_absolute_error"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert m["mean_squared_error"] == pytest.approx(skm.mean_squared_error(y, pred))
    assert m["root_mean_squared_error"] == pytest.approx(skm.root_mean_squared_error(y, pred))
    assert m["r2_score"] == pytest.approx(skm.r2_score(y, pred))
    assert m["max_error"] == pytest.approx(skm.max_error(y, pred))
    assert m["mean_absolute_percentage_error"] == pytest.approx(
        skm.mean_absolute_percentage_error(y, pred)
    )
    assert m["sum_on_target"] == pytest.approx(y.sum())
    assert m["mean_on_target"] == pytest.approx(y.mean())
    assert set(result.artifacts) == {"residuals_plot"}
    assert "score" not in m  # a plain callable is not an sklearn model


def test_static_predictions_column(tracking):
    frame = pd.DataFrame({"y": [0, 1, 1, 0, 1, 0], "p": [0, 1, 0, 0, 1, 1], "x": range(6)})
    result = evaluate(data=frame, targets="y", predictions="p", model_type="classifier")
    assert result.metrics["accuracy_score"] == pytest.approx(4 / 6)
    assert "roc_auc" not in result.metrics  # no probabilities without a model
    assert set(result.artifacts) == {"confusion_matrix"}


def test_shap_summary_is_optional(tracking):
    data, model = _binary(n=200, seed=5)
    result = evaluate(
        model,
        data,
        targets="label",
        model_type="classifier",
        evaluator_config={
            "log_model_explainability": True,
            "explainability_nsamples": 40,
            "log_explainer": True,
        },
    )
    assert {
        "shap_beeswarm_plot",
        "shap_summary_plot",
        "shap_feature_importance_plot",
        "explainer",
    } <= set(result.artifacts)
    files = {f.path for f in MlflowClient().list_artifacts(result.run_id, "explainer")}
    assert files == {"explainer/shap_values.npz"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"model_type": "ranker", "targets": "label"}, "model_type"),
        ({"model_type": "classifier", "targets": "nope"}, "targets"),
        ({"model_type": "classifier"}, "targets"),
        ({"model_type": "classifier", "targets": "label", "evaluators": "llm"}, "evaluators"),
        (
            {"model_type": "classifier", "targets": "label", "evaluator_config": {"pos_label": 7}},
            "pos_label",
        ),
        (
            {"model_type": "classifier", "targets": "label", "feature_names": ["zz"]},
            "feature_names",
        ),
    ],
)
def test_bad_input_names_the_field(tracking, kwargs, field):
    data, model = _binary(n=50)
    with pytest.raises(errors.InvalidParameterValue, match=field):
        evaluate(model, data, **kwargs)
    assert modelyard.active_run() is None


def test_bad_model_object(tracking):
    data, _ = _binary(n=50)
    with pytest.raises(errors.InvalidParameterValue, match="'model'"):
        evaluate(42, data, targets="label", model_type="classifier")


def test_result_save_and_load(tracking, tmp_path):
    data, model = _binary(n=100)
    result = evaluate(model, data, targets="label", model_type="classifier")
    result.save(tmp_path / "res")
    again = EvaluationResult.load(tmp_path / "res")
    assert again.metrics == result.metrics
    assert again.run_id == result.run_id
    assert {k: a.uri for k, a in again.artifacts.items()} == {
        k: a.uri for k, a in result.artifacts.items()
    }
