"""Issue 11, item 2: a correction starts from the earlier answer and keeps its evidence; history stays whole.

Driven as the README drives it: a conversation piped into `itabot demo`, then `itabot summary` in the
three formats the head of office signs and publishes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import docx
import openpyxl
import pytest

from bot.cli import main
from tests.factory import open_store
from tests.report_fixtures import make_image

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-02-10"
LINK = "https://example.go.th/order"

def demo(data: Path, *lines: str) -> str:
    """Pipe typed lines into `itabot demo` as a new process; its screen as text."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--data-dir", str(data), "--today", TODAY],
        input="\n".join([*lines, ""]), capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout

def summary(capsys: pytest.CaptureFixture[str], data: Path, fmt: str, out: Path | None = None) -> str:
    """`itabot summary` in one format: the text itself, or the path of the file it wrote."""
    args = ["summary", "--data-dir", str(data), "--today", TODAY, "--format", fmt]
    assert main([*args, "--out", str(out)] if out else args) == 0
    return capsys.readouterr().out

def evidence_in_documents(capsys: pytest.CaptureFixture[str], data: Path, tmp: Path) -> dict[str, list[str]]:
    """Measure 3's evidence as the summary text, the XLSX evidence sheet and the DOCX report show it."""
    text = summary(capsys, data, "text")
    block = text.split("\n☑ 3.", 1)[1].split("\n☐ 4.", 1)[0].split("\n☑ 4.", 1)[0]
    xlsx, word = tmp / "r.xlsx", tmp / "r.docx"
    summary(capsys, data, "xlsx", xlsx)
    summary(capsys, data, "docx", word)
    sheet = openpyxl.load_workbook(xlsx)["หลักฐาน"]
    rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == 3]
    doc = docx.Document(str(word))
    cell = next(r.cells[-1] for r in doc.tables[0].rows if r.cells[0].text.strip() in ("3", "๓"))
    links = [h.address for p in cell.paragraphs for h in p.hyperlinks]
    return {
        "text": [line.strip() for line in block.splitlines() if "หลักฐาน" in line or "🔗" in line],
        "xlsx": [f"{r[3]} {r[4]}" for r in rows],
        "docx": [p.text for p in cell.paragraphs if p.text.startswith("• ")] + links,
        "annex": [str(len(doc.inline_shapes))],
    }

def test_correcting_the_text_keeps_link_photo_and_pdf_and_removing_one_keeps_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    photo, pdf = tmp_path / "อบรม.jpg", tmp_path / "คำสั่ง.pdf"
    photo.write_bytes(make_image(fmt="JPEG"))
    pdf.write_bytes(b"%PDF-1.4 order of appointment")

    first = demo(data, "/report", "3", "ดำเนินการ", "ออกคำสั่งมอบหมายงานแล้ว", "/skip",
                 f"คำสั่งแต่งตั้ง {LINK}", str(photo), str(pdf), "/done", "บันทึก")
    assert "หลักฐาน: 3 รายการ" in first and "ครั้งที่ 1" in first

    # revision 2: the earlier answer is shown, the correction starts from it and only the text changes
    second = demo(data, "/report", "3", "แก้ไขคำตอบเดิม", "แก้ไข", "สิ่งที่ดำเนินการ",
                  "ออกคำสั่งมอบหมายงานตามหลักธรรมาภิบาล 12 ม.ค. 2569", "บันทึก")
    assert "คำตอบของรอบ 6 เดือน ครั้งที่ 1" in second and "หลักฐาน 3 รายการ" in second
    recap = second.split("ตรวจสอบก่อนบันทึก")[-1]
    assert "หลักฐาน: 3 รายการ" in recap and "ตามหลักธรรมาภิบาล" in recap
    assert f"1. 🔗 {LINK} – คำสั่งแต่งตั้ง" in recap and "2. 📷 อบรม.jpg" in recap and "3. 📄 คำสั่ง.pdf" in recap
    assert "ครั้งที่ 2" in second

    shown = evidence_in_documents(capsys, data, tmp_path)
    assert "ตามหลักธรรมาภิบาล" in summary(capsys, data, "text")
    assert shown["text"] == ["หลักฐาน: 1 ภาพ, 1 ไฟล์, 1 ลิงก์", f"🔗 {LINK}"]
    assert sorted(shown["xlsx"]) == sorted([f"ลิงก์ {LINK}", "ภาพ อบรม.jpg", "ไฟล์ คำสั่ง.pdf"])
    assert any("ภาพถ่าย ๑ อบรม" in p and "(รูปที่ ๑)" in p for p in shown["docx"]) and LINK in shown["docx"]
    assert any("คำสั่ง.pdf" in p for p in shown["docx"]) and shown["annex"] == ["1"]

    # revision 3: the photo is removed by its number in the edit menu
    third = demo(data, "/report", "3", "แก้ไขคำตอบเดิม", "แก้ไข", "ลบข้อ 2", "บันทึก")
    assert "ลบหลักฐานข้อ 2 แล้ว: 📷 อบรม.jpg" in third and "ครั้งที่ 3" in third
    shown = evidence_in_documents(capsys, data, tmp_path)
    assert shown["text"] == ["หลักฐาน: 1 ไฟล์, 1 ลิงก์", f"🔗 {LINK}"]
    assert sorted(shown["xlsx"]) == sorted([f"ลิงก์ {LINK}", "ไฟล์ คำสั่ง.pdf"])
    assert not any("อบรม" in p for p in shown["docx"]) and shown["annex"] == ["0"]

    # the history: every revision, who and when, the photo still in revisions 1 and 2
    history = open_store(data).list_reports(next(iter(open_store(data).list_orgs())).id, 2569, 6)
    mine = [e for e in history if e.summary]
    assert [e.revision for e in mine] == [1, 2, 3]
    everything = [LINK, "อบรม.jpg", "คำสั่ง.pdf"]
    assert [[ev.url or ev.name for ev in e.evidence] for e in mine] == [everything, everything, [LINK, "คำสั่ง.pdf"]]
    assert mine[0].evidence[0].note == "คำสั่งแต่งตั้ง"  # the words typed with the link are its caption
    assert all(e.officer_name and e.created_at for e in mine)
    assert mine[0].summary == "ออกคำสั่งมอบหมายงานแล้ว" and mine[2].summary.endswith("12 ม.ค. 2569")

def test_console_names_a_missing_file_instead_of_calling_it_a_command(tmp_path: Path) -> None:
    out = demo(tmp_path / "data", "/report", "3", "ดำเนินการ", "ทำแล้ว", "/skip", "/tmp/no-such-order.pdf", "1")
    assert "ไม่พบไฟล์ /tmp/no-such-order.pdf" in out and "ไม่รู้จักคำสั่ง" not in out
    assert out.rstrip().split("> 1", 1)[1].lstrip().startswith("ตรวจสอบก่อนบันทึก")  # [1] เสร็จสิ้น still pressable


def test_save_repeated_after_a_crash_is_stored_once_but_an_edit_is_a_new_revision() -> None:
    from tests.factory import make_office

    office = make_office()
    officer = office.register("u1", "officer", "กองคลัง")
    officer.say("/report")
    officer.press("2.")
    officer.press("ดำเนินการ")
    officer.say("เผยแพร่แผนงบประมาณแล้ว")
    officer.say("/skip")
    officer.say("/done")
    before = office.repo.get_state("o1", "test:u1")  # the recap, as a crash right after the save leaves it
    save = next(b.data for b in officer.buttons() if b.label == "บันทึก")
    edit = next(b.data for b in officer.buttons() if b.label == "แก้ไข")
    officer.press_data(save)
    office.repo.set_state("o1", "test:u1", before)
    officer.press_data(save)  # pressed again after the restart
    assert [e.revision for e in office.repo.list_reports("o1", 2569)] == [1]
    office.repo.set_state("o1", "test:u1", before)
    officer.press_data(edit)
    officer.press("สิ่งที่ดำเนินการ")
    officer.say("เผยแพร่แผนงบประมาณบนเว็บไซต์แล้ว")
    officer.press("บันทึก")
    reports = office.repo.list_reports("o1", 2569)
    assert [e.revision for e in reports] == [1, 2] and reports[-1].summary.endswith("บนเว็บไซต์แล้ว")
