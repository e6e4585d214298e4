"""Test helpers for modelyard and for plugin authors (they import pytest; load them from tests).

Reusable contract suites (subclass one in a test module and provide its fixture; every
``test_*`` method then runs against that implementation):

* :mod:`modelyard.testing.tracking_contract` — ``TrackingStoreContract`` (fixture ``store``)
* :mod:`modelyard.testing.registry_contract` — ``RegistryStoreContract`` (fixture ``store``)
* :mod:`modelyard.testing.artifact_contract` — ``ArtifactRepositoryContract`` (fixture ``repo``)
* :mod:`modelyard.testing.flavor_contract` — ``FlavorContract`` (``flavor_name``, ``make_case``)
* :mod:`modelyard.testing.jobs_contract`, :mod:`modelyard.testing.auth_contract`,
  :mod:`modelyard.testing.webhooks_contract`, :mod:`modelyard.testing.trace_contract` — the
  jobs, auth and webhook stores and the trace part of the tracking store

Real processes:

* :mod:`modelyard.testing.server_process` — ``ServerProcess``: ``modelyard server`` in a
  subprocess on a free 127.0.0.1 port
* :mod:`modelyard.testing.mlflow_client` — ``mlflow_python()``: the interpreter of the real
  mlflow 3.17.2 client (``$MODELYARD_MLFLOW_PYTHON``, default ``<repo>/.venv-mlflow``); skips
  when absent, fails in CI; ``real_mlflow_server(work)``: a real ``mlflow server`` process
"""

__all__: list[str] = []
