"""A small fake Telegram Bot API server for the benchmarks, on 127.0.0.1, spoken to over real HTTP.

Why bench has its own fake instead of importing tests/fakes/telegram_api.py: `bench` is an installed
package (pyproject lists `bench*`, not `tests`), so it must not depend on the test tree; and the
benchmarks need what the test fake does not do: a getUpdates queue that stays O(batch) with tens of
thousands of updates, a per-chat inbox the load driver can await (no polling loops that would steal
CPU from the bot being measured), and an optional bot-wide cap of N messages/second answered with
429 `retry_after` like Telegram. Only the methods the bots under test call are implemented.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["FakeBotAPI", "Sent"]

BOT_USER = {"id": 777000, "is_bot": True, "first_name": "Bench Bot", "username": "bench_bot"}
SEND_METHODS = {"sendmessage", "senddocument", "sendphoto"}
OK_METHODS = {"answercallbackquery", "setmycommands", "deletewebhook", "setwebhook", "close", "logout"}


@dataclass
class Sent:
    """A message the bot sent (accepted by the fake), with the moment it arrived."""

    chat_id: int
    text: str
    markup: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0

    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of the inline keyboard, in reading order."""
        rows = self.markup.get("inline_keyboard", []) if self.markup else []
        return [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row]


class FakeBotAPI:
    """start() → root_url; push updates, await replies per chat; optional cap with 429 retry_after."""

    def __init__(self, token: str = "4242:BENCH-token", cap_per_second: float = 0.0, retry_after: int = 1,
                 send_delay: float = 0.0) -> None:
        self.token = token
        self.send_delay = send_delay  # seconds a send takes, to mimic a real network round trip
        self.cap = cap_per_second
        self.retry_after = retry_after
        self.sent: list[Sent] = []
        self.sent_per_chat: collections.Counter[int] = collections.Counter()
        self.rejected_429 = 0
        self.requests: collections.Counter[str] = collections.Counter()
        self._window: collections.deque[float] = collections.deque()
        self._updates: collections.deque[dict[str, Any]] = collections.deque()
        self._update_ids = itertools.count(1)
        self._msg_ids = itertools.count(1)
        self._new_update = asyncio.Event()
        self._inbox: dict[int, asyncio.Queue[Sent]] = {}
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self, port: int = 0) -> FakeBotAPI:
        """Listen on 127.0.0.1 (a free port unless one is given)."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        self._runner = web.AppRunner(app, shutdown_timeout=0.2, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Release long polls and stop listening."""
        self._closing = True
        self._new_update.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def root_url(self) -> str:
        """What TELEGRAM_API_BASE_URL / the adapter's api_root is set to."""
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ driving
    def inbox(self, chat_id: int) -> asyncio.Queue[Sent]:
        """Messages sent to one chat, in arrival order."""
        return self._inbox.setdefault(chat_id, asyncio.Queue())

    def _push(self, body: dict[str, Any]) -> float:
        self._updates.append({"update_id": next(self._update_ids), **body})
        self._new_update.set()
        return time.perf_counter()

    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"เจ้าหน้าที่{user_id}", "language_code": "th"}

    def _message(self, user_id: int, **content: Any) -> dict[str, Any]:
        return {"message_id": next(self._msg_ids), "date": int(time.time()), "from": self._user(user_id),
                "chat": {"id": user_id, "type": "private", "first_name": f"เจ้าหน้าที่{user_id}"}, **content}

    def push_text(self, user_id: int, text: str) -> float:
        """The user typed text or a /command; returns the moment it became available."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._push({"message": self._message(user_id, **content)})

    def push_button(self, user_id: int, data: str, under: Sent | None = None) -> float:
        """The user pressed an inline button (on the message `under`, keyboard included)."""
        msg = self._message(user_id, text=under.text if under else "…")
        msg["from"] = BOT_USER
        if under is not None and under.markup:
            msg["reply_markup"] = under.markup
        query = {"id": f"cq{next(self._msg_ids)}", "from": self._user(user_id), "chat_instance": f"c{user_id}",
                 "message": msg, "data": data}
        return self._push({"callback_query": query})

    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot."""
        return len(self._updates)

    # ------------------------------------------------------------------ HTTP
    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json() or {})
        params: dict[str, Any] = dict(request.query)
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[key] = value.filename
                continue
            text = value if isinstance(value, str) else bytes(value).decode()
            if text[:1] in "[{" or key in ("chat_id", "offset", "limit", "timeout", "message_id"):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(text)
                    continue
            params[key] = text
        return params

    @staticmethod
    def _reply(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    def _over_cap(self, now: float) -> bool:
        """Bot-wide sliding one-second window, like Telegram's ~30 messages/second."""
        if not self.cap:
            return False
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        return len(self._window) >= self.cap

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"].lower()
        params = await self._params(request)
        self.requests[method] += 1
        if method == "getupdates":
            return self._reply(await self._get_updates(params))
        if method == "getme":
            return self._reply({**BOT_USER, "can_join_groups": False, "can_read_all_group_messages": False,
                                "supports_inline_queries": False})
        if method in SEND_METHODS:
            if self.send_delay:
                await asyncio.sleep(self.send_delay)
            now = time.perf_counter()
            if self._over_cap(now):
                self.rejected_429 += 1
                return web.json_response({"ok": False, "error_code": 429, "parameters": {"retry_after": self.retry_after},
                                          "description": f"Too Many Requests: retry after {self.retry_after}"},
                                         status=429)
            if self.cap:
                self._window.append(now)
            return self._reply(self._accept(params, now))
        if method in ("editmessagereplymarkup", "editmessagetext"):
            return self._reply(self._echo_message(params))
        if method in OK_METHODS:
            return self._reply(True)
        return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)

    def _echo_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params.get("chat_id") or 0)
        msg = {"message_id": int(params.get("message_id") or next(self._msg_ids)), "date": int(time.time()),
               "chat": {"id": chat_id, "type": "private", "first_name": "x"}, "from": BOT_USER,
               "text": str(params.get("text") or "…"), **content}
        if isinstance(params.get("reply_markup"), dict):
            msg["reply_markup"] = params["reply_markup"]
        return msg

    def _accept(self, params: dict[str, Any], now: float) -> dict[str, Any]:
        chat_id = int(params.get("chat_id") or 0)
        markup = params.get("reply_markup")
        sent = Sent(chat_id, str(params.get("text") or params.get("caption") or ""),
                    markup if isinstance(markup, dict) else {}, now)
        self.sent.append(sent)
        self.sent_per_chat[chat_id] += 1
        self.inbox(chat_id).put_nowait(sent)
        return self._echo_message(params)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()  # confirmed by the bot
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        while not self._updates and not self._closing:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout=min(left, 1.0))
        return list(itertools.islice(self._updates, limit))
