"""The Word report, read back with python-docx the way a head's office would open it."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Mm
from PIL import Image

from report.docx import render_docx
from report.fonts import DOC_FONT
from report.render import render_documents
from tests.report_fixtures import LONG_ANSWER, build, make_image, thai_url, typical

THAI = re.compile("[\u0e00-\u0e7f]")


def _render(tmp_path: Path, fx=None, digits: str = "thai", **kw) -> docx.document.Document:
    fx = fx or typical(build())
    path = render_docx(fx.compile(**kw), tmp_path / "r.docx", fx.store, digits)
    return docx.Document(str(path))


def _pr(element: Any) -> Any:
    """An element's property child (trPr / rPr), untyped for lookups."""
    return element.trPr if element.tag == qn("w:tr") else element.rPr


def _row(doc, no: str):
    return next(r for r in doc.tables[0].rows[1:] if r.cells[0].text == no)


def test_page_title_and_table_shape(tmp_path: Path) -> None:
    doc = _render(tmp_path)
    section = doc.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    width, height = section.page_width or 0, section.page_height or 0
    assert abs(width - Mm(297)) < Mm(1) and abs(height - Mm(210)) < Mm(1)
    titles = [p.text for p in doc.paragraphs[:4]]
    assert titles == [
        "รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน",
        "ประจำปีงบประมาณ พ.ศ. ๒๕๖๙",
        "รอบ ๖ เดือน (ตั้งแต่วันที่ ๑ ตุลาคม ๒๕๖๘ ถึงวันที่ ๓๑ มีนาคม ๒๕๖๙)",
        "องค์การบริหารส่วนตำบลคำเนียม อำเภอกาบเชิง จังหวัดสุรินทร์",
    ]
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == [
        "ลำดับ", "ตัวชี้วัด", "มาตรการ/กิจกรรม", "ขั้นตอน/วิธีดำเนินการ", "ผู้รับผิดชอบ", "ระยะเวลา",
        "ความก้าวหน้าผลการดำเนินการ",
    ]
    assert [r.cells[0].text for r in table.rows[1:]] == ["๑", "๒", "๓", "๔"]  # ๕ is not monitored in round 6
    header_pr = _pr(table.rows[0]._tr)
    assert header_pr.find(qn("w:tblHeader")) is not None
    short_rows = [r for r in table.rows if len("".join(c.text for c in r.cells)) < 250]
    assert len(short_rows) >= 2  # the header and short measures never break across a page
    assert all(_pr(r._tr).find(qn("w:cantSplit")) is not None for r in short_rows)


def test_progress_cells_tick_the_reported_box(tmp_path: Path) -> None:
    doc = _render(tmp_path)
    done = _row(doc, "๒").cells[-1].text
    assert done.startswith("☐ ยังไม่ได้ดำเนินการ   ☑ ดำเนินการ")
    assert "- เผยแพร่แผนการจัดซื้อจัดจ้างประจำปี" in done and "กองคลัง (๑๐ มี.ค. ๖๙)" in done
    assert "ไฟล์ คำสั่ง.pdf" in done and "รออนุมัติ" not in done
    not_done = _row(doc, "๓").cells[-1].text
    assert not_done.startswith("☑ ยังไม่ได้ดำเนินการ   ☐ ดำเนินการ")
    assert "เหตุผล: รอคำสั่งแต่งตั้งคณะทำงาน" in not_done
    none = _row(doc, "๔").cells[-1].text
    assert none.startswith("☐ ยังไม่ได้ดำเนินการ   ☐ ดำเนินการ\nยังไม่ได้รายงาน")
    several = _row(doc, "๑").cells[-1].text
    assert "สำนักปลัด – ดำเนินการ" in several and "กองคลัง – ยังไม่ได้ดำเนินการ" in several
    assert "ยังไม่ได้รายงาน: กองช่าง" in several
    assert "ภาพ อบรม.jpg (ภาคผนวก รูปที่ ๑)" in several
    assert _row(doc, "๑").cells[4].text == "ทุกส่วนราชการ"


def test_links_are_clickable_hyperlinks(tmp_path: Path) -> None:
    fx = typical(build())
    fx.answer(4, "กองช่าง", "done", "ประกาศแล้ว", evidence=[fx.link(thai_url)])
    doc = _render(tmp_path, fx)
    links = [h for p in _row(doc, "๑").cells[-1].paragraphs for h in p.hyperlinks]
    assert [(h.text, h.address) for h in links] == [("https://example.go.th/manual", "https://example.go.th/manual")]
    thai = [h for p in _row(doc, "๔").cells[-1].paragraphs for h in p.hyperlinks][0]
    assert thai.text == thai_url  # shown as typed
    assert thai.address.isascii() and thai.address.startswith("https://www.%E0%B8%84")  # a valid target


def test_totals_and_signature(tmp_path: Path) -> None:
    texts = [p.text for p in _render(tmp_path).paragraphs]
    assert "สรุปผลการดำเนินการรอบ ๖ เดือน: มาตรการทั้งหมด ๔ มาตรการ" in texts
    assert {"ดำเนินการ ๑ มาตรการ", "ดำเนินการบางส่วน ๑ มาตรการ", "ยังไม่ได้ดำเนินการ ๑ มาตรการ",
            "ยังไม่ได้รายงาน ๑ มาตรการ"} <= set(texts)
    sign = texts.index(next(t for t in texts if t.startswith("ลงชื่อ")))
    assert texts[sign].endswith("ผู้รายงาน")
    assert texts[sign + 1 : sign + 3] == ["(นายสมชาย ตั้งใจ)", "ตำแหน่ง ปลัดองค์การบริหารส่วนตำบล"]


def test_signature_without_signer_leaves_dotted_lines(tmp_path: Path) -> None:
    texts = [p.text for p in _render(tmp_path, typical(build(signer=False))).paragraphs]
    sign = texts.index(next(t for t in texts if t.startswith("ลงชื่อ")))
    assert texts[sign + 1].startswith("(....") and texts[sign + 2].startswith("ตำแหน่ง ....")


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
        assert rpr.find(qn("w:szCs")).get(qn("w:val")) == "32" and rpr.find(qn("w:sz")).get(qn("w:val")) == "32"
    bold = next(r for r in thai_runs if r.bold)
    assert _pr(bold._r).find(qn("w:bCs")) is not None  # Thai bold needs the complex-script flag too
    normal = doc.styles["Normal"].element.rPr
    assert normal.find(qn("w:rFonts")).get(qn("w:cs")) == DOC_FONT
    assert normal.find(qn("w:lang")).get(qn("w:bidi")) == "th-TH"


def test_arabic_digits_on_request(tmp_path: Path) -> None:
    doc = _render(tmp_path, digits="arabic")
    assert doc.paragraphs[1].text == "ประจำปีงบประมาณ พ.ศ. 2569"
    assert [r.cells[0].text for r in doc.tables[0].rows[1:]] == ["1", "2", "3", "4"]


def test_photo_annex_is_downscaled_and_captioned(tmp_path: Path) -> None:
    fx = typical(build())
    big = fx.store.put(make_image((10, 120, 200), (3000, 2000), "JPEG"), "ใหญ่.jpg", "image/jpeg", "o1", "2026-03-15T09:00:00+07:00")
    fx.answer(4, "กองช่าง", "done", "ตรวจรับทรัพย์สิน", evidence=[big])
    doc = _render(tmp_path, fx)
    texts = [p.text for p in doc.paragraphs]
    assert "ภาคผนวก" in texts
    annex = doc.tables[1]
    captions = [c.text.strip() for row in annex.rows for c in row.cells if c.text.strip()]
    assert captions[0].startswith("รูปที่ ๑ มาตรการที่ ๑ จัดทำคู่มือ") and captions[0].endswith("สำนักปลัด ๒๐ มี.ค. ๖๙")
    assert captions[1].startswith("รูปที่ ๒ มาตรการที่ ๔") and captions[1].endswith("กองช่าง ๑๕ มี.ค. ๖๙")
    assert "ภาพ ใหญ่.jpg (ภาคผนวก รูปที่ ๒)" in _row(doc, "๔").cells[-1].text
    blobs = [rel.target_part.blob for rel in doc.part.rels.values() if "image" in rel.reltype]
    sizes = sorted(Image.open(io.BytesIO(b)).size for b in blobs)
    assert sizes == [(320, 240), (1200, 800)]
    assert all(shape.width <= Mm(121) for shape in doc.inline_shapes)


def test_bad_data_still_gives_a_valid_document(tmp_path: Path) -> None:
    fx = build()
    lost = fx.photo("หาย.jpg", (1, 2, 3))
    broken = fx.store.put(b"not an image at all", "เสีย.png", "image/png", "o1", "")
    fx.store._memory.pop(lost.sha256)  # the file vanished from disk
    fx.answer(1, "สำนักปลัด", "done", LONG_ANSWER, "สำเร็จ 🎉✅ ครบถ้วน\x0b", evidence=[lost, broken, fx.link(thai_url)])
    fx.answer(2, "กองคลัง", "done", "=cmd|' /C calc'!A0 <b>&amp;</b> \"quoted\"")
    fx.measures[2].title = "มาตรการ\x01ที่มีอักขระควบคุม"
    fx.repo.save_measures(fx.org.id, 2569, fx.measures)
    doc = _render(tmp_path, fx)
    cell = _row(doc, "๑").cells[-1].text
    assert LONG_ANSWER in cell
    assert "สำเร็จ 🎉✅ ครบถ้วน" in cell
    assert "ภาพ หาย.jpg (ไม่พบไฟล์)" in cell
    assert "ภาพ เสีย.png" in cell and "ภาคผนวก" not in cell
    assert "=cmd|' /C calc'!A0 <b>&amp;</b> \"quoted\"" in _row(doc, "๒").cells[-1].text
    assert _row(doc, "๓").cells[2].text == "มาตรการที่มีอักขระควบคุม"
    assert len(doc.tables) == 1  # no readable photo, no annex
    assert _pr(_row(doc, "๑")._tr).find(qn("w:cantSplit")) is None  # a page-long row may break


def test_render_documents_names_kinds_and_uniqueness(tmp_path: Path) -> None:
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
    nos = [r.cells[0].text for r in doc.tables[0].rows[1:]]
    assert nos == (["๑", "๒"] if round_no == 3 else ["๑", "๒", "๓", "๔", "๕"])
