"""Commands beyond the report itself: help, language, status, summary, invites, people, plan import."""

from __future__ import annotations

import logging
from datetime import datetime

from domain.events import OutFile, Reply
from domain.fiscal import round_label, thai_short_date
from domain.sends import unreachable, unreachable_line
from report.compile import compile_round
from storage.models import ROLES

from .context import Ctx, action, command
from .report_flow import prompt_for
from .report_list import start_report
from .services import (
    create_invite,
    deactivate_officer,
    is_admin,
    is_head,
    measures_for,
    reported_units,
    round_context,
    units_for_measure,
)

__all__ = ["cmd_help"]

log = logging.getLogger(__name__)


@command("help", "start", in_flow=True)
def cmd_help(ctx: Ctx) -> list[Reply]:
    """/help (and /start once registered): what this person can do."""
    text = ctx.t("help") + (ctx.t("help_head") if is_head(ctx.officer) else "")
    if ctx.event.command == "start" and ctx.event.args:
        text = ctx.t("already_registered", name=ctx.officer.display_name, org=ctx.org.name) + "\n\n" + text
    if ctx.state and ctx.state.get("flow"):
        text += "\n\n" + prompt_for(ctx)
    return [Reply(text)]


@command("cancel", in_flow=True)
def cmd_cancel(ctx: Ctx) -> list[Reply]:
    """/cancel: drop whatever is half done, storing nothing."""
    if not ctx.state:
        return [Reply(ctx.t("nothing_to_cancel"))]
    ctx.save(None)
    return [Reply(ctx.t("cancelled"))]


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
    """/status: the person's pending measures; for heads, who has not reported."""
    rc = round_context(ctx.repo, ctx.org.id, ctx.clock)
    if not rc.measures:
        return [Reply(ctx.t("no_plan"))]
    rnd, label, deadline = (
        rc.round.months,
        round_label(rc.round.months, "arabic"),
        thai_short_date(rc.round.end),
    )
    latest = reported_units(ctx.repo, ctx.org.id, rc.fiscal_year, rnd)
    parts: list[str] = []
    mine = measures_for(ctx.officer, rc.measures, rnd)
    if mine:
        pending = [
            m
            for m in mine
            if any((m.id, u.id) not in latest for u in units_for_measure(ctx.officer, m, ctx.units))
        ]
        if pending:
            parts.append(ctx.t("status_officer", round=label, deadline=deadline, count=len(pending)))
            parts.extend(f"• {m.no}. {m.title.lstrip('- ')[:70]}" for m in pending)
        else:
            parts.append(ctx.t("status_officer_none", round=label))
    if is_head(ctx.officer):
        report = compile_round(ctx.repo, ctx.org.id, rc.fiscal_year, rnd, ctx.clock.now())
        people = ctx.repo.list_officers(ctx.org.id)
        done = sum(1 for r in report.rows if r.status != "none")
        parts.append(ctx.t("status_head", round=label, deadline=deadline, done=done, total=len(report.rows)))
        missing: dict[str, int] = {}
        for row in report.rows:
            for unit in row.pending_units:
                missing[unit.id] = missing.get(unit.id, 0) + 1
        for unit_id, count in missing.items():
            names = [
                p.display_name for p in people if p.active and unit_id in p.unit_ids and p.role != "admin"
            ]
            who = f" ({', '.join(names)})" if names else ""
            parts.append(ctx.t("status_missing_unit", unit=ctx.unit_name(unit_id), count=count, people=who))
        if not missing:
            parts.append(ctx.t("status_all_reported"))
    if is_admin(ctx.officer):
        parts.extend(_failed_sends(ctx, rc.fiscal_year))
    return [Reply("\n".join(parts) or ctx.t("no_measures", round=label))]


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
    rnd = int(arg) if arg in ("3", "6", "9", "12") else rc.round.months
    report = compile_round(ctx.repo, ctx.org.id, rc.fiscal_year, rnd, ctx.clock.now())
    from report.text import summary_text

    replies = [Reply(summary_text(report, digits="arabic"))]
    if ctx.exports_dir is not None:
        try:
            from report.render import render_documents

            out_dir = ctx.exports_dir / ctx.org.id
            files = [
                OutFile(f.path, f.name, f.mime, f.kind)
                for f in render_documents(report, out_dir, ctx.evidence)
            ]
            replies.append(Reply(ctx.t("summary_files"), files=files))
        except Exception:  # a broken document must not hide the text summary
            log.exception("rendering documents failed for %s", ctx.org.id)
            replies.append(Reply(ctx.t("summary_failed")))
    return replies


def _unit_list(ctx: Ctx) -> str:
    return "\n".join(f"{i}. {u.name}" for i, u in enumerate(ctx.units, 1))


def _find_unit(ctx: Ctx, text: str) -> list[str] | None:
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= len(ctx.units):
        return [ctx.units[int(text) - 1].id]
    if text in ("ทุกส่วนราชการ", "ทุกหน่วยงาน", "all", "*"):
        return [u.id for u in ctx.units]
    norm = text.replace(" ", "")
    hits = [
        u for u in ctx.units if norm in (u.name.replace(" ", ""), *[a.replace(" ", "") for a in u.aliases])
    ]
    hits = hits or [u for u in ctx.units if norm and norm in u.name.replace(" ", "")]
    return [hits[0].id] if len(hits) == 1 else None


@command("invite", role="head")
def cmd_invite(ctx: Ctx) -> list[Reply]:
    """/invite UNIT ROLE: a one-time code to forward (heads: their units, officers only)."""
    words = ctx.event.args.split()
    if not words:
        return [Reply(ctx.t("invite_usage", units=_unit_list(ctx)))]
    role = words[-1].lower() if words[-1].lower() in ROLES else "officer"
    unit_text = " ".join(words[:-1] if words[-1].lower() in ROLES else words)
    unit_ids = _find_unit(ctx, unit_text) if unit_text else []
    if unit_ids is None:
        return [Reply(ctx.t("invite_bad_unit", unit=unit_text, units=_unit_list(ctx)))]
    if not is_admin(ctx.officer) and (
        role != "officer" or not unit_ids or not set(unit_ids) <= set(ctx.officer.unit_ids)
    ):
        return [Reply(ctx.t("invite_head_limit"))]
    invite = create_invite(ctx.repo, ctx.clock, ctx.org.id, role, unit_ids, created_by=ctx.officer.id)
    unit_names = ", ".join(ctx.unit_name(u) for u in unit_ids) or ctx.org.name
    expires = thai_short_date(datetime.fromisoformat(invite.expires_at).date())
    text = ctx.t(
        "invite_made", role=ctx.t(f"role_{role}"), unit=unit_names, expires=expires, code=invite.code
    )
    return [Reply(text)]


@command("officers", role="head")
def cmd_officers(ctx: Ctx) -> list[Reply]:
    """/officers: people by unit; admins get a button to switch someone off."""
    people = ctx.repo.list_officers(ctx.org.id)
    lines = [ctx.t("officers_header", org=ctx.org.name)]
    groups: dict[str, list[str]] = {}
    for p in people:
        label = f"{p.display_name} · {ctx.t(f'role_{p.role}')}" + (
            "" if p.active else ctx.t("officers_inactive")
        )
        for unit_id in p.unit_ids or [""]:
            groups.setdefault(ctx.unit_name(unit_id) if unit_id else ctx.org.name, []).append(label)
    for unit, names in groups.items():
        lines.append(f"\n{unit}")
        lines.extend(f"• {n}" for n in names)
    rows = []
    if is_admin(ctx.officer):
        ctx.state = ctx.state or {}
        ctx.new_nonce()
        for p in people:
            if p.active and p.id != ctx.officer.id:
                rows.append([ctx.button(ctx.t("btn_deactivate", name=p.display_name[:30]), "d", p.id)])
        ctx.save(ctx.state)
    return [Reply("\n".join(lines), rows)]


@action("d")
def act_deactivate(ctx: Ctx, officer_id: str) -> list[Reply]:
    """Switch a person off (admins only)."""
    if not is_admin(ctx.officer):
        return [Reply(ctx.t("admins_only"))]
    if officer_id == ctx.officer.id:
        return [Reply(ctx.t("cannot_deactivate_self"))]
    person = deactivate_officer(ctx.repo, ctx.org.id, officer_id)
    if person is None:
        return [Reply(ctx.t("stale_button"))]
    return [Reply(ctx.t("officer_deactivated", name=person.display_name))]


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
