"""A document no rule understands: the admin is shown its tables, says which column is what (CLI flags, a
terminal prompt, or chat buttons), the plan imports, and next year's document of the same shape imports alone."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from handlers.plan_import import ColumnChoice, MappingNeeded, parse_plan_bytes
from tests.factory import make_office, open_store
from tests.plan_layouts import UNKNOWN_ROWS, build_unknown_docx
from tests.test_docx_import import _add_table
from tests.tools import clean_env

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2025-11-03"


def run(capsys: pytest.CaptureFixture[str], data: Path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--data-dir", str(data), "--today", TODAY])
    out = capsys.readouterr()
    return code, out.out, out.err


def next_year_docx() -> bytes:
    """The same office's next plan: the same table shape, other measures."""
    import io

    import docx

    doc = docx.Document()
    doc.add_paragraph("สิ่งที่จะทำในปีถัดไป")
    _add_table(doc, [["สิ่งที่จะทำ", "คนทำ", "เมื่อไร"], ["ปรับปรุงเว็บไซต์ให้อ่านง่ายบนมือถือ", "กองช่าง", "ปลายปี"]], 3)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_an_unknown_table_asks_for_a_mapping_and_the_mapping_reads_it() -> None:
    with pytest.raises(MappingNeeded) as caught:
        parse_plan_bytes(build_unknown_docx(), "แผน.docx")
    assert [t.number for t in caught.value.tables] == [1]
    parsed = parse_plan_bytes(build_unknown_docx(), "แผน.docx", None, ColumnChoice(1, {0: "title", 1: "responsible", 2: "period"}))
    assert [(r.title, r.unit_names, r.period, r.rounds) for r in parsed.rows] == [
        (UNKNOWN_ROWS[0][0], ["กองคลัง"], "ต้นปี", [3, 6, 9, 12]),
        (UNKNOWN_ROWS[1][0], ["สำนักปลัด"], "กลางปี", [3, 6, 9, 12]),
    ]
    assert parsed.mapping == {"shape": "สิ่งที่จะทำ|คนทำ|เมื่อไร", "columns": {"0": "title", "1": "responsible", "2": "period"}}


def test_cli_shows_the_tables_then_imports_with_table_and_columns_and_remembers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data, plan = tmp_path / "data", tmp_path / "แผน.docx"
    plan.write_bytes(build_unknown_docx())
    code, out, err = run(capsys, data, "import", str(plan), "--org", "อบต.ทดสอบ", "--yes")
    assert code == 1
    assert "ตารางที่ 1 (3 คอลัมน์ × 3 แถว)" in out and "1:สิ่งที่จะทำ | 2:คนทำ | 3:เมื่อไร" in out
    assert "ไม่พบตารางมาตรการที่อ่านได้แน่ชัด" in err and "--table 1 --columns title=2,responsible=3" in err
    assert open_store(data).list_orgs() == []  # nothing stored

    code, out, err = run(capsys, data, "import", str(plan), "--org", "อบต.ทดสอบ", "--yes", "--table", "1",
                         "--columns", "title=1,responsible=2,period=3")
    assert code == 0, err
    assert "คอลัมน์ 1 «สิ่งที่จะทำ» → ชื่อมาตรการ" in out and "คอลัมน์ 2 «คนทำ» → ผู้รับผิดชอบ" in out
    assert "จำการอ่านคอลัมน์นี้ไว้แล้ว" in out
    repo = open_store(data)
    org = repo.list_orgs()[0]
    assert [m.title for m in repo.list_measures(org.id, 2569)] == [r[0] for r in UNKNOWN_ROWS]

    nxt = tmp_path / "แผน 2570.docx"
    nxt.write_bytes(next_year_docx())
    code, out, err = run(capsys, data, "import", str(nxt), "--yes", "--fiscal-year", "2570")
    assert code == 0, err
    assert "ใช้การอ่านคอลัมน์ที่เลือกไว้ครั้งก่อน" in out
    measures = open_store(data).list_measures(org.id, 2570)
    assert [(m.title, m.period) for m in measures] == [("ปรับปรุงเว็บไซต์ให้อ่านง่ายบนมือถือ", "ปลายปี")]


def test_cli_columns_correct_an_understood_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tests.test_docx_import import build_per_indicator_docx

    plan = tmp_path / "แนวทาง.docx"
    plan.write_bytes(build_per_indicator_docx())
    code, out, _ = run(capsys, tmp_path / "data", "import", str(plan), "--org", "อบต.ทดสอบ",
                       "--columns", "topic=3,title=1,responsible=6")
    assert code == 0
    assert "1. บุคลากรปฏิบัติงานตามขั้นตอนและระยะเวลาที่กำหนด — สำนักปลัด" in out  # the topic is now the title
    assert "คอลัมน์ 1 «ประเด็นการประเมิน» → ชื่อมาตรการ" in out


def test_cli_bad_mapping_words_say_what_is_allowed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = tmp_path / "แผน.docx"
    plan.write_bytes(build_unknown_docx())
    code, _, err = run(capsys, tmp_path / "data", "import", str(plan), "--org", "x", "--table", "1", "--columns", "ชื่อ=1")
    assert code == 1 and "ไม่รู้จัก «ชื่อ»" in err and "title=ชื่อมาตรการ" in err
    code, _, err = run(capsys, tmp_path / "data", "import", str(plan), "--org", "x", "--table", "4", "--columns", "title=1")
    assert code == 1 and "ไม่มีตารางที่ 4" in err


def test_cli_asks_on_a_terminal(tmp_path: Path) -> None:
    data, plan = tmp_path / "data", tmp_path / "แผน.docx"
    plan.write_bytes(build_unknown_docx())
    main_fd, term_fd = pty.openpty()
    env = clean_env()
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "import", str(plan), "--org", "อบต.ทดสอบ", "--data-dir", str(data),
         "--today", TODAY], stdin=term_fd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path, env=env,
    )
    os.close(term_fd)
    os.write(main_fd, b"1\ntitle=1,responsible=2\ny\n")
    out, _ = proc.communicate(timeout=120)
    os.close(main_fd)
    text = out.decode()
    assert proc.returncode == 0, text
    assert "ตารางที่ (เลข" in text and "คอลัมน์ (เช่น" in text and "✅ นำเข้าแล้ว" in text
    repo = open_store(data)
    assert len(repo.list_measures(repo.list_orgs()[0].id, 2569)) == 2


def test_chat_mapping_with_buttons_per_column_then_next_year_alone() -> None:
    office = make_office()
    admin = office.register("ad", "admin")
    admin.send_file("แผน.docx", build_unknown_docx())
    assert "ไม่พบตารางมาตรการที่อ่านได้แน่ชัด" in admin.text and "ตารางที่ 1 (3 คอลัมน์" in admin.text
    assert all(len(b.data.encode()) <= 64 for b in admin.buttons())
    admin.press("ตารางที่ 1")
    assert "คอลัมน์ 1/3" in admin.text and "สิ่งที่จะทำ" in admin.text
    assert all(len(b.data.encode()) <= 64 for b in admin.buttons())
    admin.press("ชื่อมาตรการ")
    assert "คอลัมน์ 2/3" in admin.text and "คนทำ" in admin.text
    admin.press("ผู้รับผิดชอบ")
    admin.press("ระยะเวลา")
    assert "พบมาตรการ 2 รายการ" in admin.text and "คอลัมน์ 2 «คนทำ» → ผู้รับผิดชอบ" in admin.text
    assert len(office.repo.list_measures("o1", 2569)) == 4  # nothing stored before the confirm
    admin.press("นำเข้า")
    assert "นำเข้าแผนแล้ว" in admin.text and "จำการอ่านคอลัมน์นี้ไว้แล้ว" in admin.text
    assert [m.title for m in office.repo.list_measures("o1", 2569)] == [r[0] for r in UNKNOWN_ROWS]

    admin.send_file("แผนปีหน้า.docx", next_year_docx())
    assert "พบมาตรการ 1 รายการ" in admin.text and "ใช้การอ่านคอลัมน์ที่เลือกไว้ครั้งก่อน" in admin.text


def test_chat_mapping_can_be_typed_and_a_title_is_required() -> None:
    office = make_office()
    admin = office.register("ad", "admin")
    admin.send_file("แผน.docx", build_unknown_docx())
    admin.press("ตารางที่ 1")
    admin.say("responsible=2")
    assert "ต้องบอกว่าคอลัมน์ใดเป็นชื่อมาตรการ" in admin.text
    for _ in range(3):
        admin.press("ไม่ใช้")
    assert "ยังไม่ได้เลือกคอลัมน์ชื่อมาตรการ" in admin.text and "คอลัมน์ 1/3" in admin.text
    admin.say("title=1,responsible=2")
    assert "พบมาตรการ 2 รายการ" in admin.text
    admin.press("ยกเลิก")
    assert len(office.repo.list_measures("o1", 2569)) == 4


def test_chat_admin_corrects_an_understood_table() -> None:
    from tests.test_docx_import import build_per_indicator_docx

    office = make_office()
    admin = office.register("ad", "admin")
    admin.send_file("แนวทาง.docx", build_per_indicator_docx())
    assert "คอลัมน์ 3 «แนวทางการดำเนินการ» → ชื่อมาตรการ" in admin.text
    admin.press("แก้การอ่านคอลัมน์")
    assert "คอลัมน์ 1/6" in admin.text
    admin.say("title=1,responsible=6")
    assert "1. บุคลากรปฏิบัติงานตามขั้นตอนและระยะเวลาที่กำหนด — สำนักปลัด" in admin.text


def test_columns_are_for_word_and_pdf_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from handlers.samples import sample_csv_bytes

    plan = tmp_path / "plan.csv"
    plan.write_bytes(sample_csv_bytes(2569))
    code, _, err = run(capsys, tmp_path / "data", "import", str(plan), "--org", "x", "--table", "1", "--columns", "title=3")
    assert code == 1 and "ใช้กับไฟล์ Word หรือ PDF" in err
