"""The PostgreSQL schema under version control: numbered SQL files applied once, in order, under a lock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import psycopg

from .factory import StoreUnavailable, pool_options, redact_url

__all__ = [
    "LATEST",
    "Migration",
    "SchemaMismatch",
    "check_schema",
    "connect",
    "current_version",
    "migrate",
    "migrations",
]

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x17AB07  # advisory lock: two `itabot migrate` at once apply each migration once
_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS itabot_schema (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


@dataclass(frozen=True)
class Migration:
    """One schema step: storage/migrations/NNNN_name.sql."""

    version: int
    name: str
    sql: str


class SchemaMismatch(StoreUnavailable):
    """The database's schema is not the one this release was built for."""


def migrations() -> list[Migration]:
    """Every migration shipped with this release, in order."""
    found = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001, 0002 … without gaps: {[m.version for m in found]}")
    return found


LATEST = len(migrations())


def connect(url: str, timeout: int = 10) -> psycopg.Connection:
    """One autocommit connection for maintenance (itabot's pool options are dropped from the URL)."""
    conninfo, _, _ = pool_options(url)
    try:
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=timeout)
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(
            f"ติดต่อฐานข้อมูลไม่ได้ / cannot reach the database {redact_url(url)}: {str(exc).strip()}"
        ) from exc


def current_version(conn: psycopg.Connection) -> int:
    """The newest applied migration (0 on an empty database)."""
    exists = conn.execute("SELECT to_regclass('itabot_schema') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT coalesce(max(version), 0) FROM itabot_schema").fetchone()
    return int(row[0]) if row else 0


def _too_new(version: int) -> SchemaMismatch:
    return SchemaMismatch(
        f"ฐานข้อมูลใช้โครงสร้างรุ่น {version} ซึ่งใหม่กว่าโปรแกรมรุ่นนี้ (รุ่น {LATEST}): ใช้ itabot รุ่นที่ใหม่กว่า "
        f"/ the database schema is version {version}, newer than this release's {LATEST}: "
        "run a newer itabot (refusing to start so nothing is written in an old format)."
    )


def check_schema(conn: psycopg.Connection) -> int:
    """Refuse a database that is not migrated to exactly this release's schema; return its version."""
    version = current_version(conn)
    if version > LATEST:
        raise _too_new(version)
    if version < LATEST:
        raise SchemaMismatch(
            f"ฐานข้อมูลยังไม่ได้ปรับโครงสร้าง (รุ่น {version} จาก {LATEST}): สั่ง itabot migrate ก่อน "
            f"/ the database schema is at version {version} of {LATEST}: run `itabot migrate` first."
        )
    return version


def migrate(conn: psycopg.Connection, target: int | None = None) -> list[Migration]:
    """Apply the missing migrations (up to `target`), each in its own transaction; return those applied."""
    if not conn.autocommit:
        raise ValueError("migrate needs an autocommit connection: each migration commits on its own")
    applied: list[Migration] = []
    for step in migrations()[:target]:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            conn.execute(_BOOKKEEPING)
            version = current_version(conn)
            if version > LATEST:
                raise _too_new(version)
            if step.version <= version:
                continue
            conn.execute(step.sql.encode("utf-8"))
            conn.execute("INSERT INTO itabot_schema (version, name) VALUES (%s, %s)", (step.version, step.name))
            applied.append(step)
    return applied
