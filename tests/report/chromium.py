"""Open a page in headless Chromium over the DevTools protocol and record what the browser saw.

The protocol runs over ``--remote-debugging-pipe`` (file descriptors 3 and 4,
NUL-separated JSON): no port, no websocket library, only the standard
library. Recorded: console messages, uncaught exceptions, log entries
(including refused loads and Content-Security-Policy reports) and every
network request the page made.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)
TIMEOUT_S = 60.0


@dataclass
class PageVisit:
    """What happened while a page loaded, plus values evaluated in it and a screenshot."""

    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    screenshot_png: bytes = b""

    @property
    def errors(self) -> list[str]:
        """Every console error, uncaught exception, error log entry and warning, as text."""
        serious = ("error", "warning")
        found = [f"console.{m['type']}: {m['args']}" for m in self.console if m["type"] in serious]
        found += [f"exception: {e.get('exceptionDetails', e)}" for e in self.exceptions]
        found += [f"log.{e['level']}: {e['text']}" for e in self.log if e["level"] in serious]
        return found


def chromium_path() -> str:
    """The browser binary; fails under CI (scripts/install-chromium.sh installs it), skips elsewhere."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    message = f"{CHROMIUM} missing: run scripts/install-chromium.sh"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class _Pipe:
    """One browser process and its DevTools pipe; replies matched by id, events queued."""

    def __init__(self, binary: str, profile: Path) -> None:
        self.log_path = profile.parent / f"{profile.name}.log"
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        # bash, not sh: dash refuses descriptors above 9 in redirections
        script = f'exec "$0" "$@" 3<&{to_browser_read} 4>&{from_browser_write}'
        self.process = subprocess.Popen(
            ["bash", "-c", script, binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(to_browser_read, from_browser_write),
            stdout=subprocess.DEVNULL,
            stderr=self.log_path.open("wb"),
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_browser, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for message in messages:
                self._messages.put(json.loads(message))

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise RuntimeError(f"chromium exited ({self.process.poll()}): {self.log_tail()}") from None
        while True:
            reply = self._messages.get(timeout=TIMEOUT_S)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.is_file() else ""

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._messages.get(timeout=TIMEOUT_S)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (RuntimeError, queue.Empty, OSError):
            self.process.kill()
        self.process.wait(timeout=TIMEOUT_S)
        os.close(self._to_browser)
        os.close(self._from_browser)


def visit(path: Path, expressions: dict[str, str], width_px: int = 1280, height_px: int = 900) -> PageVisit:
    """Load ``path`` in a fresh profile, evaluate ``expressions`` (name -> JS), take a screenshot."""
    profile = Path(tempfile.mkdtemp(prefix="vtondata-chromium-"))
    pipe = _Pipe(chromium_path(), profile)
    try:
        target = pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            pipe.call(f"{domain}.enable", session=session)
        metrics = {"width": width_px, "height": height_px, "deviceScaleFactor": 1, "mobile": False}
        pipe.call("Emulation.setDeviceMetricsOverride", metrics, session=session)
        pipe.events.clear()
        pipe.call("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        pipe.wait_for("Page.loadEventFired")
        result = PageVisit()
        for name, expression in expressions.items():
            evaluated = pipe.call(
                "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session
            )
            result.values[name] = evaluated["result"].get("value")
        shot = pipe.call("Page.captureScreenshot", {"format": "png"}, session=session)
        result.screenshot_png = base64.b64decode(shot["data"])
    finally:
        pipe.close()
        shutil.rmtree(profile, ignore_errors=True)
        pipe.log_path.unlink(missing_ok=True)
    for event in pipe.events:
        params = event.get("params", {})
        match event.get("method"):
            case "Runtime.consoleAPICalled":
                args = [arg.get("value", arg.get("description")) for arg in params["args"]]
                result.console.append({"type": params["type"], "args": args})
            case "Runtime.exceptionThrown":
                result.exceptions.append(params)
            case "Log.entryAdded":
                result.log.append(params["entry"])
            case "Network.requestWillBeSent":
                result.requests.append(params["request"]["url"])
    return result
