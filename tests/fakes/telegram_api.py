"""A fake Telegram Bot API server on 127.0.0.1 that python-telegram-bot talks to over real HTTP.

Tests push updates (`push_text`, `push_photo`, `push_document`, `push_callback`) which the bot
receives through getUpdates long polling (or `update_dict` builds them for webhook posts), and
inspect every request the bot made through `calls` / `wait_for`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .lean_http import LeanHttp

__all__ = ["ApiCall", "FakeTelegramAPI", "Upload"]

JSON_FIELDS = {
    "chat_id",
    "message_id",
    "reply_markup",
    "offset",
    "limit",
    "timeout",
    "allowed_updates",
    "commands",
    "show_alert",
    "drop_pending_updates",
    "scope",
    "entities",
    "link_preview_options",
    "reply_parameters",
}
BOT_USER = {"id": 999000, "is_bot": True, "first_name": "ITA Bot", "username": "ita_test_bot"}


@dataclass
class Upload:
    """A file the bot uploaded with multipart: its bytes, file name and content type."""

    data: bytes
    filename: str
    content_type: str


@dataclass
class ApiCall:
    """One Bot API request the bot made (after any injected 429 was answered)."""

    method: str
    params: dict[str, Any]
    files: dict[str, Upload] = field(default_factory=dict)
    at: float = 0.0
    status: int = 200


class FakeTelegramAPI:
    """The fake server: start(), root_url for TELEGRAM_API_BASE_URL, push updates, read calls."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.calls: list[ApiCall] = []
        self.rejected: list[ApiCall] = []
        self.updates: list[dict[str, Any]] = []
        self.files: dict[str, tuple[bytes, str, int]] = {}  # file_id → (bytes, path, size)
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {}
        self.webhook_error: dict[str, Any] = {}  # last_error_date/last_error_message getWebhookInfo reports
        self.commands: list[dict[str, Any]] = []
        self.blocked: set[int] = set()  # users who blocked the bot: sendMessage answers 403 like Telegram
        self._fail: dict[str, list[int]] = {}
        self._ids = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._msg_ids = itertools.count(5000)
        self._new_update = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.BaseRunner | None = None
        self._lean: asyncio.Server | None = None
        self.port = 0
        self.on_call: Callable[[ApiCall], Any] | None = None  # sees each recorded call before it is answered
        self.last_message: dict[int, dict[str, Any]] = {}  # chat id → the last message the bot sent there

    # ------------------------------------------------------------------ server lifecycle
    async def start(self, lean: bool = False) -> FakeTelegramAPI:
        """Listen on 127.0.0.1 at a random free port.

        aiohttp's low-level server with the two routes matched by hand: this stands in for Telegram, which is
        not on the host, so benchmarks that run it beside the workers want it to cost them little CPU. `lean`:
        a bare HTTP/1.1 front for JSON calls only (tests/fakes/lean_http.py), cheaper still."""
        loop = asyncio.get_running_loop()
        if lean:
            self._lean = await loop.create_server(lambda: LeanHttp(self), "127.0.0.1", 0)
            self.port = self._lean.sockets[0].getsockname()[1]
            return self

        def request(message: Any, payload: Any, protocol: Any, writer: Any, task: Any) -> web.BaseRequest:
            return web.BaseRequest(message, payload, protocol, writer, task, loop, client_max_size=64 * 1024 * 1024)

        server = web.Server(self._route, request_factory=request)
        self._runner = web.ServerRunner(server, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]
        return self

    async def _route(self, request: web.BaseRequest) -> web.StreamResponse:
        """/bot<token>/<method> (any verb) and GET /file/bot<token>/<path>; 404 otherwise."""
        path = request.path
        if path.startswith("/bot"):
            token, _, method = path[4:].partition("/")
            if method and "/" not in method:
                return await self._api(request, token, method)
        elif path.startswith("/file/bot") and request.method == "GET":
            token, _, file_path = path[9:].partition("/")
            if file_path:
                return await self._download(token, file_path)
        return web.Response(status=404)

    async def stop(self) -> None:
        """Release long polls and stop listening."""
        self._closing.set()
        if self._lean is not None:
            self._lean.close()
            self._lean = None
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    @property
    def root_url(self) -> str:
        """What TELEGRAM_API_BASE_URL is set to."""
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ test controls
    def fail_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 Too Many Requests."""
        self._fail.setdefault(method.lower(), []).extend([retry_after] * times)

    def add_file(self, data: bytes | None, ext: str, size: int | None = None) -> tuple[str, str]:
        """Register downloadable bytes (None: too big to download); return (file_id, file_unique_id)."""
        n = next(self._ids)
        file_id = f"FILE{n:05d}"
        self.files[file_id] = (data or b"", f"documents/file_{n}.{ext}", size or len(data or b""))
        return file_id, f"U{n:05d}"

    @staticmethod
    def user(user_id: int, name: str = "สมชาย") -> dict[str, Any]:
        """A Telegram user object."""
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "th"}

    def _chat(self, user_id: int, name: str, group_id: int | None) -> dict[str, Any]:
        if group_id is not None:
            return {"id": group_id, "type": "group", "title": "กลุ่มงาน"}
        return {"id": user_id, "type": "private", "first_name": name}

    def _message(self, user_id: int, name: str, group_id: int | None, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._msg_ids),
            "date": int(time.time()),
            "chat": self._chat(user_id, name, group_id),
            "from": self.user(user_id, name),
            **content,
        }

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (update_id is assigned) for getUpdates."""
        update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._new_update.set()
        return update

    def text_update(
        self, user_id: int, text: str, name: str = "สมชาย", group_id: int | None = None
    ) -> dict[str, Any]:
        """A message update with text (commands get their bot_command entity)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"message": self._message(user_id, name, group_id, **content)}

    def push_text(self, user_id: int, text: str, name: str = "สมชาย", group_id: int | None = None) -> dict:
        """The user typed text (or a /command)."""
        return self.push(self.text_update(user_id, text, name, group_id))

    def push_photo(
        self,
        user_id: int,
        data: bytes,
        media_group_id: str | None = None,
        caption: str | None = None,
        name: str = "สมชาย",
    ) -> dict[str, Any]:
        """The user sent a photo: three sizes, only the largest holds `data`."""
        sizes = []
        for i, (w, blob) in enumerate(((90, b"thumb"), (320, b"medium-size"), (1280, data))):
            fid, uid = self.add_file(blob, "jpg")
            sizes.append({"file_id": fid, "file_unique_id": uid, "width": w, "height": w, "file_size": len(blob)})
            del i
        content: dict[str, Any] = {"photo": sizes}
        if media_group_id:
            content["media_group_id"] = media_group_id
        if caption:
            content["caption"] = caption
        return self.push({"message": self._message(user_id, name, None, **content)})

    def push_document(
        self,
        user_id: int,
        data: bytes | None,
        file_name: str,
        mime: str,
        size: int | None = None,
        media_group_id: str | None = None,
        name: str = "สมชาย",
    ) -> dict[str, Any]:
        """The user sent a file; data None with a size makes a file too big to download."""
        ext = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        fid, uid = self.add_file(data, ext, size)
        doc = {
            "file_id": fid,
            "file_unique_id": uid,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": size if size is not None else len(data or b""),
        }
        content: dict[str, Any] = {"document": doc}
        if media_group_id:
            content["media_group_id"] = media_group_id
        return self.push({"message": self._message(user_id, name, None, **content)})

    def push_sticker(self, user_id: int, name: str = "สมชาย") -> dict[str, Any]:
        """A message type the bot does not take as evidence."""
        fid, uid = self.add_file(b"webp", "webp")
        sticker = {
            "file_id": fid,
            "file_unique_id": uid,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self.push({"message": self._message(user_id, name, None, sticker=sticker)})

    def push_block(self, user_id: int, blocked: bool = True, name: str = "สมชาย") -> dict[str, Any]:
        """The user blocked (or unblocked) the bot: a my_chat_member update."""
        member = {"status": "member", "user": BOT_USER}
        kicked = {"status": "kicked", "user": BOT_USER, "until_date": 0}
        old, new = (member, kicked) if blocked else (kicked, member)
        change = {
            "chat": self._chat(user_id, name, None),
            "from": self.user(user_id, name),
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        return self.push({"my_chat_member": change})

    def callback_update(
        self, user_id: int, data: str, message: dict[str, Any] | None = None, name: str = "สมชาย"
    ) -> dict[str, Any]:
        """A button press on `message` (default: a made-up bot message in the user's chat)."""
        if message is None:
            message = {
                "message_id": next(self._msg_ids),
                "date": int(time.time()),
                "chat": self._chat(user_id, name, None),
                "from": BOT_USER,
                "text": "...",
            }
        return {
            "callback_query": {
                "id": f"cq{next(self._ids)}",
                "from": self.user(user_id, name),
                "chat_instance": f"ci{user_id}",
                "message": message,
                "data": data,
            }
        }

    def push_callback(
        self, user_id: int, data: str, message: dict[str, Any] | None = None, name: str = "สมชาย"
    ) -> dict[str, Any]:
        """The user pressed a button with callback data `data`."""
        return self.push(self.callback_update(user_id, data, message, name))

    # ------------------------------------------------------------------ inspection
    def calls_of(self, method: str, chat_id: int | None = None) -> list[ApiCall]:
        """Recorded successful calls of one method (optionally to one chat)."""
        return [
            c
            for c in self.calls
            if c.method.lower() == method.lower() and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def sent_to(self, chat_id: int) -> list[ApiCall]:
        """Every message-producing call to a chat, in order."""
        sends = {"sendmessage", "senddocument", "sendphoto"}
        return [c for c in self.calls if c.method.lower() in sends and c.params.get("chat_id") == chat_id]

    def texts_to(self, chat_id: int) -> list[str]:
        """The texts of sendMessage calls to a chat."""
        return [c.params.get("text", "") for c in self.calls_of("sendMessage", chat_id)]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll until predicate() is truthy; return its value or fail the test."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s; last calls: {self.calls[-5:]}")
            await asyncio.sleep(0.02)

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0) -> list[ApiCall]:
        """Wait until at least `count` messages went to the chat; return all of them."""
        return await self.wait_for(lambda: len(self.sent_to(chat_id)) >= count and self.sent_to(chat_id), timeout)

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Wait until every pushed update was fetched and no call arrived for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last = (len(self.calls), -1)
        since = time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            now = (len(self.calls), len(self.updates))
            if now != last:
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet and self._consumed():
                return
        raise AssertionError("bot did not go idle")

    def _consumed(self) -> bool:
        return not self.updates or self._last_offset > self.updates[-1]["update_id"]

    _last_offset = 0

    # ------------------------------------------------------------------ HTTP handlers
    async def _params(self, request: web.BaseRequest) -> tuple[dict[str, Any], dict[str, Upload]]:
        params: dict[str, Any] = {}
        files: dict[str, Upload] = {}
        if request.content_type == "application/json":
            body = await request.json()
            return dict(body or {}), files
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = Upload(value.file.read(), value.filename, value.content_type)
                continue
            text = value if isinstance(value, str) else bytes(value).decode()
            if key in JSON_FIELDS:
                try:
                    params[key] = json.loads(text)
                    continue
                except ValueError:
                    pass
            params[key] = text
        params.update(request.query)
        return params, files

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(code: int, description: str, **parameters: Any) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    async def _api(self, request: web.BaseRequest, token: str, method: str) -> web.Response:
        if token != self.token:
            return self._error(401, "Unauthorized")
        params, files = await self._params(request)
        result = await self._invoke(method, params, files)
        return result if isinstance(result, web.Response) else self._ok(result)

    async def invoke_json(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, bytes]:
        """One call with JSON parameters, for the lean front (tests/fakes/lean_http.py): (status, JSON body)."""
        result = self._error(401, "Unauthorized") if token != self.token else await self._invoke(method, params, {})
        if isinstance(result, web.Response):
            return result.status, bytes(result.body) if isinstance(result.body, (bytes, bytearray)) else b""
        return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()

    async def _invoke(self, method: str, params: dict[str, Any], files: dict[str, Upload]) -> Any:
        """The method's result, or the error response."""
        call = ApiCall(method, params, files, at=time.monotonic())
        pending = self._fail.get(method.lower())
        if pending:
            retry = pending.pop(0)
            call.status = 429
            self.rejected.append(call)
            return self._error(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        if method.lower() != "getupdates":
            self.calls.append(call)
            if self.on_call is not None:
                self.on_call(call)
        return await handler(params, files)

    async def _download(self, token: str, path: str) -> web.StreamResponse:
        if token != self.token:
            return web.Response(status=401)
        for data, file_path, _size in self.files.values():
            if file_path == path:
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404)

    # ------------------------------------------------------------------ Bot API methods
    async def _m_getme(self, params: dict, files: dict) -> Any:
        return {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _m_getupdates(self, params: dict, files: dict) -> Any:
        offset = int(params.get("offset") or 0)
        self._last_offset = max(self._last_offset, offset)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while True:
            ready = [u for u in self.updates if u["update_id"] >= offset]
            if ready or time.monotonic() >= deadline or self._closing.is_set():
                return ready[: int(params.get("limit") or 100)]
            self._new_update.clear()
            wait = max(0.0, deadline - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout=min(wait, 0.5))

    def _new_message(self, params: dict, **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        chat: dict[str, Any] = (
            {"id": chat_id, "type": "private", "first_name": "x"}
            if chat_id > 0
            else {"id": chat_id, "type": "group", "title": "g"}
        )
        msg: dict[str, Any] = {
            "message_id": next(self._msg_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            **content,
        }
        if params.get("reply_markup"):
            msg["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, int(msg["message_id"]))] = msg
        self.last_message[chat_id] = msg
        return msg

    async def _m_sendmessage(self, params: dict, files: dict) -> Any:
        if int(params.get("chat_id", 0)) in self.blocked:
            return self._error(403, "Forbidden: bot was blocked by the user")
        text = params.get("text", "")
        if not text:
            return self._error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return self._error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    return self._error(400, "Bad Request: BUTTON_DATA_INVALID")
        return self._new_message(params, text=text)

    def _edit_target(self, params: dict) -> dict[str, Any] | web.Response:
        key = (params.get("chat_id"), params.get("message_id"))
        msg = self.messages.get(key)  # type: ignore[arg-type]
        if msg is None:
            return self._error(400, "Bad Request: message to edit not found")
        return msg

    async def _m_editmessagetext(self, params: dict, files: dict) -> Any:
        msg = self._edit_target(params)
        if isinstance(msg, web.Response):
            return msg
        msg["text"] = params.get("text", "")
        msg.pop("reply_markup", None)
        if params.get("reply_markup"):
            msg["reply_markup"] = params["reply_markup"]
        return msg

    async def _m_editmessagereplymarkup(self, params: dict, files: dict) -> Any:
        msg = self._edit_target(params)
        if isinstance(msg, web.Response):
            return msg
        msg.pop("reply_markup", None)
        if params.get("reply_markup"):
            msg["reply_markup"] = params["reply_markup"]
        return msg

    async def _m_answercallbackquery(self, params: dict, files: dict) -> Any:
        return True

    def _stored_upload(self, upload: Upload | None, ext: str) -> tuple[str, str]:
        return self.add_file(upload.data if upload else b"", ext)

    async def _m_senddocument(self, params: dict, files: dict) -> Any:
        upload = files.get("document")
        if upload is None:
            return self._error(400, "Bad Request: there is no document in the request")
        fid, uid = self._stored_upload(upload, "bin")
        doc = {"file_id": fid, "file_unique_id": uid, "file_name": upload.filename,
               "mime_type": upload.content_type, "file_size": len(upload.data)}
        content: dict[str, Any] = {"document": doc}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._new_message(params, **content)

    async def _m_sendphoto(self, params: dict, files: dict) -> Any:
        upload = files.get("photo")
        if upload is None:
            return self._error(400, "Bad Request: there is no photo in the request")
        fid, uid = self._stored_upload(upload, "jpg")
        photo = [{"file_id": fid, "file_unique_id": uid, "width": 800, "height": 600,
                  "file_size": len(upload.data)}]
        content: dict[str, Any] = {"photo": photo}
        if params.get("caption"):
            content["caption"] = params["caption"]
        return self._new_message(params, **content)

    async def _m_getfile(self, params: dict, files: dict) -> Any:
        file_id = params.get("file_id", "")
        if file_id not in self.files:
            return self._error(400, "Bad Request: invalid file_id")
        _data, path, size = self.files[file_id]
        if size > 20 * 1024 * 1024:
            return self._error(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": "u" + file_id, "file_size": size, "file_path": path}

    async def _m_setmycommands(self, params: dict, files: dict) -> Any:
        self.commands = list(params.get("commands") or [])
        return True

    async def _m_getmycommands(self, params: dict, files: dict) -> Any:
        return self.commands

    async def _m_deletewebhook(self, params: dict, files: dict) -> Any:
        self.webhook = {}
        return True

    async def _m_setwebhook(self, params: dict, files: dict) -> Any:
        self.webhook = dict(params)
        return True

    async def _m_getwebhookinfo(self, params: dict, files: dict) -> Any:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0,
                **self.webhook_error}
