"""A start re-checks only files whose bytes changed since they were found good, and still refuses damage:
the record is keyed by content (SHA-256), not by size or time, and a bad record only costs time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import main as cli
from storage.atomic import StoreCorrupted
from storage.models import Organization, ReportEntry
from storage.tinydb_repo import TinyRepository
from storage.verified import VERIFIED_FILE

pytestmark = pytest.mark.backend("tinydb")  # the .verified record of TinyDB files found good


def _office(data: Path) -> Path:
    repo = TinyRepository(data)
    repo.save_org(Organization(id="o1", name="อบต.ทดสอบ"))
    repo.add_report(ReportEntry(id="r1", org_id="o1", fiscal_year=2569, measure_id="m1", round=6, unit_id="u1",
                                status="done"))
    repo.close()
    return data / "orgs" / "o1" / "fy2569.json"


def _same_size_damage(path: Path) -> None:
    """Change one field's type keeping the size and the modification time (what a stat would miss)."""
    before = path.stat()
    raw = path.read_bytes()
    damaged = raw.replace(b'"status":"done"', b'"status":123456')  # a number where text is stored
    assert damaged != raw and len(damaged) == len(raw)
    path.write_bytes(damaged)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_known_good_file_damaged_in_place_still_stops_startup(tmp_path: Path, capsys) -> None:
    target = _office(tmp_path)
    assert TinyRepository(tmp_path).list_reports("o1", 2569)[0].round == 6  # recorded as good
    assert (tmp_path / VERIFIED_FILE).exists()
    _same_size_damage(target)
    assert cli(["officers", "--data-dir", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert str(target) in err and "damaged database file" in err


def test_a_damaged_record_costs_time_not_safety(tmp_path: Path) -> None:
    target = _office(tmp_path)
    (tmp_path / VERIFIED_FILE).write_bytes(b"{not json")
    assert [r.id for r in TinyRepository(tmp_path).list_reports("o1", 2569)] == ["r1"]  # checked again, good
    target.write_bytes(b'{"reports": {"1": {"id": "r1"}}}')
    with pytest.raises(StoreCorrupted, match="fy2569.json"):
        TinyRepository(tmp_path)


def test_files_written_while_running_are_known_good_at_the_next_start(tmp_path: Path) -> None:
    target = _office(tmp_path)
    repo = TinyRepository(tmp_path)
    repo.add_report(ReportEntry(id="r2", org_id="o1", fiscal_year=2569, measure_id="m1", round=6, unit_id="u1",
                                status="done"))
    repo.close()
    again = TinyRepository(tmp_path)
    assert str(target.relative_to(tmp_path)) not in again._dbs  # not parsed at start: its bytes were written by us
    assert [r.id for r in again.list_reports("o1", 2569)] == ["r1", "r2"]
