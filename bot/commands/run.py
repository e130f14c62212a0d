"""`itabot run`: serve the chat platforms configured in the environment (.env) until stopped."""

from __future__ import annotations

import argparse
import logging

from ..commands import Command

__all__ = ["COMMAND"]


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", help="ที่อยู่ของเว็บเซิร์ฟเวอร์ / web server host (env ITABOT_HOST, default 127.0.0.1)")
    p.add_argument("--port", type=int, help="พอร์ต / web server port (env ITABOT_PORT, default 8080)")


def _run(args: argparse.Namespace) -> int:
    """Load settings and services, then hand over to the runner."""
    from ..config import load_settings, make_clock, resolve_data_dir
    from ..runner import run
    from ..wiring import build_services

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = load_settings()
    data_dir = resolve_data_dir(args.data_dir)
    services = build_services(data_dir, make_clock(args.today), max_file_bytes=settings.max_file_mb * 1024 * 1024)
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    return run(settings, services, host, port)


COMMAND = Command(
    name="run",
    help="เปิดบอต (Telegram/LINE) และเว็บเซิร์ฟเวอร์ / run the bots and the web server",
    add_arguments=_arguments,
    run=_run,
    order=10,
)
