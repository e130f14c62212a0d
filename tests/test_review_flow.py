"""/review and /approve through the engine (the console's path): who may decide, what others are told."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from domain import review as rv
from handlers.review_texts import TEXTS
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

    assert clerk.say("/approve")[0].text == TEXTS["th"]["approve_who"]  # an officer cannot ask for approval
    assert office.repo.list_approvals("o1", 2569) == []


def test_round_complete_asks_the_approver_and_a_change_asks_again(office: Office) -> None:
    finance = office.register("fin", "officer", "กองคลัง")
    clerk = office.register("clerk", "officer", "สำนักปลัด")
    palat = office.register("palat", "head", name="นายปลัด ใจดี")
    answer(finance, "2. เผยแพร่", "ประกาศแผนบนเว็บไซต์")
    answer(clerk, "3. มาตรการ", "ประชุมชี้แจง")  # the round is now complete
    asked = [r for r in clerk.last if r.recipient == "test:palat"]
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

    answer(clerk, "3. มาตรการ", "ประชุมชี้แจง และเผยแพร่")
    again = [r for r in clerk.last if r.recipient == "test:palat"]
    assert len(again) == 2 and "เปลี่ยนหลังจากอนุมัติ" in again[1].text
    entries = office.repo.list_reports("o1", 2569)
    assert rv.approval_state(office.repo.list_approvals("o1", 2569, 6), rv.answers_digest(entries, 6)) == rv.OUTDATED
    assert "อนุมัติผ่านระบบ" not in _docx_text(palat)
    palat.press_data(asked[1].buttons[0][0].data)  # the old document's button no longer approves
    assert "ไม่ใช่ฉบับล่าสุด" in palat.text
    assert len(office.repo.list_approvals("o1", 2569, 6)) == 1


def _docx_text(chat: Chat) -> str:
    """The signature block's text of the round's Word report as /summary sends it."""
    replies = chat.say("/summary")
    docx = next(f for r in replies for f in r.files if f.name.endswith(".docx"))
    document = open_docx(io.BytesIO(docx.path.read_bytes()))
    return "\n".join(c.text for table in document.tables for row in table.rows for c in row.cells)
