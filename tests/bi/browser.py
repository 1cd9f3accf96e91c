"""Headless Chromium driven over the DevTools protocol: open a Superset dashboard logged in, see
every chart-data request it makes and the answer, read the DOM, take a full-page screenshot.

The same Chromium and flags as the Data Docs browser test (tests/expectations/
test_data_docs_browser.py): Debian's chromium, no host name resolves except 127.0.0.1 (a page
that needs the internet cannot pass), no background traffic. The protocol runs over the
`websockets` package already in the project's virtualenv: no browser download, no driver.
"""
from __future__ import annotations

import base64
import json
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.expectations.test_data_docs_browser import CHROMIUM

CHART_DATA = "/api/v1/chart/data"


@dataclass
class ChartCall:
    """One POST /api/v1/chart/data the page made, and what came back."""
    request_id: str
    body: dict[str, Any]
    status: int | None = None
    finished: bool = False
    failed: str | None = None
    response: dict[str, Any] | None = None

    @property
    def slice_id(self) -> int | None:
        return (self.body.get("form_data") or {}).get("slice_id")

    def rowcounts(self) -> list[int]:
        return [r.get("rowcount", 0) for r in (self.response or {}).get("result", [])]


@dataclass
class PageRun:
    calls: list[ChartCall] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)


class Browser:
    """One headless Chromium with one tab; `close()` ends it (and only it)."""

    def __init__(self, profile: Path, *, width: int = 1600, height: int = 1900) -> None:
        if not CHROMIUM.exists():
            pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs chromium "
                        "(or, as root: apt-get install chromium)", pytrace=False)
        profile.mkdir(parents=True, exist_ok=True)
        active = profile / "DevToolsActivePort"
        active.unlink(missing_ok=True)      # a previous browser's port
        self.width = width
        self.ws = None
        self._stack = ExitStack()
        self._log = (profile / "chromium.log").open("wb")
        self.proc = subprocess.Popen(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             # No host name resolves: a dashboard that still needs a CDN or a font server cannot pass.
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not (active.exists() and len(active.read_text().splitlines()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                pytest.fail(f"chromium did not open its DevTools port; see {profile / 'chromium.log'}", pytrace=False)
            time.sleep(0.1)
        port, path = active.read_text().splitlines()[:2]
        self._next = 0
        self.events: list[dict[str, Any]] = []
        try:
            self.ws = self._stack.enter_context(
                connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=10))
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Network.enable", "Page.enable", "Runtime.enable"):
                self.call(domain, session=self.session)
            self.call("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=self.session)
        except Exception:
            self.close()
            raise

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None,
             timeout: float = 60) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer to {method} within {timeout} s")
            msg = json.loads(self.ws.recv(timeout=left))
            if msg.get("id") == ident:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def page(self, method: str, params: dict[str, Any] | None = None, timeout: float = 60) -> dict[str, Any]:
        return self.call(method, params, session=self.session, timeout=timeout)

    def pump(self, seconds: float) -> None:
        """Collect the events that arrive within `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                return
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression: str) -> Any:
        got = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return got.get("result", {}).get("value")

    def set_cookie(self, base_url: str, name: str, value: str) -> None:
        self.page("Network.setCookie", {"name": name, "value": value, "url": base_url, "httpOnly": True})

    def open_dashboard(self, page_url: str, charts: int, *, settle: float = 2.0, timeout: float = 120) -> PageRun:
        """Navigate, then wait until the page has asked for `charts` charts' data, every answer
        has arrived, and nothing shows a loading spinner for `settle` seconds."""
        self.events.clear()
        self.page("Page.navigate", {"url": page_url})
        run = PageRun()
        by_id: dict[str, ChartCall] = {}
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        seen = 0
        while time.monotonic() < deadline:
            self.pump(0.5)
            for ev in self.events[seen:]:
                method, params = ev["method"], ev.get("params", {})
                if method == "Network.requestWillBeSent" and CHART_DATA in params["request"]["url"]:
                    body = json.loads(params["request"].get("postData") or "{}")
                    by_id[params["requestId"]] = call = ChartCall(params["requestId"], body)
                    run.calls.append(call)
                elif method == "Network.responseReceived" and params["requestId"] in by_id:
                    by_id[params["requestId"]].status = params["response"]["status"]
                elif method == "Network.loadingFinished" and params["requestId"] in by_id:
                    by_id[params["requestId"]].finished = True
                elif method == "Network.loadingFailed" and params["requestId"] in by_id:
                    by_id[params["requestId"]].failed = params.get("errorText", "failed")
                    by_id[params["requestId"]].finished = True
                elif method == "Runtime.exceptionThrown":
                    details = params.get("exceptionDetails", {})
                    run.exceptions.append(details.get("exception", {}).get("description") or details.get("text", ""))
            seen = len(self.events)
            # the filter bar's own requests (a filter's options) carry no slice id
            done = len({c.slice_id for c in run.calls} - {None}) >= charts and all(c.finished for c in run.calls)
            loading = self.evaluate("document.querySelectorAll('.loading, [data-test=\"loading-indicator\"]').length")
            if done and not loading:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    break
            else:
                quiet_since = None
        for call in run.calls:
            if call.finished and not call.failed:
                body = self.page("Network.getResponseBody", {"requestId": call.request_id})
                text = base64.b64decode(body["body"]).decode() if body.get("base64Encoded") else body["body"]
                call.response = json.loads(text)
        return run

    def screenshot(self, path: Path) -> Path:
        """The window as drawn (open the browser tall enough for the whole dashboard: resizing
        it makes Superset lay the grid out again)."""
        shot = self.page("Page.captureScreenshot", {"format": "png"})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self._log.close()
