"""``promote_winner`` through the real registry client (a SQLite store): the winner moves to
the target stage or alias with its evidence; no winner, or the control winning, moves nothing."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from deltalake import write_deltalake
from tests.mlops.ab._gen import classification_table

import modelyard
from modelyard.errors import InvalidParameterValue, InvalidState
from modelyard.mlops.ab import EVIDENCE_TAG, analyze_endpoint, promote_winner


@pytest.fixture
def churn(tracking):
    client = modelyard.MlflowClient()
    client.create_registered_model("churn")
    for _ in range(2):
        client.create_model_version("churn", "file:///tmp/model-source")
    client.transition_model_version_stage("churn", "1", "Production")
    return client


def _stages(client):
    return {v.version: v.current_stage for v in client.search_model_versions("name='churn'")}


def test_winner_is_promoted_with_evidence(churn):
    table, labels = classification_table(4000, 0.75, 0.85, seed=21)
    result = analyze_endpoint(table, metric="accuracy", labels=labels, control="churn-1")
    mv = promote_winner(result, stage="Production")
    assert str(mv.version) == "2" and mv.current_stage == "Production"
    assert _stages(churn) == {"1": "Archived", "2": "Production"}
    evidence = json.loads(churn.get_model_version("churn", "2").tags[EVIDENCE_TAG])
    assert evidence["winner"] == "churn-2:v2" and evidence["metric"] == "accuracy"
    assert evidence["p_value_adjusted"] < 0.05
    assert evidence["winner_value"] > evidence["control_value"]


def test_alias_only(churn):
    table, labels = classification_table(4000, 0.75, 0.85, seed=22)
    result = analyze_endpoint(table, metric="accuracy", labels=labels, control="churn-1")
    promote_winner(result, alias="champion")
    assert churn.get_model_version_by_alias("churn", "champion").version == "2"
    assert _stages(churn) == {"1": "Production", "2": "None"}  # no stage given: none moved


def test_refuses_without_a_significant_winner(churn, tmp_path):
    table, labels = classification_table(3000, 0.8, 0.8, seed=23)
    result = analyze_endpoint(table, metric="accuracy", labels=labels, control="churn-1")
    with pytest.raises(InvalidState, match="No winner to promote: no challenger beats"):
        promote_winner(result)
    few, few_labels = classification_table(60, 0.5, 0.99, seed=24)
    path = tmp_path / "inference"
    write_deltalake(str(path), pa.Table.from_pandas(few, preserve_index=False))
    with pytest.raises(InvalidState, match=r"not enough data yet \(n="):
        promote_winner(str(path), metric="accuracy", labels=few_labels, control="churn-1")
    assert _stages(churn) == {"1": "Production", "2": "None"}
    assert EVIDENCE_TAG not in churn.get_model_version("churn", "2").tags


def test_refuses_when_the_control_wins(churn):
    table, labels = classification_table(4000, 0.85, 0.75, seed=25)
    result = analyze_endpoint(table, metric="accuracy", labels=labels, control="churn-1")
    assert result.winner is not None and result.winner.variant == result.control
    with pytest.raises(InvalidState, match="is the winner: nothing to promote"):
        promote_winner(result, stage="Production")
    with pytest.raises(InvalidParameterValue, match="need an endpoint name"):
        promote_winner(result, metric="accuracy")
    assert _stages(churn) == {"1": "Production", "2": "None"}
