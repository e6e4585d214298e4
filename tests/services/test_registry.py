"""RegistryService validation in front of a real SQLite registry store."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from modelyard.errors import InvalidParameterValue, ResourceDoesNotExist
from modelyard.services.registry import RegistryService
from modelyard.store.registry.sql import SqlRegistryStore


@pytest.fixture
def service(sqlite_uri: str, tmp_path: Path) -> RegistryService:
    return RegistryService(SqlRegistryStore(sqlite_uri))


@pytest.fixture
def rooted(sqlite_uri: str, tmp_path: Path) -> RegistryService:
    root = tmp_path / "artifacts"
    root.mkdir(exist_ok=True)
    return RegistryService(SqlRegistryStore(sqlite_uri), allowed_artifact_roots=[root.as_uri()])


def _model(service: RegistryService, versions: int = 1) -> str:
    name = f"svc-{uuid.uuid4().hex[:8]}"
    service.create_registered_model(name)
    for _ in range(versions):
        service.create_model_version(name, "runs:/abc123/model", run_id="abc123")
    return name


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "'name'"),
        ("   ", "'name'"),
        ("a/b", "cannot contain '/' or ':'"),
        ("a:b", "cannot contain '/' or ':'"),
        ("..", "resolves to"),
        ("a/../b", "cannot contain"),
        ("x" * 257, "exceeds the limit"),
        (None, "'name'"),
    ],
)
def test_model_name_rules(service: RegistryService, name, fragment: str) -> None:
    with pytest.raises(InvalidParameterValue) as err:
        service.create_registered_model(name)
    assert fragment in err.value.message
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"


def test_names_with_spaces_dots_and_at_are_fine(service: RegistryService) -> None:
    for name in ("my model", "model.v2", "team@model", "ÜberModell"):
        assert service.create_registered_model(name).name == name


def test_rename_checks_new_name(service: RegistryService) -> None:
    name = _model(service, 0)
    with pytest.raises(InvalidParameterValue, match="new_name"):
        service.rename_registered_model(name, "a/b")


@pytest.mark.parametrize("version", ["abc", "1.5", "", None, True])
def test_version_must_be_integer(service: RegistryService, version) -> None:
    name = _model(service)
    with pytest.raises(InvalidParameterValue, match="must be an integer"):
        service.get_model_version(name, version)


def test_stage_names_case_insensitive(service: RegistryService) -> None:
    name = _model(service)
    assert service.transition_model_version_stage(name, "1", "PRODUCTION", False).current_stage == (
        "Production"
    )
    with pytest.raises(InvalidParameterValue, match="Invalid Model Version stage"):
        service.transition_model_version_stage(name, 1, "Prod", False)
    with pytest.raises(InvalidParameterValue, match="archive_existing_versions"):
        service.transition_model_version_stage(name, 1, "archived", True)
    found = service.get_latest_versions(name, ["production"])
    assert [mv.version for mv in found] == ["1"]
    with pytest.raises(InvalidParameterValue):
        service.get_latest_versions(name, ["Live"])


@pytest.mark.parametrize(
    ("alias", "fragment"),
    [
        ("", "cannot be empty"),
        ("latest", "'latest' alias name (case insensitive) is reserved."),
        ("LATEST", "is reserved"),
        ("v1", "Version alias name 'v1' is reserved."),
        ("V12", "is reserved"),
        ("with space", "Invalid alias name"),
        ("a.b", "Invalid alias name"),
        ("a" * 256, "exceeds the limit"),
    ],
)
def test_alias_rules(service: RegistryService, alias: str, fragment: str) -> None:
    name = _model(service)
    with pytest.raises(InvalidParameterValue) as err:
        service.set_registered_model_alias(name, alias, 1)
    assert fragment in err.value.message


def test_valid_aliases_and_latest_lookup(service: RegistryService) -> None:
    name = _model(service, 3)
    for alias in ("champion", "v1x", "my-alias_2", "a" * 255):
        service.set_registered_model_alias(name, alias, 2)
    assert service.get_model_version_by_alias(name, "champion").version == "2"
    assert service.get_model_version_by_alias(name, "Latest").version == "3"


def test_tag_limits(service: RegistryService) -> None:
    name = _model(service)
    service.set_registered_model_tag(name, "k", "x" * 100_000)
    with pytest.raises(InvalidParameterValue, match="value"):
        service.set_registered_model_tag(name, "k", "x" * 100_001)
    with pytest.raises(InvalidParameterValue, match="exceeds the limit of 250"):
        service.set_model_version_tag(name, 1, "k" * 251, "v")
    with pytest.raises(InvalidParameterValue):
        service.set_model_version_tag(name, 1, "../escape", "v")
    with pytest.raises(InvalidParameterValue):
        service.create_registered_model("fresh-" + uuid.uuid4().hex, tags=[("", "v")])
    service.set_model_version_tag(name, 1, "mlflow.note", "ok")
    assert service.get_model_version(name, 1).tags == {"mlflow.note": "ok"}


def test_max_results_limits(service: RegistryService) -> None:
    with pytest.raises(InvalidParameterValue, match="max_results"):
        service.search_registered_models(max_results=1001)
    with pytest.raises(InvalidParameterValue, match="max_results"):
        service.search_registered_models(max_results=0)
    with pytest.raises(InvalidParameterValue, match="max_results"):
        service.search_model_versions(max_results=200_001)
    with pytest.raises(InvalidParameterValue, match="max_results"):
        service.search_model_versions(max_results="ten")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "source",
    [
        "mlflow-artifacts:/1/../../etc/passwd",
        "mlflow-artifacts:/1/%2e%2e/%2e%2e/etc",
        "mlflow-artifacts:/1/%252e%252e/etc",
        "http://host/api/2.0/mlflow-artifacts/artifacts/..%2f..%2fetc",
        "s3://bucket/models/../../other",
        "runs:/abc123/../../x",
        "file:///tmp/a/%00b",
    ],
)
def test_source_traversal_rejected(service: RegistryService, source: str) -> None:
    name = _model(service, 0)
    with pytest.raises(InvalidParameterValue, match="source"):
        service.create_model_version(name, source, run_id="abc123")


def test_runs_source_needs_matching_run_id(service: RegistryService) -> None:
    name = _model(service, 0)
    with pytest.raises(InvalidParameterValue, match="run_id request parameter"):
        service.create_model_version(name, "runs:/abc123/model", run_id="other456")
    mv = service.create_model_version(name, "runs:/abc123/model")
    assert mv.run_id == "abc123"
    with pytest.raises(InvalidParameterValue, match="model_id"):
        service.create_model_version(name, "runs:/abc123/model", model_id="m-1")


def test_models_id_source_needs_matching_model_id(service: RegistryService) -> None:
    name = _model(service, 0)
    model_id = "m-" + uuid.uuid4().hex
    with pytest.raises(InvalidParameterValue, match="model_id request parameter"):
        service.create_model_version(name, f"models:/{model_id}")
    with pytest.raises(InvalidParameterValue, match="model_id request parameter"):
        service.create_model_version(name, f"models:/{model_id}", model_id="m-other")
    mv = service.create_model_version(name, f"models:/{model_id}", model_id=model_id)
    assert mv.model_id == model_id


def test_models_name_source_is_canonicalised(service: RegistryService) -> None:
    src = _model(service, 2)
    service.transition_model_version_stage(src, 2, "Production", False)
    service.set_registered_model_alias(src, "champion", 1)
    dst = _model(service, 0)
    for uri, expected in (
        (f"models:/{src}/Production", f"models:/{src}/2"),
        (f"models:/{src}/latest", f"models:/{src}/2"),
        (f"models:/{src}@champion", f"models:/{src}/1"),
        (f"models:/{src}/1", f"models:/{src}/1"),
    ):
        mv = service.create_model_version(dst, uri)
        assert mv.source == expected
        assert mv.run_id == "abc123"
        assert service.get_model_version_download_uri(dst, mv.version) == "runs:/abc123/model"
    with pytest.raises(InvalidParameterValue):
        service.create_model_version(dst, f"models:/{src}/Staging")
    with pytest.raises(InvalidParameterValue, match="must match"):
        service.create_model_version(dst, f"models:/{src}/1", run_id="zzz999")


def test_local_sources_need_a_run(rooted: RegistryService, tmp_path: Path) -> None:
    """MLflow's rule: a local source names the run whose artifact directory holds it; a local
    path without a run is refused even inside the server's artifact root."""
    name = _model(rooted, 0)
    inside = tmp_path / "artifacts" / "1" / "model"
    inside.mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for source in (inside.as_uri(), str(inside), outside.as_uri(), "/etc", "file:///etc/passwd"):
        with pytest.raises(InvalidParameterValue, match="To use a local path"):
            rooted.create_model_version(name, source)


def test_embedded_service_accepts_local_paths(service: RegistryService, tmp_path: Path) -> None:
    name = _model(service, 0)
    assert service.create_model_version(name, tmp_path.as_uri()).source == tmp_path.as_uri()


def test_missing_source(service: RegistryService) -> None:
    name = _model(service, 0)
    with pytest.raises(InvalidParameterValue, match="'source'"):
        service.create_model_version(name, "")


def test_history_version_check(service: RegistryService) -> None:
    name = _model(service)
    service.transition_model_version_stage(name, 1, "Staging", False)
    assert [h.to_value for h in service.get_model_history(name, "1")] == ["Staging"]
    with pytest.raises(InvalidParameterValue):
        service.get_model_history(name, "x")
    with pytest.raises(ResourceDoesNotExist):
        service.get_model_history("nope-" + uuid.uuid4().hex)


def test_logged_model_lineage(sqlite_uri: str, artifact_root: str) -> None:
    from modelyard.services.tracking import TrackingService
    from modelyard.store.tracking.sql import SqlTrackingStore

    tracking = TrackingService(SqlTrackingStore(sqlite_uri, artifact_root))
    service = RegistryService(
        SqlRegistryStore(sqlite_uri), tracking=tracking, allowed_artifact_roots=[artifact_root]
    )
    exp = tracking.create_experiment("lineage-" + uuid.uuid4().hex[:6])
    run = tracking.create_run(exp, "me", 1, [], "r")
    logged = tracking.create_logged_model(exp, "model", source_run_id=run.info.run_id)
    name = _model(service, 0)
    mv = service.create_model_version(name, f"models:/{logged.model_id}", model_id=logged.model_id)
    assert mv.run_id == run.info.run_id
    assert service.get_model_version_download_uri(name, mv.version) == logged.artifact_location
    tag = tracking.get_logged_model(logged.model_id).tags["mlflow.modelVersions"]
    assert json.loads(tag) == [{"name": name, "version": "1"}]
    service.record_version_on_logged_model(logged.model_id, name, "1")  # idempotent
    assert json.loads(tracking.get_logged_model(logged.model_id).tags["mlflow.modelVersions"]) == [
        {"name": name, "version": "1"}
    ]
    # a run artifact source must lie inside that run's artifact root
    run_uri = run.info.artifact_uri
    ok = service.create_model_version(name, f"{run_uri}/model", run_id=run.info.run_id)
    assert ok.source == f"{run_uri}/model"
    # ".." is resolved first, as MLflow does; where it then points is checked
    up = service.create_model_version(name, f"{run_uri}/model/..", run_id=run.info.run_id)
    assert up.source == run_uri
    other = tracking.create_run(exp, "me", 1, [], "other")
    # only the run's own directory counts, not the rest of the server's root
    with pytest.raises(InvalidParameterValue, match="local path"):
        service.create_model_version(name, f"{run_uri}/model", run_id=other.info.run_id)
    with pytest.raises(InvalidParameterValue, match="local path"):
        service.create_model_version(name, f"{run_uri}/../..", run_id=run.info.run_id)
    with pytest.raises(InvalidParameterValue, match="local path"):
        service.create_model_version(name, f"{run_uri}/model")
