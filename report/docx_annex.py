"""The annexes: ก full answers the table shortened, ข the photos as a captioned grid (six per page)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Mm, Pt
from PIL import Image, ImageOps

from domain.fiscal import digits as dg
from domain.fiscal import round_label, thai_short_date

from .compile import RoundReport
from .docx_progress import Annex, answer_items
from .docx_xml import TABLE_PT, hyperlink, keep, para, run
from .labels import evidence_labels
from .text import clean, entry_day, has_file, shorten

__all__ = ["PHOTO_COLUMNS", "Photo", "collect_photos", "downscale_photo", "render_annexes"]

PHOTO_COLUMNS = 3  # three across, two rows a page: six photos per landscape page
PHOTO_BOX_MM = (80, 54)
PHOTO_MAX_PX = 1000
CAPTION_PT = 12


@dataclass
class Photo:
    """A photo for the annex, with where it came from."""

    no: int
    data: bytes  # downscaled JPEG
    size: tuple[int, int]
    caption: str
    ids: list[str] = field(default_factory=list)


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


def collect_photos(report: RoundReport, store: object, annex: Annex, style: str) -> list[Photo]:
    """Every readable photo of the round in table order, numbered for the table's cross-references."""
    photos: list[Photo] = []
    by_key: dict[tuple[str, str, str], Photo] = {}
    for row in report.rows:
        for ans in row.answers:
            labels = evidence_labels(ans.entry.evidence, style)
            for ev, label in zip(ans.entry.evidence, labels, strict=True):
                if ev.kind == "url":
                    continue
                annex.file_ok[ev.id] = has_file(store, ev.sha256)  # type: ignore[arg-type]
                key = (row.measure.id, ans.unit.id, ev.sha256)
                if ev.kind != "photo" or not ev.sha256:
                    continue
                if key in by_key:
                    by_key[key].ids.append(ev.id)
                    continue
                shrunk = downscale_photo(store.read(ev.sha256))  # type: ignore[attr-defined]
                if shrunk is None:
                    continue
                day = entry_day(ev.created_at) or entry_day(ans.entry.created_at)
                when = f" {thai_short_date(day, style)}" if day else ""
                no = len(photos) + 1
                caption = (f"รูปที่ {dg(str(no), style)} {label}\nมาตรการที่ {dg(str(row.measure.no), style)} "
                           f"{shorten(row.measure.title, 50)}\n{clean(ans.unit.name)}{when}")
                photos.append(Photo(no, shrunk[0], shrunk[1], caption, [ev.id]))
                by_key[key] = photos[-1]
                annex.photo_no[ev.id] = no
    return photos


def _heading(doc: DocxDocument, text: str, sub: str) -> None:
    head = keep(para(doc, text, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER))
    head.paragraph_format.space_before = Pt(12)
    keep(para(doc, sub, align=WD_ALIGN_PARAGRAPH.CENTER))


def _answers(doc: DocxDocument, report: RoundReport, annex: Annex, style: str) -> None:
    """ภาคผนวก ก: each shortened measure in full, under its number and title."""
    if not annex.rows:
        return
    _heading(doc, "ภาคผนวก ก", f"รายละเอียดผลการดำเนินการ{round_label(report.round.months, style)} (ฉบับเต็ม)")
    for label, row in annex.rows:
        head = keep(para(doc, f"ข้อ {label} {shorten(row.measure.title, 140)}", bold=True, size=TABLE_PT))
        head.paragraph_format.space_before = Pt(6)
        for ans in row.answers:
            for item in answer_items(row, ans, annex, style, full=True):
                par = para(doc, size=TABLE_PT)
                par.paragraph_format.left_indent = Mm(8 if item.indent else 4)
                if item.url:
                    run(par, item.prefix, size=TABLE_PT)
                    hyperlink(par, item.url, item.text.removeprefix(item.prefix), size=TABLE_PT)
                else:
                    run(par, item.text, bold=item.bold, size=TABLE_PT)
                if item.bold:
                    keep(par)


def _photos(doc: DocxDocument, report: RoundReport, photos: list[Photo], style: str) -> None:
    """ภาคผนวก ข: the photos three across, each downscaled and captioned; rows never split."""
    if not photos:
        return
    _heading(doc, "ภาคผนวก ข", f"ภาพถ่ายหลักฐานการดำเนินการ{round_label(report.round.months, style)}")
    table = doc.add_table(rows=0, cols=PHOTO_COLUMNS)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    width = 267 / PHOTO_COLUMNS
    for i in range(0, len(photos), PHOTO_COLUMNS):
        tr = table.add_row()
        tr._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell, photo in zip(tr.cells, photos[i : i + PHOTO_COLUMNS], strict=False):
            cell.width = Mm(width)
            par = para(cell, align=WD_ALIGN_PARAGRAPH.CENTER, first=True)
            par.paragraph_format.space_before = Pt(4)
            w, h = photo.size
            box_w, box_h = PHOTO_BOX_MM
            par.add_run().add_picture(io.BytesIO(photo.data), width=Mm(min(box_w, box_h * w / h) if h else box_w))
            para(cell, photo.caption, align=WD_ALIGN_PARAGRAPH.CENTER, size=CAPTION_PT)


def render_annexes(doc: DocxDocument, report: RoundReport, annex: Annex, photos: list[Photo], style: str) -> None:
    """Annex ก (full answers) then ข (photos), continuing on the signature's page when there is room."""
    _answers(doc, report, annex, style)
    _photos(doc, report, photos, style)
