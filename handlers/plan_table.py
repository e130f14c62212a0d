"""The table reader shared by the CSV, XLSX, DOCX and PDF importers: headers, continuations, merged cells."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from domain.indicators import IndicatorRef, read_indicator
from storage.models import ROUNDS

from .column_roles import ColumnGuess, guess_role, understand_columns
from .plan_cells import (  # re-exported: importers use plan_table
    MAX_HEADER_CHARS,
    clean_text,
    compact,
    header_field,
    infer_indicator,
    map_header,
    parse_indicator,
    parse_no,
    parse_rounds,
)
from .units import read_responsible

_ROLE_NAMES = {"responsible": "ผู้รับผิดชอบ", "period": "ระยะเวลาดำเนินการ", "monitoring": "การกำกับติดตาม"}

__all__ = [
    "MAX_TABLE_COLUMNS",
    "MAX_TABLE_ROWS",
    "GridRow",
    "ParsedPlan",
    "PlanImportError",
    "PlanRow",
    "TableReader",
    "clean_text",
    "header_field",
    "infer_indicator",
    "map_header",
    "parse_indicator",
    "parse_no",
    "parse_rounds",
]


class PlanImportError(Exception):
    """A file that cannot be imported; the message is Thai and says what to fix."""


@dataclass
class PlanRow:
    """One measure as read from the file, before units get ids."""

    no: int
    indicator: str  # "1", "9.4", "o12" or "": what the row's indicator is (see domain.indicators)
    title: str
    steps: str = ""
    responsible_text: str = ""
    unit_names: list[str] = field(default_factory=list)  # the units that answer, sections included
    unit_parents: dict[str, str] = field(default_factory=dict)  # section name → its division's name
    indicator_name: str = ""  # the indicator's name as the plan writes it (spacing repaired)
    all_units: bool = False
    period: str = ""
    rounds: list[int] = field(default_factory=lambda: list(ROUNDS))
    analysis: str = ""
    monitoring: str = ""
    components: str = ""
    source: str = ""


@dataclass
class ParsedPlan:
    """What a file holds: the measures, and every row it could not use (Thai, with row and column)."""

    rows: list[PlanRow]
    problems: list[str] = field(default_factory=list)
    source: str = ""
    sections: list[str] = field(default_factory=list)
    encoding: str = ""  # a CSV that was not UTF-8: the code page it was read in, for the preview
    section_choices: dict[str, str] = field(default_factory=dict)  # the admin's: unit key → division, "" none
    columns: list[ColumnGuess] = field(default_factory=list)  # how each table's columns were read, for the preview
    shapes: dict[int, str] = field(default_factory=dict)  # table number → its shape (normalised header row)
    mapping: dict[str, Any] = field(default_factory=dict)  # the admin's column mapping used: {"shape", "columns"}


# A measure table is a few hundred rows; Word cannot make a table wider than 63 columns.
MAX_TABLE_ROWS = 5000
MAX_TABLE_COLUMNS = 63




# ----- the table reader shared by CSV, XLSX and DOCX -----------------------------------------
@dataclass
class GridRow:
    """One table row laid out on the grid, with what merged cells it carries."""

    cells: list[str]
    label: str
    inherited: frozenset[int] = frozenset()  # columns continuing a vertical merge from the row above
    merged_row: bool = False  # one cell spans the whole row: a section heading


_SECTION_WORDS = ("มาตรการ", "ด้าน", "ประเด็น", "ยุทธศาสตร์", "มิติ", "ส่วนที่", "หมวด", "ตัวชี้วัด", "แผนงาน")
_TEXT_FIELDS = ("title", "steps", "analysis", "topic", "responsible", "period", "monitoring", "components")


@dataclass
class _Draft:
    """A measure being read: raw cell texts, finished once the table ends (continuations may follow)."""

    no: int
    indicator: str
    label: str
    texts: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    indicator_name: str = ""
    skipped: bool = False  # an unreadable row: its continuation rows are absorbed, not reported again
    unknown: dict[str, str] = field(default_factory=dict)  # cells of columns whose header was not understood
    header_id: int = 0  # which header row the draft was read under


def _is_subheader(row: GridRow, columns: dict[int, str]) -> bool:
    """The second line of a two-line header ("ไตรมาส 1 | 2 | 3 | 4", "(1) | (2) | …"): short cells, no title."""
    own = [c.strip() for i, c in enumerate(row.cells) if i not in row.inherited and c.strip()]
    if len(own) < 2 or any(len(c) > 20 for c in own):
        return False
    title = next(
        (row.cells[i] for i, f in columns.items() if f == "title" and i not in row.inherited), ""
    ).strip()
    return not title or re.fullmatch(r"\(?[0-9๐-๙]{1,2}\)?", title) is not None


def _join(first: str, more: str) -> str:
    if not first:
        return more
    sep = "\n" if re.match(r"^(?:[0-9๐-๙]{1,2}[.)]|[-•*])", more) else " "
    return first + sep + more


class TableReader:
    """Turns grid rows into plan rows: headers, continuation rows and tables, merged cells, sections."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.errors: list[str] = []
        self.notes: list[str] = []
        self.sections: list[str] = []
        self.drafts: list[_Draft] = []
        self.columns: dict[int, str] | None = None
        self.headers: dict[str, str] = {}
        self.seen_header = False
        self._current: _Draft | None = None
        self._fresh = False
        self._group_indicator: IndicatorRef | None = None
        self._heading: IndicatorRef | None = None
        self._after_header = False
        self._header_id = 0
        self._unknown_headers: dict[tuple[int, str], str] = {}
        self.table_no = 0
        self.fixed = False  # the admin's mapping: header rows are not looked for
        self._header_cells: list[str] = []
        self.header_log: dict[int, tuple[int, list[str]]] = {}  # header id → (table, header cells)
        self.header_columns: dict[int, dict[int, str]] = {}  # header id → column → field
        self.samples: dict[int, dict[int, list[str]]] = {}  # header id → column → first cells

    def force(self, columns: dict[int, str], header: list[str]) -> None:
        """Read what follows with the admin's column mapping (0-based column → field), whatever its header."""
        self.columns, self.fixed, self.seen_header = dict(columns), True, True
        self.headers = {f: " ".join(header[i].split()) for i, f in columns.items() if i < len(header)}
        self._header_id += 1
        self._log_header(header)

    def _log_header(self, cells: list[str]) -> None:
        self._header_cells = list(cells)
        self.header_log[self._header_id] = (self.table_no, list(cells))
        self.header_columns[self._header_id] = dict(self.columns or {})
        self.samples.setdefault(self._header_id, {})

    def heading(self, text: str) -> None:
        """A document heading between tables ("ตัวชี้วัดที่ ๑ การปฏิบัติหน้าที่") names the indicator of what follows."""
        key = compact(text)
        if key.startswith("ตัวชี้วัด") and len(key) <= MAX_HEADER_CHARS:
            ref = read_indicator(text)
            if ref is not None and not ref.oit_code:
                self._heading = ref

    def start_table(self, continues: bool, number: int = 0) -> None:
        """A new table: it keeps the header only when it continues the previous one across a page."""
        self.table_no = number or self.table_no + 1
        if not continues and not self.fixed:
            self.columns, self._current, self._group_indicator = None, None, None
        self._fresh = True

    def _fail(self, label: str, field_name: str, what: str) -> None:
        column = self.headers.get(field_name, field_name)
        self.errors.append(f"{label} คอลัมน์ «{column}»: {what}")

    def _use_header(self, header: dict[int, str], cells: list[str]) -> None:
        """A header row: its columns' fields; columns it does not name are judged later by their cells."""
        self.columns, self.seen_header, self._fresh = header, True, True
        self.headers = {f: re.sub(r"\s+", " ", cells[i]).strip() for i, f in header.items()}
        if not self._after_header or not self._header_id:  # a header row right under one completes it
            self._header_id += 1
        for key in [k for k in self._unknown_headers if k[0] == self._header_id]:
            del self._unknown_headers[key]
        for i, text in enumerate(cells):
            if text.strip() and i not in header:
                self.columns[i] = f"?{i}"
                self._unknown_headers[(self._header_id, f"?{i}")] = re.sub(r"\s+", " ", text).strip()
        self._log_header(cells)
        self._after_header = True

    def _second_header_row(self, row: GridRow) -> bool:
        """A header's second row ("การดำเนินการ" above "ขั้นตอน | ผู้รับผิดชอบ | ระยะเวลา"): read both as one."""
        top = self._header_cells
        merged = [
            (s if header_field(s) not in (None, "ignore") else f"{t} {s}".strip()) if s.strip() else t
            for t, s in zip(top + [""] * (len(row.cells) - len(top)), row.cells, strict=False)
        ]
        header = map_header(merged)
        if header is None or set(header.values()) <= set((self.columns or {}).values()):
            return False
        self._use_header(header, merged)  # the same header, now complete
        return True

    def feed(self, row: GridRow) -> None:
        """Read one row."""
        header = None if self.fixed else map_header(row.cells, strong=self.columns is not None)
        if header is not None:
            self._use_header(header, row.cells)
            return
        if self.columns is None or not any(c.strip() for c in row.cells):
            return
        if self.fixed and [c.strip() for c in row.cells] == [c.strip() for c in self._header_cells]:
            return  # the header repeated on the next page
        if self._after_header and not self.fixed and _is_subheader(row, self.columns) and self._second_header_row(row):
            return
        samples = self.samples.setdefault(self._header_id, {})
        for col, text in enumerate(row.cells):
            if col not in row.inherited and text.strip() and len(samples.setdefault(col, [])) < 30:
                samples[col].append(text)
        values: dict[str, str] = {}
        own: dict[str, str] = {}
        for col, name in self.columns.items():
            if name == "ignore" or col >= len(row.cells):
                continue
            text = clean_text(row.cells[col])
            values[name] = text
            if col not in row.inherited:
                own[name] = text
        if self._after_header and not self.fixed and _is_subheader(row, self.columns):
            return
        known = {k: v for k, v in own.items() if v and not k.startswith("?")}
        before = self._current
        self._classify(row, values, known)
        if self._current is not None and self._current is before:  # continued: unknown columns too
            for key, text in own.items():
                if key.startswith("?") and text:
                    self._current.unknown[key] = _join(self._current.unknown.get(key, ""), text)
        self._fresh = self._after_header = False

    def _classify(self, row: GridRow, values: dict[str, str], own: dict[str, str]) -> None:
        """Decide whether a row starts a measure, continues one, names a section or cannot be read."""
        if not own:
            return
        fields = set(self.columns.values()) if self.columns else set()
        if len(own) == 1 or row.merged_row:
            name, text = next(iter(own.items()))
            if name == "no" and parse_no(text) is not None and len(own) == 1:
                return  # a numbered but empty row of a form
            if row.merged_row or name in ("no", "indicator"):
                ref = read_indicator(text) if name == "indicator" or row.merged_row else None
                if ref and not ref.oit_code:
                    self._group_indicator = ref
                self.sections.append(text)
                return
        if own.keys() & {"no", "indicator"}:
            self._start(row, values, own)
            return
        title = own.get("title", "")
        if set(own) == {"title"} and title.startswith(_SECTION_WORDS) and not (self._fresh and self._current):
            self.sections.append(title)
            return
        has_key = bool(fields & {"no", "indicator"})
        lacks_anchor = not own.keys() & {"responsible", "period"}
        if self._current is not None and (not title or (has_key and (self._fresh or lacks_anchor))):
            if self.strict and not self._current.skipped:
                self.notes.append(f"{row.label}: อ่านเป็นส่วนต่อของมาตรการใน{self._current.label}")
            for name, text in own.items():
                if name in _TEXT_FIELDS:
                    self._current.texts[name] = _join(self._current.texts.get(name, ""), text)
            return
        if title:
            self._start(row, values, own)
            return
        self.errors.append(f"{row.label}: ไม่มีชื่อมาตรการ และไม่ใช่ส่วนต่อของแถวก่อนหน้า")

    def _start(self, row: GridRow, values: dict[str, str], own: dict[str, str]) -> None:
        """Begin a measure from a row that has its own number, indicator or title."""
        previous = self.drafts[-1] if self.drafts else None
        no_text = own.get("no", "")
        no = parse_no(no_text) if no_text else (previous.no + 1 if previous else 1)
        if no is None:
            self._fail(row.label, "no", f"อ่านลำดับ «{no_text}» ไม่ได้")
            self._current = _Draft(
                no=0, indicator="", label=row.label, texts={}, skipped=True
            )  # absorbs its continuations
            return
        ind_text = values.get("indicator", "")
        ref = read_indicator(ind_text) if ind_text else IndicatorRef()
        if ref is None:
            self._fail(
                row.label, "indicator", f"อ่านตัวชี้วัด «{ind_text[:40]}» ไม่ได้ (ใช้ 1–10 หรือรหัส OIT เช่น o12)"
            )
            self._current = _Draft(no=0, indicator="", label=row.label, texts={}, skipped=True)
            return
        coded = read_indicator(no_text) if not ref.key and no_text else None
        if coded is not None and coded.oit_code:
            ref = coded  # the OIT form numbers its items ๐๑ … ๐๔๓ in the ข้อ column
        if not ref.key and "indicator" in (self.columns or {}).values():
            ref = self._group_indicator or (
                IndicatorRef(previous.indicator, previous.indicator_name) if previous else ref
            )
        texts = {name: values.get(name, "") for name in _TEXT_FIELDS}
        if not texts["title"]:
            self._fail(row.label, "title", "ไม่มีชื่อมาตรการ/กิจกรรม")
            self._current = _Draft(no=0, indicator="", label=row.label, texts={}, skipped=True)
            return
        key = ref.key or infer_indicator(texts["title"], texts["analysis"], texts["topic"], texts["steps"])
        if not key and self._heading is not None:  # a per-indicator table under its heading
            ref, key = self._heading, self._heading.key
        self._current = _Draft(
            no=no, indicator=key, label=row.label, texts=texts, headers=dict(self.headers),
            indicator_name=ref.name if ref.key else "", header_id=self._header_id,
            unknown={k: v for k, v in values.items() if k.startswith("?")},
        )  # fmt: skip
        self.drafts.append(self._current)

    def _use_unknown_columns(self) -> None:
        """A column whose header was not understood takes the role its cells show (units, months, rounds)."""
        for (header_id, key), header in self._unknown_headers.items():
            drafts = [d for d in self.drafts if d.header_id == header_id and not d.skipped]
            taken = {f for d in drafts[:1] for f, text in d.headers.items()}
            role = guess_role([d.unknown.get(key, "") for d in drafts], taken)
            if role is None:
                continue
            self.notes.append(f"คอลัมน์ «{header}» อ่านเป็น «{_ROLE_NAMES[role]}» จากข้อความในคอลัมน์")
            self.header_columns.setdefault(header_id, {})[int(key[1:])] = role
            for d in drafts:
                d.texts[role] = d.texts.get(role) or d.unknown.get(key, "")
                d.headers[role] = header

    def finish(self) -> list[PlanRow]:
        """The measures read, with units and rounds parsed from their complete cells."""
        rows: list[PlanRow] = []
        self._use_unknown_columns()
        for d in self.drafts:
            texts, self.headers = d.texts, d.headers
            rounds, note = parse_rounds(texts["monitoring"])
            if rounds is None:
                self._fail(d.label, "monitoring", note)
                continue
            if note and texts["monitoring"]:
                self.notes.append(
                    f"{d.label} คอลัมน์ «{self.headers.get('monitoring', 'การกำกับติดตาม')}»: {note}"
                )
            who = read_responsible(texts["responsible"])
            if not who.names and not who.all_units:
                self.notes.append(f"{d.label}: ไม่มีผู้รับผิดชอบ — ยังไม่มีส่วนราชการใดต้องรายงานมาตรการนี้")
            if not d.indicator:
                self.notes.append(f"{d.label}: ไม่พบตัวชี้วัดของมาตรการนี้")
            title = re.sub(r"^[-•*–]\s*", "", texts["title"])
            rows.append(
                PlanRow(
                    no=d.no,
                    indicator=d.indicator,
                    title=title,
                    steps=texts["steps"],
                    responsible_text=texts["responsible"],
                    unit_names=who.names,
                    unit_parents=who.parents,
                    all_units=who.all_units,
                    indicator_name=d.indicator_name,
                    period=texts["period"],
                    rounds=rounds,
                    analysis="\n".join(t for t in (texts["topic"], texts["analysis"]) if t),
                    monitoring=texts["monitoring"],
                    components=texts["components"],
                    source=d.label,
                )
            )
        return rows

    def result(self, source: str) -> ParsedPlan:
        """The parsed plan; in strict mode (CSV/XLSX) any unreadable row fails the whole file."""
        rows = self.finish()
        if not self.seen_header:
            raise PlanImportError(
                "ไม่พบหัวตารางมาตรการ: ต้องมีคอลัมน์ «มาตรการ/กิจกรรม» และอย่างน้อยหนึ่งใน "
                "«ลำดับ», «ตัวชี้วัด», «ขั้นตอน/วิธีการปฏิบัติ», «ผู้รับผิดชอบ», «ระยะเวลาดำเนินการ» "
                "(ดูแบบฟอร์มจาก itabot template)"
            )
        if self.errors and self.strict:
            shown = self.errors[:10]
            more = f"\n…และอีก {len(self.errors) - 10} แถว" if len(self.errors) > 10 else ""
            raise PlanImportError("ไฟล์นี้ยังนำเข้าไม่ได้ (ไม่มีการเปลี่ยนแปลงใด ๆ):\n- " + "\n- ".join(shown) + more)
        if not rows:
            raise PlanImportError("พบหัวตารางแต่ไม่มีมาตรการในตาราง")
        skipped = [f"{e} — ข้ามแถวนี้" for e in self.errors]
        columns, shapes = understand_columns(self.header_log, self.header_columns, self.samples)
        return ParsedPlan(rows=rows, problems=skipped + self.notes, source=source, sections=self.sections,
                          columns=columns, shapes=shapes)
