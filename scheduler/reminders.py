"""Executor: which planned sends are due now, sending them once, and the send log that proves it.

Idempotency: every send has a deterministic key (org, FY, round, kind, recipient, due) and is written
to the send log (Repository.log_send) as "sending" *before* the notifier is called, then updated to
"sent" (only once the platform accepted it) or "failed" with its reason (domain/sends.py). A send
whose key is in the log is never attempted again, so a restart can never duplicate one; a crash in
the instant between the two writes leaves "sending", which the service marks "interrupted" at start
and shows to admins with the failures (at most once beats twice). An officer's reminder refused
because the LINE quota is used up is "waiting" instead: scheduler/waiting.py sends it once pushes
are available again, or folds it into that person's next reminder of the round.
A send missed while the bot was down is still due after restart as long as its successor in the
chain is not (see planner.Slot.expires), so it goes out once, late, or not at all if superseded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import sends as fate
from domain.events import Reply
from domain.fiscal import current_round, fiscal_year_of, get_round
from domain.sends import RESULT_FAILED, RESULT_INTERRUPTED, RESULT_SENDING, RESULT_SENT, RESULT_WAITING
from storage.clock import BANGKOK, Clock
from storage.models import SendRecord, now_iso
from storage.repository import Repository

from .delivery import DEFAULT_RETRY_DELAYS, Notifier, Sleep, attempt, outcome
from .messages import MessageBuilder, RoundReports, remind_now_reply
from .planner import AUDIENCE_OFFICERS, PlannedSend, RoundPlan, Slot, chain_kind, plan_year, send_key
from .policy import ReminderPolicy, load_policy
from .waiting import fold_into, retry_waiting
from .workdays import WorkCalendar, in_quiet_window

__all__ = [
    "KIND_REMIND_NOW",
    "RESULT_FAILED",
    "RESULT_INTERRUPTED",
    "RESULT_SENDING",
    "RESULT_SENT",
    "RESULT_WAITING",
    "Notifier",
    "OrgPlans",
    "due_sends",
    "failed_sends",
    "load_org_plans",
    "mark_interrupted",
    "remind_now",
    "run_due",
]

log = logging.getLogger(__name__)

KIND_REMIND_NOW = "remind_now"
KIND_REMIND_REQUEST = "remind_now_request"

@dataclass
class OrgPlans:
    """An organization's policy, calendar and the round plans of the fiscal years around a moment."""

    org_id: str
    policy: ReminderPolicy
    calendar: WorkCalendar
    rounds: list[RoundPlan]


def load_org_plans(repo: Repository, org_id: str, now: datetime, years: Sequence[int] | None = None) -> OrgPlans:
    """Plan the fiscal year of `now` and the one before (its last round's nudges run into October)."""
    policy = load_policy(repo, org_id)
    cal = WorkCalendar.for_policy(policy)
    fy = fiscal_year_of(now.astimezone(BANGKOK).date())
    rounds: list[RoundPlan] = []
    units = repo.list_units(org_id)
    officers = repo.list_officers(org_id)
    for year in years if years is not None else (fy - 1, fy):
        measures = repo.list_measures(org_id, year)
        if not measures:
            continue
        reports = repo.list_reports(org_id, year)
        rounds.extend(plan_year(org_id, policy, cal, year, measures, units, officers, reports))
    return OrgPlans(org_id, policy, cal, rounds)


def _logged_keys(repo: Repository, org_id: str, years: set[int]) -> set[str]:
    return {r.key for y in years for r in repo.list_sends(org_id, y)}


def due_sends(repo: Repository, org_id: str, now: datetime) -> list[PlannedSend]:
    """Sends due at `now` (due ≤ now < expires), inside the quiet window and not yet in the send log."""
    return _due(repo, org_id, now, load_org_plans(repo, org_id, now))


def _due(repo: Repository, org_id: str, now: datetime, plans: OrgPlans) -> list[PlannedSend]:
    if not in_quiet_window(now, plans.policy, plans.calendar):
        return []
    live = [s for rp in plans.rounds for s in rp.sends if s.due <= now < s.slot.expires]
    if not live:
        return []
    logged = _logged_keys(repo, org_id, {s.slot.fiscal_year for s in live})
    return sorted((s for s in live if s.key not in logged), key=lambda s: (s.due, s.kind, s.officer.id))


async def _deliver(
    repo: Repository,
    clock: Clock,
    notifier: Notifier,
    send: PlannedSend,
    reply: Reply,
    retry_delays: Sequence[float],
    sleep: Sleep,
) -> SendRecord | None:
    """Log "sending", try with backoff on transient errors, log the final result (None: already logged)."""
    slot = send.slot
    record = SendRecord(
        key=send.key, org_id=send.org_id, fiscal_year=slot.fiscal_year, round=slot.round, kind=send.kind,
        recipient=send.officer.id, due=now_iso(send.due), result=RESULT_SENDING, attempts=0,
        detail=f"{len(send.items)} items",
    )
    claim = getattr(repo, "claim_send", None)  # a shared database: one worker wins the send atomically
    if claim is not None:
        if not claim(record):
            return None  # another worker (or tick) got there first
    elif repo.get_send(send.org_id, slot.fiscal_year, send.key) is not None:
        return None  # another tick got there first
    else:
        repo.log_send(record)
    reason, record.attempts, detail = await attempt(notifier, send.officer, reply, retry_delays, sleep)
    record.result, record.reason = outcome(reason, send.kind), reason
    record.detail = detail or record.detail
    record.sent_at = now_iso(clock.now())
    repo.log_send(record)
    return record


async def run_due(
    repo: Repository,
    clock: Clock,
    notifier: Notifier,
    now: datetime | None = None,
    *,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    sleep: Sleep = asyncio.sleep,
    org_ids: Sequence[str] | None = None,
    reports: RoundReports | None = None,
) -> list[SendRecord]:
    """Send everything due for every organization (or the given ones); returns the log records written.

    Reminders waiting for the LINE quota go out too (or fold into a due reminder of the same round).
    """
    now = now or clock.now()
    builder = MessageBuilder(repo, now, reports)
    done: list[SendRecord] = []
    for org_id in org_ids if org_ids is not None else [o.id for o in repo.list_orgs()]:
        try:
            plans = load_org_plans(repo, org_id, now)
            sends = _due(repo, org_id, now, plans)
        except Exception:  # one organization's bad policy or plan must not silence the others
            log.exception("planning reminders of %s failed", org_id)
            continue
        tried: set[str] = set()
        for send in sends:
            rec = await _deliver(repo, clock, notifier, send, await builder.abuild(send), retry_delays, sleep)
            if rec is not None:
                fold_into(repo, rec)
                done.append(rec)
                tried.add(rec.key)
        if in_quiet_window(now, plans.policy, plans.calendar):
            done.extend(await retry_waiting(repo, clock, notifier, builder, org_id, plans.rounds, now,
                                            retry_delays, sleep, frozenset(tried)))
        await asyncio.sleep(0)  # hundreds of offices: let chats be answered between them
    return done


def failed_sends(repo: Repository, org_id: str, fiscal_year: int) -> list[SendRecord]:
    """Sends that did not reach their person (final failures, crashes, waiting for quota), for admins."""
    return fate.failed_sends(repo.list_sends(org_id, fiscal_year))


def mark_interrupted(repo: Repository, org_id: str, fiscal_years: Sequence[int]) -> int:
    """At start: a "sending" left by a crash becomes "interrupted" (never resent, shown to admins)."""
    count = 0
    for year in fiscal_years:
        for rec in repo.list_sends(org_id, year):
            if rec.result == RESULT_SENDING:
                rec.result = RESULT_INTERRUPTED
                repo.log_send(rec)
                count += 1
    return count


def _live_rounds(plans: OrgPlans, now: datetime) -> list[RoundPlan]:
    """Rounds whose officers' chain is running now; else the round whose window holds today."""
    live = []
    for rp in plans.rounds:
        chain = [s for s in rp.slots if chain_kind(s.kind)]
        if chain and chain[0].due <= now < chain[-1].expires:
            live.append(rp)
    if live:
        return live
    rnd = current_round(now.astimezone(BANGKOK).date())
    return [rp for rp in plans.rounds if rp.round == rnd]


async def remind_now(
    repo: Repository,
    clock: Clock,
    notifier: Notifier,
    org_id: str,
    requested_by: str,
    *,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    sleep: Sleep = asyncio.sleep,
) -> Reply:
    """A head's /remind: send the current round's pending reminders now, at most once a day."""
    now = clock.now().astimezone(BANGKOK).replace(second=0, microsecond=0)
    plans = load_org_plans(repo, org_id, now)
    policy = plans.policy
    if not in_quiet_window(now, policy, plans.calendar):
        hours = f"{policy.quiet_start:%H:%M}–{policy.quiet_end:%H:%M} น."
        return remind_now_reply(None, outside_hours=hours)
    today = now.date()
    fy = fiscal_year_of(today)
    midnight = datetime.combine(today, datetime.min.time(), tzinfo=BANGKOK)
    marker_key = send_key(org_id, fy, 0, KIND_REMIND_REQUEST, org_id, midnight)
    if repo.get_send(org_id, fy, marker_key) is not None:
        return remind_now_reply(None, already_today=True)
    repo.log_send(SendRecord(
        key=marker_key, org_id=org_id, fiscal_year=fy, round=0, kind=KIND_REMIND_REQUEST, recipient=org_id,
        due=now_iso(midnight), result=RESULT_SENT, sent_at=now_iso(clock.now()), detail=f"by {requested_by}",
    ))
    builder = MessageBuilder(repo, now)
    records: list[SendRecord] = []
    for rp in _live_rounds(plans, now):
        rnd = get_round(rp.round.fiscal_year, rp.round.months)
        slot = Slot(rnd.fiscal_year, rnd.months, KIND_REMIND_NOW, now, now + timedelta(days=1),
                    AUDIENCE_OFFICERS, rnd.end)
        pending = {s.officer.id: s for s in rp.sends if chain_kind(s.kind)}
        for example in pending.values():
            send = PlannedSend(org_id, slot, KIND_REMIND_NOW, example.officer, example.items)
            rec = await _deliver(repo, clock, notifier, send, builder.build(send), retry_delays, sleep)
            if rec is not None:
                fold_into(repo, rec)
                records.append(rec)
    return remind_now_reply(fate.fate(records))
