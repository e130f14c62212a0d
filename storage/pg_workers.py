"""Several `itabot run` workers on one PostgreSQL database: who is alive, and who may poll Telegram.

A worker registers a row in `workers` and holds the lease `worker:<id>` (a session advisory lock on a
connection of its own, storage/pg_lease.py) for its whole life. The server drops the lock the moment
that connection ends, so a worker killed with SIGKILL, or whose machine vanished, is known dead at once:
`reap()` (any live worker runs it every second or so) frees the dead worker's chats and reminder work and
marks its unfinished sends "interrupted" (at most once: a send cut mid-flight may have reached the person).
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from .atomic import StartupError
from .factory import StoreUnavailable
from .pg_lease import PgLease

__all__ = ["POLLING_LEASE", "PgReminderWork", "PgWorkers", "TelegramModeRefused", "WorkClaim"]

POLLING_LEASE = "telegram-polling"

_REAP = """
WITH dead AS (DELETE FROM workers WHERE NOT itabot_lease_held('worker:' || id) RETURNING id),
chats AS (UPDATE inbox_chats SET claimed_by = '', claimed_until = NULL
          WHERE claimed_by IN (SELECT id FROM dead) RETURNING 1),
work AS (UPDATE reminder_work SET claimed_by = '', claimed_until = NULL
         WHERE claimed_by IN (SELECT id FROM dead) RETURNING 1),
cut AS (UPDATE sends SET data = data || '{"result": "interrupted"}'::jsonb, claimed_until = NULL
        WHERE claimed_by IN (SELECT id FROM dead) AND data->>'result' = 'sending' RETURNING 1)
SELECT (SELECT count(*) FROM dead), (SELECT count(*) FROM cut), (SELECT count(*) FROM chats)
"""


# the reaper and this worker's renewal in one statement, with the number of live workers left
_TEND = (
    _REAP.split("\nSELECT (SELECT count", 1)[0] + """,
mine AS (UPDATE inbox_chats SET claimed_until = now() + make_interval(secs => %(lease)s)
         WHERE claimed_by = %(me)s AND claimed_until IS NOT NULL AND %(me)s NOT IN (SELECT id FROM dead) RETURNING 1),
my_work AS (UPDATE reminder_work SET claimed_until = now() + make_interval(secs => %(lease)s)
            WHERE claimed_by = %(me)s AND claimed_until IS NOT NULL AND %(me)s NOT IN (SELECT id FROM dead) RETURNING 1)
SELECT (SELECT count(*) FROM dead), (SELECT count(*) FROM cut), (SELECT count(*) FROM chats),
       (SELECT count(*) FROM workers) - (SELECT count(*) FROM dead), (SELECT count(*) FROM mine), (SELECT count(*) FROM my_work)
"""
)


class TelegramModeRefused(StartupError):
    """Telegram polling allows one consumer: several workers need webhook mode."""


class PgWorkers:
    """This process as one of the workers sharing a database."""

    def __init__(self, pool: ConnectionPool[Connection[Any]], url: str, worker_id: str = "") -> None:
        self.pool = pool
        self.url = url
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.liveness = PgLease(url, f"worker:{self.id}")
        self.relaxed = pool  # where tend() runs: a pool whose commits need not wait for the disk will do
        self._polling: PgLease | None = None
        self._left = False  # after leave() nothing may take the liveness lock again (a late housekeeping thread)

    def register(self) -> None:
        """Become a live worker (the liveness lock first: a row without it is reaped as dead); never after leave()."""
        if self._left:
            return
        if not self.liveness.acquire():
            raise StoreUnavailable(f"could not take the liveness lock of worker {self.id}")
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO workers (id, host, pid) VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING",
                (self.id, socket.gethostname(), os.getpid()),
            )

    def alive(self) -> bool:
        """Whether this worker still holds its liveness lock (the database may have dropped us)."""
        return self.liveness.held()

    def live(self) -> list[str]:
        """Every live worker's id (this one included), oldest first."""
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT id FROM workers WHERE itabot_lease_held('worker:' || id) ORDER BY started_at, id"
            ).fetchall()
        return [str(r[0]) for r in rows]

    def reap(self) -> tuple[int, int, int]:
        """Free what dead workers held: (workers reaped, sends marked interrupted, chats released)."""
        with self.pool.connection() as conn, conn.transaction():
            row = conn.execute(_REAP).fetchone()
        return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)

    def tend(self, lease_seconds: float) -> tuple[int, int, int, int]:
        """reap() and renew() in one statement: (workers reaped, sends marked interrupted, chats released, live workers)."""
        with self.relaxed.connection() as conn:
            row = conn.execute(_TEND, {"lease": lease_seconds, "me": self.id}, prepare=True).fetchone()
        return (int(row[0]), int(row[1]), int(row[2]), int(row[3])) if row else (0, 0, 0, 0)

    def renew(self, lease_seconds: float) -> None:
        """Extend this worker's claims on chats and reminder work (a slow event is not a dead worker)."""
        with self.pool.connection() as conn, conn.transaction():
            for table in ("inbox_chats", "reminder_work"):
                conn.execute(
                    f"UPDATE {table} SET claimed_until = now() + make_interval(secs => %s) "  # noqa: S608 - fixed names
                    "WHERE claimed_by = %s AND claimed_until IS NOT NULL",
                    (lease_seconds, self.id),
                )

    def choose_telegram(self, polling: bool) -> None:
        """Record how this worker gets Telegram updates; refuse polling beside other workers, and a webhook
        beside a worker that polls (setting the webhook would cut it off)."""
        if polling:
            self._polling = PgLease(self.url, POLLING_LEASE)
            others = [w for w in self.live() if w != self.id]
            if not self._polling.acquire() or others:
                self._polling.release()
                raise TelegramModeRefused(
                    f"Telegram แบบ polling รับข้อความได้ทีละโปรเซส แต่มี itabot อีก {max(len(others), 1)} ตัวใช้ฐานข้อมูลนี้อยู่: "
                    "ตั้ง TELEGRAM_WEBHOOK_URL ให้ทุกตัว (โหมด webhook) / Telegram polling allows one consumer and "
                    f"{max(len(others), 1)} other itabot worker(s) share this database: set TELEGRAM_WEBHOOK_URL on every "
                    "worker (webhook mode)"
                )
        else:
            with self.pool.connection() as conn:
                row = conn.execute("SELECT itabot_lease_held(%s)", (POLLING_LEASE,)).fetchone()
            if row and row[0]:
                raise TelegramModeRefused(
                    "มี itabot อีกตัวรับ Telegram แบบ polling อยู่ การตั้ง webhook จะตัดตัวนั้น: หยุดตัวนั้นหรือตั้ง "
                    "TELEGRAM_WEBHOOK_URL ให้ด้วย / another worker polls Telegram and a webhook would cut it off: stop it "
                    "or give it TELEGRAM_WEBHOOK_URL too"
                )
        with self.pool.connection() as conn:
            conn.execute("UPDATE workers SET telegram = %s WHERE id = %s", ("polling" if polling else "webhook", self.id))

    def leave(self) -> None:
        """A clean stop: give back our chats and reminder work at once, then our row and locks."""
        self._left = True
        try:
            with self.pool.connection() as conn, conn.transaction():
                conn.execute("UPDATE inbox_chats SET claimed_by = '', claimed_until = NULL WHERE claimed_by = %s",
                             (self.id,))
                conn.execute("UPDATE reminder_work SET claimed_by = '', claimed_until = NULL WHERE claimed_by = %s",
                             (self.id,))
                conn.execute("DELETE FROM workers WHERE id = %s", (self.id,))
        finally:
            if self._polling is not None:
                self._polling.release()
            self.liveness.release()


@dataclass(frozen=True)
class WorkClaim:
    """One organization whose due reminders a worker now sends."""

    org_id: str
    wanted_at: datetime


class PgReminderWork:
    """Reminder work per organization: requested by the planner, claimed by any worker (SKIP LOCKED)."""

    def __init__(self, pool: ConnectionPool[Connection[Any]], worker: str, lease_seconds: float = 300.0) -> None:
        self.pool = pool
        self.worker = worker
        self.lease_seconds = lease_seconds

    def request(self, org_ids: list[str]) -> None:
        """Ask for a pass over these organizations' due reminders (an open request is just moved on)."""
        if not org_ids:
            return
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO reminder_work (org_id, wanted_at) SELECT unnest(%s::text[]), clock_timestamp() "
                "ON CONFLICT (org_id) DO UPDATE SET wanted_at = EXCLUDED.wanted_at",
                (org_ids,),
            )

    def claim(self) -> WorkClaim | None:
        """The oldest open organization nobody holds; this worker holds it until `finish` (or death)."""
        with self.pool.connection() as conn, conn.transaction():
            row = conn.execute(
                # a scalar subquery runs once; joined as FROM it may be re-scanned, each scan skipping to
                # another row, and claim several organizations of which only one is returned
                "UPDATE reminder_work SET claimed_by = %s, claimed_until = now() + make_interval(secs => %s) "
                "WHERE org_id = (SELECT org_id FROM reminder_work WHERE (handled_at IS NULL OR handled_at < wanted_at) "
                "AND (claimed_until IS NULL OR claimed_until < now()) ORDER BY wanted_at, org_id LIMIT 1 "
                "FOR UPDATE SKIP LOCKED) RETURNING org_id, wanted_at",
                (self.worker, self.lease_seconds),
            ).fetchone()
        return WorkClaim(str(row[0]), row[1]) if row else None

    def finish(self, claim: WorkClaim) -> None:
        """The pass asked for at `wanted_at` is done (a newer request keeps the organization open)."""
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE reminder_work SET handled_at = %s, claimed_by = '', claimed_until = NULL "
                "WHERE org_id = %s AND claimed_by = %s",
                (claim.wanted_at, claim.org_id, self.worker),
            )

    def open_count(self) -> int:
        """Organizations still waiting for a pass (the reminder queue's depth)."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM reminder_work WHERE handled_at IS NULL OR handled_at < wanted_at"
            ).fetchone()
        return int(row[0]) if row else 0
