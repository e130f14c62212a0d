"""ReminderService: APScheduler 3.11 AsyncIOScheduler jobs derived from the fiscal calendar and reports.

The jobs are only alarm clocks: each one runs `tick()`, which asks the executor what is due now and
not yet in the send log (scheduler/reminders.py). All truth lives in the repository, so the
in-memory job store losing everything on restart is harmless: `start()` rebuilds the jobs from the
plans, runs one catch-up tick (a reminder missed while down goes out once if it still matters), and
a periodic job re-derives every 15 minutes so new reports, plan changes and policy edits are seen.
Both look only at what changed or is due (scheduler/plan_index.py): an office is planned again when its
data changed, and a tick runs the executor only for offices with an unsent send due (or waiting sends).
Planning runs on a worker thread, never on the event loop that answers the chats.

One ReminderService per process (APScheduler: one scheduler per process); two processes on one
data directory would each send — `itabot run` owns the scheduler. Several workers on one PostgreSQL
database run it only in the holder of the reminder lease, whose ticks hand the sending to every worker
(`send_due`, bot/reminders.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from domain.fiscal import fiscal_year_of
from storage.clock import BANGKOK, Clock
from storage.models import SendRecord
from storage.repository import Repository

from .delivery import DEFAULT_RETRY_DELAYS, Notifier, Sleep
from .messages import RoundReports
from .plan_index import INDEX_FILE, PlanIndex, Stamps
from .reminders import mark_interrupted, run_due

__all__ = ["ReminderService", "REDERIVE_JOB"]

log = logging.getLogger(__name__)

REDERIVE_JOB = "rederive"
SEND_PREFIX = "send:"

# misfire_grace_time=None: a job that fires late (event loop busy, machine suspended) still runs,
# however late — running late is safe because tick() re-checks each send's due/expires window and the
# send log, so a stale job can neither resend nor send something superseded. APScheduler's default
# (1 s) would silently drop such a wake-up instead.
# coalesce=True: if the periodic re-derive missed several runs (suspend/resume), run it once, not N
# times in a burst — every run computes the same thing.
# max_instances=1: a slow tick (retry backoff) is never overlapped by the next one.
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


class ReminderService:
    """Owns the AsyncIOScheduler that wakes the reminder executor at the planned moments."""

    def __init__(
        self,
        repo: Repository,
        clock: Clock,
        notifier: Notifier,
        *,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        sleep: Sleep = asyncio.sleep,
        rederive_minutes: int = 15,
        reports: RoundReports | None = None,
        send_due: Callable[[Sequence[str]], Awaitable[list[SendRecord]]] | None = None,
        recover: bool = True,
        stamps: Stamps | None = None,
    ) -> None:
        self._reports = reports
        self._send_due = send_due  # several workers: the tick hands the sending to them (bot/reminders.py)
        self._recover = recover  # a shared database's dead workers are recovered by the reaper instead
        self.repo = repo
        self.clock = clock
        self.notifier = notifier
        self._retry_delays = retry_delays
        self._sleep = sleep
        self._rederive_minutes = rederive_minutes
        self.scheduler = AsyncIOScheduler(timezone=BANGKOK, job_defaults=JOB_DEFAULTS)
        self._lock: asyncio.Lock | None = None
        self._catch_up: asyncio.Task[list[SendRecord]] | None = None
        data_dir = getattr(repo, "data_dir", None)  # TinyDB: the summaries outlive a restart beside the data
        keep = Path(data_dir) / INDEX_FILE if data_dir is not None and stamps is None else None
        self.index = PlanIndex(repo, stamps, keep)  # per office, re-planned only when its data changed

    # ----- lifecycle -------------------------------------------------------------------------
    def prepare(self) -> list[datetime]:
        """The slow part of a start, for a worker thread: recover cut sends, plan every office; the alarms."""
        now = self.clock.now()
        fy = fiscal_year_of(now.astimezone(BANGKOK).date())
        for org_id in self.index.unsettled(now) if self._recover else []:  # unchanged offices: nothing was cut
            cut = mark_interrupted(self.repo, org_id, (fy - 1, fy))
            if cut:
                log.warning("%s: %d send(s) cut by a crash marked interrupted", org_id, cut)
        self._recover = False  # done: a later start (lease taken again) must not repeat it
        return self.planned_moments(now)

    def start(self, moments: list[datetime] | None = None) -> None:
        """Derive the jobs, start the scheduler and send what was missed (needs a running loop).

        `moments`: what `prepare()` returned, when the caller ran it off the event loop; else it runs here."""
        self._lock = asyncio.Lock()
        if moments is None:
            moments = self.prepare()
        self.scheduler.add_job(
            self.refresh,
            CronTrigger(minute=f"*/{self._rederive_minutes}", hour="6-18", day_of_week="mon-fri", timezone=BANGKOK),
            id=REDERIVE_JOB,
            replace_existing=True,
        )
        self.rebuild(moments)
        self.scheduler.start()
        self._catch_up = asyncio.ensure_future(self.tick())

    async def ready(self) -> list[SendRecord]:
        """Wait for the catch-up run started by start(); returns what it sent."""
        return await self._catch_up if self._catch_up is not None else []

    def shutdown(self) -> None:
        """Stop the scheduler (jobs are derived again at the next start)."""
        if self._catch_up is not None and not self._catch_up.done():
            self._catch_up.cancel()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    # ----- jobs ------------------------------------------------------------------------------
    def planned_moments(self, now: datetime | None = None) -> list[datetime]:
        """Every future due moment of every organization's plans, each once (changed offices re-planned)."""
        return self.index.moments(now or self.clock.now())

    def rebuild(self, moments: list[datetime] | None = None) -> int:
        """Replace the send jobs with one DateTrigger per future due moment; returns their number."""
        for job in self.scheduler.get_jobs():
            if job.id.startswith(SEND_PREFIX):
                job.remove()
        moments = self.planned_moments() if moments is None else moments
        skew = self._skew()
        for moment in moments:
            self.scheduler.add_job(
                self.tick,
                DateTrigger(run_date=moment - skew, timezone=BANGKOK),
                id=f"{SEND_PREFIX}{moment.isoformat()}",
                replace_existing=True,
            )
        return len(moments)

    def _skew(self) -> timedelta:
        """How far the clock runs ahead of the wall clock (`itabot run --now` rehearsals): APScheduler
        fires on wall-clock time, so each alarm is set that much earlier."""
        skew = getattr(self.clock, "skew", None)
        return skew if isinstance(skew, timedelta) else timedelta(0)

    async def refresh(self) -> list[SendRecord]:
        """Periodic re-derive: pick up new reports/plans/policies, then send what is due."""
        try:
            self.rebuild(await asyncio.to_thread(self.planned_moments))
        except Exception:  # a damaged plan must not stop the reminders of everyone else
            log.exception("rebuilding reminder jobs failed")
        return await self.tick()

    async def tick(self) -> list[SendRecord]:
        """Send everything due now and not yet logged (serialized: ticks never overlap)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            try:
                now = self.clock.now()
                org_ids = await asyncio.to_thread(self.index.due_offices, now)
                if self._send_due is not None:
                    return await self._send_due(org_ids)
                return await run_due(
                    self.repo, self.clock, self.notifier, now, retry_delays=self._retry_delays, sleep=self._sleep,
                    org_ids=org_ids, reports=self._reports,
                )
            except Exception:
                log.exception("reminder run failed")
                return []
