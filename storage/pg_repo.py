"""PostgreSQL repository: the TinyDB repository's semantics for hosts that serve thousands of offices.

Every method is one short transaction on a pooled connection (autocommit for single statements, an
explicit transaction where one logical change takes several). Records live as typed key columns plus
the whole dataclass as JSONB, so fields other modules add to storage/models.py need no migration.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from psycopg import Connection
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from .factory import StoreUnavailable, redact_url
from .models import (
    Approval,
    Invite,
    Measure,
    Officer,
    Organization,
    ReportEntry,
    Review,
    SendRecord,
    Unit,
    from_dict,
    to_dict,
)
from .models import detached_report as _detached
from .models import own_measure as _own_measure
from .pg_schema import check_schema
from .pg_step import STEP, UNITS, Step, step_from_row
from .plan_stamps import pg_plan_stamps

__all__ = ["PgRepository"]

T = TypeVar("T")
_Year = tuple[int, int, tuple["ReportEntry", ...], tuple[int, int]]  # a cached year of answers (see _reports_cache)
REPORTS_CACHE = 1024  # (office, year) plans, unit lists and report lists kept parsed per process, at most
# revisions kept parsed per process, all offices together: ~2.4 kB each (measured on bench/workload.py's years),
# so ~240 MB at most; 200 busy offices' years of ~450 revisions fit, a few very large ones cannot crowd memory
REPORT_ROWS = 100_000
RECENT_YEARS = 4  # the fiscal years whose answers a step's first statement stamps (those read lately)
_THROTTLE_ORG, _THROTTLE_KEY = "", "invite_throttle"  # the settings row of the invite-guess throttle
_STAMP = "(SELECT {} FROM org_stamps WHERE org_id = %(o)s AND kind = '{}' AND fiscal_year = %(fy)s)"
# one snapshot: the year's stamp (storage/migrations/0005_org_stamps.sql: version, version of the last change that
# was not an append) and row count, and the rows after a seq (none: one row of NULLs carrying stamp and count)
_REPORTS_SINCE = (
    f"SELECT c.v, c.w, c.n, r.seq, r.data FROM (SELECT coalesce({_STAMP.format('version', 'r')}, 0) AS v, "
    f"coalesce({_STAMP.format('rewritten', 'r')}, 0) AS w, (SELECT count(*) FROM reports "
    "WHERE org_id = %(o)s AND fiscal_year = %(fy)s) AS n) c LEFT JOIN LATERAL (SELECT seq, data FROM reports "
    "WHERE org_id = %(o)s AND fiscal_year = %(fy)s AND seq > %(after)s ORDER BY seq) r ON true ORDER BY r.seq"
)
_REPORT_WHERE = "org_id = %(o)s AND fiscal_year = %(fy)s AND measure_id = %(m)s AND round = %(r)s AND unit_id = %(u)s"
_REPORT_LOCK = ("SELECT pg_advisory_xact_lock(hashtextextended(concat_ws(chr(31), %(o)s::text, %(fy)s::text, "
                "%(m)s::text, %(r)s::text, %(u)s::text), 0))")
# the revision saved before under this id (a retried save), else the next revision inserted: (inserted, revision, data)
_ADD_REPORT = (
    f"WITH same AS (SELECT data FROM reports WHERE {_REPORT_WHERE} AND id = %(id)s LIMIT 1), "
    f"n AS (SELECT count(*) + 1 AS revision FROM reports WHERE {_REPORT_WHERE}), "
    "ins AS (INSERT INTO reports (org_id, fiscal_year, measure_id, round, unit_id, revision, id, data) "
    "SELECT %(o)s, %(fy)s, %(m)s, %(r)s, %(u)s, n.revision, %(id)s, %(data)s || jsonb_build_object('revision', n.revision) "
    "FROM n WHERE NOT EXISTS (SELECT 1 FROM same) RETURNING revision) "
    "SELECT true, revision, NULL::jsonb FROM ins UNION ALL SELECT false, 0, data FROM same"
)
# one snapshot: the plan's stamp, and its rows only when that is not the one given
_PLAN_IF_CHANGED = (
    f"SELECT s.v, m.data FROM (SELECT coalesce({_STAMP.format('version', 'm')}, 0) AS v) s LEFT JOIN LATERAL (SELECT data FROM measures "
    "WHERE org_id = %(o)s AND fiscal_year = %(fy)s AND s.v <> %(had)s) m ON true"
)


def _clean(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL characters: drop them rather than fail a user's save."""
    if isinstance(value, dict | list):
        try:  # C-speed check of the whole document (JSON escapes NUL as \u0000); a walk only when it may hold one
            if "\\u0000" not in json.dumps(value):
                return value
        except (TypeError, ValueError):
            pass
    return _clean_walk(value)


def _clean_walk(value: Any) -> Any:
    """_clean, value by value."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {_clean_walk(k): _clean_walk(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_walk(v) for v in value]
    return value


def _json(value: Any) -> Jsonb:
    """A JSON value for a JSONB column, without NUL characters, dumped once (C speed) in the common case."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        return Jsonb(_clean_walk(value))
    if "\\u0000" in text:  # JSON escapes NUL as \u0000: only then is the value walked and cleaned
        return Jsonb(_clean_walk(value))
    return Jsonb(value, dumps=lambda _: text)


def _doc(obj: Any) -> Jsonb:
    """A dataclass as the JSONB `data` column."""
    return _json(to_dict(obj))


def _own_unit(unit: Unit) -> Unit:
    """A copy the caller may change (the cached unit stays as stored)."""
    clone = object.__new__(Unit)
    clone.__dict__.update(unit.__dict__)
    clone.aliases = list(unit.aliases)
    return clone


def _key(value: str) -> str:
    """A key column's value (typed columns reject NUL as the JSON does)."""
    return _clean(str(value))


class PgRepository:
    """Repository on PostgreSQL through a psycopg connection pool (see storage/migrations for the schema)."""

    def __init__(self, pool: ConnectionPool[Connection[Any]]) -> None:
        self.pool = pool
        self.worker = ""  # set by a registered worker (storage/pg_workers.py): its sends carry its id
        self.data_dir: Path | None = None  # this process's data directory (reminders.toml), as TinyDB's
        self._cache_lock = threading.Lock()  # engine calls run on several threads
        # (office, year) → (row count, newest seq, parsed rows in seq order, (stamp, rewritten) read with them)
        self._reports_cache: OrderedDict[tuple[str, int], _Year] = OrderedDict()
        self._report_rows = 0  # revisions held in _reports_cache: its bound (memory goes by rows, not offices)
        # (office, year) → (stamp, the plan's measures in plan order); stamps: storage/migrations/0005_org_stamps.sql
        self._plans_cache: OrderedDict[tuple[str, int], tuple[int, list[Measure]]] = OrderedDict()
        # office → (stamp, its units in creation order)
        self._units_cache: OrderedDict[str, tuple[int, tuple[Unit, ...]]] = OrderedDict()
        self._recent_years: OrderedDict[int, None] = OrderedDict()  # years whose answers were read lately
        self._local = threading.local()  # this thread's step: what find_identity read for the calls after it

    @classmethod
    def open(cls, conninfo: str, min_size: int = 1, max_size: int = 8, timeout: float = 10.0) -> PgRepository:
        """Connect, and refuse a database whose schema is not this release's (before anything is written)."""
        pool: ConnectionPool[Connection[Any]] = ConnectionPool(
            conninfo, min_size=min_size, max_size=max_size, open=False, name="itabot",
            kwargs={"autocommit": True}, timeout=timeout,
        )
        try:
            pool.open(wait=True, timeout=timeout)
        except PoolTimeout as exc:
            pool.close()
            raise StoreUnavailable(
                f"ติดต่อฐานข้อมูลไม่ได้ / cannot reach the database {redact_url(conninfo)} within {timeout:g} s"
            ) from exc
        try:
            with pool.connection() as conn:
                check_schema(conn)
        except BaseException:
            pool.close()
            raise
        return cls(pool)

    # ----- helpers ----------------------------------------------------------------------------
    def _all(self, query: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
        with self.pool.connection() as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    def _first(self, query: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> tuple[Any, ...] | None:
        with self.pool.connection() as conn:
            return conn.execute(query, params).fetchone()  # type: ignore[arg-type]

    def _run(self, query: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> None:
        with self.pool.connection() as conn:
            conn.execute(query, params)  # type: ignore[arg-type]

    def _records(self, cls: type[T], query: str, params: tuple[Any, ...] | dict[str, Any]) -> list[T]:
        return [from_dict(cls, row[0]) for row in self._all(query, params)]

    def _record(self, cls: type[T], query: str, params: tuple[Any, ...] | dict[str, Any]) -> T | None:
        row = self._first(query, params)
        return from_dict(cls, row[0]) if row else None

    def _take(self, *key: Any) -> tuple[bool, Any]:
        """An item the step's first statement read on this thread (storage/pg_step.py), once, while fresh."""
        step: Step | None = getattr(self._local, "step", None)
        return step.take(*key) if step is not None else (False, None)

    def _wrote(self, kind: str = "") -> None:
        """This thread changes one kind of item (or anything: ""): what its step read of it is not served any more."""
        step: Step | None = getattr(self._local, "step", None)
        if step is not None:
            step.forget(kind)

    def _cache_put(self, cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        with self._cache_lock:
            cache[key] = value
            cache.move_to_end(key)
            while len(cache) > REPORTS_CACHE:
                cache.popitem(last=False)

    # ----- organizations ----------------------------------------------------------------------
    def list_orgs(self) -> list[Organization]:
        """Every hosted organization, oldest first."""
        return self._records(Organization, "SELECT data FROM orgs ORDER BY seq", ())

    def get_org(self, org_id: str) -> Organization | None:
        """One organization by id."""
        hit, data = self._take("org", org_id)
        if hit:
            return from_dict(Organization, data)
        return self._record(Organization, "SELECT data FROM orgs WHERE id = %s", (org_id,))

    def save_org(self, org: Organization) -> None:
        """Create or update an organization."""
        self._wrote("org")
        self._run(
            "INSERT INTO orgs (id, data) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data",
            (_key(org.id), _doc(org)),
        )

    # ----- units ------------------------------------------------------------------------------
    def list_units(self, org_id: str) -> list[Unit]:
        """Units of an organization in creation order (parsed once per change of the office's units)."""
        hit, stamp = self._take("units", org_id)
        with self._cache_lock:
            cached = self._units_cache.get(org_id)
        if not hit or cached is None or cached[0] != stamp:
            rows = self._all(UNITS, {"o": org_id})
            cached = (int(rows[0][1]), tuple(from_dict(Unit, r[0]) for r in rows if r[0] is not None))
            self._cache_put(self._units_cache, org_id, cached)
        return [_own_unit(u) for u in cached[1]]

    def save_unit(self, unit: Unit) -> None:
        """Create or update a unit."""
        self._wrote("units")
        self._run(
            "INSERT INTO units (org_id, id, data) VALUES (%s, %s, %s) "
            "ON CONFLICT (org_id, id) DO UPDATE SET data = EXCLUDED.data",
            (_key(unit.org_id), _key(unit.id), _doc(unit)),
        )

    # ----- officers ---------------------------------------------------------------------------
    def list_officers(self, org_id: str) -> list[Officer]:
        """People of an organization."""
        return self._records(Officer, "SELECT data FROM officers WHERE org_id = %s ORDER BY seq", (org_id,))

    def get_officer(self, org_id: str, officer_id: str) -> Officer | None:
        """One person by id."""
        hit, data = self._take("officer", org_id, officer_id)
        if hit:
            return from_dict(Officer, data)
        return self._record(Officer, "SELECT data FROM officers WHERE org_id = %s AND id = %s", (org_id, officer_id))

    def save_officer(self, officer: Officer) -> None:
        """Create or update a person."""
        self._wrote("officer")
        self._run(
            "INSERT INTO officers (org_id, id, data) VALUES (%s, %s, %s) "
            "ON CONFLICT (org_id, id) DO UPDATE SET data = EXCLUDED.data",
            (_key(officer.org_id), _key(officer.id), _doc(officer)),
        )

    def find_identity(self, platform: str, user_id: str) -> tuple[str, str] | None:
        """Which organization and officer a chat account belongs to (every event asks first).

        The same statement reads what the step asks next (storage/pg_step.py): the officer, the office, the
        chat's state and the change stamps of the office's units, plans and recently read years of answers.
        """
        self._local.step = None
        with self._cache_lock:
            years = list(self._recent_years)
        state_key = f"{platform}:{user_id}"  # handlers.services.identity_key; another key is simply read apart
        row = self._first(STEP, {"key": state_key, "platform": platform, "user": _key(user_id)})
        if row is None:
            return None
        self._local.step = step_from_row(row, state_key, years)
        return (row[0], row[1])

    def link_identity(self, platform: str, user_id: str, org_id: str, officer_id: str) -> None:
        """Point a chat account at an officer (replacing an earlier link)."""
        self._wrote()
        self._run(
            "INSERT INTO identities (platform, user_id, org_id, officer_id) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (platform, user_id) DO UPDATE SET org_id = EXCLUDED.org_id, officer_id = EXCLUDED.officer_id",
            (_key(platform), _key(user_id), _key(org_id), _key(officer_id)),
        )

    # ----- invites ----------------------------------------------------------------------------
    def get_invite(self, code: str) -> Invite | None:
        """An invite by its code."""
        return self._record(Invite, "SELECT data FROM invites WHERE code = %s", (code,))

    def save_invite(self, invite: Invite) -> None:
        """Create or update an invite."""
        self._wrote()
        self._run(
            "INSERT INTO invites (code, org_id, used_by, data) VALUES (%s, %s, %s, %s) ON CONFLICT (code) "
            "DO UPDATE SET org_id = EXCLUDED.org_id, used_by = EXCLUDED.used_by, data = EXCLUDED.data",
            (_key(invite.code), _key(invite.org_id), _key(invite.used_by), _doc(invite)),
        )

    def claim_invite(self, code: str, officer_id: str, used_at: str) -> Invite | None:
        """Mark a free invite used by officer_id; None when unknown or already used (one redeemer wins)."""
        self._wrote()
        return self._record(
            Invite,
            "UPDATE invites SET used_by = %(by)s, "
            "data = data || jsonb_build_object('used_by', %(by)s::text, 'used_at', %(at)s::text) "
            "WHERE code = %(code)s AND used_by = '' RETURNING data",
            {"by": _key(officer_id), "at": _key(used_at), "code": code},
        )

    def redeem_invite(self, code: str, make: Callable[[Invite | None], Officer], platform: str, user_id: str) -> Officer:
        """Check and use a one-time code in one transaction (the invite row locked): one winner, all or nothing."""
        self._wrote()
        with self.pool.connection() as conn, conn.transaction():
            row = conn.execute("SELECT data FROM invites WHERE code = %s FOR UPDATE", (code,)).fetchone()
            invite = from_dict(Invite, row[0]) if row else None
            officer = make(invite)  # raises to refuse (unknown, used, expired)
            assert invite is not None
            invite.used_by, invite.used_at = officer.id, invite.used_at or officer.created_at
            conn.execute("UPDATE invites SET used_by = %s, data = %s WHERE code = %s",
                         (_key(officer.id), _doc(invite), code))
            conn.execute(
                "INSERT INTO officers (org_id, id, data) VALUES (%s, %s, %s) "
                "ON CONFLICT (org_id, id) DO UPDATE SET data = EXCLUDED.data",
                (_key(officer.org_id), _key(officer.id), _doc(officer)),
            )
            conn.execute(
                "INSERT INTO identities (platform, user_id, org_id, officer_id) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (platform, user_id) DO UPDATE SET org_id = EXCLUDED.org_id, officer_id = EXCLUDED.officer_id",
                (_key(platform), _key(user_id), _key(officer.org_id), _key(officer.id)),
            )
        return officer

    # ----- invite-guess throttle (one settings row, updated under a row lock) ------------------
    def count_failures(self, keys: list[str], since: float) -> dict[str, int]:
        """Failed invite attempts per throttle key since a time."""
        hits = self.get_setting(_THROTTLE_ORG, _THROTTLE_KEY, {}) or {}
        return {k: sum(1 for t in hits.get(k, []) if t >= since) for k in keys}

    def record_failure(self, keys: list[str], at: float, forget_before: float) -> None:
        """Count one failed attempt against each key; older attempts are dropped."""
        self._wrote()
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("INSERT INTO settings (org_id, key, value) VALUES (%s, %s, '{}'::jsonb) ON CONFLICT DO NOTHING",
                         (_THROTTLE_ORG, _THROTTLE_KEY))
            row = conn.execute("SELECT value FROM settings WHERE org_id = %s AND key = %s FOR UPDATE",
                               (_THROTTLE_ORG, _THROTTLE_KEY)).fetchone()
            hits: dict[str, list[float]] = dict(row[0] or {}) if row else {}
            for key in keys:
                hits.setdefault(key, []).append(at)
            kept = {k: [t for t in v if t >= forget_before] for k, v in hits.items()}
            conn.execute("UPDATE settings SET value = %s WHERE org_id = %s AND key = %s",
                         (Jsonb({k: v for k, v in kept.items() if v}), _THROTTLE_ORG, _THROTTLE_KEY))

    # ----- plans ------------------------------------------------------------------------------
    def fiscal_years(self, org_id: str) -> list[int]:
        """Fiscal years that have a plan."""
        hit, years = self._take("years", org_id)
        if hit:
            return list(years)
        rows = self._all("SELECT DISTINCT fiscal_year FROM measures WHERE org_id = %s ORDER BY 1", (org_id,))
        return [int(r[0]) for r in rows]

    def list_measures(self, org_id: str, fiscal_year: int) -> list[Measure]:
        """The plan's measures in plan order.

        Every step reads the plan; it changes only when replaced whole (save_measures), which gives its stamp a
        new version. One statement returns the stamp, and the rows themselves only when it differs from the one
        of the parsed plan kept for (office, year).
        """
        key = (org_id, int(fiscal_year))
        with self._cache_lock:
            cached = self._plans_cache.get(key)
        hit, stamp = self._take("plan", *key)
        if hit and cached is not None and stamp == cached[0]:
            with self._cache_lock:
                if key in self._plans_cache:
                    self._plans_cache.move_to_end(key)
            return [_own_measure(m) for m in cached[1]]
        had = cached[0] if cached is not None else -1
        rows = self._all(_PLAN_IF_CHANGED, {"o": org_id, "fy": key[1], "had": had})
        now = int(rows[0][0])
        if cached is not None and now == had:
            return [_own_measure(m) for m in cached[1]]
        measures = sorted((from_dict(Measure, r[1]) for r in rows if r[1] is not None), key=lambda m: (m.no, m.id))
        with self._cache_lock:
            self._plans_cache[key] = (now, measures)
            self._plans_cache.move_to_end(key)
            while len(self._plans_cache) > REPORTS_CACHE:
                self._plans_cache.popitem(last=False)
        return [_own_measure(m) for m in measures]

    def save_measures(self, org_id: str, fiscal_year: int, measures: list[Measure]) -> None:
        """Replace the plan's measures in one transaction: readers see the old plan or the new, never half."""
        self._wrote("plan")
        key = (_key(org_id), int(fiscal_year))
        with self.pool.connection() as conn, conn.transaction():  # two statements: the plan's stamp bumped twice
            conn.execute("DELETE FROM measures WHERE org_id = %s AND fiscal_year = %s", key)
            conn.execute(
                "INSERT INTO measures (org_id, fiscal_year, id, data) SELECT %s, %s, t.id, t.data "
                "FROM unnest(%s::text[], %s::jsonb[]) AS t(id, data)",
                (*key, [_key(m.id) for m in measures], [_doc(m) for m in measures]),
            )

    # ----- reports ----------------------------------------------------------------------------
    def add_report(self, entry: ReportEntry) -> ReportEntry:
        """Append a revision; its number follows the unit's earlier answers for that measure/round.

        One transaction in one round trip (a pipeline of two statements and one Sync): the advisory lock queues concurrent savers of one
        (measure, round, unit), then one statement, whose snapshot is taken after the lock and so sees the
        winner, keeps a repeated save once or inserts the next revision.
        """
        self._wrote("reports")
        key = {"o": _key(entry.org_id), "fy": int(entry.fiscal_year), "m": _key(entry.measure_id),
               "r": int(entry.round), "u": _key(entry.unit_id), "id": _key(entry.id), "data": _doc(entry)}
        with self.pool.connection() as conn:
            with conn.pipeline():  # no Sync between the two: one implicit transaction, committed at the Sync
                conn.execute(_REPORT_LOCK, key)
                cur = conn.execute(_ADD_REPORT, key)
            row = cur.fetchone()
        assert row is not None
        if not row[0]:  # the same save again (a retry after a crash or a lost reply): kept once
            return from_dict(ReportEntry, row[2])
        entry.revision = int(row[1])
        return entry

    def list_reports(
        self, org_id: str, fiscal_year: int, round_no: int | None = None, measure_id: str | None = None
    ) -> list[ReportEntry]:
        """Every revision, oldest first, optionally for one round and/or measure.

        Every conversation step reads the office's year, and reports are append-only: the parsed rows are
        kept per (office, year) and one statement returns the year's row count with only the rows newer than
        the newest kept. When the count says a row committed late behind that one (another worker's save),
        the year is read whole again; so a step parses only what other workers added since.
        """
        key = (org_id, int(fiscal_year))
        with self._cache_lock:
            cached = self._reports_cache.get(key)
        entries = self._fresh_reports(key, cached)
        return [
            _detached(e)
            for e in entries
            if (round_no is None or e.round == round_no) and (measure_id is None or e.measure_id == measure_id)
        ]

    def _fresh_reports(self, key: tuple[str, int], cached: _Year | None) -> tuple[ReportEntry, ...]:
        """The year's entries: the cached ones plus what was added since (all of them read again if need be)."""
        count, after, entries, (version, rewritten) = cached if cached is not None else (0, 0, (), (-1, -1))
        with self._cache_lock:
            self._recent_years[key[1]] = None
            self._recent_years.move_to_end(key[1])
            while len(self._recent_years) > RECENT_YEARS:
                self._recent_years.popitem(last=False)
        hit, stamp = self._take("reports", *key)
        if hit and cached is not None and stamp == version:  # the step's statement saw no change since
            return self._touched(key, entries)
        params = {"o": key[0], "fy": key[1], "after": after}
        rows = self._all(_REPORTS_SINCE, params)
        now, total, new = (int(rows[0][0]), int(rows[0][1])), int(rows[0][2]), self._rows(rows)
        if cached is not None and now[0] == version:
            return self._touched(key, entries)
        # a row committed behind the newest we had (count), or one changed or removed (rewritten): read all again
        if cached is not None and (total != count + len(new) or now[1] != rewritten):
            rows = self._all(_REPORTS_SINCE, {**params, "after": 0})
            now, total, new, entries, after = (int(rows[0][0]), int(rows[0][1])), int(rows[0][2]), self._rows(rows), (), 0
        entries = entries + tuple(from_dict(ReportEntry, data) for _, data in new)
        newest = new[-1][0] if new else after
        with self._cache_lock:
            old = self._reports_cache.pop(key, None)
            self._report_rows += len(entries) - (len(old[2]) if old is not None else 0)
            self._reports_cache[key] = (total, newest, entries, now)
            while len(self._reports_cache) > 1 and (
                self._report_rows > REPORT_ROWS or len(self._reports_cache) > REPORTS_CACHE
            ):  # the least recently read office-years go first; the one just read stays
                self._report_rows -= len(self._reports_cache.popitem(last=False)[1][2])
        return entries

    @staticmethod
    def _rows(rows: list[tuple[Any, ...]]) -> list[tuple[int, Any]]:
        """(seq, data) of the _REPORTS_SINCE rows that carry one."""
        return [(int(r[3]), r[4]) for r in rows if r[3] is not None]

    def _touched(self, key: tuple[str, int], entries: tuple[ReportEntry, ...]) -> tuple[ReportEntry, ...]:
        """The cached year, marked as read lately (the last to be dropped)."""
        with self._cache_lock:
            if key in self._reports_cache:
                self._reports_cache.move_to_end(key)
        return entries

    # ----- review decisions and approvals (append-only) ------------------------------------------
    def add_review(self, review: Review) -> None:
        """Keep one review decision (earlier ones stay: the history)."""
        self._wrote()
        self._run(
            "INSERT INTO reviews (org_id, fiscal_year, round, data) VALUES (%s, %s, %s, %s)",
            (_key(review.org_id), int(review.fiscal_year), int(review.round_no), _doc(review)),
        )

    def list_reviews(self, org_id: str, fiscal_year: int, round_no: int | None = None) -> list[Review]:
        """Review decisions of a year (or one round), oldest first."""
        return self._records(Review, self._decisions("reviews"), self._year(org_id, fiscal_year, round_no))

    def add_approval(self, approval: Approval) -> None:
        """Keep one approval decision (earlier ones stay: the history)."""
        self._wrote()
        self._run(
            "INSERT INTO approvals (org_id, fiscal_year, round, data) VALUES (%s, %s, %s, %s)",
            (_key(approval.org_id), int(approval.fiscal_year), int(approval.round_no), _doc(approval)),
        )

    def list_approvals(self, org_id: str, fiscal_year: int, round_no: int | None = None) -> list[Approval]:
        """Approval decisions of a year (or one round), oldest first."""
        return self._records(Approval, self._decisions("approvals"), self._year(org_id, fiscal_year, round_no))

    @staticmethod
    def _decisions(table: str) -> str:
        return (
            f"SELECT data FROM {table} WHERE org_id = %(org)s AND fiscal_year = %(fy)s "
            "AND (%(round)s::integer IS NULL OR round = %(round)s) ORDER BY seq"
        )

    @staticmethod
    def _year(org_id: str, fiscal_year: int, round_no: int | None) -> dict[str, Any]:
        return {"org": org_id, "fy": int(fiscal_year), "round": round_no}

    # ----- conversation state -----------------------------------------------------------------
    def get_state(self, org_id: str, key: str) -> dict[str, Any] | None:
        """Where a chat account is in a conversation."""
        hit, state = self._take("state", org_id, key)
        if hit:
            return state  # type: ignore[no-any-return]
        row = self._first("SELECT state FROM states WHERE org_id = %s AND key = %s", (org_id, key))
        return row[0] if row else None

    def set_state(self, org_id: str, key: str, state: dict[str, Any] | None) -> None:
        """Store (or with None, forget) a chat account's conversation state."""
        self._wrote("state")
        if state is None:
            self._run("DELETE FROM states WHERE org_id = %s AND key = %s", (org_id, key))
            return
        self._run(
            "INSERT INTO states (org_id, key, state) VALUES (%s, %s, %s) "
            "ON CONFLICT (org_id, key) DO UPDATE SET state = EXCLUDED.state, updated_at = now()",
            (_key(org_id), _key(key), _json(state)),
        )

    # ----- send log and settings ---------------------------------------------------------------
    def get_send(self, org_id: str, fiscal_year: int, key: str) -> SendRecord | None:
        """A logged send by its idempotency key."""
        return self._record(
            SendRecord,
            "SELECT data FROM sends WHERE org_id = %s AND fiscal_year = %s AND key = %s",
            (org_id, int(fiscal_year), key),
        )

    def log_send(self, record: SendRecord) -> None:
        """Record (or update) a send attempt."""
        self._wrote()
        self._run(
            "INSERT INTO sends (org_id, fiscal_year, key, data) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (org_id, fiscal_year, key) DO UPDATE SET data = EXCLUDED.data",
            (_key(record.org_id), int(record.fiscal_year), _key(record.key), _doc(record)),
        )

    def claim_send(self, record: SendRecord, lease_seconds: float = 300.0) -> bool:
        """Log a send as this worker's before sending it: True when the key was free or its claim expired.

        Several workers may plan the same reminder; exactly one gets True. A claim still "sending" after
        its lease (the worker died mid-batch) is handed to the next claimer; a finished one never is.
        """
        self._wrote()
        row = self._first(
            "INSERT INTO sends (org_id, fiscal_year, key, data, claimed_until, claimed_by) "
            "VALUES (%(org)s, %(fy)s, %(key)s, %(data)s, now() + make_interval(secs => %(lease)s), %(by)s) "
            "ON CONFLICT (org_id, fiscal_year, key) DO UPDATE "
            "SET data = EXCLUDED.data, claimed_until = EXCLUDED.claimed_until, claimed_by = EXCLUDED.claimed_by "
            "WHERE sends.data->>'result' = 'sending' AND sends.claimed_until < now() RETURNING 1",
            {
                "org": _key(record.org_id), "fy": int(record.fiscal_year), "key": _key(record.key),
                "data": _doc(record), "lease": float(lease_seconds), "by": self.worker,
            },
        )
        return row is not None

    def list_sends(self, org_id: str, fiscal_year: int) -> list[SendRecord]:
        """The year's send log."""
        return self._records(
            SendRecord, "SELECT data FROM sends WHERE org_id = %s AND fiscal_year = %s ORDER BY seq", (org_id, int(fiscal_year))
        )

    def get_setting(self, org_id: str, key: str, default: Any = None) -> Any:
        """A small per-organization setting (policy overrides, counters)."""
        row = self._first("SELECT value FROM settings WHERE org_id = %s AND key = %s", (org_id, key))
        return row[0] if row else default

    def set_setting(self, org_id: str, key: str, value: Any) -> None:
        """Store a per-organization setting."""
        self._wrote()
        self._run(
            "INSERT INTO settings (org_id, key, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (org_id, key) DO UPDATE SET value = EXCLUDED.value",
            (_key(org_id), _key(key), _json(value)),
        )

    # ----- whole-store listing (itabot store copy) ----------------------------------------------
    def list_identities(self) -> list[tuple[str, str, str, str]]:
        """Every linked chat account as (platform, user_id, org_id, officer_id)."""
        rows = self._all("SELECT platform, user_id, org_id, officer_id FROM identities ORDER BY platform, user_id")
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def list_invites(self) -> list[Invite]:
        """Every invite, used or not."""
        return self._records(Invite, "SELECT data FROM invites ORDER BY code", ())

    def list_states(self, org_id: str) -> dict[str, dict[str, Any]]:
        """Every stored conversation state of an organization by its key."""
        return {r[0]: r[1] for r in self._all("SELECT key, state FROM states WHERE org_id = %s", (org_id,))}

    def list_settings(self, org_id: str) -> dict[str, Any]:
        """Every per-organization setting by its key."""
        return {r[0]: r[1] for r in self._all("SELECT key, value FROM settings WHERE org_id = %s", (org_id,))}

    def count_sends(self, results: tuple[str, ...]) -> int:
        """Send-log records in any of these results, all offices and years (the outbox depth of /metrics)."""
        row = self._first("SELECT count(*) FROM sends WHERE data->>'result' = ANY(%s)", (list(results),))
        return int(row[0]) if row else 0

    def data_years(self, org_id: str) -> list[int]:
        """Fiscal years holding anything (a plan, reports or sends), not only those with a plan."""
        rows = self._all(
            "SELECT fiscal_year FROM measures WHERE org_id = %(o)s UNION SELECT fiscal_year FROM reports "
            "WHERE org_id = %(o)s UNION SELECT fiscal_year FROM sends WHERE org_id = %(o)s ORDER BY 1", {"o": org_id}
        )
        return [int(r[0]) for r in rows]

    # ----- maintenance ------------------------------------------------------------------------
    def close(self) -> None:
        """Close the pool's connections."""
        self.pool.close()

    def __repr__(self) -> str:
        conninfo = self.pool.conninfo
        return f"PgRepository({redact_url(conninfo) if isinstance(conninfo, str) else self.pool.name})"

    def plan_stamps(self, org_ids: Sequence[str], years: Sequence[int]) -> dict[str, Hashable]:
        """Offices' change stamps in one query, so the reminder planner re-plans only offices that changed."""
        return pg_plan_stamps(self.pool, org_ids, years)

    def report_snapshot(self, org_id: str, fiscal_year: int) -> tuple[ReportEntry, ...]:
        """The year's revisions, shared and read-only: the same tuple until a save (views cache on its identity)."""
        key = (org_id, int(fiscal_year))
        with self._cache_lock:
            cached = self._reports_cache.get(key)
        return self._fresh_reports(key, cached)
