"""Reminder planning looks only at what changed or is due, and still sends each reminder exactly once.

The plan index (scheduler/plan_index.py) re-plans an office only when its change stamp moves; these
tests show the stamps move with every write planning depends on (on TinyDB files and PostgreSQL), that
an unchanged office is not planned again, and that what a person would notice is unchanged: a new
officer still gets the running reminder at the next tick, nobody gets one twice, a restart sends nothing
again.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from domain.events import Reply
from scheduler.plan_index import INDEX_FILE
from scheduler.service import ReminderService
from storage.clock import BANGKOK
from storage.models import Measure, Officer, Organization, ReportEntry, SendRecord, Unit
from storage.tinydb_repo import TinyRepository
from tests.factory import make_office, open_store
from tests.test_reminder_delivery import join

SOMYING = "U0somying000000000000000000000001"
SOMCHAI = "U0somchai000000000000000000000002"
MOMENT = datetime(2026, 3, 26, 10, 0, tzinfo=BANGKOK)  # round 6's T-7 reminder is live (a Thursday)


@dataclass
class Recorder:
    """A notifier that keeps who was told what."""

    got: list[str] = field(default_factory=list)

    async def send(self, officer: Officer, reply: Reply) -> bool:
        self.got.append(officer.display_name)
        return True


async def test_an_unchanged_office_is_not_planned_again_and_each_reminder_goes_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    office = make_office(data, now=MOMENT)
    office.repo.save_org(Organization(id="o2", name="อบต.อื่น"))  # a second office that never changes
    join(office, SOMYING, "กองคลัง", "สมหญิง")
    told = Recorder()
    service = ReminderService(office.repo, office.clock, told)
    assert service.prepare()  # alarms planned
    assert service.index.planned == 2
    await service.tick()
    assert told.got == ["สมหญิง"]
    await service.tick()  # o1's send log changed: o1 planned again, o2 not
    settled = service.index.planned
    for _ in range(3):
        await service.tick()
        await service.refresh()
    assert told.got == ["สมหญิง"] and service.index.planned == settled  # nothing changed: nothing planned

    join(office, SOMCHAI, "กองช่าง", "สมชาย")  # a change: a new officer who owes round 6
    await service.tick()
    assert told.got == ["สมหญิง", "สมชาย"]  # gets the running reminder at the next tick, once
    assert service.index.planned == settled + 1  # only the office that changed
    service.shutdown()

    again = ReminderService(open_store(data), office.clock, told)  # a restart (PostgreSQL: a new pool)
    again.prepare()
    assert again.index.planned == 1  # the kept summaries: only o1, whose send log changed since, is planned
    await again.tick()
    assert told.got == ["สมหญิง", "สมชาย"]  # neither duplicated nor dropped

    (data / INDEX_FILE).write_bytes(b'{"made_by": "another release", "offices": {}}')
    join(office, "U0somsri00000000000000000000000003", "สำนักปลัด", "สมศรี")
    last = ReminderService(open_store(data), office.clock, told)  # summaries of other code: all planned
    last.prepare()
    assert last.index.planned == 2
    await last.tick()
    assert told.got == ["สมหญิง", "สมชาย", "สมศรี"]


@pytest.mark.backend("tinydb")  # an in-memory TinyDB store has no stamps; PostgreSQL always has them
async def test_an_office_without_stamps_is_planned_every_time_as_before() -> None:
    office = make_office(None, now=MOMENT)  # in memory: no stamps
    join(office, SOMYING, "กองคลัง", "สมหญิง")
    told = Recorder()
    service = ReminderService(office.repo, office.clock, told)
    service.prepare()
    await service.tick()
    await service.tick()
    assert told.got == ["สมหญิง"] and service.index.planned >= 3


# ----- the stamps: every write planning depends on moves its office's stamp, and nothing else does ------
Stamps = Callable[[Sequence[str], Sequence[int]], dict[str, Hashable]]


@pytest.fixture(params=["tinydb-files", "postgresql"])
def stamped(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Stamps]]:
    if request.param == "tinydb-files":
        repo: Any = TinyRepository(tmp_path)
        yield repo, repo.plan_stamps
    else:
        from storage.pg_repo import PgRepository
        from storage.plan_stamps import pg_plan_stamps

        repo = PgRepository.open(request.getfixturevalue("pg_url"))
        yield repo, partial(pg_plan_stamps, repo.pool)
    repo.close()


def _fill(repo: Any, org_id: str) -> None:
    repo.save_org(Organization(id=org_id, name=org_id))
    repo.save_unit(Unit(id="u1", org_id=org_id, name="กองคลัง"))
    repo.save_officer(Officer(id="p1", org_id=org_id, display_name="สมหญิง", unit_ids=["u1"]))
    repo.save_measures(org_id, 2569, [Measure(id="m1", no=1, indicator="1", title="มาตรการ", unit_ids=["u1"])])


def _send(org_id: str, result: str) -> SendRecord:
    return SendRecord(key="k1", org_id=org_id, fiscal_year=2569, round=6, kind="remind_T0", recipient="p1",
                      due="2026-03-31T09:00:00+07:00", result=result)


CHANGES: dict[str, Callable[[Any], None]] = {
    "an officer edited": lambda r: r.save_officer(Officer(id="p1", org_id="o1", display_name="สมหญิง", active=False)),
    "an officer added": lambda r: r.save_officer(Officer(id="p2", org_id="o1", display_name="สมชาย")),
    "a unit added": lambda r: r.save_unit(Unit(id="u2", org_id="o1", name="กองช่าง")),
    "a policy setting": lambda r: r.set_setting("o1", "reminder_policy", {"send_time": "10:00"}),
    "the plan replaced": lambda r: r.save_measures("o1", 2569, [Measure(id="m2", no=1, indicator="2", title="ใหม่")]),
    "a report": lambda r: r.add_report(ReportEntry(id="r1", org_id="o1", fiscal_year=2569, measure_id="m1",
                                                   round=6, unit_id="u1", status="done")),
    "a send logged": lambda r: r.log_send(_send("o1", "sending")),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_write_planning_reads_moves_only_its_offices_stamp(stamped: tuple[Any, Stamps], change: str) -> None:
    repo, stamps = stamped
    for org_id in ("o1", "o2"):
        _fill(repo, org_id)
    before = stamps(["o1", "o2"], [2568, 2569])
    repo.list_reports("o1", 2569)
    repo.list_officers("o1")
    assert stamps(["o1", "o2"], [2568, 2569]) == before  # reading changes nothing
    CHANGES[change](repo)
    after = stamps(["o1", "o2"], [2568, 2569])
    assert after["o1"] != before["o1"] and after["o2"] == before["o2"]


def test_a_send_updated_in_place_moves_the_stamp(stamped: tuple[Any, Stamps]) -> None:
    repo, stamps = stamped
    _fill(repo, "o1")
    repo.log_send(_send("o1", "sending"))
    before = stamps(["o1"], [2569])
    repo.log_send(_send("o1", "sent"))  # the same key: an update, not a new row
    assert stamps(["o1"], [2569]) != before


def test_the_planning_benchmark_runs_and_its_change_reaches_one_person(tmp_path: Path) -> None:
    from bench import planning

    out = planning.run(offices=3, work_dir=str(tmp_path))
    assert out["sent_in_steady_ticks"] == 0 and out["sent_after_change"] == 1
    assert out["offices_planned_after_change"] == 1 and out["sends_logged_at_setup"] == 3 * 20
    assert out["planning.refresh_ms_1000"] > 0 and not any(tmp_path.iterdir())


@pytest.mark.backend("tinydb")  # plan summaries are kept in .plan_index on TinyDB only
async def test_a_send_cut_by_a_crash_is_marked_interrupted_even_when_the_office_looks_unchanged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    office = make_office(data, now=MOMENT)
    office.repo.save_org(Organization(id="o2", name="อบต.อื่น"))
    join(office, SOMYING, "กองคลัง", "สมหญิง")
    service = ReminderService(office.repo, office.clock, Recorder())
    service.prepare()
    office.repo.log_send(_send("o1", "sending"))  # a send in flight ...
    service.index.refresh(MOMENT)  # ... summarized (and kept) while in flight; then the process dies
    again = ReminderService(TinyRepository(data), office.clock, Recorder())
    assert again.index.unsettled(MOMENT) == ["o1"]  # unchanged since its kept summary, but that saw a send in flight
    again.prepare()
    assert again.repo.get_send("o1", 2569, "k1").result == "interrupted"  # the cut send is found, never resent
