"""LINE end to end: the real web server, the real line-bot-sdk and a fake LINE API over real HTTP.

Webhook bodies are signed like LINE signs them; the real engine and repository answer.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from bot.line import LineAdapter, line_adapter
from bot.links import DownloadLinks
from bot.outbox import Outbox
from bot.web import WebServer
from bot.wiring import Services
from handlers.services import create_invite
from storage.inbox import FileInbox, InboxRecord
from tests.docx_read import open_docx
from tests.factory import Office, make_office
from tests.fakes.line_api import FakeLineAPI, WebhookBuilder
from tests.pdf_pages import pdf_expected, thai_font_embedded

SECRET = "line-channel-secret-for-tests"
TOKEN = "test-access-token"
OFFICER = "U0fficer000000000000000000000001"
HEAD = "U0head00000000000000000000000002"
ADMIN = "U0admin0000000000000000000000003"


@dataclass
class World:
    """Everything one test talks to: office (repo, engine, clock), fake LINE, server, adapter."""

    office: Office
    api: FakeLineAPI
    hooks: WebhookBuilder
    server: WebServer
    adapter: LineAdapter
    links: DownloadLinks
    http: aiohttp.ClientSession
    data_dir: Path

    async def post(self, body: bytes, signature: str | None) -> int:
        """POST a raw body to /line/webhook; return the status after background work finished."""
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Line-Signature"] = signature
        async with self.http.post(f"{self.server.url}/line/webhook", data=body, headers=headers) as resp:
            status = resp.status
        await self.adapter.drain()
        return status

    async def send(self, *events: dict[str, Any]) -> list[dict[str, Any]]:
        """Deliver events in one signed webhook; return the messages the bot replied with."""
        body = self.hooks.body(*events)
        assert await self.post(body, self.hooks.sign(body)) == 200
        tokens = [e.get("replyToken") for e in events]
        return [m for r in self.api.replies if r["replyToken"] in tokens for m in r["messages"]]

    async def say(self, user: str, text: str) -> list[dict[str, Any]]:
        """The user types a line."""
        return await self.send(self.hooks.text(user, text))

    async def press(self, user: str, label_part: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Tap the quick reply whose label (or shown text) contains label_part."""
        data = find_postback(messages, label_part)
        return await self.send(self.hooks.postback(user, data))

    async def register(self, user: str, role: str, *units: str, name: str) -> None:
        """Invite and register a LINE account by typing /start CODE."""
        ids = [self.office.units[u].id for u in units]
        invite = create_invite(self.office.repo, self.office.clock, self.office.org.id, role, ids, name=name)
        reply = await self.say(user, f"/start {invite.code}")
        assert "ลงทะเบียนเรียบร้อย" in texts(reply)


def texts(messages: list[dict[str, Any]]) -> str:
    """All text a user reads in these messages (text bodies and Flex texts)."""
    out = []
    for m in messages:
        if m["type"] == "text":
            out.append(m["text"])
        elif m["type"] == "flex":
            out.append(json.dumps(m["contents"], ensure_ascii=False))
    return "\n".join(out)


def find_postback(messages: list[dict[str, Any]], label_part: str) -> str:
    """Postback data of the quick reply (or Flex row) a user would tap."""
    actions = [i["action"] for m in messages for i in (m.get("quickReply") or {}).get("items", [])]
    for action in actions:
        if label_part in (action["label"], action.get("displayText")):
            return str(action["data"])
    for action in actions:
        if label_part in action["label"] or label_part in action.get("displayText", ""):
            return str(action["data"])
    raise AssertionError(f"no button {label_part!r} in {[a['label'] for a in actions]}")


def uri_actions(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """URI buttons of Flex bubbles."""
    found = []
    for m in messages:
        if m["type"] == "flex":
            for comp in m["contents"].get("footer", {}).get("contents", []):
                if comp.get("action", {}).get("type") == "uri":
                    found.append(comp["action"])
    return found


async def build_world(tmp_path: Path, push_limit: int = 300) -> World:
    """Start the fake LINE API and the real web server, wired the way `itabot run` wires them."""
    api = await FakeLineAPI(TOKEN).start()
    office = make_office(tmp_path, exports=True)
    services = Services(office.repo, office.evidence, office.clock, office.engine, tmp_path)
    settings = Settings(
        line_channel_secret=SECRET,
        line_access_token=TOKEN,
        line_api_base_url=api.root_url,
        line_monthly_push_limit=push_limit,
        public_base_url="https://placeholder.invalid",
    )
    outbox = Outbox()
    adapter = line_adapter(settings, services, outbox)
    server = WebServer("127.0.0.1", 0)
    adapter.register_routes(server)  # the webhook and the download route
    await server.start()
    await adapter.start()  # joins the outbox and reads LINE's quota figures
    assert outbox.platforms() == ["line"] and adapter.links is not None
    adapter.links.public_base_url = server.url  # a real deployment sets PUBLIC_BASE_URL to its HTTPS address
    assert [c.path for c in api.calls] == ["/v2/bot/message/quota", "/v2/bot/message/quota/consumption"]
    api.calls.clear()
    http = aiohttp.ClientSession()
    return World(office, api, WebhookBuilder(api, SECRET), server, adapter, adapter.links, http, tmp_path)


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    yield w
    await w.http.close()
    await w.adapter.stop()
    await w.server.stop()
    await w.api.stop()


async def test_officer_registers_reports_with_evidence_and_head_downloads_the_docx(world: World, tmp_path: Path) -> None:
    welcome = await world.send(world.hooks.follow(OFFICER))
    assert "/start" in texts(welcome)
    await world.register(OFFICER, "officer", "กองคลัง", name="สมหญิง ใจดี")
    listing = await world.say(OFFICER, "/report")
    assert "รอบ 6 เดือน" in texts(listing)
    shown = await world.press(OFFICER, "เผยแพร่ข้อมูลงบประมาณ", listing)
    asked = await world.press(OFFICER, "ดำเนินการ", shown)
    assert "สิ่งที่ดำเนินการ" in texts(asked)
    await world.say(OFFICER, "ประกาศแผนการใช้จ่ายงบประมาณบนเว็บไซต์ 5 ม.ค. 2569")
    await world.say(OFFICER, "ประชาชนเข้าถึงข้อมูลได้")
    photo = b"\xff\xd8\xff\xe0" + b"JPEGDATA" * 50
    pdf = b"%PDF-1.4 budget plan"
    await world.send(world.hooks.image(OFFICER, photo))
    got_file = await world.send(world.hooks.file(OFFICER, pdf, "แผนการใช้จ่าย.pdf"))
    assert "รวม 2 รายการ" in texts(got_file)
    recap = await world.say(OFFICER, "/done")
    assert "ตรวจสอบก่อนบันทึก" in texts(recap)
    saved = await world.press(OFFICER, "บันทึก", recap)
    assert "บันทึกแล้ว" in texts(saved)

    [entry] = world.office.repo.list_reports("o1", 2569, 6)
    assert entry.status == "done" and entry.summary.startswith("ประกาศแผนการใช้จ่าย")
    assert [e.kind for e in entry.evidence] == ["photo", "file"]
    assert entry.evidence[1].name == "แผนการใช้จ่าย.pdf" and entry.evidence[1].size == len(pdf)
    assert world.office.evidence.read(entry.evidence[0].sha256) == photo
    assert world.api.pushes == []  # every answer went out by reply token: no quota spent

    await world.register(HEAD, "head", "สำนักปลัด", name="หัวหน้า")
    summary = await world.say(HEAD, "/summary")
    assert "เผยแพร่ข้อมูลงบประมาณ" in texts(summary)
    [docx_link] = [a["uri"] for a in uri_actions(summary) if a["label"] == "ไฟล์ Word"]
    async with world.http.get(docx_link) as resp:
        assert resp.status == 200
        assert "attachment" in resp.headers["Content-Disposition"]
        body = await resp.read()
    rows = [
        " ".join(c.text for c in row.cells)
        for table in open_docx(io.BytesIO(body)).tables
        for row in table.rows
    ]
    assert any("ประกาศแผนการใช้จ่ายงบประมาณบนเว็บไซต์" in r and "เผยแพร่ข้อมูลงบประมาณ" in r for r in rows)
    pdf_links = [a["uri"] for a in uri_actions(summary) if a["label"] == "ไฟล์ PDF"]
    if pdf_expected():
        async with world.http.get(pdf_links[0]) as resp:
            assert resp.status == 200 and thai_font_embedded(await resp.read(), tmp_path)
    else:
        assert pdf_links == []


async def test_bad_signatures_get_400_and_change_nothing(world: World) -> None:
    invite = create_invite(world.office.repo, world.office.clock, "o1", "officer", ["u1"], name="x")
    event = world.hooks.text(OFFICER, f"/start {invite.code}")
    body = world.hooks.body(event)
    good = world.hooks.sign(body)
    forged = WebhookBuilder(world.api, "not-the-channel-secret").sign(body)
    tampered = body.replace(invite.code.encode(), b"ZZZZZZZZ")
    assert await world.post(body, forged) == 400
    assert await world.post(body, None) == 400
    assert await world.post(body, "") == 400
    assert await world.post(tampered, good) == 400
    assert await world.post(b"\xff\xfe not utf-8", good) == 400
    assert world.office.repo.find_identity("line", OFFICER) is None
    assert world.office.repo.get_invite(invite.code).used_by == ""  # type: ignore[union-attr]
    assert world.api.calls == []  # nothing was sent either
    assert not list((world.data_dir / "inbox").glob("seg-*.log"))  # nothing unverified was stored


async def test_redelivered_event_is_processed_once_even_after_a_restart(world: World, tmp_path: Path) -> None:
    invite = create_invite(world.office.repo, world.office.clock, "o1", "officer", ["u1"], name="x")
    event = world.hooks.text(OFFICER, f"/start {invite.code}")
    await world.send(event)
    again = {**event, "replyToken": world.api.new_reply_token(), "deliveryContext": {"isRedelivery": True}}
    await world.send(again)
    assert len(world.api.replies) == 1 and "ลงทะเบียนเรียบร้อย" in texts(world.api.replies[0]["messages"])
    # a new process on the same data directory still knows the event (its inbox refuses the key)
    world.adapter.dispatcher.inbox.close()
    fresh = FileInbox(tmp_path / "inbox")
    assert fresh.append([InboxRecord(f"line:{event['webhookEventId']}", "line", OFFICER)]) == [False]
    assert fresh.append([InboxRecord("line:01HNEWEVENT", "line", OFFICER)]) == [True]
    fresh.close()


async def test_expired_reply_token_falls_back_to_a_counted_push(world: World) -> None:
    await world.register(OFFICER, "officer", "กองคลัง", name="สมหญิง")
    event = world.hooks.text(OFFICER, "/help")
    world.api.expire(event["replyToken"])
    await world.send(event)
    [push] = world.api.pushes_to(OFFICER)
    assert "/report" in texts(push["messages"])
    assert push["_retry_key"]  # every push carries an X-Line-Retry-Key
    assert world.adapter.quota.used == 1
    counter = json.loads((world.data_dir / "line" / "push-quota.state").read_text("utf-8"))
    assert counter["count"] == 1  # persisted


async def test_slow_work_pushes_instead_of_using_a_stale_token(world: World) -> None:
    await world.register(OFFICER, "officer", "กองคลัง", name="สมหญิง")
    world.adapter.reply_window = 0.0  # as if the reply token's minute had passed
    event = world.hooks.text(OFFICER, "/help")
    await world.send(event)
    assert world.api.replies_with_token(event["replyToken"]) == []
    assert len(world.api.pushes_to(OFFICER)) == 1


async def test_push_retry_keeps_its_retry_key_and_counts_once(world: World) -> None:
    world.api.push_failures = [500]
    from domain.events import Reply

    assert await world.adapter.push(OFFICER, [Reply("ทดสอบ")]) is True
    attempts = [c for c in world.api.calls if c.path == "/v2/bot/message/push"]
    keys = {c.headers["X-Line-Retry-Key"] for c in attempts}
    assert [c.status for c in attempts] == [500, 200] and len(keys) == 1
    assert world.adapter.quota.used == 1


async def test_push_cap_stops_pushes_and_tells_the_admin_once(tmp_path: Path) -> None:
    w = await build_world(tmp_path, push_limit=4)
    try:
        await w.register(ADMIN, "admin", "สำนักปลัด", name="ผู้ดูแล")
        await w.register(OFFICER, "officer", "กองคลัง", name="สมหญิง")
        for _ in range(4):
            event = w.hooks.text(OFFICER, "/help")
            w.api.expire(event["replyToken"])
            await w.send(event)
        # pushes 1-3 to the officer; the third crosses 90 % → the admin is warned by push (the 4th)
        assert len(w.api.pushes_to(OFFICER)) == 3
        [warning] = w.api.pushes_to(ADMIN)
        assert "3 จาก 4" in texts(warning["messages"])
        assert len(w.api.pushes) == 4 and w.adapter.quota.used == 4
        # the 4th expired reply could not be pushed: the cap holds
        late = w.hooks.text(OFFICER, "/help")
        w.api.expire(late["replyToken"])
        await w.send(late)
        assert len(w.api.pushes) == 4
        # the admin hears about the cap at their next message, once
        first = await w.say(ADMIN, "/help")
        assert "ครบ 4 ข้อความ" in texts(first)
        second = await w.say(ADMIN, "/help")
        assert "ครบ 4 ข้อความ" not in texts(second)
        assert len(w.api.pushes) == 4
        # a restart keeps the count: still no push
        w.adapter.quota.__init__(tmp_path / "line" / "push-quota.state", 4, w.office.clock)  # type: ignore[misc]
        assert not w.adapter.quota.allows()
    finally:
        await w.http.close()
        await w.adapter.stop()
        await w.server.stop()
        await w.api.stop()


async def test_line_says_monthly_limit_reached(world: World) -> None:
    world.api.quota_limit = 0
    from domain.events import Reply

    assert await world.adapter.push(OFFICER, [Reply("ทดสอบ")]) is False
    assert not world.adapter.quota.allows()  # LINE's 429 closes the local gate too


async def test_quota_sync_adopts_lines_figures(world: World) -> None:
    world.api.quota_limit = 50
    await world.adapter.sync_quota()
    assert world.adapter.quota.limit == 50


async def test_unfollow_stops_pushes(world: World) -> None:
    await world.register(OFFICER, "officer", "กองคลัง", name="สมหญิง")
    await world.send(world.hooks.unfollow(OFFICER))
    from domain.events import Reply

    assert await world.adapter.push(OFFICER, [Reply("เตือน")]) is False
    assert world.api.pushes == []
    await world.send(world.hooks.follow(OFFICER))  # back again: pushes allowed
    assert await world.adapter.push(OFFICER, [Reply("เตือน")]) is True


async def test_download_link_expired_or_altered_gets_403(world: World, tmp_path: Path) -> None:
    doc = tmp_path / "report.docx"
    doc.write_bytes(b"PK\x03\x04 docx bytes")
    link = world.links.publish(doc, "รายงาน รอบ 6 เดือน.docx", "application/vnd.openxmlformats")
    async with world.http.get(link.url) as resp:
        assert resp.status == 200 and await resp.read() == b"PK\x03\x04 docx bytes"
        assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    prefix, file_id, expires, sig = link.url.rsplit("/", 3)
    other = f"{int(expires) + 86400}"
    altered = [
        f"{prefix}/{file_id}/{other}/{sig}",  # a later expiry
        f"{prefix}/{file_id[:-1]}{'0' if file_id[-1] != '0' else '1'}/{expires}/{sig}",  # another id
        f"{prefix}/{file_id}/{expires}/{sig[:-1]}{'A' if sig[-1] != 'A' else 'B'}",  # another signature
        f"{prefix}/..%2F..%2Flink_secret/{expires}/{sig}",
    ]
    for url in altered:
        async with world.http.get(url) as resp:
            assert resp.status in (403, 404) and resp.status != 200, url
            if "%2F" not in url:
                assert resp.status == 403
    world.office.clock.advance(timedelta(hours=24, seconds=1))
    async with world.http.get(link.url) as resp:
        assert resp.status == 403


async def test_outbox_pushes_reach_line_users(world: World) -> None:
    from domain.events import Reply

    assert world.adapter.outbox is not None
    delivered = await world.adapter.outbox.deliver(Reply("ถึงกำหนดรายงาน รอบ 6 เดือน", recipient=f"line:{OFFICER}"))
    assert delivered is True
    [push] = world.api.pushes_to(OFFICER)
    assert push["messages"][0]["text"] == "ถึงกำหนดรายงาน รอบ 6 เดือน" and world.adapter.quota.used == 1


async def test_admin_with_telegram_hears_quota_news_there_for_free(tmp_path: Path) -> None:
    from domain.events import Reply
    from storage.models import Identity

    w = await build_world(tmp_path, push_limit=3)
    telegram: list[tuple[str, str]] = []

    async def telegram_sender(user_id: str, reply: Reply) -> bool:
        telegram.append((user_id, reply.text))
        return True

    try:
        assert w.adapter.outbox is not None
        w.adapter.outbox.register("telegram", telegram_sender)
        await w.register(ADMIN, "admin", "สำนักปลัด", name="ผู้ดูแล")
        org_id, officer_id = w.office.repo.find_identity("line", ADMIN)  # type: ignore[misc]
        admin = w.office.repo.get_officer(org_id, officer_id)
        assert admin is not None
        admin.identities.append(Identity("telegram", "777", "777"))
        w.office.repo.save_officer(admin)
        for _ in range(4):
            await w.adapter.push(OFFICER, [Reply("เตือน")])
        assert len(w.api.pushes) == 3  # the cap holds; no quota spent on the admin
        assert [u for u, _ in telegram] == ["777", "777"]
        assert "2 จาก 3" in telegram[0][1] and "ครบ 3 ข้อความ" in telegram[1][1]
        assert "ครบ" not in texts(await w.say(ADMIN, "/help"))  # already told, not again on LINE
    finally:
        await w.http.close()
        await w.adapter.stop()
        await w.server.stop()
        await w.api.stop()
