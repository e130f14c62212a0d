"""Webhooks under faults and bad input: nothing acknowledged is lost, a full disk is a 503 the platform
retries (and /healthz says so), malformed input is a 4xx, engine work never blocks other chats."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.dispatch import Dispatcher
from bot.telegram import TelegramAdapter
from bot.web import TELEGRAM_SECRET_HEADER, WebServer
from domain.events import Incoming, Reply
from handlers.services import create_invite, redeem_invite
from storage.inbox import FileInbox
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.test_line import OFFICER, World, build_world, texts
from tests.test_telegram import USER, fast_limiter


def fill_disk(inbox_dir: Path, inbox: Any, segments: int = 1) -> list[Path]:
    """Point the inbox's next segments and its health probe at /dev/full: writes fail with ENOSPC."""
    assert inbox._fd is None  # before the first event of this process
    links = [inbox_dir / f"seg-{inbox._next_no + i:08d}.log" for i in range(segments)] + [inbox_dir / ".probe"]
    for link in links:
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/full")
    return links


async def status_of(http: aiohttp.ClientSession, url: str) -> int:
    async with http.get(url) as resp:
        return resp.status


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    w.server.health_checks.append(w.adapter.dispatcher.problems)
    yield w
    await w.http.close()
    await w.adapter.stop()
    await w.server.stop()
    await w.api.stop()
    w.adapter.dispatcher.inbox.close()


async def test_line_full_disk_answers_503_and_the_redelivery_is_handled_once(world: World) -> None:
    invite = create_invite(world.office.repo, world.office.clock, "o1", "officer", ["u1"], name="สมหญิง")
    redeem_invite(world.office.repo, world.office.clock, invite.code, "line", OFFICER, OFFICER, "")
    links = fill_disk(world.data_dir / "inbox", world.adapter.dispatcher.inbox)
    event = world.hooks.text(OFFICER, "/help")
    body = world.hooks.body(event)
    assert await world.post(body, world.hooks.sign(body)) == 503  # LINE keeps the event and retries
    assert await status_of(world.http, f"{world.server.url}/healthz") == 503
    assert world.api.replies_with_token(event["replyToken"]) == []
    for link in links:
        link.unlink(missing_ok=True)  # space is freed
    assert await status_of(world.http, f"{world.server.url}/healthz") == 200
    again = {**event, "deliveryContext": {"isRedelivery": True}}
    redelivered = world.hooks.body(again)
    assert await world.post(redelivered, world.hooks.sign(redelivered)) == 200
    assert await world.post(redelivered, world.hooks.sign(redelivered)) == 200  # a second redelivery
    [reply] = world.api.replies_with_token(event["replyToken"])
    assert "/report" in texts(reply["messages"]) and world.api.pushes == []


@pytest.mark.parametrize("bad", ["deep json", "events not a list", "event not an object", "message without body",
                                 "not utf-8"])
async def test_line_malformed_signed_bodies_get_400_and_store_nothing(world: World, bad: str) -> None:
    event = world.hooks.text(OFFICER, "/help")
    bodies = {
        "deep json": json.dumps({"destination": "U", "events": [event], "x": "@"}).replace('"@"', "[" * 5000 + "]" * 5000),
        "events not a list": json.dumps({"destination": "U", "events": {"a": event}}),
        "event not an object": json.dumps({"destination": "U", "events": ["text"]}),
        "message without body": json.dumps({"destination": "U", "events": [{**event, "message": None}]}),
    }
    body = b"\xff\xfe{}" if bad == "not utf-8" else bodies[bad].encode()
    assert await world.post(body, world.hooks.sign(body) if bad != "not utf-8" else "c2ln") == 400
    assert world.adapter.dispatcher.inbox.pending() == [] and world.api.calls == []


async def test_line_signature_header_that_is_not_ascii_gets_400(world: World) -> None:
    body = world.hooks.body(world.hooks.text(OFFICER, "/help"))
    status = await raw_post(world.server, "/line/webhook", body, b"X-Line-Signature: \xe0\xb8\x81\xff\r\n")
    assert status == 400


async def raw_post(server: WebServer, path: str, body: bytes, extra_headers: bytes) -> int:
    """A request with header bytes no HTTP client library would send; returns the status code."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.bound_port)
    writer.write(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 + extra_headers + b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


class SlowEngine:
    """Answers every chat; one chat's events take a second of CPU-free waiting (a slow disk, a render)."""

    def __init__(self, slow_text: str = "") -> None:
        self.slow_text = slow_text
        self.events: list[Incoming] = []

    def handle(self, event: Incoming) -> list[Reply]:
        self.events.append(event)
        if self.slow_text and event.text == self.slow_text:
            time.sleep(1.0)
        return [Reply(f"got {event.text}")]


@pytest.fixture
async def api():
    server = await FakeTelegramAPI().start()
    yield server
    await server.stop()


async def telegram_hook(api: FakeTelegramAPI, tmp_path: Path, engine: Any) -> tuple[TelegramAdapter, WebServer]:
    """The Telegram adapter in webhook mode with its inbox in tmp_path/inbox, served by the real web server."""
    dispatcher = Dispatcher(FileInbox(tmp_path / "inbox"))
    adapter = TelegramAdapter(engine, api.token, api_root=api.root_url, rate_limiter=fast_limiter(),
                              webhook_url="https://bot.example.org/tg/hook", webhook_secret="s3cret",
                              dispatcher=dispatcher)
    web = WebServer("127.0.0.1", 0)
    web.health_checks.append(dispatcher.problems)
    adapter.register_routes(web)
    await web.start()
    await adapter.start()
    return adapter, web


async def test_telegram_webhook_duplicates_malformed_updates_and_a_full_disk(api, tmp_path: Path) -> None:
    engine = SlowEngine()
    adapter, web = await telegram_hook(api, tmp_path, engine)
    hook, secret = f"{web.url}/tg/hook", {TELEGRAM_SECRET_HEADER: "s3cret"}
    try:
        async with aiohttp.ClientSession() as http:
            links = fill_disk(tmp_path / "inbox", adapter.dispatcher.inbox)
            later = {"update_id": 9, **api.text_update(USER, "ก่อนหน้า")}
            async with http.post(hook, json=later, headers=secret) as resp:
                assert resp.status == 503
            assert await status_of(http, f"{web.url}/healthz") == 503
            for link in links:
                link.unlink(missing_ok=True)
            async with http.post(hook, json=later, headers=secret) as resp:
                assert resp.status == 200
            assert await status_of(http, f"{web.url}/healthz") == 200
            update = {"update_id": 10, **api.text_update(USER, "สวัสดี")}
            for _ in range(2):  # Telegram redelivers when it missed our 200
                async with http.post(hook, json=update, headers=secret) as resp:
                    assert resp.status == 200
            bad_bodies: list[Any] = [
                {"update_id": 11, "message": "not a message"},
                {"update_id": 12, "message": {"message_id": "x", "chat": 5}},
                {"update_id": "13"},
                [1, 2],
            ]
            for bad in bad_bodies:
                async with http.post(hook, json=bad, headers=secret) as resp:
                    assert resp.status == 400, bad
            deep = b'{"update_id": 14, "message": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
            async with http.post(hook, data=deep, headers=secret) as resp:
                assert resp.status == 400
            assert await raw_post(web, "/tg/hook", b"{}", b"X-Telegram-Bot-Api-Secret-Token: s3\xff\xfecret\r\n") == 403
        await adapter.dispatcher.drain()
        await api.wait_sent(USER, 2)
        assert [e.text for e in engine.events] == ["ก่อนหน้า", "สวัสดี"]  # each once, in order
    finally:
        await adapter.stop()
        await web.stop()
        adapter.dispatcher.inbox.close()


async def test_a_slow_chat_never_holds_up_other_chats_or_healthz(api, tmp_path: Path) -> None:
    engine = SlowEngine(slow_text="ช้า")
    adapter, web = await telegram_hook(api, tmp_path, engine)
    hook, secret = f"{web.url}/tg/hook", {TELEGRAM_SECRET_HEADER: "s3cret"}
    other = USER + 1
    try:
        async with aiohttp.ClientSession() as http:
            for n, (user, text) in enumerate([(USER, "ช้า"), (USER, "หลังช้า"), (other, "เร็ว")], 1):
                async with http.post(hook, json={"update_id": n, **api.text_update(user, text)}, headers=secret) as resp:
                    assert resp.status == 200
            started = time.monotonic()
            assert await status_of(http, f"{web.url}/healthz") == 200
            assert time.monotonic() - started < 0.5  # the event loop is free while the engine works
            await api.wait_sent(other, 1, timeout=0.8)  # the other chat is answered before the slow one ends
            assert api.sent_to(USER) == []
        await api.wait_sent(USER, 2)
        assert api.texts_to(USER) == ["got ช้า", "got หลังช้า"]  # one chat's order is kept
    finally:
        await adapter.stop()
        await web.stop()
        adapter.dispatcher.inbox.close()


async def test_polling_confirms_updates_only_once_they_are_stored(api, tmp_path: Path) -> None:
    engine = SlowEngine()
    dispatcher = Dispatcher(FileInbox(tmp_path / "inbox"))
    links = fill_disk(tmp_path / "inbox", dispatcher.inbox, segments=4)  # the disk stays full for a while
    adapter = TelegramAdapter(engine, api.token, api_root=api.root_url, rate_limiter=fast_limiter(),
                              poll_timeout=1, dispatcher=dispatcher)
    await adapter.start()
    try:
        update = api.push_text(USER, "ระหว่างดิสก์เต็ม")
        await asyncio.sleep(1.5)  # polling fetched it, could not store it, and did not confirm it
        assert engine.events == [] and api._last_offset <= update["update_id"]
        for link in links:
            link.unlink(missing_ok=True)
        await api.wait_sent(USER, 1, timeout=10)
        assert [e.text for e in engine.events] == ["ระหว่างดิสก์เต็ม"]
    finally:
        await adapter.stop()
        dispatcher.inbox.close()
    assert FileInbox(tmp_path / "inbox").pending() == []  # handled and marked done: nothing to redo
