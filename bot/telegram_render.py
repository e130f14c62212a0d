"""Renders neutral Replies within Telegram's limits: 4096-char texts, inline keyboards, documents/photos."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from domain.events import Button, OutFile, Reply
from domain.sends import REASON_BLOCKED, REASON_PLATFORM, REASON_UNKNOWN, Undeliverable

__all__ = ["MAX_CALLBACK_BYTES", "MAX_MESSAGE", "keyboard", "render_reply", "split_text"]

log = logging.getLogger(__name__)

MAX_MESSAGE = 4096
MAX_CALLBACK_BYTES = 64
CHOOSE_TEXT = "เลือกรายการ"  # a keyboard needs some text above it


def _hard_split(line: str, limit: int) -> list[str]:
    """Cut one over-long line, preferring spaces, never producing empty pieces."""
    pieces: list[str] = []
    while len(line) > limit:
        cut = line.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    if line:
        pieces.append(line)
    return pieces


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split under `limit` characters at line boundaries (a single huge line is cut at spaces)."""
    if len(text) <= limit:
        return [text] if text.strip() else []
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _hard_split(line, limit) or [""]:
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
                continue
            if current.strip():
                chunks.append(current)
            current = piece
    if current.strip():
        chunks.append(current)
    return chunks


def _button(b: Button) -> InlineKeyboardButton:
    """One inline button; the short data rule is enforced here so Telegram never rejects a keyboard."""
    if len(b.data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {b.data!r}")
    return InlineKeyboardButton(b.label, callback_data=b.data)


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """Rows of neutral buttons as an inline keyboard (None when there are none)."""
    built = [[_button(b) for b in row] for row in rows if row]
    return InlineKeyboardMarkup(built) if built else None


async def _send_file(bot: Bot, chat_id: int | str, f: OutFile) -> None:
    """A document via sendDocument, a photo via sendPhoto (multipart upload)."""
    data = f.path.read_bytes()
    if f.kind == "photo":
        await bot.send_photo(chat_id, photo=data, filename=f.name)
    else:
        await bot.send_document(chat_id, document=data, filename=f.name)


def _refusal(exc: TelegramError) -> Undeliverable:
    """Why Telegram refused a message, in the send log's words."""
    if isinstance(exc, Forbidden):
        return Undeliverable(REASON_BLOCKED, str(exc))
    if "chat not found" in str(exc).lower():
        return Undeliverable(REASON_UNKNOWN, str(exc))
    return Undeliverable(REASON_PLATFORM, str(exc))


async def render_reply(bot: Bot, chat_id: int | str, reply: Reply, raise_transient: bool = False) -> bool:
    """Send one reply: text chunks (keyboard under the last), then files; False if any part failed.

    With raise_transient, network trouble (timeouts, connection errors) is raised so a caller that
    retries later (the reminder service) can tell it from a permanent refusal such as a blocked bot.
    """
    markup = keyboard(reply.buttons)
    chunks = split_text(reply.text)
    if markup is not None and not chunks:
        chunks = [CHOOSE_TEXT]
    ok = True
    for i, chunk in enumerate(chunks):
        extra: dict[str, Any] = {"reply_markup": markup} if markup is not None and i == len(chunks) - 1 else {}
        try:
            await bot.send_message(chat_id, chunk, **extra)
        except (Forbidden, BadRequest) as exc:  # BadRequest is a NetworkError, yet never worth a retry
            if raise_transient:
                raise _refusal(exc) from exc
            log.warning("sendMessage to %s refused: %s", chat_id, exc)
            ok = False
        except NetworkError:
            if raise_transient:
                raise
            log.exception("sendMessage to %s failed", chat_id)
            ok = False
        except TelegramError:
            log.exception("sendMessage to %s failed", chat_id)
            ok = False
    for f in reply.files:
        try:
            await _send_file(bot, chat_id, f)
        except NetworkError:
            if raise_transient:
                raise
            log.exception("sending %s to %s failed", f.name, chat_id)
            ok = False
        except (OSError, TelegramError):
            log.exception("sending %s (%s) to %s failed", f.name, f.kind, chat_id)
            ok = False
    return ok
