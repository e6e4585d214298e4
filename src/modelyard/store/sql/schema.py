"""The SQL schema (SQLAlchemy Core tables) of tracking and registry, one metadata for both.

Alembic migrations in ``migrations/`` create exactly these tables; a test checks that a migrated
database matches this metadata. Indexes follow the queries: latest-metric lookups and search
joins by (run_uuid, key), metric history by (run_uuid, key, timestamp, step), run listing by
(experiment_id, lifecycle_stage, start_time).

NaN metric values are stored as ``value = NULL`` with ``is_nan = true`` so that SQL comparisons
with a NaN are false on every backend (SQLite cannot store NaN at all).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["metadata"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Double = Float(precision=53).with_variant(Float(), "sqlite")

# ---------------------------------------------------------------- tracking
experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(500), nullable=False, unique=True),
    Column("artifact_location", Text, nullable=False),
    Column("lifecycle_stage", String(32), nullable=False, default="active"),
    Column("creation_time", BigInteger),
    Column("last_update_time", BigInteger),
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text),
)

runs = Table(
    "runs",
    metadata,
    Column("run_uuid", String(32), primary_key=True),
    Column("name", String(250)),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("user_id", String(256)),
    Column("status", String(20), nullable=False),
    Column("start_time", BigInteger),
    Column("end_time", BigInteger),
    Column("lifecycle_stage", String(20), nullable=False, default="active"),
    Column("artifact_uri", Text),
    Column("deleted_time", BigInteger),
    Index(None, "experiment_id", "lifecycle_stage", "start_time"),
)

params = Table(
    "params",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    Index(None, "key", "value"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text),
)

metrics = Table(
    "metrics",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Double, nullable=True),
    Column("is_nan", Boolean, nullable=False, default=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False, default=0),
    Column("model_id", String(36)),
    Column("dataset_name", String(500)),
    Column("dataset_digest", String(36)),
    UniqueConstraint("run_uuid", "key", "timestamp", "step", "value"),
    # a logged model's metrics are the points logged with its model_id (migration 0002)
    Index(None, "model_id"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Double, nullable=True),
    Column("is_nan", Boolean, nullable=False, default=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False, default=0),
    Index(None, "key", "value"),
)

run_dataset_inputs = Table(
    "run_dataset_inputs",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid"), primary_key=True),
    Column("name", String(500), primary_key=True),
    Column("digest", String(36), primary_key=True),
    Column("source_type", String(36), nullable=False),
    Column("source", Text, nullable=False),
    Column("schema", Text),
    Column("profile", Text),
    Column("tags_json", Text),
)

run_model_inputs = Table(
    "run_model_inputs",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid"), primary_key=True),
    Column("model_id", String(36), primary_key=True),
)

run_model_outputs = Table(
    "run_model_outputs",
    metadata,
    Column("run_uuid", String(32), ForeignKey("runs.run_uuid"), primary_key=True),
    Column("model_id", String(36), primary_key=True),
    Column("step", BigInteger, nullable=False, default=0),
)

logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(36), primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("name", String(500), nullable=False),
    Column("artifact_location", Text, nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("status", String(40), nullable=False),
    Column("status_message", Text),
    Column("model_type", String(500)),
    Column("source_run_id", String(32)),
    Column("creator_id", String(256)),
    Column("lifecycle_stage", String(32), nullable=False, default="active"),
    Index(None, "experiment_id", "name"),
)

logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    Column("model_id", String(36), ForeignKey("logged_models.model_id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text),
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    Column("model_id", String(36), ForeignKey("logged_models.model_id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
)

# ---------------------------------------------------------------- registry
registered_models = Table(
    "registered_models",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("description", Text),
    Column("user_id", String(256)),
    # highest version number ever created, so deleted numbers are never reused
    Column("max_version", Integer, nullable=False, default=0),
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column("model_pk", Integer, ForeignKey("registered_models.id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("model_pk", Integer, ForeignKey("registered_models.id"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("creation_time", BigInteger, nullable=False),
    Column("last_updated_time", BigInteger, nullable=False),
    Column("description", Text),
    Column("user_id", String(256)),
    Column("current_stage", String(20), nullable=False, default="None"),
    Column("source", Text),
    Column("storage_location", Text),
    Column("run_id", String(32)),
    Column("run_link", Text),
    Column("status", String(20), nullable=False, default="READY"),
    Column("status_message", Text),
    Column("model_id", String(36)),
    Index(None, "model_pk", "current_stage"),
    Index(None, "run_id"),
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("model_pk", Integer, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text),
)

registered_model_aliases = Table(
    "registered_model_aliases",
    metadata,
    Column("model_pk", Integer, ForeignKey("registered_models.id"), primary_key=True),
    Column("alias", String(256), primary_key=True),
    Column("version", Integer, nullable=False),
)

registry_audit = Table(
    "registry_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_pk", Integer, nullable=False),
    Column("name", String(256), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("from_value", String(256)),
    Column("to_value", String(256)),
    Column("user_id", String(256)),
    Column("timestamp", BigInteger, nullable=False),
    Index(None, "model_pk", "version"),
)

# ---------------------------------------------------------------- jobs (migration 0003)
# A job's settings are one JSON document (the Databricks Jobs API shape); the columns beside it
# are what the scheduler queries. Job runs and task runs share one table and one id space
# (Databricks gives every task run its own run_id): a task run has ``parent_run_id``. The
# unique (job_id, scheduled_time) row is what makes a schedule fire exactly once across
# processes: a second scheduler's insert of the same fire time fails.
jobs = Table(
    "jobs",
    metadata,
    Column("job_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False),
    Column("settings", Text, nullable=False),
    Column("creator_user_name", String(256)),
    Column("created_time", BigInteger, nullable=False),
    Column("schedule_active", Boolean, nullable=False, default=False),
    Column("schedule_cursor", BigInteger),
    Index(None, "schedule_active"),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, nullable=False),
    Column("parent_run_id", Integer),
    Column("task_key", String(100)),
    Column("attempt_number", Integer, nullable=False, default=0),
    Column("trigger", String(32), nullable=False),
    Column("scheduled_time", BigInteger),
    Column("run_name", String(256)),
    Column("life_cycle_state", String(32), nullable=False),
    Column("result_state", String(32)),
    Column("state_message", Text),
    Column("created_time", BigInteger, nullable=False),
    Column("start_time", BigInteger),
    Column("end_time", BigInteger),
    Column("job_parameters", Text),
    Column("settings", Text),
    Column("mlflow_run_id", String(32)),
    Column("log_location", Text),
    Column("worker_id", String(128)),
    Column("heartbeat_time", BigInteger),
    Column("cancel_requested", Boolean, nullable=False, default=False),
    UniqueConstraint("job_id", "scheduled_time"),
    Index(None, "job_id", "run_id"),
    Index(None, "parent_run_id"),
    Index(None, "life_cycle_state"),
)

# ---------------------------------------------------------------- traces (migration 0004)
# MLflow 3 trace records. The spans are not here: the client uploads them as ``traces.json``
# under the trace's artifact location (tag ``mlflow.artifactLocation``). Searches filter an
# experiment's traces by time, so (experiment_id, request_time) is indexed.
trace_info = Table(
    "trace_info",
    metadata,
    Column("trace_id", String(50), primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("request_time", BigInteger, nullable=False),
    Column("execution_duration", BigInteger),
    Column("state", String(50), nullable=False),
    Column("client_request_id", String(250)),
    Column("request_preview", Text),
    Column("response_preview", Text),
    Index(None, "experiment_id", "request_time"),
)

trace_tags = Table(
    "trace_tags",
    metadata,
    Column("trace_id", String(50), ForeignKey("trace_info.trace_id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text),
)

trace_request_metadata = Table(
    "trace_request_metadata",
    metadata,
    Column("trace_id", String(50), ForeignKey("trace_info.trace_id"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text),
)

# ---------------------------------------------------------------- auth (migration 0005)
# Users (password hashed with scrypt; ``version`` grows on every change of password, admin flag
# or deletion, so cached credential checks and session cookies of the old state stop working),
# personal access tokens (only the sha256 of the secret is kept), per-user grants on a resource
# (experiment id, registered model name, serving endpoint name), the audit log of auth events and
# a key/value table for server secrets (the session-cookie key).
auth_users = Table(
    "auth_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(256), nullable=False, unique=True),
    Column("password_hash", String(512), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False, default=1),
    Column("created_time", BigInteger, nullable=False),
)

auth_tokens = Table(
    "auth_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, nullable=False),
    Column("name", String(256)),
    Column("created_time", BigInteger, nullable=False),
    Column("expiry_time", BigInteger),
    Column("last_used_time", BigInteger),
    Column("revoked", Boolean, nullable=False, default=False),
    Index(None, "user_id"),
)

auth_permissions = Table(
    "auth_permissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False),
    Column("resource_type", String(32), nullable=False),
    Column("resource_id", String(256), nullable=False),
    Column("permission", String(32), nullable=False),
    UniqueConstraint("user_id", "resource_type", "resource_id"),
    Index(None, "resource_type", "resource_id"),
)

auth_audit = Table(
    "auth_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("event", String(64), nullable=False),
    Column("username", String(256)),
    Column("actor", String(256)),
    Column("address", String(64)),
    Column("detail", Text),
    Index(None, "timestamp"),
)

auth_settings = Table(
    "auth_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# ---------------------------------------------------------------- webhooks (migration 0006)
# Webhook definitions (events as a JSON list of "entity.action" names; soft-deleted so that the
# delivery history keeps its webhook) and the delivery outbox: one row per event and webhook,
# written when the event is emitted, leased by a worker through ``next_attempt_time``.
webhooks = Table(
    "webhooks",
    metadata,
    Column("webhook_id", String(36), primary_key=True),
    Column("name", String(63), nullable=False),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),
    Column("description", Text),
    Column("secret", Text),
    Column("status", String(20), nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("deleted_timestamp", BigInteger),
    Index(None, "status"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("delivery_id", String(36), primary_key=True),
    Column("webhook_id", String(36), nullable=False),
    Column("event", String(100), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_time", BigInteger, nullable=False),
    Column("next_attempt_time", BigInteger, nullable=False),
    Column("last_attempt_time", BigInteger),
    Column("delivered_time", BigInteger),
    Column("response_status", Integer),
    Column("error", Text),
    Index(None, "status", "next_attempt_time"),
    Index(None, "webhook_id", "created_time"),
)

# ---------------------------------------------------------------- promotion (migration 0007)
# Promotion policies (one row per policy version, the policy a JSON document), the evidence of
# every gate a transition attempt ran (one ``registry_audit`` row of kind ``gate`` each, the
# evidence here, keyed by that row's id) and transition requests (Databricks' shapes).
registry_policies = Table(
    "registry_policies",
    metadata,
    Column("model_pk", Integer, primary_key=True),
    Column("policy_version", Integer, primary_key=True),
    Column("document", Text, nullable=False),
    Column("user_id", String(256)),
    Column("creation_timestamp", BigInteger, nullable=False),
)

registry_gate_results = Table(
    "registry_gate_results",
    metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=False),
    Column("model_pk", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("target", String(256), nullable=False),
    Column("gate", String(256), nullable=False),
    Column("gate_type", String(64), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Index(None, "model_pk", "version"),
)

registry_transition_requests = Table(
    "registry_transition_requests",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("model_pk", Integer, nullable=False),
    Column("name", String(256), nullable=False),
    Column("version", Integer, nullable=False),
    Column("to_stage", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("creator", String(256)),
    Column("comment", Text),
    Column("archive_existing_versions", Integer, nullable=False, default=0),
    Column("resolver", String(256)),
    Column("resolver_comment", Text),
    Column("system_comment", Text),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Index(None, "model_pk", "version", "state"),
)

# ---------------------------------------------------------------- alerts (migration 0008)
# Alert rules (condition and actions as JSON; ``monitor`` copied out of the condition for
# listing; ``version`` guards concurrent evaluations), their state history, and notifications:
# the outbox of channel messages and job runs (leased through ``next_attempt_time``) and their
# history (DELIVERED, FAILED with the error, SKIPPED with the reason).
alert_rules = Table(
    "alert_rules",
    metadata,
    Column("alert_id", String(36), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("description", Text),
    Column("monitor", String(128)),
    Column("condition", Text, nullable=False),
    Column("actions", Text, nullable=False),
    Column("cooldown_seconds", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("notify_on_resolve", Boolean, nullable=False),
    Column("state", String(20), nullable=False),
    Column("state_since", BigInteger),
    Column("eval_state", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    UniqueConstraint("name"),
    Index(None, "monitor"),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", String(36), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("from_state", String(20), nullable=False),
    Column("to_state", String(20), nullable=False),
    Column("window", Text),
    Column("evidence", Text, nullable=False),
    Index(None, "alert_id", "timestamp"),
)

alert_notifications = Table(
    "alert_notifications",
    metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("alert_id", String(36), nullable=False),
    Column("event_id", Integer),
    Column("kind", String(20), nullable=False),
    Column("target", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_time", BigInteger, nullable=False),
    Column("next_attempt_time", BigInteger, nullable=False),
    Column("last_attempt_time", BigInteger),
    Column("finished_time", BigInteger),
    Column("result", Text),
    Column("error", Text),
    Index(None, "status", "next_attempt_time"),
    Index(None, "alert_id", "created_time"),
)
