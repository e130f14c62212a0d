"""One statement for what a conversation step reads first, so a step costs one read on PostgreSQL.

Every event asks, in order: which officer is this chat account (find_identity), the officer, their office,
the chat's conversation state, and then the office's units, plan and year of answers. PgRepository keeps the
office's parsed units, plans and answers in process; what it needs per step is whether they changed.
`STEP` answers all of it in one round trip: the identity, the officer's and the office's rows, the
state, and change stamps of the units, of each year's plan and of the recently read years' answers.

What it read is kept for the thread that asked, and handed out once per item to the calls that follow,
only while fresh (`FRESH_S`) and until that thread writes anything: a step reads one snapshot taken at its
start, and always sees its own writes. A stamp that differs from what is cached means a normal read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FRESH_S", "STEP", "Step", "UNITS", "step_from_row"]

FRESH_S = 0.5  # a step's reads follow its first within milliseconds; older ones are not served
_ONCE = frozenset({"officer", "org", "state"})  # records: the caller may change its copy
_AFFECTS = {  # a write of one kind → the items it may change ("" or any other kind: every item)
    "org": ("org",), "units": ("units",), "officer": ("officer",), "state": ("state",),
    "reports": ("reports",), "plan": ("plan", "years"),
}
_UNIT_STAMP = "count(*) OVER () AS n, coalesce(sum(hashtextextended(xmin::text || ctid::text, 0)) OVER (), 0)::text AS h"
# the office's units with their stamp (row count, hash of every row version): a changed stamp is a changed list
UNITS = f"SELECT data, {_UNIT_STAMP} FROM units WHERE org_id = %s ORDER BY seq"
STEP = (
    "SELECT i.org_id, i.officer_id, o.data, g.data, s.state, s.state IS NOT NULL, "
    "(SELECT count(*)::text || ':' || coalesce(sum(hashtextextended(u.xmin::text || u.ctid::text, 0)), 0)::text "
    " FROM units u WHERE u.org_id = i.org_id), "
    "(SELECT string_agg(p.fiscal_year::text || ':' || p.n::text || ':' || p.x::text, ',') FROM ("
    " SELECT fiscal_year, count(*) AS n, max(xmin::text::bigint) AS x FROM measures m WHERE m.org_id = i.org_id "
    " GROUP BY fiscal_year) p), "
    "(SELECT string_agg(r.fiscal_year::text || ':' || r.n::text || ':' || r.x::text, ',') FROM ("
    " SELECT fiscal_year, count(*) AS n, max(seq) AS x FROM reports r WHERE r.org_id = i.org_id "
    " AND r.fiscal_year = ANY(%(years)s::int[]) GROUP BY fiscal_year) r) "
    "FROM identities i LEFT JOIN officers o ON o.org_id = i.org_id AND o.id = i.officer_id "
    "LEFT JOIN orgs g ON g.id = i.org_id LEFT JOIN states s ON s.org_id = i.org_id AND s.key = %(key)s "
    "WHERE i.platform = %(platform)s AND i.user_id = %(user)s"
)


def _triples(text: str | None) -> dict[int, tuple[int, int]]:
    """'year:a:b,year:a:b' → {year: (a, b)}."""
    found = {}
    for part in (text or "").split(","):
        if part:
            year, a, b = part.split(":")
            found[int(year)] = (int(a), int(b))
    return found


@dataclass
class Step:
    """What one step's first statement read, for the calls right after it on the same thread."""

    org_id: str
    items: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    def take(self, *key: Any) -> tuple[bool, Any]:
        """(True, value) for an item read at the step's start while fresh, else (False, None).

        Records (officer, office, state) are handed out once: the caller may change what it got. Stamps
        only say whether a cached value is current, and serve every call of the step.
        """
        if key not in self.items or time.monotonic() - self.at > FRESH_S:
            return False, None
        return True, (self.items.pop(key) if key[0] in _ONCE else self.items[key])

    def forget(self, kind: str = "") -> None:
        """The thread wrote items of this kind ("": of any kind): they are read anew, never from the step."""
        kinds = _AFFECTS.get(kind)
        if kinds is None:
            self.items.clear()
            return
        for key in [k for k in self.items if k[0] in kinds]:
            del self.items[key]


def step_from_row(row: tuple[Any, ...], state_key: str, report_years: list[int]) -> Step:
    """The items of a STEP row: each keyed by the call (and arguments) it answers."""
    org_id, officer_id, officer, org, state, has_state, units, plans, reports = row
    step = Step(org_id)
    items = step.items
    if officer is not None:
        items["officer", org_id, officer_id] = officer
    if org is not None:
        items["org", org_id] = org
    items["state", org_id, state_key] = state if has_state else None
    count, _, hashed = (units or "0:0").partition(":")
    items["units", org_id] = (int(count), hashed)
    plan_stamps = _triples(plans)
    items["years", org_id] = sorted(plan_stamps)
    for year in plan_stamps:
        items["plan", org_id, year] = plan_stamps[year]
    report_stamps = _triples(reports)
    for year in report_years:  # a year without rows is stamped (0, 0): nothing to read either
        items["reports", org_id, year] = report_stamps.get(year, (0, 0))
    return step
