"""Reusable test suites for modelyard backends (they import pytest; load them from tests only).

* :mod:`modelyard.testing.tracking_contract` — ``TrackingStoreContract``
* :mod:`modelyard.testing.registry_contract` — ``RegistryStoreContract``

Subclass a contract in a test module and provide a ``store`` fixture; every ``test_*`` method
then runs against that implementation.
"""

__all__: list[str] = []
