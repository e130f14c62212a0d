"""What each conversation step shows, so a wrong input, /help or a stale tap gets the whole screen back."""

from __future__ import annotations

from collections.abc import Callable

from domain.events import Reply
from storage.models import new_id

from .context import Ctx

__all__ = ["SCREENS", "Screen", "screen", "current_screen", "goto", "noted", "reprompt"]

Screen = Callable[[Ctx], Reply]
SCREENS: dict[str, Screen] = {}


def screen(name: str) -> Callable[[Screen], Screen]:
    """Register how a step looks: its text and buttons, built from the saved state without changing it."""

    def deco(fn: Screen) -> Screen:
        SCREENS[name] = fn
        return fn

    return deco


def current_screen(ctx: Ctx) -> Reply | None:
    """The screen of the step the person is at (None outside a conversation or at a step without one)."""
    step = (ctx.state or {}).get("step", "")
    fn = SCREENS.get(step)
    return fn(ctx) if fn else None


def noted(note: str, reply: Reply) -> Reply:
    """The screen with a short note above it (what just happened, or what was wrong)."""
    if not note:
        return reply
    return Reply(note + "\n\n" + reply.text, reply.buttons, reply.files, reply.recipient)


def goto(ctx: Ctx, name: str, note: str = "") -> list[Reply]:
    """Move to a step: a fresh keyboard token, the state saved, its screen shown."""
    st = ctx.state or {}
    st["step"] = name
    if name == "confirm" and isinstance(st.get("draft"), dict):
        # the revision's id is fixed when the recap is shown: a บันทึก repeated after a crash stores it once
        st["draft"].setdefault("rid", new_id("r"))
    ctx.new_nonce()
    ctx.save(st)
    shown = current_screen(ctx)
    return [noted(note, shown or Reply(""))]


def reprompt(ctx: Ctx, hint: str) -> list[Reply]:
    """One short hint and the same screen again, buttons included."""
    shown = current_screen(ctx)
    if shown is None:
        return [Reply(hint)]
    return [noted(hint, shown)]
