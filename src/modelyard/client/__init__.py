"""The Python client: :class:`MlflowClient` and the fluent API (``modelyard.client.fluent``).

``MlflowClient`` is resolved on first use, so that importing a light submodule such as
``modelyard.client.model_uris`` does not load the stores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelyard.client._client import MlflowClient

    Client = MlflowClient

__all__ = ["Client", "MlflowClient"]


def __getattr__(name: str) -> Any:
    if name in ("MlflowClient", "Client"):
        from modelyard.client._client import MlflowClient

        return MlflowClient
    raise AttributeError(f"module 'modelyard.client' has no attribute {name!r}")
