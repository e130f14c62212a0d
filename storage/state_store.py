"""Conversation state on TinyDB's side: one small append-only file per chat, so a step is one small write.

A chat's file (``orgs/<org>/states/<key>.state``) holds one JSON line per step, ``{"k": key, "s": state}``
(state null once forgotten); the last complete line is the state. A step appends a line and fsyncs it: one write of
a few hundred bytes, whatever the office's size, and no lock shared with other chats or with report
saves. When a file passes COMPACT_BYTES it is replaced by its last line (temp file, fsync, rename).
A torn last line (a kill mid-append) was never acknowledged: it is skipped on reading and cut off before
the next append. Any other unreadable line is damage and is refused, like every other store file.
Writers of one chat in several processes take an flock on the file; a writer that finds the file
replaced by a compaction meanwhile opens the new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from .atomic import StoreCorrupted, atomic_write_bytes, fsync_dir, private_mkdir, safe_json_loads

__all__ = ["COMPACT_BYTES", "StateStore", "parse_state", "state_file_name", "state_line"]

COMPACT_BYTES = 32 * 1024  # about 20 steps of a report conversation before the file is rewritten small
SUFFIX = ".state"
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # json.dumps builds one per call otherwise
_KEEP = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def state_file_name(key: str) -> str:
    """A chat key as a file name: readable, one-to-one (``%XX`` for other bytes), never hidden, bounded."""
    name = "".join(c if c in _KEEP else "".join(f"%{b:02X}" for b in c.encode("utf-8")) for c in key)
    if not name or len(name) > 180:
        name = "h-" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return name + SUFFIX


def state_line(key: str, state: dict[str, Any] | None) -> bytes:
    """One step as a line of a chat's file."""
    return (_ENCODER.encode({"k": key, "s": state}) + "\n").encode("utf-8")


def parse_state(path: Path, raw: bytes, every_line: bool = True) -> tuple[str, dict[str, Any] | None] | None:
    """(key, state) of the last complete line, None for an empty file; a torn tail is skipped, an
    unreadable complete line is damage (only the last one is read unless every_line)."""
    complete = raw[: raw.rfind(b"\n") + 1]
    if not every_line:
        complete = complete[complete.rfind(b"\n", 0, len(complete) - 1) + 1 :]
    last: tuple[str, dict[str, Any] | None] | None = None
    for i, line in enumerate(complete.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = safe_json_loads(line)
        except ValueError as exc:
            raise StoreCorrupted(path, None, f"line {i}: {exc}") from exc
        state = row.get("s", False) if isinstance(row, dict) else False
        if not (isinstance(row, dict) and isinstance(row.get("k"), str)) or not (state is None or isinstance(state, dict)):
            raise StoreCorrupted(path, None, f"line {i}: not a conversation state")
        last = (row["k"], state)
    return last


class StateStore:
    """Per-chat state files under a data directory's organization folders (in memory when None)."""

    def __init__(self, data_dir: Path | None, compact_bytes: int | None = None) -> None:
        self.data_dir = data_dir
        self.compact_bytes = compact_bytes or COMPACT_BYTES
        self._memory: dict[tuple[str, str], str] = {}  # JSON text: callers get their own copy
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def path(self, folder: str, key: str) -> Path:
        """The file of one chat in one organization's folder (`folder` is already a safe name)."""
        assert self.data_dir is not None
        return self.data_dir / "orgs" / folder / "states" / state_file_name(key)

    # ----- reading -----------------------------------------------------------------------------
    def get(self, folder: str, key: str) -> dict[str, Any] | None:
        """The chat's state, or None (never stored, or forgotten)."""
        if self.data_dir is None:
            text = self._memory.get((folder, key))
            return json.loads(text) if text is not None else None
        path = self.path(folder, key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreCorrupted(path, None, f"unreadable: {exc.strerror or exc}") from exc
        last = parse_state(path, raw, every_line=False)  # every line was checked at start
        return last[1] if last is not None else None

    def all(self, folder: str) -> dict[str, dict[str, Any]]:
        """Every stored state of one organization by its chat key (for copying a store)."""
        if self.data_dir is None:
            return {k: json.loads(text) for (f, k), text in self._memory.items() if f == folder}
        found = {}
        for path in sorted((self.data_dir / "orgs" / folder / "states").glob(f"*{SUFFIX}")):
            last = parse_state(path, path.read_bytes(), every_line=False)
            if last is not None and last[1] is not None:
                found[last[0]] = last[1]
        return found

    def check_all(self) -> int:
        """At start: read every state file, so damage stops us here rather than mid-conversation."""
        if self.data_dir is None:
            return 0
        found = 0
        for path in sorted((self.data_dir / "orgs").glob(f"*/states/*{SUFFIX}")):
            parse_state(path, path.read_bytes())
            found += 1
        return found

    # ----- writing -----------------------------------------------------------------------------
    def put(self, folder: str, key: str, state: dict[str, Any] | None) -> None:
        """Store (None: forget) a chat's state with one fsync'd append."""
        line = state_line(key, state)
        if self.data_dir is None:
            if state is None:
                self._memory.pop((folder, key), None)
            else:
                self._memory[(folder, key)] = json.dumps(state, ensure_ascii=False)
            return
        path = self.path(folder, key)
        if state is None and not path.exists():
            return  # nothing stored: nothing to forget
        with self._chat_lock(str(path)):
            self._append(path, line)

    def _chat_lock(self, name: str) -> threading.Lock:
        """One lock per chat file in this process (flock does not order threads of one process)."""
        with self._guard:
            lock = self._locks.get(name)
            if lock is None:
                lock = self._locks[name] = threading.Lock()
            return lock

    def _append(self, path: Path, line: bytes) -> None:
        """Append under the file's flock; compact when the file grew past the threshold."""
        while True:
            fd, created = _open_append(path)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if not _same_file(fd, path):  # compacted by another process meanwhile: use the new file
                    continue
                size = _cut_torn_tail(fd)
                if size + len(line) > self.compact_bytes:
                    atomic_write_bytes(path, line)  # the last line is the whole state: the file starts over (0600)
                else:
                    _write_all(fd, line)
                    os.fdatasync(fd)
                    if created:
                        fsync_dir(path.parent)
                return
            finally:
                os.close(fd)  # releases the flock


def _open_append(path: Path) -> tuple[int, bool]:
    """Open for appending (and reading the tail), creating the file (0600) and its folder when missing."""
    flags = os.O_RDWR | os.O_APPEND
    try:
        return os.open(path, flags), False
    except FileNotFoundError:
        if not path.parent.is_dir():
            private_mkdir(path.parent)
            fsync_dir(path.parent.parent)
        try:
            return os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600), True
        except FileExistsError:
            return os.open(path, flags), False


def _same_file(fd: int, path: Path) -> bool:
    """Is the open file still the one the path names (a compaction replaces it)?"""
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _cut_torn_tail(fd: int) -> int:
    """Drop a last line a killed writer left unfinished; the size the file has afterwards."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return size
    raw = os.pread(fd, size, 0)
    keep = raw.rfind(b"\n") + 1
    os.ftruncate(fd, keep)
    with contextlib.suppress(OSError):
        os.fdatasync(fd)
    return keep


def _write_all(fd: int, data: bytes) -> None:
    """os.write until everything is written (a short write is not an error by itself)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
