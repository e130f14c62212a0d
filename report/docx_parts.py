"""The report's frame: page setup, header and footer, title and preamble, totals, per-unit table, signatures."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_ALIGN_VERTICAL, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from domain.fiscal import digits as dg
from domain.fiscal import round_label, thai_date

from .compile import NOT_REPORTED, RoundReport
from .docx_xml import TABLE_PT, field, keep, para, run, set_lang, shade
from .fonts import DOC_FONT, DOC_FONT_SIZE_PT
from .labels import PARTIAL, digits_text
from .layout import text_mm
from .options import ReportOptions, Signer
from .text import CARRIED_TOTAL, STATUS_LABELS, TITLE, clean, title_lines

__all__ = ["APPROVED_VIA", "HEADER_PT", "approval_note", "data_as_of", "page_setup", "percent", "signatures",
           "title_block", "totals"]

HEADER_PT = 12
BODY_MM = 267.0
SHORT_TITLE = "รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใส (ITA)"
TOTAL_ORDER = ("done", PARTIAL, "not_done", NOT_REPORTED)
TOTAL_LABELS = {**STATUS_LABELS, PARTIAL: "ดำเนินการบางส่วน"}
APPROVED_VIA = "อนุมัติผ่านระบบ itabot เมื่อ"


def approval_note(report: RoundReport, style: str) -> str:
    """"อนุมัติผ่านระบบ itabot เมื่อ ๒ เมษายน ๒๕๖๙ เวลา ๐๙.๐๐ น." while the approval holds for these answers."""
    if report.approval is None:
        return ""
    at = datetime.fromisoformat(report.approval.at)
    return f"{APPROVED_VIA} {thai_date(at.date(), style)} เวลา {dg(at.strftime('%H.%M'), style)} น."


def percent(part: int, whole: int, style: str) -> str:
    """"๗๕.๔๷" to two decimals, as ITA scores are written."""
    return dg(f"{100 * part / whole:.2f}" if whole else "0.00", style)


def data_as_of(report: RoundReport, style: str) -> str:
    """"ข้อมูล ณ วันที่ ๓ เมษายน ๒๕๖๙ เวลา ๐๙.๓๐ น.": when the answers were read."""
    at = report.generated_at
    return f"ข้อมูล ณ วันที่ {thai_date(at.date(), style)} เวลา {dg(at.strftime('%H.%M'), style)} น."


def page_setup(doc: DocxDocument, report: RoundReport, style: str) -> None:
    """A4 landscape, Normal in TH Sarabun New 16 pt, language tags, and the header and footer of every page."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.left_margin = section.right_margin = Mm(15)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    section.header_distance, section.footer_distance = Mm(8), Mm(8)
    normal = doc.styles["Normal"]
    normal.font.name = DOC_FONT
    normal.font.size = Pt(DOC_FONT_SIZE_PT)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), DOC_FONT)
    szcs = OxmlElement("w:szCs")
    szcs.set(qn("w:val"), str(DOC_FONT_SIZE_PT * 2))
    rpr.find(qn("w:sz")).addnext(szcs)
    set_lang(doc)
    doc.core_properties.title = TITLE
    doc.core_properties.author = "itabot"
    head = f"{clean(report.org.name)} · {SHORT_TITLE} ปีงบประมาณ {dg(str(report.fiscal_year), style)} " \
           f"· {round_label(report.round.months, style)}"
    hp = para(section.header, first=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    run(hp, head, size=HEADER_PT)
    fp = para(section.footer, first=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    run(fp, data_as_of(report, style) + "   หน้า ", size=HEADER_PT)
    field(fp, "PAGE", size=HEADER_PT)  # LibreOffice prints page fields in Arabic digits whatever the switch
    run(fp, "/", size=HEADER_PT)
    field(fp, "NUMPAGES", size=HEADER_PT)


def title_block(doc: DocxDocument, report: RoundReport, options: ReportOptions, style: str) -> None:
    """The title lines, then the office's preamble (คำนำ) when it has one."""
    for i, line in enumerate(title_lines(report, style)):
        keep(para(doc, line, bold=i == 0, align=WD_ALIGN_PARAGRAPH.CENTER))
    preamble = clean(options.preamble)
    if preamble:
        par = para(doc, digits_text(preamble, style), align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        par.paragraph_format.first_line_indent = Mm(12)
        par.paragraph_format.space_before = Pt(6)
    para(doc).paragraph_format.space_after = Pt(2)


def _counts(report: RoundReport) -> Counter[str]:
    return Counter(r.status for r in report.rows)


def totals(doc: DocxDocument, report: RoundReport, style: str) -> None:
    """สรุปผล: counts with ร้อยละ, then one row per unit; the heading never leaves its lines."""
    counts, total = _counts(report), len(report.rows)
    head = para(doc, f"สรุปผลการดำเนินการ{round_label(report.round.months, style)}", bold=True)
    head.paragraph_format.space_before = Pt(10)
    keep(head)
    keep(para(doc, f"มาตรการและรายการทั้งหมด {dg(str(total), style)} รายการ"))
    for status in TOTAL_ORDER:
        line = f"{TOTAL_LABELS[status]} {dg(str(counts[status]), style)} รายการ " \
               f"(ร้อยละ {percent(counts[status], total, style)})"
        keep(para(doc, line))
    if report.totals.carried:  # answers of an earlier round shown for this one (domain.status)
        keep(para(doc, f"{CARRIED_TOTAL} {dg(str(report.totals.carried), style)} รายการ"))
    _unit_table(doc, report, style)


def _unit_table(doc: DocxDocument, report: RoundReport, style: str) -> None:
    by_unit = report.by_unit()
    if not by_unit:
        return
    keep(para(doc, "รายส่วนราชการ (จำนวนมาตรการที่รับผิดชอบ)", bold=True))
    headers = ("ส่วนราชการ", "รับผิดชอบ", "ดำเนินการ", "ยังไม่ได้ดำเนินการ", "ยังไม่ได้รายงาน", "ร้อยละที่ดำเนินการ")
    widths = [70.0, 30.0, 30.0, 38.0, 36.0, 40.0]
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    rows = [(name, c) for name, c in by_unit.items()]
    for cell, text, w in zip(table.rows[0].cells, headers, widths, strict=True):
        cell.width = Mm(w)
        shade(cell, "DDEBF7")
        keep(para(cell, text, bold=True, first=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=TABLE_PT))
    for n, (name, c) in enumerate(rows):
        all_ = sum(c.values())
        values = (clean(name), str(all_), str(c["done"]), str(c["not_done"]), str(c[NOT_REPORTED]))
        tr = table.add_row()
        tr._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for i, (cell, w) in enumerate(zip(tr.cells, widths, strict=True)):
            cell.width = Mm(w)
            text = percent(c["done"], all_, style) if i == 5 else (values[i] if i == 0 else dg(values[i], style))
            align = None if i == 0 else WD_ALIGN_PARAGRAPH.CENTER
            keep(para(cell, text, first=True, align=align, size=TABLE_PT), with_next=n < len(rows) - 1)


def _dots(width_mm: float, pt: float) -> str:
    return "." * max(int(width_mm / max(text_mm(".", pt), 0.1)), 10)


def _signer_lines(s: Signer, width: float, approved: str = "") -> list[str]:
    lines: list[str] = []
    if s.opinion:
        whose = clean(s.position) or s.role_label
        lines.append(f"ความเห็น{whose}")
        lines += [_dots(width - 8, DOC_FONT_SIZE_PT)] * s.opinion_lines
    label_w = text_mm(f"ลงชื่อ  {s.role_label}", DOC_FONT_SIZE_PT)
    lines.append(f"ลงชื่อ {_dots(width - label_w - 16, DOC_FONT_SIZE_PT)} {s.role_label}")
    lines.append(f"({clean(s.name)})" if clean(s.name) else f"({_dots(width * 0.6, DOC_FONT_SIZE_PT)})")
    if approved:
        lines.append(approved)
    lines.append(f"ตำแหน่ง {clean(s.position) or _dots(width * 0.55, DOC_FONT_SIZE_PT)}")
    lines.append(f"วันที่ {_dots(width * 0.18, DOC_FONT_SIZE_PT)}/{_dots(width * 0.3, DOC_FONT_SIZE_PT)}/"
                 f"{_dots(width * 0.18, DOC_FONT_SIZE_PT)}")
    return lines


def signatures(doc: DocxDocument, signers: tuple[Signer, ...], approved: str = "") -> None:
    """Reporter, checker and approver side by side in one row that never splits (seed 004's path).

    `approved` (approval_note) is printed under the approver's name (the last signer when none is the approver).
    """
    if not signers:
        return
    spacer = keep(para(doc))
    spacer.paragraph_format.space_before = Pt(6)
    table = doc.add_table(rows=1, cols=len(signers))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    width = BODY_MM / len(signers)
    tr = table.rows[0]
    tr._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    roles = [s.role for s in signers]
    approver = roles.index("approver") if "approver" in roles else len(signers) - 1
    for n, (cell, signer) in enumerate(zip(tr.cells, signers, strict=True)):
        cell.width = Mm(width)
        cell.vertical_alignment = WD_ALIGN_VERTICAL.BOTTOM  # the ลงชื่อ lines align across signers
        for i, line in enumerate(_signer_lines(signer, width, approved if n == approver else "")):
            align = WD_ALIGN_PARAGRAPH.LEFT if line.startswith(("ความเห็น", ".")) else WD_ALIGN_PARAGRAPH.CENTER
            keep(para(cell, line, first=i == 0, align=align))
