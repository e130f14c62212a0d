"""A conversation step on PostgreSQL reads with one statement (storage/pg_step.py), and still sees what other
workers wrote before it started, its own writes at once, and hands out records the caller may change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import psycopg
import pytest

import storage.pg_step
from storage.models import Measure, Officer, Organization, ReportEntry, Unit
from storage.pg_repo import PgRepository

USER = "1001"
FY = 2569


@pytest.fixture
def workers(pg_url: str) -> Iterator[tuple[PgRepository, PgRepository]]:
    """Two repositories on one database, as two `itabot run` processes hold them; an office with one officer."""
    first, second = PgRepository.open(pg_url), PgRepository.open(pg_url)
    second.save_org(Organization(id="o1", name="อบต.หนึ่ง"))
    second.save_unit(Unit(id="u1", org_id="o1", name="สำนักปลัด"))
    second.save_officer(Officer(id="p1", org_id="o1", display_name="สมชาย", unit_ids=["u1"]))
    second.link_identity("telegram", USER, "o1", "p1")
    second.save_measures("o1", FY, [Measure(id="m1", no=1, indicator="1", title="อบรม", unit_ids=["u1"])])
    second.set_state("o1", f"telegram:{USER}", {"flow": "report", "step": "summary"})
    yield first, second
    first.close()
    second.close()


def step(repo: PgRepository) -> dict[str, Any]:
    """What the engine reads for one event, in its order."""
    found = repo.find_identity("telegram", USER)
    assert found is not None
    officer = repo.get_officer(*found)
    assert officer is not None
    org = repo.get_org(officer.org_id)
    assert org is not None
    return {
        "officer": officer.display_name, "org": org.name, "state": repo.get_state(org.id, f"telegram:{USER}"),
        "units": [u.name for u in repo.list_units(org.id)], "years": repo.fiscal_years(org.id),
        "plan": [m.title for m in repo.list_measures(org.id, FY)],
        "answers": [e.summary for e in repo.report_snapshot(org.id, FY)],
    }


def answer(summary: str) -> ReportEntry:
    return ReportEntry(id=f"r-{summary}", org_id="o1", fiscal_year=FY, measure_id="m1", round=6, unit_id="u1",
                       status="done", summary=summary)


def test_a_step_reads_everything_with_one_statement(
    workers: tuple[PgRepository, PgRepository], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, _ = workers
    first = step(mine)  # the first step of a process parses the office
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counted(cur: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query)[:40])
        return execute(cur, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    assert step(mine) == first == {
        "officer": "สมชาย", "org": "อบต.หนึ่ง", "state": {"flow": "report", "step": "summary"},
        "units": ["สำนักปลัด"], "years": [FY], "plan": ["อบรม"], "answers": [],
    }
    assert len(sent) == 1, sent
    mine.set_state("o1", f"telegram:{USER}", {"flow": "report", "step": "outcome"})  # and the step's write: one more
    assert len(sent) == 2, sent


def test_a_step_sees_what_another_worker_wrote_before_it(workers: tuple[PgRepository, PgRepository]) -> None:
    mine, other = workers
    step(mine)
    other.save_officer(Officer(id="p1", org_id="o1", display_name="สมหญิง", unit_ids=["u1"]))
    other.save_org(Organization(id="o1", name="เทศบาลหนึ่ง"))
    other.save_unit(Unit(id="u2", org_id="o1", name="กองคลัง"))
    other.save_measures("o1", FY, [Measure(id="m1", no=1, indicator="1", title="อบรมใหม่", unit_ids=["u1"])])
    other.save_measures("o1", FY + 1, [])
    other.add_report(answer("จัดอบรมแล้ว"))
    other.set_state("o1", f"telegram:{USER}", None)
    assert step(mine) == {
        "officer": "สมหญิง", "org": "เทศบาลหนึ่ง", "state": None, "units": ["สำนักปลัด", "กองคลัง"],
        "years": [FY], "plan": ["อบรมใหม่"], "answers": ["จัดอบรมแล้ว"],
    }


def test_a_step_sees_its_own_writes_at_once(workers: tuple[PgRepository, PgRepository]) -> None:
    mine, _ = workers
    step(mine)
    assert mine.find_identity("telegram", USER) == ("o1", "p1")
    mine.set_state("o1", f"telegram:{USER}", {"flow": "report", "step": "link"})
    assert mine.get_state("o1", f"telegram:{USER}") == {"flow": "report", "step": "link"}
    mine.add_report(answer("ส่งแล้ว"))
    assert [e.summary for e in mine.report_snapshot("o1", FY)] == ["ส่งแล้ว"]
    mine.save_unit(Unit(id="u2", org_id="o1", name="กองช่าง"))
    assert [u.name for u in mine.list_units("o1")] == ["สำนักปลัด", "กองช่าง"]
    mine.save_measures("o1", FY, [])
    assert mine.list_measures("o1", FY) == [] and mine.fiscal_years("o1") == []
    mine.save_officer(Officer(id="p1", org_id="o1", display_name="สมศรี"))
    officer = mine.get_officer("o1", "p1")
    assert officer is not None and officer.display_name == "สมศรี"


def test_what_a_step_hands_out_is_the_callers(workers: tuple[PgRepository, PgRepository]) -> None:
    mine, _ = workers
    assert mine.find_identity("telegram", USER) == ("o1", "p1")
    state = mine.get_state("o1", f"telegram:{USER}")
    assert state is not None
    state["step"] = "changed in memory, never saved"
    officer = mine.get_officer("o1", "p1")
    assert officer is not None
    officer.unit_ids.append("u9")
    units = mine.list_units("o1")
    units[0].aliases.append("x")
    assert mine.get_state("o1", f"telegram:{USER}") == {"flow": "report", "step": "summary"}
    again = mine.get_officer("o1", "p1")
    assert again is not None and again.unit_ids == ["u1"]
    assert mine.list_units("o1")[0].aliases == []


def test_a_step_older_than_its_freshness_is_not_served(
    workers: tuple[PgRepository, PgRepository], monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, other = workers
    step(mine)
    assert mine.find_identity("telegram", USER) == ("o1", "p1")
    monkeypatch.setattr(storage.pg_step, "FRESH_S", -1.0)  # as if the thread came back to it much later
    other.add_report(answer("ภายหลัง"))
    other.set_state("o1", f"telegram:{USER}", {"flow": "report", "step": "later"})
    assert [e.summary for e in mine.report_snapshot("o1", FY)] == ["ภายหลัง"]
    assert mine.get_state("o1", f"telegram:{USER}") == {"flow": "report", "step": "later"}


def test_the_same_save_again_is_kept_once(workers: tuple[PgRepository, PgRepository]) -> None:
    mine, other = workers
    saved = mine.add_report(answer("ครั้งเดียว"))
    retried = other.add_report(answer("ครั้งเดียว"))  # a retry after a lost reply, on another worker
    assert (saved.revision, retried.revision, retried.summary) == (1, 1, "ครั้งเดียว")
    assert mine.add_report(replace(answer("แก้ไข"), evidence=[])).revision == 2
    assert [(e.summary, e.revision) for e in other.report_snapshot("o1", FY)] == [("ครั้งเดียว", 1), ("แก้ไข", 2)]
