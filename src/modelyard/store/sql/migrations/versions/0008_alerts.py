"""Alerts: rules with their state, the state history, and notifications (outbox and history).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("alert_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("monitor", sa.String(128)),
        sa.Column("condition", sa.Text, nullable=False),
        sa.Column("actions", sa.Text, nullable=False),
        sa.Column("cooldown_seconds", sa.Integer, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("notify_on_resolve", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("state_since", sa.BigInteger),
        sa.Column("eval_state", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name="pk_alert_rules"),
        sa.UniqueConstraint("name", name="uq_alert_rules_name"),
    )
    op.create_index("ix_alert_rules_monitor", "alert_rules", ["monitor"])
    op.create_table(
        "alert_events",
        sa.Column("event_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(36), nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("from_state", sa.String(20), nullable=False),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("window", sa.Text),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_alert_events"),
    )
    op.create_index("ix_alert_events_alert_id_timestamp", "alert_events", ["alert_id", "timestamp"])
    op.create_table(
        "alert_notifications",
        sa.Column("notification_id", sa.String(36), nullable=False),
        sa.Column("alert_id", sa.String(36), nullable=False),
        sa.Column("event_id", sa.Integer),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_time", sa.BigInteger, nullable=False),
        sa.Column("next_attempt_time", sa.BigInteger, nullable=False),
        sa.Column("last_attempt_time", sa.BigInteger),
        sa.Column("finished_time", sa.BigInteger),
        sa.Column("result", sa.Text),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("notification_id", name="pk_alert_notifications"),
    )
    op.create_index(
        "ix_alert_notifications_status_next_attempt_time",
        "alert_notifications",
        ["status", "next_attempt_time"],
    )
    op.create_index(
        "ix_alert_notifications_alert_id_created_time",
        "alert_notifications",
        ["alert_id", "created_time"],
    )


def downgrade() -> None:
    op.drop_table("alert_notifications")
    op.drop_table("alert_events")
    op.drop_table("alert_rules")
