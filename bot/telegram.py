"""Telegram adapter: Updates → neutral Incoming events → Engine.handle → Replies rendered by PTB.

The adapter keeps no conversation state (the engine stores it in the repository); it only buffers the
items of a media-group album for about a second so an album arrives as ONE file event. Every update,
from the webhook or from long polling, is first stored in the durable inbox (keyed on ``update_id``,
duplicates refused); polling confirms updates to Telegram (the next offset) only after that, and the
webhook answers 503 when the inbox cannot be written. Engine calls run on a worker thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from telegram import BotCommand, Message, Update
from telegram.error import BadRequest, InvalidToken, TelegramError
from telegram.ext import (
    Application,
    BaseRateLimiter,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from domain.events import Incoming, Reply
from storage.clock import BANGKOK
from storage.inbox import FileInbox, InboxRecord, InboxUnavailable

from .dispatch import Dispatcher
from .heap import HeapSettings
from .outbox import Outbox, split_recipient
from .ratelimit import ChatRateLimiter
from .telegram_files import AlbumBuffer, download_attachment
from .telegram_render import render_reply
from .telegram_request import AiohttpRequest, UpdatesRequest
from .web import WebServer, telegram_webhook_handler

__all__ = ["PLATFORM", "EngineLike", "TelegramAdapter", "deep_link", "webhook_path", "derive_secret", "MENU"]

log = logging.getLogger(__name__)

PLATFORM = "telegram"
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # what the public Bot API lets bots download
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
PARSED_KEPT = 1000  # parsed updates kept for their processing; the oldest beyond are parsed again if ever
SEND_CONNECTIONS = 64  # HTTP connections for Bot API calls other than getUpdates
SEND_POOL_WAIT_S = 20.0  # how long a call may wait for one of them
POLL_RETRY_S = (1.0, 30.0)  # back-off after a failed getUpdates or an unwritable inbox: first, most
ERROR_TEXT = "ขออภัย ระบบขัดข้องชั่วคราว ลองใหม่อีกครั้ง"
UNSUPPORTED_TEXT = "ส่งได้เฉพาะข้อความ ลิงก์ รูปภาพ หรือไฟล์"
MENU: list[tuple[str, str]] = [
    ("report", "รายงานผลมาตรการ"),
    ("status", "ดูความคืบหน้ารอบนี้"),
    ("summary", "สรุปผลและรายงาน (หัวหน้า)"),
    ("review", "ตรวจผลการรายงาน (หัวหน้า)"),
    ("cancel", "ยกเลิกสิ่งที่ทำค้างอยู่"),
    ("help", "วิธีใช้งาน"),
]


class EngineLike(Protocol):
    """What the adapter needs from handlers.engine.Engine."""

    def handle(self, event: Incoming) -> list[Reply]: ...


def deep_link(bot_username: str, code: str) -> str:
    """The registration link: opening it sends `/start CODE` to the bot."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


def webhook_path(webhook_url: str) -> str:
    """The local route the reverse proxy forwards to: the webhook URL's path (default /telegram/webhook)."""
    from urllib.parse import urlsplit

    path = urlsplit(webhook_url).path
    return path if path and path != "/" else "/telegram/webhook"


def derive_secret(token: str) -> str:
    """A stable webhook secret from the bot token when TELEGRAM_WEBHOOK_SECRET is not set."""
    return hmac.new(token.encode(), b"itabot-telegram-webhook", hashlib.sha256).hexdigest()


def _menu_commands() -> list[BotCommand]:
    """The Thai command menu, limited to commands the engine actually knows (when it tells us)."""
    try:
        from handlers.context import COMMANDS

        known = set(COMMANDS)
    except ImportError:  # pragma: no cover - engine not present
        known = set()
    return [BotCommand(name, desc) for name, desc in MENU if not known or name in known]


def _lane(update: Update) -> str:
    """The chat whose order an update keeps (the user for a button without its message)."""
    chat, user = update.effective_chat, update.effective_user
    return str(chat.id if chat is not None else user.id if user is not None else 0)


def _with_payloads(updates: Sequence[Update], raw: list[Any] | None) -> list[tuple[Update, dict[str, Any]]]:
    """Each update with the JSON Telegram sent for it (rebuilt by PTB only if that is missing or differs)."""
    if raw is None or len(raw) != len(updates):
        raw = [None] * len(updates)
    return [(u, d if isinstance(d, dict) and d.get("update_id") == u.update_id else u.to_dict())
            for u, d in zip(updates, raw, strict=True)]


def _log_end(task: asyncio.Task[None]) -> None:
    """A background task that ended by failure is logged, never left unretrieved."""
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())


class TelegramAdapter:
    """Builds and runs one PTB Application that forwards everything to the engine."""

    def __init__(
        self,
        engine: EngineLike,
        token: str,
        *,
        api_root: str = "",
        outbox: Outbox | None = None,
        rate_limiter: BaseRateLimiter | None = None,
        max_file_bytes: int = DOWNLOAD_LIMIT,
        album_wait: float = 1.0,
        webhook_url: str = "",
        webhook_secret: str = "",
        poll_timeout: float = 10.0,
        known_user: Callable[[str], bool] | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.engine = engine
        self.dispatcher = dispatcher or Dispatcher(FileInbox(None))
        self._poller: asyncio.Task[None] | None = None
        self.outbox = outbox
        self.max_file_bytes = max_file_bytes
        self.album_wait = album_wait
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret or (derive_secret(token) if webhook_url else "")
        self.poll_timeout = poll_timeout
        self.known_user = known_user  # strangers' files are never downloaded
        self.albums = AlbumBuffer(self.dispatch, album_wait)
        self._locks: dict[str, asyncio.Lock] = {}
        self._parsed: dict[str, Update] = {}  # accepted updates not yet processed, as PTB read them
        self._heap = HeapSettings()
        builder = (
            Application.builder()
            .token(token)
            .defaults(Defaults(tzinfo=BANGKOK))
            .rate_limiter(rate_limiter or ChatRateLimiter())
        )
        # aiohttp costs far less CPU per call than PTB's httpx; 8 connections at Telegram's ~0.1 s carry well over
        # the 30 messages/s cap, and a burst beyond them waits for a free connection instead of failing after 1 s
        builder = builder.request(AiohttpRequest(SEND_CONNECTIONS, pool_timeout=SEND_POOL_WAIT_S))
        self._updates_request = UpdatesRequest()
        builder = builder.get_updates_request(self._updates_request)
        if api_root:
            root = api_root.rstrip("/")
            builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
        builder = builder.updater(None)  # updates reach PTB only through the durable inbox
        self.app = builder.build()
        self.app.add_handler(CallbackQueryHandler(self._on_button))
        self.app.add_handler(ChatMemberHandler(self._on_member, ChatMemberHandler.MY_CHAT_MEMBER))
        media = filters.PHOTO | filters.Document.ALL | filters.VIDEO | filters.AUDIO | filters.VOICE
        self.app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & media, self._on_file))
        self.app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self._on_text))
        self.app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL, self._on_other))
        self.app.add_error_handler(self._on_error)

    # ------------------------------------------------------------------ lifecycle
    def register_routes(self, web: WebServer) -> None:
        """In webhook mode, serve Telegram's POSTs on the webhook URL's path."""
        if self.webhook_url:
            web.add_route("POST", webhook_path(self.webhook_url), telegram_webhook_handler(
                self.webhook_secret, self.feed))

    async def feed(self, data: dict[str, Any]) -> None:
        """Store one verified webhook update durably (ValueError: malformed; InboxUnavailable: retry)."""
        await self._accept([(self._parse(data), data)])

    def _parse(self, data: dict[str, Any]) -> Update:
        """PTB's reading of an update, refused (ValueError) when PTB cannot read it."""
        try:
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # noqa: BLE001 - PTB raises whatever a malformed field provokes
            raise ValueError(f"malformed update: {type(exc).__name__}") from exc
        if update is None or not isinstance(update.update_id, int):
            raise ValueError("not an update")
        return update

    async def _accept(self, updates: list[tuple[Update, dict[str, Any]]]) -> None:
        """Store updates durably; each is parsed once: the stored payload is read again only after a restart."""
        records = [InboxRecord(f"{PLATFORM}:{u.update_id}", PLATFORM, _lane(u), data) for u, data in updates]
        for record, (update, _) in zip(records, updates, strict=True):
            self._parsed.setdefault(record.key, update)
        while len(self._parsed) > PARSED_KEPT:  # another worker may process some (bot/dispatch_shared.py)
            self._parsed.pop(next(iter(self._parsed)))
        try:
            fresh = await self.dispatcher.accept(records)
        except BaseException:
            for record in records:
                self._parsed.pop(record.key, None)
            raise
        for record, new in zip(records, fresh, strict=True):
            if not new:  # a duplicate: its first copy is (or was) processed from its own record
                self._parsed.pop(record.key, None)

    async def _process(self, record: InboxRecord) -> None:
        """One stored update through PTB's handlers (errors go to _on_error)."""
        update = self._parsed.pop(record.key, None) or Update.de_json(record.payload, self.app.bot)
        if update is not None:
            await self.app.process_update(update)

    async def start(self) -> None:
        """Initialize, publish the Thai command menu, then poll or set the webhook."""
        await self.app.initialize()
        try:
            await self.app.bot.set_my_commands(_menu_commands())
        except TelegramError:
            log.exception("setMyCommands failed; continuing without a menu")
        await self.app.start()
        self.dispatcher.register(PLATFORM, self._process)  # unfinished updates from before a restart first
        if self.webhook_url:
            await self.app.bot.set_webhook(self.webhook_url, secret_token=self.webhook_secret,
                                           allowed_updates=ALLOWED_UPDATES)
            log.info("telegram: webhook %s", self.webhook_url)
        else:
            await self.app.bot.delete_webhook()
            self._poller = asyncio.get_running_loop().create_task(self._poll(), name="telegram polling")
            self._poller.add_done_callback(_log_end)
            log.info("telegram: polling as @%s", self.app.bot.username)
        log.info("telegram: invite links look like %s", deep_link(self.username, "<code>"))
        if self.outbox is not None:
            self.outbox.register(PLATFORM, self.push)
        self._heap.serve()  # what startup loaded stays: the collector stops rescanning it (bot/heap.py)

    async def _poll(self) -> None:
        """Long polling: fetch, store durably, and only then confirm to Telegram with the next offset."""
        offset: int | None = None
        wait = POLL_RETRY_S[0]
        while True:
            try:
                updates = await self.app.bot.get_updates(
                    offset=offset, timeout=int(self.poll_timeout), allowed_updates=ALLOWED_UPDATES,
                    read_timeout=self.poll_timeout + 10,
                )
                if updates:
                    await self._accept(_with_payloads(updates, self._updates_request.take_raw()))
                    offset = max(u.update_id for u in updates) + 1
                wait = POLL_RETRY_S[0]
            except InvalidToken:
                raise
            except (TelegramError, InboxUnavailable) as exc:
                log.warning("telegram polling: %s; retrying in %.0f s", exc, wait)
                await asyncio.sleep(wait)
                wait = min(wait * 2, POLL_RETRY_S[1])

    async def stop(self) -> None:
        """Deliver buffered albums, stop fetching updates and close the HTTP client."""
        if self.outbox is not None:
            self.outbox.unregister(PLATFORM)
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        await self.albums.flush_all()
        await self.dispatcher.drain()
        self.dispatcher.unregister(PLATFORM)
        self._parsed.clear()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()
        self._heap.restore()

    @property
    def username(self) -> str:
        """The bot's @username (known after start)."""
        return self.app.bot.username or ""

    # ------------------------------------------------------------------ sending
    async def push(self, user_id: str, reply: Reply) -> bool:
        """Outbox sender (a private chat's id is the user's id); network trouble is raised, to be retried."""
        return await render_reply(self.app.bot, int(user_id), reply, raise_transient=True)

    async def _deliver(self, chat_id: int, replies: list[Reply]) -> None:
        """Replies to this chat, pushes to whoever they name."""
        for reply in replies:
            if not reply.recipient:
                await render_reply(self.app.bot, chat_id, reply)
            elif self.outbox is not None:
                await self.outbox.deliver(reply)
            else:
                target = split_recipient(reply.recipient)
                if target and target[0] == PLATFORM:
                    await self.push(target[1], reply)
                else:
                    log.warning("no outbox: push to %s dropped", reply.recipient)

    def _lock(self, chat_id: int) -> asyncio.Lock:
        return self._locks.setdefault(str(chat_id), asyncio.Lock())

    async def dispatch(self, chat_id: int, event: Incoming) -> None:
        """Hand one event to the engine and render its answers, one chat at a time, in order."""
        async with self._lock(chat_id):
            try:
                replies = await asyncio.to_thread(self.engine.handle, event)
            except Exception:
                log.exception("engine failed on %s event from %s:%s (chat %s)", event.kind, event.platform,
                              event.user_id, chat_id)
                replies = [Reply(ERROR_TEXT)]
            await self._deliver(chat_id, replies)

    # ------------------------------------------------------------------ updates → events
    @staticmethod
    def _base(message: Message | None, user: Any, chat: Any) -> dict[str, Any]:
        return {
            "chat_id": str(chat.id),
            "display_name": user.full_name if user else "",
            "is_group": chat.type != "private",
        }

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Typed text or a /command (in groups only commands; the rest of a group's chatter is not ours)."""
        msg, user, chat = update.effective_message, update.effective_user, update.effective_chat
        if msg is None or user is None or chat is None or msg.text is None:
            return
        event = Incoming.from_text(PLATFORM, str(user.id), msg.text, **self._base(msg, user, chat))
        if event.is_group and event.kind != "command":
            return
        await self.albums.flush_chat(chat.id)
        await self.dispatch(chat.id, event)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Answer the press, take the pressed keyboard away, then let the engine decide."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return
        try:
            await query.answer()
        except TelegramError:
            log.warning("answerCallbackQuery failed for %s", query.id)
        chat = update.effective_chat
        chat_id = chat.id if chat is not None else user.id
        if isinstance(query.message, Message) and query.message.reply_markup is not None:
            try:
                await query.message.edit_reply_markup(reply_markup=None)
            except BadRequest as exc:
                log.info("could not remove keyboard in chat %s: %s", chat_id, exc)
        event = Incoming(PLATFORM, str(user.id), "button", data=query.data or "", chat_id=str(chat_id),
                         display_name=user.full_name, is_group=chat is not None and chat.type != "private")
        await self.albums.flush_chat(chat_id)
        await self.dispatch(chat_id, event)

    async def _on_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Blocking the bot is an unfollow (no more pushes); unblocking a follow."""
        change, chat = update.my_chat_member, update.effective_chat
        if change is None or chat is None or chat.type != "private":
            return
        new, old = change.new_chat_member.status, change.old_chat_member.status
        kind = "unfollow" if new == "kicked" else "follow" if old == "kicked" else ""
        if kind:
            user = change.from_user
            event = Incoming(PLATFORM, str(user.id), kind, chat_id=str(chat.id), display_name=user.full_name)
            await self.dispatch(chat.id, event)

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, locations …: registered people learn what the bot takes; strangers how to register."""
        msg, user, chat = update.effective_message, update.effective_user, update.effective_chat
        if msg is None or user is None or chat is None or chat.type != "private":
            return
        if self._known(user.id):
            await render_reply(self.app.bot, chat.id, Reply(UNSUPPORTED_TEXT))
        else:  # the engine answers strangers with the how-to-register message, whatever they sent
            await self.dispatch(chat.id, Incoming(PLATFORM, str(user.id), "text", **self._base(msg, user, chat)))

    async def _on_file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Download the file at once; album items wait ~1 s for their siblings."""
        msg, user, chat = update.effective_message, update.effective_user, update.effective_chat
        if msg is None or user is None or chat is None or chat.type != "private":
            return
        attachment = await download_attachment(msg, self.max_file_bytes, self._known(user.id))
        base = Incoming(PLATFORM, str(user.id), "file", **self._base(msg, user, chat))
        if msg.media_group_id:
            self.albums.add(chat.id, str(msg.media_group_id), base, attachment, msg.caption or "")
            return
        await self.albums.flush_chat(chat.id)
        base.attachments = [attachment]
        base.text = msg.caption or ""
        await self.dispatch(chat.id, base)

    def _known(self, user_id: int) -> bool:
        """Whether this user is registered (unknown when no lookup was given: assume yes)."""
        return self.known_user is None or self.known_user(str(user_id))

    # ------------------------------------------------------------------ errors
    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log with context and tell the user; the bot keeps running."""
        who = chat_id = kind = "?"
        if isinstance(update, Update):
            who = str(update.effective_user.id) if update.effective_user else "?"
            chat_id = str(update.effective_chat.id) if update.effective_chat else "?"
            kind = "button" if update.callback_query else "message"
        log.error("update %s (%s from %s in chat %s) failed", getattr(update, "update_id", "?"), kind, who,
                  chat_id, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat and update.effective_chat.type == "private":
            try:
                await self.app.bot.send_message(update.effective_chat.id, ERROR_TEXT)
            except TelegramError:
                log.warning("could not tell chat %s about the error", chat_id)
