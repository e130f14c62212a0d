"""Reminders with several workers on one PostgreSQL database: one plans, all send, each send once.

Whichever worker holds the lease "reminders" (an advisory lock, storage/pg_lease.py) runs the
ReminderService: its alarms and re-derives no longer send, they ask for a pass over the organizations
that have something due (`reminder_work`; scheduler/plan_index.py picks them, re-planning only offices
whose data changed). Every worker claims organizations from that table (FOR UPDATE SKIP LOCKED) and sends
their due reminders through the usual executor, whose send log is claimed per send (`claim_send`), so
each (office, round, kind, person) goes out once whichever worker gets there. A worker that dies loses
the lease (another takes over planning within LEASE_RETRY_S) and its claimed organizations (the reaper
frees them at once); a send it had in flight is marked "interrupted", never sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any

import psycopg

from scheduler.delivery import Notifier
from scheduler.reminders import run_due
from scheduler.service import ReminderService
from storage.models import SendRecord
from storage.pg_lease import PgLease
from storage.pg_workers import PgReminderWork

from .dispatch_shared import SharedDispatcher
from .round_report import ReportDocuments
from .wiring import Services

__all__ = ["LEASE_RETRY_S", "SharedReminders"]

log = logging.getLogger(__name__)

LEASE_RETRY_S = 5.0  # how soon a live worker notices that the planner is gone
WORK_POLL_S = 1.0  # idle wait for reminder work requested by the planner on another worker
REQUEST_GAP_S = 20.0  # an office asked for again this soon (an alarm and a re-derive at one minute): skipped


class SharedReminders:
    """This worker's part: plan while holding the lease; send whatever organization it claims."""

    def __init__(self, services: Services, dispatcher: SharedDispatcher, notifier: Notifier,
                 reports: ReportDocuments | None, lease_retry: float = LEASE_RETRY_S) -> None:
        self.services = services
        self.notifier = notifier
        self.reports = reports
        self.lease_retry = lease_retry
        self.work = PgReminderWork(dispatcher.repo.pool, dispatcher.workers.id)
        self.lease = PgLease(dispatcher.workers.url, "reminders")
        self.service: ReminderService | None = None
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._requested: dict[str, float] = {}  # office → when its pass was last asked for (monotonic)

    async def start(self) -> None:
        """Start competing for the lease and serving reminder work."""
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._plan(), name="reminder lease"),
                       loop.create_task(self._serve(), name="reminder work")]

    def _new_service(self) -> ReminderService:
        return ReminderService(self.services.repo, self.services.clock, self.notifier, reports=self.reports,
                               send_due=self.request_all, recover=False)  # stamps: PgRepository.plan_stamps

    async def _plan(self) -> None:
        """Hold the lease or wait for it; planning starts and stops with it."""
        while True:
            try:
                held = await asyncio.to_thread(self.lease.acquire)
            except psycopg.Error:
                held = False
            if held and self.service is None:
                log.info("reminders: this worker plans them now (lease taken)")
                service = self._new_service()
                moments = await asyncio.to_thread(service.prepare)  # every office's plan, once: off the loop
                self.service = service
                service.start(moments)
            elif not held and self.service is not None:
                log.warning("reminders: lease lost; another worker plans them")
                self.service.shutdown()
                self.service = None
            await asyncio.sleep(self.lease_retry)

    async def request_all(self, org_ids: Sequence[str] | None = None) -> list[SendRecord]:
        """A planner's tick: ask every worker to send what is due in these organizations (None: all)."""
        if org_ids is None:
            org_ids = [o.id for o in await asyncio.to_thread(self.services.repo.list_orgs)]
        now = time.monotonic()
        fresh = [o for o in org_ids if now - self._requested.get(o, -REQUEST_GAP_S) >= REQUEST_GAP_S]
        if not fresh:
            return []
        await asyncio.to_thread(self.work.request, fresh)
        self._requested.update((o, now) for o in fresh)
        self._wake.set()
        return []

    async def _serve(self) -> None:
        """Claim organizations with reminder work and send their due reminders, one after another."""
        while True:
            try:
                claim = await asyncio.to_thread(self.work.claim)
            except psycopg.Error as exc:
                log.warning("claiming reminder work failed: %s", exc)
                claim = None
            if claim is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), WORK_POLL_S)
                continue
            try:
                await run_due(self.services.repo, self.services.clock, self.notifier, org_ids=[claim.org_id],
                              reports=self.reports)
            except Exception:  # one organization's trouble must not stop this worker's reminders
                log.exception("reminders of %s failed", claim.org_id)
            try:
                await asyncio.to_thread(self.work.finish, claim)
            except psycopg.Error as exc:
                log.warning("could not finish reminder work of %s: %s", claim.org_id, exc)

    async def stop(self) -> None:
        """Stop planning and sending; the lease passes to another worker at once."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.service is not None:
            self.service.shutdown()
            self.service = None
        self.lease.release()
