"""What the background link check found for each evidence link, kept through the repository.

One small record per evidence id (a setting "linkcheck:<id>"), written in one repository call, so a
check is either stored whole or not at all and two checks never race over a shared document. The
evidence item itself stays immutable (revisions copy it with its id, so the result follows it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .repository import Repository

__all__ = ["KEY_PREFIX", "MAX_ATTEMPTS", "save_link_check", "link_check", "link_checks", "needs_check"]

KEY_PREFIX = "linkcheck:"
MAX_ATTEMPTS = 3  # network failures (no answer at all) are retried at later starts, this many times in all


def save_link_check(repo: Repository, org_id: str, evidence_id: str, result: dict[str, Any]) -> None:
    """Store one link's latest check (status, final address, title, when, whether it is final)."""
    repo.set_setting(org_id, KEY_PREFIX + evidence_id, dict(result))


def link_check(repo: Repository, org_id: str, evidence_id: str) -> dict[str, Any] | None:
    """The stored check of one link, or None when it was never checked."""
    value = repo.get_setting(org_id, KEY_PREFIX + evidence_id, None)
    return value if isinstance(value, dict) else None


def link_checks(repo: Repository, org_id: str, evidence_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Evidence id → stored check, for the links that have one."""
    out: dict[str, dict[str, Any]] = {}
    for ev_id in dict.fromkeys(evidence_ids):
        found = link_check(repo, org_id, ev_id)
        if found is not None:
            out[ev_id] = found
    return out


def needs_check(result: dict[str, Any] | None) -> bool:
    """Never checked, or only unanswered attempts so far (fewer than MAX_ATTEMPTS)."""
    if result is None:
        return True
    return not result.get("final", True) and int(result.get("attempts", 1)) < MAX_ATTEMPTS
