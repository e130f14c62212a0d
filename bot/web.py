"""The project's own aiohttp web server: health check, platform webhooks and download routes.

How other modules add routes: the runner builds one `WebServer`, hands it to every component's
`register_routes(web)` *before* `start()` (aiohttp freezes its router when it starts), e.g.

    web.add_route("POST", "/line/webhook", line_handler)
    web.add_route("GET", "/files/{token}", download_handler)

Handlers are ordinary aiohttp handlers (`async def h(request: web.Request) -> web.StreamResponse`).
Every webhook must verify its caller before it reads or stores anything; `telegram_webhook_handler`
shows the pattern with Telegram's secret header compared in constant time.

Limits: a connection without a request in progress is closed after HEADER_TIMEOUT_S (slow or idle
clients cannot pile up), connections beyond a cap below the file-descriptor limit are closed at once,
bodies are read within a deadline and JSON is parsed with a depth limit; malformed input gets a 4xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import resource
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from storage.atomic import safe_json_loads
from storage.inbox import InboxUnavailable

__all__ = [
    "HEADER_TIMEOUT_S",
    "Handler",
    "HealthCheck",
    "TELEGRAM_SECRET_HEADER",
    "SITE_ROUTE",
    "WebServer",
    "add_site_routes",
    "raise_fd_limit",
    "site_handler",
    "telegram_webhook_handler",
]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
HealthCheck = Callable[[], Awaitable[list[str]]]
"""Returns what is wrong ([] when healthy); /healthz answers 503 with the list otherwise."""
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # an update is JSON; files are fetched with getFile, never posted to us
HEADER_TIMEOUT_S = 10.0  # time a connection may sit without a request in progress (headers, idle)
BODY_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 1000
FD_RESERVE = 128  # descriptors kept for data files, the inbox, outgoing API calls


def raise_fd_limit(wanted: int = 65536) -> int:
    """Raise the soft RLIMIT_NOFILE towards the hard limit where allowed; return the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
    return int(soft) if soft != resource.RLIM_INFINITY else wanted


class _Refuse:
    """The protocol of a connection over the cap: closed at once, so it holds no descriptor."""

    def connection_made(self, transport: Any) -> None:
        transport.close()

    def connection_lost(self, exc: BaseException | None) -> None:
        """Nothing to clean up."""

    def data_received(self, data: bytes) -> None:
        """Never read."""

    def eof_received(self) -> bool:
        return False


class _CappedSite(web.BaseSite):
    """A TCP site whose protocol factory refuses connections beyond the cap."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, cap: int) -> None:
        super().__init__(runner)
        self._host, self._port, self._cap = host, port, cap

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    def _factory(self) -> Any:
        server = self._runner.server
        assert server is not None
        if len(server.connections) >= self._cap:
            log.warning("connection cap (%d) reached: a new connection was closed", self._cap)
            return _Refuse()
        return server()

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._factory, self._host, self._port, reuse_address=True)


class WebServer:
    """An aiohttp application plus its listener; routes are added before start()."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        max_connections: int = MAX_CONNECTIONS,
        header_timeout: float = HEADER_TIMEOUT_S,
    ) -> None:
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self.header_timeout = header_timeout
        self.app = web.Application(client_max_size=MAX_BODY, middlewares=[_no_tracebacks])
        self.app.router.add_get("/healthz", self._healthz)
        self.health_checks: list[HealthCheck] = []
        self._runner: web.AppRunner | None = None
        self._sweeper: asyncio.Task[None] | None = None
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
        """Listen on host:port (port 0 picks a free one, see bound_port), capped below the fd limit."""
        cap = max(16, min(self.max_connections, raise_fd_limit() - FD_RESERVE))
        self._runner = web.AppRunner(
            self.app, access_log=None, shutdown_timeout=2.0, keepalive_timeout=self.header_timeout
        )
        await self._runner.setup()
        site = _CappedSite(self._runner, self.host, self.port, cap)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep(), name="web idle sweeper")
        log.info("web server on http://%s:%s (%s; at most %d connections)", self.host, self.bound_port,
                 ", ".join(self.paths()), cap)

    async def _sweep(self) -> None:
        """Close connections that sat without a request in progress for header_timeout (slowloris, idle)."""
        idle_since: dict[Any, float] = {}
        step = min(1.0, self.header_timeout / 4)
        while self._runner is not None and self._runner.server is not None:
            now = time.monotonic()
            live = self._runner.server.connections
            for handler in live:
                if getattr(handler, "_current_request", None) is not None:
                    idle_since.pop(handler, None)
                elif now - idle_since.setdefault(handler, now) > self.header_timeout:
                    handler.force_close()
            for gone in set(idle_since) - set(live):
                idle_since.pop(gone, None)
            await asyncio.sleep(step)

    async def stop(self) -> None:
        """Stop listening and finish open requests."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return f"http://{self.host}:{self.bound_port}"

    async def _healthz(self, request: web.Request) -> web.Response:
        """200 while every check passes; 503 naming the problems (monitoring pages someone)."""
        problems = [p for check in self.health_checks for p in await check()]
        if problems:
            return web.json_response({"ok": False, "problems": problems}, status=503)
        return web.json_response({"ok": True})


@web.middleware
async def _no_tracebacks(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Malformed input is a 400 and an unexpected failure one log line and a 500, never a traceback page."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (ValueError, UnicodeError) as exc:
        log.info("%s %s refused: %s", request.method, request.path, type(exc).__name__)
        return web.Response(status=400, text="bad request")
    except InboxUnavailable:
        return web.Response(status=503, text="try again later")
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return web.Response(status=500, text="internal error")


def telegram_webhook_handler(secret: str, on_update: Callable[[dict[str, Any]], Awaitable[None]]) -> Handler:
    """A POST handler that accepts Telegram updates only with the right secret header (403 otherwise)."""
    expected = secret.encode()
    if not expected:
        raise ValueError("a webhook secret is required")

    async def handle(request: web.Request) -> web.StreamResponse:
        given = request.headers.get(TELEGRAM_SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, expected):
            log.warning("telegram webhook: wrong or missing secret from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = safe_json_loads(await asyncio.wait_for(request.read(), BODY_TIMEOUT_S))
        except TimeoutError:
            return web.Response(status=408, text="body too slow")
        except ValueError:
            return web.Response(status=400, text="bad json")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        try:
            await on_update(data)  # stored durably before the 200
        except ValueError:
            return web.Response(status=400, text="malformed update")
        except InboxUnavailable:
            return web.Response(status=503, text="try again later")
        return web.Response(status=200, text="ok")

    return handle


# ----- the published site (report/site.py writes it; `itabot publish` and /publish fill it) -----------------
SITE_ROUTE = "/site/{org}/{path:.*}"
_SITE_ORG = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SITE_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")
_SITE_TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".json": "application/json",
    ".jpg": "image/jpeg", ".png": "image/png", ".gif": "image/gif", ".webp": "image/webp", ".pdf": "application/pdf",
    ".txt": "text/plain; charset=utf-8", ".csv": "text/csv; charset=utf-8",
}
_SITE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'self'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "public, max-age=300",
}


def site_handler(root: Path) -> Handler:
    """GET /site/<org>/<path>: a published page or file; a folder serves its index.html; nothing else is reachable."""
    base = root.resolve()

    async def handle(request: web.Request) -> web.StreamResponse:
        org, rel = request.match_info.get("org", ""), request.match_info.get("path", "")
        parts = [p for p in rel.split("/") if p]
        if not _SITE_ORG.fullmatch(org) or not all(_SITE_PART.fullmatch(p) for p in parts):
            return web.Response(status=404, text="ไม่พบหน้านี้ / not found")
        path = base / org / Path(*parts) if parts else base / org
        if path.is_dir():
            if rel and not rel.endswith("/"):
                raise web.HTTPFound(f"{request.path}/")
            path = path / "index.html"
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return web.Response(status=404, text="ไม่พบหน้านี้ / not found")
        if not real.is_file() or not real.is_relative_to(base / org):
            return web.Response(status=404, text="ไม่พบหน้านี้ / not found")
        mime = _SITE_TYPES.get(real.suffix.lower())
        headers = dict(_SITE_HEADERS)
        headers["Content-Type"] = mime or "application/octet-stream"
        if mime is None:  # Word, Excel and anything unknown: downloaded, never rendered by the browser
            headers["Content-Disposition"] = f'attachment; filename="{real.name}"'
        return web.FileResponse(real, headers=headers)

    return handle


def add_site_routes(server: WebServer, root: Path) -> None:
    """Mount the published site: /site/<org>/ and everything under it (GET only)."""
    handler = site_handler(root)

    async def bare(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"{request.path}/")

    server.add_route("GET", "/site/{org}", bare)
    server.add_route("GET", SITE_ROUTE, handler)
