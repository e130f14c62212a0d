"""Policy overrides, the Thai working-day calendar, pure planning rules and message shapes."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from bot.round_report import ReportDocuments
from domain.fiscal import get_round
from scheduler.messages import MAX_ITEMS, MessageBuilder
from scheduler.planner import KIND_COMPLETE, plan_round, round_slots
from scheduler.policy import PolicyError, ReminderPolicy, load_policy
from scheduler.reminders import run_due
from scheduler.workdays import WorkCalendar, in_quiet_window, next_open_moment
from storage.clock import BANGKOK, FixedClock
from storage.models import Identity, Measure, Officer, Organization, ReportEntry, Unit
from tests.factory import open_store
from tests.pdf_pages import pdf_expected


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).replace(tzinfo=BANGKOK)


def test_policy_file_and_setting_override_the_defaults(tmp_path: Path) -> None:
    repo = open_store(tmp_path)
    assert load_policy(repo, "o1") == ReminderPolicy()
    (tmp_path / "reminders.toml").write_text(
        '[default]\noverdue_max = 2\n[org.o1]\nremind_days_before = [5, 0]\nsend_time = "10:00"\n', encoding="utf-8"
    )
    p = load_policy(repo, "o1")
    assert (p.overdue_max, p.remind_days_before, p.send_time) == (2, (5, 0), time(10, 0))
    assert load_policy(repo, "o2").remind_days_before == (7, 3, 1, 0)  # only [default] applies
    repo.set_setting("o1", "reminder_policy", {"overdue_max": 4, "extra_holidays": ["2026-03-02"]})
    p = load_policy(repo, "o1")
    assert (p.overdue_max, p.send_time, p.extra_holidays) == (4, time(10, 0), (date(2026, 3, 2),))


@pytest.mark.parametrize("bad", [{"overdue_maximum": 3}, {"send_time": "7 โมง"}, {"quiet_start": "17:00"}])
def test_bad_policy_is_refused_clearly(bad: dict[str, object]) -> None:
    repo = open_store(None)
    repo.set_setting("o1", "reminder_policy", bad)
    with pytest.raises(PolicyError):
        load_policy(repo, "o1")


def test_working_days_follow_the_thai_calendar() -> None:
    cal = WorkCalendar()
    assert not cal.is_working_day(date(2026, 4, 13))  # Songkran
    assert cal.on_or_before(date(2026, 4, 15)) == date(2026, 4, 10)  # Songkran Mon–Wed → Friday before
    assert cal.on_or_before(date(2026, 3, 28)) == date(2026, 3, 27)  # Saturday → Friday
    assert cal.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)  # 1–2 Jan off, weekend
    assert WorkCalendar([date(2026, 3, 27)]).on_or_before(date(2026, 3, 28)) == date(2026, 3, 26)


def test_quiet_window() -> None:
    policy, cal = ReminderPolicy(), WorkCalendar()
    assert in_quiet_window(at("2026-03-24T08:30"), policy, cal)
    assert not in_quiet_window(at("2026-03-24T16:30"), policy, cal)
    assert not in_quiet_window(at("2026-03-28T10:00"), policy, cal)  # Saturday
    assert next_open_moment(at("2026-03-27T17:00"), policy, cal) == at("2026-03-30T08:30")
    assert next_open_moment(at("2026-03-24T07:00"), policy, cal) == at("2026-03-24T08:30")


def test_custom_policy_changes_the_chain() -> None:
    policy = ReminderPolicy(open_days_before=10, remind_days_before=(2,), overdue_max=1, overdue_every_workdays=5)
    slots = round_slots(policy, WorkCalendar(), get_round(2569, 6))
    chain = [(s.kind, s.due.date()) for s in slots if s.audience == "officers"]
    assert chain == [("round_open", date(2026, 3, 20)), ("remind_T-2", date(2026, 3, 27)),
                     ("overdue_1", date(2026, 4, 8))]  # 5 working days after 31 Mar skipping 6 Apr
    assert all(s.expires > s.due for s in slots)


def _people() -> tuple[list[Unit], list[Officer], list[Measure]]:
    units = [Unit("u1", "o", "สำนักปลัด"), Unit("u2", "o", "กองคลัง")]
    both = Officer("x", "o", "คุณสองหน่วย", unit_ids=["u1", "u2"], identities=[Identity("line", "U1")])
    no_chat = Officer("y", "o", "คุณยังไม่ผูกแชต", unit_ids=["u1"])
    measures = [Measure(f"m{i}", i, "1", f"มาตรการทดสอบหมายเลข {i} " + "ยาว" * 30, unit_ids=["u1", "u2"])
                for i in range(1, 16)]
    return units, [both, no_chat], measures


def test_one_message_per_officer_across_their_units_and_long_lists_are_cut() -> None:
    units, people, measures = _people()
    plan = plan_round("o", ReminderPolicy(), WorkCalendar(), get_round(2569, 3), measures, units, people, [])
    assert plan is not None
    t7 = [s for s in plan.sends if s.kind == "remind_T-7"]
    assert [s.officer.id for s in t7] == ["x"]  # y has no chat account: skipped
    assert len(t7[0].items) == 30  # 15 measures × 2 units, in one message
    reply = MessageBuilder(open_store(None), at("2025-12-24T09:00")).build(t7[0])
    assert reply.text.count("\n• ") == MAX_ITEMS + 1 and "และอีก 18 มาตรการ" in reply.text
    assert "(กองคลัง)" in reply.text  # two units: each line says which
    assert max(len(line) for line in reply.text.splitlines()) < 90
    assert len(reply.text) < 1500


def test_rounds_without_monitored_measures_plan_nothing() -> None:
    units, people, _ = _people()
    only12 = [Measure("m1", 1, "1", "ทดสอบ", unit_ids=["u1"], rounds=[12])]
    assert plan_round("o", ReminderPolicy(), WorkCalendar(), get_round(2569, 3), only12, units, people, []) is None


@pytest.mark.parametrize("pooled", [False, True], ids=["thread", "process-pool"])
async def test_completed_round_sends_text_and_documents_to_heads(tmp_path: Path, pooled: bool) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) if pooled else None
    repo = open_store(tmp_path / "data")
    repo.save_org(Organization("o", "อบต.ทดสอบ"))
    repo.save_unit(Unit("u1", "o", "สำนักปลัด"))
    repo.save_officer(Officer("h", "o", "ปลัด", role="head", identities=[Identity("telegram", "1")]))
    repo.save_measures("o", 2569, [Measure("m1", 1, "1", "จัดทำคู่มือ", unit_ids=["u1"])])
    repo.add_report(ReportEntry("r", "o", 2569, "m1", 3, "u1", "done", summary="จัดทำคู่มือแล้วเสร็จ",
                                created_at="2025-11-03T18:20:00+07:00"))
    clock = FixedClock(at("2025-11-03T19:00"))
    got: list[tuple[Officer, object]] = []

    class Rec:
        async def send(self, officer: Officer, reply: object) -> bool:
            got.append((officer, reply))
            return True

    assert await run_due(repo, clock, Rec(), retry_delays=()) == []  # after hours: waits
    clock.set(at("2025-11-04T08:30"))
    reports = ReportDocuments(repo, tmp_path / "data", pool)  # the port bot/ plugs in: scheduler/ knows no report/
    records = await run_due(repo, clock, Rec(), retry_delays=(), reports=reports)
    if pool is not None:
        pool.shutdown()
    assert [(r.kind, r.recipient) for r in records] == [(KIND_COMPLETE, "h")]
    reply = got[0][1]
    assert "ครบแล้ว" in reply.text and "จัดทำคู่มือแล้วเสร็จ" in reply.text  # type: ignore[attr-defined]
    names = sorted(f.name.rsplit(".", 1)[-1] for f in reply.files)  # type: ignore[attr-defined]
    assert names == (["docx", "pdf", "png", "xlsx"] if pdf_expected() else ["docx", "png", "xlsx"])
    assert all(f.path.exists() for f in reply.files)  # type: ignore[attr-defined]
    clock.set(at("2025-11-05T09:00"))
    assert await run_due(repo, clock, Rec(), retry_delays=()) == []  # once
