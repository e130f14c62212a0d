"""The durable inbox: every platform event is on disk (fsync'd) before the platform hears "200".

Records are appended to a log segment (one JSON line per event, keyed by the platform's event id:
LINE ``webhookEventId``, Telegram ``update_id``); finished keys go to the segment's done log. A segment
whose events are all done is deleted once enough newer events keep the duplicate window filled. The
cost of an event is two appends and one fsync, whatever the number of offices hosted: the record is
fsync'd before the platform hears "200"; its done mark is not. A done mark is in the kernel's page
cache once written, so a killed process loses none; only a power loss or a kernel crash can forget
the last seconds' marks, and then those events are processed again, as after a crash between
processing and marking: the at-least-once contract the dispatcher always had (a repeated save keeps
its entry id and is stored once; a repeated button press carries a spent nonce and is refused). No
acknowledged event is ever lost: records stay fsync'd, and duplicate keys come from the records.
A torn last line (a kill mid-append: never acknowledged) is ignored; any other unreadable line is
damage and stops startup. One process owns the inbox of a data directory (an flock on ``inbox/.lock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .atomic import StartupError, StoreCorrupted, fsync_dir, safe_json_loads

__all__ = ["FileInbox", "Inbox", "InboxBusy", "InboxRecord", "InboxUnavailable"]

SEGMENT_RECORDS = 1000  # a segment is closed (and later compacted) after this many events
KEEP_KEYS = 5000  # event ids remembered for de-duplication after their events are done


class InboxUnavailable(OSError):
    """The inbox cannot be written (disk full, read-only, I/O error): the platform must retry."""


class InboxBusy(StartupError):
    """Another process already serves this data directory's inbox."""


@dataclass
class InboxRecord:
    """One platform event as received: the platform, the chat whose order it keeps, and its body."""

    key: str
    platform: str
    chat: str
    payload: dict[str, Any] = field(default_factory=dict)

    def line(self) -> bytes:
        """The record as one log line."""
        row = {"k": self.key, "p": self.platform, "c": self.chat, "d": self.payload}
        return (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class Inbox(Protocol):
    """What the dispatcher needs; PostgreSQL can implement it as a table with a unique key."""

    def append(self, records: list[InboxRecord]) -> list[bool]: ...
    def done(self, key: str) -> None: ...
    def pending(self) -> list[InboxRecord]: ...
    def probe(self) -> bool: ...
    def close(self) -> None: ...


@dataclass
class _Segment:
    """One log file and its done log; keys in append order."""

    no: int
    keys: list[str] = field(default_factory=list)
    done: set[str] = field(default_factory=set)

    def finished(self) -> bool:
        return all(k in self.done for k in self.keys)


class FileInbox:
    """Append-only, fsync'd segments under a directory; in memory when the directory is None."""

    def __init__(self, directory: Path | None, segment_records: int = SEGMENT_RECORDS, keep: int = KEEP_KEYS) -> None:
        self.directory = directory
        self.segment_records = segment_records
        self.keep = keep
        self._lock = threading.Lock()
        self._segments: OrderedDict[int, _Segment] = OrderedDict()
        self._where: dict[str, int] = {}  # key → segment number (the de-duplication index)
        self._records: dict[str, InboxRecord] = {}  # unfinished records only
        self._fd: int | None = None
        self._current: _Segment | None = None
        self._lock_fh: Any = None
        self._next_no = 1
        self._unsynced: set[int] = set()  # segments whose done log has marks not yet fsync'd
        if directory is not None:
            self._open_dir(directory)

    # ----- opening -----------------------------------------------------------------------------
    def _open_dir(self, directory: Path) -> None:
        """Take the directory, load every segment, drop what is finished."""
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fh = open(directory / ".lock", "a+b")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            fh.close()
            raise InboxBusy(
                f"อีกโปรเซสหนึ่งใช้กล่องรับข้อความของ {directory} อยู่ / another itabot process serves {directory}"
            ) from exc
        self._lock_fh = fh
        numbers = sorted(int(p.stem[4:]) for p in directory.glob("seg-*.log") if p.stem[4:].isdigit())
        for no in numbers:
            self._load_segment(no)
        self._next_no = max(numbers, default=0) + 1  # never append to a file an earlier process left
        self._compact()

    def _path(self, no: int, ext: str) -> Path:
        assert self.directory is not None
        return self.directory / f"seg-{no:08d}.{ext}"

    def _load_segment(self, no: int) -> None:
        """Read one segment and its done log; a torn last line was never acknowledged and is skipped."""
        seg = _Segment(no)
        for row in _lines(self._path(no, "log")):
            record = InboxRecord(str(row["k"]), str(row["p"]), str(row["c"]), dict(row.get("d") or {}))
            if record.key in self._where:
                continue
            seg.keys.append(record.key)
            self._where[record.key] = no
            self._records[record.key] = record
        done_path = self._path(no, "done")
        if done_path.exists():
            for row in _lines(done_path):
                seg.done.add(str(row))
                self._records.pop(str(row), None)
        self._segments[no] = seg

    # ----- writing -----------------------------------------------------------------------------
    def append(self, records: list[InboxRecord]) -> list[bool]:
        """Store new records durably (one fsync); False for a key already stored (a redelivery)."""
        with self._lock:
            fresh: list[InboxRecord] = []
            flags = []
            for record in records:
                new = record.key not in self._where and all(r.key != record.key for r in fresh)
                flags.append(new)
                if new:
                    fresh.append(record)
            if fresh and self.directory is not None:
                self._write(b"".join(r.line() for r in fresh))
            seg = self._segment_for_append()
            for record in fresh:
                seg.keys.append(record.key)
                self._where[record.key] = seg.no
                self._records[record.key] = record
            return flags

    def _segment_for_append(self) -> _Segment:
        """The open segment (a fresh one per process and after every SEGMENT_RECORDS events)."""
        if self._current is None or len(self._current.keys) >= self.segment_records:
            self._rotate()
        assert self._current is not None
        return self._current

    def _rotate(self) -> None:
        """Close the open segment and start the next one."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        no, self._next_no = self._next_no, self._next_no + 1
        self._current = self._segments[no] = _Segment(no)
        self._compact()

    def _write(self, data: bytes) -> None:
        """Append and fsync; on failure the segment is abandoned (its torn tail is skipped on load)."""
        seg = self._segment_for_append()
        try:
            if self._fd is None:
                self._fd = os.open(self._path(seg.no, "log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                fsync_dir(self._path(seg.no, "log").parent)
            _write_all(self._fd, data)
            os.fsync(self._fd)
        except OSError as exc:
            self._current = None  # never append after a possibly torn line
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
                self._fd = None
            if not seg.keys:  # nothing acknowledged in it: drop the file with its torn record
                self._segments.pop(seg.no, None)
                with contextlib.suppress(OSError):
                    self._path(seg.no, "log").unlink()
            raise InboxUnavailable(exc.errno, f"inbox not writable: {exc.strerror or exc}") from exc

    def done(self, key: str) -> None:
        """Mark a record finished (written, not fsync'd: see the module docstring); closing syncs the marks."""
        with self._lock:
            no = self._where.get(key)
            if no is None or key not in self._records:
                return
            seg = self._segments[no]
            if self.directory is not None:
                line = (json.dumps(key, ensure_ascii=False) + "\n").encode("utf-8")
                try:
                    fd = os.open(self._path(no, "done"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                    try:
                        _write_all(fd, line)
                    finally:
                        os.close(fd)
                    self._unsynced.add(no)
                except OSError as exc:
                    raise InboxUnavailable(exc.errno, f"inbox not writable: {exc.strerror or exc}") from exc
            seg.done.add(key)
            self._records.pop(key, None)
            if seg is not self._current and seg.finished():
                self._compact()

    def _compact(self) -> None:
        """Delete finished closed segments once newer ones hold at least `keep` event ids."""
        newer = 0
        for no in reversed(list(self._segments)):
            seg = self._segments[no]
            if newer >= self.keep and seg is not self._current and seg.finished():
                del self._segments[no]
                for key in seg.keys:
                    self._where.pop(key, None)
                if self.directory is not None:
                    for ext in ("log", "done"):
                        with contextlib.suppress(OSError):
                            self._path(no, ext).unlink()
            newer += len(seg.keys)

    # ----- reading -----------------------------------------------------------------------------
    def pending(self) -> list[InboxRecord]:
        """Unfinished records in arrival order."""
        with self._lock:
            return [self._records[k] for seg in self._segments.values() for k in seg.keys if k in self._records]

    def probe(self) -> bool:
        """Can the inbox's directory take a durable write right now? (for /healthz after a failure)"""
        if self.directory is None:
            return True
        path = self.directory / ".probe"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                _write_all(fd, b"ok\n")
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError:
            return False
        return True

    def close(self) -> None:
        """Make the done marks durable, release the file and the directory lock."""
        with self._lock:
            for no in sorted(self._unsynced):
                with contextlib.suppress(OSError):  # a deleted segment's marks are moot; a failed sync repeats work
                    fd = os.open(self._path(no, "done"), os.O_RDONLY)
                    try:
                        os.fsync(fd)
                    finally:
                        os.close(fd)
            self._unsynced.clear()
            if self._fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._fd)
                self._fd = None
            self._current = None
            if self._lock_fh is not None:
                self._lock_fh.close()
                self._lock_fh = None


def _write_all(fd: int, data: bytes) -> None:
    """os.write until everything is written (a short write is not an error by itself)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _lines(path: Path) -> list[Any]:
    """The parsed complete lines of a log; an unreadable complete line is damage."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreCorrupted(path, None, f"unreadable: {exc.strerror or exc}") from exc
    complete = raw[: raw.rfind(b"\n") + 1]
    rows = []
    for i, line in enumerate(complete.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(safe_json_loads(line))
        except ValueError as exc:
            raise StoreCorrupted(path, None, f"line {i}: {exc}") from exc
    for row in rows:
        if not (isinstance(row, str) or (isinstance(row, dict) and {"k", "p", "c"} <= row.keys())):
            raise StoreCorrupted(path, None, "not an inbox record")
    return rows
