"""The chat understands people's words (rounds, roles, units) and stops runaway work with a clear line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.bounded import BoundedProcessRunner, Limits
from domain.limits import WorkLimitExceeded
from tests.factory import make_office
from tests.test_docx_import import build_seed002_docx


def test_invite_accepts_the_thai_role_its_help_offers_and_a_unit_number() -> None:
    office = make_office()
    admin = office.register("ad", "admin")
    admin.say("/invite สำนักปลัด เจ้าหน้าที่")
    assert "รหัสเชิญ" in admin.text and "สำนักปลัด" in admin.text
    admin.say("/invite 2 หัวหน้า")
    assert "กองคลัง" in admin.text and "หัวหน้า" in admin.text
    admin.say("/invite กองชาง")
    assert "ไม่พบ" in admin.text and 'หมายถึง "กองช่าง" ใช่ไหม' in admin.text


def test_summary_reads_rounds_as_people_type_them_and_lists_valid_ones() -> None:
    office = make_office()
    head = office.register("h", "head")
    head.say("/summary ๓")
    assert "รอบ 3 เดือน" in head.text or "รอบ ๓ เดือน" in head.text
    head.say("/summary รอบ 12")
    assert "12 เดือน" in head.text or "๑๒ เดือน" in head.text
    for bad in ("4", "abc", "รอบ 5"):
        head.say(f"/summary {bad}")
        assert "ไม่รู้จักรอบ" in head.text and "รอบ 3 เดือน, รอบ 6 เดือน, รอบ 9 เดือน, รอบ 12 เดือน" in head.text


class StoppingRunner:
    """A bounded runner that hits its memory limit (what a decompression bomb does to the real one)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, fn: Any, *args: Any) -> Any:
        self.calls += 1
        raise WorkLimitExceeded("memory", "1536 MB")


def test_an_import_that_hits_a_limit_says_so_and_changes_nothing() -> None:
    office = make_office()
    runner = StoppingRunner()
    office.engine.bounded = runner
    admin = office.register("ad", "admin")
    admin.send_file("มาตรการ 2569.docx", build_seed002_docx())
    assert runner.calls == 1
    assert "ใหญ่หรือซับซ้อนเกิน" in admin.text and "ใช้หน่วยความจำมากเกินไป" in admin.text
    assert not admin.buttons()
    assert len(office.repo.list_measures("o1", 2569)) == 4


def test_chat_import_and_summary_run_in_the_bounded_child_process(tmp_path: Path) -> None:
    office = make_office(tmp_path / "data", exports=True)
    office.engine.bounded = BoundedProcessRunner(Limits(cpu_seconds=60, memory_mb=2048, wall_seconds=120))
    admin = office.register("ad", "admin")
    admin.send_file("มาตรการ 2569.docx", build_seed002_docx())
    assert "นำเข้าแผนนี้" in admin.text
    admin.press("นำเข้า")
    assert "นำเข้าแผนแล้ว" in admin.text
    head = office.register("h", "head")
    replies = head.say("/summary")
    files = [f for r in replies for f in r.files]
    assert {f.name.rsplit(".", 1)[-1] for f in files} >= {"docx", "xlsx", "png"}
    assert all(f.path.exists() and f.path.stat().st_size > 0 for f in files)
