"""Headless Chromium driven over the DevTools protocol with aiohttp's websocket client, and axe-core from npm.

Why this way: one Chromium process gives phone-width screenshots and runs axe-core inside the real page
(Runtime.evaluate, awaiting axe.run's promise), with no Python browser package and nothing vendored: axe-core
is installed once with `npm install axe-core@4` into a cache folder outside the repository.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import os
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from tests.tools import tools_required

__all__ = ["AXE_VERSION", "FLAGS", "Chromium", "axe_source", "blank"]

AXE_VERSION = "4"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def axe_source(npm: str) -> str:
    """axe.min.js, installed with npm into ITABOT_TEST_CACHE (default ~/.cache/itabot-tests) when missing."""
    cache = Path(os.environ.get("ITABOT_TEST_CACHE") or Path.home() / ".cache" / "itabot-tests") / "axe"
    script = cache / "node_modules" / "axe-core" / "axe.min.js"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:  # parallel test workers (pytest -n) install it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        _install_axe(npm, cache, script)
    return script.read_text("utf-8")


def _install_axe(npm: str, cache: Path, script: Path) -> None:
    """npm install axe-core into the cache unless it is there; skip (bare machine) or fail (CI) if npm fails."""
    if not script.is_file():
        done = subprocess.run([npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund",
                               f"axe-core@{AXE_VERSION}"], capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0 or not script.is_file():
            reason = f"npm install axe-core@{AXE_VERSION} failed: {done.stderr.strip()[-300:]}"
            if tools_required():
                pytest.fail(reason)
            pytest.skip(reason)


def blank(png: Path) -> bool:
    """True when a screenshot is (nearly) one colour: nothing was drawn."""
    with Image.open(png) as img:
        gray = img.convert("L")
        inked = sum(n for level, n in enumerate(gray.histogram()) if level < 200)
        few = img.convert("RGB").getcolors(8)  # None when the picture has more than 8 colours
        return inked < gray.width * gray.height * 0.01 or few is not None


class Chromium:
    """One headless Chromium with a fresh profile; `async with` starts it and always ends it."""

    def __init__(self, exe: str, profile: Path, env: dict[str, str] | None = None) -> None:
        self.exe, self.profile, self.env = exe, profile, env
        self.proc: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._id = 0
        self._events: list[dict[str, Any]] = []

    async def __aenter__(self) -> Chromium:
        self.proc = subprocess.Popen([self.exe, *FLAGS, f"--user-data-dir={self.profile}", "--remote-debugging-port=0",
                                      "about:blank"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "DevToolsActivePort"
        for _ in range(600):
            if port_file.is_file() and len(port_file.read_text().splitlines()) >= 2:
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}")
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        self._session = aiohttp.ClientSession()
        async with self._session.get(f"http://127.0.0.1:{port}/json/list") as resp:
            targets = await resp.json()
        page = next(t for t in targets if t.get("type") == "page")
        self._ws = await self._session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
        await self.send("Page.enable")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._session is not None:
            await self._session.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command and its result (events that arrive meanwhile are kept)."""
        assert self._ws is not None
        self._id += 1
        await self._ws.send_json({"id": self._id, "method": method, "params": params})
        while True:
            msg = await asyncio.wait_for(self._ws.receive_json(), 60)
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))
            self._events.append(msg)

    async def _event(self, name: str) -> None:
        assert self._ws is not None
        while not any(e.get("method") == name for e in self._events):
            self._events.append(await asyncio.wait_for(self._ws.receive_json(), 60))

    async def open(self, url: str, width: int = 390, height: int = 844) -> None:
        """Load a page in a phone-sized viewport and wait for its load event."""
        await self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                        mobile=True)
        self._events.clear()
        await self.send("Page.navigate", url=url)
        await self._event("Page.loadEventFired")

    async def evaluate(self, expression: str) -> Any:
        """A script's value in the page (promises awaited)."""
        result = await self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(str(result["exceptionDetails"])[:500])
        return result.get("result", {}).get("value")

    async def screenshot(self, path: Path) -> Path:
        """The whole page as PNG."""
        shot = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def print_pdf(self, path: Path) -> dict[str, Any]:
        """Print the page as the browser would (print CSS), save the PDF; what the print layout hides."""
        await self.send("Emulation.setEmulatedMedia", media="print")
        hidden = await self.evaluate("({nav: getComputedStyle(document.querySelector('nav')).display,"
                                     " skip: getComputedStyle(document.querySelector('.skip')).display})")
        pdf = await self.send("Page.printToPDF", paperWidth=8.27, paperHeight=11.69, printBackground=False)
        path.write_bytes(base64.b64decode(pdf["data"]))
        await self.send("Emulation.setEmulatedMedia", media="")
        return dict(hidden)
