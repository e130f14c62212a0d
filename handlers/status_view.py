"""The /status blocks: the officer's own measures and the head's units, both from domain.status."""

from __future__ import annotations

from domain import people
from domain.evidence_flags import incomplete_measures
from domain.status import DONE, NONE, NOT_DONE, PARTIAL, MeasureStatus, round_statuses, totals
from report.text import shorten

from .context import Ctx
from .services import RoundContext, my_statuses
from .texts import round_name

__all__ = ["officer_block", "head_block", "head_statuses", "counts_line", "TEXTS"]

TITLE_MAX = 70

# texts of this view only (handlers/texts.py keeps the shared ones)
TEXTS: dict[str, dict[str, str]] = {
    "th": {
        "reported": "รายงานแล้ว {done}/{total} มาตรการ",
        "done": "ดำเนินการ {n}",
        "partial": "บางส่วน {n}",
        "not_done": "ยังไม่ได้ดำเนินการ {n}",
        "none": "ยังไม่ได้รายงาน {n}",
        "carried": "ยกมาจากรอบก่อน {n}",
        "carried_mark": " (มีผลรอบก่อน)",
        "late": "⚠️ ค้าง{round}: {count} มาตรการ (/report)",
        "incomplete": "⚠ {no}. {title}: หลักฐานไม่ครบ ({missing})",
    },
    "en": {
        "reported": "Reported {done}/{total} measures",
        "done": "done {n}",
        "partial": "partly {n}",
        "not_done": "not done {n}",
        "none": "not reported {n}",
        "carried": "carried from an earlier round {n}",
        "carried_mark": " (earlier answer)",
        "late": "⚠️ Still owed from the {round}: {count} measure(s) (/report)",
        "incomplete": "⚠ {no}. {title}: evidence incomplete ({missing})",
    },
}


def _t(ctx: Ctx, key: str, **kw: object) -> str:
    return TEXTS.get(ctx.lang, TEXTS["th"])[key].format(**kw)


def counts_line(ctx: Ctx, statuses: list[MeasureStatus]) -> str:
    """"ดำเนินการ 2 · บางส่วน 1 · …": the same totals the report prints (zeros left out)."""
    tot = totals(statuses)
    parts = [_t(ctx, s, n=tot[s]) for s in (DONE, PARTIAL, NOT_DONE, NONE) if tot[s]]
    if tot.carried:
        parts.append(_t(ctx, "carried", n=tot.carried))
    return " · ".join(parts)


def officer_block(ctx: Ctx, rc: RoundContext) -> list[str]:
    """The person's measures this round: how many their units reported, and which are still owed."""
    rnd = rc.round.months
    mine = my_statuses(ctx.officer, rc.measures, ctx.units, (), rnd, ctx.by_round(rc.fiscal_year))
    if not mine:
        return []
    pending = [s for s in mine if not s.reported]
    if not pending:
        return [ctx.t("status_officer_none"), *_incomplete(ctx, mine)]
    lines = [ctx.t("status_officer", count=len(pending))]
    for s in pending:
        mark = _t(ctx, "carried_mark") if s.carried else ""
        lines.append(f"• {s.measure.no}. {shorten(s.measure.title.lstrip('- '), TITLE_MAX)}{mark}")
    lines.append(_t(ctx, "reported", done=len(mine) - len(pending), total=len(mine)))
    return lines + _incomplete(ctx, mine)


def late_lines(ctx: Ctx, rc: RoundContext) -> list[str]:
    """Earlier rounds of the year the person still owes, as /report flags them."""
    from .report_list import _late_rounds

    return [
        _t(ctx, "late", round=round_name(ctx.lang, earlier), count=count)
        for _, earlier, count in _late_rounds(ctx, rc.fiscal_year, rc.round.months)
    ]


def _incomplete(ctx: Ctx, statuses: list[MeasureStatus], scope: set[str] | None = None) -> list[str]:
    """Reported measures whose evidence misses a required component: "⚠ 2. …: หลักฐานไม่ครบ (ข้อเสนอแนะ)"."""
    lines = []
    for s, missing in incomplete_measures(statuses, scope):
        title = shorten(s.measure.title.lstrip("- "), TITLE_MAX)
        lines.append(_t(ctx, "incomplete", no=s.measure.no, title=title, missing=", ".join(missing)))
    return lines


def head_statuses(ctx: Ctx, rc: RoundContext) -> tuple[list[MeasureStatus], set[str] | None]:
    """The round's measures a head oversees (their units and sections; None scope: the organization)."""
    scope = people.head_scope(ctx.officer, ctx.units)
    statuses = round_statuses(rc.measures, ctx.units, (), rc.round.months, by_round=ctx.by_round(rc.fiscal_year))
    return [s for s in statuses if people.sees_measure(scope, s.measure, ctx.units)], scope


def head_block(ctx: Ctx, rc: RoundContext) -> list[str]:
    """Heads: reported k/n, the status counts, then each unit (in scope) still owing, with who reports for it."""
    seen, scope = head_statuses(ctx, rc)
    tot = totals(seen)
    lines = [ctx.t("status_head", done=tot.reported, total=tot.total)]
    if seen:
        lines.append(counts_line(ctx, seen))
    missing: dict[str, int] = {}
    for s in seen:
        for unit in s.owing_units:
            if scope is None or unit.id in scope:
                missing[unit.id] = missing.get(unit.id, 0) + 1
    staff = ctx.repo.list_officers(ctx.org.id)
    for unit_id, count in missing.items():
        names = [p.display_name for p in people.reporters(unit_id, staff)]
        who = f" ({', '.join(names)})" if names else ""
        lines.append(ctx.t("status_missing_unit", unit=ctx.unit_name(unit_id), count=count, people=who))
    if tot.reported == tot.total:
        lines.append(ctx.t("status_all_reported"))
    return lines + _incomplete(ctx, seen, scope)
