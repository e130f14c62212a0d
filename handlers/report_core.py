"""What every step of the report conversation shares: the measure, the earlier answer, the draft, saving."""

from __future__ import annotations

from typing import Any

from domain.events import Reply
from domain.status import UnitAnswer, measure_status
from storage.models import ROUNDS, STATUS_DONE, Evidence, Measure, ReportEntry, from_dict, new_id, to_dict

from .context import SAVE_HOOKS, Ctx
from .report_list import short
from .screens import goto
from .texts import round_name

__all__ = [
    "TEXT_FIELDS",
    "measure_of",
    "previous_answer",
    "draft_from",
    "draft_is_empty",
    "status_mark",
    "round_of",
    "measure_title",
    "evidence_line",
    "next_step",
    "advance",
    "append_revision",
]

TEXT_FIELDS = ("summary", "outcome", "reason", "suggestion")
_ICONS = {"url": "🔗", "photo": "📷", "file": "📄"}


def measure_of(ctx: Ctx) -> Measure | None:
    """The measure the person has open (None when the plan changed under them)."""
    st = ctx.state or {}
    return next((m for m in ctx.measures(int(st["fy"])) if m.id == st.get("mid")), None)


def previous_answer(ctx: Ctx, measure: Measure, unit_id: str) -> UnitAnswer | None:
    """The unit's answer a new revision starts from: this round's, or one carried from earlier this year."""
    st = ctx.state or {}
    fy, rnd = int(st["fy"]), int(st["round"])
    by_round = {r: ctx.latest(fy, r) for r in ROUNDS if r <= rnd}
    answer = measure_status(measure, rnd, ctx.units, by_round, only_units=[unit_id]).answer_of(unit_id)
    return answer if answer is not None and answer.entry is not None else None


def draft_from(entry: ReportEntry | None, status: str = "") -> dict[str, Any]:
    """A draft carrying an earlier answer's status, texts and evidence (or an empty one)."""
    draft: dict[str, Any] = {f: "" for f in TEXT_FIELDS}
    draft["status"] = status or (entry.status if entry else STATUS_DONE)
    draft["evidence"] = []
    draft["covered"] = {}
    if entry is not None:
        draft["covered"] = {k: list(v) for k, v in entry.covered.items()}
        for f in TEXT_FIELDS:
            draft[f] = getattr(entry, f) or ""
        draft["evidence"] = [to_dict(e) for e in entry.evidence]
    return draft


def draft_is_empty(draft: dict[str, Any]) -> bool:
    """Nothing typed or sent yet: cancelling loses nothing."""
    return not draft.get("evidence") and not any(draft.get(f) for f in TEXT_FIELDS)


def status_mark(ctx: Ctx, status: str) -> str:
    """☑ ดำเนินการ / ☐ ยังไม่ได้ดำเนินการ, as the official form ticks it."""
    return ("☑ " + ctx.t("status_done")) if status == STATUS_DONE else ("☐ " + ctx.t("status_not_done"))


def round_of(ctx: Ctx, months: int | None = None) -> str:
    """The open round (or another), named in the person's language."""
    return round_name(ctx.lang, int(months if months is not None else (ctx.state or {}).get("round", 0)))


def measure_title(measure: Measure | None, limit: int = 120) -> str:
    """"3. มาตรการ…" for recaps and saved messages."""
    return f"{measure.no}. {short(measure.title.lstrip('- '), limit)}" if measure else "?"


def evidence_line(no: int, item: dict[str, Any]) -> str:
    """"2. 📷 อบรม.jpg": one numbered evidence item, the way the recap and the edit menu list it."""
    icon = _ICONS.get(item.get("kind", ""), "📄")
    caption = f" – {short(item['note'], 60)}" if item.get("note") else ""
    what = item.get("url", "") if item.get("kind") == "url" else item.get("name") or "?"
    return f"{no}. {icon} {short(what, 70)}{caption}"


def next_step(ctx: Ctx, after: str) -> str:
    """The step that follows `after` in the walk (the recap when only one field was being edited)."""
    st = ctx.state or {}
    done = st["draft"]["status"] == STATUS_DONE
    measure = measure_of(ctx)
    cover = done and measure is not None and bool(measure.component_list) and bool(st["draft"].get("evidence"))
    if st.get("edit"):
        return "cover" if cover and after == "evidence" else "confirm"
    order = ["summary", "outcome", "evidence"] if done else ["reason"]
    if cover:
        order.append("cover")  # which item shows each required component
    if not done and int(st.get("round", 0)) == 12:
        order.append("suggestion")
    order.append("confirm")
    return order[order.index(after) + 1] if after in order else order[0]


def advance(ctx: Ctx, after: str) -> list[Reply]:
    """Go on from a finished step to the next one (or back to the recap after an edit)."""
    name = next_step(ctx, after)
    if name == "confirm":
        (ctx.state or {}).pop("edit", None)
    return goto(ctx, name)


def append_revision(ctx: Ctx, measure: Measure, unit_id: str, draft: dict[str, Any], confirmed_from: int = 0) -> ReportEntry:
    """Append the confirmed draft as the unit's next revision (history is never rewritten)."""
    st = ctx.state or {}
    entry = ReportEntry(
        id=str(draft.get("rid") or new_id("r")),
        org_id=ctx.org.id,
        fiscal_year=int(st["fy"]),
        measure_id=measure.id,
        round=int(st["round"]),
        unit_id=unit_id,
        status=draft["status"],
        summary=draft.get("summary", ""),
        outcome=draft.get("outcome", ""),
        reason=draft.get("reason", ""),
        suggestion=draft.get("suggestion", ""),
        evidence=[from_dict(Evidence, e) for e in draft.get("evidence", [])],
        covered={k: list(v) for k, v in draft.get("covered", {}).items()},
        officer_id=ctx.officer.id,
        officer_name=ctx.officer.display_name,
        created_at=ctx.clock.now().isoformat(timespec="seconds"),
        confirmed_from=confirmed_from,
    )
    saved = ctx.repo.add_report(entry)
    ctx.forget()  # what is read next must see this answer
    for hook in SAVE_HOOKS:
        ctx.pushes.extend(hook(ctx, saved))
    return saved
