"""/review and /approve through the engine (the console's path): who may decide, what others are told."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from domain import review as rv
from handlers.review_texts import TEXTS
from handlers.texts import t
from report.options import ReportOptions, Signer, save_options
from storage.models import Measure
from tests.docx_read import open_docx
from tests.factory import Chat, Office, make_office

PLAN = [
    Measure(id="m2", no=2, indicator="2", title="เผยแพร่ข้อมูลงบประมาณ", unit_ids=["u1"]),
    Measure(id="m3", no=3, indicator="3", title="มาตรการใช้อำนาจ", unit_ids=["u0"]),
]


@pytest.fixture
def office(tmp_path: Path) -> Office:
    """Two units with one measure each, and ปลัด named as the approver in the signature settings."""
    office = make_office(tmp_path, exports=True)
    office.repo.save_measures("o1", 2569, PLAN)
    save_options(office.repo, "o1", ReportOptions(signers=(Signer("reporter"), Signer("approver", "นายปลัด ใจดี"))))
    return office


def answer(chat: Chat, measure: str, summary: str) -> str:
    """An officer reports a measure done with one line of summary."""
    chat.say("/report")
    chat.press(measure)
    chat.press("ดำเนินการ")
    chat.say(summary)
    chat.say("/skip")
    chat.say("/done")
    chat.press("บันทึก")
    return chat.text


def pushed_to(chat: Chat) -> list[str]:
    """Texts the last engine call pushed to another chat account."""
    return [r.text for r in chat.last if r.recipient == f"test:{chat.user_id}"]


def test_every_text_exists_in_thai_and_english() -> None:
    assert TEXTS["th"].keys() == TEXTS["en"].keys()


def test_head_sends_back_officer_fixes_and_only_the_approver_approves(office: Office) -> None:
    finance = office.register("fin", "officer", "กองคลัง")
    clerk = office.register("clerk", "officer", "สำนักปลัด")
    head = office.register("head", "head", "กองคลัง")
    answer(finance, "2. เผยแพร่", "ประกาศแผนบนเว็บไซต์")

    head.say("/review")
    assert "รอแก้ไข 0" in head.text
    assert [b.label for b in head.buttons()] == ["▫️ 2. เผยแพร่ข้อมูลงบประมาณ (กองคลัง)"]  # only their units
    head.press("2. เผยแพร่")
    assert "ประกาศแผนบนเว็บไซต์" in head.text and "ยังไม่ได้ตรวจ" in head.text
    head.press("ส่งกลับแก้ไข")
    head.say("แนบคำสั่งที่ลงนามแล้ว")
    told = [r for r in head.last if r.recipient == "test:fin"]
    assert len(told) == 1 and "แนบคำสั่งที่ลงนามแล้ว" in told[0].text
    assert "รอแก้ไข 1" in head.text and "↩️ 2." in head.buttons()[0].label
    assert "รอแก้ไข 1 มาตรการ" in head.say("/status")[0].text
    assert "แนบคำสั่งที่ลงนามแล้ว" in finance.say("/status")[0].text
    word, excel = _report_texts(head)
    assert "ผลการตรวจ: ส่งกลับแก้ไข (รอแก้ไข)" in word and "ผลการตรวจ: ส่งกลับแก้ไข (รอแก้ไข)" in excel

    finance.press_data(told[0].buttons[0][0].data)  # "แก้ไขเลย" opens that very answer
    assert "ส่งกลับแก้ไข: แนบคำสั่งที่ลงนามแล้ว" in finance.text
    finance.press("ดำเนินการ")
    finance.say("ประกาศแผนบนเว็บไซต์ แนบคำสั่งแล้ว")
    finance.say("/skip")
    finance.say("/done")
    finance.press("บันทึก")
    assert any(r.recipient == "test:head" and "แก้ไขข้อ 2" in r.text for r in finance.last)
    assert "แนบคำสั่ง" not in finance.say("/status")[0].text  # the revision cleared the request
    head.say("/review")
    assert "🔄 2." in head.buttons()[0].label
    head.press("2. เผยแพร่")
    head.press("ยอมรับ")
    assert "✅ 2." in head.buttons()[0].label
    word, excel = _report_texts(head)
    assert "ผลการตรวจ: ยอมรับแล้ว" in word and "ผลการตรวจ: ยอมรับแล้ว" in excel and "ส่งกลับแก้ไข" not in word

    assert clerk.say("/approve")[0].text == TEXTS["th"]["approve_who"]  # an officer cannot ask for approval
    assert office.repo.list_approvals("o1", 2569) == []


def test_round_complete_asks_the_approver_and_a_change_asks_again(office: Office) -> None:
    finance = office.register("fin", "officer", "กองคลัง")
    clerk = office.register("clerk", "officer", "สำนักปลัด")
    palat = office.register("palat", "head", name="นายปลัด ใจดี")
    answer(finance, "2. เผยแพร่", "ประกาศแผนบนเว็บไซต์")
    answer(clerk, "3. มาตรการ", "ประชุมชี้แจง")  # the round is now complete
    (notice,) = [r for r in clerk.last if r.recipient == "test:palat"]
    assert "พร้อมให้พิจารณาอนุมัติ" in notice.text and not notice.files  # the officer is not kept waiting
    assert clerk.press_data(notice.buttons[0][0].data)[0].text == TEXTS["th"]["approver_only"]
    asked = palat.press_data(notice.buttons[0][0].data)  # the approver's tap makes the document
    assert len(asked) == 2 and asked[0].files and "ขออนุมัติ" in asked[1].text
    document = asked[0].files[0].path.read_bytes()

    palat.press_data(asked[1].buttons[0][0].data)
    assert "อนุมัติรายงานรอบ 6 เดือน แล้ว" in palat.text
    (approval,) = office.repo.list_approvals("o1", 2569, 6)
    assert (approval.approver_name, approval.platform, approval.account) == ("นายปลัด ใจดี", "test", "palat")
    assert approval.at == "2026-02-10T10:00:00+07:00"
    import hashlib

    assert approval.document_sha256 == hashlib.sha256(document).hexdigest()
    entries = office.repo.list_reports("o1", 2569)
    assert rv.approval_state([approval], rv.answers_digest(entries, 6)) == rv.APPROVED
    head_docx = _docx_text(palat)
    assert "อนุมัติผ่านระบบ itabot เมื่อ ๑๐ กุมภาพันธ์ ๒๕๖๙ เวลา ๑๐.๐๐ น." in head_docx
    assert "📝 รายงานรอบ 6 เดือน อนุมัติแล้ว (10 ก.พ. 69 10:00)" in palat.say("/status")[0].text

    answer(clerk, "3. มาตรการ", "ประชุมชี้แจง และเผยแพร่")
    (again,) = [r for r in clerk.last if r.recipient == "test:palat"]
    assert "เปลี่ยนหลังจากอนุมัติ" in again.text
    entries = office.repo.list_reports("o1", 2569)
    assert rv.approval_state(office.repo.list_approvals("o1", 2569, 6), rv.answers_digest(entries, 6)) == rv.OUTDATED
    assert "อนุมัติผ่านระบบ" not in _docx_text(palat)
    assert "ต้องอนุมัติใหม่ (/approve)" in palat.say("/status")[0].text
    palat.press_data(asked[1].buttons[0][0].data)  # the old document's button no longer approves
    assert "ไม่ใช่ฉบับล่าสุด" in palat.text
    assert len(office.repo.list_approvals("o1", 2569, 6)) == 1


def _docx_text(chat: Chat) -> str:
    """The signature block's text of the round's Word report as /summary sends it."""
    replies = chat.say("/summary")
    docx = next(f for r in replies for f in r.files if f.name.endswith(".docx"))
    document = open_docx(io.BytesIO(docx.path.read_bytes()))
    return "\n".join(c.text for table in document.tables for row in table.rows for c in row.cells)


def _report_texts(chat: Chat) -> tuple[str, str]:
    """The measure tables' text of the Word report and the Excel sheet /summary sends."""
    from openpyxl import load_workbook

    files = {Path(f.name).suffix: f.path for r in chat.say("/summary") for f in r.files}
    document = open_docx(io.BytesIO(files[".docx"].read_bytes()))
    word = "\n".join(c.text for table in document.tables for row in table.rows for c in row.cells)
    sheet = load_workbook(files[".xlsx"]).worksheets[0]
    excel = "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)
    return word, excel


def test_heads_digest_counts_answers_waiting_for_a_fix(office: Office) -> None:
    from datetime import datetime

    from domain.fiscal import get_round
    from scheduler.messages import MessageBuilder
    from scheduler.planner import KIND_DIGEST_ORG, plan_round
    from scheduler.policy import load_policy
    from scheduler.workdays import WorkCalendar
    from storage.clock import BANGKOK

    finance = office.register("fin", "officer", "กองคลัง")
    office.register("clerk", "officer", "สำนักปลัด")  # สำนักปลัด has not answered: the digest is due
    palat = office.register("palat", "head", name="นายปลัด ใจดี")
    answer(finance, "2. เผยแพร่", "ประกาศแผนบนเว็บไซต์")

    def digest_text() -> str:
        repo = office.repo
        policy = load_policy(repo, "o1")
        plan = plan_round("o1", policy, WorkCalendar.for_policy(policy), get_round(2569, 6),
                          repo.list_measures("o1", 2569), repo.list_units("o1"), repo.list_officers("o1"),
                          repo.list_reports("o1", 2569))
        assert plan is not None
        send = next(s for s in plan.sends if s.kind == KIND_DIGEST_ORG and s.officer.display_name == "นายปลัด ใจดี")
        return MessageBuilder(repo, datetime(2026, 3, 25, 9, 0, tzinfo=BANGKOK)).build(send).text

    assert "รอแก้ไข" not in digest_text()
    palat.say("/review")
    palat.press("2. เผยแพร่")
    palat.press("ส่งกลับแก้ไข")
    palat.say("แนบคำสั่งที่ลงนามแล้ว")
    assert "↩️ รอแก้ไข 1 มาตรการ (/review)" in digest_text()


def test_forged_or_stale_review_buttons_change_nothing(office: Office) -> None:
    finance = office.register("fin", "officer", "กองคลัง")
    clerk = office.register("clerk", "officer", "สำนักปลัด")
    head = office.register("head", "head", "กองคลัง")
    answer(finance, "2. เผยแพร่", "ประกาศแผนบนเว็บไซต์")
    answer(clerk, "3. มาตรการ", "ประชุมชี้แจง")
    # an officer of สำนักปลัด forging "แก้ไขเลย" for กองคลัง's answer is refused
    assert clerk.press_data("go:fix:2569:6:m2:u1")[0].text == t("th", "not_yours")
    refusals = {t("th", "stale_button"), TEXTS["th"]["approver_only"]}
    for data in ("go:fix:junk", "go:apv:2569:6:", "go:apv:x:y:z", "go:apr:2569:6:0000", "go:apd:2569", "go:apd:2569:6"):
        for chat in (clerk, head):
            assert chat.press_data(data)[0].text.split("\n\n")[0] in refusals, data  # the screen may follow
    # a head of กองคลัง cannot open สำนักปลัด's answer through a forged list index
    head.say("/review")
    nonce = head.buttons()[0].data.split(":")[0]
    assert head.press_data(f"{nonce}:ry:7")[0].text == TEXTS["th"]["not_yours"]
    assert office.repo.list_reviews("o1", 2569) == [] and office.repo.list_approvals("o1", 2569) == []
    assert len(office.repo.list_reports("o1", 2569)) == 2


def test_approve_on_demand_and_the_approver_sends_it_back(office: Office) -> None:
    finance = office.register("fin", "officer", "กองคลัง")
    head = office.register("head", "head", "กองคลัง")
    assert head.say("/approve")[0].text == TEXTS["th"]["no_approver"]  # nobody registered under that name yet
    palat = office.register("palat", "head", name="นาย ปลัด ใจดี")  # spacing differs from the settings: same person
    answer(finance, "2. เผยแพร่", "ประกาศแผนบนเว็บไซต์")  # the round is not complete: nobody is asked yet
    assert not [r for r in finance.last if r.recipient == "test:palat"]

    replies = head.say("/approve")
    assert "ส่งรายงานรอบ 6 เดือน ให้ นาย ปลัด ใจดี พิจารณาอนุมัติแล้ว" in replies[0].text
    assert "ยังไม่ได้อนุมัติ" in replies[0].text
    doc, ask = [r for r in replies if r.recipient == "test:palat"]
    assert doc.files and doc.files[0].name.endswith((".pdf", ".docx")) and "อนุมัติ" in ask.buttons[0][0].label

    palat.press_data(ask.buttons[0][1].data)  # ส่งกลับ
    assert palat.text == TEXTS["th"]["ask_send_back"]
    palat.say("ขอให้กองช่างรายงานให้ครบก่อน")
    assert "ส่งกลับรายงานรอบ 6 เดือน แล้ว" in palat.text
    told = [r.text for r in palat.last if r.recipient == "test:head"]
    assert told == ["↩️ นาย ปลัด ใจดี ส่งกลับรายงานรอบ 6 เดือน: ขอให้กองช่างรายงานให้ครบก่อน"]
    (decision,) = office.repo.list_approvals("o1", 2569, 6)
    assert (decision.decision, decision.comment) == ("returned", "ขอให้กองช่างรายงานให้ครบก่อน")
    assert "↩️ ผู้อนุมัติส่งกลับรายงานรอบ 6 เดือน: ขอให้กองช่างรายงานให้ครบก่อน" in head.say("/status")[0].text
    digest = rv.answers_digest(office.repo.list_reports("o1", 2569), 6)
    assert rv.approval_state([decision], digest) == rv.NO_APPROVAL and rv.current_approval([decision], digest) is None


THAI_LETTERS = re.compile("[\u0e00-\u0e7f]")


def test_a_wrong_round_word_lists_the_rounds_in_the_readers_language(office: Office) -> None:
    head = office.register("head", "head", "กองคลัง")
    assert "รอบ 3 เดือน, รอบ 6 เดือน" in head.say("/review ห้า")[0].text
    head.say("/lang en")
    for command in ("/review five", "/approve five"):
        text = head.say(command)[0].text
        assert text.startswith('Unknown round "five"') and "3-month round, 6-month round" in text
        assert not THAI_LETTERS.search(text), text
