"""Console adapter: a chat in the terminal (or a pipe) driving the same engine as Telegram and LINE."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from domain.events import Attachment, Button, Incoming, Reply
from handlers.engine import Engine
from handlers.matching import match_button
from handlers.texts import t

__all__ = ["ConsoleAdapter", "render_reply"]

PLATFORM = "console"
QUIT = {"/quit", "/exit"}
FILE_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".doc", ".docx", ".xls", ".xlsx", ".csv", ".txt", ".zip")


def render_reply(reply: Reply, start: int = 1) -> tuple[str, list[Button]]:
    """Text, then buttons as numbered options, then files as paths."""
    lines = [reply.text] if reply.text else []
    buttons = reply.flat_buttons()
    for i, button in enumerate(buttons, start):
        lines.append(f"  [{i}] {button.label}")
    for f in reply.files:
        lines.append(f"  📎 {f.name}: {f.path}")
    return "\n".join(lines), buttons


class ConsoleAdapter:
    """Turns typed lines into events; numbers or labels press the last message's buttons."""

    def __init__(self, engine: Engine, out: TextIO, user_id: str = "demo", max_file_bytes: int = 20 * 1024 * 1024) -> None:
        self.engine = engine
        self.out = out
        self.user_id = user_id
        self.max_file_bytes = max_file_bytes
        self.buttons: list[Button] = []

    def to_event(self, line: str) -> Incoming:
        """A typed line as a neutral event."""
        text = line.strip()
        button = match_button(text, self.buttons)
        if button is not None:
            return self._press(button)
        path = self._as_path(text)
        if path is not None:
            return self._file(path)
        return Incoming.from_text(PLATFORM, self.user_id, line.rstrip("\n"), chat_id=self.user_id, display_name="ผู้ทดลองใช้")

    def _press(self, button: Button) -> Incoming:
        return Incoming(PLATFORM, self.user_id, "button", data=button.data, chat_id=self.user_id)

    @staticmethod
    def _as_path(text: str) -> Path | None:
        """An existing file named on the line (quotes allowed) is sent as evidence."""
        cleaned = text.strip("'\"")
        if not cleaned or cleaned.startswith("/") and " " not in cleaned and not Path(cleaned).is_file():
            return None
        try:
            path = Path(cleaned).expanduser()
            return path if path.is_file() else None
        except (OSError, ValueError):
            return None

    @staticmethod
    def _looks_like_path(text: str) -> bool:
        """A line meant as a file name (quoted, /a/b, ~/a, ./a or name.pdf), not a command or a link."""
        if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":
            return True
        if not text or any(c.isspace() for c in text) or "://" in text or text.lower().startswith("www."):
            return False
        if text.startswith(("~", "./", "../")) or (text.startswith("/") and "/" in text[1:]):
            return True
        return text.lower().endswith(FILE_SUFFIXES) and not text.startswith("/")

    def _lang(self) -> str:
        """The demo person's language, for the few words the adapter says itself."""
        found = self.engine.repo.find_identity(PLATFORM, self.user_id)
        officer = self.engine.repo.get_officer(*found) if found else None
        return officer.lang if officer else "th"

    def _file(self, path: Path) -> Incoming:
        size = path.stat().st_size
        data = path.read_bytes() if size <= self.max_file_bytes else None
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        kind = "photo" if mime.startswith("image/") else "file"
        att = Attachment(name=path.name, data=data, mime=mime, size=size, kind=kind)
        return Incoming(PLATFORM, self.user_id, "file", attachments=[att], chat_id=self.user_id)

    def send(self, line: str) -> list[Reply]:
        """Feed one line, print the replies, remember their buttons; a missing file is said so here."""
        event = self.to_event(line)
        if event.kind in ("text", "command") and self._looks_like_path(line.strip()):
            self.out.write(t(self._lang(), "file_not_found", path=line.strip().strip("'\"")) + "\n\n")
            self.out.flush()
            return []  # the last message's buttons stay pressable
        replies = self.engine.handle(event)
        self.show(replies)
        return replies

    def show(self, replies: Iterable[Reply]) -> None:
        """Print replies; only the newest message's buttons stay pressable by number."""
        buttons: list[Button] = []
        for reply in replies:
            text, shown = render_reply(reply, len(buttons) + 1)
            buttons.extend(shown)
            self.out.write(text + "\n\n")
        self.buttons = buttons
        self.out.flush()

    def run(self, lines: Iterable[str], echo: bool, prompt: str = "> ") -> None:
        """Read lines until end of input (or /quit)."""
        if not echo:
            self.out.write(prompt)
            self.out.flush()
        for line in lines:
            if echo:
                self.out.write(f"{prompt}{line.rstrip()}\n")
            if line.strip() in QUIT:
                break
            if line.strip():
                self.send(line)
            if not echo:
                self.out.write(prompt)
                self.out.flush()
        self.out.write("\n")
