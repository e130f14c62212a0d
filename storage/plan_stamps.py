"""Change stamps of offices on PostgreSQL: what reminder planning reads, summed into one value per office.

The reminder planner (scheduler/plan_index.py) plans an office again only when its stamp changes.
On TinyDB the stamp is the office's file signatures (TinyRepository.plan_stamps). Here it is one
query over what planning reads: units, the years' plans and answers by their change stamps
(org_stamps, storage/migrations/0005_org_stamps.sql: a new version in every transaction that writes
them), and settings, officers and the years' send log by the number of rows and the sum of a hash of
each row version's (xmin, ctid), which every INSERT, UPDATE and DELETE changes. A table rewrite
(VACUUM FULL) changes those stamps once: a re-plan, never a missed change.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

__all__ = ["pg_plan_stamps"]

_ROW = "hashtextextended(xmin::text || ctid::text, 0)"
_STAMPS = f"""
SELECT org_id, tbl, count(*), coalesce(sum(h), 0)::text FROM (
    SELECT 's' AS tbl, org_id, {_ROW} AS h FROM settings WHERE org_id = ANY(%(orgs)s)
    UNION ALL SELECT kind || fiscal_year, org_id, version FROM org_stamps WHERE org_id = ANY(%(orgs)s)
        AND (kind = 'u' OR fiscal_year = ANY(%(years)s))
    UNION ALL SELECT 'o', org_id, {_ROW} FROM officers WHERE org_id = ANY(%(orgs)s)
    UNION ALL SELECT 'd', org_id, {_ROW} FROM sends WHERE org_id = ANY(%(orgs)s) AND fiscal_year = ANY(%(years)s)
) AS rows GROUP BY org_id, tbl
"""


def pg_plan_stamps(pool: Any, org_ids: Sequence[str], years: Sequence[int]) -> dict[str, Hashable]:
    """Per office, a value that changes whenever a row its reminder plans read changes (one query)."""
    found: dict[str, dict[str, tuple[int, str]]] = {o: {} for o in org_ids}
    with pool.connection() as conn:
        rows = conn.execute(_STAMPS, {"orgs": list(org_ids), "years": [int(y) for y in years]}).fetchall()
    for org_id, table, count, total in rows:
        found.setdefault(str(org_id), {})[str(table)] = (int(count), str(total))
    return {org_id: tuple(sorted(parts.items())) for org_id, parts in found.items()}
