"""The progress cell of the official form, and what it hands to the annex when it would not fit."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.evidence_flags import missing_requirements
from domain.fiscal import digits as dg
from domain.fiscal import thai_short_date

from .compile import NOT_REPORTED, MeasureRow, UnitAnswer
from .docx_cells import Item
from .labels import answer_status_label, carried_note, digits_text, evidence_labels, status_boxes
from .text import clean, entry_day, shorten

__all__ = ["ANNEX_CHARS", "EVIDENCE_MAX", "Annex", "answer_items", "progress_items"]

ANNEX_CHARS = 600  # an answer text longer than this is printed in full in the annex, shortened in the table
EVIDENCE_MAX = 4  # more evidence items than this per answer: the full list is in the annex


@dataclass
class Annex:
    """What the table moved out: measures whose full answers the annex prints, and photo numbers."""

    photo_no: dict[str, int] = field(default_factory=dict)
    file_ok: dict[str, bool] = field(default_factory=dict)
    marks: dict[str, str] = field(default_factory=dict)  # evidence id → "⚠ …" (RoundReport.marks)
    rows: list[tuple[str, MeasureRow]] = field(default_factory=list)

    def refer(self, label: str, row: MeasureRow, style: str) -> str:
        """Register the measure for the annex; returns "ภาคผนวก ก ข้อ ๓"."""
        if not any(r is row for _, r in self.rows):
            self.rows.append((label, row))
        return f"ภาคผนวก ก ข้อ {label}"


def _when(ans: UnitAnswer, style: str) -> str:
    day = entry_day(ans.entry.created_at)
    return f"({thai_short_date(day, style)})" if day else ""


def _head(row: MeasureRow, ans: UnitAnswer, style: str) -> str:
    head = f"{clean(ans.unit.name)} – {answer_status_label(ans.entry.status)} {_when(ans, style)}".strip()
    note = carried_note(ans, style)
    return f"{head} · {note}" if note else head


def _single(row: MeasureRow) -> bool:
    """One responsible unit: its name is in the ผู้รับผิดชอบ column, the date goes on the boxes' line."""
    return len(row.units) == 1 and len(row.answers) == 1


def _evidence_items(ans: UnitAnswer, annex: Annex, style: str, limit: int | None) -> list[Item]:
    items: list[Item] = []
    evidence = ans.entry.evidence
    labels = evidence_labels(evidence, style)
    shown = evidence if limit is None else evidence[:limit]
    for ev, label in zip(shown, labels, strict=False):
        mark = digits_text(annex.marks.get(ev.id, ""), style)  # "⚠ … ปี ๒๕๖๙" in the office's digits
        if ev.kind == "url":
            items.append(Item(label, url=clean(ev.url), indent=True))
            if mark:
                items.append(Item(mark, indent=True))
            continue
        text = "• " + label
        no = annex.photo_no.get(ev.id)
        if no:
            text += f" (รูปที่ {dg(str(no), style)})"
        elif not annex.file_ok.get(ev.id, True):
            text += " (ไม่พบไฟล์)"
        items.append(Item(f"{text} {mark}" if mark else text, indent=True))
    return items


def answer_items(row: MeasureRow, ans: UnitAnswer, annex: Annex, style: str, full: bool,
                 ref: str = "") -> list[Item]:
    """A unit's answer: who and when, what was done, outcome or reason, evidence (shortened unless full)."""
    e = ans.entry
    items = [] if _single(row) and not full else [Item(_head(row, ans, style), bold=True)]
    summary = digits_text(clean(e.summary), style)
    if summary:
        short = summary if full or len(summary) <= ANNEX_CHARS else shorten(summary, ANNEX_CHARS // 2)
        items.append(Item("- " + short + ("" if short == summary else f" (ฉบับเต็มใน{ref})")))
    for label, value in (("ผลลัพธ์: ", e.outcome), ("ปัญหา/อุปสรรค: ", e.reason),
                         ("ข้อเสนอแนะ: ", getattr(e, "suggestion", ""))):
        if clean(value):
            items.append(Item(label + digits_text(clean(value), style)))
    if len(e.evidence) == 1 and e.evidence[0].kind == "url":
        items.append(Item("หลักฐาน: " + clean(e.evidence[0].url), url=clean(e.evidence[0].url), prefix="หลักฐาน: "))
        if annex.marks.get(e.evidence[0].id):
            items.append(Item(digits_text(annex.marks[e.evidence[0].id], style), indent=True))
    elif e.evidence:
        items.append(Item("หลักฐาน:"))
        many = not full and len(e.evidence) > EVIDENCE_MAX
        items += _evidence_items(ans, annex, style, EVIDENCE_MAX - 1 if many else None)
        if many:
            rest = len(e.evidence) - (EVIDENCE_MAX - 1)
            items.append(Item(f"และอีก {dg(str(rest), style)} รายการ ({ref})", indent=True))
    missing = missing_requirements(row.measure, e)
    if missing:
        items.append(Item("หลักฐานไม่ครบ:"))
        items += [Item("✗ " + digits_text(clean(m), style), indent=True) for m in missing]
    return items


def _needs_annex(row: MeasureRow) -> bool:
    return any(len(clean(a.entry.summary)) > ANNEX_CHARS or len(a.entry.evidence) > EVIDENCE_MAX
               for a in row.answers)


def progress_items(row: MeasureRow, annex: Annex, style: str, label: str = "") -> list[Item]:
    """The progress cell: the boxes on one line, each unit's answer, who has not reported yet."""
    boxes = status_boxes(row, style)
    when = " " + _when(row.answers[0], style) if _single(row) else ""
    note = " · " + carried_note(row.answers[0], style) if _single(row) and carried_note(row.answers[0], style) else ""
    items = [Item("☐ " + "  ☐ ".join(lbl for _, lbl in boxes) + when + note, boxes=tuple(boxes), prefix=when + note)]
    if row.status == NOT_REPORTED:
        items.append(Item("ยังไม่ได้รายงาน", bold=True))
    ref = annex.refer(label or dg(str(row.measure.no), style), row, style) if _needs_annex(row) else ""
    for ans in row.answers:
        items += answer_items(row, ans, annex, style, full=False, ref=ref)
    if row.answers and row.pending_units:
        items.append(Item("ยังไม่ได้รายงาน: " + ", ".join(clean(u.name) for u in row.pending_units)))
    if row.review_label:
        items.append(Item(row.review_label, bold=row.review == "returned"))
    return items
