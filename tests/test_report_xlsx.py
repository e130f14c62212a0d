"""The Excel workbook: statuses a formula can count, every evidence item, usable sheets."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from report.xlsx import EVIDENCE_SHEET, MEASURE_SHEET, STATUS_COLUMN, render_xlsx
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
        (1, "ดำเนินการบางส่วน (๑/๓ ส่วนราชการ)"), (2, "ดำเนินการ"), (3, "ยังไม่ได้ดำเนินการ"),
        (4, "ยังไม่ได้รายงาน"),
    ]
    first = rows[0]
    assert "สำนักปลัด – ดำเนินการ" in first[7] and "จัดทำคู่มือการให้บริการประชาชน" in first[7]
    assert first[8] == "กองช่าง" and first[9] == 2  # pending units, evidence count
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:J5"
    assert ws.cell(row=2, column=8).alignment.wrap_text


def test_summary_sheet_counts_with_formulas(tmp_path: Path) -> None:
    ws = _book(tmp_path)["สรุป"]
    cells = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] and len(r) > 1 and r[1]}
    assert cells["ดำเนินการ"] == "=COUNTIF('มาตรการ'!G2:G5,\"ดำเนินการ\")"
    assert cells["ยังไม่ได้รายงาน"] == "=COUNTIF('มาตรการ'!G2:G5,\"ยังไม่ได้รายงาน\")"
    assert cells["ดำเนินการบางส่วน"] == "=COUNTIF('มาตรการ'!G2:G5,\"ดำเนินการบางส่วน*\")"
    assert ws["A1"].value.startswith("รายงานผลการดำเนินการตามมาตรการ")


def test_evidence_sheet_lists_every_item(tmp_path: Path) -> None:
    fx = typical(build())
    ws = _book(tmp_path, fx)[EVIDENCE_SHEET]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        (1, "สำนักปลัด", "ภาพ", "อบรม.jpg"),
        (1, "สำนักปลัด", "ลิงก์", "https://example.go.th/manual"),
        (2, "กองคลัง", "ไฟล์", "คำสั่ง.pdf"),
    ]
    photo = rows[0]
    assert len(photo[5]) == 64 and photo[6] == "สมใจ ใจดี" and photo[7] == "๒๐ มี.ค. ๖๙ ๑๐:๐๐" and photo[8] == "มี"
    assert ws.cell(row=3, column=5).hyperlink.target == "https://example.go.th/manual"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:I4"


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
    assert LONG_ANSWER in ws.cell(row=2, column=8).value and "\x1b" not in ws.cell(row=2, column=8).value
    ev = list(book[EVIDENCE_SHEET].iter_rows(min_row=2, values_only=True))
    assert ev[0][4] == "หาย.jpg" and ev[0][8] == "ไม่พบไฟล์"
    assert ev[1][4] == thai_url


def test_unit_filter_keeps_only_that_units_measures(tmp_path: Path) -> None:
    ws = _book(tmp_path, unit="สำนักปลัด")[MEASURE_SHEET]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[4], r[6]) for r in rows] == [(1, "ทุกส่วนราชการ", "ดำเนินการ"), (3, "สำนักปลัด", "ยังไม่ได้ดำเนินการ")]
