"""Initial schema: tracking (experiments, runs, metrics, logged models) and registry tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Written by hand, table by table, so that the history never depends on the current
``schema.py``; a test checks that the result matches ``modelyard.store.sql.schema.metadata``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_DOUBLE = sa.Float(precision=53).with_variant(sa.Float(), "sqlite")


def _pk(table: str, *cols: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*cols, name=f"pk_{table}")


def _fk(table: str, col: str, ref_table: str, ref_col: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [col], [f"{ref_table}.{ref_col}"], name=f"fk_{table}_{col}_{ref_table}"
    )


def _tracking() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.Text, nullable=False),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("creation_time", sa.BigInteger),
        sa.Column("last_update_time", sa.BigInteger),
        _pk("experiments", "experiment_id"),
        sa.UniqueConstraint("name", name="uq_experiments_name"),
    )
    op.create_table(
        "experiment_tags",
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text),
        _pk("experiment_tags", "experiment_id", "key"),
        _fk("experiment_tags", "experiment_id", "experiments", "experiment_id"),
    )
    op.create_table(
        "runs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("name", sa.String(250)),
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(256)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_time", sa.BigInteger),
        sa.Column("end_time", sa.BigInteger),
        sa.Column("lifecycle_stage", sa.String(20), nullable=False),
        sa.Column("artifact_uri", sa.Text),
        sa.Column("deleted_time", sa.BigInteger),
        _pk("runs", "run_uuid"),
        _fk("runs", "experiment_id", "experiments", "experiment_id"),
    )
    op.create_index(
        "ix_runs_experiment_id_lifecycle_stage_start_time",
        "runs",
        ["experiment_id", "lifecycle_stage", "start_time"],
    )
    op.create_table(
        "params",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        _pk("params", "run_uuid", "key"),
        _fk("params", "run_uuid", "runs", "run_uuid"),
    )
    op.create_index("ix_params_key_value", "params", ["key", "value"])
    op.create_table(
        "tags",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text),
        _pk("tags", "run_uuid", "key"),
        _fk("tags", "run_uuid", "runs", "run_uuid"),
    )
    op.create_table(
        "metrics",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", _DOUBLE, nullable=True),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("model_id", sa.String(36)),
        sa.Column("dataset_name", sa.String(500)),
        sa.Column("dataset_digest", sa.String(36)),
        sa.UniqueConstraint(
            "run_uuid",
            "key",
            "timestamp",
            "step",
            "value",
            name="uq_metrics_run_uuid_key_timestamp_step_value",
        ),
        _fk("metrics", "run_uuid", "runs", "run_uuid"),
    )
    op.create_table(
        "latest_metrics",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", _DOUBLE, nullable=True),
        sa.Column("is_nan", sa.Boolean, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        _pk("latest_metrics", "run_uuid", "key"),
        _fk("latest_metrics", "run_uuid", "runs", "run_uuid"),
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.create_table(
        "run_dataset_inputs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("digest", sa.String(36), nullable=False),
        sa.Column("source_type", sa.String(36), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("schema", sa.Text),
        sa.Column("profile", sa.Text),
        sa.Column("tags_json", sa.Text),
        _pk("run_dataset_inputs", "run_uuid", "name", "digest"),
        _fk("run_dataset_inputs", "run_uuid", "runs", "run_uuid"),
    )
    op.create_table(
        "run_model_inputs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("model_id", sa.String(36), nullable=False),
        _pk("run_model_inputs", "run_uuid", "model_id"),
        _fk("run_model_inputs", "run_uuid", "runs", "run_uuid"),
    )
    op.create_table(
        "run_model_outputs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        _pk("run_model_outputs", "run_uuid", "model_id"),
        _fk("run_model_outputs", "run_uuid", "runs", "run_uuid"),
    )
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.Text, nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("status_message", sa.Text),
        sa.Column("model_type", sa.String(500)),
        sa.Column("source_run_id", sa.String(32)),
        sa.Column("creator_id", sa.String(256)),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        _pk("logged_models", "model_id"),
        _fk("logged_models", "experiment_id", "experiments", "experiment_id"),
    )
    op.create_index(
        "ix_logged_models_experiment_id_name", "logged_models", ["experiment_id", "name"]
    )
    for table, nullable_value in (("logged_model_tags", True), ("logged_model_params", False)):
        op.create_table(
            table,
            sa.Column("model_id", sa.String(36), nullable=False),
            sa.Column("key", sa.String(250), nullable=False),
            sa.Column("value", sa.Text, nullable=nullable_value),
            _pk(table, "model_id", "key"),
            _fk(table, "model_id", "logged_models", "model_id"),
        )


def _registry() -> None:
    op.create_table(
        "registered_models",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("user_id", sa.String(256)),
        sa.Column("max_version", sa.Integer, nullable=False),
        _pk("registered_models", "id"),
        sa.UniqueConstraint("name", name="uq_registered_models_name"),
    )
    op.create_table(
        "registered_model_tags",
        sa.Column("model_pk", sa.Integer, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text),
        _pk("registered_model_tags", "model_pk", "key"),
        _fk("registered_model_tags", "model_pk", "registered_models", "id"),
    )
    op.create_table(
        "model_versions",
        sa.Column("model_pk", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_updated_time", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("user_id", sa.String(256)),
        sa.Column("current_stage", sa.String(20), nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("storage_location", sa.Text),
        sa.Column("run_id", sa.String(32)),
        sa.Column("run_link", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_message", sa.Text),
        sa.Column("model_id", sa.String(36)),
        _pk("model_versions", "model_pk", "version"),
        _fk("model_versions", "model_pk", "registered_models", "id"),
    )
    op.create_index(
        "ix_model_versions_model_pk_current_stage", "model_versions", ["model_pk", "current_stage"]
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_table(
        "model_version_tags",
        sa.Column("model_pk", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text),
        _pk("model_version_tags", "model_pk", "version", "key"),
    )
    op.create_table(
        "registered_model_aliases",
        sa.Column("model_pk", sa.Integer, nullable=False),
        sa.Column("alias", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        _pk("registered_model_aliases", "model_pk", "alias"),
        _fk("registered_model_aliases", "model_pk", "registered_models", "id"),
    )
    op.create_table(
        "registry_audit",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("model_pk", sa.Integer, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("from_value", sa.String(256)),
        sa.Column("to_value", sa.String(256)),
        sa.Column("user_id", sa.String(256)),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        _pk("registry_audit", "id"),
    )
    op.create_index("ix_registry_audit_model_pk_version", "registry_audit", ["model_pk", "version"])


def upgrade() -> None:
    _tracking()
    _registry()


_ALL_TABLES = (
    "registry_audit",
    "registered_model_aliases",
    "model_version_tags",
    "model_versions",
    "registered_model_tags",
    "registered_models",
    "logged_model_params",
    "logged_model_tags",
    "logged_models",
    "run_model_outputs",
    "run_model_inputs",
    "run_dataset_inputs",
    "latest_metrics",
    "metrics",
    "tags",
    "params",
    "runs",
    "experiment_tags",
    "experiments",
)


def downgrade() -> None:
    for table in _ALL_TABLES:
        op.drop_table(table)
