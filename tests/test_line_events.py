"""LINE webhook events become the right neutral events; the webhook answers before the work is done.

A recording stand-in engine sits behind the real SDK, a plain aiohttp app built with
`add_line_routes` and the fake LINE API over real HTTP.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.line import LineAdapter, add_line_routes
from domain.events import Button, Incoming, Reply
from storage.clock import FixedClock
from tests.fakes.line_api import FakeLineAPI, WebhookBuilder

SECRET = "events-secret"
TOKEN = "events-token"
USER = "U1234567890abcdef1234567890abcde"


class Recorder:
    """Records every event; answers with a scripted reply or "got <kind>"; can fail on demand."""

    def __init__(self) -> None:
        self.events: list[Incoming] = []
        self.script: list[list[Reply]] = []
        self.fail = False

    def handle(self, event: Incoming) -> list[Reply]:
        self.events.append(event)
        if self.fail:
            raise RuntimeError("boom")
        return self.script.pop(0) if self.script else [Reply(f"got {event.kind}")]


class Harness:
    """Fake LINE API + aiohttp app with the LINE route + a recording engine."""

    def __init__(self, api: FakeLineAPI, adapter: LineAdapter, engine: Recorder, url: str) -> None:
        self.api, self.adapter, self.engine, self.url = api, adapter, engine, url
        self.hooks = WebhookBuilder(api, SECRET)

    async def post(self, *events: dict) -> float:
        """Post signed events; return how long the webhook took to answer (work continues after)."""
        body = self.hooks.body(*events)
        started = time.monotonic()
        async with aiohttp.ClientSession() as http, http.post(
            self.url, data=body, headers={"X-Line-Signature": self.hooks.sign(body)}
        ) as resp:
            assert resp.status == 200
        return time.monotonic() - started


@pytest.fixture
async def h(tmp_path: Path):
    api = await FakeLineAPI(TOKEN).start()
    engine = Recorder()
    adapter = LineAdapter(
        channel_secret=SECRET,
        access_token=TOKEN,
        handle=engine.handle,
        clock=FixedClock(date(2026, 2, 10)),
        data_dir=tmp_path,
        api_base_url=api.root_url + "/",
        max_file_bytes=1000,
    )
    app = web.Application()
    add_line_routes(app, adapter)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield Harness(api, adapter, engine, f"http://127.0.0.1:{port}/line/webhook")
    await runner.cleanup()  # on_cleanup closes the adapter
    await api.stop()


async def test_text_command_postback_follow_unfollow(h: Harness) -> None:
    h.api.add_profile(USER, "สมชาย ใจดี")
    await h.post(
        h.hooks.follow(USER),
        h.hooks.text(USER, "/start AB12CD34"),
        h.hooks.text(USER, "ทำแล้ว"),
        h.hooks.postback(USER, "n1:m:m2"),
        h.hooks.unfollow(USER),
    )
    await h.adapter.drain()
    kinds = [(e.kind, e.command, e.args, e.text, e.data) for e in h.engine.events]
    assert kinds == [
        ("follow", "", "", "", ""),
        ("command", "start", "AB12CD34", "/start AB12CD34", ""),
        ("text", "", "", "ทำแล้ว", ""),
        ("button", "", "", "", "n1:m:m2"),
        ("unfollow", "", "", "", ""),
    ]
    assert h.engine.events[1].display_name == "สมชาย ใจดี"  # the profile name helps registration
    assert all(e.platform == "line" and e.user_id == USER and not e.is_group for e in h.engine.events)
    assert len(h.api.replies) == 4  # unfollow has no reply token and gets no answer


async def test_group_message_is_marked_as_group(h: Harness) -> None:
    await h.post(h.hooks.text(USER, "/report", group_id="C0group"))
    await h.adapter.drain()
    [event] = h.engine.events
    assert event.is_group and event.chat_id == "C0group" and event.user_id == USER


async def test_media_is_fetched_at_once_with_name_size_and_type(h: Harness) -> None:
    await h.post(
        h.hooks.image(USER, b"\x89PNG small", "image/png"),
        h.hooks.file(USER, b"%PDF tiny", "คำสั่ง ที่ 12-2569.pdf"),
        h.hooks.video(USER, b"\x00\x00\x00 ftyp mp4"),
    )
    await h.adapter.drain()
    atts = [e.attachments[0] for e in h.engine.events]
    assert [e.kind for e in h.engine.events] == ["file", "file", "file"]
    assert [(a.kind, a.mime, a.data) for a in atts] == [
        ("photo", "image/png", b"\x89PNG small"),
        ("file", "application/pdf", b"%PDF tiny"),
        ("file", "video/mp4", b"\x00\x00\x00 ftyp mp4"),
    ]
    assert atts[0].name.endswith(".png") and atts[2].name.endswith(".mp4")
    assert atts[1].name == "คำสั่ง ที่ 12-2569.pdf" and atts[1].size == len(b"%PDF tiny")


async def test_oversized_file_is_not_downloaded(h: Harness) -> None:
    await h.post(h.hooks.file(USER, b"x" * 5000, "big.zip"))
    await h.adapter.drain()
    [att] = h.engine.events[0].attachments
    assert att.data is None and att.size == 5000
    assert not [c for c in h.api.calls if c.path.endswith("/content")]


async def test_webhook_answers_before_slow_work_finishes(h: Harness) -> None:
    h.api.content_delay = 1.0
    took = await h.post(h.hooks.file(USER, b"%PDF", "a.pdf"))
    assert took < 0.5 and h.engine.events == []
    await h.adapter.drain()
    assert len(h.engine.events) == 1 and len(h.api.replies) == 1  # the token was still fresh


async def test_missing_content_gets_a_retry_hint(h: Harness) -> None:
    event = h.hooks.image(USER, b"gone")
    h.api.content.clear()
    await h.post(event)
    await h.adapter.drain()
    assert h.engine.events == []
    assert "ลองส่งใหม่" in h.api.replies[0]["messages"][0]["text"]


async def test_sticker_gets_a_hint_without_the_engine(h: Harness) -> None:
    await h.post(h.hooks.sticker(USER))
    await h.adapter.drain()
    assert h.engine.events == []
    assert "สติกเกอร์" in h.api.replies[0]["messages"][0]["text"]


async def test_engine_failure_is_answered_politely_and_next_events_still_run(h: Harness) -> None:
    h.engine.fail = True
    await h.post(h.hooks.text(USER, "a"))
    await h.adapter.drain()
    h.engine.fail = False
    await h.post(h.hooks.text(USER, "b"))
    await h.adapter.drain()
    texts = [r["messages"][0]["text"] for r in h.api.replies]
    assert texts == ["ขออภัย ระบบขัดข้องชั่วคราว ลองใหม่อีกครั้ง", "got text"]


async def test_many_replies_use_one_reply_call_and_buttons_come_last(h: Harness) -> None:
    h.engine.script = [[Reply(f"ข้อ {i}") for i in range(8)] + [Reply("เลือก", [[Button("ตกลง", "n:ok")]])]]
    await h.post(h.hooks.text(USER, "x"))
    await h.adapter.drain()
    [reply] = h.api.replies
    assert h.api.pushes == []
    assert len(reply["messages"]) == 1  # plain texts merged, buttons kept on the last message
    assert reply["messages"][-1]["quickReply"]["items"][0]["action"]["data"] == "n:ok"


async def test_pushes_to_other_line_users_and_forward_for_other_platforms(tmp_path: Path) -> None:
    api = await FakeLineAPI(TOKEN).start()
    forwarded: list[Reply] = []

    async def forward(reply: Reply) -> bool:
        forwarded.append(reply)
        return True

    engine = Recorder()
    engine.script = [[Reply("ส่งแล้ว"), Reply("แจ้งหัวหน้า", recipient="line:Uhead"), Reply("tg", recipient="telegram:42")]]
    adapter = LineAdapter(
        channel_secret=SECRET, access_token=TOKEN, handle=engine.handle, clock=FixedClock(date(2026, 2, 10)),
        data_dir=None, api_base_url=api.root_url, forward=forward,
    )
    app = web.Application()
    add_line_routes(app, adapter)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        h = Harness(api, adapter, engine, f"http://127.0.0.1:{port}/line/webhook")
        await h.post(h.hooks.text(USER, "x"))
        await adapter.drain()
        assert [r["messages"][0]["text"] for r in api.replies] == ["ส่งแล้ว"]
        assert [p["messages"][0]["text"] for p in api.pushes_to("Uhead")] == ["แจ้งหัวหน้า"]
        assert [r.recipient for r in forwarded] == ["telegram:42"]
    finally:
        await runner.cleanup()
        await api.stop()


async def test_a_users_text_never_overtakes_their_slower_photo(h: Harness) -> None:
    h.api.content_delay = 0.5
    await h.post(h.hooks.image(USER, b"\xff\xd8 photo"))
    await h.post(h.hooks.text(USER, "/done"))
    await h.adapter.drain()
    assert [e.kind for e in h.engine.events] == ["file", "command"]
