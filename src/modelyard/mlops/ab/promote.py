"""Promote the winner of an A/B analysis through the registry's normal calls.

The move is ``MlflowClient.transition_model_version_stage`` (and/or
``set_registered_model_alias``), exactly what a user would call, so whatever the registry
enforces on a transition (promotion gates, permissions) applies unchanged. Nothing is moved
without a significant winner; the evidence (verdict, metric, values, p-value) is stored on the
promoted version as the tag ``modelyard.ab.evidence`` once the move succeeded.
"""

from __future__ import annotations

import json
from typing import Any

from modelyard.errors import InvalidParameterValue, InvalidState
from modelyard.mlops.ab.result import ABResult

__all__ = ["EVIDENCE_TAG", "promote_winner"]

EVIDENCE_TAG = "modelyard.ab.evidence"


def promote_winner(
    result_or_endpoint: ABResult | str,
    *,
    stage: str | None = None,
    alias: str | None = None,
    archive_existing_versions: bool = True,
    client: Any = None,
    **analysis_options: Any,
) -> Any:
    """Move the winning model version to ``stage`` (default ``"Production"`` when no ``alias``
    is given) and/or point ``alias`` at it. ``result_or_endpoint``: an :class:`ABResult`, or an
    endpoint name to analyse first with ``analysis_options`` (see ``analyze_endpoint``).

    Raises ``InvalidState`` when there is no significant winner or the control won (nothing
    to promote). Returns the promoted ``ModelVersion``."""
    if isinstance(result_or_endpoint, ABResult):
        if analysis_options:
            raise InvalidParameterValue(
                f"Analysis options {sorted(analysis_options)} need an endpoint name, not a result."
            )
        result = result_or_endpoint
    else:
        from modelyard.mlops.ab.analysis import analyze_endpoint

        result = analyze_endpoint(result_or_endpoint, **analysis_options)
    winner = result.winner
    if winner is None:
        raise InvalidState(f"No winner to promote: {result.verdict}.")
    if winner.variant == result.control:
        raise InvalidState(
            f"The control {winner.variant} is the winner: nothing to promote ({result.verdict})."
        )
    if stage is None and alias is None:
        stage = "Production"
    if client is None:
        from modelyard.client import MlflowClient

        client = MlflowClient()
    name, version = winner.model_name, winner.model_version
    if stage is not None:
        client.transition_model_version_stage(
            name, version, stage, archive_existing_versions=archive_existing_versions
        )
    if alias is not None:
        client.set_registered_model_alias(name, alias, version)
    comp = result.comparison(winner.variant)
    evidence = {
        "endpoint": result.endpoint,
        "metric": result.metric,
        "test": comp.test,
        "paired": comp.paired,
        "control": result.control,
        "winner": winner.variant,
        "control_value": comp.control_value,
        "winner_value": comp.challenger_value,
        "p_value": comp.p_value,
        "p_value_adjusted": comp.p_value_adjusted,
        "n_control": comp.n_control,
        "n_winner": comp.n_challenger,
        "verdict": result.verdict,
    }
    client.set_model_version_tag(name, version, EVIDENCE_TAG, json.dumps(evidence))
    return client.get_model_version(name, version)
