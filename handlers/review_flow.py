"""/review: a head opens the round's answers of their units one by one, accepts them or sends one back.

Sending back tells the unit's officers, with the comment and a "แก้ไขเลย" button that opens the measure;
their next revision clears the request (domain.review decides every state; this module only shows it).
"""

from __future__ import annotations

from datetime import datetime

from domain import people
from domain import review as rv
from domain.events import Button, Reply
from domain.fiscal import thai_short_date
from domain.status import MeasureStatus, UnitAnswer, round_statuses
from domain.words import WordError, parse_round
from storage.models import ReportEntry, Review

from .context import Ctx, action, command, on_save, stateless, step
from .report_core import status_mark
from .report_flow import open_measure
from .report_list import short, start_report
from .review_texts import rt
from .services import RoundContext, is_head, my_statuses, round_context, units_for_measure
from .texts import round_name, round_refusal

__all__ = ["FIX_PREFIX", "cmd_review", "fix_button", "review_items", "status_lines"]

FIX_PREFIX = "go:fix"  # stateless: "go:fix:<fy>:<round>:<measure>:<unit>" opens that answer to change it
PAGE_SIZE = 8
TITLE_MAX = 34


def _rt(ctx: Ctx, key: str, **kw: object) -> str:
    return rt(ctx.lang, key, **kw)


def review_items(ctx: Ctx, fy: int, rnd: int) -> list[tuple[MeasureStatus, UnitAnswer]]:
    """Every answer (this round's or carried) of the units the person heads, in plan order."""
    scope = people.head_scope(ctx.officer, ctx.units)
    statuses = round_statuses(ctx.measures(fy), ctx.units, (), rnd, by_round=ctx.by_round(fy))
    return [
        (s, a) for s in statuses for a in s.answers if a.entry is not None and (scope is None or a.unit.id in scope)
    ]


def _state_of(reviews: list[Review], rnd: int, s: MeasureStatus, a: UnitAnswer) -> tuple[str, Review | None]:
    """The review state of one unit's answer and the decision it comes from (domain.review)."""
    last = rv.latest_review(reviews, rnd, s.measure.id, a.unit.id)
    return rv.unit_review_state(last, a.entry), last


@command("review", role="head")
def cmd_review(ctx: Ctx) -> list[Reply]:
    """/review [3|6|9|12]: the round's answers of the head's units, to accept or send back."""
    rc = round_context(ctx.repo, ctx.org.id, ctx.clock)
    if not rc.measures:
        return [Reply(ctx.t("no_plan"))]
    arg = ctx.event.args.strip()
    try:
        rnd = parse_round(arg) if arg else rc.round.months
    except WordError:
        return [Reply(round_refusal(ctx.lang, arg))]
    ctx.state = {"flow": "review", "step": "rlist", "fy": rc.fiscal_year, "round": rnd, "page": 0}
    return _list(ctx, 0)


def _list(ctx: Ctx, page: int, note: str = "") -> list[Reply]:
    """One page of answers with their review marks; the pairs are kept in the state so buttons stay short."""
    st = ctx.state or {}
    fy, rnd = int(st["fy"]), int(st["round"])
    items = review_items(ctx, fy, rnd)
    label = round_name(ctx.lang, rnd)
    if not items:
        ctx.save(None)
        return [Reply((note + "\n\n" if note else "") + _rt(ctx, "list_empty", round=label))]
    reviews = ctx.repo.list_reviews(ctx.org.id, fy, rnd)
    states = [_state_of(reviews, rnd, s, a)[0] for s, a in items]
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    st.update(step="rlist", page=page, items=[[s.measure.id, a.unit.id] for s, a in items])
    st.pop("item", None)
    ctx.new_nonce()
    rows: list[list[Button]] = []
    for i in range(page * PAGE_SIZE, min(len(items), (page + 1) * PAGE_SIZE)):
        s, a = items[i]
        title = short(s.measure.title.lstrip("- "), TITLE_MAX)
        rows.append([ctx.button(f"{_rt(ctx, 'mark_' + states[i])} {s.measure.no}. {title} ({short(a.unit.name, 16)})",
                                "ro", str(i))])
    nav = []
    if page > 0:
        nav.append(ctx.button(_rt(ctx, "btn_prev"), "rg", str(page - 1)))
    if page < pages - 1:
        nav.append(ctx.button(_rt(ctx, "btn_next"), "rg", str(page + 1)))
    if nav:
        rows.append(nav)
    ctx.save(st)
    head = _rt(ctx, "list_header", round=label, fy=fy, total=len(items), accepted=states.count(rv.ACCEPTED),
               returned=states.count(rv.RETURNED))
    return [Reply((note + "\n\n" if note else "") + head, rows)]


def _item(ctx: Ctx, arg: str) -> tuple[MeasureStatus, UnitAnswer] | None:
    """The answer a list button names, re-read now (None when it no longer is the head's to review)."""
    st = ctx.state or {}
    pairs = st.get("items") or []
    if not arg.isdigit() or int(arg) >= len(pairs) or st.get("flow") != "review":
        return None
    mid, uid = pairs[int(arg)]
    return next(((s, a) for s, a in review_items(ctx, int(st["fy"]), int(st["round"]))
                 if s.measure.id == mid and a.unit.id == uid), None)


def _when(iso: str) -> str:
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{thai_short_date(at.date())} {at.strftime('%H:%M')}"


def _card(ctx: Ctx, s: MeasureStatus, a: UnitAnswer, state: str, last: Review | None) -> str:
    """The answer as the head must judge it: result, texts, evidence, who and when, the review so far."""
    entry = a.entry
    assert entry is not None
    body = [_rt(ctx, key, text=short(getattr(entry, key), 600)) for key in ("summary", "outcome", "reason")
            if getattr(entry, key)]
    if entry.evidence:
        body.append(_rt(ctx, "evidence", count=len(entry.evidence)))
        body.extend(f"• {short(e.note or e.name or e.url or e.kind, 80)}" for e in entry.evidence[:10])
    carried = _rt(ctx, "card_carried", round=round_name(ctx.lang, a.carried_from)) if a.carried_from else ""
    text = _rt(ctx, "card", no=s.measure.no, title=short(s.measure.title, 300), unit=a.unit.name,
               status=status_mark(ctx, entry.status), carried=carried, body="\n".join(body) or "-",
               who=entry.officer_name or "-", when=_when(entry.created_at), revision=entry.revision,
               state=_rt(ctx, f"state_{state}"))
    if last is not None and last.comment:
        text += _rt(ctx, "card_comment", comment=last.comment)
    return text


@action("ro")
def act_open(ctx: Ctx, arg: str) -> list[Reply]:
    """Open one answer with ยอมรับ / ส่งกลับแก้ไข / « กลับ."""
    found = _item(ctx, arg)
    if found is None:
        return [Reply(_rt(ctx, "not_yours"))]
    st = ctx.state or {}
    s, a = found
    state, last = _state_of(ctx.repo.list_reviews(ctx.org.id, int(st["fy"]), int(st["round"])), int(st["round"]), s, a)
    st.update(step="ritem", item=arg)
    ctx.new_nonce()
    rows = [[ctx.button(_rt(ctx, "btn_accept"), "ry", arg), ctx.button(_rt(ctx, "btn_return"), "rn", arg)],
            [ctx.button(_rt(ctx, "btn_back"), "rl", str(st.get("page", 0)))]]
    ctx.save(st)
    return [Reply(_card(ctx, s, a, state, last), rows)]


@action("rg")
def act_page(ctx: Ctx, arg: str) -> list[Reply]:
    """Another page of the list."""
    return _list(ctx, int(arg) if arg.isdigit() else 0)


@action("rl")
def act_back(ctx: Ctx, arg: str) -> list[Reply]:
    """« กลับ: the list again, nothing decided."""
    if (ctx.state or {}).get("flow") != "review":
        return [Reply(ctx.t("stale_button"))]
    return _list(ctx, int(arg) if arg.isdigit() else 0)


def _decide(ctx: Ctx, s: MeasureStatus, a: UnitAnswer, state: str, comment: str = "") -> Review:
    st = ctx.state or {}
    assert a.entry is not None
    decision = Review(ctx.org.id, int(st["fy"]), int(st["round"]), s.measure.id, a.unit.id, state, comment,
                      ctx.officer.id, ctx.clock.now().isoformat(timespec="seconds"), a.entry.revision)
    ctx.repo.add_review(decision)
    return decision


@action("ry")
def act_accept(ctx: Ctx, arg: str) -> list[Reply]:
    """ยอมรับ: record it and go back to the list."""
    found = _item(ctx, arg)
    if found is None:
        return [Reply(_rt(ctx, "not_yours"))]
    s, a = found
    _decide(ctx, s, a, rv.ACCEPTED)
    return _list(ctx, int((ctx.state or {}).get("page", 0)), _rt(ctx, "accepted", unit=a.unit.name, no=s.measure.no))


@action("rn")
def act_return(ctx: Ctx, arg: str) -> list[Reply]:
    """ส่งกลับแก้ไข: ask what to fix (typed), « กลับ keeps everything as it was."""
    found = _item(ctx, arg)
    if found is None:
        return [Reply(_rt(ctx, "not_yours"))]
    st = ctx.state or {}
    st.update(step="rcomment", item=arg)
    ctx.new_nonce()
    ctx.save(st)
    back = [[ctx.button(_rt(ctx, "btn_back"), "rl", str(st.get("page", 0)))]]
    return [Reply(_rt(ctx, "ask_comment", unit=found[1].unit.name), back)]


@step("rcomment")
def step_comment(ctx: Ctx) -> list[Reply]:
    """The typed comment: record the send-back, tell the unit's officers, back to the list."""
    text = ctx.event.text.strip() if ctx.event.kind == "text" else ""
    found = _item(ctx, str((ctx.state or {}).get("item", "")))
    if found is None:
        ctx.save(None)
        return [Reply(_rt(ctx, "not_yours"))]
    if not text:
        return [Reply(_rt(ctx, "comment_empty"))]
    s, a = found
    decision = _decide(ctx, s, a, rv.RETURNED, short(text, 500))
    ctx.pushes.extend(_tell_officers(ctx, s, a, decision))
    told = len({p.recipient for p in ctx.pushes})
    note = _rt(ctx, "returned", unit=a.unit.name, no=s.measure.no, count=told)
    return _list(ctx, int((ctx.state or {}).get("page", 0)), note)


def fix_button(lang: str, fy: int, rnd: int, measure_id: str, unit_id: str) -> Button:
    """"แก้ไขเลย": opens that unit's answer (the round's list when the ids are too long for a button)."""
    data = f"{FIX_PREFIX}:{fy}:{rnd}:{measure_id}:{unit_id}"
    if len(data.encode()) > 64:
        data = f"go:report:{fy}:{rnd}"
    return Button(rt(lang, "btn_fix"), data)


def _tell_officers(ctx: Ctx, s: MeasureStatus, a: UnitAnswer, decision: Review) -> list[Reply]:
    """The send-back, pushed to every active account of the unit's officers (the reviewer excepted)."""
    out: list[Reply] = []
    for person in people.reporters(a.unit.id, ctx.repo.list_officers(ctx.org.id)):
        if person.id == ctx.officer.id:
            continue
        text = rt(person.lang, "notify_return", reviewer=ctx.officer.display_name,
                  round=round_name(person.lang, decision.round_no), no=s.measure.no,
                  title=short(s.measure.title, 120), unit=a.unit.name, comment=decision.comment)
        button = fix_button(person.lang, decision.fiscal_year, decision.round_no, s.measure.id, a.unit.id)
        out.extend(Reply(text, [[button]], recipient=f"{i.platform}:{i.user_id}")
                   for i in person.identities if i.active)
    return out


@stateless(FIX_PREFIX)
def open_fix(ctx: Ctx, ref: str) -> list[Reply]:
    """"แก้ไขเลย" from a send-back: the unit's answer opened in the report flow, the comment on top."""
    parts = ref.split(":")
    if len(parts) != 4:
        return [Reply(ctx.t("stale_button"))]
    fy_text, rnd_text, mid, uid = parts
    listing = start_report(ctx, round_ref=f"{fy_text}:{rnd_text}")
    st = ctx.state or {}
    if st.get("flow") != "report" or f"{st.get('fy')}:{st.get('round')}" != f"{fy_text}:{rnd_text}":
        return listing  # not this person's round (any more): the list explains what is open
    measure = next((m for m in ctx.measures(int(fy_text)) if m.id == mid), None)
    if measure is None or uid not in {u.id for u in units_for_measure(ctx.officer, measure, ctx.units)}:
        return [Reply(ctx.t("not_yours")), *listing]
    replies = open_measure(ctx, measure, uid)
    last = rv.latest_review(ctx.repo.list_reviews(ctx.org.id, int(fy_text), int(rnd_text)), int(rnd_text), mid, uid)
    if last is not None and last.state == rv.RETURNED and replies:
        replies[0].text = _rt(ctx, "fix_note", comment=last.comment) + "\n\n" + replies[0].text
    return replies


@on_save
def revised_after_return(ctx: Ctx, entry: ReportEntry) -> list[Reply]:
    """A unit's new revision of an answer sent back: the head who sent it back hears it is fixed."""
    reviews = ctx.repo.list_reviews(ctx.org.id, entry.fiscal_year, entry.round)
    last = rv.latest_review(reviews, entry.round, entry.measure_id, entry.unit_id)
    if last is None or last.state != rv.RETURNED or last.reviewer_id == ctx.officer.id:
        return []
    reviewer = ctx.repo.get_officer(ctx.org.id, last.reviewer_id)
    measure = next((m for m in ctx.measures(entry.fiscal_year) if m.id == entry.measure_id), None)
    if reviewer is None or not reviewer.active or measure is None:
        return []
    text = rt(reviewer.lang, "notify_revised", unit=ctx.unit_name(entry.unit_id), no=measure.no,
              title=short(measure.title, 80), round=round_name(reviewer.lang, entry.round))
    return [Reply(text, recipient=f"{i.platform}:{i.user_id}") for i in reviewer.identities if i.active]


def returned_lines(ctx: Ctx, fy: int, rnd: int, statuses: list[MeasureStatus], unit_ids: set[str]) -> list[str]:
    """/status for officers: their units' answers waiting for a fix, with the head's comment."""
    reviews = ctx.repo.list_reviews(ctx.org.id, fy, rnd)
    lines = []
    for s in statuses:
        for a in s.answers:
            if a.unit.id not in unit_ids:
                continue
            state, last = _state_of(reviews, rnd, s, a)
            if state == rv.RETURNED and last is not None:
                lines.append(_rt(ctx, "status_my_returned", no=s.measure.no, title=short(s.measure.title, 50),
                                 unit=a.unit.name, comment=short(last.comment, 120)))
    return lines


def returned_count(ctx: Ctx, fy: int, rnd: int, statuses: list[MeasureStatus]) -> list[str]:
    """/status for heads: "รอแก้ไข n มาตรการ" when any of their measures waits for a fix."""
    count = rv.count_returned(statuses, ctx.repo.list_reviews(ctx.org.id, fy, rnd))
    return [_rt(ctx, "status_returned", count=count)] if count else []


def status_lines(ctx: Ctx, rc: RoundContext) -> list[str]:
    """/status: the person's own answers sent back (with the comment) and, for heads, how many wait for a fix."""
    fy, rnd = rc.fiscal_year, rc.round.months
    mine = my_statuses(ctx.officer, rc.measures, ctx.units, (), rnd, ctx.by_round(fy))
    lines = returned_lines(ctx, fy, rnd, mine, set(people.report_unit_ids(ctx.officer)))
    if is_head(ctx.officer):
        scope = people.head_scope(ctx.officer, ctx.units)
        seen = [s for s in round_statuses(rc.measures, ctx.units, (), rnd, by_round=ctx.by_round(fy))
                if people.sees_measure(scope, s.measure, ctx.units)]
        lines += returned_count(ctx, fy, rnd, seen) + _approval_line(ctx, fy, rnd)
    return lines


def _approval_line(ctx: Ctx, fy: int, rnd: int) -> list[str]:
    """Heads: the round's approval as domain.review judges it now (nothing before any decision)."""
    approvals = ctx.repo.list_approvals(ctx.org.id, fy, rnd)
    last = rv.last_decision(approvals)
    if last is None:
        return []
    label = round_name(ctx.lang, rnd)
    if last.decision != rv.APPROVED:
        return [_rt(ctx, "status_sent_back", round=label, comment=short(last.comment, 120) or "-")]
    if rv.approval_state(approvals, rv.answers_digest(ctx.entries(fy), rnd)) == rv.APPROVED:
        return [_rt(ctx, "status_approved", round=label, when=_when(last.at))]
    return [_rt(ctx, "status_outdated", round=label)]
