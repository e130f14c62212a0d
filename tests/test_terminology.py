"""The office is หน่วยงาน (อปท.), its กอง/สำนัก are ส่วนราชการ: in every message, the CLI and the README.

Two checks. The Thai catalogue: a message that names a unit ({unit}, {units}) never calls it หน่วยงาน. And
every string literal in the code: each หน่วยงาน must sit in one of the phrases below, all of which mean the
office. A new sentence that says หน่วยงาน fails here until someone decides it really means the office.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

from handlers import status_view
from handlers.texts import TEXTS
from tests.factory import make_office

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("handlers", "bot", "scheduler", "report", "domain", "storage")
OFFICE = "หน่วยงาน"
# phrases where หน่วยงาน is the office itself (the organization, an อบต. or เทศบาล)
OFFICE_PHRASES = (
    "ผู้ดูแลระบบของหน่วยงาน",  # the office's admin
    "ชื่อหน่วยงาน", "ยังไม่มีหน่วยงานในโฟลเดอร์", "ยังไม่มีหน่วยงาน:", "สร้างหน่วยงาน", "ไม่พบหน่วยงาน", "มีหลายหน่วยงาน", "ระบุหน่วยงาน",
    "ข้อมูลหน่วยงาน", "รหัสหรือชื่อหน่วยงาน", "ทั้งหน่วยงาน", "หน่วยงานของฉัน",
    "หน่วยงาน (เมื่อมี", "หน่วยงาน (ชื่อหรือรหัส", "หน่วยงาน / organization",  # CLI help of --org
    "หน่วยงาน / office", "หน่วยงาน / readable",
    "เว็บไซต์หน่วยงาน", "<หน่วยงาน>",  # the office's website, the site folder named after the office
    "|หน่วยงานรับผิดชอบ|",  # a pattern read from plans (a label people type), never said  # store copy progress, doctor: offices counted
    "ภายในหน่วยงาน", "หน่วยงานภาครัฐ",  # the official titles of the measures and the report
)
# words people type or files carry ("ทุกหน่วยงาน" in a plan's cell), listed in a tuple: read, never said
INPUT_WORDS = {"หน่วยงาน", "ทุกหน่วยงาน", "หน่วยงานที่"}
UNIT_FIELDS = {"unit", "units", "unit_name"}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_thai_messages_that_name_a_unit_call_it_ส่วนราชการ() -> None:
    catalogues = {**TEXTS["th"], **{f"status_view.{k}": v for k, v in status_view.TEXTS["th"].items()}}
    naming_units = {k: v for k, v in catalogues.items() if _fields(v) & UNIT_FIELDS}
    assert len(naming_units) >= 5  # the check looks at real messages
    wrong = {k: v for k, v in naming_units.items() if OFFICE in v}
    assert not wrong, wrong


def _literals(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module that could be said (f-string parts included), with its line.

    Left out: a word read from people or files, listed among others in a tuple, list or set."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    listed = {
        id(e) for n in ast.walk(tree) if isinstance(n, ast.Tuple | ast.List | ast.Set)
        for e in n.elts if isinstance(e, ast.Constant) and e.value in INPUT_WORDS
    }
    return [
        (n.lineno, n.value) for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in listed
    ]


def _unit_sense(text: str) -> list[str]:
    """The หน่วยงาน in a text that no office phrase covers (so they may well mean a unit)."""
    covered = [False] * len(text)
    for phrase in OFFICE_PHRASES:
        for m in re.finditer(re.escape(phrase), text):
            covered[m.start() : m.end()] = [True] * (m.end() - m.start())
    return [text[max(0, m.start() - 15) : m.end() + 15] for m in re.finditer(OFFICE, text) if not covered[m.start()]]


def test_the_scan_knows_a_unit_sentence_from_an_office_one() -> None:
    assert _unit_sense("ส่วนราชการใหม่: งานพัสดุ") == []
    assert _unit_sense("ขอรหัสเชิญจากผู้ดูแลระบบของหน่วยงาน") == []
    assert _unit_sense("หน่วยงานใหม่: งานพัสดุ") and _unit_sense("ทุกหน่วยงานรายงานครบแล้ว")
    assert _unit_sense("รวม 3 หน่วยงาน 3 รายการ") and _unit_sense("มาตรการนี้ไม่ใช่ของหน่วยงานของคุณ")
    assert _unit_sense(" หน่วยงาน ") and _unit_sense("ชื่อหรือลำดับของหน่วยงาน (ใส่ได้หลายครั้ง)")


def test_the_scan_reads_f_strings_and_skips_only_listed_input_words(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('A = ("ทุกส่วนราชการ", "ทุกหน่วยงาน")\nn = 3\nB = f"รวม {n} หน่วยงาน"\nC = "หน่วยงาน"\n', encoding="utf-8")
    flagged = sorted(line for line, text in _literals(module) if _unit_sense(text))
    assert flagged == [3, 4]


def test_no_code_says_หน่วยงาน_where_a_unit_is_meant() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, text in _literals(path):
                found += [f"{path.relative_to(ROOT)}:{line}: …{bit}…" for bit in _unit_sense(text)]
    assert not found, "\n".join(found)


def test_readme_says_ส่วนราชการ_for_units() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    prose = [line for line in readme.splitlines() if not line.startswith(("ขั้นตอน:", "|"))]
    found = [bit for line in prose for bit in _unit_sense(line.replace("«หน่วยงาน»", "").replace('("หน่วยงาน"', ""))]
    assert not found, found


def test_what_the_people_see_names_units_ส่วนราชการ() -> None:
    office = make_office()
    admin = office.register("ad", "admin", "สำนักปลัด")
    for typed in ("/invite", "/invite กองเรือ เจ้าหน้าที่", "/status"):
        admin.say(typed)
        assert OFFICE not in admin.text and "ส่วนราชการ" in admin.text, (typed, admin.text)
