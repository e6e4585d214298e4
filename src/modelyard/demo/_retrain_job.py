"""The retraining job of ``modelyard demo --mlops`` (copied into the demo folder and run by the
jobs scheduler as a ``spark_python_task`` when the drift alert fires).

It trains a new model on the recent labelled customers, registers it, evaluates it and the
current Production version on the same recent validation rows (dataset ``validation``, the
evidence the promotion gates read), and asks for ``Staging`` (the Staging gates run). It
prints one JSON line with what it did; the promotion to Production is left to the demo.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, help="CSV of recent labelled customers")
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--reason", default="manual")
    parser.add_argument("--window", default="")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    import pandas as pd
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    import modelyard as mlflow
    import modelyard.sklearn
    from modelyard.demo.data import FEATURES
    from modelyard.errors import ModelyardError
    from modelyard.models import evaluate
    from modelyard.tracking import MlflowClient

    df = pd.read_csv(args.data)
    train, valid = train_test_split(df, test_size=0.25, random_state=args.seed)
    client = MlflowClient()
    with mlflow.start_run() as run:  # the job's task run (MLFLOW_RUN_ID)
        mlflow.log_params({"reason": args.reason, "window": args.window, "rows": len(train)})
        model = GradientBoostingClassifier(random_state=args.seed)
        model.fit(train[FEATURES], train["churn"])
        info = modelyard.sklearn.log_model(
            model,
            "model",
            registered_model_name=args.model_name,
            input_example=train[FEATURES].head(2),
        )
        version = str(info.registered_model_version)
        experiment_id = run.info.experiment_id
        training_run_id = run.info.run_id

    production = [
        str(v.version) for v in client.get_latest_versions(args.model_name, ["Production"])
    ]
    evaluations: dict[str, dict[str, object]] = {}
    for v in [version, *production]:
        eval_run = client.create_run(
            experiment_id, run_name=f"evaluate v{v} on recent data", tags={"reason": args.reason}
        )
        result = evaluate(
            f"models:/{args.model_name}/{v}",
            valid[[*FEATURES, "churn"]],
            targets="churn",
            model_type="classifier",
            evaluator_config={"dataset_name": "validation"},
            run_id=eval_run.info.run_id,
        )
        client.set_terminated(eval_run.info.run_id)
        evaluations[v] = {
            "run_id": result.run_id,
            "accuracy_score": result.metrics["accuracy_score"],
        }

    staging: dict[str, object] = {"moved": True}
    try:
        client.transition_model_version_stage(args.model_name, version, "Staging")
    except ModelyardError as exc:  # a failed Staging gate: the version stays where it is
        staging = {"moved": False, "error": exc.message}
    print(
        json.dumps(
            {
                "version": version,
                "training_run_id": training_run_id,
                "evaluations": evaluations,
                "staging": staging,
                "reason": args.reason,
                "window": args.window,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
