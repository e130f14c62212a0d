"""`itabot migrate`: bring a PostgreSQL database to this release's schema (or only report where it is)."""

from __future__ import annotations

import argparse

from bot.store import database_url

from . import Command

__all__ = ["COMMAND"]


def _add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database-url", help="postgresql://… (env ITABOT_DATABASE_URL)")
    p.add_argument(
        "--check", action="store_true",
        help="แสดงรุ่นของโครงสร้างโดยไม่เปลี่ยนอะไร / only show the schema version (exit 1 when behind)",
    )


def _run(args: argparse.Namespace) -> int:
    url = database_url(args.database_url)
    if not url:
        print("กำหนด ITABOT_DATABASE_URL หรือ --database-url / set ITABOT_DATABASE_URL or pass --database-url")
        return 2
    from storage.pg_schema import LATEST, check_schema, connect, current_version, migrate

    with connect(url) as conn:
        if args.check:
            version = current_version(conn)
            print(f"โครงสร้างฐานข้อมูลรุ่น {version} จาก {LATEST} / schema version {version} of {LATEST}")
            if version < LATEST:
                print("สั่ง itabot migrate เพื่อปรับโครงสร้าง / run `itabot migrate` to apply the rest")
                return 1
            check_schema(conn)  # a newer schema than this release's stops here (exit 3)
            return 0
        for step in migrate(conn):
            print(f"ปรับโครงสร้างแล้ว / applied {step.version:04d}_{step.name}")
        print(f"โครงสร้างฐานข้อมูลเป็นรุ่นล่าสุด ({LATEST}) / the schema is up to date (version {LATEST})")
    return 0


COMMAND = Command(
    "migrate", "ปรับโครงสร้างฐานข้อมูล PostgreSQL / apply PostgreSQL schema migrations", _add, _run, order=85
)
