"""One delivery attempt with backoff, and how its outcome is logged: what the executor and the retry of
waiting reminders share."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from domain.events import Reply
from domain.sends import (
    REASON_PLATFORM,
    REASON_QUOTA,
    RESULT_FAILED,
    RESULT_SENT,
    RESULT_WAITING,
    Undeliverable,
)
from storage.models import Officer

from .planner import chain_kind

__all__ = ["DEFAULT_RETRY_DELAYS", "Notifier", "Sleep", "attempt", "outcome"]

log = logging.getLogger(__name__)

DEFAULT_RETRY_DELAYS: tuple[float, ...] = (2.0, 10.0, 60.0)

Sleep = Callable[[float], Awaitable[None]]


class Notifier(Protocol):
    """Delivers one Reply to one person over whichever platform they use."""

    async def send(self, officer: Officer, reply: Reply) -> bool:
        """True: the platform accepted it; False: refused. Raises domain.sends.Undeliverable with the
        reason for a permanent failure (blocked, unknown recipient, quota, no account); any other
        exception is transient and retried."""
        ...


async def attempt(
    notifier: Notifier, officer: Officer, reply: Reply, retry_delays: Sequence[float], sleep: Sleep
) -> tuple[str, int, str]:
    """Try with backoff on transient errors: (failure reason or "" when accepted, attempts, detail)."""
    detail = ""
    for number in range(1, len(retry_delays) + 2):
        try:
            ok = await notifier.send(officer, reply)
        except Undeliverable as exc:
            return exc.reason, number, str(exc)[:300]
        except Exception as exc:  # transient: retry with backoff, then give up and tell admins
            detail = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("send to %s attempt %d failed: %s", officer.id, number, detail)
            if number <= len(retry_delays):
                await sleep(retry_delays[number - 1])
                continue
            return REASON_PLATFORM, number, detail
        return ("", number, "") if ok else (REASON_PLATFORM, number, "refused by the platform")
    return REASON_PLATFORM, len(retry_delays) + 1, detail


def outcome(reason: str, kind: str) -> str:
    """The logged result: an officer's reminder stopped by the LINE quota waits; other failures are final."""
    if not reason:
        return RESULT_SENT
    return RESULT_WAITING if reason == REASON_QUOTA and chain_kind(kind) else RESULT_FAILED
