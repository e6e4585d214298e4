"""The contract every ``RegistryStore`` implementation passes (SQLite, PostgreSQL, REST).

Subclass :class:`RegistryStoreContract` in a test module and provide a ``store`` fixture::

    class TestSqliteRegistry(RegistryStoreContract):
        @pytest.fixture
        def store(self, sqlite_uri):
            return SqlRegistryStore(sqlite_uri)

Model names are unique per test, so a store shared by a whole session works as well.
Sources are ``runs:/`` URIs: the contract checks store semantics, not source validation
(that belongs to ``RegistryService``).
"""

from __future__ import annotations

import uuid

import pytest

from modelyard.entities import Stage
from modelyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from modelyard.store.registry.base import RegistryStore

__all__ = ["RegistryStoreContract"]


def _name(prefix: str = "m") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _run() -> str:
    return uuid.uuid4().hex


class RegistryStoreContract:
    """Semantics of every registry method; ``store`` is supplied by the subclass.

    ``direct_storage_location`` is false for stores whose server decides a version's storage
    location itself and validates lineage (the REST store): the test that passes an explicit
    ``storage_location`` for an unknown logged model is then skipped.
    """

    direct_storage_location = True

    @pytest.fixture
    def store(self) -> RegistryStore:  # pragma: no cover - overridden
        raise NotImplementedError

    def _versions(self, store: RegistryStore, n: int) -> str:
        name = _name()
        store.create_registered_model(name)
        for _ in range(n):
            run_id = _run()
            store.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id)
        return name

    # ------------------------------------------------------------ registered models
    def test_create_and_get_registered_model(self, store: RegistryStore) -> None:
        name = _name()
        created = store.create_registered_model(name, tags=[("team", "risk")], description="d")
        assert created.name == name
        assert created.description == "d"
        assert created.tags == {"team": "risk"}
        assert created.creation_timestamp > 0
        assert created.last_updated_timestamp == created.creation_timestamp
        got = store.get_registered_model(name)
        assert got.name == name
        assert got.tags == {"team": "risk"}
        assert got.latest_versions == []
        assert got.aliases == {}

    def test_duplicate_registered_model(self, store: RegistryStore) -> None:
        name = _name()
        store.create_registered_model(name)
        with pytest.raises(ResourceAlreadyExists) as err:
            store.create_registered_model(name)
        assert err.value.error_code == "RESOURCE_ALREADY_EXISTS"
        assert name in err.value.message

    def test_missing_registered_model(self, store: RegistryStore) -> None:
        name = _name()
        with pytest.raises(ResourceDoesNotExist) as err:
            store.get_registered_model(name)
        assert err.value.error_code == "RESOURCE_DOES_NOT_EXIST"
        with pytest.raises(ResourceDoesNotExist):
            store.get_latest_versions(name)
        with pytest.raises(ResourceDoesNotExist):
            store.create_model_version(name, "runs:/abc/model", run_id="abc")

    def test_rename_moves_versions(self, store: RegistryStore) -> None:
        name = self._versions(store, 2)
        store.set_registered_model_alias(name, "champion", 2)
        new = _name("renamed")
        renamed = store.rename_registered_model(name, new)
        assert renamed.name == new
        assert renamed.aliases == {"champion": "2"}
        with pytest.raises(ResourceDoesNotExist):
            store.get_registered_model(name)
        mv = store.get_model_version(new, 2)
        assert mv.name == new
        assert mv.aliases == ["champion"]
        other = self._versions(store, 0)
        with pytest.raises(ResourceAlreadyExists):
            store.rename_registered_model(new, other)

    def test_update_description(self, store: RegistryStore) -> None:
        name = _name()
        store.create_registered_model(name)
        updated = store.update_registered_model(name, "new text")
        assert updated.description == "new text"
        assert store.get_registered_model(name).description == "new text"

    def test_delete_registered_model_cascades(self, store: RegistryStore) -> None:
        name = self._versions(store, 2)
        store.set_registered_model_tag(name, "k", "v")
        store.set_model_version_tag(name, 1, "k", "v")
        store.set_registered_model_alias(name, "a1", 1)
        store.delete_registered_model(name)
        with pytest.raises(ResourceDoesNotExist):
            store.get_registered_model(name)
        with pytest.raises(ResourceDoesNotExist):
            store.get_model_version(name, 1)
        # the name can be used again, starting over at version 1
        store.create_registered_model(name)
        again = store.get_registered_model(name)
        assert again.tags == {}
        assert again.aliases == {}
        mv = store.create_model_version(name, "runs:/abc/model", run_id="abc")
        assert mv.version == "1"
        assert mv.tags == {}
        assert store.get_model_history(name) == []

    def test_registered_model_tags(self, store: RegistryStore) -> None:
        name = _name()
        store.create_registered_model(name)
        store.set_registered_model_tag(name, "a", "1")
        store.set_registered_model_tag(name, "a", "2")
        store.set_registered_model_tag(name, "b", "x" * 5000)
        assert store.get_registered_model(name).tags == {"a": "2", "b": "x" * 5000}
        store.delete_registered_model_tag(name, "a")
        store.delete_registered_model_tag(name, "never-set")
        assert store.get_registered_model(name).tags == {"b": "x" * 5000}
        with pytest.raises(ResourceDoesNotExist):
            store.set_registered_model_tag(_name(), "a", "1")

    # ------------------------------------------------------------ model versions
    def test_create_model_version(self, store: RegistryStore) -> None:
        name = _name()
        store.create_registered_model(name)
        run_id = _run()
        mv = store.create_model_version(
            name,
            f"runs:/{run_id}/model",
            run_id=run_id,
            tags=[("t", "1")],
            run_link="http://x/run",
            description="first",
        )
        assert mv.name == name
        assert mv.version == "1"
        assert mv.status == "READY"
        assert mv.current_stage == "None"
        assert mv.run_id == run_id
        assert mv.source == f"runs:/{run_id}/model"
        assert mv.tags == {"t": "1"}
        assert mv.description == "first"
        assert mv.run_link == "http://x/run"
        assert mv.aliases == []
        assert mv.creation_timestamp > 0
        got = store.get_model_version(name, "1")
        assert got == mv
        assert store.get_model_version_download_uri(name, 1) == f"runs:/{run_id}/model"

    def test_storage_location_and_model_id(self, store: RegistryStore) -> None:
        if not self.direct_storage_location:
            pytest.skip("the server decides storage locations")
        name = _name()
        store.create_registered_model(name)
        mv = store.create_model_version(
            name,
            "models:/m-0123456789abcdef0123456789abcdef",
            run_id=_run(),
            model_id="m-0123456789abcdef0123456789abcdef",
            storage_location="mlflow-artifacts:/1/models/m-0123/artifacts",
        )
        assert mv.model_id == "m-0123456789abcdef0123456789abcdef"
        assert mv.source == "models:/m-0123456789abcdef0123456789abcdef"
        uri = store.get_model_version_download_uri(name, mv.version)
        assert uri == "mlflow-artifacts:/1/models/m-0123/artifacts"

    def test_version_numbers_never_reused(self, store: RegistryStore) -> None:
        name = self._versions(store, 3)
        store.delete_model_version(name, 3)
        store.delete_model_version(name, 2)
        mv = store.create_model_version(name, "runs:/abc/model", run_id="abc")
        assert mv.version == "4"
        with pytest.raises(ResourceDoesNotExist):
            store.get_model_version(name, 3)
        assert [v.version for v in store.get_latest_versions(name)] == ["4"]

    def test_update_and_delete_model_version(self, store: RegistryStore) -> None:
        name = self._versions(store, 1)
        mv = store.update_model_version(name, 1, "better")
        assert mv.description == "better"
        assert store.get_model_version(name, 1).description == "better"
        store.delete_model_version(name, 1)
        with pytest.raises(ResourceDoesNotExist):
            store.get_model_version(name, 1)
        with pytest.raises(ResourceDoesNotExist):
            store.delete_model_version(name, 1)
        with pytest.raises(ResourceDoesNotExist):
            store.update_model_version(name, 7, "x")

    def test_model_version_tags(self, store: RegistryStore) -> None:
        name = self._versions(store, 1)
        store.set_model_version_tag(name, 1, "k", "v1")
        store.set_model_version_tag(name, "1", "k", "v2")
        store.set_model_version_tag(name, 1, "other", "o")
        assert store.get_model_version(name, 1).tags == {"k": "v2", "other": "o"}
        store.delete_model_version_tag(name, 1, "k")
        assert store.get_model_version(name, 1).tags == {"other": "o"}
        with pytest.raises(ResourceDoesNotExist):
            store.set_model_version_tag(name, 9, "k", "v")

    def test_non_integer_version(self, store: RegistryStore) -> None:
        name = self._versions(store, 1)
        with pytest.raises(InvalidParameterValue, match="must be an integer"):
            store.get_model_version(name, "abc")

    # ------------------------------------------------------------ stages
    def test_transition_without_archive(self, store: RegistryStore) -> None:
        name = self._versions(store, 2)
        a = store.transition_model_version_stage(name, 1, "production", False)
        assert a.current_stage == "Production"
        b = store.transition_model_version_stage(name, 2, "Production", False)
        assert b.current_stage == "Production"
        assert store.get_model_version(name, 1).current_stage == "Production"

    def test_transition_archives_only_target_stage(self, store: RegistryStore) -> None:
        name = self._versions(store, 4)
        store.transition_model_version_stage(name, 1, "Production", False)
        store.transition_model_version_stage(name, 2, "Production", False)
        store.transition_model_version_stage(name, 3, "Staging", False)
        mv = store.transition_model_version_stage(name, 4, "Production", True)
        assert mv.current_stage == "Production"
        stages = {v: store.get_model_version(name, v).current_stage for v in (1, 2, 3, 4)}
        assert stages == {1: "Archived", 2: "Archived", 3: "Staging", 4: "Production"}

    def test_archive_existing_only_for_active_stages(self, store: RegistryStore) -> None:
        name = self._versions(store, 1)
        for stage in ("Archived", "None"):
            with pytest.raises(InvalidParameterValue) as err:
                store.transition_model_version_stage(name, 1, stage, True)
            assert err.value.error_code == "INVALID_PARAMETER_VALUE"
        assert store.get_model_version(name, 1).current_stage == "None"

    def test_transition_missing_version(self, store: RegistryStore) -> None:
        name = self._versions(store, 1)
        with pytest.raises(ResourceDoesNotExist):
            store.transition_model_version_stage(name, 5, "Staging", False)

    def test_get_latest_versions(self, store: RegistryStore) -> None:
        name = self._versions(store, 5)
        store.transition_model_version_stage(name, 1, "Production", False)
        store.transition_model_version_stage(name, 2, "Production", False)
        store.transition_model_version_stage(name, 3, "Staging", False)
        store.transition_model_version_stage(name, 4, "Archived", False)

        def latest(stages):
            found = store.get_latest_versions(name, stages)
            return sorted((mv.current_stage, mv.version) for mv in found)

        assert latest(None) == [
            ("Archived", "4"),
            ("None", "5"),
            ("Production", "2"),
            ("Staging", "3"),
        ]
        assert latest(["Production"]) == [("Production", "2")]
        assert latest(["production", "staging"]) == [("Production", "2"), ("Staging", "3")]
        registered = store.get_registered_model(name)
        assert sorted((v.current_stage, v.version) for v in registered.latest_versions) == (
            latest(None)
        )
        empty = self._versions(store, 0)
        assert store.get_latest_versions(empty) == []
        assert store.get_latest_versions(empty, ["Production"]) == []

    # ------------------------------------------------------------ aliases
    def test_aliases(self, store: RegistryStore) -> None:
        name = self._versions(store, 2)
        store.set_registered_model_alias(name, "champion", 1)
        assert store.get_model_version_by_alias(name, "champion").version == "1"
        assert store.get_model_version(name, 1).aliases == ["champion"]
        store.set_registered_model_alias(name, "champion", 2)  # moves
        assert store.get_model_version_by_alias(name, "champion").version == "2"
        assert store.get_model_version(name, 1).aliases == []
        assert store.get_model_version(name, 2).aliases == ["champion"]
        store.set_registered_model_alias(name, "challenger", 2)
        assert store.get_registered_model(name).aliases == {"champion": "2", "challenger": "2"}
        assert store.get_model_version(name, 2).aliases == ["challenger", "champion"]
        store.delete_registered_model_alias(name, "challenger")
        assert store.get_registered_model(name).aliases == {"champion": "2"}
        with pytest.raises(InvalidParameterValue, match="alias challenger not found"):
            store.get_model_version_by_alias(name, "challenger")

    def test_alias_on_missing_version(self, store: RegistryStore) -> None:
        name = self._versions(store, 1)
        with pytest.raises(ResourceDoesNotExist):
            store.set_registered_model_alias(name, "champion", 3)
        with pytest.raises(ResourceDoesNotExist):
            store.set_registered_model_alias(_name(), "champion", 1)

    def test_deleting_version_deletes_its_aliases(self, store: RegistryStore) -> None:
        name = self._versions(store, 2)
        store.set_registered_model_alias(name, "a", 1)
        store.set_registered_model_alias(name, "b", 2)
        store.delete_model_version(name, 1)
        assert store.get_registered_model(name).aliases == {"b": "2"}
        with pytest.raises(InvalidParameterValue):
            store.get_model_version_by_alias(name, "a")

    # ------------------------------------------------------------ audit trail
    def test_history_records_stage_and_alias_changes(self, store: RegistryStore) -> None:
        name = self._versions(store, 2)
        store.transition_model_version_stage(name, 1, "Production", False)
        store.transition_model_version_stage(name, 2, "Production", True)
        store.set_registered_model_alias(name, "champion", 1)
        store.set_registered_model_alias(name, "champion", 2)
        store.delete_registered_model_alias(name, "champion")
        history = store.get_model_history(name)
        got = [(h.version, h.kind, h.from_value, h.to_value) for h in history]
        assert got == [
            ("1", "stage", "None", "Production"),
            ("1", "stage", "Production", "Archived"),
            ("2", "stage", "None", "Production"),
            ("1", "alias_set", None, "champion"),
            ("1", "alias_deleted", "champion", None),
            ("2", "alias_set", None, "champion"),
            ("2", "alias_deleted", "champion", None),
        ]
        assert all(h.name == name and h.timestamp > 0 for h in history)
        assert all(h.user_id for h in history)
        times = [h.timestamp for h in history]
        assert times == sorted(times)
        only_one = [(h.kind, h.from_value, h.to_value) for h in store.get_model_history(name, 1)]
        assert only_one == [
            ("stage", "None", "Production"),
            ("stage", "Production", "Archived"),
            ("alias_set", None, "champion"),
            ("alias_deleted", "champion", None),
        ]
        with pytest.raises(ResourceDoesNotExist):
            store.get_model_history(_name())

    def test_history_of_version_delete(self, store: RegistryStore) -> None:
        name = self._versions(store, 1)
        store.set_registered_model_alias(name, "prod", 1)
        store.delete_model_version(name, 1)
        got = [(h.version, h.kind, h.from_value) for h in store.get_model_history(name)]
        assert got == [("1", "alias_set", None), ("1", "alias_deleted", "prod")]

    # ------------------------------------------------------------ search
    def test_search_model_versions_by_name(self, store: RegistryStore) -> None:
        name = self._versions(store, 3)
        store.set_registered_model_alias(name, "champion", 2)
        found = store.search_model_versions(f"name='{name}'")
        assert sorted(mv.version for mv in found) == ["1", "2", "3"]
        assert found.token is None
        by_version = {mv.version: mv for mv in found}
        assert by_version["2"].aliases == ["champion"]
        page = store.search_model_versions(
            f"name='{name}'", max_results=2, order_by=["version_number ASC"]
        )
        assert [mv.version for mv in page] == ["1", "2"]
        assert page.token
        rest = store.search_model_versions(
            f"name='{name}'", max_results=2, order_by=["version_number ASC"], page_token=page.token
        )
        assert [mv.version for mv in rest] == ["3"]

    def test_search_registered_models(self, store: RegistryStore) -> None:
        prefix = f"srch-{uuid.uuid4().hex[:8]}"
        for suffix in ("a", "b", "c"):
            store.create_registered_model(f"{prefix}-{suffix}")
        store.set_registered_model_tag(f"{prefix}-c", "mlflow.prompt.is_prompt", "true")
        clause = "tag.`mlflow.prompt.is_prompt` != 'true'"
        found = store.search_registered_models(f"name LIKE '{prefix}%' AND {clause}")
        assert [m.name for m in found] == [f"{prefix}-a", f"{prefix}-b"]
        exact = store.search_registered_models(f"name = '{prefix}-b'")
        assert [m.name for m in exact] == [f"{prefix}-b"]

    def test_stage_names_are_canonical(self, store: RegistryStore) -> None:
        name = self._versions(store, 1)
        mv = store.transition_model_version_stage(name, 1, "sTaGiNg", False)
        assert mv.current_stage == Stage.STAGING

    def test_history_follows_renames(self, store: RegistryStore) -> None:
        name = self._versions(store, 1)
        store.transition_model_version_stage(name, 1, "Staging", False)
        new = _name("renamed")
        store.rename_registered_model(name, new)
        store.transition_model_version_stage(new, 1, "Production", False)
        got = [(h.name, h.from_value, h.to_value) for h in store.get_model_history(new)]
        assert got == [(name, "None", "Staging"), (new, "Staging", "Production")]

    def test_latest_alias_lookup_means_newest_version(self, store: RegistryStore) -> None:
        name = self._versions(store, 3)
        store.transition_model_version_stage(name, 2, "Production", False)
        assert store.get_model_version_by_alias(name, "latest").version == "3"
        empty = self._versions(store, 0)
        with pytest.raises(ResourceDoesNotExist):
            store.get_model_version_by_alias(empty, "latest")
