"""Thai texts of reminders, digests and the completed report, as neutral Replies (short, for phones)."""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import date, datetime
from pathlib import Path
from typing import Any

from domain.events import Button, OutFile, Reply
from domain.fiscal import round_label, thai_date
from storage.models import Officer
from storage.repository import Repository

from .planner import KIND_COMPLETE, KIND_DIGEST_ORG, KIND_DIGEST_UNIT, KIND_OPEN, PendingItem, PlannedSend

__all__ = ["REPORT_BUTTON", "report_button", "MAX_ITEMS", "MessageBuilder", "officer_reminder", "head_digest", "remind_now_reply"]

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


def head_digest(send: PlannedSend, today: date, officers: list[Officer]) -> Reply:
    """Heads: per unit, who answers for it and which measures it has not reported."""
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
        names = [o.display_name for o in officers if o.role == "officer" and o.active and unit.id in o.unit_ids]
        who = f" ({', '.join(names)})" if names else " (ยังไม่มีเจ้าหน้าที่ลงทะเบียน)"
        numbers = ", ".join(str(i.measure.no) for i in unit_items)
        lines.append(f"• {unit.name}{who}: {len(unit_items)} มาตรการ — ข้อ {numbers}")
    total_units = len(by_unit)
    lines.append(f"รวม {total_units} หน่วยงาน {len(send.items)} รายการ")
    return Reply("\n".join(lines))


def remind_now_reply(sent: int, already_today: bool, outside_hours: str = "") -> Reply:
    """What the head who typed /remind is told."""
    if outside_hours:
        return Reply(f"ส่งการแจ้งเตือนได้เฉพาะวันทำการ เวลา {outside_hours} กรุณาลองใหม่ในเวลาดังกล่าว")
    if already_today:
        return Reply("วันนี้ส่งการแจ้งเตือนไปแล้ว ส่งได้วันละครั้ง")
    if sent == 0:
        return Reply("ไม่มีผู้ที่ต้องแจ้งเตือน: ทุกหน่วยงานรายงานครบแล้ว")
    return Reply(f"ส่งการแจ้งเตือนถึงผู้ที่ยังไม่ได้รายงานแล้ว {sent} คน")


def _as_outfile(obj: Any) -> OutFile | None:
    if isinstance(obj, OutFile):
        return obj
    if all(hasattr(obj, a) for a in ("path", "name", "mime", "kind")):  # report.render.RenderedFile
        return OutFile(Path(obj.path), obj.name, obj.mime, obj.kind)
    if isinstance(obj, (str, Path)):
        path = Path(obj)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return OutFile(path, path.name, mime, "photo" if mime.startswith("image/") else "document")
    return None


class MessageBuilder:
    """Builds each planned send's Reply; the compiled report is rendered once per round and reused."""

    def __init__(
        self, repo: Repository, now: datetime, data_dir: Path | None = None, executor: Executor | None = None
    ) -> None:
        self._executor = executor  # a process pool keeps ~1 s of rendering per office off the chat loop
        self._repo = repo
        self._now = now
        self._data_dir = data_dir
        self._officers: dict[str, list[Officer]] = {}
        self._compiled: dict[tuple[str, int, int], Reply] = {}
        self._table: dict[str, Callable[[PlannedSend], Reply]] = {
            KIND_DIGEST_UNIT: self._digest,
            KIND_DIGEST_ORG: self._digest,
            KIND_COMPLETE: self._complete,
        }

    def build(self, send: PlannedSend) -> Reply:
        """The message of one planned send."""
        make = self._table.get(send.kind, self._reminder)
        return make(send)

    def _reminder(self, send: PlannedSend) -> Reply:
        return officer_reminder(send, self._now.date())

    def _digest(self, send: PlannedSend) -> Reply:
        if send.org_id not in self._officers:
            self._officers[send.org_id] = self._repo.list_officers(send.org_id)
        return head_digest(send, self._now.date(), self._officers[send.org_id])

    def _complete(self, send: PlannedSend) -> Reply:
        key = (send.org_id, send.slot.fiscal_year, send.slot.round)
        if key not in self._compiled:
            self._compiled[key] = self._compile(*key)
        return self._compiled[key]

    async def abuild(self, send: PlannedSend) -> Reply:
        """build() for the event loop: the completed report's documents render in a worker thread."""
        if send.kind != KIND_COMPLETE:
            return self.build(send)
        key = (send.org_id, send.slot.fiscal_year, send.slot.round)
        if key not in self._compiled:
            report, text = self._compile_text(*key)
            if self._executor is not None and self._data_dir is not None:
                files = await self._render_elsewhere(report)
            else:
                files = await asyncio.to_thread(self._render, report)
            self._compiled[key] = Reply(text, files=files)
        return self._compiled[key]

    async def _render_elsewhere(self, report: Any) -> list[OutFile]:
        """Render in the executor (another process: no GIL shared with the chats)."""
        assert self._data_dir is not None
        try:
            from report.render import render_in_worker

            loop = asyncio.get_running_loop()
            rendered = await loop.run_in_executor(
                self._executor, render_in_worker, report, self._data_dir / "exports", self._data_dir / "evidence"
            )
            return [f for f in (_as_outfile(x) for x in rendered) if f is not None]
        except Exception:
            log.warning("rendering the round's documents failed; sending text only", exc_info=True)
            return []

    def _compile(self, org_id: str, fiscal_year: int, round_no: int) -> Reply:
        """Text via report.text.summary_text, files via report.render.render_documents (if present)."""
        report, text = self._compile_text(org_id, fiscal_year, round_no)
        return Reply(text, files=self._render(report))

    def _compile_text(self, org_id: str, fiscal_year: int, round_no: int) -> tuple[Any, str]:
        """Compile the round from the store (on the caller's thread: the store is not thread-safe)."""
        from report.compile import compile_round

        report = compile_round(self._repo, org_id, fiscal_year, round_no, self._now)
        head = f"✅ ทุกหน่วยงานรายงานผล{round_label(round_no, STYLE)} ปีงบประมาณ {fiscal_year} ครบแล้ว"
        text = f"{head}\nรายงาน {len(report.rows)} มาตรการ"
        try:
            from report.text import summary_text

            text = f"{head}\n\n{summary_text(report)}"
        except Exception:  # the report package may be absent or changing: the notice still goes out
            log.warning("report.text.summary_text unavailable; sending the short notice", exc_info=True)
        return report, text

    def _render(self, report: Any) -> list[OutFile]:
        """DOCX, XLSX and PNG of a compiled round (reads evidence files only, never the store)."""
        if self._data_dir is None:
            return []  # in-memory store: nowhere to write documents
        try:
            from report.render import render_documents
            from storage.evidence import EvidenceStore

            evidence = EvidenceStore(self._data_dir / "evidence")
            rendered = render_documents(report, self._data_dir / "exports", evidence)
            return [f for f in (_as_outfile(x) for x in rendered) if f is not None]
        except Exception:
            log.warning("rendering the round's documents failed; sending text only", exc_info=True)
            return []
