"""An admin sends the plan in chat (or names it in the console demo): preview first, import on confirm."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.factory import make_office
from tests.test_docx_import import build_seed002_docx

ROOT = Path(__file__).resolve().parent.parent


def test_admin_previews_then_imports_a_docx() -> None:
    office = make_office()
    admin = office.register("ad", "admin")
    admin.send_file("มาตรการ 2569.docx", build_seed002_docx())
    assert "10" in admin.text and "นำเข้าแผนนี้" in admin.text
    assert "• 1 การปฏิบัติหน้าที่: 1" in admin.text  # indicators by name, not bare numbers
    assert "งานพัสดุ (ใน กองคลัง): 2" in admin.text and "ส่วนราชการใหม่: งานพัสดุ (ใน กองคลัง)" in admin.text
    assert len(office.repo.list_measures("o1", 2569)) == 4  # nothing changed before the confirm
    assert [u.name for u in office.repo.list_units("o1")] == ["สำนักปลัด", "กองคลัง", "กองช่าง"]
    admin.press("นำเข้า")
    assert "นำเข้าแผนแล้ว" in admin.text
    measures = office.repo.list_measures("o1", 2569)
    assert any("คู่มือ" in m.title for m in measures) and len(measures) >= 10
    pasadu = next(u for u in office.repo.list_units("o1") if u.name == "งานพัสดุ")
    assert pasadu.parent_id == office.units["กองคลัง"].id  # the office's own กองคลัง, not a new one
    assert next(m for m in measures if m.indicator_no == "2").unit_ids == [pasadu.id]


def test_officer_file_is_not_a_plan_and_bad_files_change_nothing() -> None:
    office = make_office()
    officer = office.register("u1", "officer", "กองคลัง")
    officer.send_file("plan.docx", build_seed002_docx())
    assert "ผู้ดูแลระบบ" in officer.text
    admin = office.register("ad", "admin")
    admin.send_file("plan.docx", b"PK\x03\x04 this is not a real docx")
    assert "นำเข้าไม่ได้" in admin.text and not admin.buttons()
    admin.send_file("plan.csv", "ลำดับ,ตัวชี้วัด\n1,1\n".encode())
    assert "นำเข้าไม่ได้" in admin.text
    assert len(office.repo.list_measures("o1", 2569)) == 4


def test_console_demo_imports_a_docx_by_path(tmp_path: Path) -> None:
    plan = tmp_path / "แผน.docx"
    plan.write_bytes(build_seed002_docx())
    data = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--data-dir", str(data), "--today", "2026-02-10"],
        input=f"{plan}\nนำเข้า\n/status\n", capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "นำเข้าแผนนี้แทนแผนปีงบประมาณ 2569" in result.stdout
    assert "นำเข้าแผนแล้ว ✅" in result.stdout
