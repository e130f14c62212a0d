"""What to warn about one evidence item: dated outside the year or round, or used before elsewhere.

The chat (evidence step, recap) and the report (Word, Excel) all call `evidence_flags`, so the officer and
the head see the same warnings; `flag_label` is the short Thai mark the report prints.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from storage.models import STATUS_DONE, Evidence, Measure, ReportEntry

from .evidence_rules import DATE_AFTER_ROUND, DATE_BEFORE_YEAR, ReuseIndex, coverage, date_flag
from .status import MeasureStatus

__all__ = [
    "REUSED",
    "Flag",
    "evidence_flags",
    "flag_label",
    "requirements_of",
    "missing_requirements",
    "measure_missing",
    "incomplete_measures",
]

REUSED = "reused"


@dataclass(frozen=True)
class Flag:
    """One warning: its kind, the item's date, or where the same file or photo was used before."""

    kind: str  # DATE_BEFORE_YEAR | DATE_AFTER_ROUND | REUSED
    taken_on: str = ""
    measure_no: str = ""
    fiscal_year: int = 0
    round: int = 0


def evidence_flags(
    ev: Evidence,
    fiscal_year: int,
    round_no: int,
    measure_id: str,
    index: ReuseIndex | None,
    measure_no: Callable[[int, str], str],
    before: str = "",
) -> list[Flag]:
    """The date warning (if any) and the nearest earlier use in another year or measure (if any).

    `before` (an answer's saved time) keeps only uses made earlier, so of two answers sharing a photo only
    the later one is told "used before"."""
    flags: list[Flag] = []
    kind = date_flag(ev.taken_on, fiscal_year, round_no)
    if kind:
        flags.append(Flag(kind, taken_on=ev.taken_on[:10]))
    if index is not None and ev.kind != "url":
        earlier = [r for r in index.suspicious(ev, measure_id, fiscal_year)
                   if not before or r.prior.fiscal_year < fiscal_year or r.prior.created_at < before]
        for reuse in earlier[:1]:
            prior = reuse.prior
            flags.append(Flag(REUSED, measure_no=measure_no(prior.fiscal_year, prior.measure_id),
                              fiscal_year=prior.fiscal_year, round=prior.round))
    return flags


_LABELS: dict[str, Callable[[Flag], str]] = {
    DATE_BEFORE_YEAR: lambda f: "⚠ ลงวันที่ก่อนปีงบประมาณ",
    DATE_AFTER_ROUND: lambda f: "⚠ ลงวันที่หลังสิ้นรอบ",
    REUSED: lambda f: f"⚠ เคยใช้ในมาตรการที่ {f.measure_no or '?'} ปี {f.fiscal_year}",
}


def flag_label(flag: Flag) -> str:
    """"⚠ เคยใช้ในมาตรการที่ 3 ปี 2568": the short mark a report cell or annex line carries."""
    return _LABELS[flag.kind](flag)


def requirements_of(measure: Measure) -> list[str]:
    """A measure's required components (องค์ประกอบ) worth asking about, blank lines left out."""
    return [c for c in measure.component_list if c.strip(" -")]


def missing_requirements(measure: Measure, entry: ReportEntry | None) -> list[str]:
    """Required components a done answer's evidence does not show ("หลักฐานไม่ครบ" when any)."""
    reqs = requirements_of(measure)
    if not reqs or entry is None or entry.status != STATUS_DONE:
        return []
    if not entry.covered and entry.evidence:  # saved before the checklist was asked: not known, not flagged
        return []
    return coverage(reqs, entry.covered, entry.evidence).missing


def measure_missing(status: MeasureStatus, only_units: Collection[str] | None = None) -> list[str]:
    """A measure's requirements some unit's done answer does not show, in plan order (the "หลักฐานไม่ครบ" rule).

    Every view (/status of officers and heads, the digest, the summary text) asks here; `only_units` keeps a
    head's own units (None: every responsible unit)."""
    missing: set[str] = set()
    for answer in status.answers:
        if only_units is None or answer.unit.id in only_units:
            missing.update(missing_requirements(status.measure, answer.entry))
    return [r for r in requirements_of(status.measure) if r in missing]


def incomplete_measures(
    statuses: Iterable[MeasureStatus], only_units: Collection[str] | None = None
) -> list[tuple[MeasureStatus, list[str]]]:
    """The measures of a round whose evidence misses a requirement, each with what is missing, plan order."""
    out = []
    for status in statuses:
        missing = measure_missing(status, only_units)
        if missing:
            out.append((status, missing))
    return out
