"""Bad input for rules: clear errors naming the field, nothing stored."""

from __future__ import annotations

import pytest

from modelyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.mlops.alerts import create_alert, list_alerts, update_alert
from modelyard.mlops.alerts.spec import check_actions, check_condition

DRIFT = {"type": "drift", "monitor": "churn", "min_columns": 2}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"type": "latency"}, "'condition.type' must be one of drift, quality, endpoint"),
        ({"type": "drift"}, "'condition.monitor' is required"),
        ({**DRIFT, "min_columns": 0}, "'condition.min_columns' must be an integer >= 1"),
        ({**DRIFT, "windows": "3"}, "'condition.windows' must be an integer >= 1"),
        ({**DRIFT, "drift_type": "x"}, "'condition.drift_type' must be one of baseline"),
        ({**DRIFT, "threshold": 1}, "Unknown field(s) threshold in 'condition'"),
        (
            {
                "type": "quality",
                "monitor": "m",
                "metric": "auc",
                "operator": "below",
                "threshold": 1,
            },
            "'condition.metric' must be one of accuracy",
        ),
        (
            {
                "type": "quality",
                "monitor": "m",
                "metric": "f1",
                "operator": "under",
                "threshold": 1,
            },
            "'condition.operator' must be one of below, above",
        ),
        (
            {"type": "quality", "monitor": "m", "metric": "f1", "operator": "below"},
            "'condition.threshold' must be a finite number",
        ),
        (
            {"type": "endpoint", "metric": "error_rate", "threshold": 0.1},
            "exactly one of 'condition.endpoint' and 'condition.table'",
        ),
        (
            {"type": "endpoint", "endpoint": "../x", "metric": "error_rate", "threshold": 0.1},
            "'condition.endpoint' '../x' is not an endpoint name",
        ),
        ("drift", "'condition' must be an object"),
    ],
)
def test_bad_conditions(condition, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidParameterValue) as err:
        check_condition(condition)
    assert message in err.value.message


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ([{"type": "sms"}], "'actions[0].type' must be one of webhook, slack, email, job"),
        ([{"type": "email", "to": []}], "'actions[0].to' must be a non-empty list"),
        ([{"type": "email", "to": ["not-an-address"]}], "invalid address 'not-an-address'"),
        ([{"type": "job", "job_id": -1}], "'actions[0].job_id' must be a job id"),
        ([{"type": "job", "job_id": 1, "job_parameters": [1]}], "'actions[0].job_parameters'"),
        ([{"type": "slack", "url": "ftp://x.example.com/"}], "scheme 'ftp' ('actions[0].url')"),
        (
            [{"type": "webhook", "url": "https://h.example.com", "token": "x"}],
            "Unknown field(s) token",
        ),
        ({"type": "slack"}, "'actions' must be a list"),
    ],
)
def test_bad_actions(actions, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidParameterValue) as err:
        check_actions(actions)
    assert message in err.value.message


def test_internal_urls_are_refused_without_the_development_switch(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS")
    for url in (
        "http://127.0.0.1:9/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/",
    ):
        with pytest.raises(InvalidParameterValue, match=r"'actions\[0\].url'.*non-public"):
            check_actions([{"type": "webhook", "url": url}])
    monkeypatch.delenv("MLFLOW_WEBHOOK_ALLOWED_SCHEMES")
    with pytest.raises(InvalidParameterValue, match="Allowed schemes are: https"):
        check_actions([{"type": "slack", "url": "http://hooks.example.com/x"}])


def test_references_and_names(db_uri, monitor) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ResourceDoesNotExist, match=r"Monitor 'nope' \('condition.monitor'\)"):
        create_alert("a", {**DRIFT, "monitor": "nope"}, monitors_root=monitor)
    with pytest.raises(ResourceDoesNotExist, match=r"Job 42 \('actions\[0\].job_id'\)"):
        create_alert("a", DRIFT, [{"type": "job", "job_id": 42}], monitors_root=monitor)
    with pytest.raises(InvalidParameterValue, match="Invalid alert name 'a b'"):
        create_alert("a b", DRIFT, monitors_root=monitor)
    with pytest.raises(InvalidParameterValue, match="'cooldown_seconds' must be an integer >= 0"):
        create_alert("a", DRIFT, cooldown_seconds=-1, monitors_root=monitor)
    assert list_alerts() == []  # nothing half-applied
    create_alert("a", DRIFT, monitors_root=monitor)
    with pytest.raises(ResourceAlreadyExists, match="'a' already exists"):
        create_alert("a", DRIFT, monitors_root=monitor)
    with pytest.raises(InvalidParameterValue, match="Unknown alert field"):
        update_alert("a", state="OK")
    with pytest.raises(ResourceDoesNotExist):
        update_alert("missing", enabled=False)


def test_update_keeps_a_write_only_secret(db_uri, monitor, receiver) -> None:  # type: ignore[no-untyped-def]
    from modelyard.mlops.alerts.api import service_for

    url = f"{receiver.base}/hook"
    create_alert(
        "s", DRIFT, [{"type": "webhook", "url": url, "secret": "k"}], monitors_root=monitor
    )
    shown = update_alert("s", actions=[{"type": "webhook", "url": url}], monitors_root=monitor)
    assert shown["actions"] == [{"type": "webhook", "url": url}]
    assert service_for(db_uri).resolve("s").actions[0]["secret"] == "k"
    changed = update_alert("s", condition={**DRIFT, "min_columns": 1}, monitors_root=monitor)
    assert changed["condition"]["min_columns"] == 1 and changed["state"] == "OK"
