"""The report conversation after the list: measure → status → what was done → outcome → evidence → recap → save."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.events import Button, Reply
from domain.fiscal import thai_short_date
from domain.ownership import responsible_units
from storage.evidence import EvidenceError
from storage.models import STATUS_DONE, STATUS_NOT_DONE, Evidence, Measure, from_dict, to_dict

from .context import MAX_TEXT, Ctx, action, command, step
from .report_list import mine, round_text, short, start_report
from .services import save_report, units_for_measure

__all__ = ["start_report", "prompt_for", "MAX_EVIDENCE"]

MAX_EVIDENCE = 30
























def _measure(ctx: Ctx, measure_id: str) -> Measure | None:
    st = ctx.state or {}
    return next((m for m in ctx.measures(int(st["fy"])) if m.id == measure_id), None)


@action("m")
def act_measure(ctx: Ctx, measure_id: str) -> list[Reply]:
    """Open one measure: refuse another unit's or another round's, ask which unit when several."""
    st = ctx.state or {}
    measure = _measure(ctx, measure_id)
    if measure is None or not units_for_measure(ctx.officer, measure, ctx.units):
        return [Reply(ctx.t("not_yours"))]
    if not measure.monitored_in(int(st["round"])):
        return [Reply(ctx.t("not_this_round", round=round_text(ctx)))]
    units = units_for_measure(ctx.officer, measure, ctx.units)
    st.update(mid=measure.id, draft={})
    if len(units) == 1:
        return _ask_status(ctx, measure, units[0].id)
    st["step"] = "unit"
    ctx.new_nonce()
    latest = ctx.latest(int(st["fy"]), int(st["round"]))
    rows = [
        [ctx.button(("✅ " if (measure.id, u.id) in latest else "") + short(u.name, 40), "u", u.id)]
        for u in units
    ]
    rows.append([ctx.button(ctx.t("btn_back"), "l")])
    ctx.save(st)
    return [Reply(_measure_text(ctx, measure, None) + "\n\n" + ctx.t("choose_unit"), rows)]


@action("u")
def act_unit(ctx: Ctx, unit_id: str) -> list[Reply]:
    """The unit chosen for a measure with several of the person's units."""
    measure = _measure(ctx, (ctx.state or {}).get("mid", ""))
    if measure is None or unit_id not in {u.id for u in units_for_measure(ctx.officer, measure, ctx.units)}:
        return [Reply(ctx.t("not_yours"))]
    return _ask_status(ctx, measure, unit_id)


def _measure_text(ctx: Ctx, m: Measure, unit_id: str | None) -> str:
    lines = [ctx.t("measure_view", no=m.no, indicator=m.indicator, title=short(m.title, 400))]
    if m.steps:
        lines.append(ctx.t("measure_steps", steps=short(m.steps, 500)))
    if m.period:
        lines.append(ctx.t("measure_period", period=m.period))
    units = [u for u in responsible_units(m, ctx.units) if unit_id is None or u.id == unit_id]
    lines.append(ctx.t("measure_unit", unit=", ".join(u.name for u in units) or m.responsible_text))
    if unit_id:
        st = ctx.state or {}
        last = ctx.latest(int(st["fy"]), int(st["round"])).get((m.id, unit_id))
        if last:
            day = thai_short_date(datetime.fromisoformat(last.created_at).date())
            text = last.summary or last.reason
            lines.append(
                ctx.t(
                    "measure_last",
                    date=day,
                    status=_status_mark(ctx, last.status),
                    summary=f" – {short(text, 200)}" if text else "",
                )
            )
    return "\n".join(lines)


def _status_mark(ctx: Ctx, status: str) -> str:
    return ("☑ " + ctx.t("status_done")) if status == STATUS_DONE else ("☐ " + ctx.t("status_not_done"))


def _ask_status(ctx: Ctx, measure: Measure, unit_id: str) -> list[Reply]:
    st = ctx.state or {}
    st.update(step="status", mid=measure.id, uid=unit_id)
    st.setdefault("draft", {})
    ctx.new_nonce()
    rows = [
        [ctx.button(ctx.t("btn_not_done"), "s", "n"), ctx.button(ctx.t("btn_done"), "s", "d")],
        [ctx.button(ctx.t("btn_back"), "l")],
    ]
    ctx.save(st)
    text = _measure_text(ctx, measure, unit_id) + "\n\n" + ctx.t("measure_ask_status", round=round_text(ctx))
    return [Reply(text, rows)]


@action("s")
def act_status(ctx: Ctx, arg: str) -> list[Reply]:
    """ดำเนินการ → what was done; ยังไม่ได้ดำเนินการ → reason."""
    st = ctx.state or {}
    if not st.get("mid") or not st.get("uid"):
        return [Reply(ctx.t("stale_button"))]
    done = arg == "d"
    st["draft"] = {
        "status": STATUS_DONE if done else STATUS_NOT_DONE,
        "evidence": st.get("draft", {}).get("evidence", []),
    }
    st.pop("edit", None)
    return _goto(ctx, "summary" if done else "reason")


_PROMPTS = {
    "summary": "ask_summary",
    "outcome": "ask_outcome",
    "evidence": "ask_evidence",
    "reason": "ask_reason",
}


def _goto(ctx: Ctx, name: str) -> list[Reply]:
    st = ctx.state or {}
    st["step"] = name
    if name == "confirm":
        return _recap(ctx)
    ctx.new_nonce()
    rows: list[list[Button]] = []
    if name in ("outcome", "reason"):
        rows = [[ctx.button(ctx.t("btn_skip"), "k")]]
    elif name == "evidence":
        rows = [[ctx.button(ctx.t("btn_finish_evidence"), "f")]]
    ctx.save(st)
    return [Reply(ctx.t(_PROMPTS[name]), rows)]


def prompt_for(ctx: Ctx) -> str:
    """The question the person is being asked now (repeated after a wrong input)."""
    st = ctx.state or {}
    name = st.get("step", "")
    if name in _PROMPTS:
        return ctx.t(_PROMPTS[name])
    if name == "status":
        return ctx.t("measure_ask_status", round=round_text(ctx))
    if name == "confirm":
        return ctx.t("btn_save") + " / " + ctx.t("btn_edit") + " / " + ctx.t("btn_cancel")
    return ctx.t("idle_text")


def _after(ctx: Ctx, natural_next: str) -> list[Reply]:
    """Go on to the next step, or back to the recap when editing one field."""
    st = ctx.state or {}
    return _goto(ctx, "confirm" if st.get("edit") else natural_next)


def _take_text(ctx: Ctx) -> str | list[Reply]:
    ev = ctx.event
    if ev.kind != "text":
        return (
            [Reply(ctx.t("file_not_here", prompt=prompt_for(ctx)))]
            if ev.kind == "file"
            else [Reply(ctx.t("text_required"))]
        )
    text = ev.text.strip()
    if not text:
        return [Reply(ctx.t("text_empty"))]
    if len(text) > MAX_TEXT:
        return [Reply(ctx.t("text_too_long", length=len(text), limit=MAX_TEXT))]
    return text


@step("summary")
def step_summary(ctx: Ctx) -> list[Reply]:
    """What was done (required)."""
    text = _take_text(ctx)
    if isinstance(text, list):
        return text
    (ctx.state or {})["draft"]["summary"] = text
    return _after(ctx, "outcome")


@step("outcome")
def step_outcome(ctx: Ctx) -> list[Reply]:
    """The outcome (optional)."""
    text = _take_text(ctx)
    if isinstance(text, list):
        return text
    (ctx.state or {})["draft"]["outcome"] = text
    return _after(ctx, "evidence")


@step("reason")
def step_reason(ctx: Ctx) -> list[Reply]:
    """Why not yet / the plan (optional)."""
    text = _take_text(ctx)
    if isinstance(text, list):
        return text
    (ctx.state or {})["draft"]["reason"] = text
    return _goto(ctx, "confirm")


@step("evidence")
def step_evidence(ctx: Ctx) -> list[Reply]:
    """Photos, files and links, any number; /done ends."""
    st = ctx.state or {}
    items: list[dict[str, Any]] = st["draft"].setdefault("evidence", [])
    ev, who, stamp = ctx.event, ctx.officer.id, ctx.clock.now().isoformat(timespec="seconds")
    added: list[Evidence] = []
    errors: list[str] = []
    if ev.kind == "file":
        for att in ev.attachments:
            if att.data is None:
                limit = ctx.evidence.max_bytes // (1024 * 1024)
                errors.append(ctx.t("file_too_big", name=att.name or "file", limit=limit))
                continue
            try:
                added.append(ctx.evidence.put(att.data, att.name, att.mime, who, stamp))
            except EvidenceError as exc:
                errors.append(str(exc))
    elif ev.kind == "text":
        words = [w for w in ev.text.split() if w]
        if not words:
            return [Reply(ctx.t("evidence_not_link"))]
        for word in words:
            try:
                added.append(ctx.evidence.link(word, who, stamp))
            except EvidenceError as exc:
                errors.append(f"{short(word, 60)}: {exc}")
    if len(items) + len(added) > MAX_EVIDENCE:
        return [Reply(ctx.t("evidence_too_many", limit=MAX_EVIDENCE))]
    items.extend(to_dict(e) for e in added)
    ctx.save(st)
    out = []
    if added:
        names = ", ".join(short(e.name or e.url, 40) for e in added)
        out.append(ctx.t("evidence_added", items=names, count=len(items)))
    out.extend(errors)
    if not added and not errors:
        out.append(ctx.t("evidence_not_link"))
    return [Reply("\n".join(out), [[ctx.button(ctx.t("btn_finish_evidence"), "f")]])]


@action("f")
def act_finish(ctx: Ctx, arg: str) -> list[Reply]:
    """The "finish" button of the evidence step."""
    return _goto(ctx, "confirm")


@action("k")
def act_skip(ctx: Ctx, arg: str) -> list[Reply]:
    """The "skip" button of an optional step."""
    return _skip(ctx)


@command("skip", in_flow=True)
def cmd_skip(ctx: Ctx) -> list[Reply]:
    """/skip an optional step."""
    return _skip(ctx)


def _skip(ctx: Ctx) -> list[Reply]:
    st = ctx.state or {}
    name = st.get("step")
    if name == "outcome":
        st["draft"]["outcome"] = ""
        return _after(ctx, "evidence")
    if name == "reason":
        st["draft"]["reason"] = ""
        return _goto(ctx, "confirm")
    return [Reply(ctx.t("skip_not_allowed", prompt=prompt_for(ctx)))]


@command("done", in_flow=True)
def cmd_done(ctx: Ctx) -> list[Reply]:
    """/done ends the evidence step."""
    if (ctx.state or {}).get("step") == "evidence":
        return _goto(ctx, "confirm")
    return [Reply(ctx.t("skip_not_allowed", prompt=prompt_for(ctx)))]


def _recap(ctx: Ctx) -> list[Reply]:
    st = ctx.state or {}
    draft = st["draft"]
    measure = _measure(ctx, st["mid"])
    title = f"{measure.no}. {short(measure.title, 120)}" if measure else st["mid"]
    lines = [
        ctx.t(
            "recap", measure=title, unit=ctx.unit_name(st["uid"]), status=_status_mark(ctx, draft["status"])
        )
    ]
    if draft["status"] == STATUS_DONE:
        lines.append(ctx.t("recap_summary", text=short(draft.get("summary", ""), 600)))
        if draft.get("outcome"):
            lines.append(ctx.t("recap_outcome", text=short(draft["outcome"], 400)))
        lines.append(ctx.t("recap_evidence", count=len(draft.get("evidence", []))))
        for item in draft.get("evidence", [])[:10]:
            lines.append("  • " + short(item.get("name") or item.get("url", ""), 60))
    elif draft.get("reason"):
        lines.append(ctx.t("recap_reason", text=short(draft["reason"], 600)))
    st["step"] = "confirm"
    st.pop("edit", None)
    ctx.new_nonce()
    rows = [
        [
            ctx.button(ctx.t("btn_save"), "v"),
            ctx.button(ctx.t("btn_edit"), "e"),
            ctx.button(ctx.t("btn_cancel"), "x"),
        ]
    ]
    ctx.save(st)
    return [Reply("\n".join(lines), rows)]


@action("v")
def act_save(ctx: Ctx, arg: str) -> list[Reply]:
    """บันทึก: append the revision, then offer the next pending measure."""
    st = ctx.state or {}
    if st.get("step") != "confirm":
        return [Reply(ctx.t("stale_button"))]
    measure = _measure(ctx, st["mid"])
    if measure is None or st["uid"] not in {u.id for u in units_for_measure(ctx.officer, measure, ctx.units)}:
        ctx.save(None)
        return [Reply(ctx.t("not_yours"))]
    draft = st["draft"]
    entry = save_report(
        ctx.repo,
        ctx.clock,
        ctx.officer,
        int(st["fy"]),
        int(st["round"]),
        measure.id,
        st["uid"],
        draft["status"],
        summary=draft.get("summary", ""),
        outcome=draft.get("outcome", ""),
        reason=draft.get("reason", ""),
        evidence=[from_dict(Evidence, e) for e in draft.get("evidence", [])],
    )
    ctx.forget()  # the list below must see this answer
    saved = ctx.t(
        "saved",
        measure=f"{measure.no}. {short(measure.title, 60)}",
        status=_status_mark(ctx, entry.status),
        revision=entry.revision,
    )
    measures, done = mine(ctx)
    pending = [m for m in measures if m.id not in done]
    if not pending:
        ctx.save(None)
        return [Reply(saved + "\n\n" + ctx.t("all_done", round=round_text(ctx)))]
    nxt = pending[0]
    units = units_for_measure(ctx.officer, nxt, ctx.units)
    latest = ctx.latest(int(st["fy"]), int(st["round"]))
    unit = next((u for u in units if (nxt.id, u.id) not in latest), units[0])
    st["draft"] = {}
    replies = _ask_status(ctx, nxt, unit.id)
    replies[0].text = saved + "\n\n" + ctx.t("next_pending") + "\n" + replies[0].text
    return replies


@action("x")
def act_cancel(ctx: Ctx, arg: str) -> list[Reply]:
    """ยกเลิก on the recap: store nothing."""
    ctx.save(None)
    return [Reply(ctx.t("cancelled"))]


_EDIT_FIELDS = {
    STATUS_DONE: ("status", "summary", "outcome", "evidence"),
    STATUS_NOT_DONE: ("status", "reason"),
}


@action("e")
def act_edit(ctx: Ctx, arg: str) -> list[Reply]:
    """แก้ไข: choose which part to change."""
    st = ctx.state or {}
    fields = _EDIT_FIELDS[st["draft"]["status"]]
    st["step"] = "edit"
    ctx.new_nonce()
    rows = [[ctx.button(ctx.t(f"edit_{f}"), "g", f)] for f in fields]
    ctx.save(st)
    return [Reply(ctx.t("edit_which"), rows)]


@action("g")
def act_edit_field(ctx: Ctx, field_name: str) -> list[Reply]:
    """Jump to one field; answering it returns to the recap."""
    st = ctx.state or {}
    if field_name == "status":
        measure = _measure(ctx, st["mid"])
        if measure is None:
            return [Reply(ctx.t("stale_button"))]
        return _ask_status(ctx, measure, st["uid"])
    if field_name not in _PROMPTS:
        return [Reply(ctx.t("stale_button"))]
    st["edit"] = True
    return _goto(ctx, field_name)
