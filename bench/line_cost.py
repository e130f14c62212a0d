"""LINE cost: simulate a fiscal year of one office and count the LINE pushes of its busiest month.

The office: 5 units, 20 officers (4 per unit, all on LINE), plus 5 unit heads and 1 organization
head, and a plan of 53 measures (every tenth one for every unit; a third of them monitored only at
the 6- and 12-month rounds). A fake clock walks FY 2569 and the following two months day by day;
each working day the real executor (scheduler.reminders.run_due) runs at 09:00, 09:30 and 13:00 with
a counting notifier, so every reminder, digest and completed-report push the policy makes is
counted by the month it goes out in. Units answer a round on a seeded-random day around its
deadline (some early, most close to it, some late), all their measures at once, at 11:00.

A second run where nobody ever answers gives the worst case. The LINE free plan allows 300 pushes
a month; one push to one person counts once however many bubbles it carries.

Run: `.venv/bin/python -m bench.line_cost` (prints JSON); `run()` returns the same dict.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from domain.events import Reply
from domain.fiscal import fiscal_year_bounds, rounds_of
from scheduler.reminders import run_due
from scheduler.workdays import WorkCalendar
from storage.clock import BANGKOK, FixedClock
from storage.models import Identity, Measure, Officer, Organization, ReportEntry, Unit, new_id, now_iso
from storage.repository import Repository
from storage.tinydb_repo import TinyRepository

__all__ = ["Office", "build_office", "run", "simulate"]

FREE_PLAN_PUSHES = 300
FISCAL_YEAR = 2569
UNIT_NAMES = ("สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษา ศาสนาและวัฒนธรรม", "กองวิชาการและแผนงาน")
TICKS = (time(9, 0), time(9, 30), time(13, 0))
REPORT_TIME = time(11, 0)
# days from the round's deadline on which a unit answers, and how likely each is
ANSWER_OFFSETS = (-25, -12, -6, -2, 0, 3, 8, 15)
ANSWER_WEIGHTS = (10, 15, 20, 15, 10, 12, 10, 8)


@dataclass
class Office:
    """What build_office created, for simulations and tests."""

    org: Organization
    units: list[Unit]
    officers: list[Officer] = field(default_factory=list)
    heads: list[Officer] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)


def _person(org_id: str, pid: str, name: str, role: str, unit_ids: list[str], platform: str) -> Officer:
    ident = Identity(platform, f"U{pid}", chat_id=f"U{pid}")
    return Officer(pid, org_id, name, role=role, unit_ids=unit_ids, identities=[ident])


def build_office(
    repo: Repository,
    org_id: str = "bench",
    n_officers: int = 20,
    n_measures: int = 53,
    fiscal_year: int = FISCAL_YEAR,
    platform: str = "line",
) -> Office:
    """An office with 5 units, n officers spread over them, a head per unit, an org head and a plan."""
    org = Organization(org_id, "องค์การบริหารส่วนตำบลทดสอบ", type="อบต.", province="ขอนแก่น")
    repo.save_org(org)
    units = [Unit(f"u{i}", org_id, name) for i, name in enumerate(UNIT_NAMES, 1)]
    for unit in units:
        repo.save_unit(unit)
    office = Office(org, units)
    for i in range(n_officers):
        unit = units[i % len(units)]
        office.officers.append(_person(org_id, f"o{i + 1}", f"เจ้าหน้าที่ {i + 1}", "officer", [unit.id], platform))
    for i, unit in enumerate(units, 1):
        office.heads.append(_person(org_id, f"h{i}", f"ผู้อำนวยการ{unit.name}", "head", [unit.id], platform))
    office.heads.append(_person(org_id, "chief", "ปลัด อบต.", "head", [], platform))
    for person in office.officers + office.heads:
        repo.save_officer(person)
    for n in range(1, n_measures + 1):
        every = n % 10 == 0
        office.measures.append(Measure(
            id=f"m{n}", no=n, indicator=str(1 + n % 10), title=f"มาตรการที่ {n} ส่งเสริมความโปร่งใส",
            unit_ids=[] if every else [units[n % len(units)].id], all_units=every,
            rounds=[6, 12] if n % 3 == 0 else [3, 6, 9, 12],
        ))
    repo.save_measures(org_id, fiscal_year, office.measures)
    return office


class CountingNotifier:
    """Counts pushes per month by the injected clock (every recipient is on LINE)."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.per_month: Counter[str] = Counter()
        self.per_kind: Counter[str] = Counter()

    async def send(self, officer: Officer, reply: Reply) -> bool:
        """Count one push."""
        self.per_month[self.clock.now().strftime("%Y-%m")] += 1
        return True


def _answer_days(office: Office, seed: int) -> dict[tuple[str, int], date]:
    rng = random.Random(seed)
    days = {}
    for rnd in rounds_of(FISCAL_YEAR):
        for unit in office.units:
            offset = rng.choices(ANSWER_OFFSETS, ANSWER_WEIGHTS)[0]
            days[(unit.id, rnd.months)] = rnd.end + timedelta(days=offset)
    return days


def _answer(repo: Repository, office: Office, unit: Unit, round_no: int, at: datetime) -> None:
    for m in office.measures:
        if m.monitored_in(round_no) and m.is_for_unit(unit.id):
            repo.add_report(ReportEntry(
                new_id("r"), office.org.id, FISCAL_YEAR, m.id, round_no, unit.id, "done",
                summary="ดำเนินการแล้ว", created_at=now_iso(at),
            ))


async def simulate(answers: bool = True, seed: int = 2569) -> Counter[str]:
    """Walk the fiscal year (plus the last round's overdue weeks); pushes per month."""
    repo = TinyRepository(None)
    office = build_office(repo)
    start, end = fiscal_year_bounds(FISCAL_YEAR)
    clock = FixedClock(datetime.combine(start, time(0, 0), tzinfo=BANGKOK))
    notifier = CountingNotifier(clock)
    cal = WorkCalendar()
    schedule = _answer_days(office, seed) if answers else {}
    by_day: dict[date, list[tuple[str, int]]] = {}
    for key, day in schedule.items():
        by_day.setdefault(day, []).append(key)
    unit_by_id = {u.id: u for u in office.units}
    day = start
    while day <= end + timedelta(days=62):
        moments: list[tuple[time, tuple[str, int] | None]] = [(t, None) for t in TICKS if cal.is_working_day(day)]
        moments += [(REPORT_TIME, k) for k in by_day.get(day, [])]
        for at, answer in sorted(moments, key=lambda m: m[0]):
            clock.set(datetime.combine(day, at, tzinfo=BANGKOK))
            if answer is not None:
                _answer(repo, office, unit_by_id[answer[0]], answer[1], clock.now())
            else:
                await run_due(repo, clock, notifier, retry_delays=())
        day += timedelta(days=1)
    return notifier.per_month


def run() -> dict[str, object]:
    """The benchmark's figures (LINE pushes per month, busiest month first)."""
    typical = asyncio.run(simulate(answers=True))
    worst = asyncio.run(simulate(answers=False))
    month, pushes = typical.most_common(1)[0]
    worst_month, worst_pushes = worst.most_common(1)[0]
    return {
        "line_cost.busiest_month_pushes": pushes,
        "line_cost.busiest_month": month,
        "line_cost.unit": "LINE push messages per calendar month (one per recipient)",
        "line_cost.free_plan_limit": FREE_PLAN_PUSHES,
        "line_cost.within_free_plan": pushes <= FREE_PLAN_PUSHES,
        "line_cost.pushes_per_month": dict(sorted(typical.items())),
        "line_cost.year_pushes": sum(typical.values()),
        "line_cost.worst_case_busiest_month_pushes": worst_pushes,
        "line_cost.worst_case_busiest_month": worst_month,
        "line_cost.office": "5 units, 20 officers, 5 unit heads, 1 org head, 53 measures, FY 2569",
        "line_cost.method": "fake clock walks FY 2569 + 2 months; real run_due at 09:00/09:30/13:00 on working days",
    }


if __name__ == "__main__":
    print(json.dumps(run(), ensure_ascii=False, indent=2))
