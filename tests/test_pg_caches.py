"""Each worker keeps the offices' parsed reports and plans; what another worker writes is seen at once,
a report that commits late behind a newer one included, and a caller's changes never reach the cache."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg.types.json import Jsonb

from storage.models import Measure, ReportEntry, to_dict
from storage.pg_repo import PgRepository


@pytest.fixture
def workers(pg_url: str) -> Iterator[tuple[PgRepository, PgRepository]]:
    """Two repositories on one database, as two `itabot run` processes hold them."""
    first, second = PgRepository.open(pg_url), PgRepository.open(pg_url)
    yield first, second
    first.close()
    second.close()


def entry(measure: str, unit: str, summary: str) -> ReportEntry:
    """One answer of round 6."""
    return ReportEntry(id=f"r-{measure}-{unit}-{summary}", org_id="o1", fiscal_year=2569, measure_id=measure,
                       round=6, unit_id=unit, status="done", summary=summary)


def summaries(repo: PgRepository) -> list[str]:
    """The year's answers as the repository lists them, oldest first."""
    return [e.summary for e in repo.list_reports("o1", 2569)]


def test_a_worker_sees_the_other_workers_answers_even_one_committed_late(
    workers: tuple[PgRepository, PgRepository], pg_url: str
) -> None:
    mine, other = workers
    mine.add_report(entry("m1", "u1", "first"))
    assert summaries(mine) == ["first"]
    other.add_report(entry("m1", "u2", "second"))
    assert summaries(mine) == ["first", "second"]

    late = entry("m2", "u1", "late")
    with psycopg.connect(pg_url) as slow:  # a save that took its place in line, then commits after a newer one
        # (its INSERT drew its seq, the newer save ran whole, then its statement ended: the office's stamp is locked
        # only at a statement's end, so the place is drawn here first and the row written after the newer one)
        place = slow.execute("SELECT nextval(pg_get_serial_sequence('reports', 'seq'))").fetchone()
        other.add_report(entry("m3", "u1", "newer"))
        assert summaries(mine) == ["first", "second", "newer"]
        slow.execute(
            "INSERT INTO reports (seq, org_id, fiscal_year, measure_id, round, unit_id, revision, id, data) "
            "OVERRIDING SYSTEM VALUE VALUES (%s, 'o1', 2569, 'm2', 6, 'u1', 1, %s, %s)",
            (place[0] if place else None, late.id, Jsonb(to_dict(late))))
        slow.commit()
    assert summaries(mine) == ["first", "second", "late", "newer"]  # in the order of their places, none missing
    assert summaries(other) == summaries(mine)
    assert [e.summary for e in mine.list_reports("o1", 2569, measure_id="m2")] == ["late"]


def test_changing_a_listed_answer_or_measure_does_not_change_the_store(workers: tuple[PgRepository, PgRepository]) -> None:
    mine, _ = workers
    mine.add_report(entry("m1", "u1", "kept"))
    listed = mine.list_reports("o1", 2569)[0]
    listed.summary, listed.evidence = "changed", [*listed.evidence, None]  # type: ignore[list-item]
    assert summaries(mine) == ["kept"] and mine.list_reports("o1", 2569)[0].evidence == []
    mine.save_measures("o1", 2569, [Measure(id="m1", no=1, indicator="1", title="อบรม", unit_ids=["u1"])])
    plan = mine.list_measures("o1", 2569)
    plan[0].title = "x"
    plan[0].unit_ids.append("u9")
    assert [(m.title, m.unit_ids) for m in mine.list_measures("o1", 2569)] == [("อบรม", ["u1"])]


def test_a_plan_replaced_by_another_worker_is_read_at_once(workers: tuple[PgRepository, PgRepository]) -> None:
    mine, other = workers
    assert mine.list_measures("o1", 2569) == []
    other.save_measures("o1", 2569, [Measure(id="m2", no=2, indicator="1", title="ข"),
                                     Measure(id="m1", no=1, indicator="1", title="ก")])
    assert [m.title for m in mine.list_measures("o1", 2569)] == ["ก", "ข"]
    other.save_measures("o1", 2569, [Measure(id="m1", no=1, indicator="1", title="ก ใหม่"),
                                     Measure(id="m2", no=2, indicator="1", title="ข")])  # same size, new text
    assert [m.title for m in mine.list_measures("o1", 2569)] == ["ก ใหม่", "ข"]
    other.save_measures("o1", 2569, [])
    assert mine.list_measures("o1", 2569) == []
    assert mine.list_measures("o1", 2570) == []


def test_the_answers_kept_in_memory_are_bounded_by_revisions_and_stay_correct(
    workers: tuple[PgRepository, PgRepository], monkeypatch: pytest.MonkeyPatch
) -> None:
    import storage.pg_repo

    mine, other = workers
    monkeypatch.setattr(storage.pg_repo, "REPORT_ROWS", 3)
    for org in ("o1", "o2"):
        for n in (1, 2):
            other.add_report(ReportEntry(id=f"{org}-{n}", org_id=org, fiscal_year=2569, measure_id="m1", round=6,
                                         unit_id=f"u{n}", status="done", summary=f"{org} {n}"))
    assert [e.summary for e in mine.report_snapshot("o1", 2569)] == ["o1 1", "o1 2"]
    assert [e.summary for e in mine.report_snapshot("o2", 2569)] == ["o2 1", "o2 2"]  # o1's year gives way
    assert mine._report_rows <= 3
    other.add_report(ReportEntry(id="o1-3", org_id="o1", fiscal_year=2569, measure_id="m2", round=6, unit_id="u1",
                                 status="done", summary="o1 3"))
    assert [e.summary for e in mine.report_snapshot("o1", 2569)] == ["o1 1", "o1 2", "o1 3"]
    assert mine._report_rows == 3  # o2's year gave way to the one just read
