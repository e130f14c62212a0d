"""Hostile or odd files: bounded work, a clear Thai message, nothing stored (issue 12 items 4, 6, 10)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from openpyxl import Workbook

from bot.cli import main
from handlers.plan_import import PlanImportError, parse_plan_bytes, preview_text
from tests.factory import open_store

HEADER = ["ลำดับ", "มาตรการ/กิจกรรม", "ผู้รับผิดชอบ"]


def nested_docx(depth: int) -> bytes:
    """Layout tables nested `depth` deep (~35 KB at 20) with the measure table innermost."""
    doc = docx.Document()
    cell = doc.add_table(rows=1, cols=1).cell(0, 0)
    for level in range(1, depth):
        cell.paragraphs[0].text = f"ชั้นที่ {level} " + "ข้อความประกอบ " * 30
        cell = cell.add_table(rows=1, cols=1).cell(0, 0)
    inner = cell.add_table(rows=2, cols=3)
    for c, (head, value) in enumerate(zip(HEADER, ["1", "มาตรการในตารางชั้นในสุด", "กองช่าง"], strict=True)):
        inner.cell(0, c).text, inner.cell(1, c).text = head, value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def grid_span_docx(span: int) -> bytes:
    doc = docx.Document()
    table = doc.add_table(rows=2, cols=3)
    for c, head in enumerate(HEADER):
        table.cell(0, c).text = head
    table.rows[1].cells[0]._tc.grid_span = span
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def small_xlsx(far_cell: str = "", merge: str = "") -> bytes:
    """A two-row measure sheet, with a value far away or a merged range written straight into the XML."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(HEADER)
    ws.append(["1", "มาตรการ ก", "กองช่าง"])
    if far_cell:
        ws[far_cell] = "x"
    out = io.BytesIO()
    book.save(out)
    if not merge:
        return out.getvalue()
    src, dst = zipfile.ZipFile(io.BytesIO(out.getvalue())), io.BytesIO()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # openpyxl itself would build every merged cell
                tail = f'</sheetData><mergeCells count="1"><mergeCell ref="{merge}"/></mergeCells>'
                data = data.replace(b"</sheetData>", tail.encode())
            archive.writestr(info, data)
    return dst.getvalue()


def test_nested_tables_are_walked_once_each() -> None:
    data = nested_docx(20)
    assert 30_000 < len(data) < 40_000
    (row,) = parse_plan_bytes(data, "nested.docx").rows
    assert row.title == "มาตรการในตารางชั้นในสุด"
    assert row.source == "ตารางที่ 21 แถวที่ 2"  # 20 layout tables, then the measure table: each counted once


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("span.docx", lambda: grid_span_docx(400_000_000), "กว้าง 400,000,002 คอลัมน์ ซึ่ง Word สร้างไม่ได้"),
        ("far.xlsx", lambda: small_xlsx(far_cell="XFD1048576"), "เซลล์ XFD1048576 อยู่ไกลเกินตารางมาตรการ"),
        ("merge.xlsx", lambda: small_xlsx(merge="A3:XFD1048576"), "เซลล์ที่ผสานไว้ A3:XFD1048576 อยู่ไกลเกิน"),
        ("tall.xlsx", lambda: small_xlsx(merge="B3:B9000"), "เซลล์ที่ผสานไว้ B3:B9000"),
    ],
)
def test_giant_grids_are_refused_before_they_are_built(
    name: str, make: object, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_bytes(make())  # type: ignore[operator]
    assert path.stat().st_size < 60_000
    data = tmp_path / "data"
    assert main(["import", str(path), "--yes", "--data-dir", str(data), "--today", "2025-11-03"]) == 1
    assert message in capsys.readouterr().err
    repo = open_store(data)
    assert repo.list_orgs() == []  # nothing stored


def test_formatting_far_away_is_ignored_but_a_value_is_not() -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(HEADER)
    ws.append(["1", "มาตรการ ก", "กองช่าง"])
    ws["CZ9000"].number_format = "0.00"  # a styled but empty cell far away: harmless
    out = io.BytesIO()
    book.save(out)
    assert [r.title for r in parse_plan_bytes(out.getvalue(), "plan.xlsx").rows] == ["มาตรการ ก"]


def csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode(encoding)


def test_windows_thai_csv_imports_and_the_preview_names_the_encoding() -> None:
    data = csv_bytes([["ลำดับ", "ตัวชี้วัด", "มาตรการ/กิจกรรม", "ผู้รับผิดชอบ"], ["1", "๒", "เผยแพร่แผนการใช้จ่ายงบประมาณ", "กองคลัง"]], "cp874")
    parsed = parse_plan_bytes(data, "แผน.csv")
    assert [(r.title, r.unit_names, r.indicator_name) for r in parsed.rows] == [
        ("เผยแพร่แผนการใช้จ่ายงบประมาณ", ["กองคลัง"], "การใช้งบประมาณ")  # a bare ๒ gets its name
    ]
    text = preview_text(parsed, 2569)
    assert "อ่านไฟล์เป็นรหัส Windows-874 (ภาษาไทย)" in text and "1. เผยแพร่แผนการใช้จ่ายงบประมาณ" in text


def test_latin_csv_is_read_as_latin_not_as_garbled_thai(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = csv_bytes([["no", "measure", "responsible"], ["1", "Révision générale des procédures", "Bureau Général"]], "cp1252")
    parsed = parse_plan_bytes(data, "plan.csv")
    assert [(r.title, r.unit_names) for r in parsed.rows] == [("Révision générale des procédures", ["Bureau Général"])]
    assert "Windows-1252" in parsed.problems[0] and "CSV UTF-8" in parsed.problems[0]
    path = tmp_path / "plan.csv"
    path.write_bytes(data)
    store = tmp_path / "data"
    assert main(["import", str(path), "--org", "Mairie", "--data-dir", str(store), "--today", "2025-11-03"]) == 0  # preview
    out = capsys.readouterr()
    assert "1. Révision générale des procédures" in out.out and "--yes" in out.out
    assert open_store(store).list_orgs() == []


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        ("ลำดับ,มาตรการ/กิจกรรม,ผู้รับผิดชอบ\n1,มาตรการ ก,กองช่าง\n".encode("utf-16"), True),
        ("ลำดับ,มาตรการ/กิจกรรม,ผู้รับผิดชอบ\n1,มาตรการ ก,กองช่าง\n".encode("utf-8-sig"), True),
        (bytes(range(256)) * 8, False),
    ],
)
def test_other_encodings(data: bytes, ok: bool) -> None:
    if ok:
        assert [r.title for r in parse_plan_bytes(data, "plan.csv").rows] == ["มาตรการ ก"]
    else:
        with pytest.raises(PlanImportError, match="CSV UTF-8"):
            parse_plan_bytes(data, "plan.csv")
