"""A TinyDB storage whose every write is atomic and durable, with the previous version kept as .bak."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

__all__ = [
    "AtomicJSONStorage",
    "JSONTooDeep",
    "MAX_JSON_DEPTH",
    "StartupError",
    "StoreCorrupted",
    "atomic_write_bytes",
    "check_writable",
    "file_signature",
    "fsync_dir",
    "private_mkdir",
    "remove_stale_temp_files",
    "safe_json_loads",
]

PARSED_PER_BYTE = 3  # a parsed year file takes ~2.9x its UTF-8 size (dicts of Thai strings, CPython 3.11)
MAX_JSON_DEPTH = 32  # our files nest 5 deep; LINE and Telegram bodies about 8
PROCESS_START = time.time()
_STRINGS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')  # unrolled: ~2.5x faster on long Thai strings
_NOT_BRACKETS = bytes(i for i in range(256) if i not in b"[]{}")


class StartupError(RuntimeError):
    """Something in the data directory or the environment keeps itabot from starting: one clear line."""

    exit_code = 1  # bot.cli's EXIT_ERROR; a damaged file is 3


class JSONTooDeep(ValueError):
    """JSON nested deeper than anything itabot writes or receives (a nesting bomb)."""


def safe_json_loads(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads for untrusted bytes: UTF-8 only and a depth limit checked before parsing."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    text = data.decode("utf-8")  # UnicodeDecodeError is a ValueError
    brackets = _STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for char in brackets:
        depth += 1 if char in b"[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > max_depth:
                raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except RecursionError as exc:  # pragma: no cover - the scan above stops this first
        raise JSONTooDeep("JSON nested too deep") from exc


class StoreCorrupted(StartupError):
    """A database file does not parse; raised instead of loading it silently."""

    exit_code = 3

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


def private_mkdir(directory: Path) -> None:
    """Create a directory and its missing parents as 0700 (mkdir -p would use the umask)."""
    missing = []
    for parent in [directory, *directory.parents]:
        if parent.exists():
            break
        missing.append(parent)
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)


def check_writable(directory: Path) -> None:
    """Refuse to start on a data directory we cannot write (read-only mount, wrong owner, a file)."""
    try:
        private_mkdir(directory)
        fd, tmp = tempfile.mkstemp(prefix=".writable.", suffix=".tmp", dir=directory)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise StartupError(
            f"เขียนโฟลเดอร์ข้อมูลไม่ได้ / data directory not writable: {directory} ({exc.strerror or exc})"
        ) from exc


def remove_stale_temp_files(directory: Path) -> int:
    """Delete temp files a killed process left behind (older than this process); return how many."""
    removed = 0
    cutoff = PROCESS_START - 5.0  # a live writer's temp file is milliseconds old
    for path in directory.rglob(".*.tmp"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def fsync_dir(directory: Path) -> None:
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
    private_mkdir(path.parent)
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
    fsync_dir(path.parent)


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """What changes when another process replaces the file (inode, size, mtime)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


Validator = Callable[[dict[str, Any]], str | None]
"""Checks a parsed file: None when good, else what is wrong (a missing field, a wrong type)."""
Trust = Callable[[bytes], bool]
"""True when exactly these bytes were found good before (storage/verified.py): no check needed."""
Vouch = Callable[[bytes], None]
"""Told the bytes of the file once they are known good (checked in full, or written by us)."""


class AtomicJSONStorage(Storage):
    """JSON storage for TinyDB: parsed once, re-read only when the file changed on disk.

    A damaged file (empty, truncated, not UTF-8, too deep, not matching the models) raises
    StoreCorrupted and this storage then refuses every write, so its .bak stays the last good copy.
    A writer (``writing()`` true) gets copies of the tables: TinyDB edits what read() returns in
    place, and readers on other threads must never see a half-made change.
    """

    def __init__(
        self,
        path: str | Path,
        validate: Validator | None = None,
        writing: Callable[[], bool] | None = None,
        trust: Trust | None = None,
        vouch: Vouch | None = None,
        **_: Any,
    ) -> None:
        self.path = Path(path)
        self._validate = validate
        self._trust = trust
        self._vouch = vouch
        self._writing = writing or (lambda: False)
        self._cache: dict[str, Any] | None = None
        self._sig: tuple[int, int, int] | None = None
        self._damaged: StoreCorrupted | None = None
        self._text: tuple[str, dict[str, Any], str] | None = None  # a table's JSON as last appended to

    def _backup(self) -> Path | None:
        bak = self.path.with_name(self.path.name + ".bak")
        return bak if bak.exists() else None

    def _refuse(self, reason: str) -> StoreCorrupted:
        self._cache, self._sig = None, None
        self._damaged = StoreCorrupted(self.path, self._backup(), reason)
        return self._damaged

    def read(self) -> dict[str, Any] | None:
        """Return the tables, loading (and validating) the file only if it changed."""
        tables = self.read_shared()
        if tables is not None and self._writing():
            return {name: {k: dict(v) for k, v in table.items()} for name, table in tables.items()}
        return tables

    def _load(self, sig: tuple[int, int, int]) -> None:
        """Parse and check the file on disk; damage is raised, never read as an empty database."""
        try:
            raw = self.path.read_bytes()
        except OSError as exc:
            raise self._refuse(f"unreadable: {exc.strerror or exc}") from exc
        if not raw.strip():
            raise self._refuse("empty file / ไฟล์ว่าง")
        if self._trust is not None and self._trust(raw):  # these very bytes were checked before
            with contextlib.suppress(ValueError):
                self._cache, self._sig, self._damaged = json.loads(raw), sig, None
                return
        try:
            data = safe_json_loads(raw)
        except ValueError as exc:
            raise self._refuse(str(exc)) from exc
        problem = _shape_problem(data)
        if problem is None and self._validate is not None:
            problem = self._validate(data)
        if problem is not None:
            raise self._refuse(problem)
        self._cache, self._sig, self._damaged = data, sig, None
        if self._vouch is not None:
            self._vouch(raw)

    def read_shared(self) -> dict[str, Any] | None:
        """The tables as cached, never copied, even for a writer: the caller changes nothing in them."""
        sig = file_signature(self.path)
        if sig is None:
            self._cache, self._sig, self._damaged = None, None, None
            return None
        if self._cache is None or sig != self._sig:
            self._load(sig)
        return self._cache

    def write(self, data: dict[str, Any]) -> None:
        """Serialize, then atomically replace the file; the cache follows only a durable write."""
        self._publish(data, _dumps(data).encode("utf-8"))

    def append_row(self, tables: dict[str, Any], name: str, doc_id: str, doc: dict[str, Any]) -> None:
        """Write `tables` (as read_shared gave them) plus one row, re-serializing only what changed.

        The file is still replaced whole and atomically; only the text of the grown table is reused from the
        last append (a year's reports are ~0.5 MB of JSON, and a save adds one row to them).
        """
        old = tables.get(name, {})
        grown = {**old, doc_id: doc}
        data = {**tables, name: grown}
        row = f"{_dumps(doc_id)}:{_dumps(doc)}"
        kept = self._text if self._text is not None and self._text[0] == name and self._text[1] is old else None
        text = _dumps(grown) if kept is None else f"{kept[2][:-1]}{',' if old else ''}{row}}}"
        parts = (f"{_dumps(k)}:{text if k == name else _dumps(v)}" for k, v in data.items())
        self._publish(data, f"{{{','.join(parts)}}}".encode())
        self._text = (name, grown, text)

    def _publish(self, data: dict[str, Any], payload: bytes) -> None:
        """Atomically replace the file with payload (the JSON of data); the cache follows only a durable write."""
        if self._damaged is not None:
            raise self._damaged  # the .bak beside a damaged file is the last good copy: keep it
        self._text = None
        good_on_disk = self._sig is not None and file_signature(self.path) == self._sig
        try:
            atomic_write_bytes(self.path, payload, keep_backup=good_on_disk)
        except BaseException:
            self._cache, self._sig = None, None
            raise
        self._cache, self._sig = data, file_signature(self.path)
        if self._vouch is not None:  # written from checked records: the next start need not check it
            self._vouch(payload)

    def held_bytes(self) -> int:
        """About what this storage keeps in memory: its parsed file (~3x its size on disk) and a kept table text."""
        parsed = PARSED_PER_BYTE * self._sig[1] if self._cache is not None and self._sig is not None else 0
        return parsed + (sys.getsizeof(self._text[2]) if self._text is not None else 0)

    def close(self) -> None:
        """Nothing is held open between calls."""


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # json.dumps builds one per call otherwise


def _dumps(value: Any) -> str:
    """The store's JSON: compact, UTF-8 as is."""
    return _ENCODER.encode(value)


def _shape_problem(data: Any) -> str | None:
    """TinyDB's layout: an object of tables, each an object of documents (objects)."""
    if not isinstance(data, dict):
        return "not a JSON object"
    for name, table in data.items():
        if not isinstance(table, dict):
            return f"table {name!r} is not an object"
        for doc_id, doc in table.items():
            if not isinstance(doc, dict):
                return f"table {name!r} row {doc_id}: not an object"
    return None
