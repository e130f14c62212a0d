"""CSV and XLSX plans as grid rows, bounded: a stray far cell or a huge merge never costs gigabytes."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from openpyxl.utils.cell import column_index_from_string, get_column_letter

from .plan_table import (
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    GridRow,
    ParsedPlan,
    PlanImportError,
    TableReader,
    clean_text,
)
from .text_decode import decode_text

__all__ = ["parse_csv_bytes", "parse_xlsx_bytes"]

_TOO_FAR = (
    "อยู่ไกลเกินตารางมาตรการ (รับได้ไม่เกิน {rows:,} แถว {cols} คอลัมน์): "
    "ลบเซลล์นั้น หรือคัดลอกเฉพาะตารางมาตรการไปไฟล์ใหม่แล้วส่งอีกครั้ง"
)


def _too_far(where: str) -> PlanImportError:
    return PlanImportError(f"{where} " + _TOO_FAR.format(rows=MAX_TABLE_ROWS, cols=MAX_TABLE_COLUMNS))


# ----- CSV ------------------------------------------------------------------------------------
def _csv_rows(text: str) -> Iterator[GridRow]:
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        for i, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            if i > MAX_TABLE_ROWS or len(cells) > MAX_TABLE_COLUMNS:
                if any(c.strip() for c in cells[MAX_TABLE_COLUMNS:]) or (i > MAX_TABLE_ROWS and any(cells)):
                    raise _too_far(f"ข้อมูลในแถวที่ {i:,}")
                cells = cells[:MAX_TABLE_COLUMNS]
            yield GridRow(cells=cells, label=f"แถวที่ {i}")
    except csv.Error as exc:
        raise PlanImportError(f"ไฟล์ CSV ผิดรูปแบบ: {exc}") from exc


def parse_csv_bytes(data: bytes, filename: str = "plan.csv") -> ParsedPlan:
    """A CSV measure table in UTF-8, Windows Thai or a Latin code page; any bad row fails the whole file."""
    decoded = decode_text(data)
    if decoded is None:
        raise PlanImportError(
            "อ่านตัวอักษรในไฟล์ CSV ไม่ได้ (ไม่ใช่ UTF-8 หรือรหัสภาษาไทยของ Windows): "
            "ใน Excel เลือก บันทึกเป็น → CSV UTF-8 แล้วส่งอีกครั้ง"
        )
    reader = TableReader(strict=True)
    reader.start_table(continues=False)
    for row in _csv_rows(decoded.text):
        reader.feed(row)
    parsed = reader.result(filename)
    parsed.encoding = decoded.label if not decoded.is_utf8 else ""
    if not decoded.is_utf8 and decoded.encoding != "cp874":
        parsed.problems.insert(
            0,
            f"ไฟล์ไม่ใช่ UTF-8 จึงอ่านเป็นรหัส {decoded.label} และไม่มีอักษรไทย: ถ้าไฟล์ควรมีภาษาไทย "
            "ให้บันทึกเป็น CSV UTF-8 แล้วส่งใหม่",
        )
    return parsed


# ----- XLSX -----------------------------------------------------------------------------------
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?\"")


def _check_merges(data: bytes) -> None:
    """Refuse a merged range beyond the cap before openpyxl fills every cell of it with an object."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename):
                continue
            for m in _MERGE.finditer(archive.read(info)):
                last_col, last_row = m.group(3) or m.group(1), m.group(4) or m.group(2)
                if column_index_from_string(last_col.decode()) > MAX_TABLE_COLUMNS or int(last_row) > MAX_TABLE_ROWS:
                    first = (m.group(1) + m.group(2)).decode()
                    raise _too_far(f"เซลล์ที่ผสานไว้ {first}:{(last_col + last_row).decode()}")


def _extent(ws: Any, prefix: str) -> tuple[int, int]:
    """Rows and columns holding values; a value beyond the cap is refused, formatting there ignored.

    Reads the sheet's sparse cell map: ws.iter_rows would create every empty cell up to the farthest one.
    """
    height = width = 0
    for (r, c), cell in ws._cells.items():
        if cell.value is None or cell.value == "":
            continue
        if r > MAX_TABLE_ROWS or c > MAX_TABLE_COLUMNS:
            raise _too_far(f"{prefix}เซลล์ {get_column_letter(c)}{r}")
        height, width = max(height, r), max(width, c)
    for rng in ws.merged_cells.ranges:
        height, width = max(height, rng.max_row), max(width, rng.max_col)
    return height, width


def _sheet_rows(ws: Any, prefix: str) -> Iterator[GridRow]:
    """A worksheet as grid rows; merged ranges become inherited (vertical) or section (whole-row) cells."""
    height, width = _extent(ws, prefix)
    below: dict[tuple[int, int], tuple[int, int]] = {}
    whole_rows: set[int] = set()
    for rng in ws.merged_cells.ranges:
        if rng.min_row == rng.max_row and rng.max_col - rng.min_col + 1 >= max(width - 1, 2):
            whole_rows.add(rng.min_row)
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if (r, c) != (rng.min_row, rng.min_col):
                    below[(r, c)] = (rng.min_row, rng.min_col) if c == rng.min_col else (-1, -1)
    cells_at = ws._cells
    values: dict[tuple[int, int], str] = {}
    for r in range(1, height + 1):
        cells: list[str] = []
        inherited: set[int] = set()
        for c in range(1, width + 1):
            origin = below.get((r, c))
            if origin is None:
                cell = cells_at.get((r, c))
                text = clean_text(cell.value if cell is not None else None)
            elif origin == (-1, -1):
                text = ""
            else:
                text = values.get(origin, "")
                inherited.add(c - 1)
            values[(r, c)] = text
            cells.append(text)
        yield GridRow(
            cells=cells, label=f"{prefix}แถวที่ {r}", inherited=frozenset(inherited), merged_row=r in whole_rows
        )


def parse_xlsx_bytes(data: bytes, filename: str = "plan.xlsx") -> ParsedPlan:
    """The first worksheet holding a measure table; any bad row fails the whole file."""
    import openpyxl  # local: only imports that need it pay for it

    try:
        _check_merges(data)
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except PlanImportError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise PlanImportError("ไฟล์ Excel เสียหรือเปิดไม่ได้: ลองเปิดใน Excel แล้วบันทึกเป็น .xlsx ใหม่") from exc
    sheets = book.worksheets
    for ws in sheets:
        prefix = f"แผ่นงาน «{ws.title}» " if len(sheets) > 1 else ""
        reader = TableReader(strict=True)
        reader.start_table(continues=False)
        try:
            for row in _sheet_rows(ws, prefix):
                reader.feed(row)
        except PlanImportError:
            raise
        except Exception as exc:  # chart sheets and odd cells must not stop the bot
            raise PlanImportError(f"อ่านแผ่นงาน «{ws.title}» ไม่ได้: บันทึกเป็น .xlsx ใหม่แล้วลองอีกครั้ง") from exc
        if reader.seen_header:
            return reader.result(filename)
    return TableReader(strict=True).result(filename)
