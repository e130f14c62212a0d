"""Who owns a measure: responsible units, sections inside their division, the units a person covers."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from storage.models import Measure, Unit

__all__ = ["responsible_units", "responsibility", "top_units", "with_sections", "parent_of"]


def parent_of(unit: Unit) -> str:
    """The division a section sits in ("" for a division itself)."""
    return str(getattr(unit, "parent_id", "") or "")


def top_units(units: list[Unit]) -> list[Unit]:
    """The divisions (ส่วนราชการ): units that are not a section of another unit."""
    ids = {u.id for u in units}
    return [u for u in units if parent_of(u) not in ids]


def responsible_units(measure: Measure, units: list[Unit]) -> list[Unit]:
    """The units that must answer for a measure: its named units, or every division for ทุกส่วนราชการ."""
    return responsibility(units)(measure)


def responsibility(units: list[Unit]) -> Callable[[Measure], list[Unit]]:
    """responsible_units for many measures of one office, its divisions and ids worked out once."""
    divisions = top_units(units)
    by_id = {u.id: u for u in units}

    def of(measure: Measure) -> list[Unit]:
        if measure.all_units:
            return list(divisions)
        return [by_id[i] for i in measure.unit_ids if i in by_id]

    return of


def with_sections(unit_ids: Iterable[str], units: list[Unit]) -> set[str]:
    """The given units and every section inside them (what a head of those units oversees)."""
    scope = set(unit_ids)
    grew = True
    while grew:
        grew = False
        for u in units:
            if u.id not in scope and parent_of(u) in scope:
                scope.add(u.id)
                grew = True
    return scope
