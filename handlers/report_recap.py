"""The recap before saving: every field and numbered evidence; save, edit one part, remove an item, cancel."""

from __future__ import annotations

from domain.events import Button, Reply
from storage.models import STATUS_DONE

from .context import Ctx, action
from .report_core import (
    TEXT_FIELDS,
    append_revision,
    draft_is_empty,
    evidence_line,
    measure_of,
    measure_title,
    round_of,
    status_mark,
)
from .report_cover import cover_marks
from .report_flags import flag_lines, item_label
from .report_flow import after_save
from .report_list import short
from .screens import goto, screen
from .services import units_for_measure

__all__ = ["edit_fields", "ask_cancel"]

_LIMITS = {"summary": 600, "outcome": 400, "reason": 600, "suggestion": 400}


@screen("confirm")
def _recap_screen(ctx: Ctx) -> Reply:
    """Everything that บันทึก will store, nothing hidden: texts, numbered evidence, where it started from."""
    st = ctx.state or {}
    draft = st["draft"]
    lines = [
        ctx.t(
            "recap",
            measure=measure_title(measure_of(ctx)),
            unit=ctx.unit_name(st["uid"]),
            round=round_of(ctx),
            status=status_mark(ctx, draft["status"]),
        )
    ]
    for name in TEXT_FIELDS:
        if draft.get(name) or (name == "summary" and draft["status"] == STATUS_DONE):
            lines.append(ctx.t(f"recap_{name}", text=short(draft.get(name, ""), _LIMITS[name])))
    items = draft.get("evidence", [])
    lines.append(ctx.t("recap_evidence", count=len(items)))
    lines += ["  " + evidence_line(i, item) for i, item in enumerate(items, 1)]
    marks = cover_marks(ctx, draft)
    if marks:
        lines.append(ctx.t("recap_cover"))
        lines += ["  " + m for m in marks]
    lines += flag_lines(ctx, [(f"{i}. {item_label(item)}", item) for i, item in enumerate(items, 1)])
    base = st.get("base")
    if base:
        lines.append(ctx.t("recap_base", round=round_of(ctx, base["round"]), revision=base["rev"]))
    rows = [[ctx.button(ctx.t("btn_save"), "v"), ctx.button(ctx.t("btn_edit"), "e"), ctx.button(ctx.t("btn_cancel"), "x")]]
    return Reply("\n".join(lines), rows)


@action("v")
def act_save(ctx: Ctx, arg: str) -> list[Reply]:
    """บันทึก: append the recap's draft as a revision, then offer the next pending measure."""
    st = ctx.state or {}
    if arg or st.get("step") != "confirm" or not st.get("draft"):
        return [Reply(ctx.t("stale_button"))]  # arg: no บันทึก of ours carries one; a save needs our own button
    measure = measure_of(ctx)
    if measure is None or st["uid"] not in {u.id for u in units_for_measure(ctx.officer, measure, ctx.units)}:
        ctx.save(None)
        return [Reply(ctx.t("not_yours"))]
    entry = append_revision(ctx, measure, st["uid"], st["draft"])
    saved = ctx.t(
        "saved", measure=measure_title(measure, 60), status=status_mark(ctx, entry.status), revision=entry.revision
    )
    return after_save(ctx, saved)


def ask_cancel(ctx: Ctx) -> list[Reply]:
    """ยกเลิก or /cancel: a report draft with something in it is only dropped after one more yes."""
    st = ctx.state or {}
    step = st.get("step")
    if st.get("flow") == "report" and step != "cancel" and not draft_is_empty(st.get("draft") or {}):
        st["back"] = step  # where « กลับ returns to
        return goto(ctx, "cancel")
    ctx.save(None)
    return [Reply(ctx.t("cancelled"))]


@action("x")
def act_cancel(ctx: Ctx, arg: str) -> list[Reply]:
    """ยกเลิก on the recap (or on a plan import's preview)."""
    return ask_cancel(ctx)


@screen("cancel")
def _cancel_screen(ctx: Ctx) -> Reply:
    """Are you sure: the draft's evidence count, drop it or go back to where the person was."""
    st = ctx.state or {}
    count = len(st.get("draft", {}).get("evidence", []))
    back = "btn_cancel_no" if st.get("back", "confirm") == "confirm" else "btn_cancel_continue"
    rows = [[ctx.button(ctx.t("btn_cancel_yes"), "q"), ctx.button(ctx.t(back), "b")]]
    return Reply(ctx.t("cancel_ask", count=count), rows)


@action("q")
def act_cancel_yes(ctx: Ctx, arg: str) -> list[Reply]:
    """Cancel confirmed: store nothing."""
    if (ctx.state or {}).get("step") != "cancel":
        return [Reply(ctx.t("stale_button"))]
    ctx.save(None)
    return [Reply(ctx.t("cancelled"))]


@action("b")
def act_back_to_recap(ctx: Ctx, arg: str) -> list[Reply]:
    """« กลับ: from the edit menu or a field to the recap, from the cancel question to where it was asked."""
    st = ctx.state or {}
    if not st.get("draft") or st.get("step") in (None, "list", "unit"):
        return [Reply(ctx.t("stale_button"))]
    back = st.pop("back", "confirm") if st.get("step") == "cancel" else "confirm"
    if back == "confirm":
        st.pop("edit", None)
    return goto(ctx, back)


def edit_fields(ctx: Ctx) -> list[str]:
    """The parts the edit menu offers: the status's own texts, any other text with content, evidence."""
    st = ctx.state or {}
    draft = st["draft"]
    own = ["summary", "outcome"] if draft["status"] == STATUS_DONE else ["reason"]
    if draft["status"] != STATUS_DONE and int(st.get("round", 0)) == 12:
        own.append("suggestion")
    others = [f for f in TEXT_FIELDS if f not in own and draft.get(f)]
    return ["status", *own, *others, "evidence"]


@action("e")
def act_edit(ctx: Ctx, arg: str) -> list[Reply]:
    """แก้ไข: the edit menu."""
    if (ctx.state or {}).get("step") != "confirm":
        return [Reply(ctx.t("stale_button"))]
    (ctx.state or {}).get("draft", {}).pop("rid", None)  # an edited draft is a new revision
    return goto(ctx, "edit")


@screen("edit")
def _edit_screen(ctx: Ctx) -> Reply:
    """Which part to change, each evidence item's remove button by its number, and the way back."""
    items = (ctx.state or {})["draft"].get("evidence", [])
    fields = [ctx.button(ctx.t(f"edit_{f}"), "g", f) for f in edit_fields(ctx)]
    rows: list[list[Button]] = [fields[i : i + 2] for i in range(0, len(fields), 2)]
    removes = [ctx.button(ctx.t("btn_remove", no=i), "z", item["id"]) for i, item in enumerate(items, 1)]
    rows += [removes[i : i + 3] for i in range(0, len(removes), 3)]
    rows.append([ctx.button(ctx.t("btn_back_recap"), "b")])
    lines = [ctx.t("edit_which")] + [evidence_line(i, item) for i, item in enumerate(items, 1)]
    return Reply("\n".join(lines), rows)


@action("g")
def act_edit_field(ctx: Ctx, field_name: str) -> list[Reply]:
    """Jump to one part; answering it (or /skip, which keeps it) returns to the recap."""
    st = ctx.state or {}
    if st.get("step") != "edit" or field_name not in edit_fields(ctx):
        return [Reply(ctx.t("stale_button"))]
    st["edit"] = True
    return goto(ctx, field_name)


@action("z")
def act_remove(ctx: Ctx, evidence_id: str) -> list[Reply]:
    """Remove one evidence item from the draft (earlier revisions keep it in the history)."""
    st = ctx.state or {}
    items = st.get("draft", {}).get("evidence", [])
    index = next((i for i, item in enumerate(items) if item.get("id") == evidence_id), None)
    if st.get("step") != "edit" or index is None:
        return [Reply(ctx.t("stale_button"))]
    removed = items.pop(index)
    st.pop("edit", None)
    note = ctx.t("removed", no=index + 1, item=evidence_line(index + 1, removed).split(" ", 1)[1])
    return goto(ctx, "confirm", note)
