"""Issue 14's dead ends: a wrong tap or word at any step gets the whole prompt back, with its buttons."""

from __future__ import annotations

from tests.factory import Chat, make_office

DECOMPOSED_DONE = "ด\u0e4d\u0e32เนินการ"  # sara am typed as nikhahit + sara aa, as some keyboards do


def _labels(chat: Chat) -> list[str]:
    return [b.label for b in chat.buttons()]


def _at_status(chat: Chat) -> list[str]:
    chat.say("/report")
    chat.press("2. เผยแพร่")
    assert "ผลการดำเนินการรอบ 6 เดือนเป็นอย่างไร" in chat.text
    return _labels(chat)


def test_wrong_number_at_the_status_question_keeps_its_buttons_and_then_a_number_presses() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    buttons = _at_status(chat)
    chat.say("5")
    assert _labels(chat) == buttons  # the same buttons, not a bare question
    assert "ผลการดำเนินการรอบ 6 เดือนเป็นอย่างไร" in chat.text and "เผยแพร่ข้อมูลงบประมาณ" in chat.text
    chat.say("ไม่แน่ใจ")
    assert _labels(chat) == buttons
    chat.say("2")  # the second button: ดำเนินการ
    assert "พิมพ์สิ่งที่ดำเนินการแล้ว" in chat.text


def test_labels_press_their_button_in_any_spelling() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    _at_status(chat)
    chat.say(DECOMPOSED_DONE)
    assert "พิมพ์สิ่งที่ดำเนินการแล้ว" in chat.text
    chat.say("/cancel")
    _at_status(chat)
    chat.say("๑")  # Thai digit one: ยังไม่ได้ดำเนินการ
    assert "ปัญหา/อุปสรรค" in chat.text
    chat.say("/cancel")
    _at_status(chat)
    chat.say("กลับไปรายการ")
    assert "มาตรการที่ต้องรายงาน" in chat.text and "2. เผยแพร่ข้อมูลงบประมาณ" in _labels(chat)


def test_wrong_input_on_page_two_of_the_list_resends_the_page() -> None:
    office = make_office(measures=14)
    chat = office.register("u0", "officer", "สำนักปลัด")
    chat.say("/report")
    chat.press("ถัดไป")
    page_two = _labels(chat)
    assert "หน้า 2/2" in chat.text
    chat.say("9")
    assert "หน้า 2/2" in chat.text and _labels(chat) == page_two
    chat.say("สวัสดี")
    assert _labels(chat) == page_two
    chat.say("1")  # the first measure of page 2
    assert "ผลการดำเนินการรอบ 6 เดือนเป็นอย่างไร" in chat.text and page_two[0].split(". ", 1)[1][:10] in chat.text


def test_help_in_the_evidence_step_keeps_the_finish_button() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    _at_status(chat)
    chat.press("ดำเนินการ")
    chat.say("ประกาศแผนบนเว็บไซต์")
    chat.say("/skip")
    assert "ส่งหลักฐาน" in chat.text
    chat.say("/help")
    assert "/report" in chat.text and "เสร็จสิ้น" in _labels(chat)
    chat.say("1")  # เสร็จสิ้น, never a link called "1"
    assert "ตรวจสอบก่อนบันทึก" in chat.text and "หลักฐาน: 0 รายการ" in chat.text


def test_a_stale_button_mid_report_shows_the_current_buttons() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/report")
    old = chat.buttons()
    _at_status(chat)
    buttons = _labels(chat)
    chat.press_data(old[0].data)
    assert "หมดอายุ" in chat.text and _labels(chat) == buttons
    assert office.repo.list_reports("o1", 2569) == []


def test_skip_or_done_at_a_screen_of_buttons_says_to_choose_one_and_shows_them_again() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    buttons = _at_status(chat)
    for command in ("/skip", "/done"):
        chat.say(command)
        assert "กรุณาเลือกจากปุ่มด้านล่าง" in chat.text and "พิมพ์ /report เพื่อเริ่ม" not in chat.text
        assert _labels(chat) == buttons
    chat.press("ยังไม่ได้ดำเนินการ")
    chat.say("รองบประมาณ")
    chat.say("/skip")  # the optional suggestion
    assert "ตรวจสอบก่อนบันทึก" in chat.text
    recap = _labels(chat)
    chat.say("/done")
    assert "กรุณาเลือกจากปุ่มด้านล่าง" in chat.text and "ข้ามไม่ได้" not in chat.text and _labels(chat) == recap
    chat.press("บันทึก")
    assert office.repo.list_reports(office.org.id, 2569)  # saved by the button, not by /done
    idle = office.register("u2", "officer", "กองคลัง")
    idle.say("/done")
    assert "พิมพ์ /report เพื่อเริ่มรายงานผล" in idle.text  # nothing going on: how to start
