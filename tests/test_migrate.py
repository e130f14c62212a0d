"""A data directory written by itabot 0.1.0 opens, is backed up, migrated, and keeps every record."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest

from bot.cli import main
from domain.indicators import INDICATORS, OIT_2566_ITEMS
from handlers.plan_import import apply_plan
from handlers.samples import oit_template
from storage import migrate
from storage.migrate import SCHEMA_VERSION, MigrationError, schema_version
from storage.tinydb_repo import TinyRepository

pytestmark = pytest.mark.backend("tinydb")  # release 0.1 data directories (TinyDB files)

RELEASE_0_1 = Path(__file__).parent / "data" / "release-0.1"
DEMO_ORG, TEST_ORG = "oaea6e7b0b1", "o09e08a3068"  # องค์การบริหารส่วนตำบลคำเนียม, เทศบาลตำบลทดสอบ


def copy_release(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(RELEASE_0_1, data)
    return data


def records(data: Path) -> dict[str, dict[str, int]]:
    """Rows per table of every database file: what "keeps every record" counts."""
    found = {}
    for path in sorted([data / "registry.json", *data.glob("orgs/*/*.json")]):
        tables = json.loads(path.read_text(encoding="utf-8"))
        found[str(path.relative_to(data))] = {name: len(rows) for name, rows in tables.items() if name != "meta"}
    return found


def table(data: Path, rel: str, name: str) -> list[dict[str, object]]:
    return list(json.loads((data / rel).read_text(encoding="utf-8"))[name].values())


def test_release_directory_opens_migrates_and_keeps_every_record(tmp_path: Path) -> None:
    data = copy_release(tmp_path)
    before = records(data)
    reports_before = table(data, f"orgs/{DEMO_ORG}/fy2569.json", "reports")
    people_before = table(data, f"orgs/{DEMO_ORG}/org.json", "officers")
    [state_before] = [row["state"] for row in table(data, f"orgs/{DEMO_ORG}/org.json", "states")]
    originals = {str(p.relative_to(data)): p.read_bytes() for p in data.rglob("*.json")}

    repo = TinyRepository(data)
    moved = before[f"orgs/{DEMO_ORG}/org.json"].pop("states")  # conversation states have their own files now
    assert records(data) == before  # same files, same tables, same number of rows
    assert moved == 1 and repo.get_state(DEMO_ORG, "console:demo") == state_before
    assert table(data, f"orgs/{DEMO_ORG}/fy2569.json", "reports") == reports_before  # answers untouched
    assert table(data, f"orgs/{DEMO_ORG}/org.json", "officers") == people_before
    assert schema_version(data) == SCHEMA_VERSION

    backup = data / "backups" / "pre-migration-v1-to-v3.tar.gz"
    assert backup.stat().st_mode & 0o777 == 0o600
    with tarfile.open(backup) as tar:  # the backup holds the files exactly as they were
        saved = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    assert saved == originals

    measures = repo.list_measures(DEMO_ORG, 2569)
    assert [m.indicator for m in measures[:3]] == ["1 การปฏิบัติหน้าที่", "2 การใช้งบประมาณ", "3 การใช้อำนาจ"]
    assert all(m.indicator_name for m in measures)
    o12 = next(m for m in measures if m.oit_code == "o12")
    assert (o12.indicator, o12.indicator_no, o12.indicator_name) == ("o12", "9.2", "การบริหารงานการดำเนินงาน")
    assert len(o12.component_list) == 4

    units = {u.name: u.id for u in repo.list_units(DEMO_ORG)}
    pasadu = next(u for u in repo.list_units(DEMO_ORG) if u.name == "งานพัสดุ")
    assert pasadu.parent_id == units["กองคลัง"]
    assert measures[3].unit_ids == [units["งานพัสดุ"]]  # "งานพัสดุ/ กองคลัง": one section now
    assert measures[1].unit_ids == [units["งานพัสดุ"], units["กองคลัง"]]  # กองคลัง answered it: still asked

    other = repo.list_measures(TEST_ORG, 2569)
    pr = next(u for u in repo.list_units(TEST_ORG) if u.name == "งานประชาสัมพันธ์")
    assert pr.parent_id == next(u.id for u in repo.list_units(TEST_ORG) if u.name == "กองวิชาการและแผนงาน")
    assert other[0].unit_ids == [pr.id] and other[0].indicator == "7 ประสิทธิภาพการสื่อสาร"
    notes = (data / "backups" / "pre-migration-v1-to-v3.txt").read_text(encoding="utf-8")
    assert "งานพัสดุ เป็นงานในกองคลัง" in notes and "กองคลัง รายงานมาตรการนี้ไว้แล้ว" in notes
    repo.close()

    TinyRepository(data).close()  # opening again changes nothing and takes no second backup
    assert sorted(p.name for p in (data / "backups").iterdir()) == [backup.name, "pre-migration-v1-to-v3.txt"]


def test_migrated_report_still_shows_what_officers_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = copy_release(tmp_path)
    code = main(["summary", "--data-dir", str(data), "--today", "2026-02-10", "--org", "องค์การบริหารส่วนตำบลคำเนียม"])
    out = capsys.readouterr().out
    assert code == 0
    # measure 2 keeps กองคลัง as co-responsible beside its section งานพัสดุ (which has not answered): partly done
    assert "☑ ดำเนินการ 1" in out and "◐ ดำเนินการบางส่วน 1" in out
    assert "ออกคำสั่งมอบหมายงานตามหลักธรรมาภิบาล 12 ม.ค. 2569" in out
    assert "https://example.go.th/order" in out and "• 3 การใช้อำนาจ: ดำเนินการ 1/1" in out


def test_migrated_oit_items_equal_a_fresh_import(tmp_path: Path) -> None:
    data = copy_release(tmp_path)
    migrated = [m for m in TinyRepository(data).list_measures(DEMO_ORG, 2569) if m.oit_code]
    fresh_repo = TinyRepository(None)
    apply_plan(fresh_repo, "o1", 2569, oit_template())
    fresh = fresh_repo.list_measures("o1", 2569)

    def shape(m: object) -> tuple[object, ...]:
        return tuple(getattr(m, f) for f in ("indicator", "oit_code", "indicator_no", "indicator_name", "component_list"))

    assert [shape(m) for m in migrated] == [shape(m) for m in fresh]


def test_migration_knows_what_the_domain_knows() -> None:
    # the migration keeps its own frozen copy; this fails if the two ever disagree while both are current
    assert {no: i.name for no, i in INDICATORS.items() if "." not in no} == migrate._ITA_NAMES
    assert [(a, b, no) for a, b, no, _ in migrate._OIT_SUBS] == list(OIT_2566_ITEMS)
    assert all(INDICATORS[no].name == name for _, _, no, name in migrate._OIT_SUBS)


def test_a_crash_before_the_version_is_written_is_finished_on_the_next_start(tmp_path: Path) -> None:
    data = copy_release(tmp_path)
    TinyRepository(data).close()
    migrated = {p: p.read_bytes() for p in data.glob("orgs/*/*.json")}
    registry = json.loads((data / "registry.json").read_text(encoding="utf-8"))
    del registry["meta"]  # as if killed after the organizations' files, before the stamp
    (data / "registry.json").write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
    TinyRepository(data).close()
    assert {p: p.read_bytes() for p in data.glob("orgs/*/*.json")} == migrated  # the step is idempotent
    assert schema_version(data) == SCHEMA_VERSION


def test_newer_data_is_refused_and_left_alone(tmp_path: Path) -> None:
    data = copy_release(tmp_path)
    registry = json.loads((data / "registry.json").read_text(encoding="utf-8"))
    registry["meta"] = {"1": {"key": "schema_version", "value": SCHEMA_VERSION + 1}}
    (data / "registry.json").write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
    before = {p: p.read_bytes() for p in data.rglob("*.json")}
    with pytest.raises(MigrationError, match="รุ่นที่ใหม่กว่า"):
        TinyRepository(data)
    assert {p: p.read_bytes() for p in data.rglob("*.json")} == before
    assert not (data / "backups").exists()


def test_a_new_directory_starts_at_the_current_version_without_a_backup(tmp_path: Path) -> None:
    TinyRepository(tmp_path / "new").close()
    assert schema_version(tmp_path / "new") == SCHEMA_VERSION
    assert not (tmp_path / "new" / "backups").exists()


def test_a_directory_that_cannot_be_written_gets_a_clear_message(tmp_path: Path) -> None:
    data = copy_release(tmp_path)
    (data / "backups").write_text("not a folder")  # the backup cannot be made: nothing may change
    before = {p: p.read_bytes() for p in data.rglob("*.json")}
    with pytest.raises(MigrationError, match="ปรับรูปแบบข้อมูล"):
        TinyRepository(data)
    assert {p: p.read_bytes() for p in data.rglob("*.json")} == before


def test_conversation_states_leave_the_office_file_and_a_crash_midway_repeats_the_step(tmp_path: Path) -> None:
    data = copy_release(tmp_path)
    office = data / "orgs" / DEMO_ORG / "org.json"
    [state] = [row["state"] for row in table(data, f"orgs/{DEMO_ORG}/org.json", "states")]
    TinyRepository(data).close()
    assert "states" not in json.loads(office.read_text(encoding="utf-8"))
    [moved] = (office.parent / "states").iterdir()
    assert moved.stat().st_mode & 0o777 == 0o600
    # as if killed after writing the chat files, before the office file and the version: version 2 again
    tables = json.loads(office.read_text(encoding="utf-8"))
    tables["states"] = {"1": {"key": "console:demo", "state": state}}
    office.write_text(json.dumps(tables, ensure_ascii=False), encoding="utf-8")
    registry = json.loads((data / "registry.json").read_text(encoding="utf-8"))
    registry["meta"] = {"1": {"key": "schema_version", "value": 2}}
    (data / "registry.json").write_text(json.dumps(registry, ensure_ascii=False), encoding="utf-8")
    repo = TinyRepository(data)
    assert schema_version(data) == SCHEMA_VERSION and "states" not in json.loads(office.read_text(encoding="utf-8"))
    assert repo.get_state(DEMO_ORG, "console:demo") == state  # the officer's report goes on where it was
    assert repo.list_states(DEMO_ORG) == {"console:demo": state}
    assert [p.name for p in (office.parent / "states").iterdir()] == [moved.name]
