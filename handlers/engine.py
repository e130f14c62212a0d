"""The platform-neutral engine: one Incoming in, replies out; every platform and the console share it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from domain.events import Incoming, Reply
from domain.limits import BoundedRunner, run_inline
from domain.safe_text import clean_input
from storage.clock import Clock
from storage.evidence import EvidenceStore
from storage.models import ReportEntry
from storage.repository import Repository

from . import (  # noqa: F401  (register commands, actions, steps, screens)
    import_flow,
    office,
    publish_flow,
    report_cover,
    report_evidence,
    report_flow,
    report_list,
    report_recap,
    report_steps,
    requirements,
    review_approval,
    review_flow,
)
from .context import ACTIONS, COMMANDS, STATELESS, STEPS, Ctx, Derived
from .matching import match_button
from .report_flow import prompt_for, start_report
from .screens import current_screen, noted, reprompt
from .services import InviteError, identity_key, is_admin, is_head, redeem_invite, set_identity_active
from .texts import t

__all__ = ["Engine", "REPORT_BUTTON"]

log = logging.getLogger(__name__)

REPORT_BUTTON = "go:report"  # stateless: reminders carry it, it always opens the list
_ROLE_OK = {"officer": lambda o: True, "head": is_head, "admin": is_admin}
_THROTTLE_SECONDS = 600
# failed invite codes allowed per 10 minutes: per chat account, per office (its codes) and in total
_THROTTLE_LIMITS = {"account": 5, "org": 20, "all": 100}
_BUSY_STEPS = {"summary", "outcome", "evidence", "cover", "reason", "suggestion", "confirm", "edit", "cancel", "import"}


class Engine:
    """Turns neutral events into replies, persisting conversation state between them."""

    def __init__(
        self, repo: Repository, evidence: EvidenceStore, clock: Clock, exports_dir: Path | None = None
    ) -> None:
        self.repo = repo
        self.evidence = evidence
        self.clock = clock
        self.exports_dir = exports_dir
        # set by the composition root when a reminder service runs: (org_id, officer_id) -> Thai answer
        self.remind: Callable[[str, str], str] | None = None
        # set by the composition root: runs rendering and imports in a bounded child process
        self.bounded: BoundedRunner = run_inline
        # set by the composition root when links are checked in the background: told of every saved answer
        self.saved: Callable[[ReportEntry], None] | None = None
        # set by `itabot run` when PUBLIC_BASE_URL is set: where the published site is served (…/site)
        self.site_url = ""
        self.derived = Derived()  # what views compute from saved answers, kept until the next save

    def handle(self, event: Incoming) -> list[Reply]:
        """Answer one event; never raises, whatever the input."""
        try:
            return self._handle(event)
        except Exception:
            log.exception(
                "event failed: platform=%s user=%s kind=%s", event.platform, event.user_id, event.kind
            )
            return [Reply(t("th", "error"))]

    def _handle(self, event: Incoming) -> list[Reply]:
        event.text, event.args = clean_input(event.text), clean_input(event.args)
        event.display_name = clean_input(event.display_name)
        for att in event.attachments:
            att.name = clean_input(att.name)
        if event.kind == "unfollow":
            set_identity_active(self.repo, event.platform, event.user_id, False)
            return []
        if event.is_group:
            return [Reply(t("th", "group_pointer"))]
        found = self.repo.find_identity(event.platform, str(event.user_id))
        officer = self.repo.get_officer(*found) if found else None
        if officer is None:
            return self._unregistered(event)
        if event.kind == "follow":
            set_identity_active(self.repo, event.platform, event.user_id, True)
            return [Reply(t(officer.lang, "help"))]
        org = self.repo.get_org(officer.org_id)
        if org is None or not officer.active:
            return [Reply(t(officer.lang, "inactive"))]
        key = identity_key(event.platform, str(event.user_id))
        ctx = Ctx(
            self.repo,
            self.evidence,
            self.clock,
            event,
            officer,
            org,
            key,
            self.repo.get_state(org.id, key),
            self.exports_dir,
            self.remind,
            self.bounded,
            saved=self.saved,
            site_url=self.site_url,
            derived=self.derived,
        )
        if event.kind == "command":
            replies = self._command(ctx)
        elif event.kind == "button":
            replies = self._button(ctx)
        else:
            replies = self._input(ctx)
        mine = [r if r.recipient or r.lang else replace(r, lang=ctx.lang) for r in self._keep_screen(ctx, replies)]
        return [*mine, *ctx.pushes]

    def _keep_screen(self, ctx: Ctx, replies: list[Reply]) -> list[Reply]:
        """A reply mid-report that lost the step's buttons (/help, a stale tap, an error) gets them back."""
        if not ctx.state or ctx.state.get("flow") != "report" or any(r.buttons for r in replies):
            return replies
        ctx.state = self.repo.get_state(ctx.org.id, ctx.key)  # the screen of what is saved, not of a refused change
        shown = current_screen(ctx) if ctx.state else None
        if shown is None or not shown.buttons:
            return replies
        if not replies:
            return [shown]
        last = replies[-1]
        text = last.text if shown.text in last.text else noted(last.text, shown).text
        return [*replies[:-1], Reply(text, shown.buttons, last.files, last.recipient)]

    def _unregistered(self, event: Incoming) -> list[Reply]:
        if event.kind == "follow":
            return [Reply(t("th", "welcome_follow"))]
        if event.kind != "command" or event.command != "start" or not event.args.strip():
            return [Reply(t("th", "not_registered"))]
        code = event.args.split()[0]
        keys = self._throttle_keys(event, code)
        now = self.clock.now().timestamp()
        counts = self.repo.count_failures(keys, now - _THROTTLE_SECONDS)
        if any(counts[k] >= _THROTTLE_LIMITS[k.split(":", 1)[0]] for k in keys):
            return [Reply(t("th", "invite_throttled"))]
        try:
            officer = redeem_invite(
                self.repo,
                self.clock,
                code,
                event.platform,
                str(event.user_id),
                event.chat_id or str(event.user_id),
                event.display_name,
            )
        except InviteError as exc:
            self.repo.record_failure(keys, now, now - _THROTTLE_SECONDS)
            return [Reply(t("th", exc.key))]
        org = self.repo.get_org(officer.org_id)
        units = {u.id: u.name for u in self.repo.list_units(officer.org_id)}
        unit_text = ", ".join(units.get(u, u) for u in officer.unit_ids) or (org.name if org else "")
        text = t(
            "th",
            "registered",
            name=officer.display_name,
            role=t("th", f"role_{officer.role}"),
            units=unit_text,
            org=org.name if org else "",
        )
        return [Reply(text)]

    def _throttle_keys(self, event: Incoming, code: str) -> list[str]:
        """Who a failed code counts against: the account, the office whose code it is, everyone."""
        keys = [f"account:{identity_key(event.platform, str(event.user_id))}", "all"]
        invite = self.repo.get_invite(code.strip().upper())
        if invite is not None:
            keys.append(f"org:{invite.org_id}")
        return keys

    def _command(self, ctx: Ctx) -> list[Reply]:
        name = ctx.event.command
        spec = COMMANDS.get(name)
        in_flow = bool(ctx.state and ctx.state.get("step") in _BUSY_STEPS)
        if spec is None:
            if in_flow:
                return [Reply(ctx.t("unknown_command_flow", cmd=name[:30], prompt=prompt_for(ctx)))]
            return [Reply(ctx.t("unknown_command", cmd=name[:30]))]
        if not _ROLE_OK[spec.role](ctx.officer):
            return [Reply(ctx.t("admins_only" if spec.role == "admin" else "heads_only"))]
        if in_flow and not spec.in_flow:
            return [Reply(ctx.t("busy_flow", prompt=prompt_for(ctx)))]
        if not in_flow and name in ("skip", "done"):  # a screen of buttons (list, unit, status) or nothing going on
            return reprompt(ctx, ctx.t("choose_button")) if ctx.state and ctx.state.get("step") else [Reply(ctx.t("idle_text"))]
        return spec.handler(ctx)

    def _button(self, ctx: Ctx, data: str | None = None) -> list[Reply]:
        data = ctx.event.data if data is None else data
        if data == REPORT_BUTTON or data.startswith(REPORT_BUTTON + ":"):
            return start_report(ctx, round_ref=data[len(REPORT_BUTTON) + 1 :])
        prefix, _, ref = data.partition(":")[2].partition(":")
        if data.startswith("go:") and f"go:{prefix}" in STATELESS:
            return STATELESS[f"go:{prefix}"](ctx, ref)
        nonce, _, rest = data.partition(":")
        act, _, arg = rest.partition(":")
        if not ctx.state or ctx.state.get("n") != nonce or act not in ACTIONS:
            return [Reply(ctx.t("stale_button"))]
        return ACTIONS[act](ctx, arg)

    def _input(self, ctx: Ctx) -> list[Reply]:
        step = (ctx.state or {}).get("step", "")
        in_report = bool(ctx.state and ctx.state.get("flow") == "report")
        shown = current_screen(ctx) if in_report and ctx.event.kind == "text" else None
        pressed = match_button(ctx.event.text, shown.flat_buttons()) if shown else None
        if pressed is not None:  # "2", "๒" or a button's label typed instead of tapped
            return self._button(ctx, pressed.data)
        if step in STEPS:
            return STEPS[step](ctx)
        if ctx.event.kind == "file" and not ctx.state:
            return import_flow.offer_import(ctx)
        if in_report:
            hint = ctx.t("choose_button")
            return [noted(hint, shown)] if shown else [Reply(hint)]  # _keep_screen adds it when not built yet
        if ctx.state and ctx.state.get("flow"):
            return [Reply(prompt_for(ctx))]
        return [Reply(ctx.t("idle_text"))]
