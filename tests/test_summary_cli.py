"""`itabot summary` and `itabot org` from the shell, after a real chat conversation stored on disk."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from docx.oxml.ns import qn
from PIL import Image

from bot.cli import main
from report.fonts import DOC_FONT
from tests.docx_read import open_docx
from tests.factory import make_office
from tests.report_fixtures import make_image
from tests.tools import require_tool

TODAY = "2026-02-10"


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    """An office whose กองคลัง officer reported measure 2 as done, with a link and a photo, by chat."""
    d = tmp_path / "data"
    office = make_office(d)
    chat = office.register("u1", "officer", "กองคลัง", name="สมหญิง")
    chat.say("/report")
    chat.press("2. เผยแพร่")
    chat.press("ดำเนินการ")
    chat.say("ประกาศแผนการใช้จ่ายงบประมาณบนเว็บไซต์ 5 ม.ค. 2569")
    chat.say("ประชาชนเข้าถึงข้อมูลได้")
    chat.say("https://example.go.th/budget")
    chat.send_file("ป้ายประกาศ.jpg", make_image(fmt="JPEG"), "image/jpeg")
    chat.say("/done")
    chat.press("บันทึก")
    assert "บันทึกแล้ว" in chat.text
    return d


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_text_summary_of_the_current_round(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY)
    assert code == 0
    assert "ปีงบประมาณ 2569 · รอบ 6 เดือน" in out
    assert "☑ 2. เผยแพร่ข้อมูลงบประมาณ" in out and "ประกาศแผนการใช้จ่ายงบประมาณบนเว็บไซต์" in out
    assert "เปิดเผยข้อมูล OIT" not in out  # measure 4 is reported in round 12 only
    code, out, _ = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY, "--round", "12",
                        "--unit", "สำนัก ปลัด", "--digits", "thai")
    assert code == 0 and "รอบ ๑๒ เดือน" in out and "ส่วนราชการ: สำนักปลัด" in out and "เปิดเผยข้อมูล OIT" in out


def test_docx_after_a_chat_conversation(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "org", "--data-dir", str(data_dir), "--signer-name", "นางสาวใจดี มีสุข", "--signer-position", "ปลัด อบต.")
    out_file = tmp_path / "r.docx"
    code, out, _ = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY, "--format", "docx",
                        "--out", str(out_file))
    assert code == 0 and out.strip() == str(out_file)
    doc = open_docx(out_file)
    row = next(r for r in doc.tables[0].rows if r.cells[1].text == "เผยแพร่ข้อมูลงบประมาณ")
    progress = row.cells[-1].text
    assert "☑\u00a0ดำเนินการ" in progress and "☐\u00a0ยังไม่ได้ดำเนินการ" in progress
    assert "ประกาศแผนการใช้จ่ายงบประมาณบนเว็บไซต์" in progress and "ภาพถ่าย ๑ ป้ายประกาศ (รูปที่ ๑)" in progress
    links = [h.address for p in row.cells[-1].paragraphs for h in p.hyperlinks]
    assert links == ["https://example.go.th/budget"]
    run = next(r for p in row.cells[-1].paragraphs for r in p.runs if "ประกาศแผน" in r.text)
    assert run._r.rPr.find(qn("w:rFonts")).get(qn("w:cs")) == DOC_FONT
    signature = next(t for t in doc.tables if "ลงชื่อ" in t.rows[0].cells[0].text).rows[0].cells[0].text
    assert "(นางสาวใจดี มีสุข)" in signature and "ตำแหน่ง ปลัด อบต." in signature
    assert "ภาคผนวก ข" in [p.text for p in doc.paragraphs]


def test_org_sets_the_signature_path_and_digits_the_report_prints(
        data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "org", "--data-dir", str(data_dir), "--checker-name", "นางสาวฮาดีมาะห์ สะอิด",
                        "--checker-position", "หัวหน้าสำนักปลัด", "--approver-position", "นายก อบต.",
                        "--digits", "arabic")
    assert code == 0 and "ผู้ตรวจสอบ/เห็นชอบ: นางสาวฮาดีมาะห์ สะอิด (หัวหน้าสำนักปลัด)" in out
    assert "ผู้อนุมัติ: - (นายก อบต.)" in out and "ตัวเลขในรายงาน: อารบิก" in out
    out_file = tmp_path / "r.docx"
    _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY, "--format", "docx", "--out", str(out_file))
    doc = open_docx(out_file)
    assert doc.paragraphs[1].text == "ประจำปีงบประมาณ พ.ศ. 2569"
    cells = next(t for t in doc.tables if "ลงชื่อ" in t.rows[0].cells[0].text).rows[0].cells
    assert cells[1].text.startswith("ความเห็นหัวหน้าสำนักปลัด") and "(นางสาวฮาดีมาะห์ สะอิด)" in cells[1].text
    assert cells[2].text.startswith("ความเห็นนายก อบต.")


def test_pdf_says_in_thai_what_to_install_when_libreoffice_is_missing(
        data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    code, _, err = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY, "--format", "pdf",
                        "--out", str(tmp_path / "r.pdf"))
    assert code == 1 and err.strip().count("\n") == 0 and "libreoffice-writer-nogui" in err and "PDF" in err
    code, out, _ = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY, "--format", "zip",
                        "--out", str(tmp_path / "r.zip"))
    assert code == 0  # the other formats still work
    with zipfile.ZipFile(tmp_path / "r.zip") as zf:
        names = zf.namelist()
        index = zf.read("สารบัญหลักฐาน.csv").decode("utf-8-sig")
    assert {"รายงาน.docx", "รายงาน.xlsx", "สารบัญหลักฐาน.csv"} <= set(names) and "รายงาน.pdf" not in names
    photo = next(n for n in names if n.startswith("หลักฐาน/02 ") and n.endswith(".jpg"))
    assert "ภาพถ่าย 01 ป้ายประกาศ" in photo or "ภาพถ่าย ๑ ป้ายประกาศ" in photo
    assert "https://example.go.th/budget" in index and photo in index


def test_pdf_from_the_shell_embeds_the_thai_font(data_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    require_tool("soffice", "libreoffice", package="libreoffice-writer-nogui")
    pdffonts = require_tool("pdffonts", package="poppler-utils")
    out_file = tmp_path / "r.pdf"
    code, out, _ = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY, "--format", "pdf",
                        "--out", str(out_file))
    assert code == 0 and out.strip() == str(out_file) and out_file.read_bytes().startswith(b"%PDF")
    fonts = subprocess.run([pdffonts, str(out_file)], capture_output=True, text=True, check=True).stdout
    assert any("Sarabun" in line and " yes " in line for line in fonts.splitlines())  # embedded


def test_xlsx_and_png_default_to_the_exports_folder(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY, "--format", "xlsx")
    path = Path(out.strip())
    assert code == 0 and path.parent == data_dir / "exports" / "o1" and path.name.startswith("ita-o1-fy2569-r6-")
    ws = openpyxl.load_workbook(path)["มาตรการ"]
    assert [(r[0], r[6]) for r in ws.iter_rows(min_row=2, values_only=True)] == [
        (1, "ยังไม่ได้รายงาน"), (2, "ดำเนินการ"), (3, "ยังไม่ได้รายงาน"),
    ]
    code, out, _ = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY, "--format", "png")
    with Image.open(out.strip()) as img:
        assert code == 0 and img.format == "PNG"


def test_an_empty_store_says_to_import_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "summary", "--data-dir", str(tmp_path / "missing"))
    assert code == 2 and "ไม่พบโฟลเดอร์ข้อมูล" in err
    (tmp_path / "empty").mkdir()
    code, _, err = _run(capsys, "summary", "--data-dir", str(tmp_path / "empty"))
    assert code == 2 and "ยังไม่มีหน่วยงาน" in err


def test_clear_thai_errors(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY, "--unit", "กองไม่มีจริง")
    assert code == 2 and "ไม่พบส่วนราชการ" in err and "กองคลัง" in err
    code, _, err = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", "2030-01-05")
    assert code == 2 and "ยังไม่มีแผนมาตรการของปีงบประมาณ 2573" in err and "2569" in err
    code, out, err = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY, "--round", "5")
    assert code == 2 and out == ""
    assert "ไม่รู้จักรอบ \"5\"" in err and "รอบ 3 เดือน, รอบ 6 เดือน, รอบ 9 เดือน, รอบ 12 เดือน" in err


@pytest.mark.parametrize("typed", ["12", "๑๒", "รอบ 12", "รอบ ๑๒ เดือน", "ไตรมาส 4", "ทั้งปี"])
def test_round_as_people_type_it(data_dir: Path, capsys: pytest.CaptureFixture[str], typed: str) -> None:
    code, out, _ = _run(capsys, "summary", "--data-dir", str(data_dir), "--today", TODAY, "--round", typed)
    assert code == 0 and "รอบ 12 เดือน" in out and "เปิดเผยข้อมูล OIT" in out


def test_org_shows_creates_and_sets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path / "new")
    code, _, err = _run(capsys, "org", "--data-dir", d)
    assert code == 2 and "ไม่พบโฟลเดอร์ข้อมูล" in err
    code, out, _ = _run(capsys, "org", "--data-dir", d, "--name", "เทศบาลตำบลตัวอย่าง", "--province", "นราธิวาส")
    assert code == 0 and "สร้างหน่วยงานใหม่แล้ว" in out and "จังหวัด: นราธิวาส" in out
    code, out, _ = _run(capsys, "org", "--data-dir", d, "--district", "ระแงะ")
    assert "ชื่อหน่วยงาน: เทศบาลตำบลตัวอย่าง" in out and "อำเภอ: ระแงะ" in out and "ผู้ลงนามรายงาน: -" in out
    code, _, err = _run(capsys, "org", "--data-dir", d, "--name", "  ")
    assert code == 2 and "ต้องไม่ว่าง" in err
    code, out, _ = _run(capsys, "org", "--data-dir", d)
    assert "ชื่อหน่วยงาน: เทศบาลตำบลตัวอย่าง" in out and "บันทึกแล้ว" not in out
