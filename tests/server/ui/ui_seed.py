"""Seed data and page helpers shared by the browser tests."""

from __future__ import annotations

import json
from pathlib import Path

from ui_browser import Browser

from modelyard.client import MlflowClient

__all__ = ["EVIL", "EVIL_FILE", "confirm", "dialog_fill", "open_page", "seed_ui"]

EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
EVIL_FILE = "<img src=x onerror=window.__pwned=1>.txt"
SIGNATURE_INPUTS = (
    '[{"type": "double", "name": "tenure", "required": true}, {"type": "string", "name": "plan"}]'
)


def _mlmodel_dir(root: Path) -> Path:
    d = root / "model"
    d.mkdir()
    (d / "MLmodel").write_text(
        "artifact_path: model\n"
        "flavors:\n"
        "  python_function:\n"
        "    loader_module: mymodel\n"
        "saved_input_example_info:\n"
        "  artifact_path: input_example.json\n"
        "  type: dataframe\n"
        "signature:\n"
        f"  inputs: '{SIGNATURE_INPUTS}'\n"
        '  outputs: \'[{"type": "long", "name": "churn"}]\'\n'
        "  params: null\n"
    )
    (d / "input_example.json").write_text(
        json.dumps({"columns": ["tenure", "plan"], "data": [[12.0, "gold"]]})
    )
    return d


def seed_ui(url: str, workdir: Path) -> dict[str, str]:
    """Experiments, runs (one nested family, one with an HTML name), metric histories, a logged
    model with a signature and an input example, a registered model with two versions."""
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    exp_id = client.create_experiment("churn-classifier")
    client.create_experiment("forecasting")
    client.create_experiment(EVIL)
    ids: dict[str, str] = {"experiment_id": exp_id}
    for name, lr, final in (("rf-baseline", 0.1, 0.81), ("xgb-tuned", 0.05, 0.87)):
        rid = client.create_run(exp_id, run_name=name).info.run_id
        ids[name] = rid
        client.log_param(rid, "learning_rate", lr)
        client.log_param(rid, "model", "forest")
        for step in range(10):
            client.log_metric(rid, "f1_score", round(final - 0.03 * (9 - step), 4), step=step)
        client.set_tag(rid, "team", "growth")
        client.set_terminated(rid, "FINISHED")
    parent = client.create_run(exp_id, run_name="automl-parent").info.run_id
    ids["parent"] = parent
    for i in range(2):
        child = client.create_run(
            exp_id, run_name=f"trial-{i}", tags={"mlflow.parentRunId": parent}
        ).info.run_id
        client.log_metric(child, "f1_score", 0.5 + i / 10)
        ids[f"trial-{i}"] = child
    evil = client.create_run(exp_id, run_name=EVIL).info.run_id
    ids["evil"] = evil
    client.set_tag(evil, "html", EVIL)
    client.log_text(evil, "not markup", EVIL_FILE)
    client.set_tag(evil, "mlflow.note.content", f"**bold** and {EVIL}\n\n- one\n- two")
    model = client.create_logged_model(exp_id, name="churn-lm", source_run_id=ids["xgb-tuned"])
    client.log_model_artifacts(model.model_id, str(_mlmodel_dir(workdir)))
    client.finalize_logged_model(model.model_id, "LOGGED_MODEL_READY")
    ids["model_id"] = model.model_id
    client.create_registered_model("churn-model", description="Predicts customer churn.")
    for name in ("rf-baseline", "xgb-tuned"):
        client.create_model_version("churn-model", f"runs:/{ids[name]}/model", run_id=ids[name])
    client.create_model_version(
        "churn-model", f"models:/{model.model_id}", run_id=ids["xgb-tuned"], model_id=model.model_id
    )
    client.transition_model_version_stage("churn-model", "1", "Staging")
    client.transition_model_version_stage("churn-model", "2", "Production")
    client.set_registered_model_alias("churn-model", "champion", "2")
    return ids


def open_page(b: Browser, url: str, route: str, ready: str) -> None:
    """Navigate to ``route`` (a hash route) and wait until the JS condition ``ready`` holds."""
    b.errors.clear()
    if b.eval("location.origin + location.pathname") == url + "/":
        b.eval(f"location.hash = {json.dumps(route)}")
    else:
        b.goto(f"{url}/{route}")
    b.wait(ready)


def dialog_fill(b: Browser, values: dict[str, str | bool]) -> None:
    """Fill the open form dialog's fields by name (a bool sets a checkbox) and submit it."""
    for name, value in values.items():
        sel = f"dialog[open] [name={json.dumps(name)}]"
        prop = "checked" if isinstance(value, bool) else "value"
        b.eval(f"document.querySelector({json.dumps(sel)}).{prop} = {json.dumps(value)}")
    b.eval("document.querySelector('dialog[open] form').requestSubmit()")


def confirm(b: Browser) -> None:
    """Confirm the open confirmation dialog (its safe default, Cancel, has the focus)."""
    b.wait("document.querySelector('dialog[open]')")
    assert b.eval("document.activeElement.textContent") == "Cancel"  # safe default focus
    b.eval("document.querySelector('dialog[open] .dialog-actions button:last-child').click()")
