"""Reading back what an autologging test logged: the experiment's runs and a run's model."""

from __future__ import annotations

__all__ = ["experiment_runs", "only_logged_model"]


def experiment_runs(client, experiment_id):
    return client.search_runs([experiment_id], order_by=["start_time"])


def only_logged_model(client, run):
    """The one logged model of ``run``."""
    (logged,) = [
        m
        for m in client.search_logged_models([run.info.experiment_id])
        if m.source_run_id == run.info.run_id
    ]
    return logged
