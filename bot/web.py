"""The project's own aiohttp web server: health check, platform webhooks and download routes.

How other modules add routes: the runner builds one `WebServer`, hands it to every component's
`register_routes(web)` *before* `start()` (aiohttp freezes its router when it starts), e.g.

    web.add_route("POST", "/line/webhook", line_handler)
    web.add_route("GET", "/files/{token}", download_handler)

Handlers are ordinary aiohttp handlers (`async def h(request: web.Request) -> web.StreamResponse`).
Every webhook must verify its caller before it reads or stores anything; `telegram_webhook_handler`
shows the pattern with Telegram's secret header compared in constant time.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

__all__ = ["Handler", "TELEGRAM_SECRET_HEADER", "WebServer", "telegram_webhook_handler"]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is JSON; files are fetched with getFile, never posted to us


class WebServer:
    """An aiohttp application plus its listener; routes are added before start()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=MAX_BODY)
        self.app.router.add_get("/healthz", self._healthz)
        self._runner: web.AppRunner | None = None
        self.bound_port = 0

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Register a route; only possible before start()."""
        if self._runner is not None:
            raise RuntimeError("routes must be added before the web server starts")
        self.app.router.add_route(method, path, handler)

    def paths(self) -> list[str]:
        """Registered paths (for logs and tests)."""
        return sorted({r.resource.canonical for r in self.app.router.routes() if r.resource is not None})

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one, see bound_port)."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        log.info("web server on http://%s:%s (%s)", self.host, self.bound_port, ", ".join(self.paths()))

    async def stop(self) -> None:
        """Stop listening and finish open requests."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return f"http://{self.host}:{self.bound_port}"

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})


def telegram_webhook_handler(secret: str, on_update: Callable[[dict[str, Any]], Awaitable[None]]) -> Handler:
    """A POST handler that accepts Telegram updates only with the right secret header (403 otherwise)."""
    expected = secret.encode()
    if not expected:
        raise ValueError("a webhook secret is required")

    async def handle(request: web.Request) -> web.StreamResponse:
        given = request.headers.get(TELEGRAM_SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("telegram webhook: wrong or missing secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="bad json")
        if not isinstance(data, dict) or "update_id" not in data:
            return web.Response(status=400, text="not an update")
        await on_update(data)
        return web.Response(status=200, text="ok")

    return handle
