"""A fake LINE Messaging API on 127.0.0.1 that line-bot-sdk talks to over real HTTP.

Serves reply (single-use tokens the test can expire), push (records X-Line-Retry-Key, can inject
failures or a monthly limit), quota and quota consumption, message content (bytes the test
registered) and profiles. Every request is recorded in ``calls``. Also builds signed webhook bodies.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import serve_on_loopback

__all__ = ["FakeLineAPI", "LineCall", "WebhookBuilder", "sign_body"]


def sign_body(channel_secret: str, body: bytes) -> str:
    """X-Line-Signature: base64(HMAC-SHA256(channel secret, raw body))."""
    mac = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


@dataclass
class LineCall:
    """One request the bot made to the fake API."""

    method: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    at: float = field(default_factory=time.monotonic)


class FakeLineAPI:
    """The fake server: start(), root_url for LINE_API_BASE_URL, tokens and content in, calls out."""

    def __init__(self, access_token: str = "test-access-token") -> None:
        self.access_token = access_token
        self.calls: list[LineCall] = []
        self.replies: list[dict[str, Any]] = []  # accepted reply bodies
        self.pushes: list[dict[str, Any]] = []  # accepted push bodies, with "_retry_key"
        self.content: dict[str, tuple[bytes, str]] = {}
        self.profiles: dict[str, dict[str, Any]] = {}
        self.quota_limit: int | None = None  # None: "none" type quota (unlimited)
        self.push_failures: list[int] = []
        self.webhook_endpoint = ""  # what the LINE console's webhook URL is set to
        self.webhook_active = True
        self.content_delay = 0.0  # seconds the content endpoint waits before answering  # statuses answered to the next pushes (before acceptance)
        self._tokens: dict[str, str] = {}  # token → "valid" | "used" | "expired"
        self._retry_keys: set[str] = set()
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FakeLineAPI:
        """Listen on 127.0.0.1 at a random free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v2/bot/message/reply", self._reply)
        app.router.add_post("/v2/bot/message/push", self._push)
        app.router.add_get("/v2/bot/message/quota", self._quota)
        app.router.add_get("/v2/bot/message/quota/consumption", self._consumption)
        app.router.add_get("/v2/bot/message/{message_id}/content", self._content)
        app.router.add_get("/v2/bot/profile/{user_id}", self._profile)
        app.router.add_get("/v2/bot/info", self._bot_info)
        app.router.add_get("/v2/bot/channel/webhook/endpoint", self._webhook_info)
        app.router.add_put("/v2/bot/channel/webhook/endpoint", self._set_webhook)
        self._runner, self.port = await serve_on_loopback(app)
        return self

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    @property
    def root_url(self) -> str:
        """What LINE_API_BASE_URL is set to."""
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ test controls
    def new_reply_token(self) -> str:
        """A fresh, single-use reply token."""
        token = f"rt{next(self._ids):06d}{int(time.time() * 1000) % 100000:05d}"
        self._tokens[token] = "valid"
        return token

    def expire(self, token: str) -> None:
        """Make a token behave like one older than a minute."""
        self._tokens[token] = "expired"

    def add_content(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """Register bytes for a message id; return that id."""
        message_id = f"{next(self._ids) + 460000000000000:d}"
        self.content[message_id] = (data, content_type)
        return message_id

    def add_profile(self, user_id: str, display_name: str) -> None:
        """A profile the bot can look up."""
        self.profiles[user_id] = {"userId": user_id, "displayName": display_name, "language": "th"}

    def pushes_to(self, user_id: str) -> list[dict[str, Any]]:
        """Accepted pushes addressed to one user."""
        return [p for p in self.pushes if p.get("to") == user_id]

    def replies_with_token(self, token: str) -> list[dict[str, Any]]:
        """Accepted replies that used one token."""
        return [r for r in self.replies if r.get("replyToken") == token]

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Wait until predicate() is true (checked after every request)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("condition not met before timeout")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    # ------------------------------------------------------------------ handlers
    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {self.access_token}"

    def _record(self, request: web.Request, body: dict[str, Any], status: int) -> None:
        self.calls.append(LineCall(request.method, request.path, body, dict(request.headers), status))
        self._changed.set()

    async def _json(self, request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except (ValueError, UnicodeDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def _error(self, request: web.Request, body: dict[str, Any], status: int, message: str) -> web.Response:
        self._record(request, body, status)
        return web.json_response({"message": message}, status=status)

    async def _reply(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if not self._authorized(request):
            return self._error(request, body, 401, "Authentication failed")
        messages = body.get("messages") or []
        if not 1 <= len(messages) <= 5:
            return self._error(request, body, 400, "The request body has 1 error(s)")
        token = str(body.get("replyToken", ""))
        if self._tokens.get(token) != "valid":
            return self._error(request, body, 400, "Invalid reply token")
        self._tokens[token] = "used"
        self.replies.append(body)
        self._record(request, body, 200)
        return web.json_response({"sentMessages": [{"id": str(next(self._ids))} for _ in messages]})

    async def _push(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if not self._authorized(request):
            return self._error(request, body, 401, "Authentication failed")
        key = request.headers.get("X-Line-Retry-Key", "")
        if key and key in self._retry_keys:
            return self._error(request, body, 409, "The retry key is already accepted")
        if self.push_failures:
            return self._error(request, body, self.push_failures.pop(0), "Injected failure")
        messages = body.get("messages") or []
        if not 1 <= len(messages) <= 5 or not body.get("to"):
            return self._error(request, body, 400, "The request body has 1 error(s)")
        if self.quota_limit is not None and len(self.pushes) >= self.quota_limit:
            return self._error(request, body, 429, "You have reached your monthly limit.")
        if key:
            self._retry_keys.add(key)
        self.pushes.append({**body, "_retry_key": key})
        self._record(request, body, 200)
        return web.json_response({"sentMessages": [{"id": str(next(self._ids))} for _ in messages]})

    async def _quota(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(request, {}, 401, "Authentication failed")
        self._record(request, {}, 200)
        if self.quota_limit is None:
            return web.json_response({"type": "none"})
        return web.json_response({"type": "limited", "value": self.quota_limit})

    async def _bot_info(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(request, {}, 401, "Authentication failed")
        self._record(request, {}, 200)
        return web.json_response({"userId": "Ubot0000", "basicId": "@123itabot", "displayName": "ITA Bot",
                                  "chatMode": "bot", "markAsReadMode": "auto"})

    async def _webhook_info(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(request, {}, 401, "Authentication failed")
        self._record(request, {}, 200)
        if not self.webhook_endpoint:
            return self._error(request, {}, 404, "Webhook endpoint is not set")
        return web.json_response({"endpoint": self.webhook_endpoint, "active": self.webhook_active})

    async def _set_webhook(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if not self._authorized(request):
            return self._error(request, body, 401, "Authentication failed")
        self.webhook_endpoint = str(body.get("endpoint", ""))
        self._record(request, body, 200)
        return web.json_response({})

    async def _consumption(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(request, {}, 401, "Authentication failed")
        self._record(request, {}, 200)
        return web.json_response({"totalUsage": len(self.pushes)})

    async def _content(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(request, {}, 401, "Authentication failed")
        if self.content_delay:
            await asyncio.sleep(self.content_delay)
        found = self.content.get(request.match_info["message_id"])
        if found is None:
            return self._error(request, {}, 404, "Not found")
        self._record(request, {}, 200)
        return web.Response(body=found[0], content_type=found[1])

    async def _profile(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._error(request, {}, 401, "Authentication failed")
        profile = self.profiles.get(request.match_info["user_id"])
        if profile is None:
            return self._error(request, {}, 404, "Not found")
        self._record(request, {}, 200)
        return web.json_response(profile)


class WebhookBuilder:
    """Builds LINE webhook events and signed bodies the way the platform sends them."""

    def __init__(self, api: FakeLineAPI, channel_secret: str, destination: str = "Ubot0000") -> None:
        self.api = api
        self.channel_secret = channel_secret
        self.destination = destination
        self._ids = itertools.count(1)

    def _base(self, kind: str, user_id: str, reply: bool = True, redelivery: bool = False) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": kind,
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user_id},
            "webhookEventId": f"01HWEB{next(self._ids):020d}",
            "deliveryContext": {"isRedelivery": redelivery},
        }
        if reply:
            event["replyToken"] = self.api.new_reply_token()
        return event

    def text(self, user_id: str, text: str, group_id: str = "") -> dict[str, Any]:
        """The user typed text (in a group chat when group_id is given)."""
        event = self._base("message", user_id)
        if group_id:
            event["source"] = {"type": "group", "groupId": group_id, "userId": user_id}
        event["message"] = {"id": str(next(self._ids)), "type": "text", "text": text, "quoteToken": "q"}
        return event

    def postback(self, user_id: str, data: str) -> dict[str, Any]:
        """The user tapped a postback button."""
        event = self._base("postback", user_id)
        event["postback"] = {"data": data}
        return event

    def image(self, user_id: str, data: bytes, content_type: str = "image/jpeg") -> dict[str, Any]:
        """The user sent a photo (its bytes wait on the content endpoint)."""
        event = self._base("message", user_id)
        message_id = self.api.add_content(data, content_type)
        event["message"] = {
            "id": message_id,
            "type": "image",
            "contentProvider": {"type": "line"},
            "quoteToken": "q",
        }
        return event

    def file(self, user_id: str, data: bytes, file_name: str, content_type: str = "application/pdf") -> dict[str, Any]:
        """The user sent a file with its name and size."""
        event = self._base("message", user_id)
        message_id = self.api.add_content(data, content_type)
        event["message"] = {"id": message_id, "type": "file", "fileName": file_name, "fileSize": len(data)}
        return event

    def video(self, user_id: str, data: bytes) -> dict[str, Any]:
        """The user sent a video."""
        event = self._base("message", user_id)
        message_id = self.api.add_content(data, "video/mp4")
        event["message"] = {
            "id": message_id,
            "type": "video",
            "duration": 1000,
            "contentProvider": {"type": "line"},
            "quoteToken": "q",
        }
        return event

    def sticker(self, user_id: str) -> dict[str, Any]:
        """The user sent a sticker."""
        event = self._base("message", user_id)
        event["message"] = {
            "id": str(next(self._ids)),
            "type": "sticker",
            "packageId": "446",
            "stickerId": "1988",
            "stickerResourceType": "STATIC",
            "quoteToken": "q",
        }
        return event

    def follow(self, user_id: str) -> dict[str, Any]:
        """The user added the bot as a friend."""
        event = self._base("follow", user_id)
        event["follow"] = {"isUnblocked": False}
        return event

    def unfollow(self, user_id: str) -> dict[str, Any]:
        """The user blocked the bot (no reply token)."""
        return self._base("unfollow", user_id, reply=False)

    def body(self, *events: dict[str, Any]) -> bytes:
        """The raw request body LINE would post."""
        return json.dumps({"destination": self.destination, "events": list(events)}, ensure_ascii=False).encode(
            "utf-8"
        )

    def sign(self, body: bytes) -> str:
        """The X-Line-Signature for a body."""
        return sign_body(self.channel_secret, body)
