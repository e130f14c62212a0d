"""Telegram adapter against the fake Bot API server over real HTTP, with a stand-in engine."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

from bot.outbox import OfficerNotifier, Outbox
from bot.ratelimit import ChatRateLimiter
from bot.telegram import TelegramAdapter, deep_link
from bot.telegram_render import split_text
from bot.web import TELEGRAM_SECRET_HEADER, WebServer
from domain.events import Button, Incoming, OutFile, Reply
from domain.sends import REASON_NO_ACCOUNT, Undeliverable
from storage.models import Identity, Officer
from tests.fakes.telegram_api import FakeTelegramAPI

USER = 4242


class StandInEngine:
    """A tiny engine: records events and answers with scripted replies (or its own echo)."""

    def __init__(self) -> None:
        self.events: list[Incoming] = []
        self.script: list[list[Reply]] = []
        self.fail_on: str = ""

    def handle(self, event: Incoming) -> list[Reply]:
        self.events.append(event)
        if self.fail_on and event.text == self.fail_on:
            raise RuntimeError("boom")
        if self.script:
            return self.script.pop(0)
        return [Reply(f"got {event.kind}")]


@pytest.fixture
async def api():
    server = await FakeTelegramAPI().start()
    yield server
    await server.stop()


def fast_limiter() -> ChatRateLimiter:
    return ChatRateLimiter(chat_interval=0.01, group_interval=0.01)


@pytest.fixture
async def bot(api: FakeTelegramAPI):
    engine = StandInEngine()
    adapter = TelegramAdapter(
        engine, api.token, api_root=api.root_url, rate_limiter=fast_limiter(), album_wait=0.3, poll_timeout=1
    )
    await adapter.start()
    yield adapter, engine
    await adapter.stop()


async def test_start_publishes_thai_menu_and_answers_a_command(api, bot):
    adapter, engine = bot
    assert api.commands and all(c["description"] for c in api.commands)
    assert any("รายงาน" in c["description"] for c in api.commands)
    api.push_text(USER, "/start ABC123")
    await api.wait_sent(USER, 1)
    ev = engine.events[0]
    assert (ev.platform, ev.user_id, ev.kind, ev.command, ev.args) == ("telegram", str(USER), "command", "start", "ABC123")
    assert ev.chat_id == str(USER) and not ev.is_group and ev.display_name == "สมชาย"
    assert api.texts_to(USER) == ["got command"]
    assert adapter.username == "ita_test_bot"


async def test_buttons_are_inline_keyboards_and_a_press_removes_them(api, bot):
    adapter, engine = bot
    engine.script = [[Reply("เลือกสถานะ", buttons=[[Button("ดำเนินการ", "ab12:s:done")], [Button("ยกเลิก", "ab12:x:")]])]]
    api.push_text(USER, "/report")
    sent = await api.wait_sent(USER, 1)
    markup = sent[0].params["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in markup] == [["ab12:s:done"], ["ab12:x:"]]
    assert markup[0][0]["text"] == "ดำเนินการ"
    message = api.messages[(USER, max(m for c, m in api.messages if c == USER))]
    api.push_callback(USER, "ab12:s:done", message=message)
    await api.wait_sent(USER, 2)
    assert engine.events[-1].kind == "button" and engine.events[-1].data == "ab12:s:done"
    assert api.calls_of("answerCallbackQuery")
    edit = api.calls_of("editMessageReplyMarkup")[-1]
    assert edit.params["message_id"] == message["message_id"]
    assert "reply_markup" not in api.messages[(USER, message["message_id"])]


async def test_callback_data_over_64_bytes_is_never_sent():
    with pytest.raises(ValueError):
        from bot.telegram_render import keyboard

        keyboard([[Button("x", "ก" * 30)]])


def test_long_text_splits_at_line_boundaries():
    lines = [f"บรรทัดที่ {i} " + "ข" * 50 for i in range(200)]
    text = "\n".join(lines)
    chunks = split_text(text)
    assert len(chunks) > 1 and all(len(c) <= 4096 for c in chunks)
    assert "\n".join(chunks) == text  # nothing lost, every cut on a line boundary
    one_line = "ค " * 5000
    parts = split_text(one_line)
    assert all(len(p) <= 4096 for p in parts) and "".join(parts).replace(" ", "") == one_line.replace(" ", "")


async def test_long_reply_arrives_in_pieces_with_the_keyboard_last(api, bot):
    adapter, engine = bot
    text = "\n".join(f"แถว {i} {'ง' * 80}" for i in range(120))
    engine.script = [[Reply(text, buttons=[[Button("ต่อ", "n1:p:1")]])]]
    api.push_text(USER, "/status")
    await api.wait_idle()
    sent = api.calls_of("sendMessage", USER)
    assert len(sent) >= 2 and all(len(c.params["text"]) <= 4096 for c in sent)
    assert "\n".join(c.params["text"] for c in sent) == text
    assert "reply_markup" in sent[-1].params and all("reply_markup" not in c.params for c in sent[:-1])


async def test_album_arrives_as_one_event_with_the_largest_photos(api, bot):
    adapter, engine = bot
    for i in range(3):
        api.push_photo(USER, f"PHOTO-{i}".encode() * 100, media_group_id="alb1", caption="งานวันที่ 1" if i == 0 else None)
    await api.wait_sent(USER, 1)
    await api.wait_idle()
    files = [e for e in engine.events if e.kind == "file"]
    assert len(files) == 1
    atts = files[0].attachments
    assert [a.data for a in atts] == [f"PHOTO-{i}".encode() * 100 for i in range(3)]
    assert all(a.kind == "photo" and a.mime == "image/jpeg" for a in atts)
    assert files[0].text == "งานวันที่ 1"
    assert api.texts_to(USER) == ["got file"]


async def test_text_right_after_an_album_comes_after_it(api, bot):
    adapter, engine = bot
    api.push_photo(USER, b"a" * 10, media_group_id="g2")
    api.push_photo(USER, b"b" * 10, media_group_id="g2")
    api.push_text(USER, "บันทึก")
    await api.wait_sent(USER, 2)
    assert [e.kind for e in engine.events] == ["file", "text"]
    assert len(engine.events[0].attachments) == 2


async def test_documents_are_downloaded_and_oversized_ones_are_not(api, bot):
    adapter, engine = bot
    api.push_document(USER, b"%PDF-1.4 report", "คำสั่ง.pdf", "application/pdf")
    await api.wait_sent(USER, 1)
    doc = engine.events[-1].attachments[0]
    assert (doc.name, doc.data, doc.mime, doc.kind) == ("คำสั่ง.pdf", b"%PDF-1.4 report", "application/pdf", "file")
    gets = len(api.calls_of("getFile"))
    api.push_document(USER, None, "big.zip", "application/zip", size=25 * 1024 * 1024)
    await api.wait_sent(USER, 2)
    big = engine.events[-1].attachments[0]
    assert big.data is None and big.size == 25 * 1024 * 1024
    assert len(api.calls_of("getFile")) == gets  # never tried to download it


async def test_files_are_uploaded_as_document_and_photo(api, bot, tmp_path: Path):
    adapter, engine = bot
    docx = tmp_path / "r.docx"
    docx.write_bytes(b"PK-docx-bytes")
    png = tmp_path / "c.png"
    png.write_bytes(b"\x89PNG-chart")
    engine.script = [[Reply("สรุปผล", files=[OutFile(docx, "รายงาน.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"), OutFile(png, "chart.png", "image/png", kind="photo")])]]
    api.push_text(USER, "/summary")
    await api.wait_sent(USER, 3)
    doc = api.calls_of("sendDocument", USER)[0]
    assert doc.files["document"].data == b"PK-docx-bytes" and doc.files["document"].filename == "รายงาน.docx"
    photo = api.calls_of("sendPhoto", USER)[0]
    assert photo.files["photo"].data == b"\x89PNG-chart"
    assert [c.method for c in api.sent_to(USER)] == ["sendMessage", "sendDocument", "sendPhoto"]


async def test_groups_get_only_commands_forwarded(api, bot):
    adapter, engine = bot
    api.push_text(USER, "สวัสดีทุกคน", group_id=-100777)
    api.push_text(USER, "/report@ita_test_bot", group_id=-100777)
    await api.wait_sent(-100777, 1)
    await api.wait_idle()
    assert len(engine.events) == 1
    ev = engine.events[0]
    assert ev.is_group and ev.command == "report" and ev.chat_id == "-100777"


async def test_an_engine_error_is_answered_and_the_bot_keeps_going(api, bot, caplog):
    adapter, engine = bot
    engine.fail_on = "พัง"
    api.push_text(USER, "พัง")
    api.push_text(USER, "ต่อ")
    await api.wait_sent(USER, 2)
    assert api.texts_to(USER) == ["ขออภัย ระบบขัดข้องชั่วคราว ลองใหม่อีกครั้ง", "got text"]
    assert any("engine failed" in r.message and str(USER) in r.message for r in caplog.records)


async def test_unsupported_messages_get_a_pointer(api, bot):
    adapter, engine = bot
    api.push_sticker(USER)
    await api.wait_sent(USER, 1)
    assert not engine.events and "รูปภาพ" in api.texts_to(USER)[0]


async def test_429_delays_then_delivers(api, bot):
    adapter, engine = bot
    api.fail_next("sendMessage", retry_after=1)
    t0 = time.monotonic()
    api.push_text(USER, "สวัสดี")
    await api.wait_sent(USER, 1, timeout=10)
    assert len(api.rejected) == 1
    assert api.calls_of("sendMessage", USER)[0].at - api.rejected[0].at >= 1.0
    assert time.monotonic() - t0 >= 1.0
    assert api.texts_to(USER) == ["got text"]


async def test_outbox_routes_pushes_to_telegram(api):
    engine = StandInEngine()
    outbox = Outbox()
    adapter = TelegramAdapter(engine, api.token, api_root=api.root_url, outbox=outbox,
                              rate_limiter=fast_limiter(), poll_timeout=1)
    await adapter.start()
    try:
        assert outbox.platforms() == ["telegram"]
        assert await outbox.send("telegram", "777", Reply("ถึงเวลารายงานรอบ ๖ เดือน"))
        assert not await outbox.send("line", "U1", Reply("x"))
        engine.script = [[Reply("บันทึกแล้ว"), Reply("มีรายงานใหม่", recipient="telegram:888")]]
        api.push_text(USER, "บันทึก")
        await api.wait_sent(888, 1)
        assert api.texts_to(777) == ["ถึงเวลารายงานรอบ ๖ เดือน"]
        assert api.texts_to(USER) == ["บันทึกแล้ว"] and api.texts_to(888) == ["มีรายงานใหม่"]
        notifier = OfficerNotifier(outbox)
        person = Officer("p1", "o1", "สมหญิง", identities=[
            Identity("line", "U1"), Identity("telegram", "999", active=False), Identity("telegram", "555")])
        assert await notifier.send(person, Reply("เตือนรายงานรอบ ๖ เดือน"))
        assert api.texts_to(555) == ["เตือนรายงานรอบ ๖ เดือน"] and api.texts_to(999) == []
        with pytest.raises(Undeliverable) as refused:  # nobody to reach: the send log says why
            await notifier.send(Officer("p2", "o1", "x", identities=[Identity("telegram", "1", active=False)]),
                                Reply("x"))
        assert refused.value.reason == REASON_NO_ACCOUNT
    finally:
        await adapter.stop()
    assert outbox.platforms() == []


async def test_webhook_needs_the_secret(api):
    engine = StandInEngine()
    adapter = TelegramAdapter(engine, api.token, api_root=api.root_url, rate_limiter=fast_limiter(),
                              webhook_url="https://bot.example.org/tg/hook", webhook_secret="s3cret-XYZ")
    web = WebServer("127.0.0.1", 0)
    adapter.register_routes(web)
    await web.start()
    await adapter.start()
    try:
        assert api.webhook["url"] == "https://bot.example.org/tg/hook"
        assert api.webhook["secret_token"] == "s3cret-XYZ"
        update = {"update_id": 1, **api.text_update(USER, "/start CODE1")}
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {TELEGRAM_SECRET_HEADER: "wrong"}, {TELEGRAM_SECRET_HEADER: "s3cret-XY"}):
                async with http.post(f"{web.url}/tg/hook", json=update, headers=headers) as resp:
                    assert resp.status == 403
            await asyncio.sleep(0.2)
            assert engine.events == [] and api.sent_to(USER) == []
            async with http.get(f"{web.url}/healthz") as resp:
                assert resp.status == 200 and (await resp.json())["ok"] is True
            async with http.post(f"{web.url}/tg/hook", json=update,
                                 headers={TELEGRAM_SECRET_HEADER: "s3cret-XYZ"}) as resp:
                assert resp.status == 200
        await api.wait_sent(USER, 1)
        assert engine.events[0].command == "start" and engine.events[0].args == "CODE1"
    finally:
        await adapter.stop()
        await web.stop()


def test_deep_link():
    assert deep_link("@ita_test_bot", "K7Q2") == "https://t.me/ita_test_bot?start=K7Q2"


async def test_a_polled_update_is_kept_as_telegram_sent_it(api, tmp_path: Path):
    """After a restart an update is read again from the inbox: what was stored is Telegram's own JSON,
    fields this PTB release does not know included, so it is processed as it would have been."""
    import json

    from bot.dispatch import Dispatcher
    from storage.inbox import FileInbox

    engine = StandInEngine()
    adapter = TelegramAdapter(engine, api.token, api_root=api.root_url, rate_limiter=fast_limiter(),
                              poll_timeout=1, dispatcher=Dispatcher(FileInbox(tmp_path)))
    await adapter.start()
    try:
        update = api.text_update(USER, "สวัสดี")
        update["message"]["from_a_newer_bot_api"] = {"x": 1}
        sent = api.push(update)
        await api.wait_sent(USER, 1)
    finally:
        await adapter.stop()
    stored = [json.loads(line)["d"] for log in sorted(tmp_path.glob("seg-*.log")) for line in log.read_text().splitlines()]
    assert stored == [sent]
    assert api.texts_to(USER) == ["got text"]
