"""End to end over the fake Bot API with the real PTB Application: answers, a send-back and its fix, the ปลัด's
approval in chat, the approval printed in the signature block, and a later change making it outdated."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.ratelimit import ChatRateLimiter
from bot.runner import telegram_adapter
from bot.wiring import build_services
from domain import review as rv
from handlers.services import create_invite
from report.options import ReportOptions, Signer, save_options
from storage.clock import BANGKOK, FixedClock
from storage.models import Measure
from tests.docx_read import open_docx
from tests.factory import make_office
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.pdf_pages import pages, pdf_expected
from tests.test_telegram_e2e import Phone

FIN, CLERK, HEAD, PALAT = 2001, 2002, 2003, 2004
NOW = datetime(2026, 3, 20, 14, 5, tzinfo=BANGKOK)  # FY 2569, round 6
APPROVED = "อนุมัติผ่านระบบ itabot เมื่อ ๒๐ มีนาคม ๒๕๖๙ เวลา ๑๔.๐๕ น."
PLAN = [
    Measure(id="m2", no=2, indicator="2", title="เผยแพร่ข้อมูลงบประมาณ", unit_ids=["u1"]),
    Measure(id="m3", no=3, indicator="3", title="มาตรการใช้อำนาจ", unit_ids=["u0"]),
]
SLOW = 300  # rendering a PDF with LibreOffice on a busy machine


@pytest.fixture
async def api():
    server = await FakeTelegramAPI().start()
    yield server
    await server.stop()


@pytest.fixture
async def running(api: FakeTelegramAPI, tmp_path: Path):
    """The office (กองคลัง and สำนักปลัด, one measure each; ปลัด named approver) behind the real adapter."""
    office = make_office(tmp_path, now=NOW, exports=True)
    office.repo.save_measures("o1", 2569, PLAN)
    save_options(office.repo, "o1", ReportOptions(signers=(
        Signer("reporter", "นางสาวรายงาน ดี", "หัวหน้าฝ่ายปกครอง", opinion=False),
        Signer("checker"), Signer("approver", "นายปลัด ใจดี", "ปลัด อบต."))))
    office.repo.close()
    services = build_services(tmp_path, FixedClock(NOW))
    settings = Settings(telegram_token=api.token, telegram_api_base_url=api.root_url)
    adapter = telegram_adapter(settings, services, album_wait=0.3, poll_timeout=1,
                               rate_limiter=ChatRateLimiter(chat_interval=0.05, group_interval=0.05, chat_burst=5))
    await adapter.start()
    yield services
    await adapter.stop()
    services.close()


async def register(api: FakeTelegramAPI, services, user: int, role: str, units: list[str], name: str) -> Phone:
    ids = [u.id for u in services.repo.list_units("o1") if u.name in units]
    code = create_invite(services.repo, services.clock, "o1", role, ids, name=name).code
    phone = Phone(api, user)
    assert "ลงทะเบียนเรียบร้อย" in await phone.say(f"/start {code}")
    return phone


async def answer(phone: Phone, measure: str, summary: str) -> str:
    await phone.say("/report")
    await phone.press(measure)
    await phone.press("ดำเนินการ")
    await phone.say(summary)
    await phone.say("/skip")
    await phone.say("/done")
    return await phone.press("บันทึก")


async def approval_request(api: FakeTelegramAPI, palat: Phone, seen: int) -> tuple[bytes, str]:
    """The ปลัด is told the round is ready, taps for the document: its bytes and the text with อนุมัติ / ส่งกลับ."""
    notice = await api.wait_for(lambda: [t for t in api.texts_to(PALAT) if "พร้อมให้พิจารณาอนุมัติ" in t][seen:])
    await api.wait_idle()
    api.push_callback(PALAT, palat.buttons()[0]["callback_data"], palat.keyboard_message())
    docs = await api.wait_for(lambda: len(api.calls_of("sendDocument", PALAT)) > seen and
                              api.calls_of("sendDocument", PALAT), timeout=SLOW)
    assert notice
    await api.wait_idle(quiet=0.5, timeout=SLOW)
    asks = [t for t in api.texts_to(PALAT) if "ขออนุมัติ" in t]
    return docs[-1].files["document"].data, asks[-1]


async def summary_documents(api: FakeTelegramAPI, head: Phone) -> dict[str, bytes]:
    """The Word (and PDF) report the head gets from /summary, by extension."""
    photos, docs = len(api.calls_of("sendPhoto", HEAD)), len(api.calls_of("sendDocument", HEAD))
    api.push_text(HEAD, "/summary")
    await api.wait_for(lambda: len(api.calls_of("sendPhoto", HEAD)) > photos, timeout=SLOW)  # the chart is last
    await api.wait_idle(quiet=0.5, timeout=SLOW)
    sent = api.calls_of("sendDocument", HEAD)[docs:]
    return {Path(c.files["document"].filename).suffix: c.files["document"].data for c in sent}


def signature_text(docx: bytes) -> str:
    """The text of the signature block (the last table with ลงชื่อ)."""
    document = open_docx(io.BytesIO(docx))
    blocks = [t for t in document.tables if any("ลงชื่อ" in c.text for row in t.rows for c in row.cells)]
    assert blocks, "no signature block"
    return "\n".join(c.text for row in blocks[-1].rows for c in row.cells)


def pdf_text(pdf: bytes, tmp: Path) -> str:
    path = tmp / "report.pdf"
    path.write_bytes(pdf)
    return "".join(p.squeezed for p in pages(path))


async def test_send_back_fix_approve_then_outdated(api: FakeTelegramAPI, running, tmp_path: Path) -> None:
    services = running
    fin = await register(api, services, FIN, "officer", ["กองคลัง"], "นายการเงิน ขยัน")
    clerk = await register(api, services, CLERK, "officer", ["สำนักปลัด"], "นางธุรการ ตั้งใจ")
    head = await register(api, services, HEAD, "head", ["กองคลัง"], "นายผู้อำนวยการ กองคลัง")
    palat = await register(api, services, PALAT, "head", [], "นายปลัด ใจดี")

    # two units answer; the round is complete, so the ปลัด is asked to approve
    assert "บันทึกแล้ว" in await answer(fin, "2. เผยแพร่", "ประกาศแผนบนเว็บไซต์")
    assert "บันทึกแล้ว" in await answer(clerk, "3. มาตรการ", "ประชุมชี้แจงเจ้าหน้าที่")
    first_doc, ask = await approval_request(api, palat, 0)
    assert "รอบ 6 เดือน" in ask

    # the head of กองคลัง sends its answer back; the officer is told with a button to fix it
    assert "รอแก้ไข 0" in await head.say("/review")
    await head.press("2. เผยแพร่")
    await head.press("ส่งกลับแก้ไข")
    before = len(api.texts_to(FIN))
    assert "รอแก้ไข 1" in await head.say("แนบคำสั่งที่ลงนามแล้ว")
    await api.wait_for(lambda: len(api.texts_to(FIN)) > before)
    assert "แนบคำสั่งที่ลงนามแล้ว" in api.texts_to(FIN)[-1]
    assert "รอแก้ไข 1 มาตรการ" in await head.say("/status")

    # the officer fixes it from the button; the head hears it, and the ปลัด gets the new document
    opened = await fin.press("แก้ไขเลย")
    assert "ส่งกลับแก้ไข: แนบคำสั่งที่ลงนามแล้ว" in opened
    await fin.press("ดำเนินการ")
    await fin.say("ประกาศแผนบนเว็บไซต์ พร้อมคำสั่งที่ลงนามแล้ว")
    await fin.say("/skip")
    await fin.say("/done")
    assert "บันทึกแล้ว" in await fin.press("บันทึก")
    await api.wait_for(lambda: any("แก้ไขข้อ 2" in t for t in api.texts_to(HEAD)))
    doc, ask = await approval_request(api, palat, 1)
    assert doc != first_doc
    assert "รอแก้ไข" not in await head.say("/status")

    # the ปลัด approves: who, when, which account, the exact document and the answers are kept
    assert "อนุมัติรายงานรอบ 6 เดือน แล้ว" in await palat.press("อนุมัติ")
    (approval,) = services.repo.list_approvals("o1", 2569, 6)
    assert (approval.approver_name, approval.platform, approval.account) == ("นายปลัด ใจดี", "telegram", str(PALAT))
    assert approval.at == NOW.isoformat(timespec="seconds")
    assert approval.document_sha256 == hashlib.sha256(doc).hexdigest()
    entries = services.repo.list_reports("o1", 2569)
    assert approval.answers_digest == rv.answers_digest(entries, 6)
    await api.wait_for(lambda: any("อนุมัติรายงาน" in t for t in api.texts_to(FIN)))  # who asked hears it

    files = await summary_documents(api, head)
    block = signature_text(files[".docx"])
    assert "(นายปลัด ใจดี)" in block and APPROVED in block
    assert block.index("(นายปลัด ใจดี)") < block.index(APPROVED)  # under the approver's name
    if pdf_expected():
        assert APPROVED.replace(" ", "") in pdf_text(files[".pdf"], tmp_path)

    # a later change marks the approval outdated: the ปลัด is asked again, the signature no longer says approved
    await answer(clerk, "3. มาตรการ", "ประชุมชี้แจงเจ้าหน้าที่ และเผยแพร่บนเว็บไซต์")
    _, ask = await approval_request(api, palat, 2)
    assert "เปลี่ยนหลังจากอนุมัติ" in ask
    entries = services.repo.list_reports("o1", 2569)
    approvals = services.repo.list_approvals("o1", 2569, 6)
    assert rv.approval_state(approvals, rv.answers_digest(entries, 6)) == rv.OUTDATED
    files = await summary_documents(api, head)
    assert "อนุมัติผ่านระบบ" not in signature_text(files[".docx"])
    if pdf_expected():
        assert "อนุมัติผ่านระบบ" not in pdf_text(files[".pdf"], tmp_path)
    assert len(services.repo.list_approvals("o1", 2569, 6)) == 1  # the history is kept
