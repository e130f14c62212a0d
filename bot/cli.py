"""`itabot` command line: discovers subcommands in bot.commands and runs one, never with a traceback.

Exit codes: 0 done, 1 the command could not do it (bad file, permissions, full disk …), 2 usage (bad
options), 3 damaged data (a database file that does not parse; nothing was changed) or a store that
cannot be used (PostgreSQL unreachable, or its schema not this release's), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence
from datetime import date, datetime

from storage.atomic import StartupError, StoreCorrupted
from storage.factory import StoreUnavailable
from storage.migrate import MigrationError

from . import commands
from .commands import Command

__all__ = ["main", "build_parser", "parse_today", "parse_now", "EXIT_OK", "EXIT_ERROR", "EXIT_USAGE", "EXIT_DAMAGED"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DAMAGED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
log = logging.getLogger(__name__)


class UsageError(ValueError):
    """A bad option value: one Thai/English line, exit code 2."""


def _discover() -> list[Command]:
    found: list[Command] = []
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        cmd = getattr(module, "COMMAND", None)
        if isinstance(cmd, Command):
            found.append(cmd)
        found.extend(c for c in getattr(module, "COMMANDS", ()) if isinstance(c, Command))
    return sorted(found, key=lambda c: (c.order, c.name))


def build_parser() -> argparse.ArgumentParser:
    """The parser with every discovered subcommand and the shared --data-dir/--today/--now options."""
    parser = argparse.ArgumentParser(
        prog="itabot",
        description="itabot — รายงานผลมาตรการ ITA ผ่านแชต / ITA measure progress reporting by chat",
        epilog="exit codes: 0 ok · 1 error · 2 usage · 3 damaged data (nothing changed) · 130 interrupted",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in _discover():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        p.add_argument("--data-dir", help="โฟลเดอร์ข้อมูล / data directory (env ITABOT_DATA_DIR, default ./data)")
        p.add_argument("--today", help="วันที่ที่ใช้แทนวันนี้ (ค.ศ.) / date to use as today (YYYY-MM-DD)")
        cmd.add_arguments(p)
        if not any(a.dest == "now" for a in p._actions):  # a command may define its own --now
            p.add_argument(
                "--now", help='วันและเวลาที่ใช้แทนตอนนี้ (เวลาไทย) / moment to use as now ("YYYY-MM-DD HH:MM", Bangkok)'
            )
        p.set_defaults(_run=cmd.run)
    return parser


def parse_today(text: str) -> date:
    """--today: an ISO date in the Christian era within 2000–2100 (a Buddhist-Era year is caught)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        year = text.strip()[:4]
        if year.isdigit() and int(year) > 2400:
            raise UsageError(f"ปี พ.ศ.? ใช้ ค.ศ. เช่น 2026-02-10 / use the Christian-era year: {text}") from None
        raise UsageError(f"วันที่ไม่ถูกต้อง: {text} (ใช้รูปแบบ YYYY-MM-DD เช่น 2026-02-10)") from None
    if day.year > 2400:
        raise UsageError(f"ปี พ.ศ.? ใช้ ค.ศ. เช่น {day.year - 543}-{day:%m-%d} / use the Christian-era year")
    if not 2000 <= day.year <= 2100:
        raise UsageError(f"วันที่ต้องอยู่ในช่วง ค.ศ. 2000–2100: {text}")
    return day


def parse_now(text: str) -> datetime:
    """--now: "YYYY-MM-DD HH:MM" (or with T), Bangkok time, same year rules as --today."""
    cleaned = text.strip().replace("T", " ")
    day_text, _, time_text = cleaned.partition(" ")
    day = parse_today(day_text)
    try:
        moment = datetime.fromisoformat(f"{day.isoformat()} {time_text.strip() or '09:00'}")
    except ValueError:
        raise UsageError(f'เวลาไม่ถูกต้อง: {text} (ใช้รูปแบบ "YYYY-MM-DD HH:MM" เช่น "2026-03-26 10:00")') from None
    return moment.replace(tzinfo=None)


def _check_data_dir(args: argparse.Namespace) -> None:
    """A --data-dir that is a file is a usage error, said before any command trips over it."""
    from .config import resolve_data_dir

    path = resolve_data_dir(getattr(args, "data_dir", None))
    if path.exists() and not path.is_dir():
        raise UsageError(f"--data-dir ต้องเป็นโฟลเดอร์ แต่ {path} เป็นไฟล์ / is a file, not a directory")


_OS_HINTS = {
    errno.ENOSPC: "ดิสก์เต็ม / disk full",
    errno.EDQUOT: "เกินโควตาดิสก์ / disk quota exceeded",
    errno.EROFS: "ระบบไฟล์อ่านได้อย่างเดียว / read-only file system",
    errno.EACCES: "ไม่มีสิทธิ์ / permission denied",
    errno.EPERM: "ไม่มีสิทธิ์ / operation not permitted",
    errno.ENOENT: "ไม่พบไฟล์หรือโฟลเดอร์ / not found",
    errno.ENOTDIR: "ไม่ใช่โฟลเดอร์ / not a directory",
    errno.EISDIR: "เป็นโฟลเดอร์ ไม่ใช่ไฟล์ / is a directory",
}


def _os_message(exc: OSError) -> str:
    """One line naming what failed and where, in Thai and English."""
    what = _OS_HINTS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    where = exc.filename or ""
    return f"ทำไม่สำเร็จ / failed: {what}" + (f": {where}" if where else "")


def _quiet_broken_pipe() -> int:
    """`itabot plan --json | head`: the reader left; end quietly like other Unix tools."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return EXIT_OK


def _normalise_time(args: argparse.Namespace) -> None:
    """--now sets the moment (and the day); --today alone keeps the real time of day."""
    now_text = getattr(args, "now", None)
    if isinstance(now_text, str) and now_text:
        moment = parse_now(now_text)
        if args.today and parse_today(args.today) != moment.date():
            raise UsageError("--today กับ --now ระบุคนละวัน / --today and --now disagree")
        args.now = moment
        args.today = moment  # make_clock takes a datetime as a fixed moment
    elif args.today:
        args.today = parse_today(args.today).isoformat()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `itabot` console script."""
    try:
        parser = build_parser()  # imports every command: a second or more on a busy machine
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return EXIT_INTERRUPTED
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return EXIT_USAGE
    os.umask(0o077)  # data, exports, snapshots and backups are private whatever the shell's umask
    try:
        _normalise_time(args)
        _check_data_dir(args)
        with contextlib.ExitStack() as closing:  # stores a command opens are closed when it ends, whatever the exit
            args.closing = closing
            return int(args._run(args) or 0)
    except UsageError as exc:
        print(f"itabot {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreCorrupted, StoreUnavailable) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_DAMAGED
    except StartupError as exc:  # unwritable data directory, unusable link secret, busy inbox
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except MigrationError as exc:  # an existing directory that cannot be written, or a newer release's data
        print(f"itabot {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except EOFError:
        return EXIT_OK
    except OSError as exc:
        print(f"itabot {args.command}: {_os_message(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a bug: one line for the user, the details only when asked for
        if os.environ.get("ITABOT_DEBUG"):
            raise
        print(
            f"itabot {args.command}: เกิดข้อผิดพลาดที่ไม่คาดคิด / unexpected error: {type(exc).__name__}: "
            f"{str(exc)[:200]} (ตั้ง ITABOT_DEBUG=1 เพื่อดูรายละเอียด / set ITABOT_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
