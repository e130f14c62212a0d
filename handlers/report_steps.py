"""The typed steps of a report: what was done, outcome, obstacle, suggestion; /skip keeps what is there."""

from __future__ import annotations

from collections.abc import Callable

from domain.events import Button, Reply
from storage.models import STATUS_DONE

from .context import MAX_TEXT, Ctx, action, command, step
from .report_core import advance
from .report_list import short
from .screens import reprompt, screen

__all__ = ["TEXT_STEPS", "is_optional", "finish_step"]

TEXT_STEPS = ("summary", "outcome", "reason", "suggestion")


def is_optional(ctx: Ctx, field_name: str) -> bool:
    """Outcome and suggestion always; what was done only when not done; the obstacle only when done."""
    done = (ctx.state or {}).get("draft", {}).get("status") == STATUS_DONE
    return {"summary": not done, "reason": done}.get(field_name, True)


def _text_screen(ctx: Ctx, field_name: str) -> Reply:
    """The question, the text already there, and keep / clear / skip as fits."""
    st = ctx.state or {}
    value = st.get("draft", {}).get(field_name, "")
    text = ctx.t(f"ask_{field_name}")
    buttons: list[Button] = []
    if value:
        text += "\n\n" + ctx.t("current_value", text=short(value, 300))
        buttons.append(ctx.button(ctx.t("btn_keep"), "k"))
        if is_optional(ctx, field_name):
            buttons.append(ctx.button(ctx.t("btn_clear"), "c"))
    elif is_optional(ctx, field_name):
        buttons.append(ctx.button(ctx.t("btn_skip"), "k"))
    return Reply(text, [buttons] if buttons else [])


def _screen_of(field_name: str) -> Callable[[Ctx], Reply]:
    """The screen function of one typed step."""

    def show(ctx: Ctx) -> Reply:
        return _text_screen(ctx, field_name)

    return show


for _name in TEXT_STEPS:
    screen(_name)(_screen_of(_name))


def _take_text(ctx: Ctx) -> str | list[Reply]:
    """The typed answer, or the hint and the same question when it cannot be one."""
    ev = ctx.event
    if ev.kind != "text":
        return reprompt(ctx, ctx.t("file_not_here" if ev.kind == "file" else "text_required"))
    text = ev.text.strip()
    if not text:
        return reprompt(ctx, ctx.t("text_empty"))
    if len(text) > MAX_TEXT:
        return reprompt(ctx, ctx.t("text_too_long", length=len(text), limit=MAX_TEXT))
    return text


def _answer(ctx: Ctx) -> list[Reply]:
    """Store the typed text in the draft's field of this step and go on."""
    name = (ctx.state or {}).get("step", "")
    text = _take_text(ctx)
    if isinstance(text, list):
        return text
    (ctx.state or {})["draft"][name] = text
    return advance(ctx, name)


for _name in TEXT_STEPS:
    step(_name)(_answer)


def finish_step(ctx: Ctx) -> list[Reply]:
    """/skip, /done, ข้าม, คงเดิม, เสร็จสิ้น: leave this step's value as it is and go on, if it may be left."""
    st = ctx.state or {}
    name = st.get("step", "")
    if name == "evidence":
        return advance(ctx, name)
    if name in TEXT_STEPS and (st["draft"].get(name) or is_optional(ctx, name)):
        return advance(ctx, name)
    return reprompt(ctx, ctx.t("skip_not_allowed" if name in TEXT_STEPS else "choose_button"))


@action("k")
def act_skip(ctx: Ctx, arg: str) -> list[Reply]:
    """The skip / keep button of a typed step."""
    return finish_step(ctx)


@action("f")
def act_finish(ctx: Ctx, arg: str) -> list[Reply]:
    """The "finish" button of the evidence step."""
    if (ctx.state or {}).get("step") != "evidence":
        return [Reply(ctx.t("stale_button"))]
    return finish_step(ctx)


@action("c")
def act_clear(ctx: Ctx, arg: str) -> list[Reply]:
    """Clear an optional text that an earlier answer carried in."""
    st = ctx.state or {}
    name = st.get("step", "")
    if name not in TEXT_STEPS or not is_optional(ctx, name):
        return [Reply(ctx.t("stale_button"))]
    st["draft"][name] = ""
    return advance(ctx, name)


@command("skip", in_flow=True)
def cmd_skip(ctx: Ctx) -> list[Reply]:
    """/skip an optional step, or keep the text already there."""
    return finish_step(ctx)


@command("done", in_flow=True)
def cmd_done(ctx: Ctx) -> list[Reply]:
    """/done ends the evidence step (or a typed step, as /skip does); a step of buttons says to use them."""
    return finish_step(ctx)
