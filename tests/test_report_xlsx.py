"""The Excel workbook: statuses a formula can count, every evidence item, usable sheets."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from report.xlsx import EVIDENCE_SHEET, MEASURE_SHEET, STATUS_COLUMN, SUMMARY_SHEET, TECH_SHEET, render_xlsx
from tests.report_fixtures import LONG_ANSWER, build, thai_url, typical


def _book(tmp_path: Path, fx=None, **kw) -> openpyxl.Workbook:
    fx = fx or typical(build())
    return openpyxl.load_workbook(render_xlsx(fx.compile(**kw), tmp_path / "r.xlsx", fx.store))


def test_one_row_per_measure_with_countable_status(tmp_path: Path) -> None:
    ws = _book(tmp_path)[MEASURE_SHEET]
    header = [c.value for c in ws[1]]
    assert header[:7] == ["ลำดับ", "ตัวชี้วัด", "มาตรการ/กิจกรรม", "ขั้นตอน/วิธีดำเนินการ", "ผู้รับผิดชอบ", "ระยะเวลา", "สถานะ"]
    assert header[STATUS_COLUMN - 1] == "สถานะ"
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[STATUS_COLUMN - 1]) for r in rows] == [
        (1, "ดำเนินการบางส่วน (๑/๓ ส่วนราชการ)"), (2, "ดำเนินการ"), (3, "ยังไม่ได้ดำเนินการ"), (4, "ยังไม่ได้รายงาน"),
    ]
    first = rows[0]
    assert "สำนักปลัด – ดำเนินการ" in first[7] and "จัดทำคู่มือการให้บริการประชาชน" in first[7]
    assert first[8] == "กองช่าง" and first[9] == 2  # pending units, evidence count
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:J5"
    assert ws.cell(row=2, column=8).alignment.wrap_text
    assert rows[0][1] == "๑. การปฏิบัติหน้าที่"  # the indicator as text beside the number, never "11"
    assert ws.cell(row=2, column=1).alignment.horizontal == "center"
    assert ws.row_dimensions[2].height >= 4 * 19  # the multi-line progress cell shows whole


def test_totals_are_values_with_percent_and_checking_formulas(tmp_path: Path) -> None:
    path = render_xlsx(typical(build()).compile(), tmp_path / "r.xlsx", build().store)
    ws = openpyxl.load_workbook(path, data_only=True)[SUMMARY_SHEET]  # what a viewer that never recalculates shows
    cells = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r[0] and len(r) > 1 and r[1] is not None}
    assert cells["ดำเนินการ"][:2] == (1, 25.0) and cells["ดำเนินการบางส่วน"][:2] == (1, 25.0)
    assert cells["ยังไม่ได้ดำเนินการ"][:2] == (1, 25.0)
    assert cells["ยังไม่ได้รายงาน"][:2] == (1, 25.0) and cells["รวม"][:2] == (4, 100.0)
    formulas = openpyxl.load_workbook(path)[SUMMARY_SHEET]
    found = {r[0]: r[3] for r in formulas.iter_rows(values_only=True) if r[0] and len(r) > 3}
    assert found["ดำเนินการ"] == "=COUNTIF('มาตรการ'!G2:G5,\"ดำเนินการ\")"
    assert formulas["A1"].value.startswith("รายงานผลการดำเนินการตามมาตรการ")


def test_every_sheet_prints_a4_landscape_one_page_wide_with_repeated_header(tmp_path: Path) -> None:
    book = _book(tmp_path)
    assert book.sheetnames == [MEASURE_SHEET, SUMMARY_SHEET, EVIDENCE_SHEET, TECH_SHEET]
    for ws in book.worksheets:
        setup = ws.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    for name in (MEASURE_SHEET, EVIDENCE_SHEET, TECH_SHEET):
        assert book[name].print_title_rows == "$1:$1"


def test_evidence_sheet_lists_every_item(tmp_path: Path) -> None:
    fx = typical(build())
    ws = _book(tmp_path, fx)[EVIDENCE_SHEET]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[3], r[4], r[5]) for r in rows] == [
        (1, "สำนักปลัด", "ภาพ", "อบรม.jpg", "ภาพถ่าย ๑ อบรม"),
        (1, "สำนักปลัด", "ลิงก์", "https://example.go.th/manual", "https://example.go.th/manual"),
        (2, "กองคลัง", "ไฟล์", "คำสั่ง.pdf", "ไฟล์ ๑ (คำสั่ง.pdf)"),
    ]
    photo = rows[0]
    assert photo[6] == "สมใจ ใจดี" and photo[7] == "๒๐ มี.ค. ๖๙ ๑๐:๐๐" and photo[8] == "มี"
    tech = list(_book(tmp_path, fx)[TECH_SHEET].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[2]) for r in tech] == [(1, "ภาพถ่าย ๑ อบรม", "image/jpeg"), (2, "ไฟล์ ๑ (คำสั่ง.pdf)", "application/pdf")]
    assert all(len(r[4]) == 64 for r in tech)  # hashes only on the technical sheet
    assert ws.cell(row=3, column=5).hyperlink.target == "https://example.go.th/manual"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:J4"  # J: ข้อสังเกต (issue 17 warnings)


def test_bad_data_and_formula_text_stay_plain_text(tmp_path: Path) -> None:
    fx = build()
    lost = fx.photo("หาย.jpg")
    fx.store._memory.pop(lost.sha256)
    fx.answer(1, "สำนักปลัด", "done", LONG_ANSWER + "\x1b", "🎉", evidence=[lost, fx.link(thai_url)])
    fx.measures[1].title = '=HYPERLINK("http://evil.example","คลิก")'
    fx.repo.save_measures(fx.org.id, 2569, fx.measures)
    book = _book(tmp_path, fx)
    ws = book[MEASURE_SHEET]
    assert ws.cell(row=3, column=3).value == '=HYPERLINK("http://evil.example","คลิก")'
    assert ws.cell(row=3, column=3).data_type == "s"
    progress = ws.cell(row=2, column=8).value
    assert LONG_ANSWER.replace("1", "๑") in progress and "\x1b" not in progress  # the office's digits
    assert thai_url in progress  # a link stays as typed
    ev = list(book[EVIDENCE_SHEET].iter_rows(min_row=2, values_only=True))
    assert ev[0][4] == "หาย.jpg" and ev[0][8] == "ไม่พบไฟล์"
    assert ev[1][4] == thai_url


def test_unit_filter_keeps_only_that_units_measures(tmp_path: Path) -> None:
    ws = _book(tmp_path, unit="สำนักปลัด")[MEASURE_SHEET]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[4], r[6]) for r in rows] == [(1, "ทุกส่วนราชการ", "ดำเนินการ"), (3, "สำนักปลัด", "ยังไม่ได้ดำเนินการ")]  # noqa: E501
