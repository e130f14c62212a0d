"""Inbound files on Telegram: pick the largest photo or the file, download it at once, and gather albums.

Telegram delivers an album (media group) as separate messages sharing a media_group_id; `AlbumBuffer`
collects them for about a second so the engine sees ONE file event with every item.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Message
from telegram.error import BadRequest

from domain.events import Attachment, Incoming

__all__ = ["AlbumBuffer", "download_attachment", "file_of"]

log = logging.getLogger(__name__)

_FILE_KINDS: list[tuple[str, Callable[[Message], Any], str, str]] = [
    ("photo", lambda m: max(m.photo, key=lambda p: (p.width * p.height, p.file_size or 0)) if m.photo else None,
     "jpg", "image/jpeg"),
    ("file", lambda m: m.document, "bin", ""),
    ("file", lambda m: m.video, "mp4", "video/mp4"),
    ("file", lambda m: m.audio, "mp3", "audio/mpeg"),
    ("file", lambda m: m.voice, "ogg", "audio/ogg"),
]


def file_of(msg: Message) -> tuple[str, Any, str, str]:
    """(kind, PTB file object, display name, mime) of the message's largest photo or its file."""
    for kind, pick, ext, default_mime in _FILE_KINDS:
        obj = pick(msg)
        if obj is not None:
            name = getattr(obj, "file_name", None) or f"{kind}_{obj.file_unique_id}.{ext}"
            mime = getattr(obj, "mime_type", None) or default_mime
            return kind, obj, name, mime
    raise ValueError("message has no file")


async def download_attachment(msg: Message, max_bytes: int, fetch: bool = True) -> Attachment:
    """The message's file as an Attachment; too big (or not fetched) comes without data, with its size."""
    kind, obj, name, mime = file_of(msg)
    size = int(getattr(obj, "file_size", 0) or 0)
    if size > max_bytes or not fetch:
        return Attachment(name=name, data=None, mime=mime, size=size, kind=kind)
    try:
        tg_file = await obj.get_file()
        data = bytes(await tg_file.download_as_bytearray())
    except BadRequest as exc:
        if "too big" not in str(exc).lower():
            raise
        return Attachment(name=name, data=None, mime=mime, size=max(size, max_bytes + 1), kind=kind)
    return Attachment(name=name, data=data, mime=mime, size=len(data), kind=kind)


@dataclass
class _Album:
    """Items of one media group collected until the group is complete."""

    chat_id: int
    event: Incoming
    captions: list[str] = field(default_factory=list)
    timer: asyncio.Task[None] | None = None


class AlbumBuffer:
    """Holds album items per (chat, media_group_id) and hands each album to `deliver` as one event."""

    def __init__(self, deliver: Callable[[int, Incoming], Awaitable[None]], wait: float = 1.0) -> None:
        self.deliver = deliver
        self.wait = wait
        self._albums: dict[tuple[int, str], _Album] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, chat_id: int, group_id: str, event: Incoming, attachment: Attachment, caption: str) -> None:
        """One more item; the album goes out `wait` seconds after its last item."""
        key = (chat_id, group_id)
        album = self._albums.setdefault(key, _Album(chat_id, event))
        album.event.attachments.append(attachment)
        if caption:
            album.captions.append(caption)
        if album.timer is not None:
            album.timer.cancel()
        album.timer = asyncio.get_running_loop().create_task(self._later(key))
        self._tasks.add(album.timer)
        album.timer.add_done_callback(self._tasks.discard)

    async def _later(self, key: tuple[int, str]) -> None:
        await asyncio.sleep(self.wait)
        album = self._albums.get(key)
        if album is not None:
            album.timer = None  # this task is the one flushing: do not cancel it
        await self._flush(key)

    async def _flush(self, key: tuple[int, str]) -> None:
        album = self._albums.pop(key, None)
        if album is None:
            return
        if album.timer is not None:
            album.timer.cancel()
        album.event.text = "\n".join(album.captions)
        try:
            await self.deliver(album.chat_id, album.event)
        except Exception:
            log.exception("album %s in chat %s failed", key[1], key[0])

    async def flush_chat(self, chat_id: int) -> None:
        """Deliver this chat's pending albums now (whatever the user sends next must come after them)."""
        for key in [k for k in self._albums if k[0] == chat_id]:
            await self._flush(key)

    async def flush_all(self) -> None:
        """Deliver everything pending (shutdown)."""
        for key in list(self._albums):
            await self._flush(key)
        for task in list(self._tasks):
            task.cancel()
