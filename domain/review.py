"""The review and approval rules: what a head's decision on an answer means now, and whether an approval holds.

Nothing here does I/O. Decisions are append-only records (storage.models.Review / Approval); the newest
decision counts, and a later change to the answers it was about makes it stale:
- a unit's answer "returned" (ส่งกลับแก้ไข) stays รอแก้ไข until the unit saves a new revision, then it is
  "revised" (แก้ไขแล้ว, waiting for a new look); "accepted" likewise lapses to "revised" on a new revision;
- a round's approval is valid only for the answers it was given on: the digest of the round's answers
  (answers_digest) is kept with it, and any change to an answer makes the approval "outdated".

How callers ask (every view the same way):
    digest = answers_digest(repo.list_reports(org_id, fy), round_no)   # the year's entries, carried ones count
    approval = current_approval(repo.list_approvals(org_id, fy, round_no), digest)   # one round's decisions
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime

from storage.models import (
    APPROVAL_APPROVED,
    APPROVAL_RETURNED,
    REVIEW_ACCEPTED,
    REVIEW_RETURNED,
    Approval,
    ReportEntry,
    Review,
)

from .status import MeasureStatus, answers_by_round, latest_entries

__all__ = [
    "Review",
    "Approval",
    "ACCEPTED",
    "RETURNED",
    "REVISED",
    "UNREVIEWED",
    "REVIEW_ORDER",
    "APPROVED",
    "OUTDATED",
    "NO_APPROVAL",
    "APPROVAL_RETURNED",
    "answers_digest",
    "latest_review",
    "unit_review_state",
    "measure_review_state",
    "review_states",
    "count_returned",
    "approval_state",
    "current_approval",
    "last_decision",
]

ACCEPTED = REVIEW_ACCEPTED
RETURNED = REVIEW_RETURNED  # รอแก้ไข
REVISED = "revised"  # the unit saved a new revision after the decision: waiting for a new look
UNREVIEWED = "none"
REVIEW_ORDER: tuple[str, ...] = (RETURNED, REVISED, UNREVIEWED, ACCEPTED)

APPROVED = APPROVAL_APPROVED
OUTDATED = "outdated"
NO_APPROVAL = "none"

# what of an answer an approval or review is about (who saved it and when is not the answer)
_CONTENT = ("status", "summary", "outcome", "reason", "suggestion", "confirmed_from")


def _when(iso: str) -> datetime | None:
    """An ISO timestamp as a datetime (None when empty or unreadable: such a record sorts first)."""
    try:
        return datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def _after(a: str, b: str) -> bool:
    """True when timestamp a is later than b (aware datetimes compare across offsets)."""
    ta, tb = _when(a), _when(b)
    if ta is None or tb is None:
        return False
    try:
        return ta > tb
    except TypeError:  # one naive, one aware: compare as written
        return a > b


def _answer_fingerprint(entry: ReportEntry) -> dict[str, object]:
    """The parts of an answer a reader of the report sees (evidence by content, not by upload)."""
    content: dict[str, object] = {name: getattr(entry, name) for name in _CONTENT}
    content["evidence"] = sorted((e.kind, e.url, e.sha256, e.note) for e in entry.evidence)
    return content


def answers_digest(entries: Iterable[ReportEntry], round_no: int | None = None) -> str:
    """A stable SHA-256 of the newest answer per (measure, unit): any change to an answer changes it.

    With round_no, answers of earlier rounds count where the unit has none of that round (carried forward,
    as the report shows them) and later rounds are ignored; without it, the entries given are one round's.
    """
    items = list(entries)
    if round_no is None:
        chosen = latest_entries(items)
    else:
        chosen = {}
        for r, answers in sorted(answers_by_round(items).items()):
            if r <= round_no:
                chosen.update(answers)  # a later round's answer replaces the carried one
    rows = [[m, u, _answer_fingerprint(e)] for (m, u), e in sorted(chosen.items())]
    raw = json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def latest_review(reviews: Iterable[Review], round_no: int, measure_id: str, unit_id: str) -> Review | None:
    """The newest decision on a unit's answer in a round (a decision without a unit covers every unit)."""
    found: Review | None = None
    for r in reviews:
        if r.round_no == round_no and r.measure_id == measure_id and r.unit_id in (unit_id, None, ""):
            found = r  # stored oldest first: the last match is the newest
    return found


def unit_review_state(review: Review | None, entry: ReportEntry | None) -> str:
    """accepted / returned / revised / none for one unit's current answer under the newest decision."""
    if review is None:
        return UNREVIEWED
    changed = entry is not None and (entry.revision != review.answer_revision or _after(entry.created_at, review.at))
    if changed:
        return REVISED
    return RETURNED if review.state == REVIEW_RETURNED else ACCEPTED


def measure_review_state(status: MeasureStatus, reviews: Sequence[Review]) -> str:
    """A measure's review state over its units: returned if any unit's answer waits for a fix, accepted if all are."""
    states = [
        unit_review_state(latest_review(reviews, status.round, status.measure.id, a.unit.id), a.entry)
        for a in status.answers
    ]
    if not states:
        return UNREVIEWED
    for state in (RETURNED, REVISED):
        if state in states:
            return state
    return ACCEPTED if all(s == ACCEPTED for s in states) else UNREVIEWED


def review_states(statuses: Iterable[MeasureStatus], reviews: Sequence[Review]) -> dict[str, str]:
    """Every measure's review state by measure id (what the report, /status and /review show)."""
    return {st.measure.id: measure_review_state(st, reviews) for st in statuses}


def count_returned(statuses: Iterable[MeasureStatus], reviews: Sequence[Review]) -> int:
    """How many measures wait for a fix (the heads' digest counts รอแก้ไข)."""
    return sum(1 for s in review_states(statuses, reviews).values() if s == RETURNED)


def last_decision(approvals: Iterable[Approval]) -> Approval | None:
    """The approver's newest decision (approved or sent back), None before any."""
    found: Approval | None = None
    for a in approvals:
        found = a  # stored oldest first
    return found


def current_approval(approvals: Iterable[Approval], current_digest: str) -> Approval | None:
    """The approval valid for the current answers: the newest decision, an approval, of these very answers."""
    last = last_decision(approvals)
    if last is None or last.decision != APPROVAL_APPROVED or last.answers_digest != current_digest:
        return None
    return last


def approval_state(approvals: Iterable[Approval], current_digest: str) -> str:
    """none / approved / outdated: outdated when the newest decision approved answers that have changed since."""
    last = last_decision(approvals)
    if last is None or last.decision != APPROVAL_APPROVED:
        return NO_APPROVAL
    return APPROVED if last.answers_digest == current_digest else OUTDATED
