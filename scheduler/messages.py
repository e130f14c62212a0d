"""Thai texts of reminders, digests and the completed report, as neutral Replies (short, for phones)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol

from domain.events import Button, OutFile, Reply
from domain.fiscal import round_label, thai_date
from domain.people import head_scope, reporters, sees_measure
from domain.review import count_returned
from domain.sends import Fate, unreachable, unreachable_line
from domain.status import MeasureStatus, round_statuses
from storage.models import Officer, Unit
from storage.repository import Repository

from .planner import KIND_COMPLETE, KIND_DIGEST_ORG, KIND_DIGEST_UNIT, KIND_OPEN, PendingItem, PlannedSend

__all__ = [
    "MAX_ITEMS",
    "REPORT_BUTTON",
    "MessageBuilder",
    "RoundReports",
    "complete_notice",
    "head_digest",
    "officer_reminder",
    "remind_now_reply",
    "report_button",
]

log = logging.getLogger(__name__)

REPORT_BUTTON = Button("รายงานเลย", "go:report")


def report_button(fiscal_year: int, round_no: int) -> Button:
    """The reminder's button opens the round it is about (an overdue round is not today's round)."""
    return Button("รายงานเลย", f"go:report:{fiscal_year}:{round_no}")
MAX_ITEMS = 12
MAX_TITLE = 60
STYLE = "arabic"  # Arabic digits read best on a phone; dates stay Buddhist Era


def _short(text: str, limit: int = MAX_TITLE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _item_lines(items: list[PendingItem], with_unit: bool) -> list[str]:
    lines = []
    for item in items[:MAX_ITEMS]:
        unit = f" ({item.unit.name})" if with_unit else ""
        lines.append(f"• {item.measure.no}. {_short(item.measure.title)}{unit}")
    if len(items) > MAX_ITEMS:
        lines.append(f"• และอีก {len(items) - MAX_ITEMS} มาตรการ")
    return lines


def _when_line(kind: str, deadline: date, today: date, label: str) -> str:
    days = (deadline - today).days
    due = thai_date(deadline, STYLE)
    if kind == KIND_OPEN:
        return f"📋 เปิดรับรายงานผล{label}แล้ว\nกำหนดส่งภายใน {due}"
    if days > 0:
        return f"⏰ อีก {days} วันครบกำหนดรายงานผล{label} ({due})"
    if days == 0:
        return f"⏰ วันนี้ครบกำหนดรายงานผล{label} ({due})"
    return f"❗ เลยกำหนดรายงานผล{label} ({due}) มาแล้ว {-days} วัน"


def officer_reminder(send: PlannedSend, today: date) -> Reply:
    """One message per officer: when, and every measure their units still owe, with a report button."""
    slot = send.slot
    label = round_label(slot.round, STYLE)
    units = {i.unit.id for i in send.items}
    lines = [
        _when_line(send.kind, slot.deadline, today, label),
        f"มาตรการที่ยังไม่ได้รายงาน {len(send.items)} รายการ:",
        *_item_lines(send.items, with_unit=len(units) > 1),
        "กด “รายงานเลย” เพื่อเริ่มรายงาน",
    ]
    return Reply("\n".join(lines), buttons=[[report_button(slot.fiscal_year, slot.round)]])


def head_digest(
    send: PlannedSend, today: date, officers: list[Officer], cut_off: Sequence[tuple[Officer, str]] = (),
    returned: int = 0,
) -> Reply:
    """Heads: per unit, who answers for it, which measures it has not reported and who the bot cannot reach."""
    slot = send.slot
    label = round_label(slot.round, STYLE)
    due = thai_date(slot.deadline, STYLE)
    state = "เลยกำหนด" if today > slot.deadline else "กำหนด"
    lines = [f"📊 ยังไม่ได้รายงานผล{label} ({state} {due})"]
    by_unit: dict[str, list[PendingItem]] = {}
    for item in send.items:
        by_unit.setdefault(item.unit.id, []).append(item)
    for unit_items in by_unit.values():
        unit = unit_items[0].unit
        names = [o.display_name for o in reporters(unit.id, officers)]
        who = f" ({', '.join(names)})" if names else " (ยังไม่มีเจ้าหน้าที่ลงทะเบียน)"
        numbers = ", ".join(str(i.measure.no) for i in unit_items)
        lines.append(f"• {unit.name}{who}: {len(unit_items)} มาตรการ — ข้อ {numbers}")
    total_units = len(by_unit)
    lines.append(f"รวม {total_units} หน่วยงาน {len(send.items)} รายการ")
    if returned:  # answers a head sent back that still wait for the unit's fix (/review)
        lines.append(f"↩️ รอแก้ไข {returned} มาตรการ (/review)")
    mine = [(p, r) for p, r in cut_off if set(p.unit_ids) & set(by_unit)]
    if mine:
        lines.append(f"⚠️ บอตติดต่อไม่ได้ {len(mine)} คน (โปรดแจ้งทางอื่น):")
        lines.extend(unreachable_line(p, r) for p, r in mine)
    return Reply("\n".join(lines))


def remind_now_reply(outcome: Fate | None, already_today: bool = False, outside_hours: str = "") -> Reply:
    """What the head who typed /remind is told: how many were reached, and who was not and why."""
    if outside_hours:
        return Reply(f"ส่งการแจ้งเตือนได้เฉพาะวันทำการ เวลา {outside_hours} กรุณาลองใหม่ในเวลาดังกล่าว")
    if already_today:
        return Reply("วันนี้ส่งการแจ้งเตือนไปแล้ว ส่งได้วันละครั้ง")
    if outcome is None or outcome.total == 0:
        return Reply("ไม่มีผู้ที่ต้องแจ้งเตือน: ทุกหน่วยงานรายงานครบแล้ว")
    text = f"ส่งการแจ้งเตือนถึงผู้ที่ยังไม่ได้รายงานแล้ว {outcome.sent} คน"
    if outcome.failed:
        text += f"\n{outcome.line()} (ดูรายชื่อและวิธีแก้ใน /status)"
    return Reply(text)


class RoundReports(Protocol):
    """The completed round's report, plugged in by the composition root: scheduler/ never imports report/."""

    def summary(self, org_id: str, fiscal_year: int, round_no: int, now: datetime) -> tuple[object, str]:
        """Compile the round on the caller's thread (the store is not thread-safe): (report, its text)."""
        ...

    async def documents(self, report: object) -> list[OutFile]:
        """DOCX, XLSX and PNG of a compiled round, rendered off the event loop (empty when impossible)."""
        ...


def complete_notice(fiscal_year: int, round_no: int) -> str:
    """The first line heads read when every unit has reported."""
    return f"✅ ทุกหน่วยงานรายงานผล{round_label(round_no, STYLE)} ปีงบประมาณ {fiscal_year} ครบแล้ว"


class MessageBuilder:
    """Builds each planned send's Reply; the compiled report is rendered once per round and reused."""

    def __init__(self, repo: Repository, now: datetime, reports: RoundReports | None = None) -> None:
        self._repo = repo
        self._now = now
        self._reports = reports
        self._people: dict[str, tuple[list[Officer], list[tuple[Officer, str]]]] = {}
        self._compiled: dict[tuple[str, int, int], Reply] = {}
        self._rounds: dict[tuple[str, int, int], tuple[list[Unit], list[MeasureStatus]]] = {}
        self._table: dict[str, Callable[[PlannedSend], Reply]] = {
            KIND_DIGEST_UNIT: self._digest,
            KIND_DIGEST_ORG: self._digest,
            KIND_COMPLETE: self._complete,
        }

    def build(self, send: PlannedSend) -> Reply:
        """The message of one planned send (a completed round: its text only; abuild adds documents)."""
        make = self._table.get(send.kind, self._reminder)
        return make(send)

    def _reminder(self, send: PlannedSend) -> Reply:
        return officer_reminder(send, self._now.date())

    def _digest(self, send: PlannedSend) -> Reply:
        org_id, fy = send.org_id, send.slot.fiscal_year
        if org_id not in self._people:
            officers = self._repo.list_officers(org_id)
            self._people[org_id] = (officers, unreachable(self._repo.list_sends(org_id, fy), officers))
        officers, cut_off = self._people[org_id]
        return head_digest(send, self._now.date(), officers, cut_off, self._returned(send))

    def _returned(self, send: PlannedSend) -> int:
        """How many of the head's measures wait for a fix after a send-back (domain.review)."""
        fy, rnd = send.slot.fiscal_year, send.slot.round
        key = (send.org_id, fy, rnd)
        if key not in self._rounds:
            units = self._repo.list_units(send.org_id)
            statuses = round_statuses(self._repo.list_measures(send.org_id, fy), units,
                                      self._repo.list_reports(send.org_id, fy), rnd)
            self._rounds[key] = (units, statuses)
        units, statuses = self._rounds[key]
        scope = head_scope(send.officer, units)
        seen = [s for s in statuses if sees_measure(scope, s.measure, units)]
        return count_returned(seen, self._repo.list_reviews(send.org_id, fy, rnd))

    def _complete(self, send: PlannedSend) -> Reply:
        key = (send.org_id, send.slot.fiscal_year, send.slot.round)
        if key not in self._compiled:
            return Reply(self._summary(*key)[1])
        return self._compiled[key]

    async def abuild(self, send: PlannedSend) -> Reply:
        """build() for the event loop: the completed report's documents render off the loop, once per round."""
        if send.kind != KIND_COMPLETE:
            return self.build(send)
        key = (send.org_id, send.slot.fiscal_year, send.slot.round)
        if key not in self._compiled:
            report, text = self._summary(*key)
            files: list[OutFile] = []
            if self._reports is not None and report is not None:
                try:
                    files = await self._reports.documents(report)
                except Exception:
                    log.warning("rendering the round's documents failed; sending text only", exc_info=True)
            self._compiled[key] = Reply(text, files=files)
        return self._compiled[key]

    def _summary(self, org_id: str, fiscal_year: int, round_no: int) -> tuple[object | None, str]:
        """The report and its text; without a report port (or when it fails) the short notice still goes out."""
        head = complete_notice(fiscal_year, round_no)
        if self._reports is None:
            return None, head
        try:
            report, text = self._reports.summary(org_id, fiscal_year, round_no, self._now)
        except Exception:
            log.warning("compiling the completed round failed; sending the short notice", exc_info=True)
            return None, head
        return report, f"{head}\n\n{text}"
