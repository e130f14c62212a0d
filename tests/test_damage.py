"""Damage is refused, never guessed: a bad file stops startup naming it and its backup (exit 3), the
backup is never overwritten afterwards, and startup problems are one clear line, not a traceback."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main as cli
from storage.models import Organization, ReportEntry
from storage.tinydb_repo import TinyRepository

pytestmark = pytest.mark.backend("tinydb")  # damaged TinyDB files, their backups and modes

ROOT = Path(__file__).resolve().parent.parent


def good_data(data: Path) -> TinyRepository:
    """Two versions of every file, so each has a good .bak beside it."""
    repo = TinyRepository(data)
    for name in ("อบต.ทดสอบ", "อบต.ทดสอบ (แก้ไข)"):
        repo.save_org(Organization(id="o1", name=name))
    for n in (1, 2):
        repo.add_report(ReportEntry(id=f"r{n}", org_id="o1", fiscal_year=2569, measure_id="m1", round=6,
                                    unit_id="u1", status="done"))
    repo.close()
    return repo


DAMAGE = {
    "empty": b"",
    "whitespace": b"  \n\t\n",
    "truncated": b'{"reports": {"1": {"id": "r1", "org_',
    "not utf-8": b'{"reports": {"1": {"id": "r\xff\xfe"}}}',
    "nesting bomb": b"[" * 100_000 + b"]" * 100_000,
    "a list": b"[1, 2, 3]",
    "row missing fields": json.dumps({"reports": {"1": {"id": "r1", "org_id": "o1"}}}).encode(),
    "field of the wrong type": json.dumps({"measures": {"1": {"id": "m1", "no": "one", "indicator": "1",
                                                              "title": "x"}}}).encode(),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_damaged_year_file_stops_startup_and_keeps_its_backup(tmp_path: Path, kind: str, capsys) -> None:
    good_data(tmp_path)
    target = tmp_path / "orgs" / "o1" / "fy2569.json"
    backup = target.with_name(target.name + ".bak")
    kept = backup.read_bytes()
    target.write_bytes(DAMAGE[kind])
    assert cli(["officers", "--data-dir", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert str(target) in err and str(backup) in err and "damaged database file" in err and "ไฟล์ฐานข้อมูลเสียหาย" in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert backup.read_bytes() == kept  # the last good copy is untouched
    # the backup is the last good version: restoring it brings the office back
    os.replace(backup, target)
    assert [r.id for r in TinyRepository(tmp_path).list_reports("o1", 2569)] == ["r1"]


def test_a_write_after_a_damaged_read_never_replaces_the_backup(tmp_path: Path) -> None:
    good_data(tmp_path)
    repo = TinyRepository(tmp_path)  # running; then the file is damaged under it
    registry = tmp_path / "registry.json"
    kept = (tmp_path / "registry.json.bak").read_bytes()
    time.sleep(0.01)
    registry.write_bytes(b"")
    with pytest.raises(Exception, match="registry.json"):
        repo.save_org(Organization(id="o2", name="อื่น"))
    with pytest.raises(Exception, match="registry.json"):
        repo.save_org(Organization(id="o2", name="อื่น"))
    assert (tmp_path / "registry.json.bak").read_bytes() == kept and registry.read_bytes() == b""


def test_temp_files_left_by_a_killed_process_are_removed_at_start(tmp_path: Path) -> None:
    good_data(tmp_path)
    old = tmp_path / "orgs" / "o1" / ".fy2569.json.k3j2.tmp"
    old.write_bytes(b'{"half": ')
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    live = tmp_path / ".registry.json.x9.tmp"  # another process writing right now
    live.write_bytes(b"{}")
    TinyRepository(tmp_path)
    assert not old.exists() and live.exists()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real `itabot` in a child process (umask 022, like a default shell)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "LINE_", "ITABOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=60, cwd=ROOT, input="",
        env={**clean, "PYTHONPATH": str(ROOT), **(env or {})}, preexec_fn=lambda: os.umask(0o022),
    )


LINE_ENV = {"LINE_CHANNEL_SECRET": "s" * 32, "LINE_CHANNEL_ACCESS_TOKEN": "t", "LINE_API_BASE_URL": "http://127.0.0.1:9"}


@pytest.mark.parametrize("problem", ["short link_secret", "directory as link_secret", "unwritable data directory",
                                     "damaged inbox"])
def test_startup_problems_are_one_clear_line(tmp_path: Path, problem: str) -> None:
    data = tmp_path / "data"
    good_data(data)
    if problem == "short link_secret":
        (data / "link_secret").write_text("short")
    elif problem == "directory as link_secret":
        (data / "link_secret").mkdir()
    elif problem == "damaged inbox":
        (data / "inbox").mkdir()
        (data / "inbox" / "seg-00000001.log").write_bytes(b"\xff\xfe not utf-8\n")
    else:
        data = Path("/proc/self/fdinfo")  # exists, and nobody (not even root) can create files in it
    done = run_cli("run", "--data-dir", str(data), "--port", "0", env=LINE_ENV)
    assert done.returncode == (3 if problem == "damaged inbox" else 1), done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    expected = {"short link_secret": "link_secret", "directory as link_secret": "link_secret",
                "unwritable data directory": "not writable", "damaged inbox": "seg-00000001.log"}[problem]
    assert expected in done.stderr


def test_everything_written_is_private_whatever_the_umask(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli("demo", "--data-dir", str(data), "--today", "2026-02-10").returncode == 0
    out = tmp_path / "archives" / "b.tar.gz"
    assert run_cli("backup", "--data-dir", str(data), "--out", str(out)).returncode == 0
    assert run_cli("backup", "--data-dir", str(data)).returncode == 0
    assert run_cli("summary", "--data-dir", str(data), "--today", "2026-02-10", "--format", "xlsx",
                   "--out", str(data / "exports" / "s.xlsx")).returncode == 0
    files = [p for p in [*data.rglob("*"), out] if p.is_file()]
    assert len(files) >= 5 and any(p.suffix == ".gz" for p in files) and any(p.suffix == ".xlsx" for p in files)
    loose = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in files if stat.S_IMODE(p.stat().st_mode) != 0o600}
    assert loose == {}
    dirs = [data, out.parent, *(p for p in data.rglob("*") if p.is_dir())]
    assert {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in dirs if stat.S_IMODE(p.stat().st_mode) != 0o700} == {}
