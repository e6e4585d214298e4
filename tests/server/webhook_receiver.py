"""A real webhook receiver process for the tests: ``python webhook_receiver.py PORT LOG [opts]``.

Every POST is appended to LOG as one JSON line (path, headers, body, the status answered) when
it arrives; options: ``--fail-first N`` answers 500 to the first N attempts of each delivery id,
``--hang-first S`` sleeps S seconds before answering the first attempt of each delivery id.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_seen: dict[str, int] = {}
_lock = threading.Lock()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("log")
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--hang-first", type=float, default=0.0)
    opts = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            delivery = self.headers.get("X-MLflow-Delivery-Id", "")
            with _lock:
                attempt = _seen.get(delivery, 0) + 1
                _seen[delivery] = attempt
            status = 500 if attempt <= opts.fail_first else 200
            record = {
                "path": self.path,
                "headers": dict(self.headers.items()),
                "body": body,
                "status": status,
                "attempt": attempt,
            }
            with _lock, open(opts.log, "a") as fh:
                fh.write(json.dumps(record) + "\n")
            if attempt == 1 and opts.hang_first:
                time.sleep(opts.hang_first)
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"boom")

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", opts.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
