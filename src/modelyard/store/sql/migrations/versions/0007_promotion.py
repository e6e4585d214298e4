"""Promotion: policy versions, gate evidence, transition requests.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_policies",
        sa.Column("model_pk", sa.Integer, nullable=False),
        sa.Column("policy_version", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("user_id", sa.String(256)),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("model_pk", "policy_version", name="pk_registry_policies"),
    )
    op.create_table(
        "registry_gate_results",
        sa.Column("audit_id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("model_pk", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("target", sa.String(256), nullable=False),
        sa.Column("gate", sa.String(256), nullable=False),
        sa.Column("gate_type", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("audit_id", name="pk_registry_gate_results"),
    )
    op.create_index(
        "ix_registry_gate_results_model_pk_version",
        "registry_gate_results",
        ["model_pk", "version"],
    )
    op.create_table(
        "registry_transition_requests",
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("model_pk", sa.Integer, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("to_stage", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("creator", sa.String(256)),
        sa.Column("comment", sa.Text),
        sa.Column("archive_existing_versions", sa.Integer, nullable=False),
        sa.Column("resolver", sa.String(256)),
        sa.Column("resolver_comment", sa.Text),
        sa.Column("system_comment", sa.Text),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("request_id", name="pk_registry_transition_requests"),
    )
    op.create_index(
        "ix_registry_transition_requests_model_pk_version_state",
        "registry_transition_requests",
        ["model_pk", "version", "state"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_registry_transition_requests_model_pk_version_state", "registry_transition_requests"
    )
    op.drop_table("registry_transition_requests")
    op.drop_index("ix_registry_gate_results_model_pk_version", "registry_gate_results")
    op.drop_table("registry_gate_results")
    op.drop_table("registry_policies")
