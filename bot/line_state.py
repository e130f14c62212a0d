"""Small LINE state kept in the data directory: the monthly push count (event ids live in the inbox)."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

from storage.atomic import atomic_write_bytes
from storage.clock import Clock

__all__ = ["PushQuota"]

log = logging.getLogger(__name__)

class PushQuota:
    """Pushes counted per calendar month (Asia/Bangkok) against a cap, with the admin notices owed."""

    def __init__(self, path: Path | None, limit: int, clock: Clock, warn_ratio: float = 0.9) -> None:
        self.path = path
        self.limit = max(0, int(limit))
        self.clock = clock
        self.warn_at = min(max(1, math.ceil(self.limit * warn_ratio)), max(1, self.limit - 1))
        self._state: dict[str, Any] = {}
        if path is not None and path.exists():
            try:
                self._state = json.loads(path.read_text("utf-8"))
            except ValueError:
                log.warning("unreadable push counter %s: starting from the LINE figures", path)

    def _current(self) -> dict[str, Any]:
        """This month's record, started afresh when the month changed."""
        month = self.clock.now().strftime("%Y-%m")
        if self._state.get("month") != month:
            self._state = {"month": month, "count": 0, "notices": [], "told": {}}
        return self._state

    def _save(self) -> None:
        if self.path is not None:
            atomic_write_bytes(self.path, json.dumps(self._state, ensure_ascii=False).encode("utf-8"))

    @property
    def used(self) -> int:
        """Pushes sent this month."""
        return int(self._current()["count"])

    def allows(self) -> bool:
        """True while another push fits under the cap."""
        return self.used < self.limit

    def record(self) -> list[str]:
        """Count one accepted push; return the notices ("warn", "cap") this push newly made due."""
        state = self._current()
        state["count"] += 1
        due = []
        if state["count"] >= self.warn_at and "warn" not in state["notices"]:
            due.append("warn")
        if state["count"] >= self.limit and "cap" not in state["notices"]:
            due.append("cap")
        state["notices"].extend(due)
        self._save()
        return due

    def mark_capped(self) -> bool:
        """LINE said the monthly limit is reached: treat the cap as hit; True if that is news."""
        state = self._current()
        state["count"] = max(state["count"], self.limit)
        news = "cap" not in state["notices"]
        if news:
            state["notices"].append("cap")
        self._save()
        return news

    def sync(self, used_remote: int, limit_remote: int | None) -> None:
        """Adopt LINE's own figures when they are stricter than ours."""
        if limit_remote is not None and limit_remote < self.limit:
            self.limit = limit_remote
        state = self._current()
        if used_remote > state["count"]:
            state["count"] = used_remote
            self._save()

    def owed(self, officer_id: str) -> list[str]:
        """Notices raised this month that this admin has not been given yet."""
        state = self._current()
        told = state["told"].get(officer_id, [])
        return [n for n in state["notices"] if n not in told]

    def mark_told(self, officer_id: str, notices: list[str]) -> None:
        """Remember that an admin got these notices (each is given once a month)."""
        state = self._current()
        told = state["told"].setdefault(officer_id, [])
        told.extend(n for n in notices if n not in told)
        self._save()
