"""The head's warnings on evidence in the report: dated outside the year or round, used before elsewhere."""

from __future__ import annotations

from collections.abc import Iterable

from domain.evidence_flags import evidence_flags, flag_label
from domain.evidence_rules import ReuseIndex
from storage.models import Measure, ReportEntry

__all__ = ["evidence_marks"]


def evidence_marks(
    shown: Iterable[ReportEntry], history: Iterable[ReportEntry], plans: dict[int, list[Measure]]
) -> dict[str, str]:
    """Evidence id → "⚠ ลงวันที่ก่อนปีงบประมาณ ⚠ เคยใช้ในมาตรการที่ 3 ปี 2568" for the answers a report shows."""
    index = ReuseIndex.from_entries(history)
    numbers = {(fy, m.id): str(m.no) for fy, measures in plans.items() for m in measures}
    marks: dict[str, str] = {}
    for entry in shown:
        for ev in entry.evidence:
            flags = evidence_flags(ev, entry.fiscal_year, entry.round, entry.measure_id, index,
                                   lambda fy, mid: numbers.get((fy, mid), "?"), before=entry.created_at)
            if flags:
                marks[ev.id] = " ".join(flag_label(f) for f in flags)
    return marks
