"""A fake clock walks fiscal year 2569 through the real executor: who hears what, when."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytest

from domain.events import Reply
from scheduler.reminders import run_due
from scheduler.workdays import WorkCalendar
from storage.clock import BANGKOK, FixedClock
from storage.models import Identity, Measure, Officer, Organization, ReportEntry, Unit, new_id, now_iso
from storage.tinydb_repo import TinyRepository
from tests.factory import open_store

ORG = "org1"
FY = 2569
TICKS = (time(7, 0), time(8, 29), time(9, 0), time(9, 30), time(13, 0), time(16, 45), time(20, 0))


def D(text: str) -> date:
    return date.fromisoformat(text)


class Recorder:
    """A fake notifier that records who got what, and when (by the injected clock)."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.sent: list[tuple[datetime, Officer, Reply]] = []

    async def send(self, officer: Officer, reply: Reply) -> bool:
        self.sent.append((self.clock.now(), officer, reply))
        return True

    def days(self, officer_id: str) -> list[date]:
        return [at.date() for at, o, _ in self.sent if o.id == officer_id]

    def replies(self, officer_id: str) -> list[Reply]:
        return [r for _, o, r in self.sent if o.id == officer_id]


def person(pid: str, role: str, units: list[str], active: bool = True, ident_active: bool = True) -> Officer:
    return Officer(pid, ORG, f"คุณ {pid}", role=role, unit_ids=units, active=active,
                   identities=[Identity("telegram", f"tg-{pid}", active=ident_active)])


def build(repo: TinyRepository) -> None:
    repo.save_org(Organization(ORG, "อบต.ทดสอบ"))
    for uid, name in (("u1", "สำนักปลัด"), ("u2", "กองคลัง"), ("u3", "กองช่าง")):
        repo.save_unit(Unit(uid, ORG, name))
    for p in (
        person("a1", "officer", ["u1"]),
        person("a2", "officer", ["u1"]),
        person("b1", "officer", ["u2"]),
        person("c1", "officer", ["u3"]),
        person("c2", "officer", ["u3"], ident_active=False),  # blocked the bot
        person("d1", "officer", ["u2"], active=False),  # left the office
        person("hu1", "head", ["u1"]),
        person("chief", "head", []),
        person("adm", "admin", []),
    ):
        repo.save_officer(p)
    repo.save_measures(ORG, FY, [
        Measure("m1", 1, "1", "เผยแพร่ข้อมูลสาธารณะ", all_units=True, rounds=[6, 12]),
        Measure("m2", 2, "2", "จัดทำคู่มือการให้บริการ", unit_ids=["u1"]),
        Measure("m3", 3, "3", "รายงานการใช้จ่ายงบประมาณ", unit_ids=["u2"]),
        Measure("m4", 4, "4", "ซ่อมบำรุงถนนอย่างโปร่งใส", unit_ids=["u3"], rounds=[12]),
        Measure("m5", 5, "5", "ประชุมชี้แจงงานพัสดุ", unit_ids=["u1", "u2"], rounds=[6, 12]),
    ])
    # a local day off (วันหยุดท้องถิ่น) that falls on round 9's T-7 reminder
    repo.set_setting(ORG, "reminder_policy", {"extra_holidays": ["2026-06-23"]})


def answer(repo: TinyRepository, unit: str, round_no: int, at: datetime) -> None:
    for m in repo.list_measures(ORG, FY):
        if m.monitored_in(round_no) and m.is_for_unit(unit):
            repo.add_report(ReportEntry(new_id("r"), ORG, FY, m.id, round_no, unit, "done",
                                        summary="ดำเนินการแล้ว", created_at=now_iso(at)))


# (unit, round) → when the unit answers
ANSWERS = {
    ("u1", 3): "2025-12-20T10:00",
    ("u2", 3): "2026-01-13T10:00",
    ("u1", 9): "2026-06-01T10:00",
    ("u2", 9): "2026-06-25T10:00",
    ("u1", 12): "2026-09-10T10:00",
    ("u2", 12): "2026-09-10T10:00",
    ("u3", 12): "2026-09-10T10:00",
}


@pytest.fixture(scope="module")
def walked() -> tuple[TinyRepository, Recorder]:
    import asyncio

    repo = open_store(None)
    build(repo)
    clock = FixedClock(datetime(2025, 10, 1, 0, 0, tzinfo=BANGKOK))
    rec = Recorder(clock)
    events: dict[datetime, list[tuple[str, int]]] = defaultdict(list)
    for key, stamp in ANSWERS.items():
        events[datetime.fromisoformat(stamp).replace(tzinfo=BANGKOK)].append(key)

    async def walk() -> None:
        day = date(2025, 10, 1)
        while day <= date(2026, 11, 30):
            moments = [datetime.combine(day, t, tzinfo=BANGKOK) for t in TICKS]
            moments += [m for m in events if m.date() == day]
            for moment in sorted(moments):
                clock.set(moment)
                if moment in events:
                    for unit, round_no in events[moment]:
                        answer(repo, unit, round_no, moment)
                else:
                    await run_due(repo, clock, rec, retry_delays=())
            day += timedelta(days=1)

    asyncio.run(walk())
    return repo, rec


R6 = ["2026-03-17", "2026-03-24", "2026-03-27", "2026-03-30", "2026-03-31",
      "2026-04-03", "2026-04-09", "2026-04-17", "2026-04-22", "2026-04-27"]


def test_officer_reminders_follow_the_policy(walked: tuple[TinyRepository, Recorder]) -> None:
    _, rec = walked
    # u1 answered round 3 three days after it opened: a1 and a2 only got the opening notice
    assert rec.days("a1") == [D("2025-12-17")] + [D(d) for d in R6]
    assert rec.days("a2") == rec.days("a1")
    # b1 (u2) answered round 3 on 13 Jan: opening, T-7, T-3, T0 (31 Dec is a holiday → 30 Dec,
    # merged with T-1), two overdue nudges every 3 working days (1–2 Jan holidays), then nothing
    r3 = ["2025-12-17", "2025-12-24", "2025-12-26", "2025-12-30", "2026-01-07", "2026-01-12"]
    # round 9: opening 16 Jun; T-7 is 23 Jun, a local holiday → moved to Monday 22 Jun
    r9 = ["2026-06-16", "2026-06-22"]
    assert rec.days("b1") == [D(d) for d in r3 + R6 + r9]
    # c1's unit owes nothing in rounds 3 and 9 and answered round 12 early
    assert rec.days("c1") == [D(d) for d in R6]


def test_inactive_people_are_skipped(walked: tuple[TinyRepository, Recorder]) -> None:
    _, rec = walked
    assert rec.days("c2") == []  # blocked the bot
    assert rec.days("d1") == []  # deactivated


def test_one_message_lists_all_pending_measures_with_report_button(walked: tuple[TinyRepository, Recorder]) -> None:
    _, rec = walked
    round6 = [r for at, o, r in rec.sent if o.id == "a1" and at.date() == D("2026-03-24")]
    assert len(round6) == 1
    text = round6[0].text
    for title in ("เผยแพร่ข้อมูลสาธารณะ", "จัดทำคู่มือการให้บริการ", "ประชุมชี้แจงงานพัสดุ"):
        assert title in text
    assert "รายงานการใช้จ่ายงบประมาณ" not in text  # u2's measure, not a1's
    assert "อีก 7 วัน" in text and "31 มีนาคม 2569" in text
    assert [(b.label, b.data) for b in round6[0].flat_buttons()] == [("รายงานเลย", "go:report:2569:6")]
    overdue = [r for at, o, r in rec.sent if o.id == "b1" and at.date() == D("2026-01-07")][0]
    assert "เลยกำหนด" in overdue.text and "7 วัน" in overdue.text


def test_heads_get_digests_and_the_completed_report_once(walked: tuple[TinyRepository, Recorder]) -> None:
    repo, rec = walked
    kinds: dict[str, list[tuple[str, date]]] = defaultdict(list)
    for s in sorted(repo.list_sends(ORG, FY), key=lambda s: s.due):
        if s.recipient in ("hu1", "chief", "adm"):
            kinds[s.recipient].append((s.kind, date.fromisoformat(s.sent_at[:10])))
    org_head = [
        ("digest_org", D("2025-12-30")), ("digest_org", D("2026-01-05")), ("complete_report", D("2026-01-13")),
        ("digest_org", D("2026-03-30")), ("digest_org", D("2026-04-01")),
        ("complete_report", D("2026-06-25")), ("complete_report", D("2026-09-10")),
    ]
    assert kinds["chief"] == org_head
    assert kinds["adm"] == org_head
    # the unit head hears only about u1, which owed nothing by round 3's digests
    assert kinds["hu1"] == [
        ("complete_report", D("2026-01-13")), ("digest_unit", D("2026-03-30")), ("digest_unit", D("2026-04-01")),
        ("complete_report", D("2026-06-25")), ("complete_report", D("2026-09-10")),
    ]
    digest = [r for at, o, r in rec.sent if o.id == "chief" and at.date() == D("2025-12-30")][0]
    assert "กองคลัง" in digest.text and "คุณ b1" in digest.text and "สำนักปลัด" not in digest.text
    unit_digest = [r for at, o, r in rec.sent if o.id == "hu1" and at.date() == D("2026-03-30")][0]
    assert "สำนักปลัด" in unit_digest.text and "กองคลัง" not in unit_digest.text
    done = [r for at, o, r in rec.sent if o.id == "chief" and at.date() == D("2026-01-13")][0]
    assert "ครบแล้ว" in done.text and "รอบ 3 เดือน" in done.text


def test_nothing_is_sent_outside_the_quiet_window(walked: tuple[TinyRepository, Recorder]) -> None:
    _, rec = walked
    cal = WorkCalendar()
    assert len(rec.sent) > 60
    for at, _, _ in rec.sent:
        assert cal.is_working_day(at.date()), at
        assert time(8, 30) <= at.time() < time(16, 30), at


def test_every_send_is_logged_once(walked: tuple[TinyRepository, Recorder]) -> None:
    repo, rec = walked
    logged = repo.list_sends(ORG, FY) + repo.list_sends(ORG, FY + 1)
    assert len(logged) == len(rec.sent)
    assert len({s.key for s in logged}) == len(logged)
    assert {s.result for s in logged} == {"sent"}
