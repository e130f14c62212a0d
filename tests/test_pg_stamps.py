"""A worker's parsed units, plans and answers follow every change another worker or a tool commits (storage/
migrations/0005_org_stamps.sql): deletes, edits in place, bulk COPY and TRUNCATE included, and data written
before the migration that added the stamps."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from storage.models import Measure, Officer, Organization, ReportEntry, Unit, to_dict
from storage.pg_repo import PgRepository
from storage.pg_schema import migrate

USER, FY = "1001", 2569


def office(repo: PgRepository, org_id: str = "o1", user: str = USER) -> None:
    """An office with one unit, one officer on a chat account, a plan and no answers."""
    repo.save_org(Organization(id=org_id, name="อบต.หนึ่ง"))
    repo.save_unit(Unit(id="u1", org_id=org_id, name="สำนักปลัด"))
    repo.save_officer(Officer(id="p1", org_id=org_id, display_name="สมชาย", unit_ids=["u1"]))
    repo.link_identity("telegram", user, org_id, "p1")
    repo.save_measures(org_id, FY, [Measure(id="m1", no=1, indicator="1", title="อบรม", unit_ids=["u1"])])


@pytest.fixture
def workers(pg_url: str) -> Iterator[tuple[PgRepository, PgRepository]]:
    """Two repositories on one database, as two `itabot run` processes hold them."""
    first, second = PgRepository.open(pg_url), PgRepository.open(pg_url)
    office(second)
    yield first, second
    first.close()
    second.close()


def seen(repo: PgRepository, user: str = USER) -> dict[str, Any]:
    """What one conversation step shows of the office: its units, plan years, plan and answers."""
    found = repo.find_identity("telegram", user)
    assert found is not None
    org_id = found[0]
    return {
        "units": [u.name for u in repo.list_units(org_id)], "years": repo.fiscal_years(org_id),
        "plan": [m.title for m in repo.list_measures(org_id, FY)],
        "answers": [e.summary for e in repo.report_snapshot(org_id, FY)],
    }


def answer(summary: str, org_id: str = "o1", unit: str = "u1") -> ReportEntry:
    return ReportEntry(id=f"r-{org_id}-{summary}", org_id=org_id, fiscal_year=FY, measure_id="m1", round=6,
                       unit_id=unit, status="done", summary=summary)


def sql(url: str, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Statements of another client (a script, psql, a tool), committed together."""
    with psycopg.connect(url) as conn:
        for query, params in statements:
            conn.execute(query.encode(), params)


def test_deletes_and_edits_in_place_by_another_client_are_seen(
    workers: tuple[PgRepository, PgRepository], pg_url: str
) -> None:
    mine, other = workers
    other.save_unit(Unit(id="u2", org_id="o1", name="กองคลัง"))
    other.add_report(answer("อบรมแล้ว"))
    other.add_report(answer("เผยแพร่แล้ว", unit="u2"))
    assert seen(mine) == {"units": ["สำนักปลัด", "กองคลัง"], "years": [FY], "plan": ["อบรม"],
                          "answers": ["อบรมแล้ว", "เผยแพร่แล้ว"]}
    sql(pg_url, ("DELETE FROM units WHERE id = 'u2'", ()), ("DELETE FROM reports WHERE unit_id = 'u2'", ()))
    assert seen(mine)["units"] == ["สำนักปลัด"] and seen(mine)["answers"] == ["อบรมแล้ว"]
    # an answer corrected in place: as many rows as before and none newer, still seen
    sql(pg_url, ("UPDATE reports SET data = data || '{\"summary\": \"อบรมครบแล้ว\"}'::jsonb", ()))
    assert seen(mine)["answers"] == ["อบรมครบแล้ว"]
    sql(pg_url, ("UPDATE measures SET data = data || '{\"title\": \"อบรมคุณธรรม\"}'::jsonb", ()))
    assert seen(mine)["plan"] == ["อบรมคุณธรรม"]
    sql(pg_url, ("DELETE FROM measures", ()))
    assert seen(mine) == {"units": ["สำนักปลัด"], "years": [], "plan": [], "answers": ["อบรมครบแล้ว"]}
    sql(pg_url, ("TRUNCATE units, reports", ()))
    assert seen(mine) == {"units": [], "years": [], "plan": [], "answers": []}


def test_a_bulk_copy_of_many_offices_is_seen_by_a_worker_that_cached_them(
    workers: tuple[PgRepository, PgRepository], pg_url: str
) -> None:
    mine, other = workers
    for n in range(2, 5):
        office(other, f"o{n}", user=f"10{n:02d}")
    before = {n: seen(mine, f"10{n:02d}") for n in range(2, 5)}
    assert before[2] == {"units": ["สำนักปลัด"], "years": [FY], "plan": ["อบรม"], "answers": []}
    with psycopg.connect(pg_url) as conn, conn.cursor() as cur:  # as bench/pg_fleet.py seeds: one COPY per table
        with cur.copy("COPY units (org_id, id, data) FROM STDIN") as copy:
            for n in range(2, 5):
                copy.write_row((f"o{n}", "u2", Jsonb(to_dict(Unit(id="u2", org_id=f"o{n}", name="กองช่าง")))))
        with cur.copy("COPY measures (org_id, fiscal_year, id, data) FROM STDIN") as copy:
            for n in range(2, 5):
                plan = Measure(id="m2", no=2, indicator="2", title="เปิดเผยข้อมูล", unit_ids=["u2"])
                copy.write_row((f"o{n}", FY, "m2", Jsonb(to_dict(plan))))
        with cur.copy("COPY reports (org_id, fiscal_year, measure_id, round, unit_id, revision, id, data) FROM STDIN") as copy:
            for n in range(2, 5):
                entry = answer(f"ตอบ {n}", org_id=f"o{n}")
                copy.write_row((f"o{n}", FY, "m1", 6, "u1", 1, entry.id, Jsonb(to_dict(entry))))
    for n in range(2, 5):
        assert seen(mine, f"10{n:02d}") == {"units": ["สำนักปลัด", "กองช่าง"], "years": [FY],
                                            "plan": ["อบรม", "เปิดเผยข้อมูล"], "answers": [f"ตอบ {n}"]}


def test_answers_saved_at_once_by_two_workers_are_all_seen(workers: tuple[PgRepository, PgRepository]) -> None:
    mine, other = workers
    assert seen(mine)["answers"] == []
    saved: list[str] = []

    def save(repo: PgRepository, who: str) -> None:
        for i in range(15):
            saved.append(repo.add_report(answer(f"{who}{i}", unit=f"u{who}")).summary)

    threads = [threading.Thread(target=save, args=(repo, who)) for repo, who in ((mine, "a"), (other, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(saved) == 30
    assert sorted(seen(mine)["answers"]) == sorted(seen(other)["answers"]) == sorted(saved)


def test_data_written_before_the_stamps_existed_is_stamped_by_the_migration(pg_empty_url: str) -> None:
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        migrate(conn, target=4)  # the release before the stamps
    sql(pg_empty_url,
        ("INSERT INTO orgs (id, data) VALUES ('o1', %s)", (Jsonb(to_dict(Organization(id="o1", name="อบต.หนึ่ง"))),)),
        ("INSERT INTO units (org_id, id, data) VALUES ('o1', 'u1', %s)",
         (Jsonb(to_dict(Unit(id="u1", org_id="o1", name="สำนักปลัด"))),)),
        ("INSERT INTO officers (org_id, id, data) VALUES ('o1', 'p1', %s)",
         (Jsonb(to_dict(Officer(id="p1", org_id="o1", display_name="สมชาย", unit_ids=["u1"]))),)),
        ("INSERT INTO identities VALUES ('telegram', %s, 'o1', 'p1')", (USER,)),
        ("INSERT INTO measures VALUES ('o1', %s, 'm1', %s)",
         (FY, Jsonb(to_dict(Measure(id="m1", no=1, indicator="1", title="อบรม", unit_ids=["u1"]))))),
        ("INSERT INTO reports (org_id, fiscal_year, measure_id, round, unit_id, revision, id, data) "
         "VALUES ('o1', %s, 'm1', 6, 'u1', 1, 'r1', %s)", (FY, Jsonb(to_dict(answer("เก่า"))))),
    )
    with psycopg.connect(pg_empty_url, autocommit=True) as conn:
        migrate(conn)
        stamps = conn.execute("SELECT kind, fiscal_year FROM org_stamps ORDER BY 1, 2").fetchall()
    assert stamps == [("m", FY), ("r", FY), ("u", 0)]
    mine, other = PgRepository.open(pg_empty_url), PgRepository.open(pg_empty_url)
    try:
        assert seen(mine) == {"units": ["สำนักปลัด"], "years": [FY], "plan": ["อบรม"], "answers": ["เก่า"]}
        other.save_unit(Unit(id="u1", org_id="o1", name="สำนักปลัดฯ"))
        other.add_report(answer("ใหม่"))
        assert seen(mine) == {"units": ["สำนักปลัดฯ"], "years": [FY], "plan": ["อบรม"], "answers": ["เก่า", "ใหม่"]}
    finally:
        mine.close()
        other.close()
