"""Projects: MLflow's MLproject format, run locally and tracked (``modelyard run``).

``modelyard.projects.run(uri, entry_point="main", parameters=None, version=None, ...)`` fetches
a project (local folder or git repository), builds its ``python_env`` once (cached by content
hash), creates a run with MLflow's provenance tags and parameters, and runs the entry point's
command attached to that run. It returns a :class:`SubmittedRun` (``run_id``, ``wait()``,
``get_status()``, ``cancel()``). See ``docs/projects.md``.
"""

from __future__ import annotations

from modelyard.errors import InvalidState
from modelyard.projects.environments import ENV_MANAGERS, EnvironmentBuildError
from modelyard.projects.runner import PreparedRun, launch, prepare_run, run
from modelyard.projects.spec import EntryPoint, Parameter, Project, load_project
from modelyard.projects.submitted import LocalSubmittedRun, SubmittedRun

__all__ = [
    "ENV_MANAGERS",
    "EntryPoint",
    "EnvironmentBuildError",
    "ExecutionException",
    "LocalSubmittedRun",
    "Parameter",
    "PreparedRun",
    "Project",
    "SubmittedRun",
    "launch",
    "load_project",
    "prepare_run",
    "run",
]


class ExecutionException(InvalidState):
    """A project run that failed (MLflow's ``mlflow.projects.ExecutionException``)."""
