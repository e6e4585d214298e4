"""Webhooks: definitions and the durable delivery outbox.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("webhook_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("events", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("secret", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("deleted_timestamp", sa.BigInteger),
        sa.PrimaryKeyConstraint("webhook_id", name="pk_webhooks"),
    )
    op.create_index("ix_webhooks_status", "webhooks", ["status"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.String(36), nullable=False),
        sa.Column("webhook_id", sa.String(36), nullable=False),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_time", sa.BigInteger, nullable=False),
        sa.Column("next_attempt_time", sa.BigInteger, nullable=False),
        sa.Column("last_attempt_time", sa.BigInteger),
        sa.Column("delivered_time", sa.BigInteger),
        sa.Column("response_status", sa.Integer),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("delivery_id", name="pk_webhook_deliveries"),
    )
    op.create_index(
        "ix_webhook_deliveries_status_next_attempt_time",
        "webhook_deliveries",
        ["status", "next_attempt_time"],
    )
    op.create_index(
        "ix_webhook_deliveries_webhook_id_created_time",
        "webhook_deliveries",
        ["webhook_id", "created_time"],
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
