"""The durable inbox shared by several `itabot run` workers on one PostgreSQL database.

Any worker accepts any webhook: `accept` stores the events (one transaction) before the platform hears
"200", and in the same transaction takes the chats nobody holds: the accepting worker serves them at once. A
chat's done mark takes the events stored for it meanwhile (storage/pg_inbox.py `finish`), and never lets the chat go
while one it could not see yet is being stored: an event whose chat another worker holds is that worker's to
serve, and no event waits for a sweep because of the race. Every worker's pump
claims what is left (a chat held elsewhere when its event came, a dead worker's chats) from the shared inbox (storage/pg_inbox.py: the chat's row locked
with FOR UPDATE SKIP LOCKED, then leased to this worker), so a chat's events are processed by one worker
at a time, in arrival order, whichever worker received them. A chat is released once its claimed events
are done; a killed worker's chats are freed by the reaper (storage/pg_workers.py) and processed by the
others: no acknowledged event is lost (at least once: an event cut mid-processing is processed again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import Any

import psycopg

from storage.inbox import InboxRecord, InboxUnavailable
from storage.pg_inbox import InboxRecord as StoredRecord
from storage.pg_inbox import PgInbox, relaxed_pool
from storage.pg_repo import PgRepository
from storage.pg_workers import PgWorkers

from .dispatch import Dispatcher, Processor
from .ratelimit import ChatRateLimiter

__all__ = ["SharedDispatcher"]

log = logging.getLogger(__name__)

CHAT_LEASE_S = 60.0  # a chat's claim; renewed while this worker lives, freed at once when it dies
REAP_EVERY_S = 1.0  # how often a worker looks for dead ones (and renews its own claims)
POLL_S = 1.0  # how often a worker sweeps the whole inbox (its own accepts and freed chats claim their chats at once)
BATCH = 64  # events claimed at once
PRUNE_EVERY_S = 600.0  # done events older than a day are deleted this often


def _chat_key(record: InboxRecord) -> str:
    return f"{record.platform}:{record.chat}"


def _record(stored: StoredRecord) -> InboxRecord:
    """The adapters' record of a stored event."""
    chat = stored.chat_key.partition(":")[2]
    return InboxRecord(stored.event_id, stored.platform, chat, dict(stored.payload))


class SharedDispatcher(Dispatcher):
    """One per worker: stores into the shared inbox, claims chats from it, a task per claimed chat."""

    def __init__(self, repo: PgRepository, url: str, poll: float = POLL_S) -> None:
        super().__init__(lambda: self._unused())
        self.repo = repo
        self.workers = PgWorkers(repo.pool, url)
        self.shared = PgInbox(repo.pool, lease_seconds=CHAT_LEASE_S, worker=self.workers.id)
        self.poll = poll
        self._registered = False
        self._closed = False  # close() was called: housekeeping must not touch the pool (or rejoin) any more
        self._wake: asyncio.Event | None = None
        self._pump: asyncio.Task[None] | None = None
        self._lanes: dict[str, deque[StoredRecord]] = {}
        self._targets: set[str] = set()  # chats to claim next (a claim of a few chats is cheap, a sweep is not)
        self._sweep = True  # the next claim looks at every open event
        self._next_sweep = 0.0
        self._next_reap = 0.0
        self._next_prune = time.monotonic() + PRUNE_EVERY_S
        self._rates: list[tuple[ChatRateLimiter, float]] = []  # Telegram's cap, split between live workers

    @staticmethod
    def _unused() -> Any:
        raise AssertionError("the shared dispatcher has no file inbox")

    @property
    def inbox(self) -> Any:
        """The shared inbox; the first use registers this process as a live worker."""
        if not self._registered:
            self.workers.register()
            self.repo.worker = self.workers.id
            if self.shared.relaxed is self.repo.pool:  # claims, done marks and renewals: no wait for the disk
                self.shared.relaxed = self.workers.relaxed = relaxed_pool(self.repo.pool)
            self._registered = True
            log.info("worker %s joined (live workers: %d)", self.workers.id, len(self.workers.live()))
        return self.shared

    def close(self) -> None:
        """Stop the pump first (its housekeeping must not run on a closing pool, nor rejoin after we left), then
        leave the workers (our chats go back at once) if we had joined."""
        self._closed = True
        if self._pump is not None:
            with contextlib.suppress(RuntimeError):  # the loop may be gone already
                self._pump.cancel()
            self._pump = None
        if self._registered:
            self._registered = False
            try:
                self.workers.leave()
            except psycopg.Error:
                log.warning("could not deregister worker %s; the others reap it", self.workers.id)
        if self.shared.relaxed is not self.repo.pool:
            self.shared.relaxed.close()

    async def problems(self) -> list[str]:
        """For /healthz: the database must take writes (re-checked after a failure)."""
        if self._failure:
            writable: bool = await asyncio.to_thread(self.shared.probe)
            if writable:
                self._failure = ""
        return [f"inbox: {self._failure}"] if self._failure else []

    # ----- platforms ---------------------------------------------------------------------------
    def register(self, platform: str, process: Processor) -> None:
        """A platform is ready; the pump starts with the first one."""
        self.inbox  # noqa: B018 - joins the workers
        self._processors[platform] = process
        if self._pump is None:
            self._wake = asyncio.Event()
            self._pump = asyncio.get_running_loop().create_task(self._run_pump(), name="shared inbox")
            self._pump.add_done_callback(self._finished)
        self._poke()

    def share_rate(self, limiter: ChatRateLimiter, total_per_second: float) -> None:
        """Keep this limiter at its share of a bot-wide cap (total ÷ live workers, re-checked every second)."""
        self._rates.append((limiter, total_per_second))

    def _split_rates(self, live: int) -> None:
        for limiter, total in self._rates:
            if total > 0:
                limiter.overall.interval = max(1, live) / total

    def _poke(self, chats: set[str] | None = None) -> None:
        """Claim soon: these chats' events, or (None) sweep the whole inbox."""
        if chats is None:
            self._sweep = True
        else:
            self._targets |= chats
        if self._wake is not None:
            self._wake.set()

    async def accept(self, records: list[InboxRecord]) -> list[bool]:
        """Store durably in the shared inbox; raises InboxUnavailable when the database did not take them."""
        rows = [(r.platform, r.key, _chat_key(r), r.payload) for r in records]
        # their chats are claimed in the same transaction, when nobody holds them (one served here may have just been
        # let go: its done mark ran before this event was stored)
        chats = sorted({_chat_key(r) for r in records if r.platform in self._processors})
        claimed: list[StoredRecord] = []
        try:
            if chats:
                fresh, claimed = await asyncio.to_thread(self.shared.append_claim, rows, chats)
            else:
                fresh = await asyncio.to_thread(self.shared.append_many, rows)
        except psycopg.Error as exc:
            self._failure = str(exc).strip()[:200] or type(exc).__name__
            log.error("shared inbox not writable, the platform will retry: %s", self._failure)
            raise InboxUnavailable(5, f"inbox not writable: {self._failure}") from exc
        self._failure = ""
        if claimed:
            self._take(claimed)  # the chats held elsewhere (or here) are served by their holder's done mark
        return fresh

    # ----- work --------------------------------------------------------------------------------
    async def _run_pump(self) -> None:
        """Claim what nobody holds, start a task per chat; look after dead workers every second."""
        assert self._wake is not None
        while True:
            await self._housekeeping()
            self._wake.clear()  # before claiming: a poke while the claim runs (a new event, a freed chat) is kept
            now = time.monotonic()
            if now >= self._next_sweep:  # every `poll` seconds, busy or not: what no poke announced (a rare race)
                self._sweep = True
            sweep, targets = self._sweep, sorted(self._targets)
            self._sweep, self._targets = False, set()
            if sweep:
                self._next_sweep = now + self.poll
            try:
                chats = None if sweep else targets
                claimed = await asyncio.to_thread(self.shared.claim, BATCH, chats) if self._processors else []
            except psycopg.Error as exc:
                log.warning("claiming from the shared inbox failed: %s", exc)
                claimed = []
            self._take(claimed)
            if len(claimed) >= BATCH:
                self._sweep = True
                continue  # a backlog: claim on at once
            wait = max(0.0, min(self._next_sweep, self._next_reap) - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _housekeeping(self) -> None:
        """Reap dead workers and renew our claims, at most every REAP_EVERY_S."""
        now = time.monotonic()
        if now < self._next_reap or self._closed:
            return
        self._next_reap = now + REAP_EVERY_S
        try:
            alive = await asyncio.to_thread(self.workers.alive)
            if self._closed:
                return  # we left while asking: not a lost lock
            if not alive:  # the database dropped our session: rejoin
                log.error("worker %s lost its liveness lock; rejoining (its chats may have been taken over)",
                          self.workers.id)
                await asyncio.to_thread(self.workers.register)
            dead, cut, chats, live = await asyncio.to_thread(self.workers.tend, CHAT_LEASE_S)  # reap + renew
            if dead:
                self._poke()  # their chats are free now
                log.warning("%d worker(s) died: %d chat(s) taken over, %d send(s) cut marked interrupted",
                            dead, chats, cut)
            if now >= self._next_prune:
                self._next_prune = now + PRUNE_EVERY_S
                await asyncio.to_thread(self.shared.prune)
            self._split_rates(live)
        except psycopg.Error as exc:
            if not self._closed:
                log.warning("worker housekeeping failed: %s", exc)

    def _take(self, claimed: list[StoredRecord]) -> None:
        """Queue claimed events behind their chat's; chats of a platform we do not serve go back."""
        foreign = sorted({r.chat_key for r in claimed if r.platform not in self._processors})
        if foreign:
            self.shared.release(foreign)
        for stored in claimed:
            if stored.platform not in self._processors:
                continue
            lane = self._lanes.setdefault(stored.chat_key, deque())
            lane.append(stored)
            if stored.chat_key not in self._runners:
                task = asyncio.get_running_loop().create_task(self._serve(stored.chat_key), name=f"chat {stored.chat_key}")
                self._runners[stored.chat_key] = task
                task.add_done_callback(self._finished)

    async def _serve(self, chat_key: str) -> None:
        """Process one claimed chat's events in order, each marked done (the last one frees the chat)."""
        lane = self._lanes[chat_key]
        more = False  # the chat may have events nobody claimed (its last done mark failed): claim it again
        try:
            while lane:
                stored = lane[0]
                process = self._processors.get(stored.platform)
                if process is not None:
                    try:
                        await process(_record(stored))
                    except Exception:  # noqa: BLE001 - one bad event never stops the chat's next ones
                        log.exception("inbox event %s failed", stored.event_id)
                try:  # the chat's events stored meanwhile come back claimed: served next, without a claim
                    lane.extend(await asyncio.to_thread(self.shared.finish, stored))
                except psycopg.Error as exc:
                    self._failure = str(exc).strip()[:200]
                    more = True  # whether the chat was released is unknown: look at it again
                    log.error("could not mark %s done (another worker may process it again): %s", stored.event_id, exc)
                lane.popleft()
        finally:
            self._runners.pop(chat_key, None)
            if not lane:
                self._lanes.pop(chat_key, None)
            if more or lane:
                self._poke({chat_key})

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming, let running chats finish for a moment, then give the rest back."""
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
            self._pump = None
        await super().stop(grace)
        left = sorted(self._lanes)
        self._lanes.clear()
        if left:
            with contextlib.suppress(psycopg.Error):
                await asyncio.to_thread(self.shared.release, left)
