"""Issue 11, items 2, 3 and 7 in chat: the earlier answer is shown and kept, confirmed with one tap, or
updated; /skip keeps a text; the obstacle is required and the 12-month round asks for a suggestion."""

from __future__ import annotations

from datetime import datetime

from storage.clock import BANGKOK
from storage.models import ReportEntry
from tests.factory import Chat, Office, make_office


def _answer_round_3(office: Office) -> Chat:
    """กองคลัง reports measure 2 in the overdue round 3: done, with an outcome and a link."""
    chat = office.register("u1", "officer", "กองคลัง", name="สมหญิง")
    chat.say("/report")
    chat.press("ค้างรอบ 3 เดือน")
    chat.press("2. เผยแพร่")
    chat.press("ดำเนินการ")
    chat.say("ประกาศแผนงบประมาณบนเว็บไซต์")
    chat.say("ประชาชนรับทราบ")
    chat.say("ประกาศ www.example.go.th/budget")
    chat.press("เสร็จสิ้น")
    chat.press("บันทึก")
    assert "บันทึกแล้ว" in chat.text
    return chat


def _rounds(office: Office) -> dict[int, list[ReportEntry]]:
    out: dict[int, list[ReportEntry]] = {}
    for e in office.repo.list_reports("o1", 2569, measure_id="m2"):
        out.setdefault(e.round, []).append(e)
    return out


def test_a_carried_answer_is_shown_and_confirmed_with_one_tap() -> None:
    office = make_office()
    chat = _answer_round_3(office)
    chat.say("/report")
    assert "รายงานแล้ว 0/2" in chat.text  # a carried answer still waits for this round's word
    chat.press("2. เผยแพร่")
    assert "คำตอบล่าสุด ยกมาจากรอบ 3 เดือน" in chat.text and "ประกาศแผนงบประมาณบนเว็บไซต์" in chat.text
    assert "หลักฐาน 1 รายการ" in chat.text and "สมหญิง" in chat.text
    assert [b.label for b in chat.buttons()][:2] == ["ยังเป็นเหมือนเดิม", "แก้ไขคำตอบเดิม"]
    chat.press("ยังเป็นเหมือนเดิม")
    assert "บันทึกแล้ว ✅ 2. เผยแพร่ข้อมูลงบประมาณ: ยังเป็นเหมือนรอบ 3 เดือน" in chat.text
    [earlier], [now] = _rounds(office)[3], _rounds(office)[6]
    assert now.confirmed_from == 3 and now.revision == 1 and now.officer_name == "สมหญิง"
    assert (now.status, now.summary, now.outcome, now.evidence) == (
        earlier.status, earlier.summary, earlier.outcome, earlier.evidence)
    chat.say("/report")
    assert "รายงานแล้ว 1/2" in chat.text and "✅ 2. เผยแพร่ข้อมูลงบประมาณ" in [b.label for b in chat.buttons()]


def test_updating_starts_from_the_earlier_answer_and_skip_keeps_each_text() -> None:
    office = make_office()
    chat = _answer_round_3(office)
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("แก้ไขคำตอบเดิม")
    assert "ตรวจสอบก่อนบันทึก" in chat.text and "(เริ่มจากคำตอบรอบ 3 เดือน ครั้งที่ 1)" in chat.text
    assert "ผลลัพธ์: ประชาชนรับทราบ" in chat.text and "1. 🔗 https://www.example.go.th/budget – ประกาศ" in chat.text
    chat.press("แก้ไข")
    chat.press("ผลลัพธ์")
    assert "ข้อความเดิม: ประชาชนรับทราบ" in chat.text
    chat.say("/skip")  # keeps the old value
    assert "ผลลัพธ์: ประชาชนรับทราบ" in chat.text
    chat.press("แก้ไข")
    chat.press("« กลับ")  # the edit menu has a way back
    assert "ตรวจสอบก่อนบันทึก" in chat.text
    chat.press("แก้ไข")
    chat.press("สิ่งที่ดำเนินการ")
    chat.say("ประกาศแผนและรายงานการใช้จ่ายงบประมาณ")
    chat.press("บันทึก")
    [now] = _rounds(office)[6]
    assert now.confirmed_from == 0 and now.summary == "ประกาศแผนและรายงานการใช้จ่ายงบประมาณ"
    assert now.outcome == "ประชาชนรับทราบ" and [e.url for e in now.evidence] == ["https://www.example.go.th/budget"]


def test_answering_anew_walks_the_old_values_which_can_be_kept_or_cleared() -> None:
    office = make_office()
    chat = _answer_round_3(office)
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("ดำเนินการ")
    assert "ข้อความเดิม: ประกาศแผนงบประมาณบนเว็บไซต์" in chat.text
    chat.press("คงเดิม")
    assert [b.label for b in chat.buttons()] == ["คงเดิม", "ลบข้อความ"]
    chat.press("ลบข้อความ")
    assert "มีหลักฐานแล้ว 1 รายการ" in chat.text
    chat.say("https://www.example.go.th/budget/")
    assert "มีอยู่แล้ว ไม่เพิ่มซ้ำ" in chat.text and "รับหลักฐานแล้ว" not in chat.text
    chat.press("เสร็จสิ้น")
    assert "ผลลัพธ์" not in chat.text and "หลักฐาน: 1 รายการ" in chat.text
    chat.press("บันทึก")
    [now] = _rounds(office)[6]
    assert now.summary == "ประกาศแผนงบประมาณบนเว็บไซต์" and now.outcome == "" and len(now.evidence) == 1


def test_not_done_needs_the_obstacle_and_the_12_month_round_asks_a_suggestion() -> None:
    office = make_office(now=datetime(2026, 8, 20, 9, 0, tzinfo=BANGKOK))
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    assert "รอบ 12 เดือน" in chat.text
    chat.press("2. เผยแพร่")
    chat.press("ยังไม่ได้ดำเนินการ")
    assert "ปัญหา/อุปสรรค" in chat.text and chat.buttons() == []
    chat.say("/skip")
    assert "ขั้นนี้ข้ามไม่ได้" in chat.text and "ปัญหา/อุปสรรค" in chat.text
    chat.say("ไม่ได้รับจัดสรรงบประมาณ")
    assert "ข้อเสนอแนะ (ไม่บังคับ)" in chat.text and [b.label for b in chat.buttons()] == ["ข้าม"]
    chat.say("ควรตั้งงบประมาณในปีถัดไป")
    assert "ปัญหา/อุปสรรค: ไม่ได้รับจัดสรรงบประมาณ" in chat.text and "ข้อเสนอแนะ: ควรตั้งงบประมาณในปีถัดไป" in chat.text
    chat.press("บันทึก")
    [entry] = office.repo.list_reports("o1", 2569, 12, "m2")
    assert (entry.status, entry.reason, entry.suggestion) == ("not_done", "ไม่ได้รับจัดสรรงบประมาณ", "ควรตั้งงบประมาณในปีถัดไป")


def test_round_6_goes_from_the_obstacle_straight_to_the_recap() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("ยังไม่ได้ดำเนินการ")
    chat.say("รออนุมัติ")
    assert "ตรวจสอบก่อนบันทึก" in chat.text and "ข้อเสนอแนะ" not in chat.text
