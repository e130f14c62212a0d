"""End to end: the real engine behind the real PTB Application, talking HTTP to the fake Bot API."""

from __future__ import annotations

import io
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image

from bot.config import Settings
from bot.ratelimit import ChatRateLimiter
from bot.runner import telegram_adapter
from bot.telegram import TelegramAdapter
from bot.web import TELEGRAM_SECRET_HEADER, WebServer
from bot.wiring import Services, build_services
from domain.fiscal import to_thai_digits
from handlers.texts import t
from storage.clock import BANGKOK, FixedClock
from tests.docx_read import open_docx
from tests.factory import make_office
from tests.fakes.telegram_api import ApiCall, FakeTelegramAPI
from tests.pdf_pages import pdf_expected, thai_font_embedded

OFFICER, HEAD, OTHER, STRANGER = 1001, 1002, 1003, 1004
NOW = datetime(2026, 2, 10, 10, 0, tzinfo=BANGKOK)  # FY 2569, round 6
SUMMARY = "ประกาศแผนการใช้จ่ายงบประมาณบนเว็บไซต์ 5 ม.ค. 2569"


def jpeg(color: tuple[int, int, int]) -> bytes:
    """A small real JPEG (the report renderer decodes photos)."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "JPEG")
    return buf.getvalue()


class Phone:
    """One Telegram user: types, sends files and presses buttons found in the bot's recorded messages."""

    def __init__(self, api: FakeTelegramAPI, user_id: int) -> None:
        self.api, self.user_id = api, user_id

    async def _answer(self, push) -> list[ApiCall]:  # type: ignore[no-untyped-def]
        before = len(self.api.sent_to(self.user_id))
        push()
        await self.api.wait_for(lambda: len(self.api.sent_to(self.user_id)) > before)
        await self.api.wait_idle(quiet=0.25)
        return self.api.sent_to(self.user_id)[before:]

    async def say(self, text: str) -> str:
        sent = await self._answer(lambda: self.api.push_text(self.user_id, text))
        return "\n".join(c.params.get("text", "") for c in sent)

    def keyboard_message(self) -> dict:
        """The newest bot message in this chat that still has a keyboard."""
        msgs = [m for (chat, _), m in self.api.messages.items() if chat == self.user_id and m.get("reply_markup")]
        assert msgs, "no keyboard on screen"
        return max(msgs, key=lambda m: m["message_id"])

    def buttons(self) -> list[dict]:
        return [b for row in self.keyboard_message()["reply_markup"]["inline_keyboard"] for b in row]

    async def press(self, label: str) -> str:
        message = self.keyboard_message()
        buttons = self.buttons()
        chosen = next((b for b in buttons if b["text"] == label), None) or next(
            (b for b in buttons if label in b["text"]), None
        )
        assert chosen, f"no button {label!r} in {[b['text'] for b in buttons]}"
        return await self.press_data(chosen["callback_data"], message)

    async def press_data(self, data: str, message: dict | None = None) -> str:
        sent = await self._answer(lambda: self.api.push_callback(self.user_id, data, message))
        return "\n".join(c.params.get("text", "") for c in sent)


@pytest.fixture
async def api():
    server = await FakeTelegramAPI().start()
    yield server
    await server.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    office = make_office(tmp_path, now=NOW, exports=True)
    office.repo.close()
    return tmp_path


class Bot:
    """Starts/stops the real adapter on the data directory, like `itabot run` does."""

    def __init__(self, api: FakeTelegramAPI, data_dir: Path) -> None:
        self.api, self.data_dir = api, data_dir
        self.adapter: TelegramAdapter | None = None
        self.services: Services | None = None

    async def start(self, **kw: Any) -> TelegramAdapter:
        self.services = build_services(self.data_dir, FixedClock(NOW))
        settings = Settings(telegram_token=self.api.token, telegram_api_base_url=self.api.root_url, **kw)
        self.adapter = telegram_adapter(  # the runner's own wiring, with quicker pacing for tests
            settings, self.services, album_wait=0.3, poll_timeout=1,
            rate_limiter=ChatRateLimiter(chat_interval=0.05, group_interval=0.05, chat_burst=5),
        )
        await self.adapter.start()
        return self.adapter

    async def stop(self) -> None:
        if self.adapter:
            await self.adapter.stop()
            self.adapter = None
        if self.services:
            self.services.close()
            self.services = None

    def invite(self, role: str, *units: str) -> str:
        from handlers.services import create_invite

        assert self.services is not None
        repo = self.services.repo
        ids = [u.id for u in repo.list_units("o1") if u.name in units]
        return create_invite(repo, self.services.clock, "o1", role, ids).code


@pytest.fixture
async def bot(api: FakeTelegramAPI, data_dir: Path):
    b = Bot(api, data_dir)
    await b.start()
    yield b
    await b.stop()


async def test_officer_reports_with_album_and_pdf_and_head_gets_the_docx(api, bot, data_dir, tmp_path):
    officer = Phone(api, OFFICER)
    reply = await officer.say(f"/start {bot.invite('officer', 'กองคลัง')}")
    assert "ลงทะเบียนเรียบร้อย" in reply

    api.fail_next("sendMessage", retry_after=1)  # Telegram says "slow down" once
    t0 = time.monotonic()
    reply = await officer.say("/report")
    assert time.monotonic() - t0 >= 1.0 and len(api.rejected) == 1
    assert "รอบ 6 เดือน" in reply
    assert all(len(b["callback_data"].encode()) <= 64 for b in officer.buttons())
    assert not any("เผยแพร่" in b["callback_data"] for b in officer.buttons())  # no Thai titles in data

    assert "เผยแพร่ข้อมูลงบประมาณ" in await officer.press("2. เผยแพร่")
    assert t("th", "ask_summary") in await officer.press("ดำเนินการ")
    await officer.say(SUMMARY)
    assert t("th", "ask_evidence").split("\n")[0] in await officer.say("ประชาชนเข้าถึงข้อมูลได้")

    colors = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    photos = [jpeg(c) for c in colors]

    def album() -> None:
        for i, p in enumerate(photos):
            api.push_photo(OFFICER, p, media_group_id="album-1", caption="อบรม" if i == 0 else None)

    sent = await officer._answer(album)
    assert len(sent) == 1 and "รวม 3 รายการ" in sent[0].params["text"]  # one answer for the whole album
    pdf = b"%PDF-1.4 order of appointment"
    sent = await officer._answer(lambda: api.push_document(OFFICER, pdf, "คำสั่ง.pdf", "application/pdf"))
    assert "รวม 4 รายการ" in sent[0].params["text"]
    recap = await officer.press("เสร็จสิ้น")
    assert "ตรวจสอบก่อนบันทึก" in recap and "4 รายการ" in recap
    assert "บันทึกแล้ว" in await officer.press("บันทึก")

    assert bot.services is not None
    entries = bot.services.repo.list_reports("o1", 2569, 6, "m2")
    assert len(entries) == 1 and entries[0].summary == SUMMARY and entries[0].unit_id == "u1"
    ev = entries[0].evidence
    assert [e.kind for e in ev] == ["photo", "photo", "photo", "file"]
    assert [bot.services.evidence.read(e.sha256) for e in ev] == [*photos, pdf]

    head = Phone(api, HEAD)
    assert "ลงทะเบียนเรียบร้อย" in await head.say(f"/start {bot.invite('head', 'สำนักปลัด')}")
    before = len(api.sent_to(HEAD))
    api.push_text(HEAD, "/summary")
    await api.wait_for(lambda: api.calls_of("sendPhoto", HEAD), timeout=240)  # the chart comes last; PDF takes a while
    await api.wait_idle(quiet=0.5, timeout=30)
    sent = api.sent_to(HEAD)[before:]
    assert sent[0].method == "sendMessage" and "เผยแพร่ข้อมูลงบประมาณ" in sent[0].params["text"]
    docs = {c.files["document"].filename: c.files["document"].data for c in api.calls_of("sendDocument", HEAD)}
    docx_name = next(n for n in docs if n.endswith(".docx"))
    assert any(n.endswith(".xlsx") for n in docs)
    assert api.calls_of("sendPhoto", HEAD)  # the chart
    pdfs = [data for name, data in docs.items() if name.endswith(".pdf")]
    if pdf_expected():
        assert len(pdfs) == 1 and thai_font_embedded(pdfs[0], tmp_path)  # Thai font embedded, no tofu
    else:
        assert pdfs == []  # no LibreOffice: Word, Excel and the chart still come

    document = open_docx(io.BytesIO(docs[docx_name]))  # as shown: without the invisible word joiners
    rows = [" ".join(c.text for c in row.cells) for table in document.tables for row in table.rows]
    assert any(to_thai_digits(SUMMARY) in r for r in rows)  # the office's digits (Thai by default)
    images = [Image.open(io.BytesIO(part.blob)).convert("RGB") for part in document.part.package.parts
              if part.content_type.startswith("image/")]
    centers = [img.getpixel((img.width // 2, img.height // 2)) for img in images]

    def near(a: object, b: tuple) -> bool:
        return isinstance(a, tuple) and all(abs(x - y) < 40 for x, y in zip(a, b, strict=True))

    assert all(any(near(c, color) for c in centers) for color in colors)  # all three album photos
    annex = [p.text for p in document.paragraphs]
    assert any("ภาคผนวก" in text or "หลักฐาน" in text for text in annex)


async def test_unregistered_user_only_learns_how_to_register(api, bot):
    stranger = Phone(api, STRANGER)
    for text in ("สวัสดี", "/report", "/summary", "/start WRONG1"):
        reply = await stranger.say(text)
        if text.startswith("/start"):
            assert reply == t("th", "invite_unknown")
        else:
            assert reply == t("th", "not_registered")
    await stranger._answer(lambda: api.push_photo(STRANGER, jpeg((1, 2, 3))))
    assert api.texts_to(STRANGER)[-1] == t("th", "not_registered")
    await stranger._answer(lambda: api.push_sticker(STRANGER))
    assert api.texts_to(STRANGER)[-1] == t("th", "not_registered")
    assert all("reply_markup" not in c.params for c in api.sent_to(STRANGER))
    assert not api.calls_of("sendDocument", STRANGER)
    assert bot.services.repo.find_identity("telegram", str(STRANGER)) is None
    assert not api.calls_of("getFile")  # a stranger's files are never downloaded


async def test_forged_callback_for_another_units_measure_is_refused(api, bot):
    other = Phone(api, OTHER)
    await other.say(f"/start {bot.invite('officer', 'กองช่าง')}")
    await other.say("/report")
    nonce = other.buttons()[0]["callback_data"].split(":")[0]
    assert bot.services is not None
    state_before = bot.services.repo.get_state("o1", f"telegram:{OTHER}")
    reply = await other.press_data(f"{nonce}:m:m2")  # m2 belongs to กองคลัง
    assert reply.startswith(t("th", "not_yours"))  # and the list comes back with its buttons
    assert bot.services.repo.get_state("o1", f"telegram:{OTHER}") == state_before
    reply = await other.press_data(f"{nonce}:v:")  # and "save" out of nowhere stores nothing
    assert bot.services.repo.list_reports("o1", 2569) == []


async def test_restart_mid_flow_continues(api, bot):
    officer = Phone(api, OFFICER)
    await officer.say(f"/start {bot.invite('officer', 'กองคลัง')}")
    await officer.say("/report")
    await officer.press("2. เผยแพร่")
    assert t("th", "ask_summary") in await officer.press("ดำเนินการ")
    await bot.stop()
    await bot.start()
    reply = await officer.say(SUMMARY)
    assert t("th", "ask_outcome") in reply
    await officer.say("/skip")
    await officer.say("/done")
    assert "บันทึกแล้ว" in await officer.press("บันทึก")
    assert bot.services is not None
    assert [e.summary for e in bot.services.repo.list_reports("o1", 2569, 6, "m2")] == [SUMMARY]


async def test_oversized_document_gets_the_thai_limit_message(api, bot):
    officer = Phone(api, OFFICER)
    await officer.say(f"/start {bot.invite('officer', 'กองคลัง')}")
    await officer.say("/report")
    await officer.press("2. เผยแพร่")
    await officer.press("ดำเนินการ")
    await officer.say(SUMMARY)
    await officer.say("/skip")
    sent = await officer._answer(
        lambda: api.push_document(OFFICER, None, "วิดีโออบรม.mp4", "video/mp4", size=30 * 1024 * 1024)
    )
    text = sent[0].params["text"]
    assert "วิดีโออบรม.mp4" in text and "20 MB" in text


async def test_webhook_without_the_secret_is_refused_and_stores_nothing(api, data_dir):
    b = Bot(api, data_dir)
    web = WebServer("127.0.0.1", 0)
    await b.start(telegram_webhook_url="https://ita.example.go.th/telegram/webhook",
                  telegram_webhook_secret="hook-secret-1")
    adapter = b.adapter
    assert adapter is not None and b.services is not None
    adapter.register_routes(web)
    await web.start()
    try:
        code = b.invite("officer", "กองคลัง")
        update = {"update_id": 77, **api.text_update(OFFICER, f"/start {code}")}
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {TELEGRAM_SECRET_HEADER: "hook-secret-2"}):
                async with http.post(f"{web.url}/telegram/webhook", json=update, headers=headers) as resp:
                    assert resp.status == 403
            await api.wait_idle(quiet=0.3)
            assert b.services.repo.find_identity("telegram", str(OFFICER)) is None
            invite = b.services.repo.get_invite(code)
            assert invite is not None and invite.used_by == ""
            assert api.sent_to(OFFICER) == []
            async with http.post(f"{web.url}/telegram/webhook", json=update,
                                 headers={TELEGRAM_SECRET_HEADER: "hook-secret-1"}) as resp:
                assert resp.status == 200
        await api.wait_sent(OFFICER, 1)
        assert "ลงทะเบียนเรียบร้อย" in api.texts_to(OFFICER)[0]
    finally:
        await b.stop()
        await web.stop()


async def test_blocking_the_bot_marks_the_account_inactive_and_unblocking_revives_it(api, bot):
    officer = Phone(api, OFFICER)
    await officer.say(f"/start {bot.invite('officer', 'กองคลัง')}")
    repo = bot.services.repo

    def active() -> bool:
        found = repo.find_identity("telegram", str(OFFICER))
        person = repo.get_officer(*found)
        return person.identities[0].active

    sent = len(api.sent_to(OFFICER))
    api.push_block(OFFICER)
    await api.wait_for(lambda: not active())
    await api.wait_idle()
    assert len(api.sent_to(OFFICER)) == sent  # nothing is sent to someone who blocked the bot
    api.push_block(OFFICER, blocked=False)
    await api.wait_sent(OFFICER, sent + 1)
    assert active() and "/report" in api.texts_to(OFFICER)[-1]
