"""Traces: MLflow 3 trace records, their tags and request metadata.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _key_value_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("trace_id", sa.String(50), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text),
        sa.ForeignKeyConstraint(
            ["trace_id"], ["trace_info.trace_id"], name=f"fk_{name}_trace_id_trace_info"
        ),
        sa.PrimaryKeyConstraint("trace_id", "key", name=f"pk_{name}"),
    )


def upgrade() -> None:
    op.create_table(
        "trace_info",
        sa.Column("trace_id", sa.String(50), nullable=False),
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("request_time", sa.BigInteger, nullable=False),
        sa.Column("execution_duration", sa.BigInteger),
        sa.Column("state", sa.String(50), nullable=False),
        sa.Column("client_request_id", sa.String(250)),
        sa.Column("request_preview", sa.Text),
        sa.Column("response_preview", sa.Text),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            name="fk_trace_info_experiment_id_experiments",
        ),
        sa.PrimaryKeyConstraint("trace_id", name="pk_trace_info"),
    )
    op.create_index(
        "ix_trace_info_experiment_id_request_time", "trace_info", ["experiment_id", "request_time"]
    )
    _key_value_table("trace_tags")
    _key_value_table("trace_request_metadata")


def downgrade() -> None:
    op.drop_table("trace_request_metadata")
    op.drop_table("trace_tags")
    op.drop_index("ix_trace_info_experiment_id_request_time", table_name="trace_info")
    op.drop_table("trace_info")
