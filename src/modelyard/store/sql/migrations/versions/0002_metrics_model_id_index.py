"""Index metric points by model_id: a logged model's metrics are read on every get.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_metrics_model_id", "metrics", ["model_id"])


def downgrade() -> None:
    op.drop_index("ix_metrics_model_id", table_name="metrics")
