"""A document as paragraphs and tables (from Word or PDF), read as a plan: by header, by the admin's mapping,
by columns' content, or from numbered paragraphs; when nothing is sure, the tables found for a mapping step."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .column_roles import FIELD_OF_ROLE, assign_roles, shape_of
from .plan_paragraphs import numbered_plan
from .plan_table import GridRow, ParsedPlan, PlanImportError, TableReader, parse_no

__all__ = ["ColumnChoice", "MappingNeeded", "RawTable", "read_blocks", "table_shape"]

_PAGE_NUMBER = re.compile(r"^(?:หน้า(?:ที่)?\s*)?[-–(\s]*[0-9๐-๙]{1,3}[-–)\s]*(?:/\s*[0-9๐-๙]{1,3})?$")
SURE = 0.6  # a column read by its content alone needs this confidence to be used without asking


@dataclass
class RawTable:
    """One table as laid out on its grid, with the tables nested in its cells (a layout table's content)."""

    number: int
    rows: list[GridRow]
    width: int
    children: list[RawTable] = field(default_factory=list)

    def first_cells(self) -> list[str]:
        """The first row (the header when there is one)."""
        return self.rows[0].cells if self.rows else []


@dataclass
class ColumnChoice:
    """The admin's mapping: which table, and 0-based column → role."""

    table: int
    columns: dict[int, str]


class MappingNeeded(PlanImportError):
    """No table was understood surely: the tables found, so the admin can say which column is what."""

    def __init__(self, message: str, tables: list[RawTable] | None = None) -> None:
        super().__init__(message)  # args stay (message,): the bounded worker pickles it back, __dict__ too
        self.tables = tables or []


Block = tuple[str, "str | RawTable"]


def _header_like(cells: list[str]) -> bool:
    """A first row that names columns rather than holding a measure: short cells, no row number."""
    filled = [c for c in cells if c.strip()]
    return len(filled) >= 2 and all(len(c) <= 60 for c in filled) and parse_no(filled[0]) is None


def table_shape(table: RawTable) -> str:
    """The key a remembered mapping is stored under: the normalised header row, or the width without one."""
    cells = table.first_cells()
    return shape_of(cells) if _header_like(cells) else f"#{table.width}"


def _tables(blocks: list[Block]) -> list[RawTable]:
    """Every table, nested ones after their parent, in document order."""
    out: list[RawTable] = []

    def walk(table: RawTable) -> None:
        out.append(table)
        for child in table.children:
            walk(child)

    for kind, item in blocks:
        if kind == "tbl" and isinstance(item, RawTable):
            walk(item)
    return out


class _Walker:
    """Feeds tables to a reader: a continuation (same width, no text between) keeps the header before it."""

    def __init__(self, fixed: dict[int, dict[int, str]] | None = None) -> None:
        self.reader = TableReader(strict=False)
        self.fixed = fixed  # table number → 0-based column → field: only these tables (and their continuations)
        self.last_width = 0
        self.text_between = True
        self.in_fixed = False

    def paragraph(self, text: str) -> None:
        """Text between tables ends a continuation; it may name the indicator of what follows."""
        if _PAGE_NUMBER.match(text.strip()):  # "- ๒ -" between two parts of a table is a page's number
            return
        self.text_between = self.text_between or bool(text.strip())
        self.reader.heading(text)

    def table(self, table: RawTable) -> None:
        """One table by header (or by the admin's mapping); layout tables are looked inside."""
        continues = not self.text_between and table.width == self.last_width
        self.text_between = False
        if self.fixed is not None:
            self._fixed_table(table, continues)
            return
        self.reader.start_table(continues=continues and self.reader.columns is not None, number=table.number)
        before, self.reader.seen_header = self.reader.seen_header, False
        for row in table.rows:
            self.reader.feed(row)
        found = self.reader.seen_header
        self.reader.seen_header = before or found
        if self.reader.columns is not None:
            self.last_width = table.width
        elif not found and not continues:
            for child in table.children:
                self.table(child)

    def _fixed_table(self, table: RawTable, continues: bool) -> None:
        """A table the admin mapped (header rows skipped), or one continuing it; others are not read."""
        assert self.fixed is not None
        columns = self.fixed.get(table.number)
        if columns is None and not (continues and self.in_fixed):
            self.in_fixed = False
            for child in table.children:
                self.table(child)
            return
        rows = table.rows
        if columns is not None:
            self.reader.start_table(continues=False, number=table.number)
            header = table.first_cells() if _header_like(table.first_cells()) else [""] * table.width
            self.reader.force(columns, header)
            rows = rows[1:] if _header_like(table.first_cells()) else rows
        else:
            self.reader.start_table(continues=True, number=table.number)
        for row in rows:
            self.reader.feed(row)
        self.in_fixed, self.last_width = True, table.width


def _numbered(tables: list[RawTable], number: int) -> RawTable:
    return next(t for t in tables if t.number == number)


def _walk(blocks: list[Block], filename: str, fixed: dict[int, dict[int, str]] | None) -> _Walker:
    walker = _Walker(fixed)
    for kind, item in blocks:
        if kind == "p" and isinstance(item, str):
            walker.paragraph(item)
        elif isinstance(item, RawTable):
            walker.table(item)
    return walker


def _fields(columns: dict[int, str]) -> dict[int, str]:
    """Roles as the reader's fields; roles with no field (budget, supervision …) are left out."""
    return {c: FIELD_OF_ROLE[r] for c, r in columns.items() if r in FIELD_OF_ROLE}


def _by_content(tables: list[RawTable]) -> dict[int, dict[int, str]]:
    """Tables whose columns read surely by content: a title and one anchor (units, period, rounds, number)."""
    fixed: dict[int, dict[int, str]] = {}
    for table in tables:
        if len(table.rows) < 2 or table.width < 2:
            continue
        header = table.first_cells() if _header_like(table.first_cells()) else [""] * table.width
        body = table.rows[1:] if any(header) else table.rows
        columns = [[r.cells[i] if i < len(r.cells) else "" for r in body] for i in range(table.width)]
        guesses = {g.role: g for g in assign_roles(header, columns, table.number)}
        title = guesses.get("title")
        anchors = [g for r, g in guesses.items() if r in ("responsible", "period", "rounds", "number", "indicator")]
        if title and title.confidence >= SURE and any(g.confidence >= SURE for g in anchors):
            fixed[table.number] = _fields({g.index - 1: r for r, g in guesses.items()})
    return fixed


def _finish(walker: _Walker, filename: str, notes: list[str]) -> ParsedPlan:
    parsed = walker.reader.result(filename)
    parsed.problems = notes + parsed.problems
    return parsed


def read_blocks(
    blocks: list[Block],
    filename: str,
    mappings: dict[str, dict[int, str]] | None = None,
    choice: ColumnChoice | None = None,
) -> ParsedPlan:
    """The plan a document holds; MappingNeeded (with its tables) when no way of reading it is sure."""
    tables = _tables(blocks)
    if choice is not None:
        chosen = next((t for t in tables if t.number == choice.table), None)
        if chosen is None:
            raise PlanImportError(f"ไม่มีตารางที่ {choice.table}: เอกสารนี้มี {len(tables)} ตาราง")
        if "title" not in choice.columns.values():
            raise PlanImportError("ต้องบอกว่าคอลัมน์ใดเป็นชื่อมาตรการ เช่น title=3")
        if max(choice.columns) >= chosen.width:
            raise PlanImportError(f"ตารางที่ {choice.table} มี {chosen.width} คอลัมน์ ไม่มีคอลัมน์ที่ {max(choice.columns) + 1}")
        shape = table_shape(chosen)
        same = [t.number for t in tables if t is chosen or (not shape.startswith("#") and table_shape(t) == shape)]
        parsed = _finish(_walk(blocks, filename, dict.fromkeys(same, _fields(choice.columns))), filename, [])
        parsed.mapping = {"shape": shape, "columns": {str(c): r for c, r in choice.columns.items()}}
        return parsed
    known = mappings or {}
    remembered = {t.number: _fields(known[table_shape(t)]) for t in tables if table_shape(t) in known}
    note = "ใช้การอ่านคอลัมน์ที่เลือกไว้ครั้งก่อนกับตารางแบบเดียวกัน"
    by_header = {n: c for n, c in remembered.items() if not table_shape(_numbered(tables, n)).startswith("#")}
    if by_header:  # a header the office mapped before: its choice wins over the importer's reading
        return _finish(_walk(blocks, filename, by_header), filename, [note])
    walker = _walk(blocks, filename, None)
    if walker.reader.seen_header:
        return walker.reader.result(filename)
    if remembered:  # a table without header, mapped before by its width: only when no header is understood
        return _finish(_walk(blocks, filename, remembered), filename, [note])
    by_content = _by_content(tables)
    if by_content:
        note = "ไม่พบหัวตารางที่รู้จัก: อ่านคอลัมน์จากข้อความในตาราง ตรวจการอ่านคอลัมน์ด้านล่าง"
        return _finish(_walk(blocks, filename, by_content), filename, [note])
    paragraphs = [item for kind, item in blocks if kind == "p" and isinstance(item, str)]
    numbered = numbered_plan(paragraphs, filename)
    if numbered is not None:
        return numbered
    candidates = [t for t in tables if len(t.rows) >= 2 and t.width >= 2]
    if candidates:
        raise MappingNeeded(
            "ไม่พบตารางมาตรการที่อ่านได้แน่ชัด: เลือกตารางและบอกว่าคอลัมน์ใดเป็นชื่อมาตรการ", candidates
        )
    raise PlanImportError(
        "ไม่พบตารางมาตรการในเอกสาร: ต้องมีตารางที่หัวคอลัมน์มี «มาตรการ/กิจกรรม» "
        "และ «ผู้รับผิดชอบ» หรือ «ระยะเวลาดำเนินการ» หรือรายการมาตรการที่มีเลขข้อ"
    )
