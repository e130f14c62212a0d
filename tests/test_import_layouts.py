"""Six plan layouts offices publish, read from Word and (three of them, plus seed 002) from the PDF LibreOffice
makes of them: each gives the measures, units and rounds a person reading the document would list."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.plan_import import ParsedPlan, parse_plan_bytes, preview_text
from handlers.samples import sample_plan
from tests.plan_layouts import (
    build_headerless_continuation_docx,
    build_numbered_docx,
    build_numbered_plain_docx,
    build_two_row_header_docx,
    to_pdfs,
)
from tests.test_docx_import import build_per_indicator_docx, build_seed002_docx, build_seed004_docx
from tests.tools import require_tool

ALL = [3, 6, 9, 12]


def _flat(text: str) -> str:
    return "".join(text.split())


def _got(parsed: ParsedPlan) -> list[tuple[str, list[str], bool, list[int], str]]:
    return [(_flat(r.title), r.unit_names, r.all_units, r.rounds, _flat(r.period)) for r in parsed.rows]


def _want(rows: list[tuple[str, list[str], bool, list[int], str]]) -> list[tuple[str, list[str], bool, list[int], str]]:
    return [(_flat(t), u, a, r, _flat(p)) for t, u, a, r, p in rows]


SEED002 = [(r.title, r.unit_names, r.all_units, r.rounds, r.period) for r in sample_plan(2569).rows]
PER_INDICATOR = [
    ("จัดทำคู่มือการให้บริการและเผยแพร่บนเว็บไซต์", ["สำนักปลัด"], False, ALL, ""),
    ("ประชาสัมพันธ์แผนการใช้จ่ายงบประมาณให้บุคลากรทราบ", ["งานพัสดุ"], False, ALL, ""),
]
TWO_ROW = [
    ("จัดทำป้ายแสดงขั้นตอนการให้บริการหน้าสำนักงาน", ["กองช่าง"], False, [6, 12], "ตุลาคม ๒๕๖๘ – ธันวาคม ๒๕๖๘"),
    ("เผยแพร่รายงานการเงินประจำเดือนบนเว็บไซต์", ["กองคลัง"], False, ALL, "ตลอดปีงบประมาณ ๒๕๖๙"),
    ("อบรมพนักงานเรื่องการรับเรื่องร้องเรียนการทุจริต", ["สำนักปลัด"], False, [12], "มกราคม – มีนาคม ๒๕๖๙"),
]
CONTINUED = [
    ("ติดตั้งกล่องรับความคิดเห็นประชาชน", ["สำนักปลัด"], False, ALL, "ต.ค. ๒๕๖๘ – ก.ย. ๒๕๖๙"),
    ("ประกาศผลการจัดซื้อจัดจ้างทุกเดือน", ["งานพัสดุ"], False, ALL, "ต.ค. ๒๕๖๘ – ก.ย. ๒๕๖๙"),
    ("จัดทำแผนการใช้ยานพาหนะของราชการ", ["สำนักปลัด"], False, ALL, "พ.ย. ๒๕๖๘"),
    ("ประชุมชี้แจงเรื่องผลประโยชน์ทับซ้อน", [], True, ALL, "ธ.ค. ๒๕๖๘"),
]
NUMBERED = [
    ("จัดทำคู่มือการยืมพัสดุและครุภัณฑ์ของราชการ", ["งานพัสดุ"], False, [6], "ตุลาคม ๒๕๖๘ – มีนาคม ๒๕๖๙"),
    ("เปิดช่องทางรับแจ้งเบาะแสการทุจริตทางไลน์", ["สำนักปลัด"], False, ALL, "ตลอดปีงบประมาณ"),
    ("ประเมินความพึงพอใจผู้รับบริการ", ["กองการศึกษา"], False, [12], "สิงหาคม ๒๕๖๙"),
]

LAYOUTS = {
    "seed002": (build_seed002_docx, SEED002),
    "per_indicator": (build_per_indicator_docx, PER_INDICATOR),
    "two_row": (build_two_row_header_docx, TWO_ROW),
    "continued": (build_headerless_continuation_docx, CONTINUED),
    "numbered": (build_numbered_docx, NUMBERED),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_word_layout_imports_its_measures_units_and_rounds(name: str) -> None:
    build, expected = LAYOUTS[name]
    assert _got(parse_plan_bytes(build(), f"{name}.docx")) == _want(expected)


def test_seed004_progress_report_layout_still_gives_its_measures() -> None:
    rows = parse_plan_bytes(build_seed004_docx(), "รายงาน 2566.docx").rows
    assert [(r.no, r.indicator) for r in rows[:3]] == [(1, "9.4"), (2, "8"), (3, "4")]
    assert len(rows) == 54 and all(r.rounds == ALL for r in rows)


def test_plain_numbered_items_take_the_indicator_heading_and_the_unit_in_brackets() -> None:
    parsed = parse_plan_bytes(build_numbered_plain_docx(), "แผน.docx")
    assert [(r.no, r.indicator, r.title, r.unit_names) for r in parsed.rows] == [
        (1, "5", "ประกาศเจตจำนงสุจริตของผู้บริหาร", ["สำนักปลัด"]),
        (2, "5", "จัดทำแผนบริหารความเสี่ยงการทุจริต", ["กองวิชาการและแผนงาน"]),
    ]
    assert "อ่านจากย่อหน้าที่มีเลขข้อ 2 ข้อ" in preview_text(parsed, 2569)


def test_two_row_header_is_read_as_one_and_the_preview_says_how_sure() -> None:
    parsed = parse_plan_bytes(build_two_row_header_docx(), "แผน.docx")
    text = preview_text(parsed, 2569)
    assert "คอลัมน์ 3 «วิธีการ» → ขั้นตอน/แนวทาง" in text
    assert "คอลัมน์ 4 «ผู้รับ ผิดชอบ» → ผู้รับผิดชอบ (95%)" in text
    assert "คอลัมน์ 6 «รอบการ รายงานผล» → รอบรายงาน (100%)" in text
    assert "1. จัดทำป้ายแสดงขั้นตอนการให้บริการหน้าสำนักงาน — กองช่าง · รอบ 6, 12 เดือน" in text
    assert parsed.rows[0].steps == "๑. ออกแบบป้าย ๒. ติดตั้งป้าย"


def test_per_indicator_preview_reads_the_guideline_as_the_measure() -> None:
    text = preview_text(parse_plan_bytes(build_per_indicator_docx(), "แนวทาง.docx"), 2569)
    assert "คอลัมน์ 3 «แนวทางการดำเนินการ» → ชื่อมาตรการ (85%)" in text
    assert "คอลัมน์ 5 «ผู้กำกับดูแล» → ผู้กำกับดูแล" in text  # a supervisor is not who reports
    assert "คอลัมน์ 4 «ตัวชี้วัดผลผลิต» → ตัวชี้วัดผลผลิต" in text


PDF_LAYOUTS = ("seed002", "per_indicator", "two_row", "numbered", "continued")


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The PDFs LibreOffice makes of five layouts (one soffice run for all)."""
    require_tool("soffice", "libreoffice", package="libreoffice-writer-nogui")
    files = {name: LAYOUTS[name][0]() for name in PDF_LAYOUTS}
    return to_pdfs(files, tmp_path_factory.mktemp("pdf"))


@pytest.mark.parametrize("name", PDF_LAYOUTS)
def test_the_pdf_of_a_layout_imports_like_its_word_file(name: str, pdfs: dict[str, bytes]) -> None:
    parsed = parse_plan_bytes(pdfs[name], f"{name}.pdf")
    assert _got(parsed) == _want(LAYOUTS[name][1])


def test_seed002_from_its_pdf_equals_the_word_import_title_for_title(pdfs: dict[str, bytes]) -> None:
    from_word = parse_plan_bytes(build_seed002_docx(), "มาตรการ 2569.docx")
    from_pdf = parse_plan_bytes(pdfs["seed002"], "มาตรการ 2569.pdf")
    assert [_flat(r.title) for r in from_pdf.rows] == [_flat(r.title) for r in from_word.rows]
    assert [(r.indicator, r.unit_names, r.rounds) for r in from_pdf.rows] == [
        (r.indicator, r.unit_names, r.rounds) for r in from_word.rows
    ]
    assert from_pdf.problems == []
    assert "ำา" not in " ".join(r.title + r.steps for r in from_pdf.rows)  # sara am is one character again


def test_pdf_from_a_path_through_the_cli(pdfs: dict[str, bytes], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main
    from tests.factory import open_store

    path = tmp_path / "แนวทาง.pdf"
    path.write_bytes(pdfs["per_indicator"])
    data = tmp_path / "data"
    assert main(["import", str(path), "--org", "อบต.ทดสอบ", "--yes", "--data-dir", str(data), "--today", "2025-11-03"]) == 0
    assert "✅ นำเข้าแล้ว" in capsys.readouterr().out
    repo = open_store(data)
    measures = repo.list_measures(repo.list_orgs()[0].id, 2569)
    assert [m.indicator_no for m in measures] == ["1", "2"]


def test_a_table_without_any_header_is_read_by_what_its_cells_hold() -> None:
    import docx

    from tests.test_docx_import import _add_table

    doc = docx.Document()
    doc.add_paragraph("แผนปฏิบัติการ")
    _add_table(doc, [
        ["1", "จัดทำแผนการจัดซื้อจัดจ้างประจำปีและประกาศให้ทราบ", "กองคลัง", "ตุลาคม ๒๕๖๘", "รอบ ๖ เดือน"],
        ["2", "ประชาสัมพันธ์ช่องทางร้องเรียนการทุจริต", "สำนักปลัด", "ตลอดปีงบประมาณ", "รอบ ๖ และ ๑๒ เดือน"],
    ], 5)  # fmt: skip
    import io

    out = io.BytesIO()
    doc.save(out)
    parsed = parse_plan_bytes(out.getvalue(), "แผน.docx")
    assert [(r.no, r.title, r.unit_names, r.rounds) for r in parsed.rows] == [
        (1, "จัดทำแผนการจัดซื้อจัดจ้างประจำปีและประกาศให้ทราบ", ["กองคลัง"], [6]),
        (2, "ประชาสัมพันธ์ช่องทางร้องเรียนการทุจริต", ["สำนักปลัด"], [6, 12]),
    ]
    text = preview_text(parsed, 2569)
    assert "อ่านคอลัมน์จากข้อความในตาราง" in text
    assert "คอลัมน์ 3 (ไม่มีหัวคอลัมน์) → ผู้รับผิดชอบ (85%)" in text
    assert "คอลัมน์ 5 (ไม่มีหัวคอลัมน์) → รอบรายงาน (85%)" in text


def test_an_admin_sends_the_pdf_in_chat(pdfs: dict[str, bytes]) -> None:
    from tests.factory import make_office

    office = make_office()
    admin = office.register("ad", "admin")
    admin.send_file("แนวทาง 2569.pdf", pdfs["per_indicator"], mime="application/pdf")
    assert "พบมาตรการ 2 รายการ" in admin.text and "→ ชื่อมาตรการ" in admin.text
    admin.press("นำเข้า")
    assert "นำเข้าแผนแล้ว" in admin.text
    titles = [_flat(m.title) for m in office.repo.list_measures("o1", 2569)]
    assert _flat(PER_INDICATOR[0][0]) in titles and _flat(PER_INDICATOR[1][0]) in titles
