"""The store survives crashes, refuses damaged files loudly, and keeps organizations apart."""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main as cli
from storage.atomic import StoreCorrupted
from storage.evidence import EvidenceError, EvidenceStore, safe_display_name, validate_url
from storage.models import Measure, Organization, ReportEntry
from storage.tinydb_repo import TinyRepository

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.backend("tinydb")  # TinyDB files and cache
def test_sigkill_mid_write_never_loses_an_acknowledged_write(tmp_path: Path) -> None:
    rng = random.Random(7)
    acknowledged: set[str] = set()
    start = 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_writer", str(tmp_path), str(start)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env,
        )
        assert proc.stdout is not None
        wanted = rng.randint(3, 40)
        got = 0
        while got < wanted:
            line = proc.stdout.readline()
            if not line:
                break
            acknowledged.add(f"r{int(line)}")
            got += 1
        time.sleep(rng.random() * 0.02)  # land the kill anywhere inside the next write
        proc.send_signal(signal.SIGKILL)
        for line in proc.stdout:  # writes acknowledged before the kill landed
            if line.strip():
                acknowledged.add(f"r{int(line)}")
        proc.wait()
        repo = TinyRepository(tmp_path)  # must load, every time
        stored = {r.id for r in repo.list_reports("o1", 2569)}
        assert acknowledged <= stored, sorted(acknowledged - stored)[:5]
        start = max(int(i[1:]) for i in stored) + 1
    assert len(acknowledged) >= 12


@pytest.mark.backend("tinydb")  # TinyDB files and cache
def test_damaged_file_stops_startup_naming_file_and_backup(tmp_path: Path, capsys) -> None:
    repo = TinyRepository(tmp_path)
    repo.save_org(Organization(id="o1", name="อบต.ทดสอบ"))
    repo.save_org(Organization(id="o1", name="อบต.ทดสอบ (แก้ไข)"))
    registry = tmp_path / "registry.json"
    registry.write_text('{"orgs": {"1": {"id": "o1", "na', encoding="utf-8")
    with pytest.raises(StoreCorrupted) as info:
        TinyRepository(tmp_path)
    message = str(info.value)
    assert str(registry) in message and str(registry) + ".bak" in message
    assert cli(["officers", "--data-dir", str(tmp_path)]) == 3
    assert "registry.json" in capsys.readouterr().err
    # the backup beside it is the last good version and loads
    os.replace(str(registry) + ".bak", registry)
    assert TinyRepository(tmp_path).get_org("o1") is not None


@pytest.mark.backend("tinydb")  # TinyDB files and cache
def test_one_file_per_org_and_year(tmp_path: Path) -> None:
    repo = TinyRepository(tmp_path)
    for i in range(3):
        repo.save_org(Organization(id=f"o{i}", name=f"org {i}"))
        repo.add_report(ReportEntry(id=f"r{i}", org_id=f"o{i}", fiscal_year=2569, measure_id="m", round=3, unit_id="u", status="done"))
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.json"))
    assert files == ["orgs/o0/fy2569.json", "orgs/o1/fy2569.json", "orgs/o2/fy2569.json", "registry.json"]
    assert [r.id for r in repo.list_reports("o1", 2569)] == ["r1"]


@pytest.mark.backend("tinydb")  # TinyDB files and cache
def test_another_process_sees_new_writes(tmp_path: Path) -> None:
    first, second = TinyRepository(tmp_path), TinyRepository(tmp_path)
    first.save_org(Organization(id="o1", name="a"))
    assert second.get_org("o1") is not None
    second.save_org(Organization(id="o2", name="b"))
    assert {o.id for o in first.list_orgs()} == {"o1", "o2"}
    assert first.find_identity("telegram", "42") is None  # builds the identity index
    second.link_identity("telegram", "42", "o1", "p1")
    assert first.find_identity("telegram", "42") == ("o1", "p1")  # the index follows the file


def test_evidence_files_are_content_addressed_and_names_are_safe(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, max_bytes=100)
    ev = store.put(b"hello", "../../etc/passwd", "", "p1")
    assert ev.name == "passwd" and len(ev.sha256) == 64
    assert (tmp_path / ev.sha256[:2] / ev.sha256).read_bytes() == b"hello"
    assert not (tmp_path.parent / "etc").exists()
    assert safe_display_name("C:\\x\\รูป\x00.jpg") == "รูป.jpg"
    with pytest.raises(EvidenceError):
        store.put(b"x" * 101, "big.bin")
    assert store.read("../../../etc/passwd") is None
    assert validate_url(" https://อบต.ไทย/เอกสาร ") == "https://อบต.ไทย/เอกสาร"
    for bad in ("ftp://x", "javascript:alert(1)", "http://", "file:///etc/passwd"):
        with pytest.raises(EvidenceError):
            validate_url(bad)


@pytest.mark.backend("tinydb")  # TinyDB files and cache
def test_backup_archive_holds_every_database(tmp_path: Path) -> None:
    import tarfile

    data = tmp_path / "data"
    repo = TinyRepository(data)
    repo.save_org(Organization(id="o1", name="a"))
    repo.add_report(ReportEntry(id="r1", org_id="o1", fiscal_year=2569, measure_id="m", round=3, unit_id="u", status="done"))
    out = tmp_path / "b.tar.gz"
    assert cli(["backup", "--data-dir", str(data), "--out", str(out)]) == 0
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert "data/registry.json" in names and "data/orgs/o1/fy2569.json" in names


@pytest.mark.backend("tinydb")  # TinyDB files and cache
def test_records_read_back_are_copies(tmp_path: Path) -> None:
    from storage.models import Evidence, Officer

    for repo in (TinyRepository(None), TinyRepository(tmp_path)):
        repo.save_officer(Officer(id="p1", org_id="o1", display_name="ก", unit_ids=["u1"]))
        person = repo.get_officer("o1", "p1")
        assert person
        person.unit_ids.append("u2")
        assert repo.get_officer("o1", "p1").unit_ids == ["u1"]  # type: ignore[union-attr]
        repo.add_report(ReportEntry(id="r1", org_id="o1", fiscal_year=2569, measure_id="m", round=3, unit_id="u1",
                                    status="done", evidence=[Evidence(id="e1", kind="url", url="https://a.go.th")]))
        entry = repo.list_reports("o1", 2569)[0]
        with pytest.raises(dataclasses.FrozenInstanceError):
            entry.evidence[0].url = "https://changed"  # type: ignore[misc]
        entry.evidence.clear()
        entry.summary = "changed"
        assert repo.list_reports("o1", 2569)[0].summary == ""
        assert repo.list_reports("o1", 2569)[0].evidence[0].url == "https://a.go.th"


@pytest.mark.backend("tinydb")  # TinyDB files and cache
def test_another_process_saves_are_seen_by_cached_reads(tmp_path: Path) -> None:
    reader, writer = TinyRepository(tmp_path), TinyRepository(tmp_path)  # two processes' views of one directory
    writer.save_measures("o1", 2569, [Measure(id="m1", no=1, indicator="1", title="ประชุม")])
    saved = [ReportEntry(id=f"r{n}", org_id="o1", fiscal_year=2569, measure_id="m1", round=3, unit_id="u1",
                         status="done") for n in range(2)]
    writer.add_report(saved[0])
    assert [r.id for r in reader.list_reports("o1", 2569)] == ["r0"]
    assert [m.id for m in reader.list_measures("o1", 2569)] == ["m1"]
    writer.add_report(saved[1])
    writer.save_measures("o1", 2569, [Measure(id="m1", no=1, indicator="1", title="ประชุม"),
                                      Measure(id="m2", no=2, indicator="1", title="อบรม")])
    assert [r.id for r in reader.list_reports("o1", 2569)] == ["r0", "r1"]  # not the cached list of one
    assert [m.id for m in reader.list_measures("o1", 2569)] == ["m1", "m2"]
    mine = reader.list_measures("o1", 2569)
    mine[0].unit_ids.append("u9")  # the caller's copy: the next read is as stored
    assert reader.list_measures("o1", 2569)[0].unit_ids == []
