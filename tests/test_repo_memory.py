"""What the TinyDB store keeps in memory is bounded by size (rows, bytes), and what it hands out stays right."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from pathlib import Path

import pytest

from storage.atomic import PARSED_PER_BYTE
from storage.lru import SizedLRU
from storage.models import Evidence, Measure, ReportEntry, detached_report, own_measure
from storage.tinydb_repo import TinyRepository

ORGS = [f"o{i}" for i in range(1, 7)]


def _entry(org: str, n: int, text: str = "จัดอบรมและเผยแพร่ประกาศ") -> ReportEntry:
    return ReportEntry(id=f"{org}-r{n}", org_id=org, fiscal_year=2569, measure_id=f"m{n % 3}", round=6,
                       unit_id="u1", status="done", summary=f"{text} {n}", created_at="2026-03-01T09:00:00+07:00",
                       evidence=[Evidence(f"{org}-e{n}", "url", url=f"https://example.go.th/{n}")])


def _offices(tmp_path: Path, rows: int = 40) -> None:
    """Six offices' year files of `rows` answers each, written in one durable write per file."""
    repo = TinyRepository(tmp_path)
    for org in ORGS:
        repo.save_measures(org, 2569, [Measure(f"m{i}", i, "1", f"มาตรการ {i}") for i in range(3)])

        def fill(tables: dict, org: str = org) -> None:
            tables["reports"] = {str(n): dataclasses.asdict(_entry(org, n)) for n in range(1, rows + 1)}

        repo._update_file(repo._fy_file(org, 2569), fill)


def test_a_size_bounded_cache_never_holds_more_than_its_limit_and_drops_the_oldest_first():
    dropped: list[str] = []
    cache: SizedLRU[str, list[int]] = SizedLRU(10, len, on_evict=lambda k, v: dropped.append(k))
    for key, size in [("a", 4), ("b", 4), ("c", 1)]:
        cache.put(key, [0] * size)
    assert cache.get("a") is not None  # used again: "b" is now the oldest
    cache.put("d", [0] * 3)
    assert dropped == ["b"] and list(cache) == ["c", "a", "d"] and cache.total() <= 10
    cache.put("huge", [0] * 50)  # one item above the limit stays alone: it is the one in use
    assert list(cache) == ["huge"] and dropped == ["b", "c", "a", "d"]


def test_a_count_bound_holds_beside_the_size_bound():
    cache: SizedLRU[int, int] = SizedLRU(1_000, lambda v: 1, count=3)
    for key in range(5):
        cache.put(key, key)
    assert list(cache) == [2, 3, 4]


def test_the_store_keeps_at_most_its_limit_of_converted_rows_and_still_reads_every_office_right(tmp_path: Path):
    _offices(tmp_path, rows=40)
    repo = TinyRepository(tmp_path, max_cached_rows=100)  # room for two offices' 40 rows, not three
    for _ in range(2):
        for org in ORGS:
            entries = repo.list_reports(org, 2569)
            assert [e.id for e in entries] == [f"{org}-r{n}" for n in range(1, 41)]
            assert entries[0].evidence == [Evidence(f"{org}-e1", "url", url="https://example.go.th/1")]
            assert repo._reports_cache.total() <= 100
    assert len(repo._reports_cache) == 2


def test_the_store_keeps_parsed_files_within_its_byte_limit(tmp_path: Path):
    _offices(tmp_path, rows=40)
    limit = 5 * PARSED_PER_BYTE * (tmp_path / "orgs" / "o1" / "fy2569.json").stat().st_size  # two or three files
    repo = TinyRepository(tmp_path, max_open_bytes=limit)
    for org in ORGS:
        repo.list_measures(org, 2569)
        repo.add_report(_entry(org, 99))  # a save keeps its table's text too: counted
        assert repo._dbs.total() <= limit
    assert 1 < len(repo._dbs) < len(ORGS)
    assert [e.id for e in TinyRepository(tmp_path).list_reports("o6", 2569)][-1] == "o6-r99"


def test_cached_rows_are_shared_until_another_process_saves_then_read_again(tmp_path: Path):
    _offices(tmp_path, rows=5)
    repo, other = TinyRepository(tmp_path), TinyRepository(tmp_path)
    first = repo.report_snapshot("o1", 2569)
    assert repo.report_snapshot("o1", 2569) is first  # unchanged file: the same rows, no parse
    other.add_report(_entry("o1", 6))
    again = repo.report_snapshot("o1", 2569)
    assert again is not first and [e.id for e in again][-1] == "o1-r6"


def test_the_plan_cache_follows_a_plan_replaced_by_another_process(tmp_path: Path):
    _offices(tmp_path, rows=2)
    repo, other = TinyRepository(tmp_path), TinyRepository(tmp_path)
    assert [m.title for m in repo.list_measures("o1", 2569)] == ["มาตรการ 0", "มาตรการ 1", "มาตรการ 2"]
    other.save_measures("o1", 2569, [Measure("m9", 1, "1", "มาตรการใหม่")])
    assert [m.title for m in repo.list_measures("o1", 2569)] == ["มาตรการใหม่"]


def test_records_handed_out_are_the_callers_own_and_the_cached_ones_stay_as_stored(tmp_path: Path):
    _offices(tmp_path, rows=3)
    repo = TinyRepository(tmp_path)
    mine = repo.list_reports("o1", 2569)[0]
    mine.evidence.append(Evidence("x", "url"))
    mine.summary = "เปลี่ยนแล้ว"
    stored = repo.list_reports("o1", 2569)[0]
    assert stored.summary == "จัดอบรมและเผยแพร่ประกาศ 1" and len(stored.evidence) == 1
    plan = repo.list_measures("o1", 2569)
    plan[0].unit_ids.append("u9")
    plan[0].rounds.remove(3)
    assert repo.list_measures("o1", 2569)[0].unit_ids == [] and 3 in repo.list_measures("o1", 2569)[0].rounds


def test_slotted_records_copy_compare_and_pickle_like_plain_ones():
    entry = _entry("o1", 1)
    clone = detached_report(entry)
    assert clone == entry and clone is not entry and clone.evidence is not entry.evidence
    assert copy.deepcopy(entry) == entry and pickle.loads(pickle.dumps(entry)) == entry  # worker processes pickle
    assert dataclasses.replace(entry, summary="ใหม่").summary == "ใหม่" and entry.summary.endswith("1")
    ev = entry.evidence[0]
    assert pickle.loads(pickle.dumps(ev)) == ev and hash(ev) == hash(copy.copy(ev))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.url = "https://other.example"  # type: ignore[misc]
    measure = Measure("m1", 1, "1", "เผยแพร่", unit_ids=["u1"])
    own = own_measure(measure)
    own.unit_ids.append("u2")
    assert own != measure and measure.unit_ids == ["u1"] and pickle.loads(pickle.dumps(measure)) == measure


def test_views_keep_figures_of_at_most_their_bound_of_answer_rows_and_still_reuse_current_ones():
    from handlers.context import Derived

    derived, made = Derived(rows=100), []
    snaps = {org: tuple(_entry(org, n) for n in range(40)) for org in ORGS}

    def figure(org: str, what: str = "latest") -> int:
        value: int = derived.get((what, org), (snaps[org],), lambda: made.append(org) or len(snaps[org]))
        return value

    for org in ORGS:
        figure(org)
        figure(org, "reuse")  # the same snapshot under a second key counts once
    twice = [org for org in ORGS for _ in "ab"]
    assert made == twice and len(derived._items) == 4  # two offices' 80 rows fit under 100, a third's do not
    assert figure("o6") == 40 and figure("o5", "reuse") == 40 and made == twice  # the newest are still reused
    figure("o1")
    assert made == [*twice, "o1"]  # dropped: computed again
