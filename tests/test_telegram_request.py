"""bot.telegram_request against local HTTP servers: what PTB sees when the Bot API is slow, gone or answers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.telegram_request import AiohttpRequest


async def _serve(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def request_obj() -> AsyncIterator[AiohttpRequest]:
    req = AiohttpRequest(2, read_timeout=0.3)
    await req.initialize()
    yield req
    await req.shutdown()


def _data(**params: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])


async def test_parameters_go_as_json_and_the_body_comes_back(request_obj: AiohttpRequest) -> None:
    seen: dict[str, object] = {}

    async def handler(request: web.Request) -> web.Response:
        assert request.content_type == "application/json"
        seen.update(await request.json())
        return web.json_response({"ok": True, "result": True}, status=200)

    runner, base = await _serve(handler)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("ดำเนินการ", callback_data="ab12:s:done")]])
    try:
        status, body = await request_obj.do_request(
            f"{base}/sendMessage", "POST", _data(chat_id=7, text="สวัสดี", reply_markup=keyboard))
    finally:
        await runner.cleanup()
    assert status == 200 and b'"ok": true' in body
    assert seen == {"chat_id": 7, "text": "สวัสดี",
                    "reply_markup": {"inline_keyboard": [[{"text": "ดำเนินการ", "callback_data": "ab12:s:done"}]]}}


async def test_a_silent_server_is_a_timeout(request_obj: AiohttpRequest) -> None:
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response()

    runner, base = await _serve(handler)
    try:
        with pytest.raises(TimedOut):
            await request_obj.do_request(f"{base}/getMe", "POST", read_timeout=0.2, write_timeout=0.0)
    finally:
        await runner.cleanup()


async def test_an_upload_the_server_never_reads_is_a_timeout(request_obj: AiohttpRequest) -> None:
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(5)  # the body is never read: the bot's write stalls once the socket buffers are full
        return web.Response()

    runner, base = await _serve(handler)
    loop = asyncio.get_running_loop()
    upload = _data(chat_id=7, document=InputFile(b"x" * 30_000_000, filename="รายงาน.pdf"))
    try:
        start = loop.time()
        with pytest.raises(TimedOut):
            await request_obj.do_request(f"{base}/sendDocument", "POST", upload, read_timeout=0.3,
                                         write_timeout=0.3, connect_timeout=0.1, pool_timeout=0.1)
        assert loop.time() - start < 3
    finally:
        await runner.cleanup()


async def test_nobody_listening_is_a_network_error(request_obj: AiohttpRequest) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(NetworkError) as err:
        await request_obj.do_request(f"http://127.0.0.1:{port}/getMe", "POST")
    assert not isinstance(err.value, TimedOut) and "aiohttp." in str(err.value)


async def test_calls_need_initialize_and_shutdown_twice_is_harmless() -> None:
    req = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await req.do_request("http://127.0.0.1:1/getMe", "POST")
    await req.initialize()
    await req.shutdown()
    await req.shutdown()
    with pytest.raises(RuntimeError):
        await req.do_request("http://127.0.0.1:1/getMe", "POST")
    await req.initialize()  # PTB may start an application again
    await req.shutdown()


async def test_a_proxy_from_the_environment_is_used_and_no_proxy_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    """A host behind an HTTP proxy reaches Telegram through it; a host in NO_PROXY goes direct."""
    lines: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines.append(head.split(b"\r\n", 1)[0])
        body = b'{"ok":true,"result":true}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    direct = await _serve(_direct)
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    req = AiohttpRequest(2, read_timeout=2)
    await req.initialize()
    try:
        status, body = await req.do_request("http://api.telegram.invalid/bot1:x/getMe", "POST")
        assert (status, body) == (200, b'{"ok":true,"result":true}')
        assert lines == [b"POST http://api.telegram.invalid/bot1:x/getMe HTTP/1.1"]  # through the proxy
        status, body = await req.do_request(direct[1] + "/bot1:x/getMe", "POST")
        assert body == b'{"ok":true,"result":"direct"}' and len(lines) == 1  # NO_PROXY: straight to the host
    finally:
        await req.shutdown()
        await direct[0].cleanup()
        server.close()
        await server.wait_closed()


async def _direct(request: web.Request) -> web.Response:
    return web.Response(body=b'{"ok":true,"result":"direct"}', content_type="application/json")


async def test_the_lean_fake_bot_api_answers_ptb_like_the_full_one() -> None:
    # benchmarks run the fake Bot API's bare HTTP front beside the workers (tests/fakes/lean_http.py)
    from telegram import Bot
    from telegram.error import BadRequest, InvalidToken

    from tests.fakes.telegram_api import FakeTelegramAPI

    api = await FakeTelegramAPI().start(lean=True)
    bot = Bot(api.token, base_url=f"{api.root_url}/bot", request=AiohttpRequest(4))
    try:
        await bot.initialize()
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("ดำเนินการ", callback_data="ab12:s:done")]])
        sent = await bot.send_message(7, "สวัสดี", reply_markup=keyboard)
        assert sent.text == "สวัสดี" and sent.reply_markup == keyboard
        await bot.edit_message_reply_markup(7, sent.message_id, reply_markup=None)
        with pytest.raises(BadRequest, match="text is empty"):
            await bot.send_message(7, "")
        assert [c.method for c in api.calls] == ["getMe", "sendMessage", "editMessageReplyMarkup", "sendMessage"]
        wrong = Bot("1:wrong", base_url=f"{api.root_url}/bot", request=AiohttpRequest(1))
        with pytest.raises(InvalidToken):
            await wrong.initialize()  # its getMe: 401
        await wrong.shutdown()
        reader, writer = await asyncio.open_connection("127.0.0.1", api.port)  # not HTTP the front knows: 4xx, closed
        writer.write(b"POST /botX/getMe HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
        assert (await reader.readline()).startswith(b"HTTP/1.1 413")
        writer.close()
        assert (await bot.get_me()).username == "ita_test_bot"  # and it goes on serving
    finally:
        await bot.shutdown()
        await api.stop()
