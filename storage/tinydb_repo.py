"""TinyDB repository: a small registry plus one file per organization and one per fiscal year."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import fcntl
import json
import os
import sys
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from tinydb import Query, TinyDB
from tinydb.storages import MemoryStorage

from .atomic import (
    AtomicJSONStorage,
    StoreCorrupted,
    atomic_write_bytes,
    file_signature,
    private_mkdir,
    remove_stale_temp_files,
    safe_json_loads,
)
from .lru import SizedLRU
from .migrate import migrate_data_dir
from .models import (
    Approval,
    Evidence,
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
from .schema import CHECKS, validator_for
from .state_store import StateStore
from .verified import VERIFIED_FILE, Verified

__all__ = ["MAX_CACHED_ROWS", "MAX_OPEN_BYTES", "TinyRepository"]

Q = Query()
T = TypeVar("T")
# What one process keeps of the files it serves; a province's hundreds of offices do not fit, so these bound
# memory (bench/memory.py) while the offices chatting at one time (tens) stay cached (telegram_throughput).
MAX_OPEN_BYTES = 48 << 20  # parsed files (and kept table texts): ~20 offices' year files after a save each
MAX_CACHED_ROWS = 10_000  # converted report rows: ~22 offices of a full year (53 measures, 5 units)
MAX_CACHED_MEASURES = 2_000  # converted plan rows: ~35 offices' plans


def _held_bytes(db: TinyDB) -> int:
    """About what an open file keeps in memory (storage/atomic.py's estimate)."""
    held = getattr(db.storage, "held_bytes", None)
    return int(held()) if held is not None else 0


def _load(cls: type[T], row: Any) -> T:
    """A record from a stored row, sharing no mutable list with TinyDB's cached data.

    Lists are copied one level deep: their items are scalars or dicts that from_dict turns into new
    objects, so a full deepcopy (the hot spot of every read) is not needed.
    """
    fast = _FAST.get(cls)
    if fast is not None:
        return fast(row)  # type: ignore[no-any-return]
    return from_dict(cls, {k: list(v) if isinstance(v, list) else v for k, v in row.items()})


def _own_list(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _fast_loader(cls: type[T], nested: dict[str, Callable[[Any], Any]] | None = None) -> Callable[[Any], T]:
    """from_dict's result for a dataclass without __post_init__, made by one positional call: a year's answers
    are converted row by row when first read, and a keyword call (or a loop over the fields) is most of that cost.

    The function is generated once per class, as dataclasses makes __init__: each field's expression reads the
    row (a missing field takes its default or a new one from its factory); lists are the caller's own, never the
    stored row's; unknown keys are ignored. A row missing a required field goes to from_dict, which refuses it.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    required = frozenset(f.name for f in fields
                         if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
    env: dict[str, Any] = {"C": cls, "M": dataclasses.MISSING, "own": _own_list}
    args = []
    for i, f in enumerate(fields):
        convert = (nested or {}).get(f.name)
        if convert is not None:
            env[f"c{i}"], wrap = convert, f"c{i}"
        else:
            wrap = "own" if str(f.type).startswith("list") else ""
        if f.name in required:
            args.append(f"{wrap}(row[{f.name!r}])")
        elif f.default_factory is not dataclasses.MISSING:
            env[f"f{i}"] = f.default_factory
            args.append(f"(f{i}() if (v := get({f.name!r}, M)) is M else {wrap}(v))")
        else:
            env[f"d{i}"] = f.default
            args.append(f"{wrap}(get({f.name!r}, d{i}))")
    source = "def make(row):\n    get = row.get\n    return C(" + ", ".join(args) + ")\n"
    exec(source, env)  # noqa: S102 - our own field names, as dataclasses does for __init__
    make = env["make"]

    def load(row: Any) -> T:
        if not required <= row.keys():
            return from_dict(cls, dict(row))  # raises what the constructor says is missing
        return make(row)  # type: ignore[no-any-return]

    return load


_load_evidence = _fast_loader(Evidence)
_FAST: dict[type, Callable[[Any], Any]] = {
    Evidence: _load_evidence,
    Measure: _fast_loader(Measure),
    ReportEntry: _fast_loader(ReportEntry, {"evidence": lambda items: [_load_evidence(e) for e in items]}),
}




def _put(table: dict[str, Any], key: str | tuple[str, ...], doc: dict[str, Any]) -> None:
    """Upsert a document into a raw TinyDB table (string ids) matched on one or more fields."""
    fields = (key,) if isinstance(key, str) else key
    for doc_id, row in table.items():
        if all(row.get(f) == doc.get(f) for f in fields):
            table[doc_id] = doc
            return
    table[str(max((int(i) for i in table), default=0) + 1)] = doc


def _safe_part(value: str) -> str:
    """Ids become file names: keep them to a harmless alphabet."""
    cleaned = "".join(c for c in value if c.isalnum() or c in "-_")
    if not cleaned:
        raise ValueError(f"bad id: {value!r}")
    return cleaned


class TinyRepository:
    """Repository on TinyDB files under a data directory (or in memory when data_dir is None)."""

    def __init__(self, data_dir: str | Path | None, max_open: int = 64, max_open_bytes: int = MAX_OPEN_BYTES,
                 max_cached_rows: int = MAX_CACHED_ROWS) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else None
        # parsed files in use order, bounded by their size (in memory nothing is dropped: it is the only copy)
        self._dbs: SizedLRU[str, TinyDB] = (
            SizedLRU(max_open_bytes, _held_bytes, count=max_open) if self.data_dir is not None
            else SizedLRU(sys.maxsize, lambda db: 0)
        )
        self._lock = threading.RLock()  # short: the open-file table, indexes and caches
        self._write_mutex = threading.RLock()  # writers of this process, one at a time (held across fsyncs)
        self._lock_fh: Any = None
        self._depth = 0
        self._ident_index: dict[tuple[str, str], tuple[str, str]] = {}
        self._ident_sig: Any = None
        # converted report rows of the most recently used year files, checked by the file's signature (a stat,
        # no parse) and bounded by rows: a province hosts hundreds of offices, and a year's answers are ~1 MB
        self._reports_cache: SizedLRU[str, tuple[Any, tuple[ReportEntry, ...]]] = SizedLRU(
            max_cached_rows, lambda item: len(item[1]))
        self._measures_cache: SizedLRU[str, tuple[Any, list[Measure]]] = SizedLRU(
            MAX_CACHED_MEASURES, lambda item: len(item[1]))
        self._local = threading.local()  # which thread holds the write lock (it reads copies)
        self._throttle: dict[str, list[float]] = {}  # in memory only when data_dir is None
        self._states = StateStore(self.data_dir)  # a step appends to its chat's file, not the office file
        self._verified = Verified(self.data_dir, CHECKS)  # files found good before: not checked again
        if self.data_dir is not None:
            private_mkdir(self.data_dir)
            with contextlib.suppress(OSError):  # private by default; a read-only mount is reported later
                os.chmod(self.data_dir, 0o700)
            remove_stale_temp_files(self.data_dir)  # left by a killed process
            migrate_data_dir(self.data_dir)  # an older release's directory is brought up to date, backup first
            self._check_all_files()
            self._states.check_all()
            self._finish_redemptions()  # complete what a crash interrupted (write-ahead records)

    # ----- files -------------------------------------------------------------------------------
    def _check_all_files(self) -> None:
        """At start, damaged files stop us: each file is hashed, and checked in full only when its bytes
        are not the ones found good before (storage/verified.py); known-good files load when first used."""
        assert self.data_dir is not None
        for rel in self._all_db_files():
            try:
                raw = (self.data_dir / rel).read_bytes()
            except OSError:
                raw = b""  # the full load below names the problem
            if not self._verified.known(rel, raw):
                self._db_at(rel)  # parse and check now: damage is reported here
        self._verified.save()

    def _all_db_files(self) -> list[str]:
        """The registry and every office's files (evidence, exports, backups and the site are not walked)."""
        assert self.data_dir is not None
        skip = {"evidence", "exports", "backups", "site", "inbox"}  # site: report/site.py
        found: list[str] = []
        for top, dirs, files in os.walk(self.data_dir):
            here = Path(top).relative_to(self.data_dir)
            if here == Path("."):
                dirs[:] = [d for d in dirs if d not in skip]
            found.extend(str(here / f) if here != Path(".") else f for f in files
                         if f.endswith(".json") and f != VERIFIED_FILE)
        return sorted(found)

    def _db_at(self, rel: str) -> TinyDB:
        with self._lock:
            db = self._dbs.get(rel)
            if db is not None:
                return db
            if self.data_dir is None:
                db = TinyDB(storage=MemoryStorage)
            else:
                db = TinyDB(
                    self.data_dir / rel, storage=AtomicJSONStorage, validate=validator_for(rel), writing=self._writing,
                    trust=lambda raw: self._verified.known(rel, raw), vouch=lambda raw: self._verified.vouch(rel, raw),
                )
                db.storage.read()  # parse now so damage is reported, not skipped
            self._dbs.put(rel, db)  # the converted caches stay: they are checked by the file's signature
            return db

    def _signature(self, rel: str) -> Any:
        """The file's signature now (a stat); None in memory, where nothing is cached by signature."""
        return file_signature(self.data_dir / rel) if self.data_dir is not None else None

    def _table(self, rel: str, name: str) -> Any:
        # cache_size=0 and no cached next id: another process may have replaced the file meanwhile
        table = self._db_at(rel).table(name, cache_size=0)
        table._next_id = None
        return table

    @staticmethod
    def _registry() -> str:
        return "registry.json"

    @staticmethod
    def _org_file(org_id: str) -> str:
        return f"orgs/{_safe_part(org_id)}/org.json"

    @staticmethod
    def _fy_file(org_id: str, fiscal_year: int) -> str:
        return f"orgs/{_safe_part(org_id)}/fy{int(fiscal_year)}.json"

    def _writing(self) -> bool:
        """True on the thread that holds the write lock."""
        return getattr(self._local, "writing", False)

    @contextmanager
    def write_lock(self) -> Iterator[None]:
        """Serialize writers in this process (RLock) and across processes (flock on data_dir/.lock).

        Readers never wait for it: a writer works on copies and publishes the file atomically.
        """
        with self._write_mutex:
            if self.data_dir is None or self._depth > 0:
                self._depth += 1
                self._local.writing = True
                try:
                    yield
                finally:
                    self._depth -= 1
                    self._local.writing = self._depth > 0
                return
            fh = open(self.data_dir / ".lock", "a+b")  # noqa: SIM115 - held for the block
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                self._depth += 1
                self._local.writing = True
                try:
                    yield
                finally:
                    self._depth -= 1
                    self._local.writing = False
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            finally:
                fh.close()

    def _upsert(self, rel: str, table: str, doc: dict[str, Any], cond: Any) -> None:
        with self.write_lock():
            self._table(rel, table).upsert(doc, cond)

    # ----- organizations ----------------------------------------------------------------------
    def list_orgs(self) -> list[Organization]:
        """Every hosted organization, oldest first."""
        rows = self._table(self._registry(), "orgs").all()
        return [_load(Organization, r) for r in rows]

    def get_org(self, org_id: str) -> Organization | None:
        """One organization by id."""
        row = self._table(self._registry(), "orgs").get(Q.id == org_id)
        return _load(Organization, row) if row else None

    def save_org(self, org: Organization) -> None:
        """Create or update an organization."""
        self._upsert(self._registry(), "orgs", to_dict(org), Q.id == org.id)

    # ----- units ------------------------------------------------------------------------------
    def list_units(self, org_id: str) -> list[Unit]:
        """Units of an organization in creation order."""
        rows = self._table(self._org_file(org_id), "units").all()
        return [_load(Unit, r) for r in rows]

    def save_unit(self, unit: Unit) -> None:
        """Create or update a unit."""
        self._upsert(self._org_file(unit.org_id), "units", to_dict(unit), Q.id == unit.id)

    # ----- officers ---------------------------------------------------------------------------
    def list_officers(self, org_id: str) -> list[Officer]:
        """People of an organization."""
        rows = self._table(self._org_file(org_id), "officers").all()
        return [_load(Officer, r) for r in rows]

    def get_officer(self, org_id: str, officer_id: str) -> Officer | None:
        """One person by id."""
        row = self._table(self._org_file(org_id), "officers").get(Q.id == officer_id)
        return _load(Officer, row) if row else None

    def save_officer(self, officer: Officer) -> None:
        """Create or update a person."""
        self._upsert(self._org_file(officer.org_id), "officers", to_dict(officer), Q.id == officer.id)

    def find_identity(self, platform: str, user_id: str) -> tuple[str, str] | None:
        """Which organization and officer a chat account belongs to (every event asks: indexed)."""
        db = self._db_at(self._registry())
        tables = db.storage.read() or {}
        sig = getattr(db.storage, "_sig", None)
        if sig is None:  # in memory: no file signature to key an index on
            row = self._table(self._registry(), "identities").get(
                (Q.platform == platform) & (Q.user_id == str(user_id))
            )
            return (row["org_id"], row["officer_id"]) if row else None
        with self._lock:
            if self._ident_sig != sig:
                rows = tables.get("identities", {}).values()
                self._ident_index = {(r["platform"], r["user_id"]): (r["org_id"], r["officer_id"]) for r in rows}
                self._ident_sig = sig
            return self._ident_index.get((platform, str(user_id)))

    def link_identity(self, platform: str, user_id: str, org_id: str, officer_id: str) -> None:
        """Point a chat account at an officer (replacing an earlier link)."""
        doc = {"platform": platform, "user_id": str(user_id), "org_id": org_id, "officer_id": officer_id}
        cond = (Q.platform == platform) & (Q.user_id == str(user_id))
        self._upsert(self._registry(), "identities", doc, cond)

    # ----- invites ----------------------------------------------------------------------------
    def get_invite(self, code: str) -> Invite | None:
        """An invite by its code."""
        row = self._table(self._registry(), "invites").get(Q.code == code)
        return _load(Invite, row) if row else None

    def save_invite(self, invite: Invite) -> None:
        """Create or update an invite."""
        self._upsert(self._registry(), "invites", to_dict(invite), Q.code == invite.code)

    def redeem_invite(self, code: str, make: Callable[[Invite | None], Officer], platform: str, user_id: str) -> Officer:
        """Check and use a one-time code under the cross-process lock, crash-safe.

        `make` sees the invite as stored now and raises to refuse it, else returns the new officer.
        One registry write marks the invite used, links the account and keeps a write-ahead copy of
        the officer; the office file then gets the officer (two writes). A crash between them is
        completed at the next start (`_finish_redemptions`); finished copies are dropped in passing.
        """
        with self.write_lock():
            invite = self.get_invite(code)
            officer = make(invite)
            assert invite is not None
            invite.used_by, invite.used_at = officer.id, invite.used_at or officer.created_at
            ident = {"platform": platform, "user_id": str(user_id), "org_id": officer.org_id, "officer_id": officer.id}

            def one_write(tables: Any) -> None:  # the registry's tables, changed together
                tables.setdefault("invites", {})
                tables.setdefault("identities", {})
                wal = tables.setdefault("redemptions", {})
                for doc_id, row in list(wal.items()):  # earlier copies whose officer is stored: done
                    if self.get_officer(row["officer"]["org_id"], row["officer_id"]) is not None:
                        del wal[doc_id]
                _put(tables["invites"], "code", to_dict(invite))
                _put(tables["identities"], ("platform", "user_id"), ident)
                _put(wal, "officer_id", {"officer_id": officer.id, "officer": to_dict(officer)})

            self._update_file(self._registry(), one_write)
            self.save_officer(officer)  # the write-ahead copy is dropped by the next redemption
        return officer

    def _finish_redemptions(self) -> None:
        """At start: save officers whose redemption a crash cut short, then drop the write-ahead copies."""
        pending = self._table(self._registry(), "redemptions").all()
        if not pending:
            return
        with self.write_lock():
            for row in self._table(self._registry(), "redemptions").all():
                officer = _load(Officer, row["officer"])
                if self.get_officer(officer.org_id, officer.id) is None:
                    self.save_officer(officer)
                self._table(self._registry(), "redemptions").remove(Q.officer_id == officer.id)

    def _update_file(self, rel: str, change: Callable[[dict[str, dict[str, Any]]], None]) -> None:
        """Change several tables of one file in ONE durable write (TinyDB writes once per table call)."""
        with self.write_lock():
            db = self._db_at(rel)
            tables = db.storage.read() or {}
            change(tables)
            db.storage.write(tables)

    # ----- plans ------------------------------------------------------------------------------
    def fiscal_years(self, org_id: str) -> list[int]:
        """Fiscal years that have a plan file."""
        if self.data_dir is None:
            prefix = f"orgs/{_safe_part(org_id)}/fy"
            years = [int(k[len(prefix) : -5]) for k in self._dbs if k.startswith(prefix)]
            return sorted(y for y in years if self.list_measures(org_id, y))
        folder = self.data_dir / "orgs" / _safe_part(org_id)
        return sorted(int(p.stem[2:]) for p in folder.glob("fy*.json") if p.stem[2:].isdigit())

    def list_measures(self, org_id: str, fiscal_year: int) -> list[Measure]:
        """The plan's measures in plan order (converted once per file version: every event reads the plan)."""
        rel = self._fy_file(org_id, fiscal_year)
        sig = self._signature(rel)  # a stat: another process may have replaced the file
        with self._lock:
            cached = self._measures_cache.get(rel)
        if sig is not None and cached is not None and cached[0] == sig:
            return [_own_measure(m) for m in cached[1]]
        table = self._table(rel, "measures")
        measures = sorted((_load(Measure, r) for r in table.all()), key=lambda m: (m.no, m.id))
        sig = getattr(self._db_at(rel).storage, "_sig", None)  # the version just read
        if sig is not None:
            with self._lock:
                self._measures_cache.put(rel, (sig, measures))
            return [_own_measure(m) for m in measures]
        return measures

    def save_measures(self, org_id: str, fiscal_year: int, measures: list[Measure]) -> None:
        """Replace the plan's measures in one atomic write (reports are untouched)."""
        docs = {str(i): to_dict(m) for i, m in enumerate(measures, 1)}

        def replace(tables: dict[str, dict[str, Any]]) -> None:
            tables["measures"] = docs  # one write: no reader or crash ever sees an empty plan

        self._update_file(self._fy_file(org_id, fiscal_year), replace)

    # ----- reports ----------------------------------------------------------------------------
    def add_report(self, entry: ReportEntry) -> ReportEntry:
        """Append a revision (once per entry id); its number follows the unit's earlier answers."""
        rel = self._fy_file(entry.org_id, entry.fiscal_year)
        with self.write_lock():
            storage = self._db_at(rel).storage
            # under the lock: the signature now is the one this write replaces; nothing below changes `tables`
            shared = storage if isinstance(storage, AtomicJSONStorage) else None
            tables = (shared.read_shared() if shared is not None else storage.read()) or {}
            before = getattr(storage, "_sig", None)
            rows: dict[str, Any] = tables.get("reports", {})
            earlier = 0
            for row in rows.values():  # one pass, no query objects: this runs on every save
                if row.get("id") == entry.id:  # the same save again (a retry after a crash or a lost reply): kept once
                    return _load(ReportEntry, row)
                if (row.get("measure_id"), row.get("round"), row.get("unit_id")) == (
                    entry.measure_id, entry.round, entry.unit_id
                ):
                    earlier += 1
            entry.revision = earlier + 1
            doc = to_dict(entry)
            doc_id = str(max((int(i) for i in rows), default=0) + 1)
            if shared is not None:  # one durable write of the year file, serializing only the new row
                shared.append_row(tables, "reports", doc_id, doc)
            else:  # copy on write: readers on other threads may be iterating `rows`
                storage.write({**tables, "reports": {**rows, doc_id: doc}})
            with self._lock:
                cached, plan = self._reports_cache.peek(rel), self._measures_cache.peek(rel)
            after = getattr(storage, "_sig", None)
            if cached is not None and before is not None and after is not None and cached[0] == before:
                self._cache_reports(rel, after, (*cached[1], _load(ReportEntry, doc)))
            if plan is not None and before is not None and after is not None and plan[0] == before:
                with self._lock:  # the plan is not in what this write changed: it stays converted
                    self._measures_cache.replace(rel, (after, plan[1]))
            with self._lock:  # the file grew (and keeps its table's text for the next append)
                self._dbs.trim()
        return entry

    def list_reports(
        self, org_id: str, fiscal_year: int, round_no: int | None = None, measure_id: str | None = None
    ) -> list[ReportEntry]:
        """Every revision, oldest first, optionally for one round and/or measure."""
        return [
            _detached(e)
            for e in self.report_snapshot(org_id, fiscal_year)
            if (round_no is None or e.round == round_no) and (measure_id is None or e.measure_id == measure_id)
        ]

    def report_snapshot(self, org_id: str, fiscal_year: int) -> tuple[ReportEntry, ...]:
        """The year's revisions, shared and read-only: the same tuple until the file changes (views cache on it)."""
        rel = self._fy_file(org_id, fiscal_year)
        sig = self._signature(rel)  # a stat, no parse: another process may have saved a report meanwhile
        with self._lock:  # engine calls run on several threads: the LRU order is shared
            cached = self._reports_cache.get(rel)
        if sig is not None and cached is not None and cached[0] == sig:
            return cached[1]
        storage = self._db_at(rel).storage
        if isinstance(storage, AtomicJSONStorage):  # the parsed rows as they are: _load copies what it keeps
            rows = ((storage.read_shared() or {}).get("reports") or {}).values()
        else:
            rows = self._table(rel, "reports").all()
        entries = tuple(_load(ReportEntry, r) for r in rows)
        sig = getattr(storage, "_sig", None)
        if sig is not None:  # converting rows is the cost of every list: keep them per file version
            self._cache_reports(rel, sig, entries)
        return entries

    def _cache_reports(self, rel: str, sig: Any, entries: tuple[ReportEntry, ...]) -> None:
        with self._lock:
            self._reports_cache.put(rel, (sig, entries))

    # ----- review decisions and approvals (append-only) ------------------------------------------
    def _append(self, org_id: str, fiscal_year: int, table: str, doc: dict[str, Any]) -> None:
        with self.write_lock():
            self._table(self._fy_file(org_id, fiscal_year), table).insert(doc)

    def _rows(self, org_id: str, fiscal_year: int, table: str, round_no: int | None) -> list[dict[str, Any]]:
        rows = self._table(self._fy_file(org_id, fiscal_year), table).all()
        return [r for r in rows if round_no is None or r.get("round_no") == round_no]

    def add_review(self, review: Review) -> None:
        """Keep one review decision (earlier ones stay: the history)."""
        self._append(review.org_id, review.fiscal_year, "reviews", to_dict(review))

    def list_reviews(self, org_id: str, fiscal_year: int, round_no: int | None = None) -> list[Review]:
        """Review decisions of a year (or one round), oldest first."""
        return [_load(Review, r) for r in self._rows(org_id, fiscal_year, "reviews", round_no)]

    def add_approval(self, approval: Approval) -> None:
        """Keep one approval decision (earlier ones stay: the history)."""
        self._append(approval.org_id, approval.fiscal_year, "approvals", to_dict(approval))

    def list_approvals(self, org_id: str, fiscal_year: int, round_no: int | None = None) -> list[Approval]:
        """Approval decisions of a year (or one round), oldest first."""
        return [_load(Approval, r) for r in self._rows(org_id, fiscal_year, "approvals", round_no)]

    # ----- conversation state -----------------------------------------------------------------
    def get_state(self, org_id: str, key: str) -> dict[str, Any] | None:
        """Where a chat account is in a conversation."""
        return self._states.get(_safe_part(org_id), key)

    def set_state(self, org_id: str, key: str, state: dict[str, Any] | None) -> None:
        """Store (or with None, forget) a chat account's conversation state: one small append, fsync'd.

        No repository lock: a chat's steps come one at a time, and its file has its own lock.
        """
        self._states.put(_safe_part(org_id), key, state)

    def list_states(self, org_id: str) -> dict[str, dict[str, Any]]:
        """Every stored conversation state of an organization by its key."""
        return self._states.all(_safe_part(org_id))

    # ----- send log and settings ---------------------------------------------------------------
    def get_send(self, org_id: str, fiscal_year: int, key: str) -> SendRecord | None:
        """A logged send by its idempotency key."""
        row = self._table(self._fy_file(org_id, fiscal_year), "sends").get(Q.key == key)
        return from_dict(SendRecord, dict(row)) if row else None

    def log_send(self, record: SendRecord) -> None:
        """Record (or update) a send attempt."""
        rel = self._fy_file(record.org_id, record.fiscal_year)
        self._upsert(rel, "sends", to_dict(record), Q.key == record.key)

    def list_sends(self, org_id: str, fiscal_year: int) -> list[SendRecord]:
        """The year's send log."""
        rows = self._table(self._fy_file(org_id, fiscal_year), "sends").all()
        return [from_dict(SendRecord, dict(r)) for r in rows]

    def get_setting(self, org_id: str, key: str, default: Any = None) -> Any:
        """A small per-organization setting (policy overrides, counters)."""
        row = self._table(self._org_file(org_id), "settings").get(Q.key == key)
        return copy.deepcopy(row["value"]) if row else default

    def set_setting(self, org_id: str, key: str, value: Any) -> None:
        """Store a per-organization setting."""
        self._upsert(self._org_file(org_id), "settings", {"key": key, "value": value}, Q.key == key)

    # ----- invite-guess throttle ---------------------------------------------------------------
    def count_failures(self, keys: list[str], since: float) -> dict[str, int]:
        """Failed invite attempts per throttle key since a time (kept across restarts and processes)."""
        hits = self._load_throttle()
        return {k: sum(1 for t in hits.get(k, []) if t >= since) for k in keys}

    def record_failure(self, keys: list[str], at: float, forget_before: float) -> None:
        """Count one failed attempt against each key; older attempts are dropped."""
        with self.write_lock():
            hits = self._load_throttle()
            for key in keys:
                hits.setdefault(key, []).append(at)
            hits = {k: kept for k, v in hits.items() if (kept := [t for t in v if t >= forget_before])}
            if self.data_dir is None:
                self._throttle = hits
            else:
                atomic_write_bytes(self.data_dir / "throttle.state", json.dumps(hits).encode("utf-8"))

    def _load_throttle(self) -> dict[str, list[float]]:
        """The throttle file (damage is refused like any other file)."""
        if self.data_dir is None:
            return {k: list(v) for k, v in self._throttle.items()}
        path = self.data_dir / "throttle.state"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        try:
            data = safe_json_loads(raw)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return {str(k): [float(t) for t in v] for k, v in data.items()}
        except (ValueError, TypeError) as exc:
            raise StoreCorrupted(path, None, str(exc)) from exc

    # ----- whole-store listing (itabot store copy) ----------------------------------------------
    def list_identities(self) -> list[tuple[str, str, str, str]]:
        """Every linked chat account as (platform, user_id, org_id, officer_id)."""
        rows = self._table(self._registry(), "identities").all()
        return [(r["platform"], r["user_id"], r["org_id"], r["officer_id"]) for r in rows]

    def list_invites(self) -> list[Invite]:
        """Every invite, used or not."""
        return [_load(Invite, r) for r in self._table(self._registry(), "invites").all()]

    def list_settings(self, org_id: str) -> dict[str, Any]:
        """Every per-organization setting by its key."""
        return {r["key"]: copy.deepcopy(r["value"]) for r in self._table(self._org_file(org_id), "settings").all()}

    def plan_stamps(self, org_ids: Sequence[str], years: Sequence[int]) -> dict[str, Hashable]:
        """Per office, the signatures of the files reminder planning reads (its office file and these
        years'): any write replaces a file and changes them. In memory there are none (always re-planned)."""
        if self.data_dir is None:
            return {}
        root = self.data_dir
        return {
            org_id: tuple(file_signature(root / rel)
                          for rel in (self._org_file(org_id), *(self._fy_file(org_id, y) for y in years)))
            for org_id in org_ids
        }

    def data_years(self, org_id: str) -> list[int]:
        """Fiscal years holding anything (a plan, reports or sends), not only those with a plan."""
        if self.data_dir is None:
            prefix = f"orgs/{_safe_part(org_id)}/fy"
            return sorted(int(k[len(prefix) : -5]) for k in self._dbs if k.startswith(prefix))
        return self.fiscal_years(org_id)  # a year file exists once anything of that year was written

    # ----- maintenance ------------------------------------------------------------------------
    def close(self) -> None:
        """Drop open handles (files are never held open); keep the record of files found good."""
        self._verified.save()
        with self._lock:
            self._dbs.clear()

    def __repr__(self) -> str:
        return f"TinyRepository({os.fspath(self.data_dir) if self.data_dir else ':memory:'})"
