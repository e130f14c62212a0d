"""The official-form Word report: A4 landscape, one measure table, totals, signature block, photo annex."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from PIL import Image, ImageOps

from domain.fiscal import digits as dg
from domain.fiscal import round_label, thai_short_date
from storage.evidence import EvidenceStore
from storage.models import STATUS_DONE, STATUS_NOT_DONE, Evidence

from .compile import NOT_REPORTED, PARTIAL, MeasureRow, RoundReport, UnitAnswer
from .fonts import DOC_FONT, DOC_FONT_SIZE_PT, SYMBOL_FONT
from .text import (
    STATUS_LABELS,
    TITLE,
    carried_label,
    clean,
    entry_day,
    evidence_label,
    has_file,
    shorten,
    status_label,
    title_lines,
    totals_lines,
    xml_safe,
)

__all__ = ["COLUMNS", "downscale_photo", "render_docx"]

COLUMNS: tuple[tuple[str, int], ...] = (  # header, width in mm (A4 landscape minus 15 mm margins = 267)
    ("ลำดับ", 12),
    ("ตัวชี้วัด", 18),
    ("มาตรการ/กิจกรรม", 45),
    ("ขั้นตอน/วิธีดำเนินการ", 62),
    ("ผู้รับผิดชอบ", 25),
    ("ระยะเวลา", 24),
    ("ความก้าวหน้าผลการดำเนินการ", 81),
)
SPLIT_ROW_CHARS = 250  # a long row may break across pages (else it leaves pages half empty); short rows never do
PHOTO_BOX_MM = (120, 72)
PHOTO_MAX_PX = 1200
LINK_COLOR = RGBColor(0x05, 0x63, 0xC1)


@dataclass
class _Photo:
    """A photo for the annex, with where it came from."""

    no: int
    data: bytes  # downscaled JPEG
    size: tuple[int, int]
    caption: str
    ids: list[str] = field(default_factory=list)


def _font(run: Run, bold: bool = False, size: float = DOC_FONT_SIZE_PT, name: str = DOC_FONT) -> Run:
    """Set the font on Latin and complex-script properties alike (Thai reads w:cs and w:szCs)."""
    run.font.name = name
    rpr = run._r.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), name)
    if bold:
        run.bold = True
        rpr.get_or_add_bCs()
    run.font.size = Pt(size)
    sz = rpr.find(qn("w:sz"))
    szcs = rpr.find(qn("w:szCs"))
    if szcs is None:
        szcs = OxmlElement("w:szCs")
        sz.addnext(szcs)
    szcs.set(qn("w:val"), str(int(size * 2)))
    return run


def _run(par: Paragraph, text: str, bold: bool = False, size: float = DOC_FONT_SIZE_PT) -> Run:
    """A run of document text (newlines become line breaks)."""
    return _font(par.add_run(xml_safe(text)), bold=bold, size=size)


def _para(container: DocxDocument | _Cell, text: str = "", bold: bool = False,
          align: WD_ALIGN_PARAGRAPH | None = None, first: bool = False) -> Paragraph:
    """A paragraph (reusing a new cell's empty first one)."""
    par = container.paragraphs[0] if first else container.add_paragraph()
    par.paragraph_format.space_after = Pt(0)
    par.paragraph_format.space_before = Pt(0)
    if align is not None:
        par.alignment = align
    if text:
        _run(par, text, bold=bold)
    return par


def _hyperlink(par: Paragraph, url: str, text: str) -> None:
    """A clickable link; non-ASCII (Thai) characters are percent-encoded in the target only."""
    target = quote(clean(url), safe=":/?#[]@!$&'()*+,;=%~")
    r_id = par.part.relate_to(target, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = _run(par, text)
    run.font.color.rgb = LINK_COLOR
    run.font.underline = True
    link.append(run._r)
    par._p.append(link)


def _set_defaults(doc: DocxDocument) -> None:
    """A4 landscape, 15 mm margins, Normal style in TH Sarabun New 16 pt for Latin and Thai."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    style = doc.styles["Normal"]
    style.font.name = DOC_FONT
    style.font.size = Pt(DOC_FONT_SIZE_PT)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), DOC_FONT)
    szcs = OxmlElement("w:szCs")
    szcs.set(qn("w:val"), str(DOC_FONT_SIZE_PT * 2))
    rpr.find(qn("w:sz")).addnext(szcs)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "th-TH")
    lang.set(qn("w:bidi"), "th-TH")
    rpr.append(lang)
    doc.core_properties.title = TITLE
    doc.core_properties.author = "itabot"


def _row_props(row_el: object, header: bool, can_split: bool) -> None:
    """cantSplit keeps a row on one page; tblHeader repeats the header row on every page."""
    trpr = row_el.get_or_add_trPr()  # type: ignore[attr-defined]
    if not can_split:
        trpr.append(OxmlElement("w:cantSplit"))
    if header:
        trpr.append(OxmlElement("w:tblHeader"))


def _boxes(par: Paragraph, status: str, partial_label: str = "") -> None:
    """"☐ ยังไม่ได้ดำเนินการ   ☑ ดำเนินการ" with the reported box ticked (a third box when partial)."""
    for i, value in enumerate((STATUS_NOT_DONE, STATUS_DONE, PARTIAL)[: 3 if status == PARTIAL else 2]):
        if i:
            _run(par, "   ")
        _font(par.add_run("☑" if status == value else "☐"), name=SYMBOL_FONT)
        _run(par, " " + (partial_label if value == PARTIAL else STATUS_LABELS[value]))


def _evidence(cell: _Cell, ev: Evidence, store: EvidenceStore, photo_no: dict[str, int], style: str) -> None:
    """One evidence line: a link is clickable, a file shows its name, a photo points at the annex."""
    par = _para(cell, "• ")
    if ev.kind == "url":
        _hyperlink(par, ev.url, evidence_label(ev))
        return
    word = "ภาพ" if ev.kind == "photo" else "ไฟล์"
    _run(par, f"{word} {evidence_label(ev)}")
    no = photo_no.get(ev.id)
    if not has_file(store, ev.sha256):
        _run(par, " (ไม่พบไฟล์)", bold=True)
    elif no:
        _run(par, f" (ภาคผนวก รูปที่ {dg(str(no), style)})")


def _answer(cell: _Cell, row: MeasureRow, ans: UnitAnswer, store: EvidenceStore,
            photo_no: dict[str, int], style: str) -> None:
    """A unit's answer: unit and date, what was done, outcome or reason, evidence."""
    e = ans.entry
    day = entry_day(e.created_at)
    head = clean(ans.unit.name)
    if len(row.units) > 1:
        head += f" – {STATUS_LABELS.get(e.status, e.status)}"
    if day:
        head += f" ({thai_short_date(day, style)})"
    if ans.carried_from is not None:
        head += f" – {carried_label(ans.carried_from, style)}"
    _para(cell, head, bold=True)
    if clean(e.summary):
        _para(cell, "- " + clean(e.summary))
    if clean(e.outcome):
        _para(cell, "ผลลัพธ์: " + clean(e.outcome))
    if clean(e.reason):
        _para(cell, "เหตุผล: " + clean(e.reason))
    if e.evidence:
        _para(cell, "หลักฐาน:")
    for ev in e.evidence:
        _evidence(cell, ev, store, photo_no, style)


def _progress(cell: _Cell, row: MeasureRow, store: EvidenceStore, photo_no: dict[str, int], style: str) -> None:
    """The progress cell of the official form."""
    _boxes(_para(cell, first=True), row.status, status_label(row, style))
    if row.status == NOT_REPORTED:
        _para(cell, STATUS_LABELS[NOT_REPORTED], bold=True)
    for ans in row.answers:
        _answer(cell, row, ans, store, photo_no, style)
    if row.answers and row.pending_units:
        _para(cell, "ยังไม่ได้รายงาน: " + ", ".join(clean(u.name) for u in row.pending_units))


def _row_length(row: MeasureRow) -> int:
    e = [a.entry for a in row.answers]
    answers = sum(len(x.summary) + len(x.outcome) + len(x.reason) + 60 * (1 + len(x.evidence)) for x in e)
    return max(len(row.measure.steps), len(row.measure.title), answers)


def _table(doc: DocxDocument, report: RoundReport, store: EvidenceStore, photo_no: dict[str, int],
           style: str) -> None:
    """The measure table with a repeating header row."""
    table = doc.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    table.autofit = False
    for i, (_, width) in enumerate(COLUMNS):
        table.columns[i].width = Mm(width)
    header = table.rows[0]
    _row_props(header._tr, header=True, can_split=False)
    for cell, (title, width) in zip(header.cells, COLUMNS, strict=True):
        cell.width = Mm(width)
        _para(cell, title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, first=True)
    for row in report.rows:
        m = row.measure
        tr = table.add_row()
        _row_props(tr._tr, header=False, can_split=_row_length(row) > SPLIT_ROW_CHARS)
        cells = tr.cells
        values = (dg(str(m.no), style), dg(m.indicator, style), m.title, m.steps, row.unit_names, m.period)
        for i, value in enumerate(values):
            cells[i].width = Mm(COLUMNS[i][1])
            align = WD_ALIGN_PARAGRAPH.CENTER if i == 0 else None
            _para(cells[i], clean(value) or "-", align=align, first=True)
        cells[-1].width = Mm(COLUMNS[-1][1])
        _progress(cells[-1], row, store, photo_no, style)


def _totals(doc: DocxDocument, report: RoundReport, style: str) -> None:
    """Totals of the round."""
    par = _para(doc)
    par.paragraph_format.space_before = Pt(8)
    label = round_label(report.round.months, style)
    _run(par, f"สรุปผลการดำเนินการ{label}: มาตรการทั้งหมด {dg(str(len(report.rows)), style)} มาตรการ", bold=True)
    for line in totals_lines(report, style):
        _para(doc, line)


def _signature(doc: DocxDocument, report: RoundReport) -> None:
    """ลงชื่อ … ผู้รายงาน, (name), position — kept together on the right."""
    dots = "." * 50
    name = clean(report.org.signer_name) or dots
    position = clean(report.org.signer_position)
    lines = ["", f"ลงชื่อ {dots} ผู้รายงาน", f"({name})", f"ตำแหน่ง {position or dots}"]
    for i, line in enumerate(lines):
        par = _para(doc, line, align=WD_ALIGN_PARAGRAPH.CENTER)
        par.paragraph_format.left_indent = Mm(140)
        par.paragraph_format.keep_with_next = i < len(lines) - 1
        par.paragraph_format.keep_together = True


def downscale_photo(data: bytes | None, max_px: int = PHOTO_MAX_PX) -> tuple[bytes, tuple[int, int]] | None:
    """A JPEG no larger than max_px on its long side, or None when the bytes are not a readable image."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (max_px, max_px))  # JPEG: decode at reduced scale, much faster for big photos
            pic = ImageOps.exif_transpose(img) or img
            pic = pic.convert("RGB")
            pic.thumbnail((max_px, max_px))
            out = io.BytesIO()
            pic.save(out, "JPEG", quality=80, optimize=True)
            return out.getvalue(), pic.size
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None


def _collect_photos(report: RoundReport, store: EvidenceStore, style: str) -> list[_Photo]:
    """Every readable photo of the round in table order, numbered for cross-references."""
    photos: list[_Photo] = []
    by_key: dict[tuple[str, str, str], _Photo] = {}
    for row in report.rows:
        for ans in row.answers:
            for ev in ans.entry.evidence:
                key = (row.measure.id, ans.unit.id, ev.sha256)
                if ev.kind != "photo" or not ev.sha256:
                    continue
                if key in by_key:
                    by_key[key].ids.append(ev.id)
                    continue
                shrunk = downscale_photo(store.read(ev.sha256))
                if shrunk is None:
                    continue
                day = entry_day(ev.created_at) or entry_day(ans.entry.created_at)
                when = f" {thai_short_date(day, style)}" if day else ""
                no = len(photos) + 1
                caption = (f"รูปที่ {dg(str(no), style)} มาตรการที่ {dg(str(row.measure.no), style)} "
                           f"{shorten(row.measure.title, 90)}\n{clean(ans.unit.name)}{when}")
                photos.append(_Photo(no, shrunk[0], shrunk[1], caption, [ev.id]))
                by_key[key] = photos[-1]
    return photos


def _annex(doc: DocxDocument, report: RoundReport, photos: list[_Photo], style: str) -> None:
    """ภาคผนวก: the photos, two per row, each downscaled and captioned."""
    shown = photos
    if not shown:
        return
    _run(_para(doc), "").add_break(WD_BREAK.PAGE)
    _para(doc, "ภาคผนวก", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, f"ภาพถ่ายหลักฐานการดำเนินการ {round_label(report.round.months, style)}",
          align=WD_ALIGN_PARAGRAPH.CENTER)
    table = doc.add_table(rows=0, cols=2)
    table.autofit = False
    for i in range(0, len(shown), 2):
        tr = table.add_row()
        _row_props(tr._tr, header=False, can_split=False)
        for cell, photo in zip(tr.cells, shown[i : i + 2], strict=False):
            cell.width = Mm(133)
            par = _para(cell, align=WD_ALIGN_PARAGRAPH.CENTER, first=True)
            w, h = photo.size
            box_w, box_h = PHOTO_BOX_MM
            width = min(box_w, box_h * w / h) if h else box_w
            par.add_run().add_picture(io.BytesIO(photo.data), width=Mm(width))
            _para(cell, photo.caption, align=WD_ALIGN_PARAGRAPH.CENTER)


def render_docx(report: RoundReport, path: Path, evidence: EvidenceStore, digits: str = "thai") -> Path:
    """Write the round's official progress report as a .docx file."""
    doc = Document()
    _set_defaults(doc)
    for i, line in enumerate(title_lines(report, digits)):
        _para(doc, line, bold=i == 0, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc)
    photos = _collect_photos(report, evidence, digits)
    photo_no = {i: p.no for p in photos for i in p.ids}
    _table(doc, report, evidence, photo_no, digits)
    _totals(doc, report, digits)
    _signature(doc, report)
    _annex(doc, report, photos, digits)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
