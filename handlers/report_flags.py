"""Warnings shown to the officer before saving: evidence dated outside the year or round, or used before."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.evidence_flags import REUSED, Flag, evidence_flags
from domain.evidence_rules import DATE_AFTER_ROUND, DATE_BEFORE_YEAR, ReuseIndex
from domain.fiscal import thai_medium_date
from storage.models import Evidence, from_dict

from .context import Ctx
from .report_list import short
from .texts import round_name

__all__ = ["reuse_index", "measure_no", "flags_of", "flag_lines", "item_label"]


def reuse_index(ctx: Ctx) -> ReuseIndex:
    """Every saved evidence item of the office, all fiscal years, indexed once per event."""
    key = ("reuse", 0)
    if key not in ctx._memo:
        snaps = tuple(ctx.snapshot(fy) for fy in ctx.repo.fiscal_years(ctx.org.id))
        ctx._memo[key] = ctx.derived.get(  # kept across events until the office saves an answer
            ("reuse", ctx.org.id), snaps, lambda: ReuseIndex.from_entries(e for snap in snaps for e in snap).ready())
    index: ReuseIndex = ctx._memo[key]
    return index


def measure_no(ctx: Ctx, fiscal_year: int, measure_id: str) -> str:
    """A measure's number in its year's plan ("?" when the plan no longer has it)."""
    return next((str(m.no) for m in ctx.measures(fiscal_year) if m.id == measure_id), "?")


def flags_of(ctx: Ctx, item: dict[str, Any]) -> list[Flag]:
    """The warnings one draft item earns in the open measure and round."""
    st = ctx.state or {}
    ev = from_dict(Evidence, item)
    return evidence_flags(ev, int(st["fy"]), int(st["round"]), str(st.get("mid", "")), reuse_index(ctx),
                          lambda fy, mid: measure_no(ctx, fy, mid))


def _date(ctx: Ctx, iso: str) -> str:
    """"15 ส.ค. 2567" / "15 Aug 2024"."""
    day = date.fromisoformat(iso)
    return thai_medium_date(day) if ctx.lang == "th" else day.strftime("%-d %b %Y")


def _line(ctx: Ctx, name: str, flag: Flag) -> str:
    """One warning sentence."""
    st = ctx.state or {}
    if flag.kind == DATE_BEFORE_YEAR:
        return ctx.t("flag_before_year", name=name, date=_date(ctx, flag.taken_on), year=st["fy"])
    if flag.kind == DATE_AFTER_ROUND:
        return ctx.t("flag_after_round", name=name, date=_date(ctx, flag.taken_on),
                     round=round_name(ctx.lang, int(st["round"])))
    assert flag.kind == REUSED
    return ctx.t("flag_reused", name=name, no=flag.measure_no, round=round_name(ctx.lang, flag.round),
                 year=flag.fiscal_year)


def flag_lines(ctx: Ctx, items: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """Warnings for (label, item) pairs, then one line saying saving is still allowed."""
    lines = [_line(ctx, label, flag) for label, item in items for flag in flags_of(ctx, item)]
    return [*lines, ctx.t("flag_can_save")] if lines else []


def item_label(item: dict[str, Any]) -> str:
    """The file name a warning names."""
    return short(item.get("name") or item.get("url") or "?", 40)
