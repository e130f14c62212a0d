"""The report conversation after the list: open a measure, see its earlier answer, keep it or answer anew."""

from __future__ import annotations

from datetime import datetime

from domain.events import Button, Reply
from domain.ownership import responsible_units
from domain.status import UnitAnswer
from storage.models import STATUS_DONE, STATUS_NOT_DONE, Measure

from .context import Ctx, action
from .report_core import (
    advance,
    append_revision,
    draft_from,
    measure_of,
    measure_title,
    previous_answer,
    round_of,
    status_mark,
)
from .report_list import list_page, mine, short, start_report
from .screens import current_screen, goto, screen
from .services import units_for_measure
from .texts import short_date

__all__ = ["start_report", "prompt_for", "open_measure", "after_save"]


@screen("list")
def _list_screen(ctx: Ctx) -> Reply:
    """The list page the person was on, rebuilt by the list's own code but keeping the keyboard's token."""
    old = (ctx.state or {}).get("n", "")
    replies = list_page(ctx, int((ctx.state or {}).get("page", 0)))
    shown = replies[0] if replies else Reply(ctx.t("idle_text"))
    new = (ctx.state or {}).get("n", "")
    if not (old and new and new != old and ctx.state):
        return shown
    ctx.state["n"] = old  # the keyboard already on screen stays valid; nothing else about the state changed
    ctx.save(ctx.state)
    rows = [[Button(b.label, old + b.data[len(new) :]) for b in row] for row in shown.buttons]
    return Reply(shown.text, rows, shown.files, shown.recipient)


def prompt_for(ctx: Ctx) -> str:
    """The whole question the person is being asked now (its buttons are added by the engine)."""
    shown = current_screen(ctx) if (ctx.state or {}).get("flow") == "report" else None
    return shown.text if shown is not None else ctx.t("idle_text")


@action("m")
def act_measure(ctx: Ctx, measure_id: str) -> list[Reply]:
    """Open one measure: refuse another unit's or another round's, ask which unit when several."""
    st = ctx.state or {}
    measure = next((m for m in ctx.measures(int(st["fy"])) if m.id == measure_id), None)
    units = units_for_measure(ctx.officer, measure, ctx.units) if measure else []
    if measure is None or not units:
        return [Reply(ctx.t("not_yours"))]
    if not measure.monitored_in(int(st["round"])):
        return [Reply(ctx.t("not_this_round", round=round_of(ctx)))]
    if len(units) == 1:
        return open_measure(ctx, measure, units[0].id)
    st["mid"] = measure.id
    st.pop("uid", None)
    st.pop("draft", None)
    return goto(ctx, "unit")


@screen("unit")
def _unit_screen(ctx: Ctx) -> Reply:
    """Which of the person's units answers this time (✅ on those that have this round's answer)."""
    st = ctx.state or {}
    measure = measure_of(ctx)
    if measure is None:
        return Reply(ctx.t("stale_button"))
    latest = ctx.latest(int(st["fy"]), int(st["round"]))
    rows = [
        [ctx.button(("✅ " if (measure.id, u.id) in latest else "") + short(u.name, 40), "u", u.id)]
        for u in units_for_measure(ctx.officer, measure, ctx.units)
    ]
    rows.append([ctx.button(ctx.t("btn_back"), "l")])
    return Reply(_card(ctx, measure, None) + "\n\n" + ctx.t("choose_unit"), rows)


@action("u")
def act_unit(ctx: Ctx, unit_id: str) -> list[Reply]:
    """The unit chosen for a measure with several of the person's units."""
    measure = measure_of(ctx)
    if measure is None or unit_id not in {u.id for u in units_for_measure(ctx.officer, measure, ctx.units)}:
        return [Reply(ctx.t("not_yours"))]
    return open_measure(ctx, measure, unit_id)


def open_measure(ctx: Ctx, measure: Measure, unit_id: str) -> list[Reply]:
    """The measure card with the unit's earlier answer, and the status question."""
    st = ctx.state or {}
    st.update(mid=measure.id, uid=unit_id)
    st.pop("draft", None)
    st.pop("edit", None)
    return goto(ctx, "status")


def _card(ctx: Ctx, m: Measure, unit_id: str | None) -> str:
    """The measure as the plan states it: title, steps, period, responsible unit."""
    indicator = " ".join(x for x in (m.indicator_no or m.indicator, m.indicator_name) if x)
    lines = [ctx.t("measure_view", no=m.no, indicator=indicator, title=short(m.title, 400))]
    if m.steps:
        lines.append(ctx.t("measure_steps", steps=short(m.steps, 500)))
    if m.period:
        lines.append(ctx.t("measure_period", period=m.period))
    units = [u for u in responsible_units(m, ctx.units) if unit_id is None or u.id == unit_id]
    lines.append(ctx.t("measure_unit", unit=", ".join(u.name for u in units) or m.responsible_text))
    return "\n".join(lines)


def _answer_text(ctx: Ctx, answer: UnitAnswer) -> str:
    """The earlier answer as the officer gave it: when, who, status, text, how much evidence."""
    entry = answer.entry
    assert entry is not None
    text = entry.summary or entry.reason
    return ctx.t(
        "answer_carried" if answer.carried else "answer_fresh",
        round=round_of(ctx, answer.carried_from or entry.round),
        revision=entry.revision,
        date=short_date(ctx.lang, datetime.fromisoformat(entry.created_at).date()),
        who=entry.officer_name,
        status=status_mark(ctx, entry.status),
        text=f" – {short(text, 200)}" if text else "",
        evidence=ctx.t("answer_evidence", count=len(entry.evidence)) if entry.evidence else "",
    )


@screen("status")
def _status_screen(ctx: Ctx) -> Reply:
    """Card, earlier answer and the question; editing from the recap offers only the two statuses."""
    st = ctx.state or {}
    measure = measure_of(ctx)
    if measure is None:
        return Reply(ctx.t("stale_button"))
    question = ctx.t("measure_ask_status", round=round_of(ctx))
    statuses = [ctx.button(ctx.t("btn_not_done"), "s", "n"), ctx.button(ctx.t("btn_done"), "s", "d")]
    if st.get("edit"):
        return Reply(question, [statuses, [ctx.button(ctx.t("btn_back_recap"), "b")]])
    parts = [_card(ctx, measure, st["uid"])]
    rows: list[list[Button]] = []
    prev = previous_answer(ctx, measure, st["uid"])
    if prev is not None:
        parts.append(_answer_text(ctx, prev))
        if prev.carried:
            parts.append(ctx.t("same_hint", round=round_of(ctx)))
            rows.append([ctx.button(ctx.t("btn_same"), "a")])
        rows.append([ctx.button(ctx.t("btn_update"), "w")])
    rows += [statuses, [ctx.button(ctx.t("btn_back"), "l")]]
    return Reply("\n\n".join(parts) + "\n\n" + question, rows)


def _unit_ok(ctx: Ctx) -> Measure | None:
    """The open measure, if the person still answers for the chosen unit (else None)."""
    st = ctx.state or {}
    measure = measure_of(ctx) if st.get("mid") and st.get("uid") else None
    if measure is None or st["uid"] not in {u.id for u in units_for_measure(ctx.officer, measure, ctx.units)}:
        return None
    return measure


@action("s")
def act_status(ctx: Ctx, arg: str) -> list[Reply]:
    """ดำเนินการ → what was done; ยังไม่ได้ดำเนินการ → the obstacle; the draft starts from the earlier answer."""
    st = ctx.state or {}
    measure = _unit_ok(ctx)
    if measure is None or st.get("step") != "status":
        return [Reply(ctx.t("stale_button"))]
    status = STATUS_DONE if arg == "d" else STATUS_NOT_DONE
    if st.get("edit") and st.get("draft"):
        draft = st["draft"]
        draft["status"] = status
        needed = "summary" if status == STATUS_DONE else "reason"
        if draft.get(needed):
            st.pop("edit", None)
            return goto(ctx, "confirm")
        return goto(ctx, needed)  # a required text still missing, then the recap
    prev = previous_answer(ctx, measure, st["uid"])
    st["draft"] = draft_from(prev.entry if prev else None, status)
    st.pop("base", None)
    if prev is not None and prev.entry is not None:
        st["base"] = {"round": prev.entry.round, "rev": prev.entry.revision}
    st.pop("edit", None)
    return advance(ctx, "status")


@action("w")
def act_update(ctx: Ctx, arg: str) -> list[Reply]:
    """แก้ไขคำตอบเดิม: the earlier answer becomes the draft, straight to the recap to change what differs."""
    st = ctx.state or {}
    measure = _unit_ok(ctx)
    prev = previous_answer(ctx, measure, st["uid"]) if measure else None
    if prev is None or prev.entry is None or st.get("step") != "status":
        return [Reply(ctx.t("stale_button"))]
    st["draft"] = draft_from(prev.entry)
    st["base"] = {"round": prev.entry.round, "rev": prev.entry.revision}
    st.pop("edit", None)
    return goto(ctx, "confirm")


@action("a")
def act_same(ctx: Ctx, arg: str) -> list[Reply]:
    """ยังเป็นเหมือนเดิม: one tap saves the carried answer as this round's, marked with its round."""
    st = ctx.state or {}
    measure = _unit_ok(ctx)
    prev = previous_answer(ctx, measure, st["uid"]) if measure else None
    if arg or measure is None or prev is None or prev.entry is None or not prev.carried or st.get("step") != "status":
        return [Reply(ctx.t("stale_button"))]  # arg: no button of ours carries one; a save needs our own button
    assert prev.carried_from is not None
    entry = append_revision(ctx, measure, st["uid"], draft_from(prev.entry), confirmed_from=prev.carried_from)
    saved = ctx.t(
        "saved_same",
        measure=measure_title(measure, 60),
        round=round_of(ctx, prev.carried_from),
        status=status_mark(ctx, entry.status),
        revision=entry.revision,
    )
    return after_save(ctx, saved)


def after_save(ctx: Ctx, saved: str) -> list[Reply]:
    """After a save: the next measure still owed this round, or the thanks when none is left."""
    st = ctx.state or {}
    for key in ("draft", "base", "edit", "uid"):
        st.pop(key, None)
    measures, done = mine(ctx)
    pending = [m for m in measures if m.id not in done]
    if not pending:
        ctx.save(None)
        return [Reply(saved + "\n\n" + ctx.t("all_done", round=round_of(ctx)))]
    nxt = pending[0]
    units = units_for_measure(ctx.officer, nxt, ctx.units)
    latest = ctx.latest(int(st["fy"]), int(st["round"]))
    unit = next((u for u in units if (nxt.id, u.id) not in latest), units[0])
    replies = open_measure(ctx, nxt, unit.id)
    replies[0].text = saved + "\n\n" + ctx.t("next_pending") + "\n" + replies[0].text
    return replies
