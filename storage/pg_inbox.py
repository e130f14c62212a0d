"""Durable inbox on PostgreSQL: webhook events stored once, handed to workers one chat at a time.

A worker owns a chat by locking its `inbox_chats` row (FOR UPDATE SKIP LOCKED: other workers pass it
by) and leasing it until `claimed_until`; while the lease runs no other worker gets that chat's events,
so per-chat order holds across workers. A worker that dies is reaped at once by the others (its liveness
lock is gone, storage/pg_workers.py; the lease is the fallback) and its events are claimed again (at least
once: an event cut mid-processing is processed again).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from .pg_repo import _clean

__all__ = ["InboxRecord", "PgInbox", "relaxed_pool"]

# The hot statements below run with prepare=True: planned once per connection, not on each of its first five runs
# (psycopg's default), which for the claim's CTEs cost the database more than executing them.

_COLUMNS = "id, platform, event_id, chat_key, payload, state, received_at"
# the event and its chat's row in one statement (autocommit: stored before the platform hears 200)
_APPEND = (
    "WITH ins AS (INSERT INTO inbox (platform, event_id, chat_key, payload) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (platform, event_id) DO NOTHING RETURNING chat_key), "
    # the chat's arrivals counter bumped (its row locked until commit: a done mark racing with this waits, and sees)
    "chat AS (INSERT INTO inbox_chats (chat_key) SELECT chat_key FROM ins ON CONFLICT (chat_key) "
    "DO UPDATE SET arrivals = inbox_chats.arrivals + 1) "
    "SELECT count(*) FROM ins"
)
_CLAIM = (
    # from the open events (a small partial index), not from every chat ever seen; {only} narrows it to given chats
    "WITH chats AS (SELECT c.chat_key FROM inbox_chats c JOIN (SELECT chat_key, min(id) AS first FROM inbox "
    "WHERE state <> 'done'{only} GROUP BY chat_key) o ON o.chat_key = c.chat_key "
    "WHERE (c.claimed_until IS NULL OR c.claimed_until < now()) "
    "ORDER BY o.first LIMIT %(limit)s FOR UPDATE OF c SKIP LOCKED), "
    # the chosen chats' open events through the partial index, by key (materialized: walking the primary key in id
    # order instead, the planner's pick for ORDER BY id LIMIT, reads every event kept for redeliveries, done ones
    # included; an IN over the CTE was planned as a hash semi join over a scan of the whole inbox)
    "open AS MATERIALIZED (SELECT id FROM inbox WHERE chat_key = ANY(ARRAY(SELECT chat_key FROM chats)) "
    "AND state <> 'done'), "
    "picked AS (UPDATE inbox i SET state = 'claimed', claimed_at = now() WHERE i.id IN ("
    "SELECT id FROM open ORDER BY id LIMIT %(limit)s) "
    "RETURNING " + ", ".join("i." + c for c in _COLUMNS.split(", ")) + "), "
    # the chats' rows by key (an IN over the CTE is planned as a hash join that reads every chat ever seen)
    "held AS (UPDATE inbox_chats SET claimed_by = %(me)s, claimed_until = now() + make_interval(secs => %(lease)s) "
    "WHERE chat_key = ANY(ARRAY(SELECT DISTINCT chat_key FROM picked))) "
    "SELECT * FROM picked"
)
_CLAIM_ALL = _CLAIM.format(only="")
# a few known chats: their entries in the open-events index only (a sweep of every open event costs far more)
_CLAIM_CHATS = _CLAIM.format(only=" AND chat_key = ANY(%(chats)s)")
# within one statement the event still reads "claimed": the others are what keeps the chat held; the answer
# says whether the chat has events nobody claimed yet (they came while it was held: worth a claim right away)
_DONE = (
    "WITH d AS (UPDATE inbox SET state = 'done', done_at = now() WHERE id = %(id)s RETURNING chat_key), "
    "freed AS (UPDATE inbox_chats c SET claimed_by = '', claimed_until = NULL FROM d WHERE c.chat_key = d.chat_key "
    "AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.chat_key = d.chat_key AND i.state = 'claimed' "
    "AND i.id <> %(id)s) RETURNING 1) "
    "SELECT EXISTS (SELECT 1 FROM inbox i JOIN d ON i.chat_key = d.chat_key WHERE i.state = 'pending')"
)

# Each statement below names its chat by key: a lookup in the partial index of open events, whatever the statistics
# say (a chat taken from a CTE, `IN (SELECT … FROM cte)` or a join, was planned as a scan of the whole inbox).

# one chat's open events for this worker, if nobody holds it (the chat's row skipped when another statement locks it)
_CLAIM_ONE = (
    "WITH chat AS (SELECT chat_key FROM inbox_chats WHERE chat_key = %(chat)s "
    "AND (claimed_until IS NULL OR claimed_until < now()) FOR UPDATE SKIP LOCKED), "
    "picked AS (UPDATE inbox i SET state = 'claimed', claimed_at = now() WHERE i.chat_key = %(chat)s "
    "AND i.state <> 'done' AND EXISTS (SELECT 1 FROM chat) "
    "RETURNING " + ", ".join("i." + c for c in _COLUMNS.split(", ")) + "), "
    "held AS (UPDATE inbox_chats SET claimed_by = %(me)s, claimed_until = now() + make_interval(secs => %(lease)s) "
    "WHERE chat_key = %(chat)s AND EXISTS (SELECT 1 FROM picked)) "
    "SELECT * FROM picked"
)
# an event handled, and what comes next for its chat in the same statement: the events stored while this worker held
# it are claimed at once (the chat stays held), else the chat is released once none of its claimed events is left,
# and only if no event arrived since the statement's snapshot (storage/migrations/0006_inbox_arrivals.sql: an event
# committed meanwhile moved the counter; the lock wait re-reads the row, not the snapshot). id 0: no done mark, look
# again. The answer: the events taken (none: one row of NULLs), whether the chat was let go, whether it has other
# claimed events.
_FINISH = (
    "WITH d AS (UPDATE inbox SET state = 'done', done_at = now() WHERE id = %(id)s AND chat_key = %(chat)s "
    "RETURNING id), "
    "go AS (SELECT 1 WHERE %(id)s = 0 OR EXISTS (SELECT 1 FROM d)), "
    "seen AS (SELECT arrivals FROM inbox_chats WHERE chat_key = %(chat)s), "
    "nxt AS (UPDATE inbox i SET state = 'claimed', claimed_at = now() WHERE i.chat_key = %(chat)s "
    "AND i.state = 'pending' AND EXISTS (SELECT 1 FROM go) "
    "RETURNING " + ", ".join("i." + c for c in _COLUMNS.split(", ")) + "), "
    "busy AS (SELECT EXISTS (SELECT 1 FROM inbox i WHERE i.chat_key = %(chat)s AND i.state = 'claimed' "
    "AND i.id <> %(id)s) AS b), "
    "kept AS (UPDATE inbox_chats c SET claimed_by = '', claimed_until = NULL WHERE c.chat_key = %(chat)s "
    "AND EXISTS (SELECT 1 FROM go) AND c.arrivals = (SELECT arrivals FROM seen) AND NOT EXISTS (SELECT 1 FROM nxt) "
    "AND NOT (SELECT b FROM busy) RETURNING 1) "
    "SELECT n.*, k.released, (SELECT b FROM busy) FROM (SELECT count(*) AS released FROM kept) k "
    "LEFT JOIN nxt n ON true"
)
FINISH_LOOKS = 5  # a chat let go is looked at again at most this often in a row (events keep arriving meanwhile)


def relaxed_pool(pool: ConnectionPool[Connection[Any]], max_size: int = 4) -> ConnectionPool[Connection[Any]]:
    """A few connections beside `pool` whose commits do not wait for the WAL flush (synchronous_commit off),
    with generic plans for the prepared inbox statements."""
    conninfo = pool.conninfo if isinstance(pool.conninfo, str) else ""
    params = conninfo_to_dict(conninfo)
    # and plans made once: the claim's custom plans (psycopg prepares, the server still plans each call while custom
    # plans look cheaper) cost more than running it
    options = f"{params.get('options') or ''} -c synchronous_commit=off -c plan_cache_mode=force_generic_plan".strip()
    return ConnectionPool(make_conninfo(conninfo, options=options), min_size=1, max_size=max_size, open=True,
                          name=f"{pool.name}-relaxed", kwargs={"autocommit": True})


@dataclass(frozen=True)
class InboxRecord:
    """One received event as stored."""

    id: int
    platform: str
    event_id: str
    chat_key: str
    payload: dict[str, Any]
    state: str
    received_at: datetime


class PgInbox:
    """The inbox table: append (deduplicated), claim per chat, mark done, list what is still open."""

    def __init__(self, pool: ConnectionPool[Connection[Any]], lease_seconds: float = 60.0, worker: str = "",
                 relaxed: ConnectionPool[Connection[Any]] | None = None) -> None:
        self.pool = pool
        # claims and done marks need not wait for the disk (relaxed_pool): a database crash that forgets the last
        # few only has those events processed again, the at-least-once the inbox promises anyway; storing an
        # event (before the platform hears 200) always goes through `pool` and waits
        self.relaxed = relaxed or pool
        self.lease_seconds = lease_seconds
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"

    def append(self, platform: str, event_id: str, chat_key: str, payload: dict[str, Any]) -> bool:
        """Store an event; False when that (platform, event id) was stored before (a redelivery)."""
        with self.pool.connection() as conn:
            row = conn.execute(_APPEND, self._row(platform, event_id, chat_key, payload), prepare=True).fetchone()
        return bool(row and row[0])

    def append_many(self, events: list[tuple[str, str, str, dict[str, Any]]]) -> list[bool]:
        """Store several (platform, event id, chat, payload) events in one transaction; False for redeliveries."""
        if len(events) == 1:
            return [self.append(*events[0])]  # one statement, committed on its own: the webhook's usual case
        fresh: list[bool] = []
        with self.pool.connection() as conn, conn.transaction():
            for event in events:
                row = conn.execute(_APPEND, self._row(*event), prepare=True).fetchone()
                fresh.append(bool(row and row[0]))
        return fresh

    def append_claim(self, events: list[tuple[str, str, str, dict[str, Any]]],
                     chats: list[str]) -> tuple[list[bool], list[InboxRecord]]:
        """Store events (False for redeliveries) and, in the same transaction, claim those of `chats` nobody holds:
        the worker that took the webhook serves the chat without a claim of its own (one commit, one round trip)."""
        fresh: list[bool] = []
        claimed: list[InboxRecord] = []
        with self.pool.connection() as conn, conn.pipeline(), conn.transaction():
            appends = [conn.execute(_APPEND, self._row(*event), prepare=True) for event in events]
            claims = [conn.execute(_CLAIM_ONE, {"chat": _clean(chat), "me": self.worker, "lease": self.lease_seconds},
                                   prepare=True) for chat in chats]
            fresh = [bool(row and row[0]) for row in (cur.fetchone() for cur in appends)]
            claimed = [InboxRecord(*row) for cur in claims for row in cur.fetchall()]
        return fresh, sorted(claimed, key=lambda r: r.id)

    @staticmethod
    def _row(platform: str, event_id: str, chat_key: str, payload: dict[str, Any]) -> tuple[Any, ...]:
        return (_clean(platform), _clean(event_id), _clean(chat_key), Jsonb(_clean(payload)))

    def release(self, chat_keys: list[str]) -> None:
        """Give chats back unprocessed (this worker stops, or cannot serve their platform)."""
        with self.relaxed.connection() as conn:
            conn.execute(
                "UPDATE inbox_chats SET claimed_by = '', claimed_until = NULL WHERE chat_key = ANY(%s) AND claimed_by = %s",
                (chat_keys, self.worker),
            )

    def probe(self) -> bool:
        """Can the database take a write right now? (for /healthz after a failure)"""
        try:
            with self.pool.connection(timeout=5) as conn:
                conn.execute("SELECT 1")
        except Exception:  # noqa: BLE001 - any failure means "not now"
            return False
        return True

    def claim(self, limit: int = 100, chats: list[str] | None = None) -> list[InboxRecord]:
        """Up to `limit` open events, oldest first, from chats no other worker holds (of `chats` only, if given);
        this worker holds them.

        One statement: the chats' rows locked (SKIP LOCKED: another worker's claim passes them by), their
        open events marked claimed, the chats leased to this worker.
        """
        params: dict[str, Any] = {"limit": limit, "me": self.worker, "lease": self.lease_seconds}
        if chats is not None:
            params["chats"] = [_clean(c) for c in chats]
        with self.relaxed.connection() as conn:
            rows = conn.execute(_CLAIM_ALL if chats is None else _CLAIM_CHATS, params, prepare=True).fetchall()
        return sorted((InboxRecord(*r) for r in rows), key=lambda r: r.id)

    def mark_done(self, record_id: int) -> bool:
        """An event is handled; the chat is released once none of its other claimed events is left (one statement).

        True when the chat has events nobody claimed yet (stored while it was held): claim again soon."""
        with self.relaxed.connection() as conn:
            row = conn.execute(_DONE, {"id": record_id}, prepare=True).fetchone()
        return bool(row and row[0])

    def finish(self, record: InboxRecord) -> list[InboxRecord]:
        """An event is handled (one statement): the chat's events stored meanwhile come back claimed, in order, and
        the chat stays held for them; with none (and no other claimed event of the chat) the chat is released."""
        params = {"id": record.id, "chat": record.chat_key}
        with self.relaxed.connection() as conn:
            for _ in range(FINISH_LOOKS):
                rows = conn.execute(_FINISH, params, prepare=True).fetchall()
                taken = sorted((InboxRecord(*r[:7]) for r in rows if r[0] is not None), key=lambda r: r.id)
                released, busy = bool(rows[0][7]), bool(rows[0][8])
                if taken or released or busy:
                    return taken
                params = {"id": 0, "chat": record.chat_key}  # an event came while letting go: take it, or let go now
        # the next look sees the event that stopped the last one, so this is not reached in practice; if it were, the
        # chat must not stay held (and renewed) by a worker with nothing of it to do: let it go, the sweep takes the rest
        self.release([record.chat_key])
        return []

    def prune(self, keep_seconds: float = 86400.0) -> int:
        """Forget events done longer ago than `keep_seconds` (a platform's redeliveries come within hours)."""
        with self.relaxed.connection() as conn:
            cur = conn.execute(
                "DELETE FROM inbox WHERE state = 'done' AND done_at < now() - make_interval(secs => %s)", (keep_seconds,)
            )
        return cur.rowcount

    def pending(self) -> list[InboxRecord]:
        """Every event not yet done (pending or claimed), oldest first: the inbox's depth and backlog."""
        with self.pool.connection() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM inbox WHERE state <> 'done' ORDER BY id").fetchall()
        return [InboxRecord(*r) for r in rows]
