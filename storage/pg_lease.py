"""A named lease among workers sharing one PostgreSQL database: whoever holds it plans the reminders.

A session advisory lock on a connection of its own: the server drops it the moment that connection
ends, so a worker that dies (or loses the database) frees the lease for the others at once.
"""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg

from .factory import pool_options

__all__ = ["PgLease"]


class PgLease:
    """Try to hold `name`; `held()` says whether we still do (the connection may have gone)."""

    def __init__(self, url: str, name: str) -> None:
        self.conninfo, _, _ = pool_options(url)
        self.name = name
        self._conn: psycopg.Connection[Any] | None = None

    def acquire(self) -> bool:
        """Hold the lease if nobody does (never waits); True when this worker holds it now."""
        if self.held():
            return True
        self.release()
        try:
            self._conn = psycopg.connect(self.conninfo, autocommit=True)
            row = self._conn.execute(
                "SELECT pg_try_advisory_lock(hashtextextended('itabot-lease:' || %s, 0))", (self.name,)
            ).fetchone()
        except psycopg.OperationalError:
            self.release()
            return False
        if not row or not row[0]:
            self.release()
            return False
        return True

    def held(self) -> bool:
        """True while our connection is alive and still holds the lock."""
        if self._conn is None or self._conn.closed:
            return False
        try:
            row = self._conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
            ).fetchone()
        except psycopg.Error:
            self.release()
            return False
        return bool(row and row[0])

    def release(self) -> None:
        """Give the lease up: unlocked before the connection closes (the server ends a session a moment later)."""
        if self._conn is not None:
            try:
                if not self._conn.closed:
                    with contextlib.suppress(psycopg.Error):
                        self._conn.execute("SELECT pg_advisory_unlock_all()")
                self._conn.close()
            finally:
                self._conn = None
