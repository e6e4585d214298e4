"""``modelyard models serve``: serve one model over MLflow's scoring protocol.

>>> serve_model("models:/churn/Production", port=5001, workers=2)  # doctest: +SKIP
"""

from __future__ import annotations

import os

from modelyard.serving._batcher import BatchConfig
from modelyard.serving._runner import run_uvicorn, tracking_env
from modelyard.serving._scoring_app import (
    CONFIG_ENV,
    DEFAULT_MAX_BODY_BYTES,
    ScoringConfig,
    create_scoring_app,
)

__all__ = ["BatchConfig", "ScoringConfig", "create_scoring_app", "serve_model"]


def serve_model(
    model_uri: str,
    *,
    host: str = "127.0.0.1",
    port: int = 5000,
    workers: int = 1,
    batching: bool = True,
    max_batch_rows: int = 512,
    max_wait_ms: float = 0.0,
    predict_in_thread: bool = False,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    timeout_s: float | None = None,
    log_level: str = "info",
) -> None:
    """Serve ``model_uri`` until interrupted. Each worker process loads the model once.

    ``timeout_s`` defaults to ``MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT`` (60 s); a slower request
    is answered with 504.
    """
    if timeout_s is None:
        timeout_s = float(os.environ.get("MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT", "60"))
    if model_uri and "://" not in model_uri and ":" not in model_uri.split("/")[0]:
        model_uri = os.path.abspath(model_uri)  # workers may not share our cwd assumptions
    config = ScoringConfig(
        model_uri=model_uri,
        batch=BatchConfig(batching, max_batch_rows, max_wait_ms, inline=not predict_in_thread),
        max_body_bytes=max_body_bytes,
        timeout_s=timeout_s,
    )
    run_uvicorn(
        "modelyard.serving._scoring_app:scoring_app_from_env",
        {CONFIG_ENV: config.to_json(), **tracking_env()},
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
    )
