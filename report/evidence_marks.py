"""The head's warnings on evidence in the report: dated outside the year or round, used before, a broken link."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from domain.evidence_flags import evidence_flags, flag_label
from domain.evidence_rules import ReuseIndex
from domain.fiscal import thai_medium_date
from storage.models import Measure, ReportEntry

__all__ = ["evidence_marks", "link_mark", "link_marks"]


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


def link_mark(result: dict[str, Any]) -> str:
    """"⚠ ลิงก์เสีย (HTTP 404) ตรวจเมื่อ 12 ก.พ. 2569" for a link found broken; "" when it worked or is unknown.

    Only a definite answer marks a link: an HTTP error, a private address, endless redirects. No answer at
    all (the server offline, a timeout) proves nothing about the page and is not printed."""
    if result.get("ok") or not result.get("final", True):
        return ""
    status = int(result.get("status") or 0)
    if status:
        what = f"⚠ ลิงก์เสีย (HTTP {status})"
    elif result.get("error") == "private address refused":
        what = "⚠ ลิงก์ชี้ไปเครือข่ายภายใน เปิดจากภายนอกไม่ได้"
    else:
        what = "⚠ ลิงก์เปิดไม่ได้"
    day = _day(str(result.get("checked_at", "")))
    return f"{what} ตรวจเมื่อ {thai_medium_date(day)}" if day else what


def link_marks(checks: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Evidence id → link_mark, for the links found broken when last checked."""
    return {ev_id: mark for ev_id, result in checks.items() if (mark := link_mark(result))}


def _day(stamp: str) -> date | None:
    try:
        return datetime.fromisoformat(stamp).date() if stamp else None
    except ValueError:
        return None
