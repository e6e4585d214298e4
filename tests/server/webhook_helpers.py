"""Helpers of the webhook tests: the receiver process and waiting for its log."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelyard.testing.server_process import free_port

RECEIVER = Path(__file__).with_name("webhook_receiver.py")


class Receiver:
    def __init__(self, tmp: Path, *args: str) -> None:
        self.port = free_port()
        self.log = tmp / f"receiver-{self.port}.jsonl"
        self.log.touch()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.proc = subprocess.Popen(
            [sys.executable, str(RECEIVER), str(self.port), str(self.log), *args]
        )
        for _ in range(400):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.025)
        raise RuntimeError("receiver did not start")

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def wait_for(check: Callable[[], Any], tries: int = 2400, pause: float = 0.05) -> Any:
    """Poll ``check`` until it returns a truthy value (bounded by a try count, not a clock)."""
    for _ in range(tries):
        value = check()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError("condition not reached")
