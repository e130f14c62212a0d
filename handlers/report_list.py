"""The report list: today's round (or one a reminder names), paging, and earlier rounds still owed."""

from __future__ import annotations

from domain.events import Reply
from domain.fiscal import get_round
from domain.status import MeasureStatus
from storage.models import Measure

from .context import Ctx, action, command
from .services import my_statuses, round_context
from .texts import round_name, short_date

__all__ = ["start_report", "list_page", "mine", "my_round", "short", "round_text", "PAGE_SIZE", "LABEL_MAX"]

PAGE_SIZE = 6
LABEL_MAX = 48
_CARRIED_HINT = {  # list texts beyond handlers/texts.py
    "th": "↪ = มีผลจากรอบก่อน ยืนยันหรือปรับปรุงให้เป็นของรอบนี้",
    "en": "↪ = answered in an earlier round: confirm or update it for this round",
}


def short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def round_text(ctx: Ctx) -> str:
    return round_name(ctx.lang, int((ctx.state or {}).get("round", 0)))


def my_round(ctx: Ctx, fy: int, rnd: int) -> list[MeasureStatus]:
    """The person's measures in a round with their units' answers (domain.status, carried ones included)."""
    return my_statuses(ctx.officer, ctx.measures(fy), ctx.units, (), rnd, ctx.by_round(fy))


def mine(ctx: Ctx) -> tuple[list[Measure], set[str]]:
    """The person's measures this round and the ids every one of their units has answered in the round."""
    st = ctx.state or {}
    statuses = my_round(ctx, int(st["fy"]), int(st["round"]))
    return [s.measure for s in statuses], {s.measure.id for s in statuses if s.reported}


def _parse_round_ref(ctx: Ctx, ref: str) -> tuple[int, int] | None:
    """"2569:3" from a reminder button: a planned year and a round that has already opened."""
    fy_text, _, rnd_text = ref.partition(":")
    if not (fy_text.isdigit() and rnd_text in ("3", "6", "9", "12")):
        return None
    fy, rnd = int(fy_text), int(rnd_text)
    if fy not in ctx.repo.fiscal_years(ctx.org.id) or get_round(fy, rnd).start > ctx.clock.today():
        return None
    return fy, rnd


def _late_rounds(ctx: Ctx, fy: int, rnd: int) -> list[tuple[int, int, int]]:
    """Earlier rounds of the year in which the person still owes answers: (fy, round, count)."""
    late = []
    for earlier in (r for r in (3, 6, 9) if r < rnd):
        owed = sum(1 for s in my_round(ctx, fy, earlier) if not s.reported)
        if owed:
            late.append((fy, earlier, owed))
    return late


def start_report(ctx: Ctx, page: int = 0, round_ref: str = "") -> list[Reply]:
    """Open (or reopen) the list of a round's measures: today's round, or the one a reminder names."""
    rc = round_context(ctx.repo, ctx.org.id, ctx.clock)
    fy, rnd = _parse_round_ref(ctx, round_ref) or (rc.fiscal_year, rc.round.months)
    if not ctx.measures(fy):
        ctx.save(None)
        return [Reply(ctx.t("no_plan"))]
    ctx.state = {"flow": "report", "step": "list", "fy": fy, "round": rnd, "page": page}  # list_page saves
    return list_page(ctx, page)


@action("o")
def act_other_round(ctx: Ctx, ref: str) -> list[Reply]:
    """Switch the list to an earlier round that still has answers owed."""
    return start_report(ctx, round_ref=ref)


def list_page(ctx: Ctx, page: int) -> list[Reply]:
    """One page of the round's list: "รายงานแล้ว k/n", ✅ reported, ↪ only an earlier round's answer."""
    st = ctx.state or {}
    statuses = my_round(ctx, int(st["fy"]), int(st["round"]))
    measures = [s.measure for s in statuses]
    done = {s.measure.id for s in statuses if s.reported}
    carried = {s.measure.id for s in statuses if s.carried}
    if not measures:
        late = _late_rounds(ctx, int(st["fy"]), int(st["round"]))
        if not late:
            ctx.save(None)
            return [Reply(ctx.t("no_measures", round=round_text(ctx)))]
        return start_report(ctx, round_ref=f"{late[0][0]}:{late[0][1]}")
    pages = max(1, -(-len(measures) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    st.update(step="list", page=page)
    st.pop("mid", None)
    st.pop("draft", None)
    ctx.new_nonce()
    rnd = get_round(int(st["fy"]), int(st["round"]))
    head = ctx.t(
        "list_header",
        round=round_text(ctx),
        fy=st["fy"],
        deadline=short_date(ctx.lang, rnd.end),
        done=len(done),
        total=len(measures),
    )
    rows = []
    for m in measures[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        mark = "✅ " if m.id in done else ("↪ " if m.id in carried else "")
        rows.append([ctx.button(short(f"{mark}{m.no}. {m.title.lstrip('- ')}", LABEL_MAX), "m", m.id)])
    nav = []
    if page > 0:
        nav.append(ctx.button(ctx.t("btn_prev"), "p", str(page - 1)))
    if page < pages - 1:
        nav.append(ctx.button(ctx.t("btn_next"), "p", str(page + 1)))
    if nav:
        rows.append(nav)
        head += "\n" + ctx.t("list_page", page=page + 1, pages=pages)
    if carried - done:
        head += "\n" + _CARRIED_HINT.get(ctx.lang, _CARRIED_HINT["th"])
    for fy, earlier, count in _late_rounds(ctx, int(st["fy"]), int(st["round"])):
        label = ctx.t("btn_late_round", round=round_name(ctx.lang, earlier), count=count)
        rows.append([ctx.button(label, "o", f"{fy}:{earlier}")])
    ctx.save(st)
    return [Reply(head, rows)]


@command("report")
def cmd_report(ctx: Ctx) -> list[Reply]:
    """/report: start at the list."""
    return start_report(ctx)


@action("p")
def act_page(ctx: Ctx, arg: str) -> list[Reply]:
    """Next/previous page of the list."""
    return list_page(ctx, int(arg) if arg.isdigit() else 0)


@action("l")
def act_back(ctx: Ctx, arg: str) -> list[Reply]:
    """Back to the list from a measure."""
    return list_page(ctx, int((ctx.state or {}).get("page", 0)))


