"""/remind for heads: the same remind_now the scheduler uses, once a day, reaching only pending officers."""

from __future__ import annotations

import io

from bot.reminders import console_remind_port
from bot.wiring import Services
from tests.factory import make_office


def test_head_remind_reaches_pending_officers_once_a_day() -> None:
    office = make_office()  # Tuesday 10 Feb 2569, 10:00: office hours, round 6
    head = office.register("h", "head", name="ปลัด")
    office.register("a", "officer", "กองคลัง", name="สมหญิง")
    office.register("b", "officer", "กองช่าง", name="สมชาย")
    done = office.register("c", "officer", "สำนักปลัด", name="สมศรี")
    head.say("/remind")
    assert "itabot run" in head.text  # no scheduler behind this engine yet
    out = io.StringIO()
    services = Services(office.repo, office.evidence, office.clock, office.engine, None)
    office.engine.remind = console_remind_port(services, out)
    done.say("/report")
    done.press("จัดทำคู่มือ")
    for _ in range(2):  # after saving, the next pending measure (มาตรการใช้อำนาจ) opens by itself
        done.press("ยังไม่ได้ดำเนินการ")
        done.say("รอการอนุมัติงบประมาณ")
        done.press("บันทึก")
    assert "รายงานครบทุกมาตรการ" in done.text
    head.say("/remind")
    sent = out.getvalue()
    assert "ถึง สมหญิง" in sent and "ถึง สมชาย" in sent and "ถึง สมศรี" not in sent
    assert "เผยแพร่ข้อมูลงบประมาณ" in sent
    head.say("/remind")
    assert out.getvalue() == sent  # at most once a day
    officer = office.register("x", "officer", "กองคลัง")
    officer.say("/remind")
    assert "สำหรับหัวหน้า" in officer.text
