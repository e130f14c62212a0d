"""LINE adapter: signed webhooks in, neutral events to the engine, replies (or counted pushes) out.

The webhook verifies ``X-Line-Signature`` on the raw body before anything else, stores every event in
the durable inbox (keyed and de-duplicated on ``webhookEventId``) and only then answers 200; the
dispatcher works through the inbox in order per user (a 503 when the inbox cannot be written, so LINE
redelivers). Engine calls run on a worker thread, never on the event loop. Replies use the reply
token while it is fresh and fall back to push; pushes are counted per month against
``LINE_MONTHLY_PUSH_LIMIT`` and admins are told in chat before and when the cap is reached.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import mimetypes
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    Message,
    PushMessageRequest,
    ReplyMessageRequest,
)
from linebot.v3.messaging.exceptions import ApiException
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    AudioMessageContent,
    FileMessageContent,
    FollowEvent,
    ImageMessageContent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
    VideoMessageContent,
)
from linebot.v3.webhooks.models.event import Event

from bot.config import Settings
from bot.dispatch import Dispatcher
from bot.line_render import MESSAGES_PER_CALL, TEXTS, render_replies
from bot.line_state import PushQuota
from bot.links import DownloadLinks, LinkError, load_link_secret
from bot.outbox import Outbox
from bot.wiring import Services
from domain.events import Attachment, Incoming, Reply
from domain.sends import REASON_BLOCKED, REASON_QUOTA, REASON_UNKNOWN, Undeliverable
from storage.atomic import StartupError, safe_json_loads
from storage.clock import Clock
from storage.inbox import FileInbox, InboxRecord, InboxUnavailable
from storage.models import Officer
from storage.repository import Repository

__all__ = ["LineAdapter", "add_line_routes", "line_adapter"]

log = logging.getLogger(__name__)

PLATFORM = "line"
REPLY_WINDOW_S = 50.0  # a token lives about a minute; leave room for the round trip
PUSH_ATTEMPTS = 3
BODY_TIMEOUT_S = 10.0  # a webhook body trickling in slower than this is refused

Handle = Callable[[Incoming], list[Reply]]
Forward = Callable[[Reply], Awaitable[object]]
AtRisk = Callable[[int], tuple[int, int]]
"""(pushes left this month) → (reminders still planned over LINE this month, how many of them will not fit)."""


def _refuse(strict: bool, reason: str) -> bool:
    """A reminder (strict) learns why a push was not sent; other pushes just get False."""
    if strict:
        raise Undeliverable(reason)
    return False


def _parse_event(raw_event: dict[str, Any]) -> Any:
    """The SDK's typed event; None for event types the SDK does not know (nothing to do)."""
    if raw_event.get("type") not in _KNOWN_TYPES:
        return None
    return Event.from_dict(raw_event)


_KNOWN_TYPES = {"message", "postback", "follow", "unfollow", "join", "leave", "memberJoined", "memberLeft",
                "beacon", "accountLink", "things", "unsend", "videoPlayComplete", "activated", "deactivated",
                "botSuspended", "botResumed", "module", "membership", "pnpDeliveryCompletion", "messageEdited"}


# ----- the adapter ------------------------------------------------------------------------------
class LineAdapter:
    """Turns LINE webhooks into engine calls and engine replies into LINE messages."""

    def __init__(
        self,
        *,
        channel_secret: str,
        access_token: str,
        handle: Handle,
        clock: Clock,
        repo: Repository | None = None,
        data_dir: Path | None = None,
        links: DownloadLinks | None = None,
        api_base_url: str = "",
        push_limit: int = 300,
        max_file_bytes: int = 20 * 1024 * 1024,
        forward: Forward | None = None,
        outbox: Outbox | None = None,
        reply_window: float = REPLY_WINDOW_S,
        monotonic: Callable[[], float] = time.monotonic,
        sync_quota_on_start: bool = False,
        at_risk: AtRisk | None = None,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        if not channel_secret or not access_token:
            raise ValueError("LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN are both required")
        self._parser = WebhookParser(channel_secret)
        self._config = Configuration(access_token=access_token, host=api_base_url.rstrip("/") or None)
        self._handle = handle
        self.clock = clock
        self.repo = repo
        self.links = links
        self.outbox = outbox
        self.forward = forward or (outbox.deliver if outbox is not None else None)
        self.sync_quota_on_start = sync_quota_on_start
        self.at_risk = at_risk
        self.max_file_bytes = max_file_bytes
        self.reply_window = reply_window
        self._monotonic = monotonic
        state_dir = Path(data_dir) / "line" if data_dir is not None else None
        self.dispatcher = dispatcher or Dispatcher(FileInbox(None))
        self.quota = PushQuota(state_dir / "push-quota.state" if state_dir else None, push_limit, clock, warn_ratio=0.8)
        self._client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None
        self._blob: AsyncMessagingApiBlob | None = None

    # ----- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the HTTP client (inside the running loop), join the outbox, read LINE's quota figures."""
        if self._client is not None:
            return
        self._client = AsyncApiClient(self._config)
        self._api = AsyncMessagingApi(self._client)
        self._blob = AsyncMessagingApiBlob(self._client)
        if self.outbox is not None:
            self.outbox.register(PLATFORM, self.send)
        if self.sync_quota_on_start:
            try:
                await asyncio.wait_for(self.sync_quota(), 10)
            except TimeoutError:
                log.warning("LINE quota not read at start (timeout); counting locally")

    async def stop(self) -> None:
        """Leave the outbox, finish background work, close the client (runner Component protocol)."""
        if self.outbox is not None:
            self.outbox.unregister(PLATFORM)
        await self.close()
        self.dispatcher.unregister(PLATFORM)

    async def close(self) -> None:
        """Let background work finish, then close the HTTP client."""
        await self.drain()
        if self._client is not None:
            await self._client.close()
            self._client = self._api = self._blob = None

    async def drain(self) -> None:
        """Wait until every accepted event was handled (tests, shutdown)."""
        await self.dispatcher.drain()

    def register_routes(self, server: Any, path: str = "/line/webhook") -> None:
        """Mount the webhook (and the download links) on bot.web.WebServer before it starts."""
        server.add_route("POST", path, self.handle_webhook)
        self.dispatcher.register(PLATFORM, self._process)  # serving: unfinished events from before a restart first
        if self.links is not None:
            self.links.register_routes(server)

    async def send(self, user_id: str, reply: Reply) -> bool:
        """The outbox sender for "line:<user_id>" recipients (a counted push); refusals raise with their reason."""
        return await self.push(user_id, [reply], strict=True)

    async def _apis(self) -> tuple[AsyncMessagingApi, AsyncMessagingApiBlob]:
        await self.start()
        assert self._api is not None and self._blob is not None
        return self._api, self._blob

    # ----- webhook -----------------------------------------------------------------------------
    async def handle_webhook(self, request: web.Request) -> web.Response:
        """POST /line/webhook: verify the signature, store the events durably, then answer 200."""
        received = self._monotonic()
        signature = request.headers.get("X-Line-Signature", "")
        try:
            raw = await asyncio.wait_for(request.read(), BODY_TIMEOUT_S)
        except TimeoutError:
            return web.Response(status=408, text="body too slow")
        if not signature:
            return web.Response(status=400, text="missing signature")
        try:
            body = raw.decode("utf-8")
            if not self._parser.signature_validator.validate(body, signature):
                log.warning("LINE webhook with a bad signature refused")
                return web.Response(status=400, text="bad signature")
            records = self._records(safe_json_loads(raw), received)
        except (UnicodeError, ValueError, KeyError, TypeError, AttributeError):
            return web.Response(status=400, text="bad body")
        try:
            await self.dispatcher.accept(records)
        except InboxUnavailable:
            return web.Response(status=503, text="try again later")
        return web.Response(text="OK")

    def _records(self, payload: Any, received: float) -> list[InboxRecord]:
        """Inbox records of a verified body; a malformed event refuses the whole body (400)."""
        events = payload["events"]
        if not isinstance(events, list):
            raise TypeError("events is not a list")
        records = []
        for raw_event in events:
            if not isinstance(raw_event, dict):
                raise TypeError("an event is not an object")
            _parse_event(raw_event)  # malformed → ValueError/TypeError now, not in the worker
            event_id = str(raw_event.get("webhookEventId") or "")
            if not event_id:
                canonical = json.dumps(raw_event, sort_keys=True, ensure_ascii=False).encode("utf-8")
                event_id = "sha256-" + hashlib.sha256(canonical).hexdigest()
            user_id = str((raw_event.get("source") or {}).get("userId") or "")
            records.append(InboxRecord(f"{PLATFORM}:{event_id}", PLATFORM, user_id, {"event": raw_event, "at": received}))
        return records

    async def _process(self, record: InboxRecord) -> None:
        """One stored event (the dispatcher keeps each user's events in order)."""
        event = _parse_event(record.payload["event"])
        if event is None:
            return
        user_id = getattr(getattr(event, "source", None), "user_id", None) or ""
        await self._one(event, user_id, float(record.payload.get("at", 0.0)))

    async def _one(self, event: Any, user_id: str, received: float) -> None:
        """One event: to a neutral Incoming, through the engine, replies back."""
        if not user_id:
            return
        token = getattr(event, "reply_token", None) or ""
        try:
            incoming = await self._incoming(event, user_id)
        except ApiException as exc:
            log.warning("LINE content download failed: %s", exc.status)
            await self._deliver([Reply(TEXTS["fetch_failed"])], user_id, token, received)
            return
        if incoming is None:
            return
        if isinstance(incoming, Reply):
            await self._deliver([incoming], user_id, token, received)
            return
        try:
            replies = await asyncio.to_thread(self._handle, incoming)
        except Exception:  # noqa: BLE001 - the user gets a polite message, the log gets the trace
            log.exception("engine failed on a LINE event")
            replies = [Reply(TEXTS["error"])]
        await self._deliver(replies, user_id, token, received)

    # ----- events → Incoming -------------------------------------------------------------------
    async def _incoming(self, event: Any, user_id: str) -> Incoming | Reply | None:
        """Map a webhook event to the neutral model (downloading content at once); a Reply answers directly."""
        source = event.source
        chat_id = getattr(source, "group_id", None) or getattr(source, "room_id", None) or user_id
        common: dict[str, Any] = {"chat_id": chat_id, "is_group": chat_id != user_id}
        if isinstance(event, FollowEvent):
            name = await self._display_name(user_id)
            return Incoming(PLATFORM, user_id, "follow", display_name=name, **common)
        if isinstance(event, UnfollowEvent):
            return Incoming(PLATFORM, user_id, "unfollow", **common)
        if isinstance(event, PostbackEvent):
            return Incoming(PLATFORM, user_id, "button", data=event.postback.data or "", **common)
        if not isinstance(event, MessageEvent):
            return None
        message = event.message
        if isinstance(message, TextMessageContent):
            incoming = Incoming.from_text(PLATFORM, user_id, message.text or "", **common)
            if incoming.kind == "command" and incoming.command == "start":
                incoming.display_name = await self._display_name(user_id)
            return incoming
        if isinstance(message, ImageMessageContent | VideoMessageContent | AudioMessageContent | FileMessageContent):
            attachment = await self._fetch(message)
            return Incoming(PLATFORM, user_id, "file", attachments=[attachment], **common)
        return Reply(TEXTS["unsupported"])  # stickers, locations …: a hint, no engine call

    async def _display_name(self, user_id: str) -> str:
        """The LINE profile name (used when registering); empty when unavailable."""
        api, _ = await self._apis()
        try:
            profile = await api.get_profile(user_id)
        except (ApiException, aiohttp.ClientError, TimeoutError):
            return ""
        return str(profile.display_name or "")

    async def _fetch(self, message: Any) -> Attachment:
        """Download a photo, video, audio or file now (content expires on LINE's side)."""
        kind = "photo" if isinstance(message, ImageMessageContent) else "file"
        declared = int(getattr(message, "file_size", 0) or 0)
        name = getattr(message, "file_name", None) or ""
        if declared > self.max_file_bytes:
            return Attachment(name=name or f"line-{message.id}", data=None, size=declared, kind=kind)
        _, blob = await self._apis()
        response = await blob.get_message_content_with_http_info(message.id)
        data = bytes(response.data or b"")
        mime = str((response.headers or {}).get("Content-Type", "") or "").split(";")[0].strip()
        if not name:
            ext = mimetypes.guess_extension(mime) or {"photo": ".jpg"}.get(kind, ".bin")
            name = f"line-{message.id}{'.jpg' if ext == '.jpe' else ext}"
        if len(data) > self.max_file_bytes:
            return Attachment(name=name, data=None, mime=mime, size=len(data), kind=kind)
        return Attachment(name=name, data=data, mime=mime, size=len(data), kind=kind)

    # ----- replies out -------------------------------------------------------------------------
    async def _deliver(self, replies: list[Reply], user_id: str, token: str, received: float) -> None:
        """Replies to the sender by token (or push), others by push or the outbox."""
        mine: list[Reply] = []
        others: dict[str, list[Reply]] = {}
        for reply in replies:
            target = reply.recipient or f"{PLATFORM}:{user_id}"
            if target == f"{PLATFORM}:{user_id}":
                mine.append(reply)
            else:
                others.setdefault(target, []).append(reply)
        if token:  # owed quota notices ride on a free reply, never on a push
            mine = self._owed_notices(user_id) + mine
        if mine:
            await self._send(user_id, render_replies(mine, self.links), token, received)
        for target, batch in others.items():
            platform, _, other = target.partition(":")
            if platform == PLATFORM:
                await self.push(other, batch)
            elif self.forward is not None:
                for reply in batch:
                    await self.forward(reply)
            else:
                log.warning("no route for a reply to %s", target)

    async def _send(self, user_id: str, messages: list[dict[str, Any]], token: str, received: float) -> None:
        """First five messages by reply token when fresh; whatever is left (or failed) by push."""
        rest = messages
        if token and 0 <= self._monotonic() - received < self.reply_window:
            first, rest = messages[:MESSAGES_PER_CALL], messages[MESSAGES_PER_CALL:]
            if not await self._reply(token, first):
                rest = messages
        for i in range(0, len(rest), MESSAGES_PER_CALL):
            await self._push_messages(user_id, rest[i : i + MESSAGES_PER_CALL])

    async def _reply(self, token: str, messages: list[dict[str, Any]]) -> bool:
        """Send with the reply token; False when LINE refused it (expired, used)."""
        api, _ = await self._apis()
        request = ReplyMessageRequest(replyToken=token, messages=[Message.from_dict(m) for m in messages])
        try:
            await api.reply_message(request)
        except ApiException as exc:
            log.info("reply token refused (%s): falling back to push", exc.status)
            return False
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("reply failed (%s): falling back to push", exc)
            return False
        return True

    async def push(self, user_id: str, replies: list[Reply], strict: bool = False) -> bool:
        """Push replies to a LINE user (scheduled reminders, the outbox); False if not sent.

        strict: raise domain.sends.Undeliverable with the reason (blocked, unknown user, quota used up).
        """
        messages = render_replies(replies, self.links)
        ok = True
        for i in range(0, len(messages), MESSAGES_PER_CALL):
            ok = await self._push_messages(user_id, messages[i : i + MESSAGES_PER_CALL], strict=strict) and ok
        return ok

    async def _push_messages(
        self, user_id: str, messages: list[dict[str, Any]], notice: bool = False, strict: bool = False
    ) -> bool:
        """One counted push with a retry key kept across retries; nothing is sent at the cap."""
        if not self._reachable(user_id):
            log.info("LINE user %s is inactive or unfollowed: push skipped", user_id)
            return _refuse(strict, REASON_BLOCKED)
        if not self.quota.allows():
            log.warning("LINE monthly push cap (%s) reached: push to %s not sent", self.quota.limit, user_id)
            if self.quota.mark_capped():
                await self._notify_admins(["cap"])
            return _refuse(strict, REASON_QUOTA)
        api, _ = await self._apis()
        request = PushMessageRequest(to=user_id, messages=[Message.from_dict(m) for m in messages])
        key = str(uuid.uuid4())
        for attempt in range(PUSH_ATTEMPTS):
            try:
                await api.push_message(request, x_line_retry_key=key)
                break
            except ApiException as exc:
                if exc.status == 409:
                    break  # an earlier attempt with this key was accepted
                if exc.status == 429 and "monthly limit" in str(exc.body or ""):
                    if self.quota.mark_capped() and not notice:
                        await self._notify_admins(["cap"])
                    return _refuse(strict, REASON_QUOTA)
                if exc.status not in (429, 500, 502, 503, 504):
                    log.warning("LINE push to %s refused: %s %s", user_id, exc.status, exc.body)
                    return _refuse(strict and exc.status in (400, 404), REASON_UNKNOWN)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("LINE push attempt %s failed: %s", attempt + 1, exc)
            await asyncio.sleep(0.2 * 2**attempt)
        else:
            return False
        due = self.quota.record()
        if due and not notice:
            await self._notify_admins(due)
        return True

    def _reachable(self, user_id: str) -> bool:
        """False for a registered account that unfollowed (or was switched off)."""
        if self.repo is None:
            return True
        found = self.repo.find_identity(PLATFORM, user_id)
        officer = self.repo.get_officer(*found) if found else None
        if officer is None:
            return True
        ident = next((i for i in officer.identities if i.platform == PLATFORM and i.user_id == user_id), None)
        return officer.active and (ident is None or ident.active)

    # ----- admin notices -----------------------------------------------------------------------
    def _admins(self) -> list[Officer]:
        """Every active admin of every organization (the push quota belongs to the whole channel)."""
        if self.repo is None:
            return []
        return [
            o for org in self.repo.list_orgs() for o in self.repo.list_officers(org.id) if o.role == "admin" and o.active
        ]

    def _notice_text(self, notices: list[str]) -> str:
        """The newest notice only: the cap makes the warning moot."""
        if "cap" in notices:
            return TEXTS["quota_cap"].format(used=self.quota.used, limit=self.quota.limit)
        text = TEXTS["quota_warn"].format(used=self.quota.used, limit=self.quota.limit)
        if self.at_risk is not None:
            planned, risk = self.at_risk(max(0, self.quota.limit - self.quota.used))
            text += "\n" + TEXTS["quota_risk"].format(planned=planned, risk=risk)
        return text

    async def _notify_admins(self, notices: list[str]) -> None:
        """Tell admins now where it is free or still possible; the rest hear it at their next message."""
        text = self._notice_text(notices)
        for admin in self._admins():
            owed = self.quota.owed(admin.id)
            if not owed:
                continue
            others = [i for i in admin.identities if i.active and i.platform != PLATFORM]
            lines = [i for i in admin.identities if i.active and i.platform == PLATFORM]
            if others and self.forward is not None:
                await self.forward(Reply(text, recipient=f"{others[0].platform}:{others[0].user_id}"))
                self.quota.mark_told(admin.id, owed)
            elif lines and self.quota.allows() and "cap" not in owed:
                messages = [{"type": "text", "text": text}]
                if await self._push_messages(lines[0].user_id, messages, notice=True):
                    self.quota.mark_told(admin.id, owed)

    def _owed_notices(self, user_id: str) -> list[Reply]:
        """An admin writing to the bot gets the quota notice still owed to them (once)."""
        if self.repo is None:
            return []
        found = self.repo.find_identity(PLATFORM, user_id)
        officer = self.repo.get_officer(*found) if found else None
        if officer is None or officer.role != "admin":
            return []
        owed = self.quota.owed(officer.id)
        if not owed:
            return []
        self.quota.mark_told(officer.id, owed)
        return [Reply(self._notice_text(owed))]

    async def sync_quota(self) -> None:
        """Read LINE's quota and this month's usage so the local counter is never too low."""
        api, _ = await self._apis()
        try:
            quota = await api.get_message_quota()
            usage = await api.get_message_quota_consumption()
        except (ApiException, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("cannot read the LINE quota: %s", exc)
            return
        limit = int(quota.value) if quota.type == "limited" and quota.value is not None else None
        self.quota.sync(int(usage.total_usage or 0), limit)


def add_line_routes(app: web.Application, adapter: LineAdapter, path: str = "/line/webhook") -> None:
    """Mount the LINE webhook and tie the adapter's client to the app's life."""
    app.router.add_post(path, adapter.handle_webhook)
    adapter.dispatcher.register(PLATFORM, adapter._process)

    async def _start(_: web.Application) -> None:
        await adapter.start()

    async def _stop(_: web.Application) -> None:
        await adapter.close()

    app.on_startup.append(_start)
    app.on_cleanup.append(_stop)


def _reminders_at_risk(services: Services) -> AtRisk:
    """The admins' 80 % notice counts the month's reminders still planned over LINE (bot.reminders)."""

    def at_risk(left: int) -> tuple[int, int]:
        from bot.reminders import line_reminders_ahead

        planned = line_reminders_ahead(services.repo, services.clock.now())
        return planned, max(0, planned - left)

    return at_risk


def line_adapter(settings: Settings, services: Services, outbox: Outbox | None = None, **overrides: Any) -> LineAdapter:
    """The LINE adapter as the environment configures it (the runner's LINE component)."""
    data_dir = services.data_dir
    try:
        secret = load_link_secret(settings.link_secret, data_dir)
    except (LinkError, OSError) as exc:
        raise StartupError(f"link_secret ใช้ไม่ได้ / unusable link secret: {exc}") from exc
    links = DownloadLinks(
        secret,
        data_dir / "exports" / "_links" if data_dir is not None else None,
        settings.public_base_url,
        services.clock,
    )
    if not settings.public_base_url:
        log.warning("PUBLIC_BASE_URL is not set: LINE users cannot download report files")
    options: dict[str, Any] = {
        "channel_secret": settings.line_channel_secret,
        "access_token": settings.line_access_token,
        "handle": services.engine.handle,
        "clock": services.clock,
        "repo": services.repo,
        "data_dir": data_dir,
        "links": links,
        "api_base_url": settings.line_api_base_url,
        "push_limit": settings.line_monthly_push_limit,
        "max_file_bytes": settings.max_file_mb * 1024 * 1024,
        "outbox": outbox,
        "sync_quota_on_start": True,
        "at_risk": _reminders_at_risk(services),
        "dispatcher": services.dispatcher(),
    }
    options.update(overrides)
    adapter = LineAdapter(**options)
    if services.database_url:  # several workers: one push count for all of them, in the database
        from .line_quota_shared import SharedPushQuota

        pool = services.repo.pool  # type: ignore[attr-defined]
        adapter.quota = SharedPushQuota(pool, adapter.quota.limit, services.clock, warn_ratio=0.8)
    return adapter
