"""Issue 17, done when: an OIT item with four requirements reported with evidence covering three shows one ✗
everywhere — the officer's recap, the officer's and the head's /status, the heads' digest, /summary, Word, Excel."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import openpyxl

from report.compile import compile_round
from report.docx import render_docx
from report.render import to_pdf
from report.xlsx import render_xlsx
from scheduler.reminders import run_due
from storage.clock import BANGKOK, FixedClock
from storage.models import Officer
from tests.docx_read import open_docx
from tests.factory import Chat, Office, make_office
from tests.pdf_pages import pages
from tests.tools import require_tool

O12 = ["ผลการดำเนินงาน", "ผลการใช้จ่ายงบประมาณ", "ปัญหา อุปสรรค", "ข้อเสนอแนะ"]
MISSING, COVERED = O12[3], O12[:3]
DIGEST_AT = datetime(2026, 3, 30, 9, 30, tzinfo=BANGKOK)  # round 6 (ends 31 Mar): the heads' T-1 digest


class Recorder:
    """A notifier that keeps what each person was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[Officer, str]] = []

    async def send(self, officer: Officer, reply: object) -> bool:
        self.sent.append((officer, getattr(reply, "text", "")))
        return True


def _oit_item(office: Office) -> None:
    """Measure 2 (กองคลัง's) becomes OIT item o12 with its four required components."""
    plan = [replace(m, oit_code="o12", component_list=list(O12)) if m.id == "m2" else m
            for m in office.measures]
    office.repo.save_measures(office.org.id, 2569, plan)


def _docx_text(path: Path) -> str:
    doc = open_docx(path)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _xlsx_text(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)


def _crosses(text: str) -> list[str]:
    """The requirements marked ✗ in a text (each "✗ <requirement>")."""
    return [req for req in O12 for _ in range(text.count("✗ " + req))]


def _three_of_four(officer: Chat) -> str:
    """กองคลัง's officer reports o12 with two files covering three of its four components; the recap."""
    officer.say("/report")
    officer.press("2. เผยแพร่")
    officer.press("ดำเนินการ")
    officer.say("รายงานผลการดำเนินงานประจำปีบนเว็บไซต์")
    officer.say("/skip")
    officer.send_file("รายงานผล.pdf", b"%PDF-1.4 report", "application/pdf")
    officer.send_file("งบประมาณ.pdf", b"%PDF-1.4 budget", "application/pdf")
    assert "ไม่พบวันที่ในไฟล์ 2 รายการ" in officer.text  # the files carry no date of their own
    officer.press("ไม่ทราบ")
    officer.press("เสร็จสิ้น")
    for pick in ("1", "2", "1", "ยังไม่มี"):
        officer.press(pick)
    recap = officer.text
    officer.press("บันทึก")
    assert "บันทึกแล้ว ✅" in officer.text
    return recap


def test_four_requirements_evidence_for_three_one_cross_everywhere(tmp_path: Path) -> None:
    office = make_office()
    _oit_item(office)
    officer = office.register("u1", "officer", "กองคลัง", name="สมหญิง")
    head = office.register("h1", "head", name="ปลัด")
    recap = _three_of_four(officer)
    assert _crosses(recap) == [MISSING], recap
    assert all("✓ " + req in recap for req in COVERED)

    officer.say("/status")
    mine = officer.text
    assert mine.count("หลักฐานไม่ครบ") == 1 and f"หลักฐานไม่ครบ ({MISSING})" in mine, mine
    assert not any(req in mine for req in COVERED)

    head.say("/status")
    theirs = head.text
    assert theirs.count("หลักฐานไม่ครบ") == 1 and f"หลักฐานไม่ครบ ({MISSING})" in theirs, theirs
    assert not any(req in theirs for req in COVERED)

    head.say("/summary")
    summary = head.text
    assert _crosses(summary) == [MISSING] and summary.count("หลักฐานไม่ครบ") == 1, summary

    recorder = Recorder()
    office.clock = FixedClock(DIGEST_AT)
    asyncio.run(run_due(office.repo, office.clock, recorder, DIGEST_AT, retry_delays=()))
    digests = [text for person, text in recorder.sent if person.display_name == "ปลัด"]
    assert len(digests) == 1, recorder.sent
    assert _crosses(digests[0]) == [MISSING] and "หลักฐานไม่ครบ 1 มาตรการ" in digests[0], digests[0]
    assert "• ข้อ 2: ✗ ข้อเสนอแนะ" in digests[0]
    # the officer's own reminder is about what is owed, not about this
    assert all("✗" not in text for person, text in recorder.sent if person.display_name == "สมหญิง")

    report = compile_round(office.repo, office.org.id, 2569, 6, office.clock.now())
    word = _docx_text(render_docx(report, tmp_path / "r.docx", office.evidence, "arabic"))
    assert _crosses(word) == [MISSING] and word.count("หลักฐานไม่ครบ") == 1, word
    excel = _xlsx_text(render_xlsx(report, tmp_path / "r.xlsx", office.evidence, "arabic"))
    assert _crosses(excel) == [MISSING] and excel.count("หลักฐานไม่ครบ") == 1, excel


def test_a_unit_head_hears_only_about_their_own_units() -> None:
    office = make_office()
    _oit_item(office)
    officer = office.register("u1", "officer", "กองคลัง")
    other_head = office.register("h2", "head", "กองช่าง", name="ผอ.ช่าง")
    officer.say("/report")
    officer.press("2. เผยแพร่")
    officer.press("ดำเนินการ")
    officer.say("ทำแล้ว")
    officer.say("/skip")
    officer.send_file("รายงานผล.pdf", b"%PDF-1.4 report", "application/pdf")
    officer.press("เสร็จสิ้น")
    for pick in ("1", "ยังไม่มี", "ยังไม่มี", "ยังไม่มี"):
        officer.press(pick)
    officer.press("บันทึก")
    other_head.say("/status")
    assert "หลักฐานไม่ครบ" not in other_head.text


def test_the_pdf_shows_the_one_cross_too(tmp_path: Path) -> None:
    require_tool("soffice", "libreoffice", package="libreoffice-writer")
    office = make_office()
    _oit_item(office)
    _three_of_four(office.register("u1", "officer", "กองคลัง"))
    report = compile_round(office.repo, office.org.id, 2569, 6, office.clock.now())
    pdf = to_pdf(render_docx(report, tmp_path / "r.docx", office.evidence, "arabic"), tmp_path / "pdf")
    text = "".join(page.squeezed for page in pages(pdf))
    assert text.count("✗") == 1 and "✗ข้อเสนอแนะ" in text and text.count("หลักฐานไม่ครบ") == 1
