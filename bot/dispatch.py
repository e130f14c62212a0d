"""Runs the durable inbox: records in, per-chat order kept, different chats at once, each marked done.

Adapters store an event with `accept` before they answer the platform (a failure there becomes a
5xx, so the platform retries), then the dispatcher hands it to the platform's processor in a task per
chat. A record is marked done once its processor returned (its replies are sent or in the outbox); on
start every unfinished record is handed over first. No task's failure goes unlogged.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from storage.inbox import Inbox, InboxRecord, InboxUnavailable

__all__ = ["Dispatcher", "Processor"]

log = logging.getLogger(__name__)

Processor = Callable[[InboxRecord], Awaitable[None]]


class Dispatcher:
    """One per process and inbox: the platforms' processors, a queue and a task per busy chat."""

    def __init__(self, inbox: Inbox | Callable[[], Inbox]) -> None:
        self._inbox: Inbox | None = None if callable(inbox) else inbox
        self._open_inbox = inbox if callable(inbox) else None
        self._processors: dict[str, Processor] = {}
        self._queues: dict[str, deque[InboxRecord]] = {}
        self._runners: dict[str, asyncio.Task[None]] = {}
        self._queued: set[str] = set()
        self._failure = ""  # why the inbox was last found unwritable ("" when fine)

    @property
    def inbox(self) -> Inbox:
        """The inbox, opened (and locked) on first use: push-only commands like `itabot remind` never do."""
        if self._inbox is None:
            assert self._open_inbox is not None
            self._inbox = self._open_inbox()
        return self._inbox

    def close(self) -> None:
        """Release the inbox if it was opened."""
        if self._inbox is not None:
            self._inbox.close()

    # ----- health ------------------------------------------------------------------------------
    async def problems(self) -> list[str]:
        """For /healthz: the inbox must be writable (re-checked with a probe after a failure)."""
        if self._failure:
            writable: bool = await asyncio.to_thread(self.inbox.probe)
            if writable:
                self._failure = ""
        return [f"inbox: {self._failure}"] if self._failure else []

    # ----- platforms ---------------------------------------------------------------------------
    def register(self, platform: str, process: Processor) -> None:
        """A platform is ready: its unfinished records (from before a restart too) go first, in order."""
        self._processors[platform] = process
        for record in self.inbox.pending():
            if record.platform == platform:
                self._enqueue(record)

    def unregister(self, platform: str) -> None:
        """A platform stopped; its records stay in the inbox for the next start."""
        self._processors.pop(platform, None)

    async def accept(self, records: list[InboxRecord]) -> list[bool]:
        """Store records durably, then queue the new ones; raises InboxUnavailable when not stored."""
        try:
            fresh = await asyncio.to_thread(self.inbox.append, records)
        except InboxUnavailable as exc:
            self._failure = str(exc)
            log.error("inbox not writable, the platform will retry: %s", exc)
            raise
        self._failure = ""
        for record, new in zip(records, fresh, strict=True):
            if new and record.platform in self._processors:
                self._enqueue(record)
        return fresh

    # ----- work --------------------------------------------------------------------------------
    def _enqueue(self, record: InboxRecord) -> None:
        """Behind the same chat's earlier records; a task starts when the chat was idle."""
        if record.key in self._queued:
            return
        self._queued.add(record.key)
        lane = f"{record.platform}:{record.chat}"
        self._queues.setdefault(lane, deque()).append(record)
        if lane not in self._runners:
            task = asyncio.get_running_loop().create_task(self._run(lane), name=f"inbox {lane}")
            self._runners[lane] = task
            task.add_done_callback(self._finished)

    async def _run(self, lane: str) -> None:
        """Process one chat's records in order until its queue is empty."""
        queue = self._queues[lane]
        try:
            while queue:
                record = queue[0]
                await self._one(record)
                queue.popleft()
                self._queued.discard(record.key)
        finally:
            self._runners.pop(lane, None)
            if not queue:
                self._queues.pop(lane, None)

    async def _one(self, record: InboxRecord) -> None:
        """Process and mark done; a failed processor is logged (its user was told by the adapter)."""
        process = self._processors.get(record.platform)
        if process is None:
            return  # the platform stopped: the record stays pending for the next start
        try:
            await process(record)
        except Exception:  # noqa: BLE001 - one bad event never stops the chat's next ones
            log.exception("inbox record %s failed", record.key)
        try:
            await asyncio.to_thread(self.inbox.done, record.key)
        except InboxUnavailable as exc:
            self._failure = str(exc)
            log.error("could not mark %s done (it may be processed again after a restart): %s", record.key, exc)

    def _finished(self, task: asyncio.Task[None]) -> None:
        """Every runner's end is looked at: nothing is left as "Task exception was never retrieved"."""
        if not task.cancelled() and task.exception() is not None:
            log.error("inbox runner %s crashed", task.get_name(), exc_info=task.exception())

    async def drain(self) -> None:
        """Wait until every queued record was processed (tests, shutdown)."""
        while self._runners:
            await asyncio.gather(*list(self._runners.values()), return_exceptions=True)

    async def stop(self, grace: float = 5.0) -> None:
        """Let running chats finish for a moment, then cancel; unfinished records stay pending."""
        if self._runners:
            try:
                await asyncio.wait_for(self.drain(), grace)
            except TimeoutError:
                log.warning("stopping with %d chat(s) unfinished; they resume at the next start", len(self._runners))
        for task in list(self._runners.values()):
            task.cancel()
        if self._runners:
            await asyncio.gather(*self._runners.values(), return_exceptions=True)
