"""Rules evidence must meet: dated in the assessed year, covering each required component, not reused.

Pure functions over Evidence records (their taken_on, sha256 and phash were read when the file came in):
the chat flow, the recap, /status and the report all ask here, so they flag the same things.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from storage.models import Evidence, ReportEntry

from .fiscal import fiscal_year_bounds, get_round

__all__ = [
    "DATE_BEFORE_YEAR",
    "DATE_AFTER_ROUND",
    "PHASH_NEAR",
    "date_flag",
    "Coverage",
    "coverage",
    "PriorUse",
    "Reuse",
    "ReuseIndex",
]

DATE_BEFORE_YEAR = "before_year"  # made before the fiscal year began: last year's photo
DATE_AFTER_ROUND = "after_round"  # dated after the round's end (a wrong camera clock, or a later round)
PHASH_NEAR = 10  # bits of 64: re-encoded, resized or lightly cropped copies stay within this


def date_flag(taken_on: str, fiscal_year: int, round_no: int) -> str | None:
    """Why an evidence date does not fit the round, or None when it fits or is unknown."""
    if not taken_on:
        return None
    try:
        day = date.fromisoformat(taken_on[:10])
    except ValueError:
        return None
    start, _ = fiscal_year_bounds(fiscal_year)
    if day < start:
        return DATE_BEFORE_YEAR
    if day > get_round(fiscal_year, round_no).end:
        return DATE_AFTER_ROUND
    return None


@dataclass(frozen=True)
class Coverage:
    """Which required components the evidence covers (by evidence id), and which are missing."""

    items: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def missing(self) -> list[str]:
        """Requirements no evidence covers."""
        return [req for req, ids in self.items if not ids]

    @property
    def complete(self) -> bool:
        """Every requirement is covered."""
        return not self.missing

    def marks(self) -> list[str]:
        """"✓ ผลการดำเนินงาน" / "✗ ข้อเสนอแนะ" lines for a recap or a report cell."""
        return [("✓ " if ids else "✗ ") + req for req, ids in self.items]


def coverage(requirements: Sequence[str], covered_by: dict[str, list[str]], evidence: Iterable[Evidence]) -> Coverage:
    """Match the officer's answers (requirement → evidence ids) against the evidence still attached."""
    present = {e.id for e in evidence}
    return Coverage(
        tuple((req, tuple(i for i in covered_by.get(req, []) if i in present)) for req in requirements)
    )


@dataclass(frozen=True)
class PriorUse:
    """Where an evidence item was used before: which answer, measure, year and round."""

    evidence_id: str
    sha256: str
    phash: str
    entry_id: str
    measure_id: str
    fiscal_year: int
    round: int
    unit_id: str
    created_at: str


@dataclass(frozen=True)
class Reuse:
    """A new item that matches an earlier use: exactly (same file) or nearly (same photo, re-encoded)."""

    prior: PriorUse
    exact: bool
    distance: int


@dataclass
class ReuseIndex:
    """Every earlier evidence item of an office, indexed for a fast exact and near-duplicate lookup."""

    uses: list[PriorUse] = field(default_factory=list)
    _by_sha: dict[str, list[int]] = field(default_factory=dict)
    _hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    _rows: list[int] = field(default_factory=list)
    _pending: list[int] = field(default_factory=list)

    @classmethod
    def from_entries(cls, entries: Iterable[ReportEntry]) -> ReuseIndex:
        """Index the evidence of an office's answers (every year and round)."""
        index = cls()
        for entry in entries:
            index.add_entry(entry)
        return index

    def add_entry(self, entry: ReportEntry) -> None:
        """Index one answer's evidence items (links are not compared)."""
        for ev in entry.evidence:
            if ev.kind == "url":
                continue
            self.add(PriorUse(ev.id, ev.sha256, ev.phash, entry.id, entry.measure_id, entry.fiscal_year,
                              entry.round, entry.unit_id, entry.created_at))

    def add(self, use: PriorUse) -> None:
        """Index one earlier use."""
        row = len(self.uses)
        self.uses.append(use)
        if use.sha256:
            self._by_sha.setdefault(use.sha256, []).append(row)
        if use.phash:
            self._pending.append(row)

    def ready(self) -> ReuseIndex:
        """Built completely, so that lookups from several threads only read it."""
        self._flush()
        return self

    def _flush(self) -> None:
        if not self._pending:
            return
        fresh = np.array([int(self.uses[r].phash, 16) for r in self._pending], dtype=np.uint64)
        self._hashes = np.concatenate([self._hashes, fresh])
        self._rows.extend(self._pending)
        self._pending = []

    def matches(self, ev: Evidence, max_distance: int = PHASH_NEAR) -> list[Reuse]:
        """Earlier uses of the same file or a near-identical photo, nearest first."""
        found: dict[int, Reuse] = {}
        for row in self._by_sha.get(ev.sha256, []) if ev.sha256 else []:
            found[row] = Reuse(self.uses[row], True, 0)
        if ev.phash:
            self._flush()
            if len(self._hashes):
                dist = np.bitwise_count(self._hashes ^ np.uint64(int(ev.phash, 16)))
                for pos in np.flatnonzero(dist <= max_distance):
                    row = self._rows[int(pos)]
                    found.setdefault(row, Reuse(self.uses[row], False, int(dist[pos])))
        return sorted(found.values(), key=lambda r: (r.distance, r.prior.created_at))

    def suspicious(self, ev: Evidence, measure_id: str, fiscal_year: int) -> list[Reuse]:
        """Uses worth flagging: another fiscal year, or another measure (a correction of the same answer is not)."""
        return [
            r
            for r in self.matches(ev)
            if r.prior.evidence_id != ev.id and (r.prior.fiscal_year != fiscal_year or r.prior.measure_id != measure_id)
        ]
