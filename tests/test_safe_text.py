"""Bidi controls and stray zero-width marks never reach the store or the official report."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from domain.safe_text import clean_input
from report.docx import render_docx
from tests.factory import make_office


def test_bidi_controls_go_and_thai_word_hints_stay() -> None:
    assert clean_input("คำสั่ง\u202efdp.cod") == "คำสั่งfdp.cod"
    assert clean_input("a\u2066b\u2069c\u202ad") == "abcd"
    assert clean_input("ประชา\u200bสัมพันธ์") == "ประชา\u200bสัมพันธ์"  # a Thai word-break hint
    assert clean_input("Good\u200bGovernance \ufeffplan\u200b") == "GoodGovernance plan"
    assert clean_input("👨\u200d👩\u200d👧") == "👨\u200d👩\u200d👧"  # emoji joiners untouched


def test_an_answer_with_an_override_is_stored_and_printed_clean(tmp_path: Path) -> None:
    office = make_office(tmp_path / "data", exports=True)
    officer = office.register("u1", "officer", "กองคลัง")
    officer.say("/report")
    officer.press("2.")
    officer.press("ดำเนินการ")
    officer.say("เผยแพร่\u202eแผน\u200b งบประมาณ\u2066")
    officer.say("/skip")
    officer.say("/done")
    officer.press("บันทึก")
    entry = office.repo.list_reports("o1", 2569)[-1]
    assert entry.summary == "เผยแพร่แผน งบประมาณ"
    from report.compile import compile_round

    doc = render_docx(compile_round(office.repo, "o1", 2569, 6, office.clock.now()), tmp_path / "r.docx", office.evidence)
    xml = "".join(p.text for p in Document(str(doc)).paragraphs) + "".join(
        c.text for t in Document(str(doc)).tables for row in t.rows for c in row.cells
    )
    assert "\u202e" not in xml and "\u2066" not in xml
