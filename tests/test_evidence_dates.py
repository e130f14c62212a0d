"""Issue 17: a photo or file without a date of its own gets one asked once (วันนี้, ไม่ทราบ or typed in Thai
forms), kept on the item and used by the date warning; /require lets the admin set a measure's components."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from domain.thai_dates import parse_thai_date
from report.compile import compile_round
from report.docx import render_docx
from tests.docx_read import open_docx
from tests.factory import Chat, Office, make_office
from tests.photos import photo


@pytest.mark.parametrize(("typed", "day"), [
    ("12 ม.ค. 2569", date(2026, 1, 12)),
    ("12 มกราคม 2569", date(2026, 1, 12)),
    ("๑๒ ม.ค. ๖๙", date(2026, 1, 12)),
    ("วันที่ 3 ก.พ. พ.ศ. 2569", date(2026, 2, 3)),
    ("12/1/2569", date(2026, 1, 12)),
    ("12-01-69", date(2026, 1, 12)),
    ("๑๒/๑/๒๕๖๙", date(2026, 1, 12)),
    ("12/1/2026", date(2026, 1, 12)),
    ("2026-01-12", date(2026, 1, 12)),
    ("12 Jan 2026", date(2026, 1, 12)),
    ("30 ก.ย. 2568", date(2025, 9, 30)),
])
def test_thai_dates_as_officers_type_them(typed: str, day: date) -> None:
    assert parse_thai_date(typed) == day


@pytest.mark.parametrize("typed", ["31/2/2569", "12 ม.ค.", "ทำแล้ว", "12/13/2569", "12 มค 25690", "", "1/1/1500"])
def test_not_a_date(typed: str) -> None:
    assert parse_thai_date(typed) is None


def _at_evidence(office: Office) -> Chat:
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("ดำเนินการ")
    chat.say("ประกาศแผนบนเว็บไซต์")
    chat.say("/skip")
    return chat


def test_a_file_without_a_date_gets_it_asked_and_last_years_date_is_flagged(tmp_path: Path) -> None:
    office = make_office()
    chat = _at_evidence(office)
    chat.send_file("คำสั่ง.pdf", b"%PDF-1.4 an order without an info date", "application/pdf")
    assert "📅 ไม่พบวันที่ในไฟล์ 1 รายการ: คำสั่ง.pdf" in chat.text
    assert [b.label for b in chat.buttons()] == ["เสร็จสิ้น", "วันนี้", "ไม่ทราบ"]
    chat.say("32/1/2569")
    assert "อ่านวันที่ไม่ได้" in chat.text and "วันนี้" in [b.label for b in chat.buttons()]
    chat.say("1 มี.ค. 2569")
    assert "ยังมาไม่ถึง" in chat.text  # the clock says 10 Feb 2569
    chat.say("12 ส.ค. 2567")
    assert "บันทึกวันที่ 12 ส.ค. 2567 ให้หลักฐาน 1 รายการ" in chat.text
    assert "⚠ คำสั่ง.pdf: ลงวันที่ 12 ส.ค. 2567 ก่อนปีงบประมาณ 2569" in chat.text
    assert [b.label for b in chat.buttons()] == ["เสร็จสิ้น"]  # asked once: answered, the question is gone
    chat.press("เสร็จสิ้น")
    assert "⚠ 1. คำสั่ง.pdf: ลงวันที่ 12 ส.ค. 2567 ก่อนปีงบประมาณ 2569" in chat.text
    chat.press("บันทึก")
    saved = office.repo.list_reports(office.org.id, 2569, measure_id="m2")[-1]
    assert saved.evidence[0].taken_on == "2024-08-12"
    report = compile_round(office.repo, office.org.id, 2569, 6, office.clock.now())
    doc = open_docx(render_docx(report, tmp_path / "r.docx", office.evidence, "arabic"))
    cell = next(r.cells[-1].text for r in doc.tables[0].rows[1:] if r.cells[0].text == "2")
    assert "⚠ ลงวันที่ก่อนปีงบประมาณ" in cell


def test_today_and_dont_know_and_a_photo_with_its_own_date_is_not_asked() -> None:
    office = make_office()
    chat = _at_evidence(office)
    chat.send_file("IMG_1.jpg", photo(1, taken="2026:01:12 09:00:00"), "image/jpeg")
    assert "ไม่พบวันที่" not in chat.text
    chat.send_file("scan.png", photo(2), "image/png")
    assert "ไม่พบวันที่ในไฟล์ 1 รายการ: scan.png" in chat.text
    chat.press("วันนี้")
    assert "บันทึกวันที่ 10 ก.พ. 2569 ให้หลักฐาน 1 รายการ" in chat.text and "⚠" not in chat.text
    chat.send_file("old.pdf", b"%PDF-1.4 no date", "application/pdf")
    chat.press("ไม่ทราบ")
    assert "ไม่พบวันที่" not in chat.text and "⚠" not in chat.text
    chat.press("เสร็จสิ้น")
    chat.press("บันทึก")
    saved = office.repo.list_reports(office.org.id, 2569, measure_id="m2")[-1]
    assert [e.taken_on for e in saved.evidence] == ["2026-01-12", "2026-02-10", ""]
    # correcting the answer later asks about a new file only, never again about the saved one
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("แก้ไขคำตอบเดิม")
    chat.press("แก้ไข")
    chat.press("เพิ่มหลักฐาน")
    assert "ไม่พบวันที่" not in chat.text
    chat.send_file("new.pdf", b"%PDF-1.4 another", "application/pdf")
    assert "ไม่พบวันที่ในไฟล์ 1 รายการ: new.pdf" in chat.text


def test_an_undated_file_never_stops_the_report() -> None:
    office = make_office()
    chat = _at_evidence(office)
    chat.send_file("a.pdf", b"%PDF-1.4 a", "application/pdf")
    chat.say("/done")  # the question is simply left unanswered
    assert "ตรวจสอบก่อนบันทึก" in chat.text
    chat.press("บันทึก")
    assert "บันทึกแล้ว ✅" in chat.text


def _admin(office: Office) -> Chat:
    return office.register("a1", "admin", name="แอดมิน")


def test_the_admin_sets_a_measures_requirements_in_chat_and_the_officer_is_asked_about_each() -> None:
    office = make_office()
    admin = _admin(office)
    admin.say("/require 2 ผลการดำเนินงาน / ผลการใช้จ่ายงบประมาณ / - ปัญหา อุปสรรค / ข้อเสนอแนะ / ข้อเสนอแนะ")
    assert "องค์ประกอบที่หลักฐานต้องแสดง 4 รายการ" in admin.text
    assert "1. ผลการดำเนินงาน\n2. ผลการใช้จ่ายงบประมาณ\n3. ปัญหา อุปสรรค\n4. ข้อเสนอแนะ" in admin.text
    m2 = next(m for m in office.repo.list_measures(office.org.id, 2569) if m.id == "m2")
    assert m2.component_list == ["ผลการดำเนินงาน", "ผลการใช้จ่ายงบประมาณ", "ปัญหา อุปสรรค", "ข้อเสนอแนะ"]
    admin.say("/require ๒")
    assert "องค์ประกอบ: ผลการดำเนินงาน / ผลการใช้จ่ายงบประมาณ / ปัญหา อุปสรรค / ข้อเสนอแนะ" in admin.text

    chat = _at_evidence(office)
    chat.say("https://example.go.th/report")
    chat.press("เสร็จสิ้น")
    assert "องค์ประกอบที่ 1/4: ผลการดำเนินงาน" in chat.text

    admin.say("/require 2 -")
    assert "ล้างองค์ประกอบของมาตรการ 2." in admin.text
    assert next(m for m in office.repo.list_measures(office.org.id, 2569) if m.id == "m2").component_list == []


def test_require_refuses_bad_input_and_non_admins_and_changes_nothing() -> None:
    office = make_office()
    before = office.repo.list_measures(office.org.id, 2569)
    admin = _admin(office)
    admin.say("/require")
    assert "ใช้: /require" in admin.text
    admin.say("/require สอง ผลการดำเนินงาน")
    assert "ใช้: /require" in admin.text
    admin.say("/require 99 ผลการดำเนินงาน")
    assert "ไม่พบมาตรการลำดับ 99 ในแผนปีงบประมาณ 2569" in admin.text
    admin.say("/require 2 " + " / ".join(f"ข้อ {i}" for i in range(13)))
    assert "ไม่เกิน 12 รายการ" in admin.text
    admin.say("/require 2 " + "ก" * 201)
    assert "ไม่เกิน 200 ตัวอักษร" in admin.text
    admin.say("/require 2 / / ")
    assert "ใช้: /require" in admin.text
    officer = office.register("u1", "officer", "กองคลัง")
    officer.say("/require 2 ผลการดำเนินงาน")
    assert "ผู้ดูแลระบบ" in officer.text
    assert office.repo.list_measures(office.org.id, 2569) == before


def test_require_speaks_english_too_and_help_names_it_to_admins_only() -> None:
    office = make_office()
    admin = _admin(office)
    admin.say("/help")
    assert "/require – กำหนดองค์ประกอบ" in admin.text
    officer = office.register("u1", "officer", "กองคลัง")
    officer.say("/help")
    assert "/require" not in officer.text
    admin.say("/lang en")
    admin.say("/require 2 Results / Budget")
    assert "The evidence must show 2 requirement(s):\n1. Results\n2. Budget" in admin.text
