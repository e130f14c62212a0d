"""The requirements step: for a measure with required components, which evidence item shows each one."""

from __future__ import annotations

from typing import Any

from domain.events import Button, Reply
from domain.evidence_flags import requirements_of
from domain.evidence_rules import coverage
from storage.models import Evidence, from_dict

from .context import Ctx, action, step
from .report_core import advance, evidence_line, measure_of
from .report_list import short
from .screens import goto, reprompt, screen

__all__ = ["requirements", "cover_marks"]


def requirements(ctx: Ctx) -> list[str]:
    """The open measure's required components (องค์ประกอบ), empty for most measures."""
    measure = measure_of(ctx)
    return requirements_of(measure) if measure else []


def cover_marks(ctx: Ctx, draft: dict[str, Any]) -> list[str]:
    """"✓ ผลการดำเนินงาน" / "✗ ข้อเสนอแนะ" for the recap (nothing when the measure lists no components)."""
    reqs = requirements(ctx)
    if not reqs:
        return []
    evidence = [from_dict(Evidence, e) for e in draft.get("evidence", [])]
    return coverage(reqs, draft.get("covered", {}), evidence).marks()


@screen("cover")
def _cover_screen(ctx: Ctx) -> Reply:
    """One requirement, the numbered evidence, a button per item and "ยังไม่มี"."""
    st = ctx.state or {}
    reqs, no = requirements(ctx), int(st.get("ci", 0))
    items = st["draft"].get("evidence", [])
    lines = [ctx.t("cover_ask", no=no + 1, total=len(reqs), req=short(reqs[no].strip(" -"), 200))]
    lines += [evidence_line(i, item) for i, item in enumerate(items, 1)]
    picks = [ctx.button(str(i), "cv", str(i)) for i in range(1, len(items) + 1)]
    rows: list[list[Button]] = [picks[i : i + 5] for i in range(0, len(picks), 5)]
    rows.append([ctx.button(ctx.t("btn_cover_none"), "cv", "0")])
    return Reply("\n".join(lines), rows)


@step("cover")
def step_cover(ctx: Ctx) -> list[Reply]:
    """Typed text at the requirements step: the buttons answer it."""
    return reprompt(ctx, ctx.t("cover_use_buttons"))


@action("cv")
def act_cover(ctx: Ctx, arg: str) -> list[Reply]:
    """An item number (or 0: none yet) for the requirement asked; then the next one, or on to the recap."""
    st = ctx.state or {}
    reqs = requirements(ctx)
    items = st.get("draft", {}).get("evidence", [])
    no = int(st.get("ci", 0))
    if st.get("step") != "cover" or not arg.isdigit() or int(arg) > len(items) or no >= len(reqs):
        return [Reply(ctx.t("stale_button"))]
    covered: dict[str, list[str]] = st["draft"].setdefault("covered", {})
    covered[reqs[no]] = [items[int(arg) - 1]["id"]] if int(arg) else []
    if no + 1 < len(reqs):
        st["ci"] = no + 1
        return goto(ctx, "cover")
    st.pop("ci", None)
    return advance(ctx, "cover")
