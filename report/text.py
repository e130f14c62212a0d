"""The chat `/summary` text and the small Thai wording helpers every report format shares."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime

from domain.evidence_flags import missing_requirements
from domain.fiscal import digits as dg
from domain.fiscal import round_label, thai_date, thai_short_date
from domain.status import PARTIAL
from storage.evidence import EvidenceStore
from storage.models import STATUS_DONE, STATUS_NOT_DONE, Evidence, Organization, ReportEntry

from .compile import NOT_REPORTED, MeasureRow, RoundReport, UnitAnswer

__all__ = [
    "STATUS_LABELS",
    "STATUS_ORDER",
    "carried_label",
    "clean",
    "entry_day",
    "evidence_label",
    "has_file",
    "org_place",
    "period_text",
    "shorten",
    "status_label",
    "summary_text",
    "totals_lines",
    "title_lines",
    "xml_safe",
]

STATUS_ORDER: tuple[str, ...] = (STATUS_DONE, PARTIAL, STATUS_NOT_DONE, NOT_REPORTED)
STATUS_LABELS: dict[str, str] = {
    STATUS_DONE: "ดำเนินการ",
    PARTIAL: "ดำเนินการบางส่วน",
    STATUS_NOT_DONE: "ยังไม่ได้ดำเนินการ",
    NOT_REPORTED: "ยังไม่ได้รายงาน",
}
STATUS_BOX: dict[str, str] = {STATUS_DONE: "☑", PARTIAL: "◐", STATUS_NOT_DONE: "☐", NOT_REPORTED: "☐"}
CARRIED_TOTAL = "ยกมาจากรอบก่อน"
TITLE = "รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน"
CHAT_FIELD_MAX = 400

# XML 1.0 forbids most C0 controls; Word, LibreOffice and Excel choke on them, so they never reach a file.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def xml_safe(text: str | None) -> str:
    """Text safe for XML-based documents: no control characters, CRLF as LF (spaces kept)."""
    if not text:
        return ""
    return _ILLEGAL.sub("", str(text).replace("\r\n", "\n").replace("\r", "\n"))


def clean(text: str | None) -> str:
    """xml_safe and trimmed."""
    return xml_safe(text).strip()


def shorten(text: str, limit: int) -> str:
    """Cut a long text at a word boundary near the limit, with an ellipsis."""
    text = clean(text)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.6 else cut).rstrip() + "…"


def entry_day(stamp: str) -> date | None:
    """The date of an ISO timestamp, or None when it is missing or malformed."""
    try:
        return datetime.fromisoformat(stamp).date() if stamp else None
    except ValueError:
        return None


def _with_prefix(value: str, prefixes: tuple[str, ...], add: str) -> str:
    value = value.strip()
    if not value or value.startswith(prefixes):
        return value
    return add + value


def org_place(org: Organization) -> str:
    """"อบต.… อำเภอ… จังหวัด…" as the title line writes it."""
    district = _with_prefix(org.district, ("อำเภอ", "อ.", "เขต"), "อำเภอ")
    province = org.province.strip()
    if province and not province.startswith(("จังหวัด", "จ.", "กรุงเทพ")):
        province = "จังหวัด" + province
    return " ".join(p for p in (org.name.strip(), district, province) if p)


def period_text(report: RoundReport, style: str = "thai", short: bool = False) -> str:
    """The round's period from the fiscal year's start to the round's end, BE dates."""
    rnd = report.round
    if short:
        return f"{thai_short_date(rnd.period_start, style)} – {thai_short_date(rnd.end, style)}"
    return f"ตั้งแต่วันที่ {thai_date(rnd.period_start, style)} ถึงวันที่ {thai_date(rnd.end, style)}"


def title_lines(report: RoundReport, style: str = "thai") -> list[str]:
    """The document's title block: title, fiscal year, round and period, organization (and unit)."""
    lines = [
        TITLE,
        f"ประจำปีงบประมาณ พ.ศ. {dg(str(report.fiscal_year), style)}",
        f"{round_label(report.round.months, style)} ({period_text(report, style)})",
        org_place(report.org),
    ]
    if report.unit_filter is not None:
        lines.append(f"เฉพาะ{report.unit_filter.name}")
    return [clean(line) for line in lines if line.strip()]


def has_file(store: EvidenceStore, sha256: str) -> bool:
    """Whether the evidence bytes are still there, without reading a large file into memory."""
    path = store.path_for(sha256)
    if path is not None:
        return path.is_file()
    return bool(sha256) and store.read(sha256) is not None


def evidence_label(ev: Evidence) -> str:
    """A link's address, or a file's name."""
    if ev.kind == "url":
        return clean(ev.url)
    return clean(ev.name) or ("รูปภาพ" if ev.kind == "photo" else "ไฟล์")


def status_label(row: MeasureRow, style: str = "thai") -> str:
    """A row's status in words; a partial one says how many units are done ("1/2 ส่วนราชการ")."""
    label = STATUS_LABELS[row.status]
    if row.status == PARTIAL:
        label += f" ({dg(f'{row.done_units}/{row.total_units}', style)} ส่วนราชการ)"
    return label


def carried_label(round_no: int, style: str = "thai") -> str:
    """"ยกมาจากรอบ ๖ เดือน": the mark of an answer carried from an earlier round of the year."""
    return "ยกมาจาก" + round_label(round_no, style)


def totals_lines(report: RoundReport, style: str = "thai", unit: str = "มาตรการ") -> list[str]:
    """The totals every format prints: each status, then how many rows carry an earlier round's answer."""
    lines = [f"{STATUS_LABELS[s]} {dg(str(report.count(s)), style)} {unit}".rstrip() for s in STATUS_ORDER]
    if report.totals.carried:
        lines.append(f"{CARRIED_TOTAL} {dg(str(report.totals.carried), style)} {unit}".rstrip())
    return lines


def _count_line(counts: Counter[str], total: int, style: str) -> str:
    parts = [f"ดำเนินการ {dg(str(counts[STATUS_DONE]), style)}/{dg(str(total), style)}"]
    for status in (PARTIAL, STATUS_NOT_DONE, NOT_REPORTED):
        if counts[status]:
            parts.append(f"{STATUS_LABELS[status]} {dg(str(counts[status]), style)}")
    return " · ".join(parts)


def _evidence_lines(entry: ReportEntry, marks: dict[str, str] | None = None) -> list[str]:
    links = [e for e in entry.evidence if e.kind == "url"]
    photos = sum(1 for e in entry.evidence if e.kind == "photo")
    files = len(entry.evidence) - len(links) - photos
    if not entry.evidence:
        return []
    counts = [f"{n} {word}" for n, word in ((photos, "ภาพ"), (files, "ไฟล์"), (len(links), "ลิงก์")) if n]
    lines = ["   หลักฐาน: " + ", ".join(counts)]
    marks = marks or {}
    lines += [f"   🔗 {shorten(e.url, 200)}" + (f" {marks[e.id]}" if marks.get(e.id) else "") for e in links]
    return lines


def _missing_lines(row: MeasureRow, entry: ReportEntry, style: str) -> list[str]:
    """"หลักฐานไม่ครบ: ✗ ข้อเสนอแนะ" under an answer (domain.evidence_flags decides what is missing)."""
    missing = missing_requirements(row.measure, entry)
    return ["   หลักฐานไม่ครบ: " + ", ".join("✗ " + shorten(m, 80) for m in missing)] if missing else []


def _answer_lines(answer: UnitAnswer, style: str, row: MeasureRow | None = None,
                  marks: dict[str, str] | None = None) -> list[str]:
    entry = answer.entry
    day = entry_day(entry.created_at)
    when = f" ({thai_short_date(day, style)})" if day else ""
    status = STATUS_LABELS.get(entry.status, entry.status)
    if answer.carried_from is not None:
        status += f" · {carried_label(answer.carried_from, style)}"
    lines = [f" • {clean(answer.unit.name)}{when}: {status}"]
    fields = (("", entry.summary), ("ผลลัพธ์: ", entry.outcome), ("เหตุผล: ", entry.reason))
    lines += [f"   {label}{shorten(value, CHAT_FIELD_MAX)}" for label, value in fields if clean(value)]
    lines += _evidence_lines(entry, marks)
    return lines + (_missing_lines(row, entry, style) if row is not None else [])


def _row_lines(row: MeasureRow, style: str, marks: dict[str, str] | None = None) -> list[str]:
    box = STATUS_BOX.get(row.status, "☐")
    head = f"{box} {dg(str(row.measure.no), style)}. {shorten(row.measure.title, 160)}"
    if row.status in (NOT_REPORTED, PARTIAL):
        head += f" — {status_label(row, style)}"
    lines = [head]
    for answer in row.answers:
        lines += _answer_lines(answer, style, row, marks)
    pending = row.pending_units
    if pending and row.answers:
        lines.append(" ⏳ ยังไม่ได้รายงาน: " + ", ".join(clean(u.name) for u in pending))
    elif pending:
        lines.append("   ผู้รับผิดชอบ: " + ", ".join(clean(u.name) for u in pending))
    elif not row.units:
        lines.append("   ผู้รับผิดชอบ: " + (clean(row.unit_names) or "-"))
    return lines


def summary_text(report: RoundReport, digits: str = "arabic") -> str:
    """The phone-sized Thai summary of a round: totals, per indicator and unit, then every measure."""
    return "\n".join(_summary_lines(report, digits))


def _summary_lines(report: RoundReport, style: str) -> list[str]:
    label = dg(report.round.label, style)
    lines = [
        "📋 สรุปผลการดำเนินการตามมาตรการ ITA",
        clean(org_place(report.org)) or "-",
        f"ปีงบประมาณ {dg(str(report.fiscal_year), style)} · {label} ({period_text(report, style, short=True)})",
    ]
    if report.unit_filter is not None:
        lines.append(f"ส่วนราชการ: {clean(report.unit_filter.name)}")
    total = len(report.rows)
    if not total:
        return [*lines, "", "ไม่มีมาตรการที่ต้องรายงานในรอบนี้"]
    lines += ["", f"รวม {dg(str(total), style)} มาตรการ"]
    lines += [f"{STATUS_BOX[s]} {STATUS_LABELS[s]} {dg(str(report.count(s)), style)}" for s in STATUS_ORDER]
    if report.totals.carried:
        lines.append(f"↪ {CARRIED_TOTAL} {dg(str(report.totals.carried), style)}")
    lines += ["", "ตามตัวชี้วัด"]
    for indicator, counts in report.by_indicator().items():
        name = shorten(indicator, 60) or "-"
        lines.append(f"• {name}: {_count_line(counts, sum(counts.values()), style)}")
    by_unit = report.by_unit()
    if by_unit:
        lines += ["", "ตามส่วนราชการ"]
        for unit, counts in by_unit.items():
            lines.append(f"• {clean(unit)}: {_count_line(counts, sum(counts.values()), style)}")
    lines += ["", "รายมาตรการ"]
    for row in report.rows:
        lines += _row_lines(row, style, report.marks)
    return lines
