"""Find the measure table(s) in an office's Word document and read them as a plan."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from .plan_blocks import Block, ColumnChoice, RawTable, read_blocks
from .plan_import import GridRow, ParsedPlan, PlanImportError, check_container, clean_text
from .plan_table import MAX_TABLE_COLUMNS, MAX_TABLE_ROWS

__all__ = ["docx_blocks", "parse_docx_bytes"]
_CORRUPT = "ไฟล์ Word เสียหรือเปิดไม่ได้: ลองเปิดใน Word แล้วบันทึกเป็น .docx ใหม่"


def _open(data: bytes) -> Any:
    """The python-docx Document, or a Thai error for a damaged file or one that is not Word."""
    import docx  # local: only a .docx import pays for it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise PlanImportError("ไฟล์นี้ไม่ใช่เอกสาร Word (.docx)")
    except zipfile.BadZipFile as exc:
        raise PlanImportError(_CORRUPT) from exc
    try:
        return docx.Document(io.BytesIO(data))
    except Exception as exc:  # missing parts, bad XML, wrong content type: all mean a damaged file
        raise PlanImportError(_CORRUPT) from exc


def _grid_width(tbl: Any) -> int:
    """Grid columns of a table; documents converted from PDF may lack w:tblGrid, so rows count too."""
    from docx.oxml.ns import qn

    grid = tbl.find(qn("w:tblGrid"))
    declared = len(grid.findall(qn("w:gridCol"))) if grid is not None else 0
    widest = max(
        (tr.grid_before + sum(max(tc.grid_span, 1) for tc in tr.tc_lst) for tr in tbl.tr_lst), default=0
    )
    return max(declared, widest)


def _table_rows(tbl: Any, parent: Any, number: int) -> Iterator[GridRow]:
    """A <w:tbl> as grid rows: horizontal merges once, vertical merges marked as inherited."""
    from docx.table import _Cell

    width = max(_grid_width(tbl), 1)
    if width > MAX_TABLE_COLUMNS:  # gridSpan="400000000" would otherwise allocate gigabytes
        raise PlanImportError(
            f"ตารางที่ {number} กว้าง {width:,} คอลัมน์ ซึ่ง Word สร้างไม่ได้ (ไม่เกิน {MAX_TABLE_COLUMNS}): "
            "ไฟล์อาจเสีย ลองเปิดใน Word แล้วบันทึกเป็น .docx ใหม่"
        )
    previous: list[str] = []
    for r, tr in enumerate(tbl.tr_lst, start=1):
        cells = [""] * width
        inherited: set[int] = set()
        col = tr.grid_before
        tcs = list(tr.tc_lst)
        for tc in tcs:
            span = max(tc.grid_span, 1)
            if col + span > len(cells):
                cells.extend([""] * (col + span - len(cells)))
            if tc.vMerge == "continue":
                cells[col] = previous[col] if col < len(previous) else ""
                inherited.add(col)
            else:
                cells[col] = clean_text(_Cell(tc, parent).text)
            col += span
        merged_row = len(tcs) == 1 and width > 1 and tcs[0].grid_span >= width - 1
        previous = cells
        yield GridRow(
            cells=cells,
            label=f"ตารางที่ {number} แถวที่ {r}",
            inherited=frozenset(inherited),
            merged_row=merged_row,
        )


def _blocks(container: Any) -> Iterator[tuple[str, Any]]:
    """Paragraph texts and tables in reading order, looking inside content controls (w:sdt)."""
    from docx.oxml.ns import qn

    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            yield "p", "".join(t.text or "" for t in child.iter(qn("w:t")))
        elif child.tag == qn("w:tbl"):
            yield "tbl", child
        elif child.tag == qn("w:sdt"):
            for content in child.iterchildren(qn("w:sdtContent")):
                yield from _blocks(content)


def _nested_tables(tbl: Any) -> Iterator[Any]:
    """Tables directly inside a table's cells (a layout table wrapping the real one), not deeper ones.

    Deeper tables are reached through their own parent, so each table is walked once: linear in the
    document, where walking every descendant from every ancestor doubled the work at each level.
    """
    for tr in tbl.tr_lst:
        for tc in tr.tc_lst:
            for kind, item in _blocks(tc):
                if kind == "tbl":
                    yield item


def _raw_table(tbl: Any, document: Any, counter: list[int]) -> RawTable:
    """A <w:tbl> with its rows laid out and the tables nested in its cells, numbered in reading order."""
    counter[0] += 1
    number = counter[0]
    rows = []
    for row in _table_rows(tbl, document, number):
        counter[1] += 1
        if counter[1] > MAX_TABLE_ROWS:
            raise PlanImportError(f"ตารางในเอกสารมีมากกว่า {MAX_TABLE_ROWS:,} แถว: ส่งเฉพาะส่วนที่เป็นตารางมาตรการ")
        rows.append(row)
    table = RawTable(number=number, rows=rows, width=_grid_width(tbl))
    table.children = [_raw_table(inner, document, counter) for inner in _nested_tables(tbl)]
    return table


def docx_blocks(document: Any) -> list[Block]:
    """The body's paragraphs and tables in reading order."""
    counter = [0, 0]  # tables, rows
    blocks: list[Block] = []
    for kind, item in _blocks(document.element.body):
        blocks.append(("p", item) if kind == "p" else ("tbl", _raw_table(item, document, counter)))
    return blocks


def parse_docx_bytes(
    data: bytes,
    filename: str = "plan.docx",
    mappings: dict[str, dict[int, str]] | None = None,
    choice: ColumnChoice | None = None,
) -> ParsedPlan:
    """Every measure table of the document, continued across pages; other tables are ignored.

    mappings: the office's remembered column mappings by table shape; choice: the admin's mapping now.
    """
    check_container(data, "docx")
    document = _open(data)
    try:
        blocks = docx_blocks(document)
        return read_blocks(blocks, filename, mappings, choice)
    except PlanImportError:
        raise
    except Exception as exc:  # an odd structure must not stop the bot: say so instead
        raise PlanImportError("อ่านตารางในเอกสารไม่ได้: ลองเปิดใน Word แล้วบันทึกเป็น .docx ใหม่") from exc
