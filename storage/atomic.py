"""A TinyDB storage whose every write is atomic and durable, with the previous version kept as .bak."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

__all__ = ["AtomicJSONStorage", "StoreCorrupted", "atomic_write_bytes", "file_signature"]


class StoreCorrupted(RuntimeError):
    """A database file does not parse; raised instead of loading it silently."""

    def __init__(self, path: Path, backup: Path | None, reason: str) -> None:
        self.path = path
        self.backup = backup
        hint = (
            f"สำเนาล่าสุดที่ดี / last good backup: {backup}"
            if backup
            else "ไม่พบสำเนาสำรอง / no backup found"
        )
        super().__init__(
            f"ไฟล์ฐานข้อมูลเสียหาย / damaged database file: {path} ({reason}). {hint}. "
            "หยุดทำงานเพื่อไม่ให้ข้อมูลเสียหายเพิ่ม: ตรวจสอบแล้วคัดลอกสำเนาทับไฟล์ที่เสีย / "
            "stopping so nothing more is lost: inspect it, then copy the backup over the damaged file."
        )


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: fsync the directory entry."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes, keep_backup: bool = False) -> None:
    """Write via temp file + fsync + os.replace; optionally keep the old version as path.bak."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if keep_backup and path.exists():
            bak = path.with_name(path.name + ".bak")
            link_tmp = path.with_name(f".{path.name}.bak.tmp")
            try:
                if link_tmp.exists():
                    link_tmp.unlink()
                os.link(path, link_tmp)
                os.replace(link_tmp, bak)
            except OSError:
                pass  # a missing backup never blocks a write
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """What changes when another process replaces the file (inode, size, mtime)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class AtomicJSONStorage(Storage):
    """JSON storage for TinyDB: parsed once, re-read only when the file changed on disk."""

    def __init__(self, path: str | Path, **_: Any) -> None:
        self.path = Path(path)
        self._cache: dict[str, Any] | None = None
        self._sig: tuple[int, int, int] | None = None

    def read(self) -> dict[str, Any] | None:
        """Return the tables, loading (and validating) the file only if it changed."""
        sig = file_signature(self.path)
        if sig is None:
            self._cache, self._sig = None, None
            return None
        if self._cache is not None and sig == self._sig:
            return self._cache
        raw = self.path.read_bytes()
        try:
            data = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            bak = self.path.with_name(self.path.name + ".bak")
            raise StoreCorrupted(self.path, bak if bak.exists() else None, str(exc)) from exc
        if data is not None and not isinstance(data, dict):
            bak = self.path.with_name(self.path.name + ".bak")
            raise StoreCorrupted(self.path, bak if bak.exists() else None, "not a JSON object")
        self._cache, self._sig = data, sig
        return data

    def write(self, data: dict[str, Any]) -> None:
        """Serialize, then atomically replace the file; the cache follows only a durable write."""
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            atomic_write_bytes(self.path, payload, keep_backup=True)
        except BaseException:
            self._cache, self._sig = None, None
            raise
        self._cache, self._sig = data, file_signature(self.path)

    def close(self) -> None:
        """Nothing is held open between calls."""
