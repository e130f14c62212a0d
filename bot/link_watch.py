"""The background link check of `itabot run`: every evidence link is checked once, off the conversation.

The queue is durable because the repository is: at start every link without a stored result (or with only
unanswered attempts) is queued, office by office as the queue empties (a province's ~100,000 links are never
held at once), and a saved answer queues its new links, so a restart drops no check.
Checks run on this event loop (aiohttp, a few at a time); repository calls run on worker threads like the
chats' own. ITABOT_LINK_CHECK=0 turns it off (bot/config.py).

Several workers on one PostgreSQL database: each checks the links of the answers it saved, but the backlog of
every office is listed by one worker only, the holder of the `link-check` lease (a worker that dies frees it and
another takes it within LEASE_RETRY_S, listing again what is still unchecked).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any, Protocol

from storage.link_checks import link_check, needs_check, save_link_check
from storage.models import ReportEntry
from storage.repository import Repository

from .linkcheck import LinkChecker
from .wiring import Services

__all__ = ["BACKLOG_LOW", "LEASE_RETRY_S", "Lease", "LinkWatch", "office_links", "unchecked_links"]

log = logging.getLogger(__name__)
LEASE_RETRY_S = 60.0  # how often a worker without the backlog's lease tries for it
BACKLOG_LOW = 200  # the next office's links are listed once fewer wait: hundreds of offices' links are never held at once


class Lease(Protocol):
    """What the backlog needs of storage/pg_lease.PgLease."""

    def acquire(self) -> bool:
        """True while this worker holds it (never waits)."""

    def release(self) -> None:
        """Give it up."""

Job = tuple[str, str, str]  # (org id, evidence id, url)


def _links(entry: ReportEntry) -> Iterator[Job]:
    for ev in entry.evidence:
        if ev.kind == "url" and ev.url:
            yield entry.org_id, ev.id, ev.url


def office_links(repo: Repository, org_id: str) -> list[Job]:
    """One office's evidence links that have no final result yet (oldest first, each once)."""
    jobs: dict[str, Job] = {}
    for fy in repo.fiscal_years(org_id):
        for entry in repo.list_reports(org_id, fy):
            for job in _links(entry):
                if job[1] not in jobs and needs_check(link_check(repo, org_id, job[1])):
                    jobs[job[1]] = job
    return list(jobs.values())


def unchecked_links(repo: Repository) -> list[Job]:
    """Every evidence link of every office that has no final result yet (oldest first, each once)."""
    jobs: dict[str, Job] = {}
    for org in repo.list_orgs():
        for job in office_links(repo, org.id):
            jobs.setdefault(job[1], job)
    return list(jobs.values())


class LinkWatch:
    """A runner component: a queue of links, a few workers, results stored with each evidence id."""

    def __init__(self, services: Services, checker: LinkChecker | None = None, workers: int = 2,
                 lease: Lease | None = None, backlog_low: int = BACKLOG_LOW) -> None:
        self.repo = services.repo
        self.clock = services.clock
        self.engine = services.engine
        self.checker = checker or LinkChecker()
        self.workers = workers
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        self._queued: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._backlog_task: asyncio.Task[Any] | None = None
        self.lease = lease  # several workers: only its holder lists every office's backlog
        self.backlog_low = backlog_low
        self._room = asyncio.Event()  # set by the workers when fewer than backlog_low links wait

    def register_routes(self, web: Any) -> None:
        """No routes: it only reads links and writes results."""

    async def start(self) -> None:
        """Queue the backlog (in the background too: a big store must not delay the chats) and start."""
        self._loop = asyncio.get_running_loop()
        self.engine.saved = self.entry_saved
        self._backlog_task = self._loop.create_task(self._backlog())
        self._tasks.append(self._backlog_task)
        self._tasks += [self._loop.create_task(self._work()) for _ in range(self.workers)]

    async def stop(self) -> None:
        """Stop checking; what is left is picked up at the next start."""
        if getattr(self.engine, "saved", None) == self.entry_saved:
            self.engine.saved = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.lease is not None:
            await asyncio.to_thread(self.lease.release)

    async def idle(self) -> None:
        """Wait until the backlog is queued and every queued link is checked (tests)."""
        if self._backlog_task is not None:
            await asyncio.wait([self._backlog_task])
        await self.queue.join()

    def entry_saved(self, entry: ReportEntry) -> None:
        """The engine saved an answer (on a worker thread): queue its links that were never checked."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # the next start picks them up from the store
        for job in _links(entry):
            loop.call_soon_threadsafe(self._offer, job)

    def _offer(self, job: Job) -> None:
        if job[1] in self._queued:
            return
        self._queued.add(job[1])
        self.queue.put_nowait(job)

    async def _backlog(self) -> None:
        while self.lease is not None and not await asyncio.to_thread(self._try_lease):
            await asyncio.sleep(LEASE_RETRY_S)  # another worker lists it; if it dies, we take over
        queued = 0
        try:
            for org in await asyncio.to_thread(self.repo.list_orgs):  # office by office, as the queue empties
                while self.queue.qsize() >= self.backlog_low:
                    self._room.clear()
                    await self._room.wait()
                jobs = await asyncio.to_thread(office_links, self.repo, org.id)
                for job in jobs:
                    self._offer(job)
                queued += len(jobs)
        except Exception:
            log.exception("listing unchecked evidence links failed")
            return
        if queued:
            log.info("link check: %d evidence link(s) queued", queued)

    def _try_lease(self) -> bool:
        assert self.lease is not None
        try:
            return self.lease.acquire()
        except Exception:  # noqa: BLE001 - the database away: try again later
            log.warning("link check: could not ask for the backlog's lease", exc_info=True)
            return False

    async def _work(self) -> None:
        while True:
            job = await self.queue.get()
            try:
                await self._check(job)
            except Exception:
                log.exception("checking an evidence link failed")
            finally:
                self.queue.task_done()
                self._queued.discard(job[1])  # checked: its result is stored, and a later offer finds it there
                if self.queue.qsize() < self.backlog_low:
                    self._room.set()

    async def _check(self, job: Job) -> None:
        """Check one link (unless a result is already stored) and store what was found in one write."""
        org_id, ev_id, url = job
        before = await asyncio.to_thread(link_check, self.repo, org_id, ev_id)
        if not needs_check(before):
            return
        stamp = self.clock.now().isoformat(timespec="seconds")
        result = await self.checker.check(url, stamp)
        record = result.to_dict()
        record["attempts"] = int((before or {}).get("attempts", 0)) + 1 if before else 1
        await asyncio.to_thread(save_link_check, self.repo, org_id, ev_id, record)
