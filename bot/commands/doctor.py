"""`itabot doctor`: checks what a host needs, one line each with ✓/✗ and what to do (exit 1 on any ✗)."""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from bot.config import load_settings, make_clock, resolve_data_dir
from bot.store import database_url

from . import Command

__all__ = ["COMMAND"]

_EPILOG = """\
Checks: the database (PostgreSQL reachable and migrated, or every TinyDB file readable), the Telegram
token (getMe) and LINE token (bot info), the webhooks each platform holds against TELEGRAM_WEBHOOK_URL
and PUBLIC_BASE_URL/line/webhook, PUBLIC_BASE_URL/healthz, the clock against the platforms' servers,
the time zone, free disk, data directory modes (0700/0600), LibreOffice, the newest file in the backup
folder, and the LINE push quota used this month. "–" marks a check this configuration does not need.
Exit 0 when nothing is ✗, 1 otherwise: fit for a cron job or a monitoring probe."""


def _add(p: argparse.ArgumentParser) -> None:
    p.epilog = _EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--database-url", help="postgresql://… (env ITABOT_DATABASE_URL)")
    p.add_argument("--backup-dir", help="โฟลเดอร์ไฟล์สำรอง / backup folder (env ITABOT_BACKUP_DIR, default DATA/backups)")
    p.add_argument("--max-backup-age", type=float, default=26.0, metavar="HOURS",
                   help="สำรองล่าสุดต้องไม่เก่ากว่า / newest backup at most this old (default 26)")
    p.add_argument("--min-free-mb", type=int, default=1024, help="พื้นที่ว่างขั้นต่ำ / least free disk (default 1024)")
    p.add_argument("--timeout", type=float, default=5.0, help="วินาทีต่อการถาม / seconds per HTTP check (default 5)")


def _run(args: argparse.Namespace) -> int:
    from bot.doctor import FAIL, Probe, run_checks  # here: aiohttp costs every other subcommand's start-up

    settings = load_settings()
    data_dir = resolve_data_dir(args.data_dir)
    backup = args.backup_dir or os.environ.get("ITABOT_BACKUP_DIR")
    evidence = os.environ.get("ITABOT_EVIDENCE_DIR")
    probe = Probe(
        settings=settings, data_dir=data_dir, clock=make_clock(args.today), database_url=database_url(args.database_url),
        evidence_dir=Path(evidence).expanduser() if evidence else None,
        backup_dir=Path(backup).expanduser() if backup else None,
        min_free_mb=args.min_free_mb, max_backup_hours=args.max_backup_age, timeout=args.timeout,
    )
    findings = asyncio.run(run_checks(probe))
    for finding in findings:
        print(finding.line())
    failed = sum(f.mark == FAIL for f in findings)
    if failed:
        print(f"ต้องแก้ {failed} ข้อ / {failed} problem(s) to fix")
        return 1
    print("พร้อมให้บริการ / all checks passed")
    return 0


COMMAND = Command("doctor", "ตรวจความพร้อมของเครื่องที่ให้บริการ / check what a host needs", _add, _run, order=87)
