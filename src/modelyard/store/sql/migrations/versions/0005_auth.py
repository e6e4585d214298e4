"""Auth: users, personal access tokens, per-user permissions, the audit log, server secrets.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_users",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(256), nullable=False),
        sa.Column("password_hash", sa.String(512), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_time", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_users"),
        sa.UniqueConstraint("username", name="uq_auth_users_username"),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(256)),
        sa.Column("created_time", sa.BigInteger, nullable=False),
        sa.Column("expiry_time", sa.BigInteger),
        sa.Column("last_used_time", sa.BigInteger),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_auth_tokens_token_hash"),
    )
    op.create_index("ix_auth_tokens_user_id", "auth_tokens", ["user_id"])
    op.create_table(
        "auth_permissions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(256), nullable=False),
        sa.Column("permission", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_permissions"),
        sa.UniqueConstraint(
            "user_id",
            "resource_type",
            "resource_id",
            name="uq_auth_permissions_user_id_resource_type_resource_id",
        ),
    )
    op.create_index(
        "ix_auth_permissions_resource_type_resource_id",
        "auth_permissions",
        ["resource_type", "resource_id"],
    )
    op.create_table(
        "auth_audit",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("username", sa.String(256)),
        sa.Column("actor", sa.String(256)),
        sa.Column("address", sa.String(64)),
        sa.Column("detail", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_auth_audit"),
    )
    op.create_index("ix_auth_audit_timestamp", "auth_audit", ["timestamp"])
    op.create_table(
        "auth_settings",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_auth_settings"),
    )


def downgrade() -> None:
    op.drop_table("auth_settings")
    op.drop_table("auth_audit")
    op.drop_table("auth_permissions")
    op.drop_table("auth_tokens")
    op.drop_table("auth_users")
