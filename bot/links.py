"""Signed, unguessable, expiring download links for platforms that cannot carry files (LINE).

A link is ``{PUBLIC_BASE_URL}/dl/{file_id}/{expires}/{sig}``: ``file_id`` is 32 random hex digits naming a
snapshot copied into ``exports/links/`` when the link was made, ``expires`` is a Unix time and ``sig`` is
HMAC-SHA256(secret, "file_id.expires") in URL-safe base64. Only a ``file_id`` that matches the strict
pattern ever reaches the filesystem; expired or altered links get 403.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from storage.atomic import atomic_write_bytes, private_mkdir
from storage.clock import Clock

__all__ = [
    "DEFAULT_TTL",
    "DownloadLink",
    "DownloadLinks",
    "LinkError",
    "add_download_routes",
    "load_link_secret",
]

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(hours=24)
SECRET_FILE = "link_secret"
ID_RE = re.compile(r"[0-9a-f]{32}")
EXPIRES_RE = re.compile(r"[0-9]{1,12}")
SIG_RE = re.compile(r"[A-Za-z0-9_-]{43}")
KEEP_AFTER_EXPIRY = timedelta(days=1)
ROUTE = "/dl/{file_id}/{expires}/{sig}"


class LinkError(RuntimeError):
    """A link cannot be made (no public URL or no place to keep the snapshot)."""


@dataclass(frozen=True)
class DownloadLink:
    """A ready link and when it stops working."""

    url: str
    file_id: str
    expires_at: datetime


def load_link_secret(env_value: str, data_dir: Path | None) -> bytes:
    """ITABOT_LINK_SECRET if set; else a random secret kept in data_dir/link_secret (0600), made once."""
    if env_value.strip():
        return env_value.strip().encode("utf-8")
    if data_dir is None:
        return secrets.token_bytes(32)  # in-memory mode: links live as long as the process
    path = Path(data_dir) / SECRET_FILE
    if not path.exists():
        _create_secret_file(path)
    secret = path.read_bytes().strip()
    if len(secret) < 32:
        raise LinkError(f"{path} is too short to be a link secret; delete it to make a new one")
    return secret


def _create_secret_file(path: Path) -> None:
    """Write a fresh secret with 0600 perms; os.link makes it first-writer-wins across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_hex(32).encode("ascii"))
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):  # another process won the race: use its secret
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


class DownloadLinks:
    """Makes and checks links; serves exactly the snapshot a link names."""

    def __init__(
        self,
        secret: bytes,
        store_dir: Path | None,
        public_base_url: str,
        clock: Clock,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self._secret = secret
        self.store_dir = Path(store_dir) if store_dir is not None else None
        self.public_base_url = public_base_url.strip().rstrip("/")
        self.clock = clock
        self.ttl = ttl

    @property
    def available(self) -> bool:
        """True when links can be made: a public URL and a directory for snapshots."""
        return bool(self.public_base_url) and self.store_dir is not None

    # ----- signing ----------------------------------------------------------------------------
    def sign(self, file_id: str, expires: int) -> str:
        """HMAC-SHA256 over (file id, expiry), URL-safe base64 without padding."""
        mac = hmac.new(self._secret, f"{file_id}.{expires}".encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def check(self, file_id: str, expires: str, sig: str) -> bool:
        """True only for a well-formed, untampered, unexpired link (constant-time comparison)."""
        if not (ID_RE.fullmatch(file_id) and EXPIRES_RE.fullmatch(expires) and SIG_RE.fullmatch(sig)):
            return False
        good = hmac.compare_digest(self.sign(file_id, int(expires)).encode("ascii"), sig.encode("ascii"))
        return good and int(expires) > int(self.clock.now().timestamp())

    # ----- publishing -------------------------------------------------------------------------
    def publish(self, path: Path, name: str, mime: str = "") -> DownloadLink:
        """Snapshot the file under a random id and return its signed link."""
        if not self.available or self.store_dir is None:
            raise LinkError("PUBLIC_BASE_URL is not set or there is no data directory")
        self._prune()
        file_id = secrets.token_hex(16)
        expires_at = self.clock.now() + self.ttl
        expires = int(expires_at.timestamp())
        target = self.store_dir / file_id
        private_mkdir(self.store_dir)
        tmp = self.store_dir / f".{file_id}.tmp"
        shutil.copyfile(path, tmp)
        os.chmod(tmp, 0o600)  # reports hold personal data whatever the umask
        os.replace(tmp, target)
        meta = {"name": name or Path(path).name, "mime": mime or "application/octet-stream", "expires": expires}
        atomic_write_bytes(self._meta_path(file_id), json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        url = f"{self.public_base_url}/dl/{file_id}/{expires}/{self.sign(file_id, expires)}"
        return DownloadLink(url=url, file_id=file_id, expires_at=expires_at)

    def _meta_path(self, file_id: str) -> Path:
        assert self.store_dir is not None
        return self.store_dir / f"{file_id}.meta"

    def _prune(self) -> None:
        """Drop snapshots a day after their links expired, so the folder stays small."""
        if self.store_dir is None or not self.store_dir.is_dir():
            return
        cutoff = int((self.clock.now() - KEEP_AFTER_EXPIRY).timestamp())
        for meta_path in self.store_dir.glob("*.meta"):
            try:
                expires = int(json.loads(meta_path.read_text("utf-8")).get("expires", 0))
            except (OSError, ValueError, AttributeError):
                continue
            if expires < cutoff and ID_RE.fullmatch(meta_path.stem):
                for victim in (self.store_dir / meta_path.stem, meta_path):
                    with contextlib.suppress(FileNotFoundError):
                        victim.unlink()

    def resolve(self, file_id: str) -> tuple[Path, str, str] | None:
        """The snapshot's path, download name and type for a validated id (None when gone)."""
        if self.store_dir is None or not ID_RE.fullmatch(file_id):
            return None
        path = self.store_dir / file_id
        try:
            meta = json.loads(self._meta_path(file_id).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not path.is_file():
            return None
        return path, str(meta.get("name") or file_id), str(meta.get("mime") or "application/octet-stream")

    # ----- serving ----------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /dl/{file_id}/{expires}/{sig}: the file, or 403 for a bad or expired link."""
        file_id = request.match_info.get("file_id", "")
        expires = request.match_info.get("expires", "")
        sig = request.match_info.get("sig", "")
        if not self.check(file_id, expires, sig):
            log.info("refused download link for %r", file_id[:40])
            return web.Response(status=403, text="ลิงก์หมดอายุหรือไม่ถูกต้อง / link expired or invalid")
        found = self.resolve(file_id)
        if found is None:
            return web.Response(status=404, text="ไม่พบไฟล์ / file not found")
        path, name, mime = found
        ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name) or "download"
        disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
        headers = {
            "Content-Type": mime,
            "Content-Disposition": disposition,
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        }
        return web.FileResponse(path, headers=headers)


    def register_routes(self, server: Any) -> None:
        """Mount the download route on bot.web.WebServer (before it starts)."""
        server.add_route("GET", ROUTE, self.handle)


def add_download_routes(app: web.Application, links: DownloadLinks) -> None:
    """Mount GET /dl/{file_id}/{expires}/{sig} on the web server."""
    app.router.add_get(ROUTE, links.handle)
