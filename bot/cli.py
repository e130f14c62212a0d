"""`itabot` command line: discovers subcommands in bot.commands and runs one."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from storage.atomic import StoreCorrupted

from . import commands
from .commands import Command

__all__ = ["main", "build_parser"]


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
    """The parser with every discovered subcommand and the shared --data-dir/--today options."""
    parser = argparse.ArgumentParser(
        prog="itabot",
        description="itabot — รายงานผลมาตรการ ITA ผ่านแชต / ITA measure progress reporting by chat",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in _discover():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        p.add_argument("--data-dir", help="โฟลเดอร์ข้อมูล / data directory (env ITABOT_DATA_DIR, default ./data)")
        p.add_argument("--today", help="วันที่ที่ใช้แทนวันนี้ / date to use as today (YYYY-MM-DD)")
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `itabot` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    if args.today:
        try:
            from datetime import date

            date.fromisoformat(args.today)
        except ValueError:
            print(f"วันที่ไม่ถูกต้อง: {args.today} (ใช้รูปแบบ YYYY-MM-DD)", file=sys.stderr)
            return 2
    try:
        return int(args._run(args) or 0)
    except StoreCorrupted as exc:
        print(str(exc), file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
