"""The Word report, read back with python-docx the way a head's office would open it."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Mm
from PIL import Image

from report.docx import render_docx
from report.docx_xml import TABLE_PT
from report.fonts import DOC_FONT
from report.labels import PARTIAL, carried_note, status_boxes, status_label
from report.layout import CELL_PAD_MM, widest_word_mm
from report.options import ReportOptions, Signer
from report.render import render_documents
from tests.docx_read import open_docx
from tests.report_fixtures import LONG_ANSWER, build, make_image, thai_url, typical

THAI = re.compile("[\u0e00-\u0e7f]")


def _render(tmp_path: Path, fx=None, digits: str = "thai", **kw) -> docx.document.Document:
    fx = fx or typical(build())
    path = render_docx(fx.compile(**kw), tmp_path / "r.docx", fx.store, digits)
    return open_docx(path)


def _pr(element: Any) -> Any:
    """An element's property child (trPr / rPr), untyped for lookups."""
    return element.trPr if element.tag == qn("w:tr") else element.rPr


def _row(doc, no: str):
    return next(r for r in doc.tables[0].rows[1:] if r.cells[0].text == no)


def _texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


BOX = "\u00a0"


def test_page_title_header_footer_and_table_shape(tmp_path: Path) -> None:
    doc = _render(tmp_path)
    section = doc.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    width, height = section.page_width or 0, section.page_height or 0
    assert abs(width - Mm(297)) < Mm(1) and abs(height - Mm(210)) < Mm(1)
    assert _texts(doc)[:4] == [
        "รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน",
        "ประจำปีงบประมาณ พ.ศ. ๒๕๖๙",
        "รอบ ๖ เดือน (ตั้งแต่วันที่ ๑ ตุลาคม ๒๕๖๘ ถึงวันที่ ๓๑ มีนาคม ๒๕๖๙)",
        "องค์การบริหารส่วนตำบลคำเนียม อำเภอกาบเชิง จังหวัดสุรินทร์",
    ]
    header = section.header.paragraphs[0].text
    assert header.startswith("องค์การบริหารส่วนตำบลคำเนียม · รายงานผล") and header.endswith("๒๕๖๙ · รอบ ๖ เดือน")
    footer = section.footer.paragraphs[0]
    assert footer.text.startswith("ข้อมูล ณ วันที่ ๒๐ มีนาคม ๒๕๖๙ เวลา ๑๐.๐๐ น.") and "หน้า " in footer.text
    fields = [t.text.strip() for t in footer._p.iter(qn("w:instrText"))]
    assert fields == ["PAGE", "NUMPAGES"]
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == [
        "ลำดับ", "มาตรการ/กิจกรรม", "ขั้นตอน/วิธีดำเนินการ", "ผู้รับผิดชอบ", "ระยะเวลา", "ความก้าวหน้าผลการดำเนินการ",
    ]
    firsts = [r.cells[0].text for r in table.rows[1:]]
    assert firsts == ["ตัวชี้วัดที่ ๑ การปฏิบัติหน้าที่", "๑", "ตัวชี้วัดที่ ๒ การใช้งบประมาณ", "๒",
                      "ตัวชี้วัดที่ ๓ การใช้อำนาจ", "๓", "ตัวชี้วัดที่ ๔ การใช้ทรัพย์สินของราชการ", "๔"]
    assert _pr(table.rows[0]._tr).find(qn("w:tblHeader")) is not None
    assert all(_pr(r._tr).find(qn("w:cantSplit")) is not None for r in table.rows)  # rows never break


def test_columns_fit_their_widest_word_at_the_table_font(tmp_path: Path) -> None:
    table = _render(tmp_path).tables[0]
    for cell in table.rows[0].cells + table.rows[2].cells[:5]:
        inner = cell.width.mm - CELL_PAD_MM
        assert widest_word_mm(cell.text, TABLE_PT, bold=True) <= inner, cell.text
    widths = [c.width.mm for c in table.rows[0].cells]
    assert abs(sum(widths) - 267) < 1 and widths[-1] == max(widths)  # the progress column gets the room


def test_progress_cells_tick_the_reported_box(tmp_path: Path) -> None:
    doc = _render(tmp_path)
    done = _row(doc, "๒").cells[-1].text
    assert done.startswith(f"☐{BOX}ยังไม่ได้ดำเนินการ  ☑{BOX}ดำเนินการ (๑๐ มี.ค. ๖๙)")
    assert "- เผยแพร่แผนการจัดซื้อจัดจ้างประจำปี" in done
    assert "• ไฟล์ ๑ (คำสั่ง.pdf)" in done and "รออนุมัติ" not in done
    not_done = _row(doc, "๓").cells[-1].text
    assert not_done.startswith(f"☑{BOX}ยังไม่ได้ดำเนินการ  ☐{BOX}ดำเนินการ")
    assert "ปัญหา/อุปสรรค: รอคำสั่งแต่งตั้งคณะทำงาน" in not_done
    none = _row(doc, "๔").cells[-1].text
    assert none.startswith(f"☐{BOX}ยังไม่ได้ดำเนินการ  ☐{BOX}ดำเนินการ\nยังไม่ได้รายงาน")
    several = _row(doc, "๑").cells[-1].text
    assert "สำนักปลัด – ดำเนินการ (๑๐ มี.ค. ๖๙)" in several and "กองคลัง – ยังไม่ได้ดำเนินการ" in several
    assert "ยังไม่ได้รายงาน: กองช่าง" in several
    assert "• ภาพถ่าย ๑ อบรม (รูปที่ ๑)" in several
    assert _row(doc, "๑").cells[3].text == "ทุกส่วนราชการ"


def test_partial_status_and_carried_answers_read_from_helpers() -> None:
    fx = typical(build())
    row = next(r for r in fx.compile().rows if r.measure.no == 1)
    assert row.status == PARTIAL  # one of three units done (domain.status)
    assert status_label(row) == "ดำเนินการบางส่วน (๑/๓ ส่วนราชการ)"
    assert status_boxes(row, "arabic") == [(False, "ยังไม่ได้ดำเนินการ"), (True, "ดำเนินการบางส่วน (1/3 ส่วนราชการ)")]
    carried = SimpleNamespace(carried_from=6)
    assert carried_note(carried) == "ยกมาจากรอบ ๖ เดือน" and carried_note(row.answers[0]) == ""


def test_long_rows_continue_as_numbered_rows_and_long_answers_go_to_the_annex(tmp_path: Path) -> None:
    fx = typical(build())
    fx.answer(4, "กองช่าง", "done", LONG_ANSWER, evidence=[fx.link(f"https://example.go.th/{i}") for i in range(8)])
    doc = _render(tmp_path, fx)
    cell = _row(doc, "๔").cells[-1].text
    assert len(cell) < 1200 and "(ฉบับเต็มในภาคผนวก ก ข้อ ๔)" in cell
    assert "และอีก ๕ รายการ (ภาคผนวก ก ข้อ ๔)" in cell
    texts = _texts(doc)
    assert "ภาคผนวก ก" in texts and any(t.startswith("ข้อ ๔ มาตรการการใช้ทรัพย์สิน") for t in texts)
    assert any(LONG_ANSWER.replace("1", "๑") in t for t in texts)  # in full, in the office's digits
    annex_links = [h.address for p in doc.paragraphs for h in p.hyperlinks]
    assert annex_links == [f"https://example.go.th/{i}" for i in range(8)]
    fx.answer(1, "กองช่าง", "done", "อบรม " * 400)
    doc = _render(tmp_path, fx)
    numbers = [r.cells[0].text for r in doc.tables[0].rows[1:4]]
    assert numbers[1] == "๑" and numbers[2] == "๑ (ต่อ)"


def test_links_are_clickable_hyperlinks(tmp_path: Path) -> None:
    fx = typical(build())
    fx.answer(4, "กองช่าง", "done", "ประกาศแล้ว", evidence=[fx.link(thai_url)])
    doc = _render(tmp_path, fx)
    links = [h for p in _row(doc, "๑").cells[-1].paragraphs for h in p.hyperlinks]
    assert [(h.text, h.address) for h in links] == [("https://example.go.th/manual", "https://example.go.th/manual")]
    thai = [h for p in _row(doc, "๔").cells[-1].paragraphs for h in p.hyperlinks][0]
    assert thai.text == thai_url  # shown as typed
    assert thai.address.isascii() and thai.address.startswith("https://www.%E0%B8%84")  # a valid target


def test_totals_with_percent_per_unit_table_and_signature_path(tmp_path: Path) -> None:
    doc = _render(tmp_path)
    texts = _texts(doc)
    head = texts.index("สรุปผลการดำเนินการรอบ ๖ เดือน")
    assert texts[head + 1 : head + 6] == [  # measure ๑: one of three units done, so partial (domain.status)
        "มาตรการและรายการทั้งหมด ๔ รายการ", "ดำเนินการ ๑ รายการ (ร้อยละ ๒๕.๐๐)",
        "ดำเนินการบางส่วน ๑ รายการ (ร้อยละ ๒๕.๐๐)", "ยังไม่ได้ดำเนินการ ๑ รายการ (ร้อยละ ๒๕.๐๐)",
        "ยังไม่ได้รายงาน ๑ รายการ (ร้อยละ ๒๕.๐๐)",
    ]
    assert all(doc.paragraphs[i].paragraph_format.keep_with_next for i in range(head, head + 6))
    units = doc.tables[1]
    assert [c.text for c in units.rows[1].cells] == ["สำนักปลัด", "๒", "๑", "๑", "๐", "๕๐.๐๐"]
    signers = [c.text for c in doc.tables[2].rows[0].cells]
    assert len(signers) == 3
    assert "ผู้รายงาน" in signers[0] and "(นายสมชาย ตั้งใจ)" in signers[0] and "ความเห็น" not in signers[0]
    assert signers[1].startswith("ความเห็นผู้ตรวจสอบ/เห็นชอบ") and "ผู้ตรวจสอบ/เห็นชอบ\n(....." in signers[1]
    assert signers[2].startswith("ความเห็นผู้อนุมัติ") and "วันที่ ....." in signers[2]
    assert _pr(doc.tables[2].rows[0]._tr).find(qn("w:cantSplit")) is not None


def test_signature_path_and_digits_from_the_offices_settings(tmp_path: Path) -> None:
    fx = typical(build(signer=False))
    options = ReportOptions(digits="arabic", preamble="อบต. ได้ดำเนินการตามมาตรการ 10 ข้อ", signers=(
        Signer("reporter", "นายนิอุสมัน อาแว", "หัวหน้าฝ่ายปกครอง", opinion=False),
        Signer("checker", "นางสาวฮาดีมาะห์ สะอิด", "หัวหน้าสำนักปลัด"),
        Signer("checker", "นายอานัน สิริโก", "ปลัด"),
        Signer("approver", "นายอับดุลรอฮิม เจ๊ะโซ๊ะ", "นายก"),
    ))
    doc = open_docx(render_docx(fx.compile(), tmp_path / "r.docx", fx.store, options=options))
    assert doc.paragraphs[1].text == "ประจำปีงบประมาณ พ.ศ. 2569"
    assert "อบต. ได้ดำเนินการตามมาตรการ 10 ข้อ" in _texts(doc)
    cells = next([c.text for c in t.rows[0].cells] for t in doc.tables if "ลงชื่อ" in t.rows[0].cells[0].text)
    assert [c.split("\n")[0] for c in cells[1:]] == ["ความเห็นหัวหน้าสำนักปลัด", "ความเห็นปลัด", "ความเห็นนายก"]
    assert "(นายอับดุลรอฮิม เจ๊ะโซ๊ะ)" in cells[3] and "ตำแหน่ง นายก" in cells[3]


def test_thai_runs_use_th_sarabun_new_16pt_on_complex_script(tmp_path: Path) -> None:
    doc = _render(tmp_path)
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for row in doc.tables[0].rows for c in row.cells for p in c.paragraphs for r in p.runs]
    thai_runs = [r for r in runs if THAI.search(r.text)]
    assert len(thai_runs) > 30
    for run in thai_runs:
        rpr = _pr(run._r)
        fonts = rpr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:cs")) == DOC_FONT and fonts.get(qn("w:ascii")) == DOC_FONT, run.text
        size = rpr.find(qn("w:szCs")).get(qn("w:val"))
        assert size in ("32", "28", "24") and rpr.find(qn("w:sz")).get(qn("w:val")) == size  # 16 body, 14 table
    bold = next(r for r in thai_runs if r.bold)
    assert _pr(bold._r).find(qn("w:bCs")) is not None  # Thai bold needs the complex-script flag too
    normal = doc.styles["Normal"].element.rPr
    assert normal.find(qn("w:rFonts")).get(qn("w:cs")) == DOC_FONT
    lang = normal.find(qn("w:lang"))
    assert (lang.get(qn("w:val")), lang.get(qn("w:bidi"))) == ("en-US", "th-TH")  # Latin en-US, Thai th-TH


def test_arabic_digits_on_request(tmp_path: Path) -> None:
    doc = _render(tmp_path, digits="arabic")
    assert doc.paragraphs[1].text == "ประจำปีงบประมาณ พ.ศ. 2569"
    assert [r.cells[0].text for r in doc.tables[0].rows[1:]][1::2] == ["1", "2", "3", "4"]


def test_photo_annex_is_a_captioned_grid_of_downscaled_photos(tmp_path: Path) -> None:
    fx = typical(build())
    big = fx.store.put(make_image((10, 120, 200), (3000, 2000), "JPEG"), "photo_AgADBAADr6cxG.jpg", "image/jpeg", "o1",
                       "2026-03-15T09:00:00+07:00")
    more = [fx.photo(f"กิจกรรม {i}.jpg", (i * 20, 90, 90)) for i in range(5)]
    more[1] = replace(more[1], note="ตรวจนับครุภัณฑ์ประจำปี 2569")  # the caption the officer typed
    fx.answer(4, "กองช่าง", "done", "ตรวจรับทรัพย์สิน", evidence=[big, *more])
    doc = _render(tmp_path, fx)
    assert "ภาคผนวก ข" in _texts(doc)
    grid = doc.tables[-1]
    assert len(grid.columns) == 3 and len(grid.rows) == 3  # seven photos, three across
    captions = [c.text.strip() for row in grid.rows for c in row.cells if c.text.strip()]
    assert captions[0].startswith("รูปที่ ๑ ภาพถ่าย ๑ อบรม\nมาตรการที่ ๑ จัดทำคู่มือ")
    assert captions[0].endswith("สำนักปลัด ๒๐ มี.ค. ๖๙")
    assert captions[1].startswith("รูปที่ ๒ ภาพถ่าย ๑\nมาตรการที่ ๔") and "AgAD" not in captions[1]
    assert captions[2].startswith("รูปที่ ๓ ภาพถ่าย ๒ กิจกรรม ๐")
    assert captions[3].startswith("รูปที่ ๔ ภาพถ่าย ๓ ตรวจนับครุภัณฑ์ประจำปี ๒๕๖๙")
    cell = _row(doc, "๔").cells[-1].text
    assert "• ภาพถ่าย ๑ (รูปที่ ๒)" in cell and "และอีก ๓ รายการ (ภาคผนวก ก ข้อ ๔)" in cell
    blobs = [rel.target_part.blob for rel in doc.part.rels.values() if "image" in rel.reltype]
    assert max(Image.open(io.BytesIO(b)).size for b in blobs) == (1000, 667)
    assert all(shape.width <= Mm(81) and shape.height <= Mm(55) for shape in doc.inline_shapes)


def test_bad_data_still_gives_a_valid_document(tmp_path: Path) -> None:
    fx = build()
    lost = fx.photo("หาย.jpg", (1, 2, 3))
    broken = fx.store.put(b"not an image at all", "เสีย.png", "image/png", "o1", "")
    fx.store._memory.pop(lost.sha256)  # the file vanished from disk
    fx.answer(1, "สำนักปลัด", "done", "ทำแล้ว", "สำเร็จ 🎉✅ ครบถ้วน\x0b", evidence=[lost, broken, fx.link(thai_url)])
    fx.answer(2, "กองคลัง", "done", "=cmd|' /C calc'!A0 <b>&amp;</b> \"quoted\"")
    fx.measures[2].title = "มาตรการ\x01ที่มีอักขระควบคุม $x$ ราคา $5"
    fx.repo.save_measures(fx.org.id, 2569, fx.measures)
    doc = _render(tmp_path, fx)
    cell = _row(doc, "๑").cells[-1].text
    assert "สำเร็จ 🎉✅ ครบถ้วน" in cell
    assert "• ภาพถ่าย ๑ หาย (ไม่พบไฟล์)" in cell
    assert "• ภาพถ่าย ๒ เสีย" in cell and "รูปที่" not in cell
    assert "=cmd|' /C calc'!A0 <b>&amp;</b> \"quoted\"" in _row(doc, "๒").cells[-1].text
    assert _row(doc, "๓").cells[1].text == "มาตรการที่มีอักขระควบคุม $x$ ราคา $๕"
    assert "ภาคผนวก ข" not in _texts(doc)  # no readable photo, no photo annex


def test_render_documents_names_kinds_and_uniqueness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")  # no LibreOffice: the other formats still come
    fx = typical(build())
    report = fx.compile(unit="กองคลัง")
    first = render_documents(report, tmp_path, fx.store)
    again = render_documents(report, tmp_path, fx.store)
    assert [f.kind for f in first] == ["document", "document", "photo"]
    assert [f.name for f in first] == [
        "ita-org1-fy2569-r6-u2-20260320-100000.docx",
        "ita-org1-fy2569-r6-u2-20260320-100000.xlsx",
        "ita-org1-fy2569-r6-u2-20260320-100000.png",
    ]
    assert [f.name for f in again][0] == "ita-org1-fy2569-r6-u2-20260320-100000-2.docx"
    assert first[0].mime.endswith("wordprocessingml.document") and first[2].mime == "image/png"
    assert all(f.path.stat().st_size > 1000 for f in first + again)


@pytest.mark.parametrize("round_no", [3, 12])
def test_rounds_leave_out_measures_not_monitored(tmp_path: Path, round_no: int) -> None:
    doc = _render(tmp_path, round_no=round_no)
    nos = [r.cells[0].text for r in doc.tables[0].rows[1:]][1::2]
    assert nos == (["๑", "๒"] if round_no == 3 else ["๑", "๒", "๓", "๔", "๕"])
