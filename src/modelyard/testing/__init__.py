"""Reusable test suites for modelyard backends (they import pytest; load them from tests only).

* :mod:`modelyard.testing.tracking_contract` — ``TrackingStoreContract``
* :mod:`modelyard.testing.registry_contract` — ``RegistryStoreContract``
* :mod:`modelyard.testing.artifact_contract` — ``ArtifactRepositoryContract``
* :mod:`modelyard.testing.flavor_contract` — the contract every model flavor passes
* :mod:`modelyard.testing.server_process` — ``ServerProcess``, a real ``modelyard server``
  subprocess on a free port, for compatibility, scale-out and crash tests

Subclass a contract in a test module and provide a ``store`` fixture; every ``test_*`` method
then runs against that implementation.
"""

__all__: list[str] = []
