"""Plan layouts offices publish, built with python-docx from our own text, and their PDFs made by LibreOffice."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import docx

from tests.test_docx_import import _add_table

__all__ = [
    "build_numbered_docx",
    "build_numbered_plain_docx",
    "build_two_row_header_docx",
    "build_unknown_docx",
    "build_headerless_continuation_docx",
    "to_pdfs",
]


def _save(doc: docx.document.Document) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


TWO_ROW_MEASURES = [
    ("๑", "จัดทำป้ายแสดงขั้นตอนการให้บริการหน้าสำนักงาน", "๑. ออกแบบป้าย ๒. ติดตั้งป้าย", "กองช่าง",
     "ตุลาคม ๒๕๖๘ – ธันวาคม ๒๕๖๘", "รอบ ๖ เดือน และรอบ ๑๒ เดือน"),
    ("๒", "เผยแพร่รายงานการเงินประจำเดือนบนเว็บไซต์", "สรุปรายงานและเผยแพร่ทุกเดือน", "กองคลัง",
     "ตลอดปีงบประมาณ ๒๕๖๙", "ทุกรอบ"),
    ("๓", "อบรมพนักงานเรื่องการรับเรื่องร้องเรียนการทุจริต", "จัดอบรมปีละ ๑ ครั้ง", "สำนักปลัด",
     "มกราคม – มีนาคม ๒๕๖๙", "รอบ ๑๒ เดือน"),
]


def build_two_row_header_docx() -> bytes:
    """A header over two rows (a group cell above its three columns) and headers wrapped inside their cells."""
    doc = docx.Document()
    doc.add_paragraph("แผนการดำเนินงานตามมาตรการส่งเสริมคุณธรรมและความโปร่งใส ปีงบประมาณ ๒๕๖๙")
    top = ["ที่", "มาตรการ/\nกิจกรรม", "การดำเนินการ", "", "", ""]
    second = ["", "", "วิธีการ", "ผู้รับ\nผิดชอบ", "ระยะเวลา\nดำเนินการ", "รอบการ\nรายงานผล"]
    table = _add_table(doc, [top, second, *[list(m) for m in TWO_ROW_MEASURES]], 6)
    table.cell(0, 2).merge(table.cell(0, 4))
    table.cell(0, 0).merge(table.cell(1, 0))
    table.cell(0, 1).merge(table.cell(1, 1))
    return _save(doc)


CONTINUED = [
    ("1", "ติดตั้งกล่องรับความคิดเห็นประชาชน", "สำนักปลัด", "ต.ค. ๒๕๖๘ – ก.ย. ๒๕๖๙"),
    ("2", "ประกาศผลการจัดซื้อจัดจ้างทุกเดือน", "งานพัสดุ/ กองคลัง", "ต.ค. ๒๕๖๘ – ก.ย. ๒๕๖๙"),
    ("3", "จัดทำแผนการใช้ยานพาหนะของราชการ", "สำนักปลัด", "พ.ย. ๒๕๖๘"),
    ("4", "ประชุมชี้แจงเรื่องผลประโยชน์ทับซ้อน", "ทุกส่วนราชการ", "ธ.ค. ๒๕๖๘"),
]


def build_headerless_continuation_docx() -> bytes:
    """A measure table continued on the next page without its header, the first row finishing a measure."""
    doc = docx.Document()
    doc.add_paragraph("มาตรการส่งเสริมคุณธรรมและความโปร่งใส ประจำปีงบประมาณ ๒๕๖๙")
    header = ["ลำดับ", "มาตรการ/กิจกรรม", "ผู้รับผิดชอบ", "ระยะเวลาดำเนินการ"]
    _add_table(doc, [header, list(CONTINUED[0]), list(CONTINUED[1])], 4)
    doc.add_page_break()
    doc.add_paragraph("- ๒ -")  # the page's number, as offices type it
    _add_table(doc, [list(CONTINUED[2]), list(CONTINUED[3])], 4)
    return _save(doc)


NUMBERED = [
    ("จัดทำคู่มือการยืมพัสดุและครุภัณฑ์ของราชการ", "งานพัสดุ กองคลัง", "ตุลาคม ๒๕๖๘ – มีนาคม ๒๕๖๙",
     "รอบ ๖ เดือน"),
    ("เปิดช่องทางรับแจ้งเบาะแสการทุจริตทางไลน์", "สำนักปลัด", "ตลอดปีงบประมาณ", "รอบ ๓, ๖, ๙ และ ๑๒ เดือน"),
    ("ประเมินความพึงพอใจผู้รับบริการ", "กองการศึกษา", "สิงหาคม ๒๕๖๙", "รอบ ๑๒ เดือน"),
]


def build_numbered_docx() -> bytes:
    """Measures as numbered paragraphs ("มาตรการที่ ๑ …") with labelled lines, and no table at all."""
    doc = docx.Document()
    doc.add_paragraph("มาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. ๒๕๖๙")
    digits = "๐๑๒๓๔๕๖๗๘๙"
    for n, (title, unit, period, rounds) in enumerate(NUMBERED, start=1):
        doc.add_paragraph(f"มาตรการที่ {digits[n]} {title}")
        doc.add_paragraph(f"{digits[1]}. ชี้แจงให้บุคลากรทราบ")
        doc.add_paragraph(f"ผู้รับผิดชอบ: {unit}")
        doc.add_paragraph(f"ระยะเวลา: {period}")
        doc.add_paragraph(f"การติดตาม: {rounds}")
    return _save(doc)


def build_numbered_plain_docx() -> bytes:
    """Measures as "1) …" items with the unit in brackets on the same line, under indicator headings."""
    doc = docx.Document()
    doc.add_paragraph("ตัวชี้วัดที่ ๕ การแก้ไขปัญหาการทุจริต")
    doc.add_paragraph("1) ประกาศเจตจำนงสุจริตของผู้บริหาร (ผู้รับผิดชอบ: สำนักปลัด)")
    doc.add_paragraph("2) จัดทำแผนบริหารความเสี่ยงการทุจริต (ผู้รับผิดชอบ: กองวิชาการและแผนงาน)")
    return _save(doc)


UNKNOWN_HEADER = ["สิ่งที่จะทำ", "คนทำ", "เมื่อไร"]
UNKNOWN_ROWS = [
    ["ติดป้ายประกาศค่าธรรมเนียมหน้าสำนักงาน", "กองคลัง", "ต้นปี"],
    ["ทบทวนคำสั่งมอบอำนาจให้เป็นปัจจุบัน", "สำนักปลัด", "กลางปี"],
]


def build_unknown_docx(extra: str = "") -> bytes:
    """A table whose header words no rule knows and whose cells do not say surely what is what."""
    doc = docx.Document()
    doc.add_paragraph(f"สิ่งที่จะทำในปีนี้ {extra}".strip())
    _add_table(doc, [UNKNOWN_HEADER, *UNKNOWN_ROWS], 3)
    return _save(doc)


def to_pdfs(files: dict[str, bytes], out_dir: Path) -> dict[str, bytes]:
    """Each document as the PDF LibreOffice makes of it (one soffice run, packaged Sarabun for Thai)."""
    from report.fonts import fontconfig_env

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice is not None
    for name, data in files.items():
        (out_dir / f"{name}.docx").write_bytes(data)
    with tempfile.TemporaryDirectory(prefix="itabot-lo-") as tmp:
        work = Path(tmp)
        env = fontconfig_env(work / "fc")
        env["HOME"] = str(work)
        cmd = [soffice, f"-env:UserInstallation=file://{work}/profile", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(out_dir), *(str(out_dir / f"{n}.docx") for n in files)]
        subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=True)
    return {name: (out_dir / f"{name}.pdf").read_bytes() for name in files}
