"""`itabot schedule` (the year's reminder calendar) and `itabot remind` (what goes out at a moment)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date, datetime, time

from pythainlp.util import thai_strftime

from bot.store import open_store
from domain.events import Reply
from domain.fiscal import fiscal_year_bounds, fiscal_year_of, round_label, rounds_of
from scheduler.messages import head_digest, officer_reminder
from scheduler.planner import (
    KIND_COMPLETE,
    KIND_DIGEST,
    KIND_DIGEST_ORG,
    KIND_DIGEST_UNIT,
    KIND_OPEN,
    PlannedSend,
    plan_round,
    round_slots,
)
from scheduler.policy import PolicyError, load_policy
from scheduler.reminders import due_sends, run_due
from scheduler.workdays import WorkCalendar
from storage.clock import BANGKOK, FixedClock
from storage.models import Officer, Organization
from storage.repository import Repository

from ..config import make_clock, resolve_data_dir
from . import Command

__all__ = ["COMMANDS", "ConsoleNotifier", "kind_label"]


def _d(day: date) -> str:
    """"31 ธ.ค. 2568"."""
    return thai_strftime(datetime(day.year, day.month, day.day), "%-d %b %Y")


def kind_label(kind: str) -> str:
    """Thai name of a planned send's kind."""
    if kind == KIND_OPEN:
        return "แจ้งเปิดรอบรายงาน"
    if kind == "remind_T0":
        return "เตือนวันครบกำหนด"
    if kind.startswith("remind_T-"):
        return f"เตือนก่อนกำหนด {kind.removeprefix('remind_T-')} วัน"
    if kind.startswith("overdue_"):
        return f"ติดตามหลังกำหนด ครั้งที่ {kind.removeprefix('overdue_')}"
    if kind in (KIND_DIGEST, KIND_DIGEST_UNIT, KIND_DIGEST_ORG):
        return "สรุปผู้ยังไม่รายงานถึงหัวหน้า"
    if kind == KIND_COMPLETE:
        return "ส่งรายงานฉบับสมบูรณ์ถึงหัวหน้า"
    if kind == "remind_now":
        return "เตือนทันที (/remind)"
    return kind


def _orgs(repo: Repository, wanted: str | None) -> list[Organization]:
    orgs = repo.list_orgs()
    if not wanted:
        return orgs
    exact = [o for o in orgs if wanted in (o.id, o.name)]
    return exact or [o for o in orgs if wanted in o.name]


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--org", help="รหัสหรือชื่อหน่วยงาน / organization id or name (default: all)")


def _add_schedule(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fiscal-year", type=int, help="ปีงบประมาณ พ.ศ. / fiscal year, BE (default: the current one)")
    _add_common(p)


def _add_remind(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="แสดงเท่านั้น ไม่ส่ง / only print what would be sent")
    p.add_argument("--time", help="เวลา HH:MM (default 09:00 with --today, else now)")
    _add_common(p)


def _print_org_calendar(repo: Repository, org: Organization, fiscal_year: int, today: date) -> None:
    policy = load_policy(repo, org.id)
    cal = WorkCalendar.for_policy(policy)
    measures = repo.list_measures(org.id, fiscal_year)
    units, officers = repo.list_units(org.id), repo.list_officers(org.id)
    reports = repo.list_reports(org.id, fiscal_year) if measures else []
    start, end = fiscal_year_bounds(fiscal_year)
    print(f"{org.name} — ปีงบประมาณ {fiscal_year} ({_d(start)} – {_d(end)})")
    print(f"ส่งเวลา {policy.send_time:%H:%M} น. ในวันทำการ (ช่วงส่งได้ {policy.quiet_start:%H:%M}–{policy.quiet_end:%H:%M})")
    if not measures:
        print("  ยังไม่มีแผนมาตรการของปีนี้ — ยังไม่มีผู้รับการแจ้งเตือน")
    for rnd in rounds_of(fiscal_year):
        print(f"\n{round_label(rnd.months, 'arabic')}: {_d(rnd.start)} – {_d(rnd.end)}  กำหนดส่ง {_d(rnd.end)}")
        plan = plan_round(org.id, policy, cal, rnd, measures, units, officers, reports) if measures else None
        if measures and plan is None:
            print("  ไม่มีมาตรการที่ต้องรายงานในรอบนี้")
            continue
        slots = plan.slots if plan else round_slots(policy, cal, rnd)
        for slot in slots:
            count = len(plan.recipients(slot)) if plan else 0
            when = f"{_d(slot.due.date())} {slot.due:%H:%M}"
            print(f"  {when:<20} {kind_label(slot.kind):<32} ผู้รับ ณ วันนี้ {count} คน  [{slot.kind}]")
    print(f"\n(ข้อมูล ณ {_d(today)})")


def run_schedule(args: argparse.Namespace) -> int:
    """Print the reminder calendar of a fiscal year."""
    clock = make_clock(args.today)
    today = clock.today()
    fiscal_year = args.fiscal_year or fiscal_year_of(today)
    repo = open_store(resolve_data_dir(args.data_dir))
    orgs = _orgs(repo, args.org)
    if not orgs:
        print("ไม่พบหน่วยงาน" + (f" “{args.org}”" if args.org else " — ยังไม่มีหน่วยงานในโฟลเดอร์ข้อมูลนี้"))
        return 1
    try:
        for i, org in enumerate(orgs):
            if i:
                print("\n" + "─" * 40)
            _print_org_calendar(repo, org, fiscal_year, today)
    except PolicyError as exc:
        print(f"ตั้งค่าการแจ้งเตือนไม่ถูกต้อง: {exc}")
        return 2
    return 0


def _moment(args: argparse.Namespace) -> datetime | None:
    clock = make_clock(args.today)
    if args.time:
        try:
            at = time.fromisoformat(args.time)
        except ValueError:
            return None
    elif args.today:
        at = time(9, 0)
    else:
        return clock.now()
    return datetime.combine(clock.today(), at, tzinfo=BANGKOK)


def _who(officer: Officer) -> str:
    ids = ", ".join(f"{i.platform}:{i.user_id}" for i in officer.identities if i.active)
    return f"{officer.display_name} ({ids})" if ids else officer.display_name


class ConsoleNotifier:
    """Delivers by printing: `itabot remind` without a chat platform."""

    async def send(self, officer: Officer, reply: Reply) -> bool:
        """Print the message with its recipient."""
        print(f"→ {_who(officer)}")
        print("  " + reply.text.replace("\n", "\n  "))
        for button in reply.flat_buttons():
            print(f"  [{button.label}]")
        for f in reply.files:
            print(f"  📎 {f.path}")
        return True


def _print_dry(send: PlannedSend, now: datetime, officers: list[Officer]) -> None:
    print(f"[{kind_label(send.kind)}] {round_label(send.slot.round, 'arabic')} → {_who(send.officer)}")
    if send.kind == KIND_COMPLETE:
        print("  รายงานผลฉบับสมบูรณ์ (ข้อความสรุป + เอกสาร)")
        return
    digest = send.kind in (KIND_DIGEST_UNIT, KIND_DIGEST_ORG)
    reply = head_digest(send, now.date(), officers) if digest else officer_reminder(send, now.date())
    print("  " + reply.text.replace("\n", "\n  "))


def run_remind(args: argparse.Namespace) -> int:
    """Print (--dry-run) or send through the console what is due at a moment."""
    now = _moment(args)
    if now is None:
        print(f"เวลาไม่ถูกต้อง: {args.time} (ใช้รูปแบบ HH:MM)")
        return 2
    repo = open_store(resolve_data_dir(args.data_dir))
    orgs = _orgs(repo, args.org)
    if not orgs:
        print("ไม่พบหน่วยงาน")
        return 1
    when = f"{_d(now.date())} {now:%H:%M} น."
    if not args.dry_run:
        records = asyncio.run(
            run_due(repo, FixedClock(now), ConsoleNotifier(), now, retry_delays=(), org_ids=[o.id for o in orgs])
        )
        print(f"ส่งแล้ว {sum(r.result == 'sent' for r in records)} ข้อความ ณ {when}")
        return 0
    total = 0
    for org in orgs:
        sends = due_sends(repo, org.id, now)
        total += len(sends)
        print(f"{org.name}: {len(sends)} ข้อความที่จะส่ง ณ {when}")
        officers = repo.list_officers(org.id)
        for send in sends:
            _print_dry(send, now, officers)
    if total == 0:
        print("ไม่มีข้อความที่ต้องส่งในเวลานี้ (นอกเวลาส่ง วันหยุด ส่งไปแล้ว หรือทุกคนรายงานครบ)")
    return 0


COMMANDS = [
    Command("schedule", "ปฏิทินการแจ้งเตือนของปีงบประมาณ / the year's reminder calendar", _add_schedule, run_schedule, 60),
    Command("remind", "ส่ง (หรือ --dry-run แสดง) การแจ้งเตือนที่ถึงกำหนด / send due reminders", _add_remind, run_remind, 61),
]
