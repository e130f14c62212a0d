"""Compile one round's progress from the plan and the latest report revisions; every format reads this."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from domain.fiscal import Round, get_round
from domain.ownership import responsible_units
from domain.status import latest_entries
from storage.models import STATUS_DONE, Measure, Organization, ReportEntry, Unit
from storage.repository import Repository

__all__ = ["MeasureRow", "RoundReport", "UnitAnswer", "compile_round", "latest_entries", "responsible_units"]

NOT_REPORTED = "none"


@dataclass
class UnitAnswer:
    """A unit's current (latest) answer for a measure in the round."""

    unit: Unit
    entry: ReportEntry


@dataclass
class MeasureRow:
    """One measure of the round with its overall status and each unit's answer."""

    measure: Measure
    units: list[Unit]
    answers: list[UnitAnswer]
    status: str  # "done" | "not_done" | "none"

    @property
    def pending_units(self) -> list[Unit]:
        """Responsible units that have not answered yet this round."""
        answered = {a.unit.id for a in self.answers}
        return [u for u in self.units if u.id not in answered]

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
    totals: Counter[str] = field(default_factory=Counter)

    def count(self, status: str) -> int:
        """How many measures have this status."""
        return sum(1 for r in self.rows if r.status == status)

    def by_indicator(self) -> dict[str, Counter[str]]:
        """Status counts per indicator, in plan order."""
        out: dict[str, Counter[str]] = {}
        for row in self.rows:
            out.setdefault(row.measure.indicator, Counter())[row.status] += 1
        return out

    def by_unit(self) -> dict[str, Counter[str]]:
        """Per unit: measures it answered done / not done / not yet."""
        out: dict[str, Counter[str]] = {u.name: Counter() for u in self.units}
        for row in self.rows:
            answered = {a.unit.id: a.entry.status for a in row.answers}
            for unit in row.units:
                out.setdefault(unit.name, Counter())[answered.get(unit.id, NOT_REPORTED)] += 1
        return {k: v for k, v in out.items() if v}


def _status(answers: list[UnitAnswer]) -> str:
    if any(a.entry.status == STATUS_DONE for a in answers):
        return STATUS_DONE
    if answers:
        return answers[0].entry.status
    return NOT_REPORTED


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
    latest = latest_entries(repo.list_reports(org_id, fiscal_year, round_no))
    rows: list[MeasureRow] = []
    for measure in repo.list_measures(org_id, fiscal_year):
        if not measure.monitored_in(round_no):
            continue
        resp = responsible_units(measure, units)
        if unit_filter is not None:
            if unit_filter.id not in {u.id for u in resp}:
                continue
            resp = [unit_filter]
        answers = [UnitAnswer(u, latest[(measure.id, u.id)]) for u in resp if (measure.id, u.id) in latest]
        rows.append(MeasureRow(measure, resp, answers, _status(answers)))
    report = RoundReport(org, fiscal_year, get_round(fiscal_year, round_no), rows, units, now, unit_filter)
    report.totals = Counter(r.status for r in rows)
    return report
