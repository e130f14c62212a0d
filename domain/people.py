"""Who does what: the units a person reports for, the units they head (sections included), org-wide heads.

A person may hold several roles at once (storage.models.Officer.roles): officer of some units, head of
some units or of the whole organization, admin. Every view asks here instead of reading `role`, so an
admin who is also a unit's officer is reminded and listed like any officer. No I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from storage.models import Measure, Officer, Unit

from .ownership import responsible_units, with_sections

__all__ = [
    "is_officer",
    "is_head",
    "is_admin",
    "is_org_head",
    "report_unit_ids",
    "report_units",
    "head_scope",
    "sees_measure",
    "reporters",
    "grant",
]


def is_officer(person: Officer) -> bool:
    """Reports for at least one unit."""
    return person.has_role("officer") and bool(person.unit_ids)


def is_admin(person: Officer) -> bool:
    """Loads plans, invites anyone, switches people off and on."""
    return person.has_role("admin")


def is_head(person: Officer) -> bool:
    """Sees the progress of the units they head (admins see the whole organization)."""
    return person.has_role("head") or person.has_role("admin")


def is_org_head(person: Officer) -> bool:
    """Sees every unit: an admin, or a head who heads no particular unit (ปลัด, นายก)."""
    return is_admin(person) or (person.has_role("head") and not person.head_unit_ids)


def report_unit_ids(person: Officer) -> set[str]:
    """The units a person answers for as officer (empty when they are not an officer)."""
    return set(person.unit_ids) if person.has_role("officer") else set()


def report_units(person: Officer, units: list[Unit]) -> list[Unit]:
    """The units a person answers for, in the organization's order."""
    mine = report_unit_ids(person)
    return [u for u in units if u.id in mine]


def head_scope(person: Officer, units: list[Unit]) -> set[str] | None:
    """The units a head oversees with their sections; None means the whole organization; empty: no head."""
    if not is_head(person):
        return set()
    if is_org_head(person):
        return None
    return with_sections(person.head_unit_ids, units)


def sees_measure(scope: set[str] | None, measure: Measure, units: list[Unit]) -> bool:
    """Whether a head with this scope oversees the measure (one of its responsible units is in scope)."""
    if scope is None:
        return True
    return any(u.id in scope for u in responsible_units(measure, units))


def reporters(unit_id: str, people: Iterable[Officer]) -> list[Officer]:
    """The active people who report for a unit, whatever other roles they hold."""
    return [p for p in people if p.active and unit_id in report_unit_ids(p)]


def grant(person: Officer, role: str, unit_ids: Iterable[str] = ()) -> Officer:
    """Add a role to a person (officer: the units they report for; head: the units headed, none = all)."""
    new = list(unit_ids)
    if role == "officer":  # a head's unit_ids only mirror the units headed until they become an officer
        kept = person.unit_ids if person.has_role("officer") else []
        person.unit_ids = list(dict.fromkeys(kept + new))
    elif role == "head":  # no units, or already heading the whole organization: the whole organization
        whole = not new or (person.has_role("head") and not person.head_unit_ids)
        person.head_unit_ids = [] if whole else list(dict.fromkeys(person.head_unit_ids + new))
    if role not in person.roles:
        person.roles = [*person.roles, role]
    person.__post_init__()  # order the roles, refresh the strongest one
    return person
