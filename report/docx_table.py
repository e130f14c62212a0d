"""The measure tables: plan measures under their indicators, OIT items under their sub-indicators."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Mm
from docx.table import Table, _Cell

from domain.fiscal import digits as dg

from .compile import MeasureRow
from .docx_cells import Item, chunk_column, steps_items
from .docx_progress import Annex, progress_items
from .docx_xml import TABLE_PT, hyperlink, keep, para, run, shade, symbol
from .labels import digits_text
from .layout import ColumnSpec, fit_widths, text_mm
from .text import clean

__all__ = ["BODY_MM", "Group", "group_rows", "heading_of", "is_oit", "render_tables"]

BODY_MM = 267.0  # A4 landscape minus 15 mm margins
HEADER_FILL = "DDEBF7"
GROUP_FILL = "F2F2F2"
PLAN_HEADERS = ("ลำดับ", "มาตรการ/กิจกรรม", "ขั้นตอน/วิธีดำเนินการ", "ผู้รับผิดชอบ", "ระยะเวลา",
                "ความก้าวหน้าผลการดำเนินการ")
OIT_HEADERS = ("ข้อ", "ข้อมูล", "องค์ประกอบด้านข้อมูล", "ผู้รับผิดชอบ", "ความก้าวหน้าผลการดำเนินการ")
PLAN_WEIGHTS = (0, 1.0, 1.3, 0, 0, 6.0)
OIT_WEIGHTS = (0, 0.8, 2.6, 0, 4.0)


def is_oit(row: MeasureRow) -> bool:
    """An OIT checklist item (o1 … o43) rather than one of the office's own measures."""
    m = row.measure
    code = m.oit_code or m.indicator
    return code[:1] in ("o", "O") and code[1:].isdigit()


def oit_code(row: MeasureRow, style: str) -> str:
    """o1 as the seeds write it: ๐๑ in Thai-digit documents, o1 otherwise."""
    code = row.measure.oit_code or row.measure.indicator
    return ("๐" + dg(code[1:], "thai")) if style == "thai" else code.lower()


@dataclass
class Group:
    """An indicator (or OIT sub-indicator) heading and its rows, in plan order."""

    heading: str
    rows: list[MeasureRow] = field(default_factory=list)


def heading_of(row: MeasureRow, style: str) -> str:
    """The indicator (or OIT sub-indicator) heading a row is printed under."""
    m = row.measure
    name = clean(m.indicator_name)
    if m.indicator_no:
        word = "ตัวชี้วัดย่อยที่" if "." in m.indicator_no else "ตัวชี้วัดที่"
        return f"{word} {dg(m.indicator_no, style)} {name}".strip()
    if is_oit(row):
        return "การเปิดเผยข้อมูลสาธารณะ (OIT)"
    text = re.sub(r"^(\d+(?:\.\d+)?)\.?\s*", r"\1 ", clean(m.indicator)).strip()  # "1. การ…" → "1 การ…"
    return digits_text(text if text.startswith("ตัวชี้วัด") else f"ตัวชี้วัดที่ {text}", style) if text else "-"


def group_rows(rows: list[MeasureRow], style: str) -> list[Group]:
    """Consecutive rows of one indicator under one heading."""
    groups: list[Group] = []
    for row in rows:
        heading = heading_of(row, style)
        if not groups or groups[-1].heading != heading:
            groups.append(Group(heading))
        groups[-1].rows.append(row)
    return groups


def _plan_cells(row: MeasureRow, style: str) -> list[list[Item]]:
    m = row.measure
    return [
        [Item(digits_text(clean(m.title), style))],
        steps_items(digits_text(clean(m.steps), style)) or [Item("-")],
        [Item(clean(row.unit_names) or "-")],
        [Item(digits_text(clean(m.period), style) or "-")],
    ]


def _oit_cells(row: MeasureRow, style: str) -> list[list[Item]]:
    m = row.measure
    comps = [Item(digits_text("- " + clean(c).lstrip("- "), style)) for c in m.component_list if clean(c)]
    comps = comps or steps_items(digits_text(clean(m.components), style)) or [Item("-")]
    return [[Item(digits_text(clean(m.title), style))], comps, [Item(clean(row.unit_names) or "-")]]


def _fill(cell: _Cell, items: list[Item], width: float) -> None:
    """Write a cell's items; the first paragraph reuses the cell's own."""
    cell.width = Mm(width)
    for i, item in enumerate(items or [Item("")]):
        par = para(cell, first=i == 0, size=TABLE_PT)
        if item.indent:
            par.paragraph_format.left_indent = Mm(4)
        if item.boxes:
            for j, (ticked, label) in enumerate(item.boxes):
                if j:
                    run(par, "  ", size=TABLE_PT)
                symbol(par, "☑" if ticked else "☐", size=TABLE_PT)
                run(par, "\u00a0" + label, size=TABLE_PT)
            if item.prefix:
                run(par, item.prefix, size=TABLE_PT)
        elif item.url:
            if item.prefix:
                run(par, item.prefix, size=TABLE_PT)
            hyperlink(par, item.url, item.text.removeprefix(item.prefix), size=TABLE_PT)
        elif item.text:
            run(par, item.text, bold=item.bold, size=TABLE_PT)


def _row_props(tr: object, header: bool = False) -> None:
    """Rows never split (tall measures are cut into rows here); the header row repeats on every page."""
    trpr = tr.get_or_add_trPr()  # type: ignore[attr-defined]
    trpr.append(OxmlElement("w:cantSplit"))
    if header:
        trpr.append(OxmlElement("w:tblHeader"))


def _table(doc: DocxDocument, headers: tuple[str, ...], widths: list[float]) -> Table:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    for i, w in enumerate(widths):
        table.columns[i].width = Mm(w)
    _row_props(table.rows[0]._tr, header=True)
    for cell, title, w in zip(table.rows[0].cells, headers, widths, strict=True):
        cell.width = Mm(w)
        shade(cell, HEADER_FILL)
        para(cell, title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, first=True, size=TABLE_PT)
    return table


def _group_row(table: Table, heading: str, widths: list[float]) -> None:
    """The indicator heading across the table, kept with the first measure below it."""
    tr = table.add_row()
    _row_props(tr._tr)
    merged = tr.cells[0].merge(tr.cells[-1])
    merged.width = Mm(sum(widths))
    shade(merged, GROUP_FILL)
    keep(para(merged, heading, bold=True, first=True, size=TABLE_PT))


def _measure_rows(table: Table, number: str, columns: list[list[Item]], widths: list[float]) -> None:
    """One measure as one or more rows; the later rows say "๓ (ต่อ)"."""
    chunked = [chunk_column(items, w, TABLE_PT) for items, w in zip(columns, widths[1:], strict=True)]
    count = max(len(c) for c in chunked)
    for k in range(count):
        tr = table.add_row()
        _row_props(tr._tr)
        label = number if k == 0 else f"{number} (ต่อ)"
        _fill(tr.cells[0], [Item(label)], widths[0])
        tr.cells[0].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        for cell, chunks, w in zip(tr.cells[1:], chunked, widths[1:], strict=True):
            _fill(cell, chunks[k] if k < len(chunks) else [], w)


def _widths(headers: tuple[str, ...], weights: tuple[float, ...], columns: list[list[list[Item]]],
            numbers: list[str]) -> list[float]:
    texts: list[tuple[str, ...]] = [tuple(n + " (ต่อ)" for n in numbers)]
    for i in range(len(headers) - 1):
        texts.append(tuple(item.text for cols in columns for item in cols[i] if not item.url and not item.boxes))
    specs = [ColumnSpec(h, t, w) for h, t, w in zip(headers, texts, weights, strict=True)]
    specs[-1] = ColumnSpec(headers[-1], texts[-1], weights[-1],
                           min_mm=text_mm("☐ ยังไม่ได้ดำเนินการ  ☑ ดำเนินการ", TABLE_PT))
    return fit_widths(specs, BODY_MM, TABLE_PT)


def _render(doc: DocxDocument, rows: list[MeasureRow], headers: tuple[str, ...], weights: tuple[float, ...],
            cells: Callable[[MeasureRow, str], list[list[Item]]], number: Callable[[MeasureRow], str],
            annex: Annex, style: str) -> None:
    numbers = [number(r) for r in rows]
    columns = [[*cells(r, style), progress_items(r, annex, style, n)] for r, n in zip(rows, numbers, strict=True)]
    widths = _widths(headers, weights, columns, numbers)
    table = _table(doc, headers, widths)
    by_id = {id(r): (n, c) for r, n, c in zip(rows, numbers, columns, strict=True)}
    for group in group_rows(rows, style):
        _group_row(table, group.heading, widths)
        for r in group.rows:
            n, c = by_id[id(r)]
            _measure_rows(table, n, c, widths)


def render_tables(doc: DocxDocument, rows: list[MeasureRow], annex: Annex, style: str) -> None:
    """The plan's measures, then the OIT checklist, each as one table with group headings."""
    plan = [r for r in rows if not is_oit(r)]
    oit = [r for r in rows if is_oit(r)]
    if plan:
        _render(doc, plan, PLAN_HEADERS, PLAN_WEIGHTS, _plan_cells, lambda r: dg(str(r.measure.no), style),
                annex, style)
    if oit:
        if plan:
            keep(para(doc, "การเปิดเผยข้อมูลสาธารณะ (Open Data Integrity and Transparency Assessment: OIT)",
                      bold=True)).paragraph_format.space_before = Mm(4)
        _render(doc, oit, OIT_HEADERS, OIT_WEIGHTS, _oit_cells, lambda r: oit_code(r, style), annex, style)
