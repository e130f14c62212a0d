"""A report save re-serializes only its new row, yet the year file is exactly the JSON of everything it holds."""

from __future__ import annotations

import json
from pathlib import Path

from storage.models import ReportEntry
from storage.tinydb_repo import TinyRepository


def _entry(n: int, measure: str = "m1", text: str = "จัดอบรม \"ครั้งที่\" ๑") -> ReportEntry:
    return ReportEntry(id=f"r{n}", org_id="o1", fiscal_year=2569, measure_id=measure, round=6, unit_id="u1",
                       status="done", summary=f"{text} {n}", created_at=f"2026-03-0{n % 9 + 1}T09:00:00")


def _on_disk(tmp_path: Path) -> dict[str, object]:
    return json.loads((tmp_path / "orgs" / "o1" / "fy2569.json").read_text("utf-8"))


def test_saves_appended_one_by_one_read_back_from_disk_in_a_fresh_process(tmp_path: Path) -> None:
    repo = TinyRepository(tmp_path)
    repo.save_measures("o1", 2569, [])
    for n in range(1, 5):
        repo.add_report(_entry(n))
    other = TinyRepository(tmp_path)  # another process replaces the file: appends must start from its text
    other.add_report(_entry(5, "m2"))
    repo.add_report(_entry(6))
    fresh = TinyRepository(tmp_path)
    saved = fresh.list_reports("o1", 2569)
    assert [(e.id, e.revision) for e in saved] == [("r1", 1), ("r2", 2), ("r3", 3), ("r4", 4), ("r5", 1), ("r6", 5)]
    assert saved[0].summary == "จัดอบรม \"ครั้งที่\" ๑ 1"
    raw = (tmp_path / "orgs" / "o1" / "fy2569.json").read_bytes()
    assert raw == json.dumps(_on_disk(tmp_path), ensure_ascii=False, separators=(",", ":")).encode()


def test_a_review_written_between_two_saves_is_kept(tmp_path: Path) -> None:
    from storage.models import Review

    repo = TinyRepository(tmp_path)
    repo.add_report(_entry(1))
    repo.add_review(Review(org_id="o1", fiscal_year=2569, round_no=6, measure_id="m1", unit_id="u1",
                           state="accepted", comment="", reviewer_id="h1", at="2026-03-09T10:00:00+07:00",
                           answer_revision=1))
    repo.add_report(_entry(2))
    repo.add_report(_entry(3))
    data = _on_disk(tmp_path)
    assert len(data["reports"]) == 3 and len(data["reviews"]) == 1  # type: ignore[arg-type]
    assert [e.id for e in TinyRepository(tmp_path).list_reports("o1", 2569)] == ["r1", "r2", "r3"]


def test_a_views_cached_figures_follow_a_save_made_by_another_process(tmp_path: Path) -> None:
    from handlers.context import Derived

    repo, derived = TinyRepository(tmp_path), Derived()
    repo.add_report(_entry(1))

    def count() -> int:
        snap = repo.report_snapshot("o1", 2569)
        value: int = derived.get(("count", "o1"), (snap,), lambda: len(snap))
        return value

    assert count() == 1 and repo.report_snapshot("o1", 2569) is repo.report_snapshot("o1", 2569)
    TinyRepository(tmp_path).add_report(_entry(2))  # another process: the file changes under us
    assert count() == 2
    repo.add_report(_entry(3))
    assert count() == 3
