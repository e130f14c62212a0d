"""The neutral event model: what any platform adapter sends in and gets back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Attachment", "Button", "Incoming", "OutFile", "Reply"]


@dataclass
class Attachment:
    """A photo or file the user sent; data is None when the adapter refused to download it (too big)."""

    name: str
    data: bytes | None
    mime: str = ""
    size: int = 0
    kind: str = "file"  # "photo" | "file"


@dataclass
class Incoming:
    """One thing a user did: a text, a /command, a button press or attachments."""

    platform: str
    user_id: str
    kind: str  # "text" | "command" | "button" | "file" | "follow" | "unfollow"
    text: str = ""
    command: str = ""
    args: str = ""
    data: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    chat_id: str = ""
    display_name: str = ""
    is_group: bool = False

    @classmethod
    def from_text(cls, platform: str, user_id: str, text: str, **kw: object) -> Incoming:
        """Parse a typed line: "/cmd args" becomes a command, anything else text."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            head, _, rest = stripped[1:].partition(" ")
            command = head.split("@", 1)[0].lower()
            return cls(platform, user_id, "command", text=text, command=command, args=rest.strip(), **kw)  # type: ignore[arg-type]
        return cls(platform, user_id, "text", text=text, **kw)  # type: ignore[arg-type]


@dataclass
class Button:
    """A choice; data is a short opaque id (≤ 64 bytes), never a Thai title."""

    label: str
    data: str


@dataclass
class OutFile:
    """A document or photo to deliver (a download link on platforms that cannot send files)."""

    path: Path
    name: str
    mime: str
    kind: str = "document"  # "document" | "photo"


@dataclass
class Reply:
    """One message back: text, optional rows of buttons, optional files."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    files: list[OutFile] = field(default_factory=list)
    recipient: str = ""  # empty: the sender; else "platform:user_id" for pushes
    lang: str = ""  # the reader's language ("en"), for words an adapter adds itself; empty: Thai

    def flat_buttons(self) -> list[Button]:
        """Buttons in reading order."""
        return [b for row in self.buttons for b in row]
