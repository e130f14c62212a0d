"""The Excel workbook: one row per measure with a countable status, every evidence item, totals as values.

Every sheet prints on A4 landscape, one page wide, header row repeated; rows are as tall as their text.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from domain.evidence_flags import missing_requirements
from domain.fiscal import digits as dg
from domain.fiscal import thai_short_date
from storage.evidence import EvidenceStore
from storage.models import ReportEntry

from .compile import MeasureRow, RoundReport
from .docx_parts import TOTAL_LABELS, TOTAL_ORDER, percent
from .fonts import DOC_FONT
from .labels import digits_text, evidence_labels
from .layout import lines_needed
from .text import (
    CARRIED_TOTAL,
    STATUS_LABELS,
    carried_label,
    clean,
    entry_day,
    evidence_label,
    has_file,
    status_label,
    title_lines,
)

__all__ = ["EVIDENCE_SHEET", "MEASURE_SHEET", "STATUS_COLUMN", "SUMMARY_SHEET", "TECH_SHEET", "render_xlsx"]

MEASURE_SHEET = "มาตรการ"
EVIDENCE_SHEET = "หลักฐาน"
SUMMARY_SHEET = "สรุป"
TECH_SHEET = "ข้อมูลทางเทคนิค"
BODY_PT = 14
LINE_PT = 19.5  # a 14 pt Sarabun line in Excel and LibreOffice
CHAR_MM = 2.0  # one unit of Excel column width, in mm (7 px at 96 dpi plus padding)
MEASURE_HEADERS: tuple[tuple[str, int], ...] = (
    ("ลำดับ", 7), ("ตัวชี้วัด", 24), ("มาตรการ/กิจกรรม", 40), ("ขั้นตอน/วิธีดำเนินการ", 45),
    ("ผู้รับผิดชอบ", 20), ("ระยะเวลา", 18), ("สถานะ", 18), ("ความก้าวหน้าผลการดำเนินการ", 70),
    ("ยังไม่ได้รายงาน", 20), ("จำนวนหลักฐาน", 10),
)
STATUS_COLUMN = 7  # 1-based: "สถานะ", one of STATUS_LABELS' values, so COUNTIF can count it
EVIDENCE_HEADERS: tuple[tuple[str, int], ...] = (
    ("ลำดับมาตรการ", 9), ("มาตรการ/กิจกรรม", 40), ("ส่วนราชการ", 20), ("ประเภท", 10),
    ("ชื่อไฟล์หรือลิงก์", 45), ("หลักฐาน", 30), ("ผู้ส่ง", 20), ("วันที่ส่ง", 22), ("ไฟล์", 12),
    ("ข้อสังเกต", 36),
)
TECH_HEADERS: tuple[tuple[str, int], ...] = (
    ("ลำดับมาตรการ", 9), ("หลักฐาน", 30), ("ชนิดไฟล์", 22), ("ขนาด (ไบต์)", 14), ("SHA-256", 70),
)
KIND_LABELS = {"url": "ลิงก์", "photo": "ภาพ", "file": "ไฟล์"}
CELL_MAX = 32000  # Excel refuses more than 32,767 characters in a cell
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP = Alignment(wrap_text=True, vertical="top")


def _text(value: Any) -> Any:
    """Numbers pass through; text is made XML-safe and cut to what a cell holds."""
    if isinstance(value, (int, float)) or value is None:
        return value
    return clean(str(value))[:CELL_MAX]


def _append(ws: Worksheet, values: Iterable[Any], font: Font) -> int:
    """Append a row as literal values (text starting with "=" stays text), as tall as its longest cell."""
    ws.append([_text(v) for v in values])
    row = ws.max_row
    lines = 1
    for cell in ws[row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            width = (ws.column_dimensions[cell.column_letter].width or 10) * CHAR_MM
            lines = max(lines, lines_needed(cell.value[:3000], max(width - 2, 5), BODY_PT))
        cell.alignment = WRAP
        cell.font = font
    ws.row_dimensions[row].height = min(lines * LINE_PT + 4, 409)  # Excel's row height limit
    return row


def _sheet(ws: Worksheet, headers: tuple[tuple[str, int], ...]) -> Font:
    """Header row in bold, column widths, frozen header; returns the body font."""
    body = Font(name=DOC_FONT, size=14)
    head = Font(name=DOC_FONT, size=14, bold=True)
    ws.append([h for h, _ in headers])
    for i, (_, width) in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = head, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 2 * LINE_PT + 4
    return body


def _print_setup(ws: Worksheet, title_rows: str | None = "1:1") -> None:
    """A4 landscape, one page wide (as many pages tall as needed), the header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "หน้า &P/&N"


def _finish(ws: Worksheet, ncols: int) -> None:
    """Filters over the whole table and the print setup."""
    ws.auto_filter.ref = f"A1:{get_column_letter(ncols)}{max(ws.max_row, 1)}"
    _print_setup(ws)


def _answer_text(row: MeasureRow, style: str) -> str:
    """Each unit's answer as plain lines."""
    parts: list[str] = []
    for ans in row.answers:
        e = ans.entry
        day = entry_day(e.created_at)
        when = f" ({thai_short_date(day, style)})" if day else ""
        carried = f" – {carried_label(ans.carried_from, style)}" if ans.carried_from is not None else ""
        lines = [f"{clean(ans.unit.name)} – {STATUS_LABELS.get(e.status, e.status)}{when}{carried}"]
        lines += [f"{label}{digits_text(clean(v), style)}" for label, v in (
            ("- ", e.summary), ("ผลลัพธ์: ", e.outcome), ("เหตุผล: ", e.reason)) if clean(v)]
        lines += [f"หลักฐาน: {label}" for label in evidence_labels(e.evidence, style)]
        missing = missing_requirements(row.measure, e)
        if missing:
            lines.append("หลักฐานไม่ครบ: " + ", ".join("✗ " + digits_text(clean(m), style) for m in missing))
        parts.append("\n".join(lines))
    if row.review_label:
        parts.append(row.review_label)
    return "\n\n".join(parts)


def _measures(ws: Worksheet, report: RoundReport, style: str) -> None:
    body = _sheet(ws, MEASURE_HEADERS)
    for row in report.rows:
        m = row.measure
        pending = ", ".join(clean(u.name) for u in row.pending_units)
        evidence = sum(len(a.entry.evidence) for a in row.answers)
        indicator = " ".join(p for p in (m.indicator_no or m.indicator, m.indicator_name) if p)
        r = _append(ws, (m.no, digits_text(indicator, style), digits_text(m.title, style),
                         digits_text(m.steps, style), row.unit_names, digits_text(m.period, style),
                         status_label(row, style), _answer_text(row, style), pending, evidence), body)
        ws.cell(row=r, column=1).alignment = Alignment(horizontal="center", vertical="top")
    _finish(ws, len(MEASURE_HEADERS))


def _who_when(entry: ReportEntry, stamp: str, style: str) -> tuple[str, str]:
    day = entry_day(stamp or entry.created_at)
    time = (stamp or entry.created_at)[11:16]
    when = f"{thai_short_date(day, style)} {dg(time, style)}".strip() if day else ""
    return clean(entry.officer_name) or entry.officer_id, when


def _evidence(ws: Worksheet, tech: Worksheet, report: RoundReport, store: EvidenceStore, style: str) -> None:
    """Every evidence item readers can follow; hashes and sizes on the technical sheet."""
    body = _sheet(ws, EVIDENCE_HEADERS)
    tech_body = _sheet(tech, TECH_HEADERS)
    for row in report.rows:
        for ans in row.answers:
            labels = evidence_labels(ans.entry.evidence, style)
            for ev, label in zip(ans.entry.evidence, labels, strict=True):
                who, when = _who_when(ans.entry, ev.created_at, style)
                present = "" if ev.kind == "url" else ("มี" if has_file(store, ev.sha256) else "ไม่พบไฟล์")
                r = _append(ws, (row.measure.no, row.measure.title, ans.unit.name, KIND_LABELS.get(ev.kind, ev.kind),
                                 evidence_label(ev), label, who, when, present, report.marks.get(ev.id, "")), body)
                if ev.kind == "url" and clean(ev.url).lower().startswith(("http://", "https://")):
                    ws.cell(row=r, column=5).hyperlink = clean(ev.url)
                if ev.kind != "url":
                    _append(tech, (row.measure.no, label, ev.mime, ev.size, ev.sha256), tech_body)
    _finish(ws, len(EVIDENCE_HEADERS))
    _finish(tech, len(TECH_HEADERS))


def _summary(ws: Worksheet, report: RoundReport, style: str) -> None:
    """Title lines, totals as values with ร้อยละ, and beside them the live COUNTIF that checks them."""
    bold = Font(name=DOC_FONT, size=16, bold=True)
    for line in title_lines(report, style):
        ws.append([line])
        ws.cell(row=ws.max_row, column=1).font = bold
    ws.append([])
    ws.append(["สถานะ", "จำนวน", "ร้อยละ", "ตรวจสอบ (สูตร)"])
    col = get_column_letter(STATUS_COLUMN)
    last = len(report.rows) + 1
    total = len(report.rows)
    for status in TOTAL_ORDER:
        label = TOTAL_LABELS[status]
        match = label + ("*" if status == "partial" else "")  # "ดำเนินการบางส่วน (๑/๒ ส่วนราชการ)"
        ws.append([label, report.count(status), float(percent(report.count(status), total, "arabic")),
                   f'=COUNTIF(\'{MEASURE_SHEET}\'!{col}2:{col}{last},"{match}")'])
    answers = get_column_letter(STATUS_COLUMN + 1)
    carried = report.totals.carried
    ws.append([CARRIED_TOTAL, carried, float(percent(carried, total, "arabic")),
               f'=COUNTIF(\'{MEASURE_SHEET}\'!{answers}2:{answers}{last},"*ยกมาจากรอบ*")'])
    ws.append(["รวม", total, 100.0 if total else 0.0, f"=COUNTA('{MEASURE_SHEET}'!{col}2:{col}{last})"])
    for width, letter in ((30, "A"), (12, "B"), (12, "C"), (18, "D")):
        ws.column_dimensions[letter].width = width
    for cells in ws.iter_rows(min_row=len(title_lines(report, style)) + 2):
        for cell in cells:
            cell.font = Font(name=DOC_FONT, size=14)
    _print_setup(ws, None)


def render_xlsx(report: RoundReport, path: Path, evidence: EvidenceStore, digits: str = "thai") -> Path:
    """Write the round as an .xlsx workbook: measures, evidence and a live summary."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = MEASURE_SHEET
    _measures(ws, report, digits)
    _evidence(wb.create_sheet(EVIDENCE_SHEET), wb.create_sheet(TECH_SHEET), report, evidence, digits)
    _summary(wb.create_sheet(SUMMARY_SHEET), report, digits)
    wb.move_sheet(SUMMARY_SHEET, offset=-2)
    wb.properties.title = title_lines(report, digits)[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path

