"""Issue 17: the officer is warned before saving about last year's photo and a photo used before."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import openpyxl

from report.compile import compile_round
from report.docx import render_docx
from report.xlsx import EVIDENCE_SHEET, render_xlsx
from storage.models import STATUS_DONE, Measure, ReportEntry
from tests.docx_read import open_docx
from tests.factory import Chat, Office, make_office
from tests.photos import photo, resized


def _at_evidence(office: Office, measure: str = "2. เผยแพร่") -> Chat:
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    chat.press(measure)
    chat.press("ดำเนินการ")
    chat.say("ประกาศแผนบนเว็บไซต์")
    chat.say("/skip")
    return chat


def test_a_photo_dated_before_the_fiscal_year_is_flagged_in_the_chat_and_the_recap_but_can_be_saved() -> None:
    chat = _at_evidence(make_office())
    chat.send_file("IMG_0815.jpg", photo(1, taken="2024:08:15 10:30:00"), "image/jpeg")
    assert "รับหลักฐานแล้ว: IMG_0815.jpg" in chat.text
    assert "⚠ IMG_0815.jpg: ลงวันที่ 15 ส.ค. 2567 ก่อนปีงบประมาณ 2569" in chat.text
    assert "ยังบันทึกได้" in chat.text
    chat.send_file("IMG_0112.jpg", photo(2, taken="2026:01:12 09:00:00"), "image/jpeg")
    assert "รับหลักฐานแล้ว: IMG_0112.jpg" in chat.text and "⚠" not in chat.text
    chat.press("เสร็จสิ้น")
    assert "⚠ 1. IMG_0815.jpg: ลงวันที่ 15 ส.ค. 2567 ก่อนปีงบประมาณ 2569" in chat.text
    assert "2. IMG_0112.jpg:" not in chat.text
    chat.press("บันทึก")
    assert "บันทึกแล้ว ✅" in chat.text


def test_a_photo_dated_after_the_round_is_flagged() -> None:
    chat = _at_evidence(make_office())
    chat.send_file("IMG_0501.jpg", photo(3, taken="2026:05:01 09:00:00"), "image/jpeg")
    assert "⚠ IMG_0501.jpg: ลงวันที่ 1 พ.ค. 2569 หลังสิ้นรอบ 6 เดือน" in chat.text


def _last_year(office: Office, data: bytes) -> None:
    """FY 2568: measure 5 answered in the 12-month round with this photo."""
    office.repo.save_measures(office.org.id, 2568, [Measure(id="p5", no=5, indicator="5", title="เผยแพร่ผลงาน", unit_ids=["u1"])])
    ev = office.evidence.put(data, "กิจกรรม.jpg", "image/jpeg")
    office.repo.add_report(ReportEntry(id="r-old", org_id=office.org.id, fiscal_year=2568, measure_id="p5", round=12,
                                       unit_id="u1", status=STATUS_DONE, summary="จัดกิจกรรม", evidence=[ev]))


def test_last_years_photo_resized_and_re_encoded_is_flagged_as_reused_with_where_it_was_used() -> None:
    office = make_office()
    original = photo(7, taken="2025:09:01 10:00:00")
    _last_year(office, original)
    chat = _at_evidence(office)
    chat.send_file("IMG_2.jpg", resized(original, 0.5, 70), "image/jpeg")
    assert "⚠ IMG_2.jpg: เคยใช้ในมาตรการที่ 5 รอบ 12 เดือน ปี 2568" in chat.text
    chat.press("เสร็จสิ้น")
    assert "⚠ 1. IMG_2.jpg: เคยใช้ในมาตรการที่ 5 รอบ 12 เดือน ปี 2568" in chat.text
    chat.press("บันทึก")
    assert "บันทึกแล้ว ✅" in chat.text


def test_the_same_photo_for_a_second_measure_is_flagged_and_a_fresh_one_is_not() -> None:
    office = make_office()
    shot = photo(9, taken="2026:01:20 10:00:00")
    chat = _at_evidence(office)
    chat.send_file("IMG_9.jpg", shot, "image/jpeg")
    assert "⚠" not in chat.text
    chat.press("เสร็จสิ้น")
    chat.press("บันทึก")
    chat.say("/report")
    chat.press("1. จัดทำ")
    chat.press("ดำเนินการ")
    chat.say("จัดทำคู่มือแล้ว")
    chat.say("/skip")
    chat.send_file("IMG_9-copy.jpg", shot, "image/jpeg")
    assert "⚠ IMG_9-copy.jpg: เคยใช้ในมาตรการที่ 2 รอบ 6 เดือน ปี 2569" in chat.text



def test_the_head_sees_the_same_warnings_in_the_word_and_excel_reports(tmp_path: Path) -> None:
    office = make_office()
    original = photo(7, taken="2025:09:01 10:00:00")
    _last_year(office, original)
    chat = _at_evidence(office)
    chat.send_file("IMG_0815.jpg", photo(1, taken="2024:08:15 10:30:00"), "image/jpeg")
    chat.send_file("IMG_2.jpg", resized(original, 0.5, 70), "image/jpeg")
    chat.send_file("IMG_0112.jpg", photo(2, taken="2026:01:12 09:00:00"), "image/jpeg")
    chat.press("เสร็จสิ้น")
    chat.press("บันทึก")
    report = compile_round(office.repo, office.org.id, 2569, 6, office.clock.now())

    doc = open_docx(render_docx(report, tmp_path / "r.docx", office.evidence, "arabic"))
    progress = next(r.cells[-1].text for r in doc.tables[0].rows[1:] if r.cells[0].text == "2")
    assert progress.splitlines()[-3:] == [
        "• ภาพถ่าย 1 (รูปที่ 1) ⚠ ลงวันที่ก่อนปีงบประมาณ",
        "• ภาพถ่าย 2 (รูปที่ 2) ⚠ เคยใช้ในมาตรการที่ 5 ปี 2568",
        "• ภาพถ่าย 3 (รูปที่ 3)",
    ]

    ws = openpyxl.load_workbook(render_xlsx(report, tmp_path / "r.xlsx", office.evidence, "arabic"))[EVIDENCE_SHEET]
    header = [c.value for c in ws[1]]
    note = header.index("ข้อสังเกต")
    marks = {r[4]: r[note] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert marks["IMG_0815.jpg"] == "⚠ ลงวันที่ก่อนปีงบประมาณ"
    assert marks["IMG_2.jpg"] == "⚠ เคยใช้ในมาตรการที่ 5 ปี 2568"
    assert not marks["IMG_0112.jpg"]


O12 = ["ผลการดำเนินงาน", "ผลการใช้จ่ายงบประมาณ", "ปัญหา อุปสรรค", "ข้อเสนอแนะ"]


def _with_requirements(office: Office) -> None:
    """Measure 2 becomes an OIT item with o12's four required components."""
    plan = [replace(m, component_list=list(O12)) if m.id == "m2" else m for m in office.measures]
    office.repo.save_measures(office.org.id, 2569, plan)


def test_an_oit_item_with_four_requirements_and_evidence_for_three_shows_one_cross(tmp_path: Path) -> None:
    office = make_office()
    _with_requirements(office)
    chat = _at_evidence(office)
    chat.send_file("รายงานผล.pdf", b"%PDF-1.4 report", "application/pdf")
    chat.send_file("งบประมาณ.pdf", b"%PDF-1.4 budget", "application/pdf")
    chat.press("เสร็จสิ้น")
    assert "องค์ประกอบที่ 1/4: ผลการดำเนินงาน" in chat.text
    assert [b.label for b in chat.buttons()] == ["1", "2", "ยังไม่มี"]
    chat.press("1")
    assert "องค์ประกอบที่ 2/4: ผลการใช้จ่ายงบประมาณ" in chat.text
    chat.press("2")
    chat.press("1")
    chat.press("ยังไม่มี")
    recap = chat.text
    assert "✓ ผลการดำเนินงาน\n  ✓ ผลการใช้จ่ายงบประมาณ\n  ✓ ปัญหา อุปสรรค\n  ✗ ข้อเสนอแนะ" in recap
    assert recap.count("✗") == 1
    chat.press("บันทึก")
    assert "บันทึกแล้ว ✅" in chat.text
    saved = office.repo.list_reports(office.org.id, 2569, measure_id="m2")[-1]
    assert saved.covered["ข้อเสนอแนะ"] == [] and len(saved.covered["ผลการดำเนินงาน"]) == 1


def test_the_report_and_status_show_the_missing_requirement(tmp_path: Path) -> None:
    office = make_office()
    _with_requirements(office)
    chat = _at_evidence(office)
    chat.send_file("รายงานผล.pdf", b"%PDF-1.4 report", "application/pdf")
    chat.press("เสร็จสิ้น")
    for label in ("1", "1", "1", "ยังไม่มี"):
        chat.press(label)
    chat.press("บันทึก")
    report = compile_round(office.repo, office.org.id, 2569, 6, office.clock.now())
    doc = open_docx(render_docx(report, tmp_path / "r.docx", office.evidence, "arabic"))
    progress = next(r.cells[-1].text for r in doc.tables[0].rows[1:] if r.cells[0].text == "2")
    assert progress.splitlines()[-2:] == ["หลักฐานไม่ครบ:", "✗ ข้อเสนอแนะ"]
    assert progress.count("✗") == 1
    ws = openpyxl.load_workbook(render_xlsx(report, tmp_path / "r.xlsx", office.evidence, "arabic"))["มาตรการ"]
    progress_cell = next(r[7] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == 2)
    assert progress_cell.splitlines()[-1] == "หลักฐานไม่ครบ: ✗ ข้อเสนอแนะ"
    chat.say("/status")
    assert "⚠ 2. เผยแพร่ข้อมูลงบประมาณ: หลักฐานไม่ครบ (ข้อเสนอแนะ)" in chat.text
