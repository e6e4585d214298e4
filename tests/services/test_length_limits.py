"""MLflow's field length limits at the service layer (the embedded store and the server share it):
each field at its limit is accepted, one character more is refused with INVALID_PARAMETER_VALUE
naming the field and the limit."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from modelyard.entities import Dataset, DatasetInput, InputTag, RunTag
from modelyard.errors import InvalidParameterValue
from modelyard.services.registry import RegistryService
from modelyard.services.tracking import TrackingService
from modelyard.services.validation import (
    DEFAULT_MAX_ARTIFACT_LOCATION_LENGTH,
    MAX_DATASET_DIGEST_LENGTH,
    MAX_DATASET_NAME_LENGTH,
    MAX_DATASET_PROFILE_LENGTH,
    MAX_DATASET_SCHEMA_LENGTH,
    MAX_DATASET_SOURCE_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_EXPERIMENT_TAG_VALUE_LENGTH,
    MAX_INPUT_TAG_KEY_LENGTH,
    MAX_INPUT_TAG_VALUE_LENGTH,
    MAX_RUN_LINK_LENGTH,
    MAX_RUN_NAME_LENGTH,
    MAX_VERSION_SOURCE_LENGTH,
)
from modelyard.store.registry.sql import SqlRegistryStore
from modelyard.store.tracking.sql import SqlTrackingStore


def test_limits_are_mlflows() -> None:
    # the figures of mlflow 3.17.2 (mlflow.utils.validation and its SQL column sizes)
    assert MAX_RUN_NAME_LENGTH == 250
    assert MAX_DESCRIPTION_LENGTH == 5000
    assert MAX_VERSION_SOURCE_LENGTH == MAX_RUN_LINK_LENGTH == 500
    assert MAX_EXPERIMENT_TAG_VALUE_LENGTH == 20000
    assert DEFAULT_MAX_ARTIFACT_LOCATION_LENGTH == 2048
    assert (MAX_DATASET_NAME_LENGTH, MAX_DATASET_DIGEST_LENGTH) == (500, 36)
    assert MAX_DATASET_SOURCE_LENGTH == 65535
    assert MAX_DATASET_SCHEMA_LENGTH == 1048575
    assert MAX_DATASET_PROFILE_LENGTH == 16777215
    assert (MAX_INPUT_TAG_KEY_LENGTH, MAX_INPUT_TAG_VALUE_LENGTH) == (255, 500)


@pytest.fixture
def tracking(sqlite_uri: str, artifact_root: str) -> TrackingService:
    return TrackingService(SqlTrackingStore(sqlite_uri, artifact_root))


@pytest.fixture
def registry(sqlite_uri: str) -> RegistryService:
    return RegistryService(SqlRegistryStore(sqlite_uri))


def _experiment(tracking: TrackingService) -> str:
    return tracking.create_experiment(f"len-{uuid.uuid4().hex[:10]}")


def _run(tracking: TrackingService) -> str:
    return tracking.create_run(_experiment(tracking), "me", 0, [], None).info.run_id


def _model(registry: RegistryService) -> str:
    name = f"len-{uuid.uuid4().hex[:10]}"
    registry.create_registered_model(name)
    return name


def _refused(call: Callable[[], object], field: str, limit: int) -> None:
    with pytest.raises(InvalidParameterValue) as info:
        call()
    message = str(info.value)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert field in message, message
    assert re.search(rf"\b{limit}\b", message), message


def _padded(prefix: str, size: int) -> str:
    return prefix + "x" * (size - len(prefix))


# ---------------------------------------------------------------- runs
def test_run_name_on_create(tracking: TrackingService) -> None:
    exp = _experiment(tracking)
    run = tracking.create_run(exp, "me", 0, [], "r" * MAX_RUN_NAME_LENGTH)
    assert run.info.run_name == "r" * MAX_RUN_NAME_LENGTH
    _refused(
        lambda: tracking.create_run(exp, "me", 0, [], "r" * (MAX_RUN_NAME_LENGTH + 1)),
        "run_name",
        MAX_RUN_NAME_LENGTH,
    )


def test_a_million_character_run_name_is_refused_not_stored(tracking: TrackingService) -> None:
    exp = _experiment(tracking)
    _refused(lambda: tracking.create_run(exp, "me", 0, [], "n" * 1_000_000), "run_name", 250)
    assert list(tracking.search_runs([exp])) == []


def test_run_name_on_update(tracking: TrackingService) -> None:
    run_id = _run(tracking)
    tracking.update_run_info(run_id, run_name="u" * MAX_RUN_NAME_LENGTH)
    _refused(
        lambda: tracking.update_run_info(run_id, run_name="u" * (MAX_RUN_NAME_LENGTH + 1)),
        "run_name",
        MAX_RUN_NAME_LENGTH,
    )
    assert tracking.get_run(run_id).info.run_name == "u" * MAX_RUN_NAME_LENGTH


def test_run_name_tag(tracking: TrackingService) -> None:
    run_id = _run(tracking)
    tracking.log_batch(run_id, tags=[RunTag("mlflow.runName", "t" * MAX_RUN_NAME_LENGTH)])
    assert tracking.get_run(run_id).info.run_name == "t" * MAX_RUN_NAME_LENGTH
    _refused(
        lambda: tracking.log_batch(
            run_id, tags=[RunTag("mlflow.runName", "t" * (MAX_RUN_NAME_LENGTH + 1))]
        ),
        "mlflow.runName",
        MAX_RUN_NAME_LENGTH,
    )
    exp = _experiment(tracking)
    _refused(
        lambda: tracking.create_run(
            exp, "me", 0, [RunTag("mlflow.runName", "t" * (MAX_RUN_NAME_LENGTH + 1))], None
        ),
        "mlflow.runName",
        MAX_RUN_NAME_LENGTH,
    )


# ---------------------------------------------------------------- experiments
def test_experiment_tag_value_refused_not_truncated(tracking: TrackingService) -> None:
    exp = _experiment(tracking)
    at = "v" * MAX_EXPERIMENT_TAG_VALUE_LENGTH
    tracking.set_experiment_tag(exp, "mlflow.note.content", at)
    assert tracking.get_experiment(exp).tags["mlflow.note.content"] == at
    _refused(
        lambda: tracking.set_experiment_tag(exp, "mlflow.note.content", at + "v"),
        "mlflow.note.content",
        MAX_EXPERIMENT_TAG_VALUE_LENGTH,
    )
    assert tracking.get_experiment(exp).tags["mlflow.note.content"] == at
    name = f"len-{uuid.uuid4().hex[:10]}"
    _refused(
        lambda: tracking.create_experiment(name, tags=[("k", at + "v")]),
        "experiment tag 'k'",
        MAX_EXPERIMENT_TAG_VALUE_LENGTH,
    )
    assert tracking.get_experiment_by_name(name) is None


def test_artifact_location(tracking: TrackingService, tmp_path: Path) -> None:
    base = tmp_path.as_uri() + "/"
    at = _padded(base, DEFAULT_MAX_ARTIFACT_LOCATION_LENGTH)
    exp = tracking.create_experiment(f"len-{uuid.uuid4().hex[:10]}", artifact_location=at)
    assert tracking.get_experiment(exp).artifact_location == at
    _refused(
        lambda: tracking.create_experiment(
            f"len-{uuid.uuid4().hex[:10]}", artifact_location=at + "x"
        ),
        "artifact_location",
        DEFAULT_MAX_ARTIFACT_LOCATION_LENGTH,
    )


def test_artifact_location_limit_follows_mlflows_variable(
    tracking: TrackingService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH", "100")
    at = _padded(tmp_path.as_uri() + "/", 101)
    _refused(
        lambda: tracking.create_experiment(f"len-{uuid.uuid4().hex[:10]}", artifact_location=at),
        "artifact_location",
        100,
    )


# ---------------------------------------------------------------- datasets
def _dataset(**fields: str | None) -> Dataset:
    values: dict[str, str | None] = {
        "name": "d",
        "digest": "abc",
        "source_type": "local",
        "source": "{}",
        "schema": None,
        "profile": None,
    }
    values.update(fields)
    return Dataset(**values)  # type: ignore[arg-type]


DATASET_LIMITS = [
    ("name", MAX_DATASET_NAME_LENGTH),
    ("digest", MAX_DATASET_DIGEST_LENGTH),
    ("source", MAX_DATASET_SOURCE_LENGTH),
    ("schema", MAX_DATASET_SCHEMA_LENGTH),
    ("profile", MAX_DATASET_PROFILE_LENGTH),
]


@pytest.mark.parametrize(("field", "limit"), DATASET_LIMITS)
def test_dataset_fields(tracking: TrackingService, field: str, limit: int) -> None:
    run_id = _run(tracking)
    tracking.log_inputs(run_id, [DatasetInput(_dataset(**{field: "a" * limit}))])
    assert len(tracking.get_run(run_id).inputs.dataset_inputs) == 1
    other = _run(tracking)
    _refused(
        lambda: tracking.log_inputs(other, [DatasetInput(_dataset(**{field: "a" * (limit + 1)}))]),
        f"datasets[0].dataset.{field}",
        limit,
    )
    assert tracking.get_run(other).inputs.dataset_inputs == []


@pytest.mark.parametrize(
    ("part", "limit"), [("key", MAX_INPUT_TAG_KEY_LENGTH), ("value", MAX_INPUT_TAG_VALUE_LENGTH)]
)
def test_input_tags(tracking: TrackingService, part: str, limit: int) -> None:
    def tag(size: int) -> InputTag:
        return InputTag("k" * size, "v") if part == "key" else InputTag("k", "v" * size)

    run_id = _run(tracking)
    tracking.log_inputs(run_id, [DatasetInput(_dataset(), (tag(limit),))])
    _refused(
        lambda: tracking.log_inputs(run_id, [DatasetInput(_dataset(), (tag(limit + 1),))]),
        f"datasets[0].tags[0].{part}",
        limit,
    )


# ---------------------------------------------------------------- registry
def test_registered_model_description(registry: RegistryService) -> None:
    at = "d" * MAX_DESCRIPTION_LENGTH
    name = f"len-{uuid.uuid4().hex[:10]}"
    assert registry.create_registered_model(name, description=at).description == at
    over = at + "d"
    _refused(
        lambda: registry.create_registered_model(f"len-{uuid.uuid4().hex[:10]}", description=over),
        "description",
        MAX_DESCRIPTION_LENGTH,
    )
    registry.update_registered_model(name, at)
    _refused(
        lambda: registry.update_registered_model(name, over), "description", MAX_DESCRIPTION_LENGTH
    )
    assert registry.get_registered_model(name).description == at


def test_model_version_description(registry: RegistryService) -> None:
    name = _model(registry)
    at = "d" * MAX_DESCRIPTION_LENGTH
    mv = registry.create_model_version(name, "s3://bucket/model", description=at)
    assert mv.description == at
    _refused(
        lambda: registry.create_model_version(name, "s3://bucket/model", description=at + "d"),
        "description",
        MAX_DESCRIPTION_LENGTH,
    )
    registry.update_model_version(name, mv.version, at)
    _refused(
        lambda: registry.update_model_version(name, mv.version, at + "d"),
        "description",
        MAX_DESCRIPTION_LENGTH,
    )


def test_model_version_source(registry: RegistryService) -> None:
    name = _model(registry)
    at = _padded("s3://bucket/", MAX_VERSION_SOURCE_LENGTH)
    assert registry.create_model_version(name, at).source == at
    _refused(
        lambda: registry.create_model_version(name, at + "x"), "source", MAX_VERSION_SOURCE_LENGTH
    )
    assert len(list(registry.search_model_versions(f"name = '{name}'"))) == 1


def test_model_version_run_link(registry: RegistryService) -> None:
    name = _model(registry)
    at = _padded("https://tracking.example/#/runs/", MAX_RUN_LINK_LENGTH)
    assert registry.create_model_version(name, "s3://b/m", run_link=at).run_link == at
    _refused(
        lambda: registry.create_model_version(name, "s3://b/m", run_link=at + "x"),
        "run_link",
        MAX_RUN_LINK_LENGTH,
    )


@pytest.mark.parametrize("kind", ["registered model", "model version"])
def test_registry_tag_values(registry: RegistryService, kind: str) -> None:
    name = _model(registry)
    registry.create_model_version(name, "s3://b/m")
    limit = 100_000

    def set_tag(value: str) -> None:
        if kind == "registered model":
            registry.set_registered_model_tag(name, "k", value)
        else:
            registry.set_model_version_tag(name, 1, "k", value)

    set_tag("v" * limit)
    _refused(lambda: set_tag("v" * (limit + 1)), "value", limit)


# ---------------------------------------------------------------- webhooks
def test_webhook_url_and_description(sqlite_uri: str) -> None:
    from modelyard.services.webhooks import (
        MAX_WEBHOOK_DESCRIPTION_LENGTH,
        MAX_WEBHOOK_URL_LENGTH,
        WebhookService,
    )
    from modelyard.store.webhooks.sql import SqlWebhookStore

    assert (MAX_WEBHOOK_URL_LENGTH, MAX_WEBHOOK_DESCRIPTION_LENGTH) == (500, 1000)
    service = WebhookService(SqlWebhookStore(sqlite_uri))
    url = _padded("https://93.184.215.14/", MAX_WEBHOOK_URL_LENGTH)  # a public address
    events = ["model_version.created"]
    at = "d" * MAX_WEBHOOK_DESCRIPTION_LENGTH
    hook = service.create("at-limit", url, events, description=at)
    assert (hook.url, hook.description) == (url, at)
    _refused(lambda: service.create("too-long", url + "x", events), "url", 500)
    _refused(
        lambda: service.create("too-long", url, events, description=at + "d"), "description", 1000
    )
    _refused(lambda: service.update(hook.webhook_id, url=url + "x"), "url", 500)
    _refused(lambda: service.update(hook.webhook_id, description=at + "d"), "description", 1000)
