"""Evidence files kept by content hash under the data directory; user names never touch the filesystem."""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

from .atomic import atomic_write_bytes
from .evidence_meta import content_date, photo_phash
from .models import Evidence, new_id

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EvidenceError",
    "EvidenceStore",
    "safe_display_name",
    "validate_url",
]

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
IMAGE_MIMES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


class EvidenceError(ValueError):
    """Evidence that cannot be accepted; the message is Thai and shown to the user."""


def safe_display_name(name: str, fallback: str = "file") -> str:
    """Keep only the last path part, no control characters, at most 120 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return name[:120] or fallback


def validate_url(text: str) -> str:
    """Accept only http(s) links with a host; return the trimmed link."""
    url = text.strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise EvidenceError("ลิงก์ไม่ถูกต้อง") from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in url:
        raise EvidenceError("รับเฉพาะลิงก์ที่ขึ้นต้นด้วย http:// หรือ https://")
    if len(url) > 2000:
        raise EvidenceError("ลิงก์ยาวเกินไป")
    return url


class EvidenceStore:
    """Stores evidence bytes as evidence/<aa>/<sha256>; metadata lives with the report in the database."""

    def __init__(self, root: Path | None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._memory: dict[str, bytes] = {}

    def path_for(self, sha256: str) -> Path | None:
        """Where a stored file lives (None in memory mode or for a malformed hash)."""
        if self.root is None or not re.fullmatch(r"[0-9a-f]{64}", sha256):
            return None
        return self.root / sha256[:2] / sha256

    def put(
        self, data: bytes, name: str, mime: str = "", uploader_id: str = "", created_at: str = ""
    ) -> Evidence:
        """Check size, hash and store the bytes once; return the evidence record."""
        if not data:
            raise EvidenceError("ไฟล์ว่างเปล่า ลองส่งใหม่อีกครั้ง")
        if len(data) > self.max_bytes:
            limit = self.max_bytes // (1024 * 1024)
            raise EvidenceError(f"ไฟล์ใหญ่เกิน {limit} MB ส่งไฟล์ที่เล็กลง หรือส่งเป็นลิงก์แทน")
        display = safe_display_name(name)
        mime = mime or mimetypes.guess_type(display)[0] or "application/octet-stream"
        sha = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha)
        if path is None:
            self._memory[sha] = data
        elif not path.exists():
            atomic_write_bytes(path, data)
        kind = "photo" if mime in IMAGE_MIMES else "file"
        made = content_date(data, mime)
        return Evidence(
            id=new_id("e"),
            kind=kind,
            sha256=sha,
            name=display,
            mime=mime,
            size=len(data),
            uploader_id=uploader_id,
            created_at=created_at,
            taken_on=made.isoformat() if made else "",
            phash=photo_phash(data) if kind == "photo" else "",
        )

    def read(self, sha256: str) -> bytes | None:
        """The stored bytes, or None when missing."""
        if sha256 in self._memory:
            return self._memory[sha256]
        path = self.path_for(sha256)
        if path is None or not path.exists():
            return None
        return path.read_bytes()

    def link(self, url: str, uploader_id: str = "", created_at: str = "") -> Evidence:
        """A validated link as evidence."""
        clean = validate_url(url)
        return Evidence(id=new_id("e"), kind="url", url=clean, uploader_id=uploader_id, created_at=created_at)
