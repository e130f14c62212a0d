"""Commands beyond the report itself: help, language, status, summary, invites, people, plan import."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from domain.events import OutFile, Reply
from domain.limits import WorkLimitExceeded
from domain.people import head_scope
from domain.sends import unreachable, unreachable_line
from domain.words import WordError, parse_role, parse_round, parse_unit
from report.compile import RoundReport, compile_round
from storage.models import Officer

from .context import Ctx, action, command
from .report_flow import prompt_for
from .report_list import start_report
from .report_recap import ask_cancel
from .review_flow import status_lines
from .services import (
    create_invite,
    is_admin,
    is_head,
    round_context,
    set_officer_active,
)
from .status_view import head_block, late_lines, officer_block
from .texts import round_name, round_refusal, short_date

__all__ = ["cmd_help"]

log = logging.getLogger(__name__)


@command("help", "start", in_flow=True)
def cmd_help(ctx: Ctx) -> list[Reply]:
    """/help (and /start once registered): what this person can do."""
    text = ctx.t("help") + (ctx.t("help_head") if is_head(ctx.officer) else "")
    text += ctx.t("help_require") if is_admin(ctx.officer) else ""
    if ctx.event.command == "start" and ctx.event.args:
        text = ctx.t("already_registered", name=ctx.officer.display_name, org=ctx.org.name) + "\n\n" + text
    if ctx.state and ctx.state.get("flow"):
        text += "\n\n" + prompt_for(ctx)
    return [Reply(text)]


@command("cancel", in_flow=True)
def cmd_cancel(ctx: Ctx) -> list[Reply]:
    """/cancel: drop whatever is half done, storing nothing; a report draft with content asks once first."""
    if not ctx.state:
        return [Reply(ctx.t("nothing_to_cancel"))]
    return ask_cancel(ctx)


@command("lang", in_flow=True)
def cmd_lang(ctx: Ctx) -> list[Reply]:
    """/lang th|en."""
    lang = ctx.event.args.strip().lower()
    if lang not in ("th", "en"):
        return [Reply(ctx.t("lang_usage"))]
    ctx.officer.lang = lang
    ctx.repo.save_officer(ctx.officer)
    return [Reply(ctx.t("lang_set"))]


@command("status", in_flow=True)
def cmd_status(ctx: Ctx) -> list[Reply]:
    """/status: the person's pending measures as officer; as head, who has not reported (domain.status)."""
    rc = round_context(ctx.repo, ctx.org.id, ctx.clock)
    if not rc.measures:
        return [Reply(ctx.t("no_plan"))]
    label = round_name(ctx.lang, rc.round.months)
    mine = officer_block(ctx, rc) + late_lines(ctx, rc)
    overseen = head_block(ctx, rc) if is_head(ctx.officer) else []
    if mine and overseen:  # both roles: the round once, then two blocks each under its own title
        mine = ["", ctx.t("status_mine"), *mine]
        overseen = ["", ctx.t("status_overseen"), *overseen]
    parts = mine + overseen + status_lines(ctx, rc)  # status_lines: answers sent back (/review)
    if is_admin(ctx.officer):
        parts += _failed_sends(ctx, rc.fiscal_year)
    if not parts:
        return [Reply(ctx.t("no_measures", round=label))]
    header = ctx.t("status_round", round=label, deadline=short_date(ctx.lang, rc.round.end))
    return [Reply("\n".join([header, *parts]))]


def _failed_sends(ctx: Ctx, fiscal_year: int) -> list[str]:
    """Admins see who the bot cannot reach and why, with what to do, so someone can act or phone them."""
    cut_off = unreachable(ctx.repo.list_sends(ctx.org.id, fiscal_year), ctx.repo.list_officers(ctx.org.id))
    if not cut_off:
        return []
    lines = [ctx.t("status_failed_sends", count=len(cut_off))]
    lines.extend(unreachable_line(p, r) for p, r in cut_off[:10])
    return lines


@command("summary", role="head")
def cmd_summary(ctx: Ctx) -> list[Reply]:
    """/summary [3|6|9|12]: the round's progress as text plus the documents."""
    rc = round_context(ctx.repo, ctx.org.id, ctx.clock)
    if not rc.measures:
        return [Reply(ctx.t("no_plan"))]
    arg = ctx.event.args.strip()
    try:
        rnd = parse_round(arg) if arg else rc.round.months
    except WordError:
        return [Reply(round_refusal(ctx.lang, arg))]
    report = compile_round(ctx.repo, ctx.org.id, rc.fiscal_year, rnd, ctx.clock.now())
    from report.text import summary_text

    replies = [Reply(summary_text(report, digits="arabic"))]
    if ctx.exports_dir is not None:
        try:
            files = [OutFile(f.path, f.name, f.mime, f.kind) for f in _render(ctx, report)]
            replies.append(Reply(ctx.t("summary_files"), files=files))
        except WorkLimitExceeded as exc:
            log.warning("rendering stopped at its %s limit for %s", exc.limit, ctx.org.id)
            replies.append(Reply(ctx.t("work_limit", limit=ctx.t(f"limit_{exc.limit}"))))
        except Exception:  # a broken document must not hide the text summary
            log.exception("rendering documents failed for %s", ctx.org.id)
            replies.append(Reply(ctx.t("summary_failed")))
    return replies


def _render(ctx: Ctx, report: RoundReport) -> list[Any]:
    """The round's documents, rendered through the bounded runner (a child process under itabot run)."""
    from report.options import load_options
    from report.render import render_documents, render_in_worker

    assert ctx.exports_dir is not None
    out_dir = ctx.exports_dir / ctx.org.id
    options = load_options(ctx.repo, ctx.org.id)  # the office's digits and signature path
    if ctx.evidence.root is None:  # in-memory evidence cannot cross to another process
        return list(render_documents(report, out_dir, ctx.evidence, options=options))
    return list(ctx.bounded(render_in_worker, report, out_dir, ctx.evidence.root, options))


def _unit_list(ctx: Ctx) -> str:
    return "\n".join(f"{i}. {u.name}" for i, u in enumerate(ctx.units, 1))


def _is_role(word: str) -> bool:
    try:
        parse_role(word)
    except WordError:
        return False
    return True


def _find_unit(ctx: Ctx, text: str) -> list[str] | None:
    """Units by number, name, alias or a unique part (the parser the CLI uses too); None when unclear."""
    if text.strip() in ("ทุกส่วนราชการ", "ทุกหน่วยงาน", "all", "*"):
        return [u.id for u in ctx.units]
    try:
        return [parse_unit(text, ctx.units).id]
    except WordError:
        return None


def _did_you_mean(ctx: Ctx, text: str) -> str:
    try:
        parse_unit(text, ctx.units)
    except WordError as exc:
        return "\n" + ctx.t("did_you_mean", name=exc.suggestion) if exc.suggestion else ""
    return ""


@command("invite", role="head")
def cmd_invite(ctx: Ctx) -> list[Reply]:
    """/invite UNIT ROLE: a one-time code to forward (heads: their units, officers only)."""
    words = ctx.event.args.split()
    if not words:
        return [Reply(ctx.t("invite_usage", units=_unit_list(ctx)))]
    role, unit_words = "officer", words
    if _is_role(words[-1]):
        role, unit_words = parse_role(words[-1]), words[:-1]
    unit_text = " ".join(unit_words)
    unit_ids = _find_unit(ctx, unit_text) if unit_text else []
    if unit_ids is None:
        return [Reply(ctx.t("invite_bad_unit", unit=unit_text[:60], units=_unit_list(ctx)) + _did_you_mean(ctx, unit_text))]
    scope = head_scope(ctx.officer, ctx.units)  # None: heads the whole organization
    if not is_admin(ctx.officer) and (
        role != "officer" or not unit_ids or (scope is not None and not set(unit_ids) <= scope)
    ):
        return [Reply(ctx.t("invite_head_limit"))]
    invite = create_invite(ctx.repo, ctx.clock, ctx.org.id, role, unit_ids, created_by=ctx.officer.id)
    unit_names = ", ".join(ctx.unit_name(u) for u in unit_ids) or ctx.org.name
    expires = short_date(ctx.lang, datetime.fromisoformat(invite.expires_at).date())
    text = ctx.t(
        "invite_made", role=ctx.t(f"role_{role}"), unit=unit_names, expires=expires, code=invite.code
    )
    return [Reply(text)]


def _roles_text(ctx: Ctx, person: Officer) -> str:
    """"หัวหน้า, เจ้าหน้าที่ผู้รับผิดชอบ": every role the person holds."""
    return ", ".join(ctx.t(f"role_{r}") for r in reversed(person.roles))


@command("officers", role="head")
def cmd_officers(ctx: Ctx) -> list[Reply]:
    """/officers: people by unit with all their roles; admins get buttons to switch someone off or on."""
    staff = ctx.repo.list_officers(ctx.org.id)
    lines = [ctx.t("officers_header", org=ctx.org.name)]
    groups: dict[str, list[str]] = {}
    for p in staff:
        label = f"{p.display_name} · {_roles_text(ctx, p)}" + ("" if p.active else ctx.t("officers_inactive"))
        for unit_id in dict.fromkeys(p.unit_ids + p.head_unit_ids) or [""]:
            groups.setdefault(ctx.unit_name(unit_id) if unit_id else ctx.org.name, []).append(label)
    for unit, names in groups.items():
        lines.append(f"\n{unit}")
        lines.extend(f"• {n}" for n in names)
    rows = []
    if is_admin(ctx.officer):
        ctx.state = ctx.state or {}
        ctx.new_nonce()
        for p in staff:
            if p.id == ctx.officer.id:
                continue
            key, act = ("btn_deactivate", "d") if p.active else ("btn_reactivate", "pa")
            rows.append([ctx.button(_pt(ctx, key, name=p.display_name[:30]), act, p.id)])
        ctx.save(ctx.state)
    return [Reply("\n".join(lines), rows)]


def _person(ctx: Ctx, officer_id: str) -> tuple[Officer | None, list[Reply]]:
    """The person an admin's button names, or the reply that refuses it."""
    if not is_admin(ctx.officer):
        return None, [Reply(ctx.t("admins_only"))]
    if officer_id == ctx.officer.id:
        return None, [Reply(ctx.t("cannot_deactivate_self"))]
    person = ctx.repo.get_officer(ctx.org.id, officer_id)
    if person is None:
        return None, [Reply(ctx.t("stale_button"))]
    return person, []


@action("d")
def act_deactivate(ctx: Ctx, officer_id: str) -> list[Reply]:
    """Ask before switching a person off (admins only): a slip of the thumb must not lock someone out."""
    person, refusal = _person(ctx, officer_id)
    if person is None:
        return refusal
    ctx.state = ctx.state or {}
    ctx.new_nonce()
    rows = [[ctx.button(_pt(ctx, "btn_confirm_off"), "dy", person.id), ctx.button(ctx.t("btn_cancel"), "dn")]]
    ctx.save(ctx.state)
    return [Reply(_pt(ctx, "confirm_off", name=person.display_name), rows)]


def _switch(ctx: Ctx, officer_id: str, active: bool) -> list[Reply]:
    """Switch a person off or back on (admins only, checked by _person), then say so."""
    person, refusal = _person(ctx, officer_id)
    if person is None:
        return refusal
    set_officer_active(ctx.repo, ctx.org.id, person.id, active)
    ctx.save(None)
    if active:
        return [Reply(_pt(ctx, "reactivated", name=person.display_name))]
    return [Reply(ctx.t("officer_deactivated", name=person.display_name))]


@action("dy")
def act_deactivate_yes(ctx: Ctx, officer_id: str) -> list[Reply]:
    """Confirmed: switch the person off."""
    return _switch(ctx, officer_id, False)


@action("dn")
def act_deactivate_no(ctx: Ctx, arg: str) -> list[Reply]:
    """Not confirmed: nothing changes."""
    ctx.save(None)
    return [Reply(ctx.t("cancelled"))]


@action("pa")
def act_reactivate(ctx: Ctx, officer_id: str) -> list[Reply]:
    """Switch a person back on (admins only): they see and report again, and are reminded again."""
    return _switch(ctx, officer_id, True)


_PEOPLE_TEXTS: dict[str, dict[str, str]] = {  # /officers texts beyond handlers/texts.py
    "th": {
        "btn_deactivate": "ปิด {name}",
        "btn_reactivate": "เปิดใช้งาน {name}",
        "btn_confirm_off": "ยืนยันปิดใช้งาน",
        "confirm_off": "ปิดใช้งาน {name}?\nจะดูและรายงานไม่ได้ และไม่ได้รับการแจ้งเตือน (เปิดกลับได้ภายหลัง)",
        "reactivated": "เปิดใช้งาน {name} อีกครั้งแล้ว",
    },
    "en": {
        "btn_deactivate": "Switch off {name}",
        "btn_reactivate": "Switch on {name}",
        "btn_confirm_off": "Yes, switch off",
        "confirm_off": "Switch off {name}?\nThey can no longer see or report and get no reminders (can be undone).",
        "reactivated": "{name} is active again",
    },
}


def _pt(ctx: Ctx, key: str, **kw: object) -> str:
    return _PEOPLE_TEXTS.get(ctx.lang, _PEOPLE_TEXTS["th"])[key].format(**kw)


@command("remind", role="head")
def cmd_remind(ctx: Ctx) -> list[Reply]:
    """/remind: heads send this round's pending reminders now (at most once a day)."""
    if ctx.remind is None:
        return [Reply(ctx.t("remind_unavailable"))]
    return [Reply(ctx.remind(ctx.org.id, ctx.officer.id))]


@action("r")
def act_report_start(ctx: Ctx, arg: str) -> list[Reply]:
    """A "report now" button from a reminder."""
    return start_report(ctx)
