"""Digests of database files already checked, so a start re-checks only what changed since.

Checking a year file against the models (storage/schema.py) costs far more than reading it: with
hundreds of offices a start spent minutes parsing and checking files nobody had touched. This record,
``<data dir>/.verified`` (JSON), maps each file to the SHA-256 of the content last found good (checked
in full, or written by itabot from checked records). A start reads every file and hashes it (about a
millisecond per year file): a file whose bytes match its record is known good and is parsed only when
first used; any other byte string, damage included, is checked in full as before and refused when bad.
The record names the models it was checked against: another release's checks start from nothing.
A lost or damaged record only costs time (everything is checked again), never a missed damage.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from .atomic import atomic_write_bytes

__all__ = ["VERIFIED_FILE", "Verified", "digest"]

VERIFIED_FILE = ".verified"


def digest(raw: bytes) -> str:
    """The content's SHA-256 (hex)."""
    return hashlib.sha256(raw).hexdigest()


class Verified:
    """Which content of which file was found good by the checks named `checks` (thread-safe)."""

    def __init__(self, data_dir: Path | None, checks: str) -> None:
        self.path = data_dir / VERIFIED_FILE if data_dir is not None else None
        self.checks = checks
        self._lock = threading.Lock()
        self._good: dict[str, str] = {}
        self._dirty = False
        if self.path is not None:
            self._good = self._read()

    def _read(self) -> dict[str, str]:
        """The stored record (empty when missing, damaged or written for other checks)."""
        assert self.path is not None
        try:
            doc = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(doc, dict) or doc.get("checks") != self.checks or not isinstance(doc.get("files"), dict):
            return {}
        return {str(k): str(v) for k, v in doc["files"].items() if isinstance(v, str)}

    def known(self, rel: str, raw: bytes) -> bool:
        """True when exactly these bytes of this file were found good before."""
        expected = self._good.get(rel)
        return expected is not None and expected == digest(raw)

    def vouch(self, rel: str, raw: bytes) -> None:
        """These bytes of the file are good (just checked, or written from checked records)."""
        value = digest(raw)
        with self._lock:
            if self._good.get(rel) != value:
                self._good[rel] = value
                self._dirty = True

    def save(self) -> None:
        """Keep the record for the next start (merged with what other processes recorded meanwhile)."""
        if self.path is None:
            return
        with self._lock:
            if not self._dirty:
                return
            merged = {**self._read(), **self._good}
            payload = json.dumps({"checks": self.checks, "files": merged}, separators=(",", ":")).encode("utf-8")
            try:
                atomic_write_bytes(self.path, payload)
            except OSError:
                return  # only a cost: the next start checks those files again
            self._dirty = False
