"""The reminder scheduler as a runner component, plus the heads' /remind port it serves."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import IO, Any

from domain.events import Reply
from scheduler.reminders import Notifier, remind_now
from scheduler.service import ReminderService
from storage.models import Officer

from .wiring import Services

__all__ = ["ReminderComponent", "PrintNotifier", "console_remind_port"]

log = logging.getLogger(__name__)


class ReminderComponent:
    """Starts the APScheduler service last (every platform is in the outbox by then), one per data dir."""

    def __init__(self, services: Services, notifier: Notifier) -> None:
        self.services = services
        self.notifier = notifier
        # one spawned worker renders completed reports: a fork would copy PTB's threads, and rendering
        # on a thread of this process would take the GIL from the chats for ~1 s per office
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        self.service = ReminderService(services.repo, services.clock, notifier, executor=self.pool)
        self._lock_fh: IO[bytes] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def register_routes(self, web: Any) -> None:
        """No routes: reminders only send."""

    def _take_lock(self) -> bool:
        """Two schedulers on one data directory would each send: the second one stays off."""
        data_dir = self.services.data_dir
        if data_dir is None:
            return True
        fh = open(Path(data_dir) / ".scheduler.lock", "a+b")  # noqa: SIM115 - held while running
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._lock_fh = fh
        return True

    async def start(self) -> None:
        """Derive the jobs from the calendar and the stored reports, send what was missed."""
        if not self._take_lock():
            log.error("another itabot process already sends reminders for this data directory; reminders are off here")
            return
        self.service.start()
        self.services.engine.remind = self.request_remind

    async def stop(self) -> None:
        """Stop the scheduler and release the lock."""
        self.services.engine.remind = None
        self.service.shutdown()
        self.pool.shutdown(wait=False, cancel_futures=True)
        for task in list(self._tasks):
            task.cancel()
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    def request_remind(self, org_id: str, officer_id: str) -> str:
        """/remind from a head: send in the background, then tell the head the result."""
        from handlers.texts import t

        task = asyncio.get_running_loop().create_task(self._remind(org_id, officer_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
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
