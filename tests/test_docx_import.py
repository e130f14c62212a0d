"""Reading the measure table straight from a Word file laid out like the seed documents."""

from __future__ import annotations

import csv
import io
from datetime import date

import docx
import pytest

from handlers.plan_import import PlanImportError, apply_plan, ensure_org, parse_plan_bytes, preview_text
from handlers.samples import oit_template, sample_csv_bytes, sample_plan
from storage.clock import FixedClock
from tests.factory import open_store

HEADER_002 = [
    "ตัวชี้วัด",
    "มาตรการ/โครงการ/\nกิจกรรม",
    "ผลการวิเคราะห์ตัวชี้วัด",
    "ขั้นตอน/วิธีดำเนินการ",
    "ผู้รับผิดชอบ",
    "ระยะเวลา \nดำเนินการ",
]
SECTION = "มาตรการสร้างความโปร่งใสในการใช้งบประมาณและการจัดซื้อจัดจ้าง"
PROGRESS = "☐ ยังไม่ได้ดำเนินการ ☑ ดำเนินการ\n- เผยแพร่บนเว็บไซต์ของหน่วยงานแล้ว"


def seed002_rows() -> list[list[str]]:
    """The 10 rows of seed 002's table: indicator, measure, analysis, steps, responsible, period."""
    rows = list(csv.reader(io.StringIO(sample_csv_bytes(2569).decode("utf-8"))))[1:]
    return [r[1:7] for r in rows]


def _fill(table: docx.table.Table, r: int, cells: list[str]) -> None:
    for c, text in enumerate(cells):
        table.cell(r, c).text = text


def _add_table(doc: docx.document.Document, rows: list[list[str]], cols: int) -> docx.table.Table:
    table = doc.add_table(rows=len(rows), cols=cols)
    table.style = "Table Grid"  # ruled like an office's table, so its PDF has the lines a reader finds cells by
    for r, cells in enumerate(rows):
        _fill(table, r, cells)
    return table


def _split(text: str, marker: str) -> tuple[str, str]:
    at = text.index(marker)
    return text[:at].strip(), text[at:].strip()


def build_seed002_docx(bad_row: list[str] | None = None) -> bytes:
    """Seed 002: score table, then the FY 2569 measure table broken over three pages."""
    rows = seed002_rows()
    doc = docx.Document()
    doc.add_paragraph("รายงานการวิเคราะห์ผลการประเมินคุณธรรมและความโปร่งใส ประจำปีงบประมาณ พ.ศ. 2568")
    scores = [["แบบ", "ลำดับ", "รายละเอียดตัวชี้วัด", "คะแนน"]]
    scores += [
        ["IIT" if n == 1 else "", str(n), name, "100"] for n, name in enumerate(["การปฏิบัติหน้าที่"] * 10, 1)
    ]
    _add_table(doc, scores, 4)
    doc.add_paragraph("4. การนำผลการวิเคราะห์ไปสู่การปรับปรุง")
    doc.add_paragraph(
        "รายละเอียดแนวทาง/มาตรการเพื่อขับเคลื่อนส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ พ.ศ. 2569"
    )
    analysis2, analysis2_tail = _split(rows[1][2], "รวมทั้งเปิดโอกาส")
    steps2, steps2_tail = _split(rows[1][3], "2. ประชาสัมพันธ์เผยแพร่")
    steps4, steps4_tail = _split(rows[3][3], "2. ประชาสัมพันธ์ให้บุคลากรภายใน")
    # page 1: header, measure 1, a section row merged across the table, measure 2 (cut by the page end)
    first = _add_table(
        doc, [HEADER_002, rows[0], [SECTION], [*rows[1][:2], analysis2, steps2, *rows[1][4:]]], 6
    )
    first.cell(2, 0).merge(first.cell(2, 5))
    doc.add_page_break()
    # page 2: no header; the rest of measure 2, measures 3 and 4 (cut again)
    _add_table(
        doc, [["", "", analysis2_tail, steps2_tail, "", ""], rows[2], [*rows[3][:3], steps4, *rows[3][4:]]], 6
    )
    doc.add_page_break()
    # page 3: the header repeated; the rest of measure 4, measures 5–10, one unit cell merged down four rows
    third_rows = [HEADER_002, ["", "", "", steps4_tail, "", ""], *rows[4:]]
    if bad_row:
        third_rows.append(bad_row)
    third = _add_table(doc, third_rows, 6)
    for r in range(3, 7):
        third.cell(r, 4).text = "สำนักปลัด" if r == 3 else ""
    third.cell(3, 4).merge(third.cell(6, 4))
    doc.add_paragraph("ลงชื่อ ...................... ผู้รายงาน")
    _add_table(doc, [["(นายทดลอง ใช้ระบบ)", "ปลัดองค์การบริหารส่วนตำบล"]], 2)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


MEASURES_004 = [
    (
        "๑",
        "มาตรการเสริมสร้างความซื่อสัตย์สุจริต และปลูกฝังทัศนคติ วัฒนธรรมที่ดีในการต่อต้านการทุจริต",
        "จากผลการประเมิน ITA ตัวชี้วัดที่๙.๔ การบริหารและพัฒนาทรัพยากรบุคคล ประเด็น บุคลากรในหน่วยงาน",
        "สำนักปลัด",
    ),
    (
        "๒",
        "มาตรการเปิดโอกาสให้ประชาชนมีส่วนร่วมและเผยแพร่การทำงานของเทศบาลตำบลมะรือโบตก",
        "จากผลการประเมิน ITA ตัวชี้วัดที่ ๘ การปรับปรุงการทำงาน\nประเด็น การเปิดโอกาสให้ประชาชนมีส่วนร่วม",
        "๑.เจ้าหน้าที่ประชาสัมพันธ์\n๒.สำนักปลัด กองคลัง กองช่าง กองการศึกษาฯ",
    ),
    (
        "๓",
        "มาตรการกำกับดูแลและตรวจสอบการใช้ทรัพย์สินของราชการ",
        "จากผลการประเมิน ITA ตัวชี้วัดที่ ๔ การใช้ทรัพย์สินของราชการ",
        "สำนักงานปลัด",
    ),
]
HEADER_004 = [
    "ลำดับ",
    "มาตรการ/กิจกรรม",
    "วิธีดำเนินการ",
    "ระยะเวลาในการดำเนินการ",
    "ผู้รับผิดชอบ",
    "สรุปผลการดำเนินการตามมาตรการหรือกิจกรรม",
    "ผลลัพธ์หรือความสำเร็จในการดำเนินการ",
]
IIT = [
    ("ตัวชี้วัดที่ ๑ การปฏิบัติหน้าที่", "ทุกส่วนงาน"),
    ("ตัวชี้วัดที่ ๒ การใช้งบประมาณ", "สำนักปลัด / กองคลัง"),
    ("ตัวชี้วัดที่ ๓ การใช้อำนาจ", "สำนักปลัด"),
    ("ตัวชี้วัดที่ ๔ การใช้ทรัพย์สินของทางราชการ", "สำนักปลัด"),
    ("ตัวชี้วัดที่ ๕ การแก้ไขปัญหาการทุจริต", "สำนักปลัด"),
    ("ตัวชี้วัดที่ ๖ คุณภาพการดำเนินงาน", "สำนักปลัด"),
    ("ตัวชี้วัดที่ ๗ ประสิทธิภาพการสื่อสาร", "สำนักปลัด"),
    ("ตัวชี้วัดที่ ๘ การปรับปรุงระบบการทำงาน", "สำนักปลัด"),
]
OIT_GROUPS = [  # (heading before the table or None for a page-broken continuation without header, items)
    ("ตัวชี้วัดย่อยที่ ๙.๑ ข้อมูลพื้นฐาน", range(1, 5)),
    (None, range(5, 9)),
    ("", range(9, 11)),
    ("ตัวชี้วัดย่อยที่ ๙.๒ การบริหารงานการดำเนินงาน", range(11, 19)),
    ("ตัวชี้วัดย่อยที่ ๙.๓ การจัดซื้อจัดจ้าง", range(19, 23)),
    ("ตัวชี้วัดย่อยที่ ๙.๔ การบริหารและพัฒนาทรัพยากรบุคคล", range(23, 27)),
    ("ตัวชี้วัดย่อยที่ ๙.๕ การส่งเสริมความโปร่งใส", range(27, 31)),
    ("ตัวชี้วัดย่อยที่ ๑๐.๑ การดำเนินการเพื่อป้องกันการทุจริต", range(31, 39)),
    ("ตัวชี้วัดย่อยที่ ๑๐.๒ มาตรการส่งเสริมคุณธรรมและความโปร่งใส", range(39, 44)),
]
HEADER_OIT = ["ข้อ", "ข้อมูล", "องค์ประกอบด้านข้อมูล", "ผู้รับผิดชอบ", "ความก้าวหน้าผลการดำเนินการ"]


def build_seed004_docx() -> bytes:
    """Seed 004: three numbered measure tables, the IIT table, the OIT tables o1–o43 and a score table."""
    doc = docx.Document()
    doc.add_paragraph("รายงานผลการดำเนินการเพื่อส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน ประจำปีงบประมาณ ๒๕๖๖")
    for no, title, how, unit in MEASURES_004:
        _add_table(doc, [HEADER_004, [no, title, how, "ตลอดปีงบประมาณ", unit, PROGRESS, "- ประชาชนรับทราบ"]], 7)
        doc.add_paragraph("")
    doc.add_paragraph("ประเด็นการประเมิน IIT")
    header = ["ตัวชี้วัด", "แนวทางในการยกระดับการประเมิน", "ผู้รับผิดชอบ", "ระยะเวลา", "ความก้าวหน้าผลการดำเนินการ"]
    for part in (IIT[:3], IIT[3:5], IIT[5:]):
        rows = [header] + [
            [ind, f"๑. ยกระดับ{ind[12:]}", unit, "ต.ค. ๖๕ ถึง ก.ย. ๖๖", PROGRESS] for ind, unit in part
        ]
        _add_table(doc, rows, 5)
        doc.add_paragraph("")
    items = oit_template().rows
    for heading, numbers in OIT_GROUPS:
        if heading:
            doc.add_paragraph(heading)
        rows = [] if heading is None else [HEADER_OIT]
        for n in numbers:
            item = items[n - 1]
            code = "๐" + "".join("๐๑๒๓๔๕๖๗๘๙"[int(d)] for d in str(n))
            rows.append([code, item.title, item.components, item.responsible_text, PROGRESS])
        _add_table(doc, rows, 5)
        doc.add_page_break()
    doc.add_paragraph("สรุปผลการประเมินรายตัวชี้วัด")
    _add_table(doc, [["ตัวชี้วัดที่", "รายละเอียดตัวชี้วัด", "คะแนน"], ["1", "การปฏิบัติงานที่", "99.46"]], 3)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _same(a: str, b: str) -> bool:
    return a.split() == b.split()


def test_seed002_table_across_three_pages() -> None:
    parsed = parse_plan_bytes(build_seed002_docx(), "มาตรการ 2569.docx")
    expected = sample_plan(2569).rows
    assert parsed.problems == []
    assert parsed.sections == [SECTION]
    assert len(parsed.rows) == 10
    for got, want in zip(parsed.rows, expected, strict=True):
        assert (got.no, got.indicator, got.title) == (want.no, want.indicator, want.title)
        assert (got.unit_names, got.all_units, got.period, got.rounds) == (
            want.unit_names,
            want.all_units,
            want.period,
            want.rounds,
        )
        assert _same(got.steps, want.steps) and _same(got.analysis, want.analysis)
    assert parsed.rows[3].steps.endswith("\n2. ประชาสัมพันธ์ให้บุคลากรภายในหน่วยงานได้รับทราบและถือปฏิบัติ")
    assert [(r.indicator, r.indicator_name) for r in parsed.rows[:2]] == [("1", "การปฏิบัติหน้าที่"), ("2", "การใช้งบประมาณ")]
    assert (parsed.rows[1].unit_names, parsed.rows[1].unit_parents) == (["งานพัสดุ"], {"งานพัสดุ": "กองคลัง"})
    assert [r.unit_names for r in parsed.rows[5:9]] == [["สำนักปลัด"]] * 4  # the merged cell


def test_seed002_import_into_store() -> None:
    repo = open_store(None)
    org = ensure_org(repo, "อบต.คำเนียม", FixedClock(date(2025, 11, 1)))
    result = apply_plan(repo, org.id, 2569, parse_plan_bytes(build_seed002_docx(), "plan.docx"))
    assert result.created == 10
    measures = repo.list_measures(org.id, 2569)
    assert [m.indicator_no for m in measures] == [str(n) for n in range(1, 11)]
    assert measures[0].indicator == "1 การปฏิบัติหน้าที่" and measures[9].indicator == "10 การป้องกันการทุจริต"
    units = {u.name: u for u in repo.list_units(org.id)}
    assert sorted(units) == ["กองคลัง", "งานพัสดุ", "สำนักปลัด"]
    assert units["งานพัสดุ"].parent_id == units["กองคลัง"].id  # one section of กองคลัง, not two units
    assert measures[1].unit_ids == measures[3].unit_ids == [units["งานพัสดุ"].id]
    text = preview_text(parse_plan_bytes(build_seed002_docx(), "plan.docx"), 2569)
    assert "งานพัสดุ (ใน กองคลัง): 2" in text and "• 4 การใช้ทรัพย์สินของราชการ: 1" in text


def test_unreadable_row_is_reported_not_dropped() -> None:
    bad = ["ตัวชี้วัด 15", "- มาตรการพิเศษ", "", "1. ทำ", "กองช่าง", "ต.ค.-ก.ย."]
    parsed = parse_plan_bytes(build_seed002_docx(bad_row=bad), "plan.docx")
    assert len(parsed.rows) == 10
    assert len(parsed.problems) == 1
    assert "ตารางที่ 4 แถวที่ 9 " in parsed.problems[0] and "ตัวชี้วัด" in parsed.problems[0]
    assert parsed.problems[0] in preview_text(parsed, 2569)


def test_seed004_measure_iit_and_oit_tables() -> None:
    parsed = parse_plan_bytes(build_seed004_docx(), "รายงาน ITA 2566.docx")
    rows = parsed.rows
    assert len(rows) == 3 + 8 + 43
    measures, iit, oit = rows[:3], rows[3:11], rows[11:]
    assert [(r.no, r.indicator, r.period) for r in measures] == [
        (1, "9.4", "ตลอดปีงบประมาณ"),  # "ตัวชี้วัดที่๙.๔" in its method column
        (2, "8", "ตลอดปีงบประมาณ"),
        (3, "4", "ตลอดปีงบประมาณ"),
    ]
    assert measures[1].unit_names == ["เจ้าหน้าที่ประชาสัมพันธ์", "สำนักปลัด", "กองคลัง", "กองช่าง", "กองการศึกษาฯ"]
    assert "ดำเนินการ" not in measures[0].steps  # progress columns are not part of the plan
    assert [r.indicator for r in iit] == [str(n) for n in range(1, 9)]
    assert iit[0].all_units and iit[1].unit_names == ["สำนักปลัด", "กองคลัง"]
    assert iit[0].period == "ต.ค. ๖๕ ถึง ก.ย. ๖๖"
    assert [r.indicator for r in oit] == [f"o{n}" for n in range(1, 44)]
    assert [r.title for r in oit] == [r.title for r in oit_template().rows]
    assert oit[13].unit_names == ["สำนักปลัด", "กองช่าง", "กองคลัง"]
    assert all(r.components for r in oit)
    assert [p for p in parsed.problems if "ไม่พบตัวชี้วัด" in p] == []

    repo = open_store(None)
    org = ensure_org(repo, "เทศบาลตำบลมะรือโบตก", FixedClock(date(2023, 8, 18)))
    apply_plan(repo, org.id, 2566, parsed)
    units = {u.name: u for u in repo.list_units(org.id)}
    assert "สำนักงานปลัด" not in units and "สำนักงานปลัด" in units["สำนักปลัด"].aliases
    stored = repo.list_measures(org.id, 2566)
    assert len(stored) == 54
    assert stored[11].indicator == "o1" and stored[11].no == 12  # OIT items follow the measures
    assert (stored[0].indicator, stored[3].indicator) == ("9.4 การบริหารและพัฒนาทรัพยากรบุคคล", "1 การปฏิบัติหน้าที่")
    assert (stored[6].indicator_name, stored[11].indicator_no) == ("การใช้ทรัพย์สินของทางราชการ", "9.1")


def _scores_only_docx() -> bytes:
    doc = docx.Document()
    doc.add_paragraph("บันทึกข้อความ")
    _add_table(doc, [["ตัวชี้วัดที่", "รายละเอียดตัวชี้วัด", "คะแนน"], ["1", "การปฏิบัติหน้าที่", "99.46"]], 3)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _xlsx_renamed() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def bad_docx_files() -> list[tuple[str, bytes, str]]:
    """(case, bytes, words the Thai message must contain)."""
    good = build_seed002_docx()
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000
    return [
        ("no table", _scores_only_docx(), "ไม่พบตารางมาตรการ"),
        ("truncated", good[: len(good) // 2], "เสีย"),
        ("garbage", b"this is not a word file" * 10, "เสีย"),
        ("xlsx renamed", _xlsx_renamed(), "ไม่ใช่เอกสาร Word"),
        (
            "encrypted",
            ole
            + "EncryptionInfo".encode("utf-16-le")
            + b"\x00" * 64
            + "EncryptedPackage".encode("utf-16-le"),
            "รหัสผ่าน",
        ),
        ("old .doc", ole, "รุ่นเก่า"),
        ("30 MB", b"PK\x03\x04" + b"\x00" * (30 * 1024 * 1024), "ใหญ่เกินไป"),
    ]


BAD_DOCX = bad_docx_files()


@pytest.mark.parametrize(("case", "data", "message"), BAD_DOCX, ids=[c[0] for c in BAD_DOCX])
def test_bad_documents_get_a_clear_message(case: str, data: bytes, message: str) -> None:
    with pytest.raises(PlanImportError, match=message):
        parse_plan_bytes(data, "plan.docx")


def test_archive_that_unpacks_too_big_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import zipfile

    import handlers.plan_import as plan_import

    monkeypatch.setattr(plan_import, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    buf = io.BytesIO(build_seed002_docx())
    with zipfile.ZipFile(buf, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/media/padding.bin", b"\0" * (2 * 1024 * 1024))
    with pytest.raises(PlanImportError, match="ใหญ่เกินไปเมื่อแตกไฟล์"):
        parse_plan_bytes(buf.getvalue(), "plan.docx")


PER_INDICATOR_HEADER = ["ประเด็นการประเมิน", "จุดอ่อนที่พบ", "แนวทางการดำเนินการ", "ตัวชี้วัดผลผลิต", "ผู้กำกับดูแล", "ผู้รับผิดชอบ"]


def build_per_indicator_docx() -> bytes:
    """One small table per indicator under its heading, derived from the assessment: no indicator or rounds column."""
    doc = docx.Document()
    doc.add_paragraph("แนวทางการยกระดับผลการประเมิน ITA ประจำปีงบประมาณ พ.ศ. ๒๕๖๙")
    doc.add_paragraph("ตัวชี้วัดที่ ๑ การปฏิบัติหน้าที่")
    _add_table(doc, [PER_INDICATOR_HEADER, [
        "บุคลากรปฏิบัติงานตามขั้นตอนและระยะเวลาที่กำหนด", "ผู้มาติดต่อไม่ทราบขั้นตอน",
        "จัดทำคู่มือการให้บริการและเผยแพร่บนเว็บไซต์", "คู่มือ ๑ ฉบับ", "ปลัด อบต.", "สำนักปลัด",
    ]], 6)  # fmt: skip
    doc.add_paragraph("ตัวชี้วัดที่ ๒ การใช้งบประมาณ")
    _add_table(doc, [PER_INDICATOR_HEADER, [
        "การเผยแพร่แผนการใช้จ่ายงบประมาณ", "บุคลากรไม่ทราบแผนการใช้จ่าย",
        "ประชาสัมพันธ์แผนการใช้จ่ายงบประมาณให้บุคลากรทราบ", "ร้อยละ ๘๐", "ปลัด อบต.", "งานพัสดุ/ กองคลัง",
    ]], 6)  # fmt: skip
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_per_indicator_tables_take_their_indicator_from_the_heading() -> None:
    parsed = parse_plan_bytes(build_per_indicator_docx(), "แนวทางยกระดับ.docx")
    got = [(r.no, r.indicator, r.title, r.unit_names, r.rounds) for r in parsed.rows]
    assert got == [
        (1, "1", "จัดทำคู่มือการให้บริการและเผยแพร่บนเว็บไซต์", ["สำนักปลัด"], [3, 6, 9, 12]),
        (2, "2", "ประชาสัมพันธ์แผนการใช้จ่ายงบประมาณให้บุคลากรทราบ", ["งานพัสดุ"], [3, 6, 9, 12]),
    ]
    # the topic and the weakness are kept as the measure's context; supervisor and output target are not rounds
    assert parsed.rows[0].analysis == "บุคลากรปฏิบัติงานตามขั้นตอนและระยะเวลาที่กำหนด\nผู้มาติดต่อไม่ทราบขั้นตอน"
    assert parsed.problems == []
    assert "• 2 การใช้งบประมาณ: 1" in preview_text(parsed, 2569)
