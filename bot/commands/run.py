"""`itabot run`: serve the chat platforms configured in the environment (.env) until stopped."""

from __future__ import annotations

import argparse
import errno
import logging
import socket
import sys
from datetime import datetime

from ..commands import Command

__all__ = ["COMMAND", "NO_PLATFORM", "port_taken"]


NO_PLATFORM = ("ยังไม่ได้ตั้งค่าแพลตฟอร์มแชต: ตั้ง TELEGRAM_BOT_TOKEN หรือ LINE_CHANNEL_SECRET กับ "
               "LINE_CHANNEL_ACCESS_TOKEN ใน .env (หรือใช้ --no-chat เพื่อเปิดโดยไม่มีแชต)")


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="ที่อยู่ของเว็บเซิร์ฟเวอร์ / web server host (env ITABOT_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="พอร์ต / web server port (env ITABOT_PORT, default 8080)")
    p.add_argument("--no-chat", action="store_true",
                   help="เปิดโดยไม่มีแพลตฟอร์มแชต (เฉพาะ /healthz และการเตือน) / start with no chat platform")
    p.add_argument("--now", help='ซ้อมเหมือนเป็นเวลานี้ (เวลาไทย) / rehearse from this Bangkok moment: "YYYY-MM-DD HH:MM"')


def port_taken(host: str, port: int) -> bool:
    """True when another program already listens there (checked before anything is opened)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp binds: TIME_WAIT is no obstacle
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def _run(args: argparse.Namespace) -> int:
    """Load settings and services, then hand over to the runner."""
    from storage.atomic import check_writable
    from storage.clock import OffsetClock

    from ..config import load_settings, make_clock, resolve_data_dir

    settings = load_settings()
    if not (settings.telegram_token or (settings.line_channel_secret and settings.line_access_token)) \
            and not args.no_chat:
        print(NO_PLATFORM, file=sys.stderr)
        return 2
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    moment = args.now if isinstance(getattr(args, "now", None), datetime) else None  # parsed by bot.cli
    if port_taken(host, port):
        print(f"พอร์ต {host}:{port} มีโปรแกรมอื่นใช้อยู่ (itabot อีกตัว?) หยุดโปรแกรมนั้นหรือใช้ --port อื่น", file=sys.stderr)
        return 1
    from ..runner import run
    from ..wiring import build_services

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # a rehearsal's clock runs on from --now (make_clock would freeze it: right for one-off commands only)
    clock = OffsetClock(moment) if moment is not None else make_clock(args.today)
    data_dir = resolve_data_dir(args.data_dir)
    check_writable(data_dir)  # one clear line before migrations or the inbox trip over a read-only directory
    services = build_services(data_dir, clock, max_file_bytes=settings.max_file_mb * 1024 * 1024)
    if settings.public_base_url:  # /publish replies with the addresses the web server serves (bot/web.py)
        services.engine.site_url = settings.public_base_url.rstrip("/") + "/site"
    if moment is not None:
        logging.getLogger("itabot").info("rehearsal: the clock starts at %s Bangkok time", f"{moment:%Y-%m-%d %H:%M}")
    return run(settings, services, host, port)


COMMAND = Command(
    name="run",
    help="เปิดบอต (Telegram/LINE) และเว็บเซิร์ฟเวอร์ / run the bots and the web server",
    add_arguments=_arguments,
    run=_run,
    order=10,
)
