"""A small Chrome DevTools Protocol driver for the UI tests: headless Debian chromium, one page.

``Browser`` starts ``/usr/bin/chromium --headless --remote-debugging-port=0``, reads the port
from ``DevToolsActivePort`` and talks to the page over a websocket (``websockets`` is already a
dependency of the server's uvicorn). Tests drive the page with JavaScript (``eval``), wait for a
condition by polling a bounded number of times (``wait``: never a timing assertion), and read
uncaught errors and console errors (``errors``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

__all__ = ["CHROMIUM", "Browser", "chromium_or_skip"]

CHROMIUM = "/usr/bin/chromium"


def chromium_or_skip() -> str:
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: apt-get update && apt-get install -y chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


class Browser:
    def __init__(self, width: int = 1280, height: int = 900) -> None:
        self.profile = tempfile.mkdtemp(prefix="modelyard-ui-cdp-")
        self.proc = subprocess.Popen(
            [
                chromium_or_skip(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self.profile) / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            time.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as resp:
            pages = [t for t in json.load(resp) if t["type"] == "page"]
        self._connection = connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=20)
        self.ws = self._connection.__enter__()
        self._id = 0
        self.errors: list[str] = []
        self.send("Runtime.enable")
        self.send("Page.enable")

    # ------------------------------------------------------------------ protocol
    def send(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        self._id += 1
        my_id = self._id
        self.ws.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=timeout))
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self._event(msg)

    def _event(self, msg: dict[str, Any]) -> None:
        method = msg.get("method")
        if method == "Runtime.exceptionThrown":
            details = msg["params"]["exceptionDetails"]
            self.errors.append(details.get("exception", {}).get("description") or details["text"])
        elif method == "Runtime.consoleAPICalled" and msg["params"]["type"] == "error":
            self.errors.append(" ".join(str(a.get("value", "")) for a in msg["params"]["args"]))

    # ------------------------------------------------------------------ page
    def goto(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        self.wait("document.readyState === 'complete'")

    def reload(self) -> None:
        self.eval("window.__before_reload = 1")
        self.send("Page.reload")
        self.wait("!window.__before_reload && document.readyState === 'complete'")

    def eval(self, expression: str, timeout: float = 60) -> Any:
        out = self.send(
            "Runtime.evaluate",
            timeout=timeout,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in out:
            raise RuntimeError(out["exceptionDetails"].get("exception", {}).get("description"))
        return out.get("result", {}).get("value")

    def wait(self, condition: str, tries: int = 400, every: float = 0.05) -> Any:
        """Poll ``condition`` (a JS expression) until it is truthy; at most ``tries`` polls."""
        value = None
        probe = f"(() => {{ try {{ return !!({condition}); }} catch {{ return false; }} }})()"
        for _ in range(tries):
            value = self.eval(probe)
            if value:
                return value
            time.sleep(every)
        raise AssertionError(f"never true: {condition} (last value {value!r})")

    def text(self, selector: str = "body") -> str:
        return str(self.eval(f"document.querySelector({json.dumps(selector)})?.innerText ?? ''"))

    def click(self, selector: str) -> None:
        found = self.eval(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " if (!el) return false; el.click(); return true; })()"
        )
        assert found, f"no element {selector}"

    def click_text(self, text: str, selector: str = "button") -> None:
        found = self.eval(
            f"(() => {{ const el = [...document.querySelectorAll({json.dumps(selector)})]"
            f".find((b) => b.textContent.trim() === {json.dumps(text)} && !b.disabled);"
            " if (!el) return false; el.click(); return true; })()"
        )
        assert found, f"no {selector} with text {text!r}"

    def fill(self, selector: str, value: str) -> None:
        ok = self.eval(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)}); if (!el) return false;"
            f" el.value = {json.dumps(value)}; el.dispatchEvent(new Event('input', {{bubbles: true}}));"
            " return true; })()"
        )
        assert ok, f"no element {selector}"

    def key(self, key: str, code: str | None = None, text: str | None = None) -> None:
        """A real key press through the input pipeline (focus and default actions apply)."""
        vk = {"Tab": 9, "Enter": 13, "Escape": 27, "ArrowDown": 40, "ArrowUp": 38, " ": 32}.get(
            key, 0
        )
        base = {"key": key, "code": code or key, "windowsVirtualKeyCode": vk}
        if text is None and key == "Enter":
            text = "\r"
        self.send("Input.dispatchKeyEvent", type="keyDown", text=text or "", **base)
        self.send("Input.dispatchKeyEvent", type="keyUp", **base)

    def drag(self, selector: str, x0: float, x1: float) -> None:
        """A real mouse drag across ``selector`` from fraction ``x0`` to ``x1`` of its width."""
        rect = self.eval(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " el.scrollIntoView({ block: 'center' }); const r = el.getBoundingClientRect();"
            " return [r.left, r.top, r.width, r.height]; })()"
        )
        left, top, width, height = rect
        y = top + height / 2
        xa, xb = left + width * x0, left + width * x1
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=xa, y=y)
        self.send(
            "Input.dispatchMouseEvent", type="mousePressed", x=xa, y=y, button="left", clickCount=1
        )
        for i in range(1, 6):
            x = xa + (xb - xa) * i / 5
            self.send(
                "Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y, button="left", buttons=1
            )
        self.send(
            "Input.dispatchMouseEvent", type="mouseReleased", x=xb, y=y, button="left", clickCount=1
        )

    def screenshot(self, path: Path) -> None:
        import base64

        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self._connection.__exit__(None, None, None)
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
