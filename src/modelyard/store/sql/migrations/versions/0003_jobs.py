"""Jobs: job definitions and job/task runs (scheduler fire times unique per job).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("job_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("settings", sa.Text, nullable=False),
        sa.Column("creator_user_name", sa.String(256)),
        sa.Column("created_time", sa.BigInteger, nullable=False),
        sa.Column("schedule_active", sa.Boolean, nullable=False),
        sa.Column("schedule_cursor", sa.BigInteger),
        sa.PrimaryKeyConstraint("job_id", name="pk_jobs"),
    )
    op.create_index("ix_jobs_schedule_active", "jobs", ["schedule_active"])
    op.create_table(
        "job_runs",
        sa.Column("run_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("job_id", sa.Integer, nullable=False),
        sa.Column("parent_run_id", sa.Integer),
        sa.Column("task_key", sa.String(100)),
        sa.Column("attempt_number", sa.Integer, nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("scheduled_time", sa.BigInteger),
        sa.Column("run_name", sa.String(256)),
        sa.Column("life_cycle_state", sa.String(32), nullable=False),
        sa.Column("result_state", sa.String(32)),
        sa.Column("state_message", sa.Text),
        sa.Column("created_time", sa.BigInteger, nullable=False),
        sa.Column("start_time", sa.BigInteger),
        sa.Column("end_time", sa.BigInteger),
        sa.Column("job_parameters", sa.Text),
        sa.Column("settings", sa.Text),
        sa.Column("mlflow_run_id", sa.String(32)),
        sa.Column("log_location", sa.Text),
        sa.Column("worker_id", sa.String(128)),
        sa.Column("heartbeat_time", sa.BigInteger),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_job_runs"),
        sa.UniqueConstraint("job_id", "scheduled_time", name="uq_job_runs_job_id_scheduled_time"),
    )
    op.create_index("ix_job_runs_job_id_run_id", "job_runs", ["job_id", "run_id"])
    op.create_index("ix_job_runs_parent_run_id", "job_runs", ["parent_run_id"])
    op.create_index("ix_job_runs_life_cycle_state", "job_runs", ["life_cycle_state"])


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_table("jobs")
