"""Which offices may have a reminder due, re-planned only when an office's data changed.

Planning an office reads its plan, people, reports and send log and works out every round's sends;
a host of 1,000 offices did that for every office at every alarm and every 15-minute re-derive
(minutes of CPU), although at any moment few offices have anything due and fewer have changed.
The index keeps, per office, what the clock needs from its plans: the slot moments (the alarms),
the (due, expires) windows of planned sends not yet in the send log, whether the log holds sends
waiting for LINE pushes, and the policy and calendar (the sending window). An office is planned
again only when its stamp changes: a value from the repository (`plan_stamps`: file signatures on
TinyDB) that changes with anything planning reads: plan, people, settings, reports, send log; and
the reminders.toml beside the data. An office whose repository gives no stamp is planned every time,
as before. The executor still plans each selected office in full and checks the send log before
every send, so the index only decides whom to look at: it can make a tick cheaper, never send twice.
The summaries are kept in ``<data dir>/.plan_index`` with their stamps (on PostgreSQL too: the stamps come
from the database, so a worker taking the lease plans only the offices that changed since its data directory's
summaries were written), so a restart plans only the offices that changed meanwhile; the file names the scheduler code and holiday tables that made it,
and another release (or a damaged file) starts from nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import holidays

from domain.fiscal import fiscal_year_of
from domain.sends import RESULT_SENDING, RESULT_WAITING
from storage.atomic import atomic_write_bytes
from storage.clock import BANGKOK
from storage.repository import Repository

from .planner import PlannedSend
from .policy import POLICY_FILE, ReminderPolicy, policy_from_dict
from .reminders import OrgPlans, load_org_plans
from .workdays import WorkCalendar, in_quiet_window

__all__ = ["INDEX_FILE", "PlanIndex", "Stamps", "years_around"]

INDEX_FILE = ".plan_index"

log = logging.getLogger(__name__)

Stamps = Callable[[Sequence[str], Sequence[int]], dict[str, Hashable]]
"""Per office, a value that changes whenever anything its plans read changes (offices left out: unknown)."""


def years_around(now: datetime) -> tuple[int, int]:
    """The fiscal years planned at `now`: its own and the one before (its last round runs into October)."""
    fy = fiscal_year_of(now.astimezone(BANGKOK).date())
    return (fy - 1, fy)


@dataclass(frozen=True)
class _Office:
    """What the clock needs from one office's plans."""

    stamp: Hashable | None
    years: tuple[int, int]
    policy: ReminderPolicy
    calendar: WorkCalendar
    moments: tuple[datetime, ...]
    windows: tuple[tuple[datetime, datetime], ...]  # of planned sends not yet in the send log
    waiting: bool
    sending: bool = False  # the log holds a send still "sending" (a crash may have cut it)

    def may_send(self, now: datetime) -> bool:
        """Whether a run at `now` could send anything for this office."""
        if self.waiting:
            return True
        if not in_quiet_window(now, self.policy, self.calendar):
            return False
        return any(due <= now < expires for due, expires in self.windows)


def _made_by() -> str:
    """What made the summaries: this release's planning code and the holiday tables."""
    digest = hashlib.sha256(str(getattr(holidays, "__version__", "")).encode())
    for name in ("planner.py", "policy.py", "workdays.py", "reminders.py", "plan_index.py"):
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def _tuples(value: Any) -> Any:
    """JSON lists back into the tuples stamps are made of."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _dump(office: _Office) -> dict[str, Any]:
    """A summary as JSON, to outlive the process."""
    return {"stamp": office.stamp, "years": office.years, "policy": office.policy.to_dict(),
            "moments": [m.isoformat() for m in office.moments],
            "windows": [[d.isoformat(), e.isoformat()] for d, e in office.windows], "waiting": office.waiting,
            "sending": office.sending}


def _undump(row: dict[str, Any]) -> _Office:
    """A kept summary back (any damage raises, and the whole file is then ignored)."""
    policy = policy_from_dict(row["policy"])
    return _Office(_tuples(row["stamp"]), (int(row["years"][0]), int(row["years"][1])), policy,
                   WorkCalendar.for_policy(policy), tuple(datetime.fromisoformat(m) for m in row["moments"]),
                   tuple((datetime.fromisoformat(d), datetime.fromisoformat(e)) for d, e in row["windows"]),
                   bool(row["waiting"]), bool(row["sending"]))


def _summary(repo: Repository, plans: OrgPlans, stamp: Hashable | None, years: tuple[int, int]) -> _Office:
    """What the clock needs from an office's plans: alarms, windows of unsent sends, sends waiting for pushes."""
    logged: set[str] = set()
    waiting = sending = False
    for year in years:
        for record in repo.list_sends(plans.org_id, year):
            logged.add(record.key)
            waiting = waiting or record.result == RESULT_WAITING
            sending = sending or record.result == RESULT_SENDING
    sends: list[PlannedSend] = [s for rp in plans.rounds for s in rp.sends]
    windows = {(s.due, s.slot.expires) for s in sends if s.key not in logged}
    moments = {slot.due for rp in plans.rounds for slot in rp.slots}
    return _Office(stamp, years, plans.policy, plans.calendar, tuple(sorted(moments)), tuple(sorted(windows)), waiting,
                   sending)


class PlanIndex:
    """Per office, the summary of its plans, kept until its stamp changes (thread-safe)."""

    def __init__(self, repo: Repository, stamps: Stamps | None = None, keep: Path | None = None) -> None:
        self.repo = repo
        self._stamps = stamps or getattr(repo, "plan_stamps", None)
        self._offices: dict[str, _Office] = {}
        self._lock = threading.Lock()
        self.planned = 0  # offices planned since start (what the cache saves shows in the benchmark)
        self._keep = keep  # where the summaries outlive the process (None: in memory only)
        self._made_by = _made_by() if keep is not None else ""
        self._dirty = False
        if keep is not None:
            self._offices = self._load(keep)

    def _load(self, path: Path) -> dict[str, _Office]:
        """The summaries a previous run kept (nothing when missing, damaged or made by other code)."""
        try:
            doc = json.loads(path.read_bytes())
            if doc.get("made_by") != self._made_by:
                return {}
            return {str(org_id): _undump(row) for org_id, row in doc["offices"].items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
            return {}

    def save(self) -> None:
        """Keep the summaries for the next start (when anything was planned since the last save)."""
        if self._keep is None or not self._dirty:
            return
        with self._lock:
            doc = {"made_by": self._made_by, "offices": {o: _dump(v) for o, v in self._offices.items()}}
            self._dirty = False
        try:
            atomic_write_bytes(self._keep, json.dumps(doc, separators=(",", ":")).encode("utf-8"))
        except OSError:
            log.warning("could not keep the reminder plan summaries in %s", self._keep)

    def _policy_file(self) -> Hashable:
        """The shared reminders.toml is read by every office's policy: its change re-plans them all."""
        data_dir = getattr(self.repo, "data_dir", None)
        if data_dir is None:
            return None
        try:
            st = os.stat(Path(data_dir) / POLICY_FILE)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _read_stamps(self, org_ids: list[str], years: tuple[int, int]) -> dict[str, Hashable]:
        if self._stamps is None:
            return {}
        try:
            return self._stamps(org_ids, years)
        except Exception:  # without stamps every office is planned: slower, never wrong
            log.exception("reading the offices' change stamps failed")
            return {}

    def unsettled(self, now: datetime) -> list[str]:
        """Offices whose send log may hold a send a crash cut short: changed since their kept summary
        (or never summarized), or summarized with a send still "sending"; the others need no recovery."""
        years = years_around(now)
        org_ids = [o.id for o in self.repo.list_orgs()]
        stamps = self._read_stamps(org_ids, years)
        shared = self._policy_file()
        with self._lock:
            return [o for o in org_ids if (known := self._offices.get(o)) is None or known.sending
                    or o not in stamps or known.stamp != (stamps[o], shared) or known.years != years]

    def refresh(self, now: datetime) -> list[str]:
        """Bring every office up to date (planning only those that changed); the offices, in order."""
        years = years_around(now)
        org_ids = [o.id for o in self.repo.list_orgs()]
        stamps = self._read_stamps(org_ids, years)
        shared = self._policy_file()
        with self._lock:
            for org_id in org_ids:
                stamp = (stamps[org_id], shared) if org_id in stamps else None
                known = self._offices.get(org_id)
                if known is not None and stamp is not None and known.stamp == stamp and known.years == years:
                    continue
                try:
                    plans = load_org_plans(self.repo, org_id, now, years)
                    self._offices[org_id] = _summary(self.repo, plans, stamp, years)
                    self.planned += 1
                    self._dirty = True
                except Exception:  # one office's bad policy or plan must not stop the others
                    log.exception("planning reminders of %s failed", org_id)
                    self._offices.pop(org_id, None)
            for gone in set(self._offices) - set(org_ids):
                del self._offices[gone]
                self._dirty = True
        self.save()
        return org_ids

    def moments(self, now: datetime) -> list[datetime]:
        """Every future due moment of every office's plans, each once (the scheduler's alarms)."""
        self.refresh(now)
        with self._lock:
            return sorted({m for office in self._offices.values() for m in office.moments if m > now})

    def due_offices(self, now: datetime) -> list[str]:
        """Offices a run at `now` must look at: something unsent is due, sends wait for pushes, or unknown."""
        org_ids = self.refresh(now)
        with self._lock:
            return [o for o in org_ids if (office := self._offices.get(o)) is None or office.may_send(now)]
