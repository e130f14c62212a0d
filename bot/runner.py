"""`itabot run`: builds the platform components around one set of services and serves until a signal.

Hook points (each component has `register_routes(web)`, `async start()`, `async stop()`):
  - Telegram: started when TELEGRAM_BOT_TOKEN is set (polling, or webhook when TELEGRAM_WEBHOOK_URL is set).
    With ITABOT_DATABASE_URL, every `itabot run` is one worker of many on that database (bot/dispatch_shared.py,
    bot/reminders_shared.py); polling is refused unless this is the only live worker.
  - LINE: add the LINE adapter in `build_components` (it registers /line/webhook in register_routes).
  - Reminders: add scheduler.service.ReminderService in `build_components`; it pushes through the Outbox.
Routes are registered before the web server starts; components start after it listens (a webhook must
be reachable when Telegram is told about it) and stop in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any, Protocol

from telegram.error import InvalidToken, TelegramError

from storage.atomic import check_writable

from .config import Settings
from .metrics import observe_services
from .outbox import Outbox
from .ratelimit import ChatRateLimiter
from .telegram import PLATFORM, TelegramAdapter
from .web import WebServer, add_site_routes
from .wiring import Services

__all__ = ["PLATFORM_NAMES", "Component", "build_components", "run", "serve", "started_line", "telegram_adapter"]

log = logging.getLogger(__name__)


class Component(Protocol):
    """Something `itabot run` starts and stops: a chat platform adapter or a background service."""

    def register_routes(self, web: WebServer) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def telegram_adapter(
    settings: Settings, services: Services, outbox: Outbox | None = None, **overrides: Any
) -> TelegramAdapter:
    """The Telegram adapter as configured by the environment (tests override pacing and timeouts)."""
    repo = services.repo
    options: dict[str, Any] = {
        "api_root": settings.telegram_api_base_url,
        "outbox": outbox,
        "max_file_bytes": settings.max_file_mb * 1024 * 1024,
        "webhook_url": settings.telegram_webhook_url,
        "webhook_secret": settings.telegram_webhook_secret,
        "known_user": lambda user_id: repo.find_identity(PLATFORM, user_id) is not None,
        "dispatcher": services.dispatcher(),
    }
    if "rate_limiter" not in overrides:
        limiter = ChatRateLimiter(overall_per_second=settings.telegram_max_per_second)
        share = getattr(options["dispatcher"], "share_rate", None)  # several workers split the bot-wide cap
        if share is not None:
            share(limiter, settings.telegram_max_per_second)
        options["rate_limiter"] = limiter
    options.update(overrides)
    return TelegramAdapter(services.engine, settings.telegram_token, **options)


def build_components(settings: Settings, services: Services, outbox: Outbox) -> list[Component]:
    """Every component this configuration asks for, in start order."""
    components: list[Component] = []
    if settings.telegram_token:
        components.append(telegram_adapter(settings, services, outbox))
    if settings.line_channel_secret and settings.line_access_token:
        from .line import line_adapter  # imported only when LINE is configured

        components.append(line_adapter(settings, services, outbox))
    from .outbox import OfficerNotifier
    from .reminders import ReminderComponent

    if settings.link_check:
        from .link_watch import LinkWatch

        lease = None
        if services.database_url:  # several workers may share it: one of them lists every office's backlog
            from storage.pg_lease import PgLease

            lease = PgLease(services.database_url, "link-check")
        components.append(LinkWatch(services, lease=lease))
    components.append(ReminderComponent(services, OfficerNotifier(outbox)))  # last: platforms are registered
    return components


PLATFORM_NAMES = {"telegram": "Telegram", "line": "LINE"}


def started_line(platforms: list[str]) -> str:
    """The one log line that says which chat platforms are serving."""
    names = " และ ".join(PLATFORM_NAMES.get(p, p) for p in platforms)
    if not names:
        return "itabot ทำงานแล้ว โดยไม่เปิดแชต (--no-chat): มีเพียงเว็บเซิร์ฟเวอร์ /healthz; กด Ctrl+C เพื่อหยุด"
    return f"itabot ทำงานแล้ว เปิดแชต {names}; กด Ctrl+C เพื่อหยุด"


def _install_signals(stop: asyncio.Event) -> list[signal.Signals]:
    """SIGINT/SIGTERM set the stop event (where the platform allows it)."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    return installed


async def serve(
    settings: Settings,
    services: Services,
    host: str,
    port: int,
    stop: asyncio.Event | None = None,
    components: list[Component] | None = None,
    outbox: Outbox | None = None,
) -> int:
    """Start the web server and the components, wait for `stop` (or a signal), then shut down cleanly."""
    stop = stop or asyncio.Event()
    outbox = outbox or Outbox()
    metrics = observe_services(services)  # before the adapters take hold of the engine
    if components is None:
        components = build_components(settings, services, outbox)
    web = WebServer(host, port)
    web.health_checks.append(services.dispatcher().problems)
    metrics.register_routes(web)  # GET /metrics: this worker's updates, replies, latency, reminders, depths
    if settings.public_base_url and services.data_dir is not None:  # the published site (`itabot publish`)
        from report.site import SITE_DIR

        add_site_routes(web, services.data_dir / SITE_DIR)
    for component in components:
        component.register_routes(web)
    signals = _install_signals(stop)
    started: list[Component] = []
    code = 0
    await web.start()
    try:
        for component in components:
            await component.start()
            started.append(component)
        log.info("%s", started_line(outbox.platforms()))
        await stop.wait()
    except InvalidToken:
        log.error("TELEGRAM_BOT_TOKEN ไม่ถูกต้อง / the Telegram bot token was rejected")
        code = 1
    except TelegramError as exc:
        log.error("Telegram could not start: %s", exc)
        code = 1
    finally:
        for component in reversed(started):
            try:
                await component.stop()
            except Exception:
                log.exception("stopping %s failed", type(component).__name__)
        await web.stop()
        loop = asyncio.get_running_loop()
        for sig in signals:
            loop.remove_signal_handler(sig)
        await services.dispatcher().stop()
        services.close()
    log.info("itabot stopped")
    return code


def run(settings: Settings, services: Services, host: str, port: int) -> int:
    """Blocking entry point for the CLI: the data directory must be writable and the inbox ours."""
    if services.data_dir is not None:
        check_writable(services.data_dir)
    dispatcher = services.dispatcher()
    dispatcher.inbox  # noqa: B018 - opens (and locks) the inbox now: damage or a second run stops here
    workers = getattr(dispatcher, "workers", None)  # several workers share a PostgreSQL database
    if workers is not None and settings.telegram_token:
        try:  # polling allows one consumer: beside other workers Telegram must come by webhook
            workers.choose_telegram(polling=not settings.telegram_webhook_url)
        except BaseException:
            services.close()
            raise
    return asyncio.run(serve(settings, services, host, port))
