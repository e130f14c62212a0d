"""The report conversation as an officer lives it, through the neutral engine."""

from __future__ import annotations

from datetime import timedelta

from tests.factory import make_office


def test_officer_reports_done_with_text_link_and_file() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง", name="สมหญิง")
    chat.say("/report")
    assert "รอบ 6 เดือน" in chat.text and "31 มี.ค. 69" in chat.text
    labels = [b.label for b in chat.buttons()]
    assert labels == ["1. จัดทำคู่มือการปฏิบัติงาน", "2. เผยแพร่ข้อมูลงบประมาณ", "⚠️ ค้างรอบ 3 เดือน (2)"]
    chat.press("2. เผยแพร่")
    assert "เผยแพร่ข้อมูลงบประมาณ" in chat.text and "กองคลัง" in chat.text
    chat.press("ดำเนินการ")
    assert "สิ่งที่ดำเนินการ" in chat.text
    chat.say("ประกาศแผนการใช้จ่ายงบประมาณบนเว็บไซต์ 5 ม.ค. 2569")
    chat.say("ประชาชนเข้าถึงข้อมูลได้")
    chat.say("https://example.go.th/budget")
    chat.send_file("แผน.pdf", b"%PDF-1.4 test", "application/pdf")
    assert "รวม 2 รายการ" in chat.text
    chat.say("/done")
    assert "ตรวจสอบก่อนบันทึก" in chat.text and "หลักฐาน: 2 รายการ" in chat.text
    chat.press("บันทึก")
    assert "บันทึกแล้ว" in chat.text
    reports = office.repo.list_reports("o1", 2569, 6)
    assert len(reports) == 1
    entry = reports[0]
    assert entry.status == "done" and entry.unit_id == "u1" and entry.outcome == "ประชาชนเข้าถึงข้อมูลได้"
    assert [e.kind for e in entry.evidence] == ["url", "file"]
    assert office.evidence.read(entry.evidence[1].sha256) == b"%PDF-1.4 test"
    # the next pending measure is offered right away
    assert "มาตรการถัดไป" in chat.text and "จัดทำคู่มือ" in chat.text


def test_not_done_with_reason_and_revision_keeps_history() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    for reason in ("รองบประมาณ", "เลื่อนไปเดือนหน้า"):
        chat.say("/report")
        chat.press("2. เผยแพร่")
        chat.press("ยังไม่ได้ดำเนินการ")
        assert "ปัญหา/อุปสรรค" in chat.text
        chat.say(reason)
        chat.press("บันทึก")
        office.clock.advance(timedelta(minutes=5))
    reports = office.repo.list_reports("o1", 2569, 6, "m2")
    assert [r.reason for r in reports] == ["รองบประมาณ", "เลื่อนไปเดือนหน้า"]
    assert [r.revision for r in reports] == [1, 2]
    chat.say("/report")
    chat.press("2. เผยแพร่")
    assert "เลื่อนไปเดือนหน้า" in chat.text  # the newest answer is shown


def test_cancel_and_recap_cancel_store_nothing() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("ดำเนินการ")
    chat.say("ทำแล้ว")
    chat.say("/cancel")
    assert "ยกเลิกคำตอบนี้หรือไม่" in chat.text  # a typed text is not thrown away on one word
    chat.say("/cancel")
    assert "ยกเลิกแล้ว" in chat.text
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("ยังไม่ได้ดำเนินการ")
    chat.say("/skip")
    assert "ข้ามไม่ได้" in chat.text and "ปัญหา/อุปสรรค" in chat.text  # the obstacle is required
    chat.say("รองบประมาณ")
    chat.press("ยกเลิก")
    assert "ยกเลิกคำตอบนี้หรือไม่" in chat.text  # a draft with text asks once
    chat.press("ยืนยันยกเลิก")
    assert "ยกเลิกแล้ว" in chat.text
    assert office.repo.list_reports("o1", 2569) == []


def test_edit_from_recap_changes_one_field() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("ดำเนินการ")
    chat.say("ข้อความแรก")
    chat.say("/skip")
    chat.say("/done")
    chat.press("แก้ไข")
    chat.press("สิ่งที่ดำเนินการ")
    chat.say("ข้อความที่แก้แล้ว")
    assert "ตรวจสอบก่อนบันทึก" in chat.text and "ข้อความที่แก้แล้ว" in chat.text
    chat.press("บันทึก")
    assert office.repo.list_reports("o1", 2569)[0].summary == "ข้อความที่แก้แล้ว"


def test_bad_input_is_answered_and_changes_nothing() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("ดำเนินการ")
    chat.say("   ")
    assert "ว่างเปล่า" in chat.text
    chat.say("ก" * 100_000)
    assert "ยาวเกินไป" in chat.text
    chat.say("/frobnicate")
    assert "ไม่รู้จักคำสั่ง" in chat.text and "สิ่งที่ดำเนินการ" in chat.text
    chat.say("/summary")
    assert "สำหรับหัวหน้า" in chat.text
    chat.say("ทำแล้ว")
    chat.say("/skip")
    chat.say("ftp://example.com/file")
    assert "http" in chat.text and "รวม" not in chat.text
    chat.say("javascript:alert(1)")
    assert "http" in chat.text
    chat.send_file("big.pdf", None, size=50 * 1024 * 1024)
    assert "ใหญ่เกิน" in chat.text
    chat.send_file("empty.pdf", b"")
    assert "ว่างเปล่า" in chat.text
    chat.send_file("ok.jpg", b"\xff\xd8\xff" + b"0" * 10, "image/jpeg")
    chat.send_file("too-big.bin", b"0" * (2 * 1024 * 1024))  # over the store's 1 MB test limit
    assert "ใหญ่เกิน 1 MB" in chat.text
    chat.say("/done")
    assert "หลักฐาน: 1 รายการ" in chat.text
    assert office.repo.list_reports("o1", 2569) == []


def test_stale_and_forged_buttons_are_refused() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    old_list = chat.buttons()
    chat.press("2. เผยแพร่")
    chat.press_data(old_list[0].data)  # a button from an older message
    assert "หมดอายุ" in chat.text
    # a forged press naming สำนักปลัด's measure with the current token
    chat.say("/report")
    nonce = chat.buttons()[0].data.split(":")[0]
    chat.press_data(f"{nonce}:m:m3")
    assert "ไม่ได้อยู่ในความรับผิดชอบ" in chat.text
    chat.press_data("zzzz:v:")
    assert "หมดอายุ" in chat.text
    assert office.repo.list_reports("o1", 2569) == []


def test_measure_not_monitored_this_round_is_not_offered() -> None:
    office = make_office()
    chat = office.register("u0", "officer", "สำนักปลัด")
    chat.say("/report")
    labels = " ".join(b.label for b in chat.buttons())
    assert "มาตรการใช้อำนาจ" in labels  # rounds 6 and 12
    assert "เปิดเผยข้อมูล OIT" not in labels  # round 12 only


def test_state_survives_a_restart(tmp_path) -> None:
    office = make_office(tmp_path)
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("ดำเนินการ")
    chat.say("ทำแล้วครึ่งทาง")
    # a new process: a fresh engine on the same data directory
    again = make_office(tmp_path)
    chat2 = again.chat("u1")
    chat2.say("/skip")
    assert "หลักฐาน" in chat2.text
    chat2.say("/done")
    chat2.press("บันทึก")
    assert again.repo.list_reports("o1", 2569)[0].summary == "ทำแล้วครึ่งทาง"


def test_long_plans_page(tmp_path) -> None:
    office = make_office(measures=14)
    chat = office.register("u0", "officer", "สำนักปลัด")
    chat.say("/report")
    assert "หน้า 1/2" in chat.text
    first = [b.label for b in chat.buttons() if "ค้าง" not in b.label]
    chat.press("ถัดไป")
    second = [b.label for b in chat.buttons() if "ค้าง" not in b.label]
    assert "หน้า 2/2" in chat.text and set(first).isdisjoint(second)
    chat.press("ก่อนหน้า")
    assert [b.label for b in chat.buttons() if "ค้าง" not in b.label] == first


def test_late_round_is_offered_and_reminder_button_opens_its_round() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    chat.press("ค้างรอบ 3 เดือน")
    assert "รอบ 3 เดือน" in chat.text and "31 ธ.ค. 68" in chat.text
    chat.press("2. เผยแพร่")
    chat.press("ยังไม่ได้ดำเนินการ")
    chat.say("รองบประมาณ")
    chat.press("บันทึก")
    assert [r.round for r in office.repo.list_reports("o1", 2569)] == [3]
    chat.press_data("go:report:2569:3")  # a reminder for the overdue round
    assert "รอบ 3 เดือน" in chat.text and "รายงานแล้ว 1/2" in chat.text
    chat.press_data("go:report:2569:12")  # a round that has not opened yet falls back to today's
    assert "รอบ 6 เดือน" in chat.text
    chat.press_data("go:report:2599:3")  # no such plan
    assert "รอบ 6 เดือน" in chat.text
