"""Reminders waiting for LINE pushes: sent once pushes are available again, or folded, never sent twice.

An officer's reminder refused because the month's LINE pushes are used up is logged "waiting"
(scheduler/delivery.py). At every run while that person still owes the round, one reminder listing
what they owe *now* is tried again; when a newer reminder of the same round reaches them (or waits
itself), the older waiting one is "folded" into it, so a person gets one message, not two. When the
person has meanwhile reported everything, the waiting reminder is folded with nothing to send.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

from domain.sends import (
    REASON_BLOCKED,
    REASON_QUOTA,
    RESULT_FAILED,
    RESULT_FOLDED,
    RESULT_SENT,
    RESULT_WAITING,
)
from storage.clock import Clock
from storage.models import SendRecord, now_iso
from storage.repository import Repository

from .delivery import Notifier, Sleep, attempt
from .messages import MessageBuilder
from .planner import PlannedSend, RoundPlan, chain_kind, is_reachable

__all__ = ["fold_into", "retry_waiting"]

log = logging.getLogger(__name__)


def fold_into(repo: Repository, record: SendRecord) -> int:
    """A reminder that reached someone (or waits itself) takes over their older waiting ones of the round."""
    if not chain_kind(record.kind) or record.result not in (RESULT_SENT, RESULT_WAITING):
        return 0
    folded = 0
    for old in repo.list_sends(record.org_id, record.fiscal_year):
        same = old.recipient == record.recipient and old.round == record.round and old.key != record.key
        if same and old.result == RESULT_WAITING:
            old.result, old.detail = RESULT_FOLDED, f"folded into {record.kind} of {record.due[:16]}"
            repo.log_send(old)
            folded += 1
    return folded


def _latest_owed(rounds: Sequence[RoundPlan], record: SendRecord, now: datetime) -> PlannedSend | None:
    """The person's newest reminder of that round already due: what they owe today, worded for today."""
    for rp in rounds:
        if (rp.round.fiscal_year, rp.round.months) != (record.fiscal_year, record.round):
            continue
        mine = [s for s in rp.sends if s.officer.id == record.recipient and chain_kind(s.kind) and s.due <= now]
        return max(mine, key=lambda s: s.due, default=None)
    return None


async def _retry_one(
    repo: Repository, clock: Clock, notifier: Notifier, builder: MessageBuilder, send: PlannedSend,
    record: SendRecord, retry_delays: Sequence[float], sleep: Sleep,
) -> bool:
    """Try once more; True when the record changed (sent, or failed for another reason)."""
    reason, attempts, detail = await attempt(notifier, send.officer, builder.build(send), retry_delays, sleep)
    if reason == REASON_QUOTA:
        return False  # still no pushes: keep waiting, without rewriting the log every run
    record.attempts += attempts
    record.sent_at = now_iso(clock.now())
    if reason:
        record.result, record.reason, record.detail = RESULT_FAILED, reason, detail
    else:
        record.result, record.reason = RESULT_SENT, ""
        record.detail = f"sent late (LINE quota) as {send.kind}, {len(send.items)} items"
    repo.log_send(record)
    return True


async def retry_waiting(
    repo: Repository,
    clock: Clock,
    notifier: Notifier,
    builder: MessageBuilder,
    org_id: str,
    rounds: Sequence[RoundPlan],
    now: datetime,
    retry_delays: Sequence[float] = (),
    sleep: Sleep | None = None,
    fresh: frozenset[str] = frozenset(),
) -> list[SendRecord]:
    """Every waiting reminder of the organization (but those just tried: `fresh`): sent if pushes are
    back and still owed, else folded."""
    nap = sleep or asyncio.sleep
    changed: list[SendRecord] = []
    for fiscal_year in sorted({rp.round.fiscal_year for rp in rounds}):
        for record in repo.list_sends(org_id, fiscal_year):
            if record.result != RESULT_WAITING or record.key in fresh:
                continue
            send = _latest_owed(rounds, record, now)
            if send is not None:
                if await _retry_one(repo, clock, notifier, builder, send, record, retry_delays, nap):
                    changed.append(record)
                continue
            person = repo.get_officer(org_id, record.recipient)
            if person is not None and person.active and not is_reachable(person):
                record.result, record.reason = RESULT_FAILED, REASON_BLOCKED
            else:
                record.result, record.detail = RESULT_FOLDED, "no longer owed"
            repo.log_send(record)
            changed.append(record)
    return changed
