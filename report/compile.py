"""Compile one round's progress from the plan and the year's answers; every format reads this.

The status of each row and the totals come from domain.status (the one status rule): a measure shared by
several units is done only when each of them said so, and an answer of an earlier round of the fiscal
year is carried forward (marked with its round), so the 12-month report is the year's account.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from domain.fiscal import Round, get_round
from domain.ownership import responsible_units
from domain.review import answers_digest, current_approval, review_states
from domain.status import (
    NONE,
    PARTIAL,
    MeasureStatus,
    RoundTotals,
    latest_entries,
    round_statuses,
    totals,
)
from storage.models import Approval, Measure, Organization, ReportEntry, Unit
from storage.repository import Repository

from .evidence_marks import evidence_marks

__all__ = [
    "NOT_REPORTED",
    "PARTIAL",
    "MeasureRow",
    "REVIEW_LABELS",
    "RoundReport",
    "UnitAnswer",
    "compile_round",
    "latest_entries",
    "responsible_units",
]

NOT_REPORTED = NONE
REVIEW_LABELS = {  # domain.review states as the report prints them (not reviewed: nothing printed)
    "accepted": "ผลการตรวจ: ยอมรับแล้ว",
    "returned": "ผลการตรวจ: ส่งกลับแก้ไข (รอแก้ไข)",
    "revised": "ผลการตรวจ: แก้ไขแล้ว รอตรวจอีกครั้ง",
}


@dataclass(frozen=True)
class UnitAnswer:
    """A unit's answer shown in the report: this round's, or an earlier round's carried forward."""

    unit: Unit
    entry: ReportEntry
    carried_from: int | None = None  # the earlier round it comes from


@dataclass(frozen=True)
class MeasureRow:
    """One measure of the round: its MeasureStatus (status, each unit's answer, what is carried)."""

    state: MeasureStatus
    review: str = "none"  # domain.review state: accepted / returned / revised / none

    @property
    def review_label(self) -> str:
        """"ผลการตรวจ: …" for the report ("" when nobody reviewed the answers yet)."""
        return REVIEW_LABELS.get(self.review, "")

    @property
    def measure(self) -> Measure:
        """The plan row."""
        return self.state.measure

    @property
    def units(self) -> list[Unit]:
        """The responsible units shown in this report (one when the report is for one unit)."""
        return self.state.units

    @property
    def status(self) -> str:
        """done / partial / not_done / none (domain.status)."""
        return self.state.status

    @property
    def answers(self) -> list[UnitAnswer]:
        """The units that have an answer, this round's or carried from an earlier one."""
        return [UnitAnswer(a.unit, a.entry, a.carried_from) for a in self.state.answers if a.entry is not None]

    @property
    def pending_units(self) -> list[Unit]:
        """Responsible units with no answer at all this fiscal year up to this round."""
        return self.state.pending_units

    @property
    def carried_from(self) -> int | None:
        """The earlier round an answer shown here comes from (None when all are this round's)."""
        return self.state.carried_from

    @property
    def done_units(self) -> int:
        """How many responsible units answered done."""
        return self.state.done_units

    @property
    def total_units(self) -> int:
        """How many units must answer."""
        return self.state.total_units

    @property
    def unit_names(self) -> str:
        """"ทุกส่วนราชการ" or the units joined."""
        if self.measure.all_units:
            return "ทุกส่วนราชการ"
        return ", ".join(u.name for u in self.units) or self.measure.responsible_text


@dataclass
class RoundReport:
    """Everything a progress report shows for one organization, fiscal year and round."""

    org: Organization
    fiscal_year: int
    round: Round
    rows: list[MeasureRow]
    units: list[Unit]
    generated_at: datetime
    unit_filter: Unit | None = None
    totals: RoundTotals = field(default_factory=lambda: totals([]))
    marks: dict[str, str] = field(default_factory=dict)  # evidence id → "⚠ …" (report/evidence_marks.py)
    reviews: dict[str, str] = field(default_factory=dict)  # measure id → review state (domain.review)
    approval: Approval | None = None  # the approval valid for these very answers (whole-office reports only)

    def count(self, status: str) -> int:
        """How many measures have this status (from the totals every view prints)."""
        return self.totals[status]

    def by_indicator(self) -> dict[str, Counter[str]]:
        """Status counts per indicator, in plan order."""
        out: dict[str, Counter[str]] = {}
        for row in self.rows:
            out.setdefault(row.measure.indicator, Counter())[row.status] += 1
        return out

    def by_unit(self) -> dict[str, Counter[str]]:
        """Per unit: measures it answered done / not done / not yet (carried answers count as given)."""
        out: dict[str, Counter[str]] = {u.name: Counter() for u in self.units}
        for row in self.rows:
            for ans in row.state.answers:
                out.setdefault(ans.unit.name, Counter())[ans.state] += 1
        return {k: v for k, v in out.items() if v}


def compile_round(
    repo: Repository,
    org_id: str,
    fiscal_year: int,
    round_no: int,
    now: datetime,
    unit_id: str | None = None,
) -> RoundReport:
    """Build the round's report; measures not monitored in the round are left out."""
    org = repo.get_org(org_id)
    if org is None:
        raise LookupError(org_id)
    units = repo.list_units(org_id)
    unit_filter = next((u for u in units if u.id == unit_id), None) if unit_id else None
    only = [unit_filter.id] if unit_filter is not None else None
    entries = repo.list_reports(org_id, fiscal_year)
    statuses = round_statuses(repo.list_measures(org_id, fiscal_year), units, entries, round_no, only)
    reviews = review_states(statuses, repo.list_reviews(org_id, fiscal_year, round_no))
    rows = [MeasureRow(s, reviews.get(s.measure.id, "none")) for s in statuses]
    rnd = get_round(fiscal_year, round_no)
    approval = None
    if unit_filter is None:
        digest = answers_digest(entries, round_no)
        approval = current_approval(repo.list_approvals(org_id, fiscal_year, round_no), digest)
    years = repo.fiscal_years(org_id)
    marks = evidence_marks(
        [a.entry for row in rows for a in row.answers],
        [e for fy in years for e in repo.list_reports(org_id, fy)],
        {fy: repo.list_measures(org_id, fy) for fy in years},
    )
    return RoundReport(org, fiscal_year, rnd, rows, units, now, unit_filter, totals(statuses), marks, reviews, approval)
