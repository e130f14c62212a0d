"""Approval in chat: the approver named in the office's signature settings gets the round's document with
อนุมัติ / ส่งกลับ, when the round is complete, when asked (/approve), and again when answers change after
an approval. Each decision keeps who, when, through which account, the document's SHA-256 and the digest of
the answers it was given on (domain.review decides whether an approval still holds).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from domain import review as rv
from domain.events import Button, OutFile, Reply
from domain.fiscal import thai_date
from domain.limits import WorkLimitExceeded
from domain.status import round_statuses, totals
from domain.words import WordError, parse_round
from report.approval_doc import render_for_approval
from report.compile import compile_round
from report.options import load_options
from storage.models import Approval, Officer, ReportEntry

from .context import Ctx, command, on_save, stateless, step
from .review_texts import rt
from .services import is_head, round_context
from .texts import round_name, round_refusal

__all__ = ["APPROVE_PREFIX", "OPEN_PREFIX", "SEND_BACK_PREFIX", "approver_of", "approval_when", "notify_approver",
           "request_approval"]

log = logging.getLogger(__name__)

APPROVE_PREFIX = "go:apv"  # stateless: "go:apv:<fy>:<round>:<first 16 hex of the document's SHA-256>"
SEND_BACK_PREFIX = "go:apr"
OPEN_PREFIX = "go:apd"  # stateless: "go:apd:<fy>:<round>" renders the document for the approver, who tapped
_PREFIXES = ("นางสาว", "นาง", "นาย", "ว่าที่ร้อยตรี", "ว่าที่ ร.ต.")


def _norm(name: str) -> str:
    """A name compared without spaces and a leading title (นาย/นาง/นางสาว)."""
    text = "".join(name.split())
    for prefix in _PREFIXES:
        p = "".join(prefix.split())
        if text.startswith(p) and len(text) > len(p):
            return text[len(p):]
    return text


def approver_of(ctx: Ctx) -> Officer | None:
    """The registered, active person whose name is the approver's in the signature settings (itabot org)."""
    signer = next((s for s in load_options(ctx.repo, ctx.org.id).signers_for(ctx.org) if s.role == "approver"), None)
    want = _norm(signer.name) if signer else ""
    if not want:
        return None
    staff = [p for p in ctx.repo.list_officers(ctx.org.id) if p.active]
    return next((p for p in staff if _norm(p.display_name) == want), None)


def approval_when(iso: str, style: str = "arabic") -> str:
    """"2 เมษายน 2569 เวลา 09.00 น.": an approval's time, Buddhist Era."""
    at = datetime.fromisoformat(iso)
    return f"{thai_date(at.date(), style)} เวลา {at.strftime('%H.%M')} น."


def _key(fy: int, rnd: int) -> str:
    return f"approval_request:{fy}:{rnd}"


def current_digest(ctx: Ctx, fy: int, rnd: int) -> str:
    """The digest of the round's answers as the report shows them (carried ones included)."""
    digest: str = ctx.cached(f"digest:{rnd}", fy, lambda snap: rv.answers_digest(snap, rnd))
    return digest


def _render(ctx: Ctx, fy: int, rnd: int) -> Any:
    """The round's document for approval, rendered through the bounded runner (None when impossible)."""
    if ctx.exports_dir is None:
        return None
    report = compile_round(ctx.repo, ctx.org.id, fy, rnd, ctx.clock.now())
    options = load_options(ctx.repo, ctx.org.id)
    out_dir = ctx.exports_dir / ctx.org.id
    try:
        if ctx.evidence.root is None:  # in-memory evidence cannot cross to another process
            return render_for_approval(report, out_dir, ctx.evidence, options)
        return ctx.bounded(render_for_approval, report, out_dir, ctx.evidence.root, options)
    except WorkLimitExceeded as exc:
        log.warning("rendering for approval stopped at its %s limit for %s", exc.limit, ctx.org.id)
    except Exception:
        log.exception("rendering for approval failed for %s", ctx.org.id)
    return None


def request_approval(ctx: Ctx, fy: int, rnd: int, approver: Officer, again: bool = False) -> list[Reply] | None:
    """Send the approver the document with อนุมัติ / ส่งกลับ; None when no document can be made."""
    rendered = _render(ctx, fy, rnd)
    if rendered is None:
        return None
    sha = hashlib.sha256(rendered.path.read_bytes()).hexdigest()
    digest = current_digest(ctx, fy, rnd)
    prev = ctx.repo.get_setting(ctx.org.id, _key(fy, rnd))
    same = isinstance(prev, dict) and prev.get("digest") == digest and prev.get("by")
    ctx.repo.set_setting(ctx.org.id, _key(fy, rnd), {  # who asked stays the one who offered these answers
        "sha256": sha, "digest": digest, "file": rendered.name,
        "at": ctx.clock.now().isoformat(timespec="seconds"), "by": prev["by"] if same else ctx.officer.id,
    })
    lang = approver.lang
    text = (rt(lang, "approval_ask_again") if again else "") + rt(
        lang, "approval_ask", round=round_name(lang, rnd), fy=fy, file=rendered.name)
    buttons = [[Button(rt(lang, "btn_approve"), f"{APPROVE_PREFIX}:{fy}:{rnd}:{sha[:16]}"),
                Button(rt(lang, "btn_send_back"), f"{SEND_BACK_PREFIX}:{fy}:{rnd}:{sha[:16]}")]]
    doc = OutFile(rendered.path, rendered.name, rendered.mime, "document")
    here = (ctx.event.platform, str(ctx.event.user_id))
    out = []
    for ident in approver.identities:
        if not ident.active:
            continue
        to = "" if (ident.platform, ident.user_id) == here else f"{ident.platform}:{ident.user_id}"
        out += [Reply("", files=[doc], recipient=to), Reply(text, buttons, recipient=to)]
    return out


def _state_line(ctx: Ctx, fy: int, rnd: int) -> str:
    approvals = ctx.repo.list_approvals(ctx.org.id, fy, rnd)
    digest = current_digest(ctx, fy, rnd)
    state = rv.approval_state(approvals, digest)
    valid = rv.current_approval(approvals, digest)
    when = approval_when(valid.at) if valid else ""
    return rt(ctx.lang, f"approval_state_{state}", when=when)


@command("approve", in_flow=True)
def cmd_approve(ctx: Ctx) -> list[Reply]:
    """/approve [3|6|9|12]: send the round's document to the approver now (heads, admins, the approver)."""
    rc = round_context(ctx.repo, ctx.org.id, ctx.clock)
    if not rc.measures:
        return [Reply(ctx.t("no_plan"))]
    arg = ctx.event.args.strip()
    try:
        rnd = parse_round(arg) if arg else rc.round.months
    except WordError:
        return [Reply(round_refusal(ctx.lang, arg))]
    approver = approver_of(ctx)
    if not is_head(ctx.officer) and (approver is None or ctx.officer.id != approver.id):
        return [Reply(rt(ctx.lang, "approve_who"))]
    if approver is None:
        return [Reply(rt(ctx.lang, "no_approver"))]
    status = _state_line(ctx, rc.fiscal_year, rnd)
    sent = request_approval(ctx, rc.fiscal_year, rnd, approver)
    if sent is None:
        return [Reply(rt(ctx.lang, "no_documents"))]
    ctx.pushes.extend(sent)
    if approver.id == ctx.officer.id:
        return [Reply(status)]
    return [Reply(rt(ctx.lang, "approval_sent", round=round_name(ctx.lang, rnd), name=approver.display_name)
                  + "\n" + status)]


def _pending(ctx: Ctx, ref: str) -> tuple[int, int, dict[str, Any]] | list[Reply]:
    """The request a button names, when the approver presses it on the latest document; else the refusal."""
    parts = ref.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return [Reply(ctx.t("stale_button"))]
    fy, rnd, sha = int(parts[0]), int(parts[1]), parts[2]
    approver = approver_of(ctx)
    if approver is None or approver.id != ctx.officer.id:
        return [Reply(rt(ctx.lang, "approver_only"))]
    req = ctx.repo.get_setting(ctx.org.id, _key(fy, rnd))
    if not isinstance(req, dict) or not sha or not str(req.get("sha256", "")).startswith(sha):
        return [Reply(rt(ctx.lang, "approval_stale"))]
    if req.get("digest") != current_digest(ctx, fy, rnd):  # answers changed since this document was made
        again = request_approval(ctx, fy, rnd, ctx.officer) or []
        ctx.pushes.extend(again)
        return [Reply(rt(ctx.lang, "approval_changed" if again else "no_documents"))]
    return fy, rnd, req


def _decision(ctx: Ctx, fy: int, rnd: int, req: dict[str, Any], decision: str, comment: str = "") -> Approval:
    record = Approval(
        ctx.org.id, fy, rnd, ctx.officer.id, ctx.officer.display_name, ctx.event.platform, str(ctx.event.user_id),
        ctx.clock.now().isoformat(timespec="seconds"), str(req["sha256"]), str(req["digest"]), decision, comment,
    )
    ctx.repo.add_approval(record)
    return record


def _tell_requester(ctx: Ctx, req: dict[str, Any], key: str, rnd: int, **kw: object) -> list[Reply]:
    """The person who asked for approval hears the decision (not when they are the approver)."""
    person = ctx.repo.get_officer(ctx.org.id, str(req.get("by", "")))
    if person is None or person.id == ctx.officer.id or not person.active:
        return []
    text = rt(person.lang, key, name=ctx.officer.display_name, round=round_name(person.lang, rnd), **kw)
    return [Reply(text, recipient=f"{i.platform}:{i.user_id}") for i in person.identities if i.active]


@stateless(APPROVE_PREFIX)
def act_approve(ctx: Ctx, ref: str) -> list[Reply]:
    """อนุมัติ: record the approval of exactly the document sent and the answers it shows."""
    found = _pending(ctx, ref)
    if isinstance(found, list):
        return found
    fy, rnd, req = found
    valid = rv.current_approval(ctx.repo.list_approvals(ctx.org.id, fy, rnd), str(req["digest"]))
    record = valid if valid and valid.document_sha256 == req["sha256"] else _decision(ctx, fy, rnd, req, rv.APPROVED)
    when = approval_when(record.at)
    ctx.pushes.extend(_tell_requester(ctx, req, "approved_notice", rnd, when=when))
    return [Reply(rt(ctx.lang, "approved", round=round_name(ctx.lang, rnd), when=when))]


@stateless(SEND_BACK_PREFIX)
def act_send_back(ctx: Ctx, ref: str) -> list[Reply]:
    """ส่งกลับ: ask why, typed."""
    found = _pending(ctx, ref)
    if isinstance(found, list):
        return found
    fy, rnd, req = found
    ctx.save({"flow": "approval", "step": "acomment", "fy": fy, "round": rnd, "sha": req["sha256"]})
    return [Reply(rt(ctx.lang, "ask_send_back"))]


@step("acomment")
def step_send_back(ctx: Ctx) -> list[Reply]:
    """The typed reason: the send-back is recorded (no approval) and the requester hears it."""
    st = ctx.state or {}
    text = ctx.event.text.strip() if ctx.event.kind == "text" else ""
    if not text:
        return [Reply(rt(ctx.lang, "ask_send_back"))]
    found = _pending(ctx, f"{st.get('fy')}:{st.get('round')}:{st.get('sha', '')}")
    ctx.save(None)
    if isinstance(found, list):
        return found
    fy, rnd, req = found
    _decision(ctx, fy, rnd, req, rv.APPROVAL_RETURNED, text[:500])
    ctx.pushes.extend(_tell_requester(ctx, req, "sent_back_notice", rnd, comment=text[:500]))
    return [Reply(rt(ctx.lang, "sent_back", round=round_name(ctx.lang, rnd)))]


def notify_approver(ctx: Ctx, fy: int, rnd: int, approver: Officer, again: bool) -> list[Reply]:
    """Tell the approver the round is ready (or changed since the approval), with a button that makes the document.

    Rendering waits for the approver's tap, so the officer whose save completed the round is not kept waiting.
    """
    ctx.repo.set_setting(ctx.org.id, _key(fy, rnd), {
        "sha256": "", "digest": current_digest(ctx, fy, rnd), "file": "",
        "at": ctx.clock.now().isoformat(timespec="seconds"), "by": ctx.officer.id,
    })
    lang = approver.lang
    text = (rt(lang, "approval_ask_again") if again else "") + rt(lang, "approval_ready", round=round_name(lang, rnd), fy=fy)
    button = [[Button(rt(lang, "btn_open_document"), f"{OPEN_PREFIX}:{fy}:{rnd}")]]
    here = (ctx.event.platform, str(ctx.event.user_id))
    return [Reply(text, button, recipient="" if (i.platform, i.user_id) == here else f"{i.platform}:{i.user_id}")
            for i in approver.identities if i.active]


@stateless(OPEN_PREFIX)
def act_open_document(ctx: Ctx, ref: str) -> list[Reply]:
    """The approver's tap: the round's document now, with อนุมัติ / ส่งกลับ."""
    parts = ref.split(":")
    if len(parts) != 2 or not parts[0].isdigit() or not parts[1].isdigit():
        return [Reply(ctx.t("stale_button"))]
    approver = approver_of(ctx)
    if approver is None or approver.id != ctx.officer.id:
        return [Reply(rt(ctx.lang, "approver_only"))]
    fy, rnd = int(parts[0]), int(parts[1])
    state = rv.approval_state(ctx.repo.list_approvals(ctx.org.id, fy, rnd), current_digest(ctx, fy, rnd))
    sent = request_approval(ctx, fy, rnd, approver, again=state == rv.OUTDATED)
    if sent is None:
        return [Reply(rt(ctx.lang, "no_documents"))]
    ctx.pushes.extend(sent)
    return []


@on_save
def ask_approver(ctx: Ctx, entry: ReportEntry) -> list[Reply]:
    """After a save: tell the approver when the round just became complete, or again when an approval is outdated."""
    fy, rnd = entry.fiscal_year, entry.round
    approvals = ctx.repo.list_approvals(ctx.org.id, fy, rnd)
    last = rv.last_decision(approvals)
    if last is None or last.decision != rv.APPROVED:  # no approval stands, whatever the answers
        tot = totals(round_statuses(ctx.measures(fy), ctx.units, (), rnd, by_round=ctx.by_round(fy)))
        if not tot.total or tot.reported < tot.total:
            return []  # nothing to approve before the round is complete: no digest needed (most saves)
    digest = current_digest(ctx, fy, rnd)
    req = ctx.repo.get_setting(ctx.org.id, _key(fy, rnd))
    if isinstance(req, dict) and req.get("digest") == digest:
        return []  # the approver already has (or is offered) a document of exactly these answers
    state = rv.approval_state(approvals, digest)
    if state == rv.APPROVED:
        return []
    approver = approver_of(ctx)
    if approver is None:
        return []
    return notify_approver(ctx, fy, rnd, approver, again=state == rv.OUTDATED)
