"""Reminders out of the bot: the scheduler as a runner component, `itabot remind`'s one-off run over
the same adapters, the heads' /remind port, and the console's printing notifier (demo only)."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import multiprocessing
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from domain.events import Reply
from domain.sends import RESULT_WAITING
from scheduler.reminders import Notifier, load_org_plans, remind_now, run_due
from scheduler.service import ReminderService
from storage.models import Officer, SendRecord
from storage.repository import Repository

from .config import Settings
from .outbox import OfficerNotifier, Outbox
from .round_report import ReportDocuments
from .wiring import Services

__all__ = [
    "PrintNotifier",
    "ReminderComponent",
    "SchedulerLock",
    "console_remind_port",
    "line_reminders_ahead",
    "send_due_once",
]

log = logging.getLogger(__name__)


class SchedulerLock:
    """One sender per data directory: the server's scheduler and `itabot remind` never send side by side."""

    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir
        self._fh: IO[bytes] | None = None

    def take(self) -> bool:
        """False when another process holds it (an in-memory store has nobody to race with)."""
        if self.data_dir is None:
            return True
        fh = open(Path(self.data_dir) / ".scheduler.lock", "a+b")  # noqa: SIM115 - held while sending
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        """Let the other process send."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


class ReminderComponent:
    """Starts the APScheduler service last (every platform is in the outbox by then), one per data dir."""

    def __init__(self, services: Services, notifier: Notifier, lock_retry: float = 30.0) -> None:
        self.services = services
        self.lock_retry = lock_retry
        self.notifier = notifier
        # one spawned worker renders completed reports: a fork would copy PTB's threads, and rendering
        # on a thread of this process would take the GIL from the chats for ~1 s per office
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        reports = ReportDocuments(services.repo, services.data_dir, self.pool, services.evidence.root)
        self.service = ReminderService(services.repo, services.clock, notifier, reports=reports)
        self.lock = SchedulerLock(services.data_dir)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.shared: Any = None  # several workers on PostgreSQL: bot/reminders_shared.py
        dispatcher = services.dispatcher()
        if getattr(dispatcher, "workers", None) is not None:
            from .reminders_shared import SharedReminders

            self.shared = SharedReminders(services, dispatcher, notifier, reports)  # type: ignore[arg-type]

    def register_routes(self, web: Any) -> None:
        """No routes: reminders only send."""

    async def start(self) -> None:
        """Derive the jobs from the calendar and the stored reports, send what was missed (in the background:
        the chats are answered meanwhile)."""
        if self.shared is not None:  # every worker sends; the lease holder plans
            await self.shared.start()
            self.services.engine.remind = self.request_remind
            return
        loop = asyncio.get_running_loop()
        if self.lock.take():
            self._track(loop.create_task(self._begin()))
            return
        log.warning("another itabot process sends reminders for this data directory; reminders start when it stops")
        self._track(loop.create_task(self._await_lock()))

    async def _begin(self) -> None:
        """Plan every office on a worker thread (hundreds of offices: seconds), then set the alarms."""
        moments = await asyncio.to_thread(self.service.prepare)
        self.service.start(moments)
        self.services.engine.remind = self.request_remind

    async def _await_lock(self) -> None:
        """`itabot remind` holds the lock for a minute at most; another server until it stops."""
        while not self.lock.take():
            await asyncio.sleep(self.lock_retry)
        log.info("reminders on: the lock is ours now")
        await self._begin()

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Stop the scheduler and release the lock."""
        self.services.engine.remind = None
        for task in list(self._tasks):
            task.cancel()
        if self.shared is not None:
            await self.shared.stop()
        self.service.shutdown()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.lock.release()

    def request_remind(self, org_id: str, officer_id: str) -> str:
        """/remind from a head: send in the background, then tell the head the result."""
        from handlers.texts import t

        self._track(asyncio.get_running_loop().create_task(self._remind(org_id, officer_id)))
        return t("th", "remind_started")

    async def _remind(self, org_id: str, officer_id: str) -> None:
        repo = self.services.repo
        try:
            reply = await remind_now(repo, self.services.clock, self.notifier, org_id, officer_id)
        except Exception:
            log.exception("/remind failed for %s", org_id)
            return
        head = repo.get_officer(org_id, officer_id)
        if head is not None:
            try:
                await self.notifier.send(head, reply)
            except Exception:
                log.exception("could not tell %s the /remind result", officer_id)


class PrintNotifier:
    """The console's notifier: shows what each person would receive."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    async def send(self, officer: Officer, reply: Reply) -> bool:
        """Print the message with its recipient."""
        self.out.write(f"📨 ถึง {officer.display_name}:\n{reply.text}\n\n")
        return True


def console_remind_port(services: Services, out: IO[str]) -> Any:
    """/remind in the console demo: run the same remind_now, printing instead of sending."""

    def port(org_id: str, officer_id: str) -> str:
        reply = asyncio.run(remind_now(services.repo, services.clock, PrintNotifier(out), org_id, officer_id))
        return reply.text

    return port


Stop = Callable[[], Awaitable[None]]


async def _open_senders(settings: Settings, services: Services, outbox: Outbox) -> list[Stop]:
    """The configured platforms as push-only senders in the outbox (no polling, no webhook: a running
    server keeps receiving); returns how to close each."""
    stops: list[Stop] = []
    if settings.telegram_token:
        from .runner import telegram_adapter
        from .telegram import PLATFORM

        telegram = telegram_adapter(settings, services, outbox)
        await telegram.app.initialize()
        outbox.register(PLATFORM, telegram.push)
        stops.append(telegram.app.shutdown)
    if settings.line_channel_secret and settings.line_access_token:
        from .line import line_adapter

        line = line_adapter(settings, services, outbox)
        await line.start()
        stops.append(line.stop)
    return stops


async def send_due_once(
    settings: Settings, services: Services, now: datetime, org_ids: Sequence[str] | None = None
) -> list[SendRecord] | None:
    """`itabot remind`: what the server would send at `now`, through the same adapters, rate limits, outbox,
    notifier and send log, so each reminder goes out at most once whoever gets there first.
    None when a running server holds the reminder lock (it sends them itself)."""
    lock = SchedulerLock(services.data_dir)
    if not lock.take():
        return None
    outbox = Outbox()
    stops: list[Stop] = []
    try:
        stops = await _open_senders(settings, services, outbox)
        reports = ReportDocuments(services.repo, services.data_dir, evidence_dir=services.evidence.root)
        return await run_due(services.repo, services.clock, OfficerNotifier(outbox), now, org_ids=org_ids,
                             reports=reports)
    finally:
        for stop in reversed(stops):
            try:
                await stop()
            except Exception:
                log.exception("closing a platform client failed")
        lock.release()


def _month_end(now: datetime) -> datetime:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


def _on_line(person: Officer) -> bool:
    """Whether the person's reminders go out as LINE pushes (their first active account is LINE)."""
    first = next((i for i in person.identities if i.active), None)
    return first is not None and first.platform == "line"


def line_reminders_ahead(repo: Repository, now: datetime) -> int:
    """Reminders planned from now to the month's end (with today's reports) or waiting, that need LINE pushes."""
    end = _month_end(now)
    count = 0
    for org in repo.list_orgs():
        try:
            plans = load_org_plans(repo, org.id, now)
        except Exception:  # a bad policy must not hide the quota warning
            log.exception("planning reminders of %s failed", org.id)
            continue
        count += sum(1 for rp in plans.rounds for s in rp.sends if now < s.due < end and _on_line(s.officer))
        years = {rp.round.fiscal_year for rp in plans.rounds}
        count += sum(1 for y in years for r in repo.list_sends(org.id, y) if r.result == RESULT_WAITING)
    return count
