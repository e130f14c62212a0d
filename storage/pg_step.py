"""One statement for what a conversation step reads first, so a step costs one read on PostgreSQL.

Every event asks, in order: which officer is this chat account (find_identity), the officer, their office,
the chat's conversation state, and then the office's units, plan and year of answers. PgRepository keeps the
office's parsed units, plans and answers in process; what it needs per step is whether they changed.
`STEP` answers all of it in one round trip: the identity, the officer's and the office's rows, the
state, and the office's change stamps (org_stamps: one version per units, per year's plan and per year's
answers, bumped by triggers in the writing transaction), read with index lookups, never aggregates.

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
# the office's units with their stamp (storage/migrations/0005_org_stamps.sql), read in one snapshot: one row of
# NULLs carrying the stamp when the office has no units. A stamp equal to the cached one is an unchanged list.
UNITS = (
    "SELECT u.data, s.v FROM (SELECT coalesce((SELECT version FROM org_stamps WHERE org_id = %(o)s AND kind = 'u' "
    "AND fiscal_year = 0), 0) AS v) s LEFT JOIN LATERAL (SELECT data, seq FROM units WHERE org_id = %(o)s) u ON true "
    "ORDER BY u.seq"
)
# the office's stamps as 'kind:year:version:has rows' (has rows: for plans only, whether the year has measures)
STEP = (
    "SELECT i.org_id, i.officer_id, o.data, g.data, s.state, s.state IS NOT NULL, "
    "(SELECT string_agg(t.kind || ':' || t.fiscal_year || ':' || t.version || ':' || (t.kind <> 'm' OR EXISTS "
    " (SELECT 1 FROM measures m WHERE m.org_id = t.org_id AND m.fiscal_year = t.fiscal_year))::int, ',') "
    " FROM org_stamps t WHERE t.org_id = i.org_id) "
    "FROM identities i LEFT JOIN officers o ON o.org_id = i.org_id AND o.id = i.officer_id "
    "LEFT JOIN orgs g ON g.id = i.org_id LEFT JOIN states s ON s.org_id = i.org_id AND s.key = %(key)s "
    "WHERE i.platform = %(platform)s AND i.user_id = %(user)s"
)


def _stamps(text: str | None) -> dict[tuple[str, int], tuple[int, bool]]:
    """'kind:year:version:rows,…' → {(kind, year): (version, has rows)}."""
    found = {}
    for part in (text or "").split(","):
        if part:
            kind, year, version, rows = part.split(":")
            found[kind, int(year)] = (int(version), rows == "1")
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
    """The items of a STEP row: each keyed by the call (and arguments) it answers.

    A stamp is the version of storage/migrations/0005_org_stamps.sql, 0 where the office has none yet.
    """
    org_id, officer_id, officer, org, state, has_state, stamps_text = row
    step = Step(org_id)
    items = step.items
    if officer is not None:
        items["officer", org_id, officer_id] = officer
    if org is not None:
        items["org", org_id] = org
    items["state", org_id, state_key] = state if has_state else None
    stamps = _stamps(stamps_text)
    items["units", org_id] = stamps.get(("u", 0), (0, True))[0]
    plans = {year: version for (kind, year), (version, rows) in stamps.items() if kind == "m"}
    items["years", org_id] = sorted(year for (kind, year), (_, rows) in stamps.items() if kind == "m" and rows)
    for year, version in plans.items():
        items["plan", org_id, year] = version
    for (kind, year), (version, _) in stamps.items():
        if kind == "r":
            items["reports", org_id, year] = version
    for year in report_years:  # a year without a stamp has no rows: nothing to read either
        items.setdefault(("reports", org_id, year), 0)
    return step
