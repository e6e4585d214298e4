"""The Python client: :class:`MlflowClient` and the fluent API (``modelyard.client.fluent``)."""

from modelyard.client._client import MlflowClient

Client = MlflowClient

__all__ = ["Client", "MlflowClient"]
