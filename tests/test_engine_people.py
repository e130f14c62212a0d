"""Registration, roles and what each person may see or change."""

from __future__ import annotations

from datetime import timedelta

from domain.events import Incoming
from storage.models import Organization, Unit
from tests.factory import make_office, open_store


def test_unknown_user_only_learns_how_to_register() -> None:
    office = make_office()
    stranger = office.chat("x1")
    for line in ("/report", "สวัสดี", "/summary", "/start"):
        stranger.say(line)
        assert "รหัสเชิญ" in stranger.text and "/start" in stranger.text
        assert not stranger.buttons()
    stranger.press_data("abcd:m:m1")
    assert "รหัสเชิญ" in stranger.text
    assert office.repo.list_reports("o1", 2569) == []


def test_wrong_used_and_expired_codes() -> None:
    office = make_office()
    chat = office.chat("a")
    chat.say("/start NOPE1234")
    assert "ไม่พบรหัสเชิญ" in chat.text
    code = office.invite("officer", "กองคลัง")
    chat.say(f"/start {code.lower()}")  # typed in lower case on a phone
    assert "ลงทะเบียนเรียบร้อย" in chat.text and "กองคลัง" in chat.text
    other = office.chat("b")
    other.say(f"/start {code}")
    assert "ถูกใช้ไปแล้ว" in other.text
    old = office.invite("officer", "กองช่าง")
    office.clock.advance(timedelta(days=8))
    other.say(f"/start {old}")
    assert "หมดอายุ" in other.text
    assert office.repo.find_identity("test", "b") is None


def test_guessing_codes_is_throttled() -> None:
    office = make_office()
    chat = office.chat("guesser")
    for i in range(5):
        chat.say(f"/start WRONG00{i}")
    code = office.invite("officer", "กองคลัง")
    chat.say(f"/start {code}")
    assert "รอ 10 นาที" in chat.text
    assert office.repo.find_identity("test", "guesser") is None


def test_group_chat_gets_a_pointer_only() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    replies = office.engine.handle(Incoming("test", "u1", "command", command="report", is_group=True))
    assert len(replies) == 1 and "แชตส่วนตัว" in replies[0].text and not replies[0].buttons
    assert chat.user_id == "u1"


def test_heads_see_who_is_missing_officers_do_not() -> None:
    office = make_office()
    officer = office.register("u1", "officer", "กองคลัง", name="สมหญิง")
    head = office.register("h", "head", name="ปลัดสมชาย")
    officer.say("/status")
    assert "ยังไม่ได้รายงาน 2 มาตรการ" in officer.text and "กองช่าง" not in officer.text
    head.say("/status")
    assert "รายงานแล้ว 0/3" in head.text
    assert "กองคลัง: ยังไม่ได้รายงาน 2 มาตรการ (สมหญิง)" in head.text
    assert "กองช่าง: ยังไม่ได้รายงาน 1 มาตรการ" in head.text
    officer.say("/summary")
    assert "สำหรับหัวหน้า" in officer.text
    officer.say("/invite กองคลัง officer")
    assert "สำหรับหัวหน้า" in officer.text


def test_invites_by_role() -> None:
    office = make_office()
    admin = office.register("ad", "admin")
    head = office.register("hd", "head", "กองคลัง")
    admin.say("/invite")
    assert "1. สำนักปลัด" in admin.text
    admin.say("/invite กองช่าง head")
    code = admin.text.split("/start ")[-1].strip()
    assert len(code) == 8
    head.say("/invite กองคลัง")
    assert "/start " in head.text
    head.say("/invite กองช่าง")
    assert "ในส่วนราชการของตนเอง" in head.text
    head.say("/invite กองคลัง admin")
    assert "ในส่วนราชการของตนเอง" in head.text
    admin.say("/invite กองไม่มีจริง")
    assert "ไม่พบส่วนราชการ" in admin.text
    newcomer = office.chat("n")
    newcomer.say(f"/start {code}")
    assert "หัวหน้า" in newcomer.text and "กองช่าง" in newcomer.text


def test_admin_deactivates_and_the_person_loses_access() -> None:
    office = make_office()
    admin = office.register("ad", "admin")
    officer = office.register("u1", "officer", "กองคลัง", name="สมหญิง")
    admin.say("/officers")
    assert "กองคลัง" in admin.text and "สมหญิง" in admin.text
    admin.press("ปิด สมหญิง")
    assert "ปิดใช้งาน สมหญิง?" in admin.text  # asks first
    admin.press("ยกเลิก")
    officer.say("/report")
    assert "ถูกปิดใช้งาน" not in officer.text and officer.buttons()
    admin.say("/officers")
    admin.press("ปิด สมหญิง")
    admin.press("ยืนยันปิดใช้งาน")
    assert "ปิดใช้งาน สมหญิง แล้ว" in admin.text
    officer.say("/report")
    assert "ถูกปิดใช้งาน" in officer.text and not officer.buttons()
    admin.say("/officers")
    assert "สมหญิง · เจ้าหน้าที่ผู้รับผิดชอบ (ปิดใช้งาน)" in admin.text
    admin.press("เปิดใช้งาน สมหญิง")
    assert "เปิดใช้งาน สมหญิง อีกครั้งแล้ว" in admin.text
    officer.say("/report")
    assert "ถูกปิดใช้งาน" not in officer.text and officer.buttons()


def test_nobody_sees_another_organization() -> None:
    office = make_office()
    office.repo.save_org(Organization(id="o2", name="เทศบาลอื่น"))
    office.repo.save_unit(Unit(id="x0", org_id="o2", name="กองคลัง"))
    from handlers.services import create_invite

    code = create_invite(office.repo, office.clock, "o2", "head", ["x0"]).code
    outsider = office.chat("z")
    outsider.say(f"/start {code}")
    insider = office.register("u1", "officer", "กองคลัง")
    insider.say("/report")
    insider.press("2. เผยแพร่")
    insider.press("ยังไม่ได้ดำเนินการ")
    insider.say("รองบประมาณ")
    insider.press("บันทึก")
    outsider.say("/status")
    assert "ไม่มีแผน" in outsider.text or "ยังไม่มีแผน" in outsider.text
    outsider.say("/report")
    nonce = "abcd"
    outsider.press_data(f"{nonce}:m:m2")
    assert "หมดอายุ" in outsider.text or "ไม่ได้อยู่ใน" in outsider.text
    assert all(r.org_id == "o1" for r in office.repo.list_reports("o1", 2569))


def test_unfollow_marks_identity_inactive() -> None:
    office = make_office()
    office.register("u1", "officer", "กองคลัง")
    office.engine.handle(Incoming("test", "u1", "unfollow"))
    found = office.repo.find_identity("test", "u1")
    assert found
    person = office.repo.get_officer(*found)
    assert person and not person.identities[0].active


def test_english_interface() -> None:
    office = make_office()
    chat = office.register("u1", "officer", "กองคลัง")
    chat.say("/lang en")
    chat.say("/help")
    assert "Commands" in chat.text
    chat.say("/lang th")
    chat.say("/help")
    assert "คำสั่งที่ใช้ได้" in chat.text


def test_admin_status_lists_failed_reminders() -> None:
    from storage.models import SendRecord

    office = make_office()
    admin = office.register("ad", "admin")
    officer = office.register("u1", "officer", "กองคลัง", name="สมหญิง")
    found = office.repo.find_identity("test", "u1")
    assert found and officer
    office.repo.log_send(SendRecord(
        key="k1", org_id="o1", fiscal_year=2569, round=6, kind="remind_T-7", recipient=found[1],
        due="2026-03-24T09:00:00+07:00", result="failed", attempts=4,
    ))
    admin.say("/status")
    assert "บอตติดต่อไม่ได้ 1 คน" in admin.text and "สมหญิง: ระบบแชตขัดข้อง" in admin.text
    head = office.register("h", "head")
    head.say("/status")
    assert "ติดต่อไม่ได้" not in head.text


def test_the_invite_throttle_survives_a_restart_and_has_an_overall_limit(tmp_path) -> None:
    from handlers.engine import Engine

    office = make_office(tmp_path)
    guesser = office.chat("guesser")
    for i in range(5):
        guesser.say(f"/start WRONG00{i}")
    restarted = Engine(open_store(tmp_path), office.evidence, office.clock)  # a new process, same data
    code = office.invite("officer", "กองคลัง")
    again = restarted.handle(Incoming("test", "guesser", "command", command="start", args=code))
    assert "รอ 10 นาที" in again[0].text and office.repo.find_identity("test", "guesser") is None
    # many accounts guessing a few times each: the overall limit stops them all
    for n in range(95):
        restarted.handle(Incoming("test", f"bot{n}", "command", command="start", args=f"NOPE{n:04d}"))
    fresh = restarted.handle(Incoming("test", "newcomer", "command", command="start", args="NOPE9999"))
    assert "รอ 10 นาที" in fresh[0].text
    office.clock.advance(timedelta(minutes=11))  # the window passes: a real code works again
    ok = restarted.handle(Incoming("test", "newcomer", "command", command="start", args=code))
    assert "ลงทะเบียนเรียบร้อย" in ok[0].text
