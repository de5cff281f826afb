"""A small Chrome DevTools Protocol client for tests, over `--remote-debugging-pipe` (stdlib only).

Chromium reads protocol messages from file descriptor 3 and writes its answers and events to
file descriptor 4, each a JSON object ended by a NUL byte. Started headless with the flags this
machine needs (no sandbox as root, no GPU, no background networking) and a fresh profile.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--mute-audio", "--hide-scrollbars"]


def chromium_binary() -> str | None:
    """Debian's `chromium` (what `.ci/run` installs), or None where it is absent."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class DevToolsError(RuntimeError):
    pass


class Chromium:
    """Headless Chromium driven through the DevTools pipe. Use as a context manager."""

    def __init__(self, binary: str):
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        commands_read, self._commands = os.pipe()
        self._events, events_write = os.pipe()
        # Copies at free descriptors above 4, so that moving them to 3 and 4 in the child cannot
        # clash (dup2 to a fixed number would close whatever this process holds there).
        commands_read_high = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 10)
        events_write_high = fcntl.fcntl(events_write, fcntl.F_DUPFD, 10)
        for fd in (commands_read, events_write):
            os.close(fd)

        def child_setup() -> None:
            os.dup2(commands_read_high, 3)
            os.dup2(events_write_high, 4)

        self.process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-pipe",
             "about:blank"],
            pass_fds=(3, 4), preexec_fn=child_setup, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(commands_read_high)
        os.close(events_write_high)
        self._next_id = 0
        self._answers: dict[int, queue.Queue] = {}
        self.events: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        with os.fdopen(self._events, "rb", buffering=0) as stream:
            while chunk := stream.read(65536):
                buffer += chunk
                while b"\0" in buffer:
                    raw, buffer = buffer.split(b"\0", 1)
                    message = json.loads(raw)
                    if "id" in message and message["id"] in self._answers:
                        self._answers[message["id"]].put(message)
                    else:
                        self.events.put(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 30) -> dict:
        """Send one command and wait for its answer; raise `DevToolsError` on an error answer."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
            self._answers[ident] = queue.Queue()
            message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            os.write(self._commands, json.dumps(message).encode() + b"\0")
        try:
            answer = self._answers[ident].get(timeout=timeout)
        except queue.Empty:
            raise DevToolsError(f"{method}: no answer within {timeout} s") from None
        if "error" in answer:
            raise DevToolsError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def open_page(self, url: str, width: int = 1280, height: int = 900) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                                                         "deviceScaleFactor": 1, "mobile": False},
                  session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        page.wait_for("Page.loadEventFired")
        return page

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (DevToolsError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab: its console errors, exceptions and network requests, recorded as they come."""

    def __init__(self, browser: Chromium, session: str):
        self.browser = browser
        self.session = session
        self.errors: list[str] = []
        self.requests: list[str] = []
        self._seen: list[dict] = []

    def _drain(self, timeout: float) -> dict | None:
        try:
            event = self.browser.events.get(timeout=timeout)
        except queue.Empty:
            return None
        if event.get("sessionId") == self.session:
            self._record(event)
        return event

    def _record(self, event: dict) -> None:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            self.errors.append("exception: " + details.get("exception", {}).get("description", details.get("text", "")))
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append("console: " + " ".join(str(a.get("value", a.get("description", "")))
                                                      for a in params.get("args", [])))
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            self.errors.append("log: " + params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            self.requests.append(params.get("request", {}).get("url", ""))

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self._drain(deadline - time.monotonic())
            if event and event.get("method") == method and event.get("sessionId") == self.session:
                return event
        raise DevToolsError(f"no {method} within {timeout} s")

    def settle(self, seconds: float = 0.5) -> None:
        """Record the events that arrive during `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._drain(max(0.0, deadline - time.monotonic()))

    def evaluate(self, expression: str) -> Any:
        result = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise DevToolsError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 30) -> Any:
        """Poll a JavaScript expression until it is truthy; return its last value."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            self.settle(0.2)
        return value

    def screenshot(self, path: Path) -> Path:
        """A PNG of the whole page (the viewport is stretched to the content's height)."""
        metrics = self.browser.send("Page.getLayoutMetrics", session=self.session)
        size = metrics["cssContentSize"]
        self.browser.send("Emulation.setDeviceMetricsOverride", {
            "width": int(size["width"]), "height": int(size["height"]), "deviceScaleFactor": 1,
            "mobile": False}, session=self.session)
        self.settle(0.5)
        data = self.browser.send("Page.captureScreenshot", {"format": "png"}, session=self.session)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))
        return path
