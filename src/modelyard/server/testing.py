"""A live server for tests: uvicorn on a free 127.0.0.1 port, in a background thread.

::

    with LiveServer(ServerConfig(backend_store_uri=..., artifacts_destination=...)) as url:
        RestTrackingStore(url).get_experiment("0")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from modelyard.server.app import create_app
from modelyard.server.config import ServerConfig
from modelyard.server.routing import Endpoint

__all__ = ["LiveServer"]


class LiveServer:
    def __init__(
        self,
        config: ServerConfig,
        startup_timeout: float = 30.0,
        extra_endpoints: Iterable[Endpoint] = (),
    ) -> None:
        self.config = config
        self.extra_endpoints = list(extra_endpoints)
        self.startup_timeout = startup_timeout
        self.url = ""
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        app = create_app(self.config, extra_endpoints=self.extra_endpoints)
        server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="modelyard-live-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live modelyard server did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}{self.config.static_prefix}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
