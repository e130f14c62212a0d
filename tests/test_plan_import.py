"""Plan import from CSV/XLSX: the seed 002 table, Thai cells, all-or-nothing errors, stable re-imports."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook

from handlers.plan_import import (
    ParsedPlan,
    PlanImportError,
    apply_plan,
    ensure_org,
    parse_indicator,
    parse_plan_bytes,
    parse_rounds,
    preview_text,
)
from handlers.samples import oit_template, sample_csv_bytes, sample_plan
from handlers.units import match_unit, read_responsible, split_responsible
from storage.clock import FixedClock
from storage.models import ReportEntry, Unit
from storage.tinydb_repo import TinyRepository
from tests.factory import open_store

SEED_INDICATORS = [  # as seed 002 writes them, spacing repaired; views print these labels
    "1 การปฏิบัติหน้าที่",
    "2 การใช้งบประมาณ",
    "3 การใช้อำนาจ",
    "4 การใช้ทรัพย์สินของราชการ",
    "5 การแก้ไขปัญหาการทุจริต",
    "6 คุณภาพการดำเนินงาน",
    "7 ประสิทธิภาพการสื่อสาร",
    "8 การปรับปรุงระบบการทำงาน",
    "9 การเปิดเผยข้อมูล",
    "10 การป้องกันการทุจริต",
]
SEED_UNITS = [
    ("ทุกส่วนราชการ",),
    ("งานพัสดุ",),  # "งานพัสดุ/ กองคลัง": one section, inside กองคลัง
    ("สำนักปลัด",),
    ("งานพัสดุ",),
    ("สำนักปลัด",),
    ("สำนักปลัด",),
    ("สำนักปลัด",),
    ("สำนักปลัด",),
    ("สำนักปลัด",),
    ("สำนักปลัด",),
]


def sample_rows() -> list[list[str]]:
    """Seed 002's table as rows of cells (header first), from the CSV shipped with itabot."""
    return list(csv.reader(io.StringIO(sample_csv_bytes(2569).decode("utf-8"))))


def to_csv(rows: list[list[str]], delimiter: str = ",") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter).writerows(rows)
    return buf.getvalue().encode("utf-8")


def to_xlsx(rows: list[list[str]], title_rows: int = 0) -> bytes:
    book = Workbook()
    ws = book.active
    assert ws is not None
    for i in range(title_rows):
        ws.append([f"มาตรการส่งเสริมคุณธรรมและความโปร่งใส ปี 2569 (หัวเรื่อง {i + 1})"])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def repo_with_org() -> tuple[TinyRepository, str]:
    repo = open_store(None)
    org = ensure_org(repo, "อบต.ทดสอบ", FixedClock(date(2025, 11, 1)))
    return repo, org.id


def unit_names(repo: TinyRepository, org_id: str, ids: list[str]) -> tuple[str, ...]:
    names = {u.id: u.name for u in repo.list_units(org_id)}
    return tuple(names[i] for i in ids)


def check_seed_plan(repo: TinyRepository, org_id: str, fiscal_year: int = 2569) -> None:
    """The 10 measures of seed 002: indicators 1–10, the right units and periods, every round."""
    measures = repo.list_measures(org_id, fiscal_year)
    assert [m.no for m in measures] == list(range(1, 11))
    assert [m.indicator for m in measures] == SEED_INDICATORS
    assert [(m.indicator_no, m.indicator_name) for m in measures] == [tuple(i.split(" ", 1)) for i in SEED_INDICATORS]
    for m, expected in zip(measures, SEED_UNITS, strict=True):
        if expected == ("ทุกส่วนราชการ",):
            assert m.all_units and m.unit_ids == []
        else:
            assert unit_names(repo, org_id, m.unit_ids) == expected
    assert measures[0].period == f"ตุลาคม {fiscal_year - 1} - กันยายน {fiscal_year}"
    assert measures[9].period == f"1 ตุลาคม {fiscal_year - 1} - 30 กันยายน {fiscal_year}"
    assert all(m.rounds == [3, 6, 9, 12] for m in measures)
    assert measures[0].title == "จัดทำคู่มือ/แนวทางการปฏิบัติงานหรือการให้บริการ"
    assert "ภายในเข้ามามีส่วนร่วม" in measures[1].analysis  # the row continued on the next page
    assert measures[3].steps.endswith("ประชาสัมพันธ์ให้บุคลากรภายในหน่วยงานได้รับทราบและถือปฏิบัติ")
    units = {u.name: u for u in repo.list_units(org_id)}
    assert sorted(units) == ["กองคลัง", "งานพัสดุ", "สำนักปลัด"]
    assert units["งานพัสดุ"].parent_id == units["กองคลัง"].id
    assert units["กองคลัง"].parent_id == units["สำนักปลัด"].parent_id == ""


def test_seed_table_as_csv_gives_ten_measures() -> None:
    repo, org_id = repo_with_org()
    parsed = parse_plan_bytes(to_csv(sample_rows()), "plan.csv")
    assert parsed.problems == []
    result = apply_plan(repo, org_id, 2569, parsed)
    assert (result.created, result.updated, result.removed) == (10, 0, 0)
    check_seed_plan(repo, org_id)


def test_seed_table_as_xlsx_gives_ten_measures() -> None:
    repo, org_id = repo_with_org()
    parsed = parse_plan_bytes(to_xlsx(sample_rows(), title_rows=2), "แผน 2569.xlsx")
    assert parsed.problems == []
    apply_plan(repo, org_id, 2569, parsed)
    check_seed_plan(repo, org_id)


def test_sample_plan_is_redated_to_the_given_fiscal_year() -> None:
    repo, org_id = repo_with_org()
    apply_plan(repo, org_id, 2571, sample_plan(2571))
    check_seed_plan(repo, org_id, 2571)


def test_semicolon_csv_in_windows_thai_encoding() -> None:
    rows = [["ลำดับ", "ตัวชี้วัด", "มาตรการ/กิจกรรม", "ผู้รับผิดชอบ"], ["๑", "๓. การใช้อำนาจ", "มาตรการ ก", "สำนักปลัด"]]
    data = to_csv(rows, delimiter=";").decode("utf-8").encode("cp874")
    parsed = parse_plan_bytes(data, "plan.csv")
    assert [(r.no, r.indicator, r.title, r.unit_names) for r in parsed.rows] == [
        (1, "3", "มาตรการ ก", ["สำนักปลัด"])
    ]
    assert parsed.encoding == "Windows-874 (ภาษาไทย)" and parsed.problems == []
    assert "อ่านไฟล์เป็นรหัส Windows-874" in preview_text(parsed, 2569)


def test_english_headers_thai_digits_and_rounds() -> None:
    rows = [
        ["no", "indicator", "measure", "steps", "responsible", "period", "rounds"],
        [
            "๑",
            "1. การปฏิบัติ หน้าที่",
            "มาตรการ ก",
            "๑. ทำ",
            "ทุกส่วนงาน",
            "ต.ค. ๖๘ - ก.ย. ๖๙",
            "รายงานผล -รอบ ๖ เดือน -รอบ ๑๒ เดือน",
        ],
        ["2", "o12", "รายงานการกำกับติดตาม รอบ ๖ เดือน", "", "สำนักปลัด กองคลัง", "", ""],
        ["3", "๐๑๓", "รายงานผลการดำเนินงานประจำปี", "", "งานพัสดุ/ กองคลัง", "", "6, 12"],
    ]
    parsed = parse_plan_bytes(to_csv(rows), "plan.csv")
    got = [(r.no, r.indicator, r.unit_names, r.unit_parents, r.all_units, r.rounds) for r in parsed.rows]
    assert got == [
        (1, "1", [], {}, True, [6, 12]),
        (2, "o12", ["สำนักปลัด", "กองคลัง"], {}, False, [3, 6, 9, 12]),
        (3, "o13", ["งานพัสดุ"], {"งานพัสดุ": "กองคลัง"}, False, [6, 12]),
    ]


def test_html_fragments_and_bullets_are_cleaned() -> None:
    rows = [
        ["ลำดับ", "มาตรการ/กิจกรรม", "วิธีดำเนินการ", "ผู้รับผิดชอบ"],
        ["1", "- มาตรการ ก", "<p>ขั้น ๑</p> <p>ขั้น ๒</p>", "กองช่าง"],
    ]
    row = parse_plan_bytes(to_csv(rows), "p.csv").rows[0]
    assert (row.title, row.steps, row.indicator) == ("มาตรการ ก", "ขั้น ๑ ขั้น ๒", "")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("รายงานผล -รอบ ๖ เดือน -รอบ ๑๒ เดือน", [6, 12]),
        ("รายงานผลการดำเนินงานตามมาตรการ รอบ ๖ เดือน, รอบ ๑๒ เดือน", [6, 12]),
        ("รอบ 3, 6, 9 และ 12 เดือน", [3, 6, 9, 12]),
        ("ไตรมาสที่ 2", [6]),
        ("", [3, 6, 9, 12]),
        ("ทุกรอบ", [3, 6, 9, 12]),
    ],
)
def test_rounds_cell(cell: str, expected: list[int]) -> None:
    assert parse_rounds(cell)[0] == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1. การปฏิบัติ หน้าที่", "1"),
        ("ตัวชี้วัดย่อยที่ ๙.๔ การบริหารและพัฒนาทรัพยากรบุคคล", "9.4"),
        ("๑๐.๒", "10.2"),
        ("9.7", "9"),
        ("5.การแก้ไข ปัญหาการ ทุจริต", "5"),
        ("10.การป้องกัน การทุจริต", "10"),
        ("ตัวชี้วัดที่ ๔ การใช้ทรัพย์สินของทางราชการ", "4"),
        ("การใช้อำนาจ", "3"),
        ("o12", "o12"),
        ("๐๑๒", "o12"),
        ("O 7", "o7"),
        ("(8)", "8"),
        ("ตัวชี้วัด 15", None),
        ("ดี", None),
        ("2566", None),
    ],
)
def test_indicator_cell(cell: str, expected: str | None) -> None:
    assert parse_indicator(cell) == expected


@pytest.mark.parametrize(
    ("cell", "label", "name"),
    [
        ("1", "1 การปฏิบัติหน้าที่", "การปฏิบัติหน้าที่"),  # a bare number gets the official name
        ("๘", "8 การปรับปรุงการทำงาน", "การปรับปรุงการทำงาน"),
        ("4. การใช้ ทรัพย์สินของ ราชการ", "4 การใช้ทรัพย์สินของราชการ", "การใช้ทรัพย์สินของราชการ"),
        ("ตัวชี้วัดที่ ๔ การใช้ทรัพย์สินของทางราชการ", "4 การใช้ทรัพย์สินของทางราชการ", "การใช้ทรัพย์สินของทางราชการ"),
        ("ตัวชี้วัดย่อยที่ ๑๐.๑", "10.1 การดำเนินการเพื่อป้องกันการทุจริต", "การดำเนินการเพื่อป้องกันการทุจริต"),
        ("๐๒๓", "o23", "การบริหารและพัฒนาทรัพยากรบุคคล"),
    ],
)
def test_indicator_is_stored_with_its_name(cell: str, label: str, name: str) -> None:
    repo, org_id = repo_with_org()
    rows = [["ลำดับ", "ตัวชี้วัด", "มาตรการ/กิจกรรม", "ผู้รับผิดชอบ"], ["1", cell, "มาตรการ ก", "สำนักปลัด"]]
    apply_plan(repo, org_id, 2569, parse_plan_bytes(to_csv(rows), "plan.csv"))
    (measure,) = repo.list_measures(org_id, 2569)
    assert (measure.indicator, measure.indicator_name) == (label, name)


def test_responsible_cells() -> None:
    assert split_responsible("ทุกส่วน ราชการ") == ([], True)
    assert split_responsible("งานพัสดุ/ กองคลัง") == (["งานพัสดุ", "กองคลัง"], False)  # as written
    for cell, section, division in [
        ("งานพัสดุ/ กองคลัง", "งานพัสดุ", "กองคลัง"),
        ("งานประชาสัมพันธ์ กองวิชาการและแผนงาน", "งานประชาสัมพันธ์", "กองวิชาการและแผนงาน"),
        ("งานพัสดุ (กองคลัง)", "งานพัสดุ", "กองคลัง"),
        ("ฝ่ายปกครอง สังกัดสำนักปลัด", "ฝ่ายปกครอง", "สำนักปลัด"),
    ]:
        who = read_responsible(cell)
        assert (who.names, who.parents, who.all_units) == ([section], {section: division}, False), cell
    for cell, names in [
        ("สำนักปลัด กองคลัง", ["สำนักปลัด", "กองคลัง"]),  # two divisions share the measure
        ("งานพัสดุ, กองคลัง", ["งานพัสดุ", "กองคลัง"]),  # a list: both answer
        ("งานพัสดุ และกองคลัง", ["งานพัสดุ", "กองคลัง"]),
        ("กองการศึกษา ศาสนาและวัฒนธรรม (กศ.)", ["กองการศึกษา ศาสนาและวัฒนธรรม (กศ.)"]),
    ]:
        assert (read_responsible(cell).names, read_responsible(cell).parents) == (names, {}), cell
    who = read_responsible("งานพัสดุ กองคลัง สำนักปลัด")
    assert (who.names, who.parents) == (["งานพัสดุ", "สำนักปลัด"], {"งานพัสดุ": "กองคลัง"})
    assert split_responsible("สำนักปลัด กองคลัง") == (["สำนักปลัด", "กองคลัง"], False)
    assert split_responsible("สำนักปลัด, กองช่าง, กองคลัง") == (["สำนักปลัด", "กองช่าง", "กองคลัง"], False)
    assert split_responsible("กองการศึกษา ศาสนาและวัฒนธรรม") == (["กองการศึกษา ศาสนาและวัฒนธรรม"], False)
    units = [Unit("u1", "o", "สำนักปลัด"), Unit("u2", "o", "กองการศึกษา ศาสนาและวัฒนธรรม")]
    assert match_unit("สำนักงานปลัด", units) is units[0]
    assert match_unit("สำนักปลัดเทศบาล", units) is units[0]
    assert match_unit("กองการศึกษาฯ", units) is units[1]
    assert match_unit("กองช่าง", units) is None


BROKEN_CASES = [
    ("bad indicator", 4, "ตัวชี้วัด", ["3", "ตัวชี้วัด 15", "มาตรการ ค", "สำนักปลัด", ""]),
    ("no title", 4, "มาตรการ/กิจกรรม", ["3", "3", "", "สำนักปลัด", ""]),
    ("bad round", 4, "การกำกับติดตาม", ["3", "3", "มาตรการ ค", "สำนักปลัด", "รอบ ๕ เดือน"]),
    ("bad number", 4, "ลำดับ", ["สาม", "3", "มาตรการ ค", "สำนักปลัด", ""]),
]


@pytest.mark.parametrize(
    ("case", "row_no", "column", "bad_row"), BROKEN_CASES, ids=[c[0] for c in BROKEN_CASES]
)
def test_broken_file_names_row_and_column_and_changes_nothing(
    case: str, row_no: int, column: str, bad_row: list[str]
) -> None:
    repo, org_id = repo_with_org()
    apply_plan(repo, org_id, 2569, sample_plan(2569))
    before = repo.list_measures(org_id, 2569)
    rows = [
        ["ลำดับ", "ตัวชี้วัด", "มาตรการ/กิจกรรม", "ผู้รับผิดชอบ", "การกำกับติดตาม"],
        ["1", "1", "มาตรการ ก", "สำนักปลัด", ""],
        ["2", "2", "มาตรการ ข", "กองคลัง", ""],
        bad_row,
    ]
    for data, name in ((to_csv(rows), "plan.csv"), (to_xlsx(rows), "plan.xlsx")):
        with pytest.raises(PlanImportError) as err:
            parse_plan_bytes(data, name)
        assert f"แถวที่ {row_no}" in str(err.value)
        assert column in str(err.value)
    assert repo.list_measures(org_id, 2569) == before


def test_file_without_measure_header_is_refused() -> None:
    rows = [["แบบ", "ลำดับ", "รายละเอียดตัวชี้วัด", "คะแนน"], ["IIT", "1", "การปฏิบัติหน้าที่", "100"]]
    with pytest.raises(PlanImportError, match="ไม่พบหัวตาราง"):
        parse_plan_bytes(to_csv(rows), "scores.csv")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "plan.csv", "ว่าง"),
        (b"%PDF-1.4 ...", "plan.pdf", "PDF เสีย"),
        (b"hello", "plan.odt", "รองรับเฉพาะ"),
        (b"not a zip at all", "plan.xlsx", "ไฟล์เสีย"),
        (b"PK\x03\x04" + b"\x00" * 200, "plan.xlsx", "เสีย"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "plan.xls", "รุ่นเก่า"),
    ],
)
def test_unreadable_files_get_a_thai_message(data: bytes, name: str, message: str) -> None:
    with pytest.raises(PlanImportError, match=message):
        parse_plan_bytes(data, name)


def test_continuation_rows_and_merged_cells_in_xlsx() -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["ตัวชี้วัด", "มาตรการ/กิจกรรม", "ขั้นตอน/วิธีการปฏิบัติ", "หน่วยงาน\nผู้รับผิดชอบ", "ระยะเวลา"])
    ws.append(["มาตรการสร้างความโปร่งใสในการใช้งบประมาณ", None, None, None, None])
    ws.merge_cells("A2:E2")  # a section row spanning the table
    ws.append(["2. การใช้งบประมาณ", "มาตรการ ก", "1. เปิดเผยแผน", "กองคลัง", "ต.ค.-ก.ย."])
    ws.append([None, None, "2. ประชาสัมพันธ์", None, None])  # the row continues
    ws.append(["3. การใช้อำนาจ", "มาตรการ ข", "1. ออกคำสั่ง", "สำนักปลัด", "ต.ค.-ก.ย."])
    ws.append([None, "มาตรการ ค", "1. ประเมิน", None, "ต.ค.-มี.ค."])  # same indicator, merged unit cell
    ws.merge_cells("D5:D6")
    out = io.BytesIO()
    book.save(out)
    parsed = parse_plan_bytes(out.getvalue(), "plan.xlsx")
    got = [(r.no, r.indicator, r.title, r.steps, r.unit_names) for r in parsed.rows]
    assert got == [
        (1, "2", "มาตรการ ก", "1. เปิดเผยแผน\n2. ประชาสัมพันธ์", ["กองคลัง"]),
        (2, "3", "มาตรการ ข", "1. ออกคำสั่ง", ["สำนักปลัด"]),
        (3, "3", "มาตรการ ค", "1. ประเมิน", ["สำนักปลัด"]),
    ]
    assert parsed.sections == ["มาตรการสร้างความโปร่งใสในการใช้งบประมาณ"]
    assert parsed.problems == ["แถวที่ 4: อ่านเป็นส่วนต่อของมาตรการในแถวที่ 3"]  # shown in the preview


def test_reimport_updates_in_place_and_keeps_reports() -> None:
    repo, org_id = repo_with_org()
    apply_plan(repo, org_id, 2569, sample_plan(2569))
    first = {m.indicator_no: m for m in repo.list_measures(org_id, 2569)}
    report = ReportEntry(
        id="r1", org_id=org_id, fiscal_year=2569, measure_id=first["3"].id, round=3,
        unit_id=first["3"].unit_ids[0], status="done", summary="ออกคำสั่งแล้ว",
    )  # fmt: skip
    repo.add_report(report)
    rows = sample_rows()
    rows[3][2] = "มาตรการกำหนดหลักเกณฑ์ (ฉบับปรับปรุง)"  # measure 3 renamed
    rows[3][7] = "รอบ ๖ เดือน และรอบ ๑๒ เดือน"
    rows[3][5] = "สำนักงานปลัด"  # another spelling of the same unit
    del rows[10]  # measure 10 dropped …
    rows.append(["11", "10", "มาตรการใหม่", "", "", "กองช่าง", "", ""])  # … and a new one added
    changed = parse_plan_bytes(to_csv(rows), "plan.csv")
    preview = apply_plan(repo, org_id, 2569, changed, dry_run=True)
    assert repo.list_measures(org_id, 2569) == sorted(
        first.values(), key=lambda m: m.no
    )  # dry run wrote nothing
    result = apply_plan(repo, org_id, 2569, changed)
    assert (result.created, result.updated, result.unchanged, result.removed) == (1, 1, 8, 1)
    assert (preview.created, preview.updated, preview.removed) == (1, 1, 1)
    assert result.removed_titles == [first["10"].title]
    after = {m.indicator_no: m for m in repo.list_measures(org_id, 2569)}
    assert after["3"].id == first["3"].id
    assert after["3"].title == "มาตรการกำหนดหลักเกณฑ์ (ฉบับปรับปรุง)"
    assert after["3"].rounds == [6, 12]
    assert after["3"].unit_ids == first["3"].unit_ids
    assert after["10"].id != first["10"].id
    assert all(after[k].id == first[k].id for k in map(str, range(1, 10)))
    assert [r.summary for r in repo.list_reports(org_id, 2569)] == ["ออกคำสั่งแล้ว"]
    pal = next(u for u in repo.list_units(org_id) if u.name == "สำนักปลัด")
    assert "สำนักงานปลัด" in pal.aliases
    assert "กองช่าง" in result.units_created


def test_oit_template_is_kept_apart_from_the_plan() -> None:
    repo, org_id = repo_with_org()
    oit = oit_template()
    assert [r.indicator for r in oit.rows] == [f"o{n}" for n in range(1, 44)]
    assert oit.rows[13].unit_names == ["สำนักปลัด", "กองช่าง", "กองคลัง"]
    assert "แผนผัง" in oit.rows[0].components
    apply_plan(repo, org_id, 2569, sample_plan(2569))
    result = apply_plan(repo, org_id, 2569, oit)
    assert (result.created, result.removed) == (43, 0)
    measures = repo.list_measures(org_id, 2569)
    assert len(measures) == 53
    assert [m.indicator for m in measures[:11]] == [*SEED_INDICATORS, "o1"]
    assert measures[10].no == 11
    o1, o12, o43 = measures[10], measures[21], measures[52]
    assert [(m.oit_code, m.indicator_no, m.indicator_name) for m in (o1, o12, o43)] == [
        ("o1", "9.1", "ข้อมูลพื้นฐาน"),
        ("o12", "9.2", "การบริหารงานการดำเนินงาน"),
        ("o43", "10.2", "มาตรการส่งเสริมคุณธรรมและความโปร่งใส"),
    ]
    assert o1.component_list == [
        "แสดงแผนผังแสดงโครงสร้างการแบ่งส่วนราชการของหน่วยงาน",
        "แสดงตำแหน่งสำคัญและการแบ่งส่วนงานภายใน ยกตัวอย่างเช่น สำนัก กอง ส่วน กลุ่ม เป็นต้น",
    ]
    o2 = measures[11].component_list  # "ชื่อ - นามสกุล" is one component, not two
    assert len(o2) == 2 and "ชื่อ - นามสกุล ตำแหน่ง" in o2[1]
    assert o12.component_list[-1] == "ข้อมูลครอบคลุมในระยะเวลา ๖ เดือนแรก (๑ ต.ค ๖๕ - ๓๑ มี.ค. ๖๖)"
    again = apply_plan(repo, org_id, 2569, sample_plan(2569))
    assert (again.unchanged, again.removed) == (10, 0)
    assert len(repo.list_measures(org_id, 2569)) == 53


def test_preview_counts_units_rounds_and_problems() -> None:
    parsed = sample_plan(2569)
    text = preview_text(parsed, 2569)
    assert "พบมาตรการ 10 รายการ" in text
    assert "สำนักปลัด: 7" in text and "ทุกส่วนราชการ: 1" in text and "งานพัสดุ (ใน กองคลัง): 2" in text
    assert "• 1 การปฏิบัติหน้าที่: 1" in text and "• 10 การป้องกันการทุจริต: 1" in text
    assert "งานในกอง: งานพัสดุ (ใน กองคลัง)" in text
    assert "  1. จัดทำคู่มือ/แนวทางการปฏิบัติงานหรือการให้บริการ" in text  # the text as it was read
    assert "6 เดือน: 10" in text
    rows = [["ลำดับ", "มาตรการ/กิจกรรม", "ผู้รับผิดชอบ", "การกำกับติดตาม"], ["1", "มาตรการ ก", "", "รายงานต่อนายก"]]
    noted = parse_plan_bytes(to_csv(rows), "p.csv")
    text = preview_text(noted, 2569)
    assert "ไม่มีผู้รับผิดชอบ" in text and "แถวที่ 2" in text and "ไม่พบตัวชี้วัด" in text
    assert "ติดตามทุกรอบ" in text


def test_ensure_org() -> None:
    repo = open_store(None)
    clock = FixedClock(date(2025, 11, 1))
    first = ensure_org(repo, None, clock)
    assert first.name and ensure_org(repo, None, clock).id == first.id
    second = ensure_org(repo, "เทศบาลตำบลมะรือโบตก", clock)
    assert second.id != first.id and ensure_org(repo, "เทศบาลตำบลมะรือโบตก", clock).id == second.id
    with pytest.raises(PlanImportError, match="--org"):
        ensure_org(repo, None, clock)


def test_empty_plan_cannot_be_applied() -> None:
    repo, org_id = repo_with_org()
    with pytest.raises(PlanImportError):
        apply_plan(repo, org_id, 2569, ParsedPlan(rows=[]))


def test_two_line_header_with_quarters() -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["ลำดับ", "มาตรการ/กิจกรรม", "ผู้รับผิดชอบ", "ระยะเวลาดำเนินการ", None, None, None])
    ws.append([None, None, None, "ไตรมาส 1", "ไตรมาส 2", "ไตรมาส 3", "ไตรมาส 4"])
    ws.merge_cells("A1:A2")
    ws.merge_cells("B1:B2")
    ws.merge_cells("C1:C2")
    ws.merge_cells("D1:G1")
    ws.append(["1", "มาตรการ ก", "กองช่าง", "✓", "✓", None, None])
    out = io.BytesIO()
    book.save(out)
    parsed = parse_plan_bytes(out.getvalue(), "plan.xlsx")
    assert [(r.no, r.title, r.unit_names) for r in parsed.rows] == [(1, "มาตรการ ก", ["กองช่าง"])]
    assert parsed.problems == ["แถวที่ 3: ไม่พบตัวชี้วัดของมาตรการนี้"]


def test_columns_with_unknown_headers_are_read_by_their_cells() -> None:
    rows = [
        ["ลำดับ", "มาตรการ/กิจกรรม", "หน่วยงาน", "ช่วงเวลา", "รายงาน", "รายละเอียด"],
        ["1", "จัดทำคู่มือการให้บริการ", "สำนักปลัด", "ต.ค. ๖๘ - ก.ย. ๖๙", "รอบ ๖ เดือน", "ดำเนินการต่อเนื่อง"],
        ["2", "เผยแพร่แผนจัดซื้อจัดจ้าง", "งานพัสดุ/ กองคลัง", "ตุลาคม 2568", "รอบ ๖ และ ๑๒ เดือน", ""],
        ["3", "ประชาสัมพันธ์เสียงตามสาย", "ทุกส่วนราชการ", "ตลอดปีงบประมาณ", "ทุกรอบ", ""],
    ]
    parsed = parse_plan_bytes(to_csv(rows), "plan.csv")
    got = [(r.title, r.unit_names, r.all_units, r.period, r.rounds) for r in parsed.rows]
    assert got == [
        ("จัดทำคู่มือการให้บริการ", ["สำนักปลัด"], False, "ต.ค. ๖๘ - ก.ย. ๖๙", [6]),
        ("เผยแพร่แผนจัดซื้อจัดจ้าง", ["งานพัสดุ"], False, "ตุลาคม 2568", [6, 12]),
        ("ประชาสัมพันธ์เสียงตามสาย", [], True, "ตลอดปีงบประมาณ", [3, 6, 9, 12]),
    ]
    # a guess is shown for a look, with the column's own name; the free-text column is left out
    assert "คอลัมน์ «หน่วยงาน» อ่านเป็น «ผู้รับผิดชอบ» จากข้อความในคอลัมน์" in parsed.problems
    assert "คอลัมน์ «ช่วงเวลา» อ่านเป็น «ระยะเวลาดำเนินการ» จากข้อความในคอลัมน์" in parsed.problems
    assert "คอลัมน์ «รายงาน» อ่านเป็น «การกำกับติดตาม» จากข้อความในคอลัมน์" in parsed.problems
    assert not any("รายละเอียด" in p for p in parsed.problems)
