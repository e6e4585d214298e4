"""The contract every :class:`~modelyard.store.auth.AuthStore` meets, with the service rules
over it. Subclass :class:`AuthStoreContract` and provide an ``auth_store`` fixture."""

from __future__ import annotations

import pytest

from modelyard.errors import (
    InvalidParameterValue,
    PermissionDenied,
    RequestLimitExceeded,
    ResourceAlreadyExists,
    ResourceDoesNotExist,
    Unauthenticated,
)
from modelyard.services.auth import AuthService, LoginLimiter, hash_token
from modelyard.store.auth.base import AuthStore

__all__ = ["AuthStoreContract"]


class AuthStoreContract:
    @pytest.fixture
    def service(self, auth_store: AuthStore) -> AuthService:
        return AuthService(auth_store, limiter=LoginLimiter(max_failures=3))

    def test_users_roundtrip_and_version(self, auth_store: AuthStore) -> None:
        user = auth_store.create_user("alice", "h1", False, 1)
        assert (user.username, user.is_admin, user.version) == ("alice", False, 1)
        with pytest.raises(ResourceAlreadyExists):
            auth_store.create_user("alice", "h2", False, 2)
        updated = auth_store.update_user("alice", password_hash="h3", is_admin=True)
        assert (updated.password_hash, updated.is_admin, updated.version) == ("h3", True, 2)
        assert auth_store.count_users() == 1
        assert [u.username for u in auth_store.list_users()] == ["alice"]
        auth_store.delete_user("alice")
        assert auth_store.find_user("alice") is None
        with pytest.raises(ResourceDoesNotExist):
            auth_store.update_user("alice", is_admin=False)

    def test_tokens_and_grants(self, auth_store: AuthStore) -> None:
        user = auth_store.create_user("bob", "h", False, 1)
        token = auth_store.create_token(user.id, "abc", "ci", 5, None)
        found = auth_store.find_token("abc")
        assert found is not None and found[0].id == token.id and found[1].username == "bob"
        assert auth_store.revoke_token(user.id, token.id).revoked
        with pytest.raises(ResourceDoesNotExist):
            auth_store.revoke_token(user.id + 1, token.id)
        auth_store.create_grant(user.id, "experiment", "1", "READ")
        with pytest.raises(ResourceAlreadyExists):
            auth_store.create_grant(user.id, "experiment", "1", "EDIT")
        auth_store.update_grant(user.id, "experiment", "1", "EDIT")
        auth_store.put_grant(user.id, "registered_model", "m", "MANAGE")
        assert auth_store.grants_of(user.id, "experiment") == {"1": "EDIT"}
        auth_store.rename_resource("registered_model", "m", "m2")
        assert auth_store.get_grant(user.id, "registered_model", "m2") == "MANAGE"
        auth_store.delete_resource("registered_model", "m2")
        assert auth_store.get_grant(user.id, "registered_model", "m2") is None
        auth_store.delete_grant(user.id, "experiment", "1")
        with pytest.raises(ResourceDoesNotExist):
            auth_store.delete_grant(user.id, "experiment", "1")
        auth_store.delete_user("bob")
        assert auth_store.find_token("abc") is None

    def test_generation_moves_with_every_change_that_can_withdraw_access(
        self, auth_store: AuthStore
    ) -> None:
        user = auth_store.create_user("gen", "h", False, 1)
        token = auth_store.create_token(user.id, "gen-token", None, 5, None)
        seen = [auth_store.generation()]
        assert auth_store.generation() == seen[0]  # reading does not move it

        def moved() -> None:
            now = auth_store.generation()
            assert now is not None and now not in seen
            seen.append(now)

        auth_store.update_user("gen", password_hash="h2")
        moved()
        auth_store.update_user("gen", is_admin=True)
        moved()
        auth_store.revoke_token(user.id, token.id)
        moved()
        auth_store.create_grant(user.id, "experiment", "1", "READ")
        moved()
        auth_store.update_grant(user.id, "experiment", "1", "EDIT")
        moved()
        auth_store.put_grant(user.id, "experiment", "1", "READ")
        moved()
        auth_store.put_grant(user.id, "registered_model", "m", "MANAGE")
        moved()
        auth_store.rename_resource("registered_model", "m", "m2")
        moved()
        auth_store.delete_resource("registered_model", "m2")
        moved()
        auth_store.delete_grant(user.id, "experiment", "1")
        moved()
        auth_store.delete_user("gen")
        moved()

    def test_run_lookups(self, auth_store: AuthStore) -> None:
        assert auth_store.experiment_of_run("no-such-run") is None
        assert auth_store.grant_via_run(1, "no-such-run") == (None, None)
        assert auth_store.experiment_of_trace("tr-no-such-trace") is None

    def test_audit_and_settings(self, auth_store: AuthStore) -> None:
        auth_store.add_audit("login_failure", 1, username="x", address="1.2.3.4")
        auth_store.add_audit("token_created", 2, username="x")
        events = auth_store.list_audit(10)
        assert [e.event for e in events] == ["token_created", "login_failure"]
        assert [e.event for e in auth_store.list_audit(10, before_id=events[0].id)] == [
            "login_failure"
        ]
        assert auth_store.setting("k", "first") == "first"
        assert auth_store.setting("k", "second") == "first"

    def test_service_passwords_tokens_permissions(self, service: AuthService) -> None:
        with pytest.raises(InvalidParameterValue, match="no user yet"):
            service.bootstrap("admin", None)
        admin = service.bootstrap("admin", "admin-password")
        assert admin is not None and admin.is_admin
        assert service.bootstrap("admin", "other-password") is None
        with pytest.raises(InvalidParameterValue, match="at least 8"):
            service.create_user("carol", "short")
        carol = service.create_user("carol", "carol-password")
        assert service.authenticate_basic("carol", "carol-password").id == carol.id
        assert service.authenticate_basic("carol", "carol-password").id == carol.id  # cached
        service.update_password("carol", "carol-password-2", actor="admin")
        with pytest.raises(Unauthenticated):
            service.authenticate_basic("carol", "carol-password")  # the cache saw the version
        secret, token = service.create_token(carol, "laptop", expires_in_seconds=3600)
        assert secret.startswith("myt_") and token.expiry_time is not None
        assert service.store.find_token(hash_token(secret)) is not None
        assert service.authenticate_token(secret).id == carol.id
        service.revoke_token(carol, token.id, actor="carol")
        with pytest.raises(Unauthenticated, match="revoked"):
            service.authenticate_token(secret)
        with pytest.raises(Unauthenticated):
            service.authenticate_token("myt_unknown")
        carol = service.get_user("carol")
        assert not service.permission(carol, "experiment", "7").can_read
        assert service.permission(admin, "experiment", "7").can_manage
        service.set_grant(admin, "carol", "experiment", "7", "READ", "create")
        assert service.permission(carol, "experiment", "7").name == "READ"
        with pytest.raises(InvalidParameterValue, match="Invalid permission"):
            service.set_grant(admin, "carol", "experiment", "7", "OWNER", "put")
        with pytest.raises(PermissionDenied):
            service.set_grant(carol, "carol", "experiment", "7", "MANAGE", "put")
        readable = service.readable(carol, "experiment")
        assert readable("7") and not readable("8")
        assert not service.permission(carol, "endpoint", "e").can_use
        service.set_grant(admin, "carol", "endpoint", "e", "CAN_QUERY", "put")
        assert service.permission(carol, "endpoint", "e").can_use
        events = [e.event for e in service.audit_log()]
        assert {"login_success", "login_failure", "token_created", "token_revoked"} <= set(events)
        assert "permission_changed" in events

    def test_failed_logins_are_limited(self, service: AuthService) -> None:
        service.create_user("dave", "dave-password")
        for _ in range(3):
            with pytest.raises(Unauthenticated):
                service.authenticate_basic("dave", "wrong-password", "10.0.0.1")
        with pytest.raises(RequestLimitExceeded):
            service.authenticate_basic("dave", "dave-password", "10.0.0.2")
        with pytest.raises(RequestLimitExceeded):
            service.authenticate_basic("someone", "x", "10.0.0.1")
