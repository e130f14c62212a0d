"""/require: the admin sets what a measure's evidence must show (องค์ประกอบ), item by item, in chat.

`/require 2 ผลการดำเนินงาน / ผลการใช้จ่ายงบประมาณ / ข้อเสนอแนะ` sets them, `/require 2 -` clears them,
`/require 2` shows them. The officer is then asked which evidence shows each one (handlers/report_cover.py).
"""

from __future__ import annotations

import dataclasses
import re

from domain.events import Reply
from domain.evidence_flags import requirements_of
from domain.fiscal import to_arabic_digits
from storage.models import Measure

from .context import Ctx, command
from .report_list import short
from .services import round_context

__all__ = ["MAX_REQUIREMENTS", "MAX_CHARS", "parse_requirements"]

MAX_REQUIREMENTS = 12
MAX_CHARS = 200
_SPLIT = re.compile(r"\s*(?:/|\n|;)\s*")
_BULLET = re.compile(r"^(?:[-•*·]|\d{1,2}[.)])\s*")
_CLEAR = {"-", "–", "—", "ล้าง", "clear", "none"}


def parse_requirements(text: str) -> list[str] | None:
    """"a / b / c" (or one per line) as a list, bullets and repeats dropped; None when too many or too long."""
    items: list[str] = []
    for part in _SPLIT.split(text):
        item = " ".join(_BULLET.sub("", part.strip()).split())
        if item and item not in items:
            items.append(item)
    if len(items) > MAX_REQUIREMENTS or any(len(i) > MAX_CHARS for i in items):
        return None
    return items


def _title(measure: Measure) -> str:
    return short(measure.title.lstrip("- "), 80)


@command("require", role="admin")
def cmd_require(ctx: Ctx) -> list[Reply]:
    """/require NO items…: set, clear (-) or show (no items) a measure's required components."""
    args = ctx.event.args.strip()
    no_text, _, rest = to_arabic_digits(args).partition(" ")
    no_text = no_text.rstrip(".")
    if not no_text.isdigit():
        return [Reply(ctx.t("require_usage"))]
    rc = round_context(ctx.repo, ctx.org.id, ctx.clock)
    measure = next((m for m in rc.measures if m.no == int(no_text)), None)
    if measure is None:
        return [Reply(ctx.t("require_no_measure", no=no_text[:6], year=rc.fiscal_year) + "\n" + ctx.t("require_usage"))]
    rest = args.partition(" ")[2].strip()
    if not rest:
        current = requirements_of(measure)
        shown = " / ".join(current) if current else ctx.t("require_none")
        return [Reply(ctx.t("require_show", no=measure.no, title=_title(measure), items=shown))]
    wanted = [] if rest.lower() in _CLEAR else parse_requirements(rest)
    if wanted is None:
        return [Reply(ctx.t("require_too_many", limit=MAX_REQUIREMENTS, chars=MAX_CHARS))]
    if not wanted and rest.lower() not in _CLEAR:
        return [Reply(ctx.t("require_usage"))]
    plan = [dataclasses.replace(m, component_list=wanted) if m.id == measure.id else m for m in rc.measures]
    ctx.repo.save_measures(ctx.org.id, rc.fiscal_year, plan)
    ctx.forget()
    title = _title(measure)
    if not wanted:
        return [Reply(ctx.t("require_cleared", no=measure.no, title=title))]
    lines = "\n".join(f"{i}. {r}" for i, r in enumerate(wanted, 1))
    return [Reply(ctx.t("require_set", no=measure.no, title=title, count=len(wanted), items=lines))]
