"""The LINE monthly push count shared by several workers: one settings row in PostgreSQL, changed under its lock.

A file per data directory (bot/line_state.py) would let each worker count only its own pushes; here every
change (count a push, LINE said the cap is reached, adopt LINE's figures, an admin was told) reads the row
with FOR UPDATE, changes it and writes it back in one transaction, so the month's count and the notices
owed are the same for every worker and each notice is given once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from psycopg import Connection
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from storage.clock import Clock

from .line_state import PushQuota

__all__ = ["SharedPushQuota"]

T = TypeVar("T")
_ORG, _KEY = "", "line_push_quota"


class SharedPushQuota(PushQuota):
    """PushQuota whose state is the database row, re-read before every decision."""

    def __init__(self, pool: ConnectionPool[Connection[Any]], limit: int, clock: Clock, warn_ratio: float = 0.9) -> None:
        super().__init__(None, limit, clock, warn_ratio)
        self.pool = pool
        self._conn: Connection[Any] | None = None  # the connection holding the row lock, inside `_locked`

    def _read(self, conn: Connection[Any], lock: bool = False) -> dict[str, Any]:
        query = "SELECT value FROM settings WHERE org_id = %s AND key = %s" + (" FOR UPDATE" if lock else "")
        row = conn.execute(query, (_ORG, _KEY)).fetchone()
        return dict(row[0]) if row and isinstance(row[0], dict) else {}

    def _current(self) -> dict[str, Any]:
        """This month's record as stored now (started afresh when the month changed)."""
        if self._conn is None:
            with self.pool.connection() as conn:
                self._state = self._read(conn)
        return super()._current()

    def _save(self) -> None:
        if self._conn is not None:
            self._conn.execute("UPDATE settings SET value = %s WHERE org_id = %s AND key = %s",
                               (Jsonb(self._state), _ORG, _KEY))

    def _locked(self, change: Callable[[], T]) -> T:
        """Run a read-change-write of the row in one transaction, the row locked against other workers."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("INSERT INTO settings (org_id, key, value) VALUES (%s, %s, '{}'::jsonb) ON CONFLICT DO NOTHING",
                         (_ORG, _KEY))
            self._state = self._read(conn, lock=True)
            self._conn = conn
            try:
                return change()
            finally:
                self._conn = None

    def record(self) -> list[str]:
        """Count one accepted push (every worker's pushes in one count)."""
        return self._locked(super().record)

    def mark_capped(self) -> bool:
        """LINE said the monthly limit is reached; True for the one worker to whom that is news."""
        return self._locked(super().mark_capped)

    def sync(self, used_remote: int, limit_remote: int | None) -> None:
        """Adopt LINE's own figures when they are stricter."""
        self._locked(lambda: super(SharedPushQuota, self).sync(used_remote, limit_remote))

    def mark_told(self, officer_id: str, notices: list[str]) -> None:
        """Remember that an admin got these notices (once a month, whichever worker told them)."""
        self._locked(lambda: super(SharedPushQuota, self).mark_told(officer_id, notices))
