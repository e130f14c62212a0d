"""`itabot schedule` and `itabot remind --dry-run` as an office's admin would run them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.line_cost import build_office
from bot.cli import main
from storage.models import ReportEntry
from tests.factory import open_store


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    repo = open_store(tmp_path / "data")
    build_office(repo, "bench", n_officers=5, n_measures=6)
    return tmp_path / "data"


def test_schedule_lists_the_four_rounds_with_their_planned_sends(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "--fiscal-year", "2569", "--data-dir", str(data_dir), "--today", "2025-12-20"]) == 0
    out = capsys.readouterr().out
    deadlines = re.findall(r"กำหนดส่ง (\d+ \S+ \d{4})", out)
    assert deadlines == ["31 ธ.ค. 2568", "31 มี.ค. 2569", "30 มิ.ย. 2569", "30 ก.ย. 2569"]
    assert "รอบ 3 เดือน: 1 ต.ค. 2568 – 31 ธ.ค. 2568" in out
    # round 3's sends, with today's number of recipients (4 officers owe something, o4 does not);
    # the opening on 17 Dec is past and nothing was logged: the host sees it never went out
    assert re.search(r"17 ธ.ค. 2568 09:00\s+แจ้งเปิดรอบรายงาน\s+ไม่มีบันทึกการส่ง · ค้างอยู่ ณ วันนี้ 4 คน", out)
    assert re.search(r"30 ธ.ค. 2568 09:00\s+เตือนวันครบกำหนด\s+ผู้รับ ณ วันนี้ 4 คน", out)  # 31 Dec: holiday
    assert "31 ธ.ค. 2568 09:00" not in out
    assert re.search(r"7 ม.ค. 2569 09:00\s+ติดตามหลังกำหนด ครั้งที่ 1", out)
    assert len(re.findall(r"\[remind_T-7\]", out)) == 4
    assert len(re.findall(r"\[overdue_\d\]", out)) == 20


def test_schedule_counts_drop_when_a_unit_reports(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = open_store(data_dir)
    repo.add_report(ReportEntry("r1", "bench", 2569, "m1", 3, "u2", "done", summary="ทำแล้ว",
                                created_at="2025-12-18T10:00:00+07:00"))
    main(["schedule", "--fiscal-year", "2569", "--data-dir", str(data_dir), "--today", "2025-12-20"])
    out = capsys.readouterr().out
    assert re.search(r"24 ธ.ค. 2568 09:00\s+เตือนก่อนกำหนด 7 วัน\s+ผู้รับ ณ วันนี้ 3 คน", out)


def test_remind_dry_run_prints_recipients_and_sends_nothing(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["remind", "--dry-run", "--today", "2025-12-24", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "4 ข้อความที่จะส่ง ณ 24 ธ.ค. 2568 09:00" in out
    for who in ("เจ้าหน้าที่ 1", "เจ้าหน้าที่ 2", "เจ้าหน้าที่ 3", "เจ้าหน้าที่ 5"):
        assert f"→ {who} (line:U" in out
    assert "เจ้าหน้าที่ 4" not in out
    assert "อีก 7 วันครบกำหนด" in out
    assert open_store(data_dir).list_sends("bench", 2569) == []
    # Saturday: nothing
    main(["remind", "--dry-run", "--today", "2025-12-27", "--data-dir", str(data_dir)])
    assert "ไม่มีข้อความที่ต้องส่ง" in capsys.readouterr().out


def test_remind_without_a_platform_refuses_in_one_line_and_records_nothing(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(data_dir)  # no .env here
    args = ["remind", "--today", "2025-12-24", "--time", "10:00", "--data-dir", str(data_dir)]
    assert main(args) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "--dry-run" in out and "ส่งจริงไม่ได้" in out
    assert open_store(data_dir).list_sends("bench", 2569) == []  # the server will still send them


def test_bad_time_is_refused(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["remind", "--dry-run", "--time", "25:99", "--data-dir", str(data_dir)]) == 2
    assert "เวลาไม่ถูกต้อง" in capsys.readouterr().out
