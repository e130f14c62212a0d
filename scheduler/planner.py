"""Pure planning: from policy, calendar, plan, people and reports, the sends each round calls for.

Nothing here reads the clock or the repository, so a whole fiscal year can be planned (and tested)
from plain data. The executor (scheduler/reminders.py) decides which planned sends are due.

Who hears what:
- What is owed comes from domain.status: a (measure, unit) is pending while the unit has no answer
  of the round itself (any answer counts, done or not done; an earlier round's answer carried
  forward still waits for a confirmation or an update).
- Reminders (round_open, remind_T-n, overdue_n) go to active people who report for a unit (the
  officer role, whatever other roles they hold: domain.people) and have at least one active chat
  identity, for what *their* units owe — one message per officer listing all of it, never one per
  measure. An officer whose units have answered everything gets nothing.
- Digests go to heads (domain.people): a head of some units gets those units and their sections
  (kind digest_unit); an admin, or a head of no particular unit, gets every unit (kind digest_org).
  A head whose units owe nothing gets no digest.
- When every responsible unit has answered every monitored measure of a round, every head (unit and
  organization) gets the compiled report once (complete_report).

When (see scheduler/policy.py for the numbers): the round opens N days before its end; reminders N
days before it and on the day itself; overdue nudges every k working days counted from the deadline;
digests after the T-1 reminder (same morning, a little later) and on the first working day after the
deadline. A date on a weekend or holiday moves to the previous working day; if two reminders then
fall on the same day only the later one (nearer the deadline) is kept. Each send is live from its
due time until the next send of its chain is due ("expires"): a send missed while the bot was down
is sent late only while it still matters, and never after its successor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from domain import people
from domain.fiscal import Round, rounds_of
from domain.status import MeasureStatus, round_statuses
from storage.models import Measure, Officer, ReportEntry, Unit

from .policy import ReminderPolicy
from .workdays import WorkCalendar, at_bangkok, next_open_moment

__all__ = [
    "AUDIENCE_HEADS",
    "AUDIENCE_OFFICERS",
    "KIND_COMPLETE",
    "KIND_DIGEST",
    "KIND_DIGEST_ORG",
    "KIND_DIGEST_UNIT",
    "KIND_OPEN",
    "PendingItem",
    "PlannedSend",
    "RoundPlan",
    "Slot",
    "chain_kind",
    "is_org_head",
    "is_reachable",
    "pending_items",
    "plan_round",
    "plan_year",
    "round_slots",
    "send_key",
]

KIND_OPEN = "round_open"
KIND_DIGEST = "digest"  # a slot kind; each head's send is digest_unit or digest_org
KIND_DIGEST_UNIT = "digest_unit"
KIND_DIGEST_ORG = "digest_org"
KIND_COMPLETE = "complete_report"
AUDIENCE_OFFICERS = "officers"
AUDIENCE_HEADS = "heads"
COMPLETE_LIFETIME = timedelta(days=90)


def remind_kind(days_before: int) -> str:
    """"remind_T-7" … "remind_T0"."""
    return "remind_T0" if days_before == 0 else f"remind_T-{days_before}"


def overdue_kind(n: int) -> str:
    """"overdue_1" …"""
    return f"overdue_{n}"


def chain_kind(kind: str) -> bool:
    """True for the officers' chain: round_open, remind_*, overdue_*."""
    return kind == KIND_OPEN or kind.startswith(("remind_", "overdue_"))


@dataclass(frozen=True)
class Slot:
    """A moment the policy plans in a round, whoever turns out to receive it."""

    fiscal_year: int
    round: int
    kind: str
    due: datetime
    expires: datetime
    audience: str
    deadline: date


@dataclass(frozen=True)
class PendingItem:
    """A measure a unit still owes in the round."""

    measure: Measure
    unit: Unit


@dataclass
class PlannedSend:
    """One message to one person: the slot, the person's kind of it and what they are told about."""

    org_id: str
    slot: Slot
    kind: str
    officer: Officer
    items: list[PendingItem] = field(default_factory=list)

    @property
    def due(self) -> datetime:
        """When it should go out."""
        return self.slot.due

    @property
    def key(self) -> str:
        """Deterministic idempotency key: (org, FY, round, kind, recipient, due)."""
        return send_key(self.org_id, self.slot.fiscal_year, self.slot.round, self.kind, self.officer.id, self.due)


@dataclass
class RoundPlan:
    """A round, its slots and (with today's reports) the sends those slots make."""

    round: Round
    slots: list[Slot]
    sends: list[PlannedSend]

    def recipients(self, slot: Slot) -> list[PlannedSend]:
        """The sends of one slot."""
        return [s for s in self.sends if s.slot == slot]


def send_key(org_id: str, fiscal_year: int, round_no: int, kind: str, recipient: str, due: datetime) -> str:
    """The send log's key; the same send always gets the same key, across restarts."""
    return f"{org_id}|{fiscal_year}|{round_no}|{kind}|{recipient}|{due.strftime('%Y-%m-%dT%H:%M')}"


def is_reachable(officer: Officer) -> bool:
    """Active, with at least one chat identity that has not blocked/unfollowed the bot."""
    return officer.active and any(i.active for i in officer.identities)


def is_org_head(officer: Officer) -> bool:
    """An admin, or a head without a unit restriction, sees every unit."""
    return people.is_org_head(officer)


def _chain(policy: ReminderPolicy, cal: WorkCalendar, deadline: date) -> list[tuple[str, date]]:
    """Officers' chain of (kind, send day), strictly increasing days."""
    wanted = [(KIND_OPEN, policy.open_days_before)] + [(remind_kind(d), d) for d in policy.remind_days_before]
    wanted.sort(key=lambda kd: -kd[1])
    before: list[tuple[str, date]] = []
    for kind, days in wanted:
        day = cal.on_or_before(deadline - timedelta(days=days))
        if before and before[-1][1] >= day:
            before.pop()  # same day after moving: keep the one nearer the deadline
        before.append((kind, day))
    step = policy.overdue_every_workdays
    after = [(overdue_kind(n), cal.add_working_days(deadline, step * n)) for n in range(1, policy.overdue_max + 1)]
    return before + [(k, d) for k, d in after if d > before[-1][1]]


def round_slots(policy: ReminderPolicy, cal: WorkCalendar, rnd: Round) -> list[Slot]:
    """Every slot of a round, in time order (complete_report is added by plan_round when due)."""
    chain = _chain(policy, cal, rnd.end)
    dues = [at_bangkok(day, policy.send_time) for _, day in chain]
    chase_end = at_bangkok(cal.add_working_days(chain[-1][1], policy.overdue_every_workdays), policy.send_time)
    slots = [
        Slot(rnd.fiscal_year, rnd.months, kind, due, dues[i + 1] if i + 1 < len(dues) else chase_end,
             AUDIENCE_OFFICERS, rnd.end)
        for i, ((kind, _), due) in enumerate(zip(chain, dues, strict=True))
    ]
    delay = timedelta(minutes=policy.digest_delay_minutes)
    pre_day = cal.on_or_before(rnd.end - timedelta(days=policy.digest_before_days))
    pre = at_bangkok(pre_day, policy.send_time) + delay
    post = at_bangkok(cal.add_working_days(rnd.end, 1), policy.send_time) + delay
    slots.append(Slot(rnd.fiscal_year, rnd.months, KIND_DIGEST, pre, post, AUDIENCE_HEADS, rnd.end))
    slots.append(Slot(rnd.fiscal_year, rnd.months, KIND_DIGEST, post, max(chase_end, post + delay),
                      AUDIENCE_HEADS, rnd.end))
    return sorted(slots, key=lambda s: (s.due, s.kind))


def pending_items(
    round_no: int, measures: list[Measure], units: list[Unit], reports: list[ReportEntry]
) -> list[PendingItem]:
    """Every (measure, unit) the round still waits for, in plan order (domain.status owing_units)."""
    return _pending(round_statuses(measures, units, reports, round_no))


def _pending(statuses: list[MeasureStatus]) -> list[PendingItem]:
    return [PendingItem(s.measure, u) for s in statuses for u in s.owing_units]


def _first_answers(round_no: int, reports: list[ReportEntry], fallback: datetime) -> dict[tuple[str, str], datetime]:
    """When each (measure, unit) first answered in the round."""
    first: dict[tuple[str, str], datetime] = {}
    for e in reports:
        if e.round != round_no:
            continue
        try:
            at = datetime.fromisoformat(e.created_at) if e.created_at else fallback
        except ValueError:
            at = fallback
        if at.tzinfo is None:
            at = at.replace(tzinfo=fallback.tzinfo)
        key = (e.measure_id, e.unit_id)
        first[key] = min(first.get(key, at), at)
    return first


def _completed_at(statuses: list[MeasureStatus], reports: list[ReportEntry], fallback: datetime) -> datetime | None:
    """When the last owed answer first arrived; None while something is still owed or nothing is owed."""
    owed = [s for s in statuses if s.answers]
    if not owed or not all(s.reported for s in owed):
        return None
    first = _first_answers(owed[0].round, reports, fallback)
    return max(first[(s.measure.id, a.unit.id)] for s in owed for a in s.answers)


def _officer_sends(org_id: str, slot: Slot, officers: list[Officer], pending: list[PendingItem]) -> list[PlannedSend]:
    out = []
    for person in officers:
        if not people.is_officer(person) or not is_reachable(person):
            continue
        units = people.report_unit_ids(person)
        mine = [p for p in pending if p.unit.id in units]
        if mine:
            out.append(PlannedSend(org_id, slot, slot.kind, person, mine))
    return out


def _head_sends(
    org_id: str, slot: Slot, officers: list[Officer], pending: list[PendingItem], units: list[Unit]
) -> list[PlannedSend]:
    out = []
    for person in officers:
        if not people.is_head(person) or not is_reachable(person):
            continue
        if slot.kind == KIND_COMPLETE:
            out.append(PlannedSend(org_id, slot, KIND_COMPLETE, person, []))
            continue
        scope = people.head_scope(person, units)  # None: the whole organization; sections included
        mine = pending if scope is None else [p for p in pending if p.unit.id in scope]
        if mine:
            out.append(PlannedSend(org_id, slot, KIND_DIGEST_ORG if scope is None else KIND_DIGEST_UNIT, person, mine))
    return out


def plan_round(
    org_id: str,
    policy: ReminderPolicy,
    cal: WorkCalendar,
    rnd: Round,
    measures: list[Measure],
    units: list[Unit],
    officers: list[Officer],
    reports: list[ReportEntry],
) -> RoundPlan | None:
    """The round's slots and sends given today's reports; None when the round monitors no measure."""
    if not any(m.monitored_in(rnd.months) for m in measures):
        return None
    slots = round_slots(policy, cal, rnd)
    statuses = round_statuses(measures, units, reports, rnd.months)
    pending = _pending(statuses)
    done_at = _completed_at(statuses, reports, at_bangkok(rnd.end, policy.send_time))
    if done_at is not None:
        due = next_open_moment(done_at, policy, cal).replace(second=0, microsecond=0)
        slots.append(Slot(rnd.fiscal_year, rnd.months, KIND_COMPLETE, due, due + COMPLETE_LIFETIME,
                          AUDIENCE_HEADS, rnd.end))
    sends: list[PlannedSend] = []
    for slot in slots:
        if slot.audience == AUDIENCE_OFFICERS:
            sends.extend(_officer_sends(org_id, slot, officers, pending))
        else:
            sends.extend(_head_sends(org_id, slot, officers, pending, units))
    return RoundPlan(rnd, slots, sends)


def plan_year(
    org_id: str,
    policy: ReminderPolicy,
    cal: WorkCalendar,
    fiscal_year: int,
    measures: list[Measure],
    units: list[Unit],
    officers: list[Officer],
    reports: list[ReportEntry],
) -> list[RoundPlan]:
    """The four rounds' plans (rounds that monitor nothing are left out)."""
    plans = [plan_round(org_id, policy, cal, rnd, measures, units, officers, reports) for rnd in rounds_of(fiscal_year)]
    return [p for p in plans if p is not None]
