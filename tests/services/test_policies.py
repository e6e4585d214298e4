"""Parsing and checking promotion policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelyard.errors import InvalidParameterValue
from modelyard.services.policies import Policy, load_policy_source, parse_policy

YAML = """
description: churn promotion
stages:
  production:
    - type: metric_threshold
      metric: accuracy_score
      threshold: 0.85
      dataset: validation
    - type: not_worse_than_production
      metric: log_loss
      greater_is_better: false
      max_relative_drop: 0.05
    - type: signature_compatible
    - type: approvals
      min_approvals: 2
  Staging:
    - type: serving_budget
      name: budget
      inference_table: /data/inference
      max_p99_latency_ms: 250
aliases:
  champion:
    - type: evidence
      provider: ab_test
      params: {metric: conversion}
"""


def test_parse_yaml_normalises() -> None:
    doc = parse_policy(YAML)
    prod = doc["stages"]["Production"]
    assert [g["name"] for g in prod] == [
        "metric_threshold:accuracy_score",
        "not_worse_than_production:log_loss",
        "signature_compatible",
        "approvals",
    ]
    assert prod[0] == {
        "type": "metric_threshold",
        "name": "metric_threshold:accuracy_score",
        "metric": "accuracy_score",
        "threshold": 0.85,
        "dataset": "validation",
        "greater_is_better": True,
    }
    assert prod[1]["max_relative_drop"] == 0.05 and "max_absolute_drop" not in prod[1]
    assert prod[3]["min_approvals"] == 2
    assert doc["stages"]["Staging"][0]["min_requests"] == 1
    assert doc["aliases"]["champion"][0]["params"] == {"metric": "conversion"}
    assert parse_policy(doc) == doc  # normalised documents parse to themselves
    gates = Policy(doc, 1).gates_for("alias:champion")
    assert [(g.type, g.name, dict(g.params)) for g in gates] == [
        ("evidence", "evidence", {"provider": "ab_test", "params": {"metric": "conversion"}})
    ]
    assert Policy(doc).gates_for("Archived") == []


def test_load_from_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(YAML)
    assert load_policy_source(path) == parse_policy(YAML)
    assert load_policy_source(str(path)) == parse_policy(YAML)
    with pytest.raises(InvalidParameterValue, match="Cannot read the promotion policy file"):
        load_policy_source(str(tmp_path / "missing.yaml"))


@pytest.mark.parametrize(
    ("policy", "fragment"),
    [
        ({"stages": {"Production": [{"type": "gut_feeling"}]}}, "policy.stages.Production[0].type"),
        ({"stages": {"Production": [{"type": "gut_feeling"}]}}, "unknown gate type 'gut_feeling'"),
        ({"stages": {"Prod": []}}, "policy.stages.Prod"),
        ({"gates": []}, "policy.gates"),
        (
            {"stages": {"Staging": [{"type": "metric_threshold", "metric": "a"}]}},
            "policy.stages.Staging[0].threshold",
        ),
        (
            {
                "stages": {
                    "Staging": [{"type": "metric_threshold", "metric": "a", "threshold": "x"}]
                }
            },
            "must be a finite number",
        ),
        (
            {"stages": {"Staging": [{"type": "signature_compatible", "strict": True}]}},
            "policy.stages.Staging[0].strict",
        ),
        (
            {
                "stages": {
                    "Staging": [
                        {
                            "type": "not_worse_than_production",
                            "metric": "a",
                            "max_absolute_drop": 0.1,
                            "max_relative_drop": 0.1,
                        }
                    ]
                }
            },
            "max_relative_drop",
        ),
        (
            {"stages": {"Staging": [{"type": "approvals", "min_approvals": 0}]}},
            "policy.stages.Staging[0].min_approvals",
        ),
        (
            {"stages": {"Staging": [{"type": "serving_budget", "inference_table": "/t"}]}},
            "max_p99_latency_ms",
        ),
        ({"aliases": {"champion": [{"type": "approvals"}]}}, "applies to stages only"),
        (
            {"stages": {"Staging": [{"type": "signature_compatible"}] * 2}},
            "repeats the gate name",
        ),
        ("stages: [", "field 'policy'"),
        ([1, 2], "field 'policy'"),
    ],
)
def test_bad_policies_name_the_field(policy: object, fragment: str) -> None:
    with pytest.raises(InvalidParameterValue) as info:
        parse_policy(policy)
    assert fragment in info.value.message
