"""Use cases shared by chat flows and the CLI: invites, registration, who reports what, saving reports."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import people
from domain.fiscal import Round, current_round, fiscal_year_of, get_round
from domain.ownership import responsible_units
from domain.status import MeasureStatus, round_statuses
from storage.clock import Clock
from storage.models import (
    ROLES,
    Evidence,
    Identity,
    Invite,
    Measure,
    Officer,
    Organization,
    ReportEntry,
    Unit,
    new_id,
)
from storage.repository import Repository

__all__ = [
    "InviteError",
    "RoundContext",
    "create_invite",
    "redeem_invite",
    "is_head",
    "is_admin",
    "officer_units",
    "round_context",
    "measures_for",
    "units_for_measure",
    "my_statuses",
    "save_report",
    "deactivate_officer",
    "set_officer_active",
    "set_identity_active",
    "identity_key",
]

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O/1/I: codes are read aloud and retyped


class InviteError(ValueError):
    """An invite code that cannot be used; .key names the Thai text to show."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def identity_key(platform: str, user_id: str) -> str:
    """The conversation-state key of a chat account."""
    return f"{platform}:{user_id}"


def is_admin(officer: Officer) -> bool:
    """Admins load plans, invite anyone and deactivate people (whatever other roles they hold)."""
    return people.is_admin(officer)


def is_head(officer: Officer) -> bool:
    """Heads (and admins) see their units' or organization's progress."""
    return people.is_head(officer)


def create_invite(
    repo: Repository,
    clock: Clock,
    org_id: str,
    role: str,
    unit_ids: list[str],
    name: str = "",
    position: str = "",
    created_by: str = "",
    valid_days: int = 7,
) -> Invite:
    """A one-time code bound to organization, units and role, valid for a week by default."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    now = clock.now()
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if repo.get_invite(code) is None:
            break
    invite = Invite(
        code=code,
        org_id=org_id,
        role=role,
        unit_ids=list(unit_ids),
        name=name,
        position=position,
        created_by=created_by,
        created_at=now.isoformat(timespec="seconds"),
        expires_at=(now + timedelta(days=valid_days)).isoformat(timespec="seconds"),
    )
    repo.save_invite(invite)
    return invite


def redeem_invite(
    repo: Repository, clock: Clock, code: str, platform: str, user_id: str, chat_id: str, display_name: str
) -> Officer:
    """Turn a valid invite into a registered officer linked to this chat account (once, across processes)."""
    now = clock.now()
    stamp = now.isoformat(timespec="seconds")

    def make(invite: Invite | None) -> Officer:  # runs under the repository's cross-process lock
        if invite is None:
            raise InviteError("invite_unknown")
        if invite.used_by:
            raise InviteError("invite_used")
        if invite.expires_at and datetime.fromisoformat(invite.expires_at) < now:
            raise InviteError("invite_expired")
        return Officer(
            id=new_id("p"),
            org_id=invite.org_id,
            display_name=(invite.name or display_name or "เจ้าหน้าที่")[:80],
            role=invite.role,
            position=invite.position,
            unit_ids=list(invite.unit_ids),
            identities=[Identity(platform, str(user_id), str(chat_id or user_id), True, stamp)],
            created_at=stamp,
        )

    return repo.redeem_invite(code.strip().upper(), make, platform, str(user_id))


def officer_units(officer: Officer, units: list[Unit]) -> list[Unit]:
    """The units a person answers for as officer, in the organization's order."""
    return people.report_units(officer, units)


@dataclass
class RoundContext:
    """The fiscal year with a plan and the round a date falls in."""

    fiscal_year: int
    round: Round
    measures: list[Measure]


def round_context(repo: Repository, org_id: str, clock: Clock) -> RoundContext:
    """Today's fiscal year and round, with that year's plan (empty when none was imported)."""
    today = clock.today()
    fy = fiscal_year_of(today)
    rnd = current_round(today)
    measures = repo.list_measures(org_id, fy)
    if not measures:
        planned = [y for y in repo.fiscal_years(org_id) if y <= fy]
        if planned and planned[-1] != fy:
            fy = planned[-1]
            measures = repo.list_measures(org_id, fy)
            rnd = get_round(fy, 12)  # an old plan: its last round is the one still open to report
    return RoundContext(fy, rnd, measures)


def measures_for(officer: Officer, measures: list[Measure], round_no: int, units: list[Unit]) -> list[Measure]:
    """Measures this person reports in the round: monitored then, and one of their units is responsible."""
    return [m for m in measures if m.monitored_in(round_no) and units_for_measure(officer, m, units)]


def units_for_measure(officer: Officer, measure: Measure, units: list[Unit]) -> list[Unit]:
    """Which of the person's units answer for this measure."""
    resp = {u.id for u in responsible_units(measure, units)}
    return [u for u in officer_units(officer, units) if u.id in resp]


def my_statuses(
    officer: Officer, measures: list[Measure], units: list[Unit], entries: Sequence[ReportEntry], round_no: int,
    by_round: dict[int, dict[tuple[str, str], ReportEntry]] | None = None,
) -> list[MeasureStatus]:
    """The person's measures in a round with the status of *their* units' answers (domain.status)."""
    mine = [u.id for u in officer_units(officer, units)]
    return round_statuses(measures, units, entries, round_no, only_units=mine, by_round=by_round)


def save_report(
    repo: Repository,
    clock: Clock,
    officer: Officer,
    fiscal_year: int,
    round_no: int,
    measure_id: str,
    unit_id: str,
    status: str,
    summary: str = "",
    outcome: str = "",
    reason: str = "",
    evidence: list[Evidence] | None = None,
) -> ReportEntry:
    """Append a revision of a unit's answer (history is never rewritten)."""
    entry = ReportEntry(
        id=new_id("r"),
        org_id=officer.org_id,
        fiscal_year=fiscal_year,
        measure_id=measure_id,
        round=round_no,
        unit_id=unit_id,
        status=status,
        summary=summary,
        outcome=outcome,
        reason=reason,
        evidence=list(evidence or []),
        officer_id=officer.id,
        officer_name=officer.display_name,
        created_at=clock.now().isoformat(timespec="seconds"),
    )
    return repo.add_report(entry)


def set_officer_active(repo: Repository, org_id: str, officer_id: str, active: bool) -> Officer | None:
    """Switch a person off (no access, no reminders) or back on; None when there is no such person."""
    officer = repo.get_officer(org_id, officer_id)
    if officer is None:
        return None
    officer.active = active
    repo.save_officer(officer)
    return officer


def deactivate_officer(repo: Repository, org_id: str, officer_id: str) -> Officer | None:
    """Switch a person off: they can no longer see or change anything, and get no reminders."""
    return set_officer_active(repo, org_id, officer_id, False)


def set_identity_active(repo: Repository, platform: str, user_id: str, active: bool) -> bool:
    """Mark a chat account (in)active, e.g. after a LINE unfollow or a blocked Telegram bot."""
    found = repo.find_identity(platform, str(user_id))
    if not found:
        return False
    officer = repo.get_officer(*found)
    if officer is None:
        return False
    for ident in officer.identities:
        if ident.platform == platform and ident.user_id == str(user_id):
            ident.active = active
    repo.save_officer(officer)
    return True


def find_org(repo: Repository, name: str | None = None) -> Organization | None:
    """The only organization, or the one with that name or id."""
    orgs = repo.list_orgs()
    if name:
        return next((o for o in orgs if name in (o.id, o.name)), None)
    return orgs[0] if len(orgs) == 1 else None
