"""The one status rule: each unit's answer, a measure's status in a round, carried answers, the counts.

Every view (the chat list, /status, the digest, the summary text, DOCX, XLSX, chart, the reminder planner)
asks this module and never re-derives a status. Nothing here does I/O: plain records in, plain records out.

The rule (DOMAIN.md, "Several units, sections, and the year"):
- a unit's answer in round R is its newest revision in R; without one, its newest revision of an earlier
  round of the same fiscal year is *carried forward* (marked with that round); else it has not answered;
- a measure is ดำเนินการ (done) only when every responsible unit's answer is done; ดำเนินการบางส่วน
  (partial, k of n units) when at least one is done and not all; ยังไม่ได้ดำเนินการ (not_done) when every
  unit answered and none is done (also when some answered not done and the rest nothing yet); ยังไม่ได้รายงาน (none) when no unit has any answer;
- a unit "owes" round R while it has no answer of R itself (a carried answer still waits for a
  confirmation or an update), so reminders and "reported k/n" count fresh answers only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from storage.models import STATUS_DONE, STATUS_NOT_DONE, Measure, ReportEntry, Unit

from .ownership import responsibility, responsible_units

__all__ = [
    "DONE",
    "NOT_DONE",
    "PARTIAL",
    "NONE",
    "STATUS_ORDER",
    "UnitAnswer",
    "MeasureStatus",
    "RoundTotals",
    "latest_entries",
    "answers_by_round",
    "measure_status",
    "round_statuses",
    "totals",
]

DONE = STATUS_DONE
NOT_DONE = STATUS_NOT_DONE
PARTIAL = "partial"
NONE = "none"
STATUS_ORDER: tuple[str, ...] = (DONE, PARTIAL, NOT_DONE, NONE)


def _newer(a: ReportEntry, b: ReportEntry) -> bool:
    """True when a is the later revision (time, then revision number)."""
    return (a.created_at, a.revision) >= (b.created_at, b.revision)


def latest_entries(entries: Iterable[ReportEntry]) -> dict[tuple[str, str], ReportEntry]:
    """Newest revision per (measure, unit) among the given entries (one round's, usually)."""
    latest: dict[tuple[str, str], ReportEntry] = {}
    for e in entries:
        key = (e.measure_id, e.unit_id)
        old = latest.get(key)
        if old is None or _newer(e, old):
            latest[key] = e
    return latest


def answers_by_round(entries: Iterable[ReportEntry]) -> dict[int, dict[tuple[str, str], ReportEntry]]:
    """A year's entries as {round: newest revision per (measure, unit)}: read once, ask many times."""
    rounds: dict[int, list[ReportEntry]] = {}
    for e in entries:
        rounds.setdefault(int(e.round), []).append(e)
    return {r: latest_entries(es) for r, es in rounds.items()}


@dataclass(frozen=True)
class UnitAnswer:
    """One responsible unit's answer for a measure in a round (entry None: not answered at all)."""

    unit: Unit
    entry: ReportEntry | None
    carried_from: int | None = None  # the earlier round the answer comes from, when not this round's

    @property
    def state(self) -> str:
        """done / not_done / none."""
        if self.entry is None:
            return NONE
        return DONE if self.entry.status == DONE else NOT_DONE

    @property
    def fresh(self) -> bool:
        """Answered in this round itself (not carried, not missing)."""
        return self.entry is not None and self.carried_from is None

    @property
    def carried(self) -> bool:
        """The answer is an earlier round's, carried forward."""
        return self.entry is not None and self.carried_from is not None


@dataclass(frozen=True)
class MeasureStatus:
    """A measure in a round: every responsible unit's answer and the status they add up to."""

    measure: Measure
    round: int
    answers: tuple[UnitAnswer, ...]

    @property
    def units(self) -> list[Unit]:
        """The responsible units, in the organization's order."""
        return [a.unit for a in self.answers]

    @property
    def total_units(self) -> int:
        """How many units must answer."""
        return len(self.answers)

    @property
    def done_units(self) -> int:
        """How many of them answered done (carried answers included)."""
        return sum(1 for a in self.answers if a.state == DONE)

    @property
    def status(self) -> str:
        """done / partial / not_done / none, by the rule in this module's docstring."""
        states = [a.state for a in self.answers]
        if not states or all(s == NONE for s in states):
            return NONE
        if all(s == DONE for s in states):
            return DONE
        if any(s == DONE for s in states):
            return PARTIAL
        return NOT_DONE  # every answer is "not done", or some are and the rest have not answered

    @property
    def pending_units(self) -> list[Unit]:
        """Units with no answer at all (neither this round's nor carried)."""
        return [a.unit for a in self.answers if a.entry is None]

    @property
    def owing_units(self) -> list[Unit]:
        """Units without an answer of this round itself: reminders and "reported k/n" count these."""
        return [a.unit for a in self.answers if not a.fresh]

    @property
    def reported(self) -> bool:
        """Every responsible unit answered in this round itself."""
        return bool(self.answers) and all(a.fresh for a in self.answers)

    @property
    def carried(self) -> bool:
        """Some answer shown is carried from an earlier round."""
        return any(a.carried for a in self.answers)

    @property
    def carried_from(self) -> int | None:
        """The latest earlier round an answer is carried from (None when nothing is carried)."""
        rounds = [a.carried_from for a in self.answers if a.carried_from is not None]
        return max(rounds) if rounds else None

    def answer_of(self, unit_id: str) -> UnitAnswer | None:
        """One unit's answer (None when that unit is not responsible)."""
        return next((a for a in self.answers if a.unit.id == unit_id), None)


def measure_status(
    measure: Measure,
    round_no: int,
    units: list[Unit],
    by_round: dict[int, dict[tuple[str, str], ReportEntry]],
    only_units: Iterable[str] | None = None,
    carry: bool = True,
) -> MeasureStatus:
    """The status of one measure in a round from the year's answers (see answers_by_round)."""
    wanted = set(only_units) if only_units is not None else None
    return _measure_status(measure, round_no, responsible_units(measure, units), by_round, wanted,
                           _earlier_rounds(by_round, round_no) if carry else ())


def _earlier_rounds(by_round: dict[int, dict[tuple[str, str], ReportEntry]], round_no: int) -> tuple[int, ...]:
    """The rounds an answer may be carried from, newest first."""
    return tuple(sorted((r for r in by_round if r < round_no), reverse=True))


def _measure_status(
    measure: Measure,
    round_no: int,
    resp: list[Unit],
    by_round: dict[int, dict[tuple[str, str], ReportEntry]],
    wanted: set[str] | None,
    earlier_rounds: tuple[int, ...],
) -> MeasureStatus:
    """measure_status with the responsible units and the carry rounds already worked out."""
    if wanted is not None:
        resp = [u for u in resp if u.id in wanted]
    this_round = by_round.get(round_no, {})
    answers = []
    for unit in resp:
        key = (measure.id, unit.id)
        entry = this_round.get(key)
        carried_from = None
        if entry is None:
            for earlier in earlier_rounds:
                entry = by_round[earlier].get(key)
                if entry is not None:
                    carried_from = earlier
                    break
        answers.append(UnitAnswer(unit, entry, carried_from))
    return MeasureStatus(measure, round_no, tuple(answers))


def round_statuses(
    measures: list[Measure],
    units: list[Unit],
    entries: Iterable[ReportEntry],
    round_no: int,
    only_units: Iterable[str] | None = None,
    carry: bool = True,
    by_round: dict[int, dict[tuple[str, str], ReportEntry]] | None = None,
) -> list[MeasureStatus]:
    """Every measure monitored in the round (restricted to some units' measures when asked), plan order.

    `by_round`: answers_by_round(entries) when the caller already has it (a view keeps it per saved version).
    """
    if by_round is None:
        by_round = answers_by_round(entries)
    wanted = set(only_units) if only_units is not None else None
    earlier = _earlier_rounds(by_round, round_no) if carry else ()
    responsible = responsibility(units)  # the office's divisions worked out once, not per measure
    out = []
    for m in measures:
        if not m.monitored_in(round_no):
            continue
        st = _measure_status(m, round_no, responsible(m), by_round, wanted, earlier)
        if wanted is not None and not st.answers:
            continue
        out.append(st)
    return out


@dataclass(frozen=True)
class RoundTotals:
    """The counts every view prints: by status, how many were carried, how many are fully reported."""

    by_status: Counter[str]
    carried: int
    reported: int
    total: int

    def __getitem__(self, status: str) -> int:
        return self.by_status.get(status, 0)


def totals(statuses: Iterable[MeasureStatus]) -> RoundTotals:
    """Counts of a list of measure statuses."""
    items = list(statuses)
    return RoundTotals(
        Counter(s.status for s in items),
        sum(1 for s in items if s.carried),
        sum(1 for s in items if s.reported),
        len(items),
    )
