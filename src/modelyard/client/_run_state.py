"""Process state of the fluent API: the active experiment, the stack of active runs per
thread, the last active run, and one cached client per tracking URI."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from modelyard.client._context import get_registry_uri, get_tracking_uri

if TYPE_CHECKING:
    from modelyard.client._client import MlflowClient
    from modelyard.client.fluent import ActiveRun

__all__ = ["RunState", "state"]


class RunState:
    def __init__(self) -> None:
        self._local = threading.local()
        self.active_experiment_id: str | None = None
        self.last_active_run_id: str | None = None
        self._clients: dict[tuple[str, str], MlflowClient] = {}
        self._lock = threading.Lock()

    @property
    def stack(self) -> list[ActiveRun]:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = []
            self._local.stack = stack
        return stack

    def client(self) -> MlflowClient:
        from modelyard.client._client import MlflowClient

        key = (get_tracking_uri(), get_registry_uri())
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = MlflowClient(*key)
                self._clients[key] = client
            return client

    def reset_clients(self) -> None:
        with self._lock:
            self._clients.clear()


state = RunState()
