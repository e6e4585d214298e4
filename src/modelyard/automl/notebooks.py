"""Generated notebooks (nbformat): data exploration and one re-training notebook per trial.

The trial notebooks rebuild the model with the trial's exact parameters from the data file
using modelyard's public AutoML building blocks and evaluate it on the same split. As in
Databricks' generated notebooks, training runs under autologging
(``mlflow.autolog(log_input_examples=True, silent=True)``, here ``modelyard.autolog``) inside a
run of the AutoML experiment, so re-running a notebook records a new run with the model, its
params and ``training_*`` metrics, plus the ``val_*``/``test_*`` metrics of the evaluation cell.
:func:`execute_notebook` runs a notebook with a kernel bound to the current interpreter.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["execute_notebook", "exploration_notebook", "write_notebooks"]


def _nb(cells: list[tuple[str, str]]) -> Any:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
        for kind, src in cells
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _reader(data_path: Path) -> str:
    fn = "read_csv" if data_path.suffix == ".csv" else "read_parquet"
    return f"pd.{fn}({str(data_path)!r})"


def exploration_notebook(data_path: Path, target: str, problem_type: str) -> Any:
    return _nb(
        [
            ("md", f"# Data exploration\nTarget: `{target}` ({problem_type})"),
            (
                "code",
                "import pandas as pd\nimport matplotlib\nmatplotlib.use('Agg')\n"
                "import matplotlib.pyplot as plt\n"
                f"df = {_reader(data_path)}\nprint(df.shape)\ndf.dtypes",
            ),
            ("md", "## Missing values"),
            ("code", "df.isna().mean().sort_values(ascending=False).to_frame('missing_fraction')"),
            ("md", "## Summary statistics"),
            ("code", "df.describe(include='all').T"),
            ("md", "## Target distribution"),
            (
                "code",
                f"target = df[{target!r}]\n"
                + (
                    "print(target.value_counts())\nax = target.value_counts().plot.bar()"
                    if problem_type == "classification"
                    else "print(target.describe())\nax = target.plot.hist(bins=30)"
                )
                + "\nplt.show()",
            ),
            ("md", "## Correlations of numeric columns"),
            (
                "code",
                "num = df.select_dtypes('number')\ncorr = num.corr()\n"
                "fig, ax = plt.subplots(figsize=(6, 5))\nim = ax.imshow(corr, cmap='coolwarm', "
                "vmin=-1, vmax=1)\nax.set_xticks(range(len(corr)), corr.columns, rotation=90)\n"
                "ax.set_yticks(range(len(corr)), corr.columns)\nplt.colorbar(im)\nplt.show()\ncorr",
            ),
        ]
    )


def _tracking_target() -> tuple[str, str | None]:
    """The tracking URI (absolute for SQLite files, no credentials) and the experiment of the
    active run, for the notebook to log into the same place as the AutoML run."""
    from urllib.parse import urlsplit, urlunsplit

    import modelyard
    from modelyard.utils.uris import absolute_tracking_uri

    uri = absolute_tracking_uri(modelyard.get_tracking_uri())
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and ("@" in parts.netloc):
        uri = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
    run = modelyard.active_run()
    return uri, (run.info.experiment_id if run is not None else None)


def _trial(data_path: Path, problem_type: str, p: Any, result: Any) -> Any:
    members = result.params.get("members") if result.family == "ensemble" else None
    tracking_uri, experiment_id = _tracking_target()
    setup = (
        "import json\nimport numpy as np\nimport pandas as pd\n"
        "import modelyard as mlflow\n"
        f"mlflow.set_tracking_uri({tracking_uri!r})\n"
        f"experiment_id = {experiment_id!r}\n"
        "# Enable automatic logging of input samples, metrics, parameters, and models\n"
        "mlflow.autolog(log_input_examples=True, silent=True)\n"
        "from sklearn.pipeline import Pipeline\n"
        "from modelyard.automl.estimators import make_estimator\n"
        "from modelyard.automl.metrics import classification_metrics, regression_metrics\n"
        "from modelyard.automl.preprocessing import AutoFeaturizer, detect_column_types\n"
        "from modelyard.automl.splits import split_data\n"
        f"df = {_reader(data_path)}\n"
        f"target, problem_type, seed = {p.target_col!r}, {problem_type!r}, {p.seed}\n"
        f"drop = {[p.target_col, *p.exclude_cols] + ([p.split_col] if p.split_col else [])!r}\n"
        "features = df.drop(columns=drop)\n"
        f"plan = detect_column_types(features, {p.imputers!r})\n"
        "train, val, test = split_data(df, target, problem_type=problem_type, "
        f"split_col={p.split_col!r}, time_col={p.time_col!r}, seed=seed)\n"
        "cols = list(features.columns)\n"
        "classes = sorted(df[target].dropna().unique().tolist(), key=lambda v: (str(type(v)), v))\n"
        "enc = (lambda s: s.map({c: i for i, c in enumerate(classes)}).to_numpy(dtype=int)) "
        "if problem_type == 'classification' else (lambda s: s.to_numpy(dtype=float))"
    )
    if members is not None:
        return _nb(
            [
                ("md", f"# {result.description}\nAn ensemble; see the member trials' notebooks."),
                ("code", setup),
                ("code", f"print({json.dumps(result.params)!r})"),
            ]
        )
    family, params = result.family, result.params
    train_cell = (
        f"family, params = {family!r}, {params!r}\n"
        "n_classes = len(classes) if problem_type == 'classification' else 0\n"
        "model = Pipeline([\n"
        f"    ('featurizer', AutoFeaturizer(plan, scale={family == 'linear'}, random_state=seed)),\n"
        "    ('model', make_estimator(family, params, problem_type, seed, n_classes)),\n])\n"
        f"with mlflow.start_run(experiment_id=experiment_id, run_name={family!r}) as mlflow_run:\n"
        "    model.fit(train[cols], enc(train[target]))\n"
        "model"
    )
    pos = "1" if problem_type == "classification" else "None"
    eval_cell = (
        f"threshold = {result.threshold!r}\n"
        "for name, part in (('val', val), ('test', test)):\n"
        "    y = enc(part[target])\n"
        "    if problem_type == 'classification':\n"
        "        m = classification_metrics(y, model.predict_proba(part[cols]), "
        f"np.arange(len(classes)), pos_label={pos}, threshold=threshold)\n"
        "    else:\n"
        "        m = regression_metrics(y, model.predict(part[cols]))\n"
        "    with mlflow.start_run(run_id=mlflow_run.info.run_id):\n"
        "        mlflow.log_metrics({f'{name}_{k}': v for k, v in m.items()})\n"
        "    print(name, {k: round(v, 4) for k, v in m.items()})\n"
        "print('run_id', mlflow_run.info.run_id)"
    )
    return _nb(
        [
            (
                "md",
                f"# Trial {result.number}: {result.description}\nRe-trains with the exact parameters.",
            ),
            ("code", setup),
            ("code", train_cell),
            ("md", "## Evaluation (weights as in AutoML are not applied here)"),
            ("code", eval_cell),
        ]
    )


def write_notebooks(
    out_dir: Path,
    *,
    data_path: Path,
    problem_type: str,
    target_col: str,
    plan: Any,
    params: Any,
    best: Any,
    trials: list[Any],
) -> dict[str, Any]:
    """Write the notebooks; returns their paths."""
    import nbformat

    out_dir = Path(out_dir)
    explore = out_dir / "data_exploration.ipynb"
    nbformat.write(exploration_notebook(Path(data_path), target_col, problem_type), explore)
    paths: dict[int, str] = {}
    for t in trials:
        path = out_dir / f"trial_{t.number:03d}_{t.family}.ipynb"
        nbformat.write(_trial(Path(data_path), problem_type, params, t), path)
        paths[t.number] = str(path)
    return {"data_exploration": str(explore), "best": paths.get(best.number), "trials": paths}


def execute_notebook(path: str | Path, timeout: int = 600) -> Any:
    """Run a notebook in place with a kernel bound to ``sys.executable``; returns it."""
    import nbclient
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    nb = nbformat.read(str(path), as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        spec_dir = Path(tmp) / "modelyard-automl"
        spec_dir.mkdir()
        (spec_dir / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "modelyard",
                    "language": "python",
                }
            )
        )
        ksm = KernelSpecManager(kernel_dirs=[tmp])
        km = KernelManager(kernel_name="modelyard-automl", kernel_spec_manager=ksm)
        client = nbclient.NotebookClient(
            nb, km=km, timeout=timeout, resources={"metadata": {"path": str(Path(path).parent)}}
        )
        # nbclient keeps a kernel it did not create running: cleanup_kc=True shuts it down and
        # closes the client's channels (its ZeroMQ sockets), also when a cell fails.
        client.execute(cleanup_kc=True)
    nbformat.write(nb, str(path))
    return nb
