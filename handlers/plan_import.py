"""Plan import: read a measure table (CSV, XLSX, DOCX), preview it in Thai and save it with stable ids."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from scheduler.fiscal import to_arabic_digits
from storage.clock import Clock
from storage.models import ROUNDS, Measure, Organization, Unit, new_id, now_iso, to_dict
from storage.repository import Repository

from .units import ALL_UNITS_LABEL, clean_unit_name, match_unit, split_responsible, unit_key

__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_UNZIPPED_BYTES",
    "GridRow",
    "ImportResult",
    "ParsedPlan",
    "PlanImportError",
    "PlanRow",
    "TableReader",
    "apply_plan",
    "clean_text",
    "ensure_org",
    "map_header",
    "parse_indicator",
    "parse_no",
    "parse_plan_bytes",
    "parse_rounds",
    "preview_text",
    "resolve_org",
    "TEMPLATE_HEADERS",
]

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
DEFAULT_ORG_NAME = "หน่วยงานของฉัน"
TEMPLATE_HEADERS = (
    "ลำดับ",
    "ตัวชี้วัด",
    "มาตรการ/กิจกรรม",
    "ขั้นตอน/วิธีการปฏิบัติ",
    "ผู้รับผิดชอบ",
    "ระยะเวลาดำเนินการ",
    "การกำกับติดตาม",
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class PlanImportError(Exception):
    """A file that cannot be imported; the message is Thai and says what to fix."""


@dataclass
class PlanRow:
    """One measure as read from the file, before units get ids."""

    no: int
    indicator: str
    title: str
    steps: str = ""
    responsible_text: str = ""
    unit_names: list[str] = field(default_factory=list)
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


@dataclass
class ImportResult:
    """What an import changed (or, dry run, would change)."""

    org_id: str
    fiscal_year: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    removed_titles: list[str] = field(default_factory=list)
    removed_with_reports: int = 0
    units_created: list[str] = field(default_factory=list)
    measure_ids: list[str] = field(default_factory=list)

    def text(self) -> str:
        """Short Thai summary for chat and CLI."""
        parts = [
            f"เพิ่ม {self.created}",
            f"ปรับปรุง {self.updated}",
            f"เหมือนเดิม {self.unchanged}",
            f"นำออก {self.removed}",
        ]
        lines = [f"มาตรการ ปีงบประมาณ {self.fiscal_year}: " + " · ".join(parts)]
        if self.units_created:
            lines.append("หน่วยงานใหม่: " + ", ".join(self.units_created))
        if self.removed_with_reports:
            lines.append(f"⚠️ มาตรการที่นำออก {self.removed_with_reports} รายการมีรายงานแล้ว (รายงานยังเก็บไว้)")
        return "\n".join(lines)


# ----- cells ----------------------------------------------------------------------------------
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None)


def clean_text(value: Any) -> str:
    """A cell as text: no HTML fragments or invisible marks, single spaces, no blank lines."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _TAG.sub(" ", str(value)).translate(_INVISIBLE).replace("\xa0", " ").replace("\r", "\n")
    lines = (re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", to_arabic_digits(text)).lower()


INDICATOR_NAMES: dict[str, tuple[str, ...]] = {
    "1": ("การปฏิบัติหน้าที่",),
    "2": ("การใช้งบประมาณ",),
    "3": ("การใช้อำนาจ",),
    "4": ("การใช้ทรัพย์สินของราชการ", "การใช้ทรัพย์สินของทางราชการ"),
    "5": ("การแก้ไขปัญหาการทุจริต", "การแก้ปัญหาการทุจริต"),
    "6": ("คุณภาพการดำเนินงาน",),
    "7": ("ประสิทธิภาพการสื่อสาร",),
    "8": ("การปรับปรุงการทำงาน", "การปรับปรุงระบบการทำงาน"),
    "9": ("การเปิดเผยข้อมูล",),
    "10": ("การป้องกันการทุจริต",),
}
_OIT_CODE = re.compile(r"^(?:ข้อ)?(?:o\.?|0)(\d{1,2})(?![\d.])")
_IND_NUMBER = re.compile(r"^(?:ตัวชี้วัด(?:ย่อย)?(?:ที่)?)?\(?(\d{1,3})(?:\.\d+)?\)?(?=[^\d]|$)")


def parse_indicator(text: str) -> str | None:
    """ "1. การปฏิบัติ หน้าที่" → "1", "o12"/"๐๑๒" → "o12"; None when it names no indicator."""
    compact = _compact(clean_text(text))
    if not compact:
        return None
    oit = _OIT_CODE.match(compact)
    if oit and int(oit.group(1)) > 0:
        return f"o{int(oit.group(1))}"
    num = _IND_NUMBER.match(compact)
    if num:
        n = int(num.group(1))
        return str(n) if 1 <= n <= 10 else None
    for key, names in INDICATOR_NAMES.items():
        if any(compact.startswith(name) or compact.startswith("ตัวชี้วัด" + name) for name in names):
            return key
    return None


def infer_indicator(*texts: str) -> str:
    """The indicator a measure's own text cites ("จากผลการประเมิน ITA ตัวชี้วัดที่ ๙.๔ …"), or ""."""
    for text in texts:
        found = re.search(r"ตัวชี้วัด(?:ย่อย)?ที่(\d{1,2})", _compact(text))
        if found and 1 <= int(found.group(1)) <= 10:
            return found.group(1)
    return ""


def parse_no(text: str) -> int | None:
    """ "๑", "1.", "(1)", "ข้อ 3", "๐๑๒" → the number; None when the cell holds none."""
    found = re.match(r"^(?:ข้อ|ลำดับ(?:ที่)?|no\.?)?\(?o?(\d{1,4})[.)]?$", _compact(clean_text(text)))
    return int(found.group(1)) if found else None


def _numbers(group: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", group)]


def parse_rounds(text: str) -> tuple[list[int] | None, str]:
    """A การกำกับติดตาม cell → (rounds, note); empty means all four, None means a round that does not exist."""
    t = to_arabic_digits(clean_text(text)).lower()
    if not t:
        return list(ROUNDS), ""
    if re.search(r"ทุกรอบ|ทุกไตรมาส|\bevery\b|\ball\b", t):
        return list(ROUNDS), ""
    found: set[int] = set()
    bad: set[str] = set()
    for m in re.finditer(r"ไตรมาส(?:ที่)?\s*(\d)(?:\s*-\s*(\d))?((?:\s*(?:,|และ|/)\s*\d)*)", t):
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        quarters = list(range(first, last + 1)) + _numbers(m.group(3))
        for q in quarters:
            (found.add(q * 3) if 1 <= q <= 4 else bad.add(f"ไตรมาส {q}"))
    for m in re.finditer(r"รอบ(ที่)?\s*((?:\d+\s*(?:,|และ|/|หรือ|\s)\s*)*\d+)\s*(เดือน)?", t):
        for n in _numbers(m.group(2)):
            if m.group(1) and not m.group(3) and 1 <= n <= 4:
                found.add(n * 3)
            elif n in ROUNDS:
                found.add(n)
            else:
                bad.add(f"รอบ {n}")
    found.update(int(n) for n in re.findall(r"(\d+)\s*เดือน", t) if int(n) in ROUNDS)
    if re.fullmatch(r"[\d\s,/และ]+", t):
        for n in _numbers(t):
            (found.add(n) if n in ROUNDS else bad.add(str(n)))
    if bad:
        return None, f"ไม่มี {', '.join(sorted(bad))} (ใช้ได้เฉพาะรอบ 3, 6, 9, 12 เดือน)"
    if not found:
        return list(ROUNDS), "ไม่ระบุรอบ จึงติดตามทุกรอบ (3, 6, 9, 12 เดือน)"
    return sorted(found), ""


# ----- headers --------------------------------------------------------------------------------
_IGNORE = (
    "สรุปผล",
    "ผลลัพธ์",
    "ความก้าวหน้า",
    "ผลการดำเนินการ",
    "คะแนน",
    "หมายเหตุ",
    "หลักฐาน",
    "งบประมาณ",
    "ความสำเร็จ",
)
_HEADER_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    # (field, Thai fragments the header contains, English names it equals)
    ("ignore", _IGNORE, ("result", "results", "progress", "score", "budget", "note", "notes")),
    ("analysis", ("วิเคราะห์",), ("analysis",)),
    ("monitoring", ("กำกับ", "ติดตาม"), ("rounds", "round", "monitoring")),
    ("responsible", ("รับผิดชอบ",), ("responsible", "unit", "units", "owner")),
    ("period", ("ระยะเวลา",), ("period", "timeline", "duration")),
    ("steps", ("ขั้นตอน", "วิธีดำเนินการ", "วิธีการ", "วิธีปฏิบัติ"), ("steps", "method", "how")),
    ("components", ("องค์ประกอบ",), ("components",)),
    ("indicator", ("ตัวชี้วัด",), ("indicator", "kpi")),
    ("title", ("มาตรการ", "กิจกรรม", "โครงการ"), ("measure", "title", "activity", "ข้อมูล", "รายการ")),
    ("title2", ("แนวทาง",), ()),
    ("no", (), ("ลำดับ", "ลำดับที่", "ข้อ", "ที่", "no", "no.", "#", "item")),
)
_MAX_HEADER_CHARS = 60


def header_field(text: str) -> str | None:
    """Which plan field a header cell names, "ignore" for progress/score columns, None if unknown."""
    compact = _compact(text).strip(":*")
    if not compact or len(compact) > _MAX_HEADER_CHARS:
        return None
    for name, fragments, exact in _HEADER_RULES:
        if compact in exact or any(f in compact for f in fragments):
            return name
    return None


def map_header(cells: list[str], strong: bool = False) -> dict[int, str] | None:
    """Column → field when the row is a measure-table header (a title column and one more), else None.

    strong: inside a table, only a row that is clearly a header (a repeated one) counts, not a data row.
    """
    filled = [(i, c) for i, c in enumerate(cells) if c.strip()]
    if len(filled) < (3 if strong else 2):
        return None
    mapping: dict[int, str] = {}
    for i, text in filled:
        name = header_field(text)
        if name is None:
            continue
        if name != "ignore" and name in mapping.values():
            name = "ignore"
        mapping[i] = name
    if (4 * len(mapping) < 3 * len(filled)) if strong else (2 * len(mapping) < len(filled)):
        return None
    if "title2" in mapping.values():
        col = next(i for i, n in mapping.items() if n == "title2")
        mapping[col] = "steps" if "title" in mapping.values() and "steps" not in mapping.values() else "title"
        if list(mapping.values()).count("title") > 1:
            mapping[col] = "ignore"
    fields = set(mapping.values())
    if "title" not in fields or not fields & {
        "no",
        "indicator",
        "steps",
        "responsible",
        "period",
        "components",
    }:
        return None
    return mapping


# ----- the table reader shared by CSV, XLSX and DOCX -----------------------------------------
@dataclass
class GridRow:
    """One table row laid out on the grid, with what merged cells it carries."""

    cells: list[str]
    label: str
    inherited: frozenset[int] = frozenset()  # columns continuing a vertical merge from the row above
    merged_row: bool = False  # one cell spans the whole row: a section heading


_SECTION_WORDS = ("มาตรการ", "ด้าน", "ประเด็น", "ยุทธศาสตร์", "มิติ", "ส่วนที่", "หมวด", "ตัวชี้วัด", "แผนงาน")
_TEXT_FIELDS = ("title", "steps", "analysis", "responsible", "period", "monitoring", "components")


@dataclass
class _Draft:
    """A measure being read: raw cell texts, finished once the table ends (continuations may follow)."""

    no: int
    indicator: str
    label: str
    texts: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)
    skipped: bool = False  # an unreadable row: its continuation rows are absorbed, not reported again


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
        self._group_indicator = ""
        self._after_header = False

    def start_table(self, continues: bool) -> None:
        """A new table: it keeps the header only when it continues the previous one across a page."""
        if not continues:
            self.columns, self._current, self._group_indicator = None, None, ""
        self._fresh = True

    def _fail(self, label: str, field_name: str, what: str) -> None:
        column = self.headers.get(field_name, field_name)
        self.errors.append(f"{label} คอลัมน์ «{column}»: {what}")

    def feed(self, row: GridRow) -> None:
        """Read one row."""
        header = map_header(row.cells, strong=self.columns is not None)
        if header is not None:
            self.columns, self.seen_header, self._fresh = header, True, True
            self.headers = {f: re.sub(r"\s+", " ", row.cells[i]).strip() for i, f in header.items()}
            self._after_header = True
            return
        if self.columns is None or not any(c.strip() for c in row.cells):
            return
        values: dict[str, str] = {}
        own: dict[str, str] = {}
        for col, name in self.columns.items():
            if name == "ignore" or col >= len(row.cells):
                continue
            text = clean_text(row.cells[col])
            values[name] = text
            if col not in row.inherited:
                own[name] = text
        if self._after_header and _is_subheader(row, self.columns):
            return
        self._classify(row, values, {k: v for k, v in own.items() if v})
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
                indicator = parse_indicator(text) if name == "indicator" or row.merged_row else None
                if indicator and not indicator.startswith("o"):
                    self._group_indicator = indicator
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
        indicator = parse_indicator(ind_text) if ind_text else ""
        if indicator is None:
            self._fail(
                row.label, "indicator", f"อ่านตัวชี้วัด «{ind_text[:40]}» ไม่ได้ (ใช้ 1–10 หรือรหัส OIT เช่น o12)"
            )
            self._current = _Draft(no=0, indicator="", label=row.label, texts={}, skipped=True)
            return
        if not indicator and no_text and _OIT_CODE.match(_compact(no_text)):
            indicator = f"o{no}"
        if not indicator and "indicator" in (self.columns or {}).values():
            indicator = self._group_indicator or (previous.indicator if previous else "")
        texts = {name: values.get(name, "") for name in _TEXT_FIELDS}
        if not texts["title"]:
            self._fail(row.label, "title", "ไม่มีชื่อมาตรการ/กิจกรรม")
            self._current = _Draft(no=0, indicator="", label=row.label, texts={}, skipped=True)
            return
        if not indicator:
            indicator = infer_indicator(texts["title"], texts["analysis"], texts["steps"])
        self._current = _Draft(
            no=no, indicator=indicator, label=row.label, texts=texts, headers=dict(self.headers)
        )
        self.drafts.append(self._current)

    def finish(self) -> list[PlanRow]:
        """The measures read, with units and rounds parsed from their complete cells."""
        rows: list[PlanRow] = []
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
            names, all_units = split_responsible(texts["responsible"])
            if not names and not all_units:
                self.notes.append(f"{d.label}: ไม่มีผู้รับผิดชอบ — ยังไม่มีหน่วยงานใดต้องรายงานมาตรการนี้")
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
                    unit_names=names,
                    all_units=all_units,
                    period=texts["period"],
                    rounds=rounds,
                    analysis=texts["analysis"],
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
        return ParsedPlan(rows=rows, problems=skipped + self.notes, source=source, sections=self.sections)


# ----- CSV and XLSX ---------------------------------------------------------------------------
def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp874"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlanImportError("อ่านตัวอักษรในไฟล์ CSV ไม่ได้: บันทึกเป็น CSV UTF-8 แล้วลองใหม่")


def _csv_rows(data: bytes) -> Iterator[GridRow]:
    text = _decode(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        for i, cells in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
            yield GridRow(cells=cells, label=f"แถวที่ {i}")
    except csv.Error as exc:
        raise PlanImportError(f"ไฟล์ CSV ผิดรูปแบบ: {exc}") from exc


def parse_csv_bytes(data: bytes, filename: str = "plan.csv") -> ParsedPlan:
    """A CSV measure table (UTF-8 or Windows Thai); any bad row fails the whole file."""
    reader = TableReader(strict=True)
    reader.start_table(continues=False)
    for row in _csv_rows(data):
        reader.feed(row)
    return reader.result(filename)


def _sheet_rows(ws: Any, prefix: str) -> Iterator[GridRow]:
    """A worksheet as grid rows; merged ranges become inherited (vertical) or section (whole-row) cells."""
    below: dict[tuple[int, int], tuple[int, int]] = {}
    whole_rows: set[int] = set()
    width = ws.max_column or 0
    for rng in ws.merged_cells.ranges:
        if rng.min_row == rng.max_row and rng.max_col - rng.min_col + 1 >= max(width - 1, 2):
            whole_rows.add(rng.min_row)
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if (r, c) != (rng.min_row, rng.min_col):
                    below[(r, c)] = (rng.min_row, rng.min_col) if c == rng.min_col else (-1, -1)
    values: dict[tuple[int, int], str] = {}
    for r, row in enumerate(ws.iter_rows(values_only=True), start=1):
        cells: list[str] = []
        inherited: set[int] = set()
        for c, value in enumerate(row, start=1):
            origin = below.get((r, c))
            if origin is None:
                text = clean_text(value)
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
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
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
        except Exception as exc:  # chart sheets and odd cells must not stop the bot
            raise PlanImportError(f"อ่านแผ่นงาน «{ws.title}» ไม่ได้: บันทึกเป็น .xlsx ใหม่แล้วลองอีกครั้ง") from exc
        if reader.seen_header:
            return reader.result(filename)
    return TableReader(strict=True).result(filename)


# ----- dispatch -------------------------------------------------------------------------------
def _kind(data: bytes, filename: str) -> str:
    suffix = PurePath(filename or "").suffix.lower().lstrip(".")
    if suffix in ("csv", "txt", "tsv"):
        return "csv"
    if suffix in ("xlsx", "xlsm", "docx", "doc", "xls"):
        return suffix.replace("xlsm", "xlsx")
    if data.startswith(b"PK"):
        return "docx" if b"word/" in data[:65536] else "xlsx"
    raise PlanImportError("รองรับเฉพาะไฟล์ .docx, .xlsx และ .csv")


def check_container(data: bytes, kind: str) -> None:
    """Size, password and old-format checks every file passes before it is opened."""
    if len(data) > MAX_IMPORT_BYTES:
        raise PlanImportError(
            f"ไฟล์ใหญ่เกินไป ({len(data) / 1048576:.1f} MB) รับได้ไม่เกิน {MAX_IMPORT_BYTES // 1048576} MB: "
            "ลบรูปภาพออกหรือส่งเฉพาะตารางมาตรการ"
        )
    if not data.strip():
        raise PlanImportError("ไฟล์ว่างเปล่า")
    if data.startswith(_OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
            raise PlanImportError("ไฟล์มีรหัสผ่าน: เปิดไฟล์แล้วบันทึกใหม่โดยไม่ตั้งรหัสผ่าน แล้วส่งอีกครั้ง")
        raise PlanImportError("ไฟล์ .doc/.xls รุ่นเก่ายังอ่านไม่ได้: บันทึกเป็น .docx หรือ .xlsx แล้วส่งอีกครั้ง")
    if kind in ("doc", "xls"):
        raise PlanImportError("ไฟล์ .doc/.xls รุ่นเก่ายังอ่านไม่ได้: บันทึกเป็น .docx หรือ .xlsx แล้วส่งอีกครั้ง")
    if kind in ("docx", "xlsx"):
        name = "Word (.docx)" if kind == "docx" else "Excel (.xlsx)"
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, ValueError) as exc:
            raise PlanImportError(f"ไฟล์เสียหรือไม่ใช่ไฟล์ {name}: ลองเปิดแล้วบันทึกใหม่") from exc
        if unpacked > MAX_UNZIPPED_BYTES:
            raise PlanImportError(f"ไฟล์ {name} ใหญ่เกินไปเมื่อแตกไฟล์: ส่งเฉพาะตารางมาตรการ")


def parse_plan_bytes(data: bytes, filename: str) -> ParsedPlan:
    """Read a plan from a .csv, .xlsx or .docx file; PlanImportError (Thai) when it cannot be used."""
    kind = _kind(data, filename)
    check_container(data, kind)
    if kind == "csv":
        return parse_csv_bytes(data, filename)
    if kind == "xlsx":
        return parse_xlsx_bytes(data, filename)
    from .docx_import import parse_docx_bytes

    return parse_docx_bytes(data, filename)


# ----- preview --------------------------------------------------------------------------------
def _indicator_label(code: str) -> str:
    return code if code else "ไม่ระบุ"


def preview_text(
    parsed: ParsedPlan, fiscal_year: int, changes: ImportResult | None = None, limit: int = 15
) -> str:
    """Thai preview: counts per indicator and unit, rounds, and every row that could not be read."""
    rows = parsed.rows
    lines = [f"📄 {parsed.source or 'แผน'} → ปีงบประมาณ {fiscal_year}", f"พบมาตรการ {len(rows)} รายการ"]
    by_ind = Counter(r.indicator for r in rows if not r.indicator.startswith("o"))
    oit = sorted((r.indicator for r in rows if r.indicator.startswith("o")), key=lambda c: int(c[1:]))
    parts = [
        f"{_indicator_label(k)}: {n}" for k, n in sorted(by_ind.items(), key=lambda kv: _ind_order(kv[0]))
    ]
    if oit:
        parts.append(f"OIT {oit[0]}–{oit[-1]}: {len(oit)}")
    lines.append("ตามตัวชี้วัด — " + " · ".join(parts))
    by_unit: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for r in rows:
        for name in [ALL_UNITS_LABEL] if r.all_units else (r.unit_names or ["ไม่มีผู้รับผิดชอบ"]):
            shown.setdefault(unit_key(name), name)
            by_unit[unit_key(name)] += 1
    lines.append("ตามหน่วยงาน — " + " · ".join(f"{shown[k]}: {n}" for k, n in by_unit.most_common()))
    by_round = Counter(n for r in rows for n in r.rounds)
    lines.append("รอบที่ต้องรายงาน — " + " · ".join(f"{m} เดือน: {by_round.get(m, 0)}" for m in ROUNDS))
    if parsed.sections:
        lines.append(
            f"หัวข้อกลุ่ม (ไม่นับเป็นมาตรการ) {len(parsed.sections)}: "
            + ", ".join(_short(s) for s in parsed.sections[:5])
        )
    if changes is not None:
        lines.append(
            f"เทียบกับแผนเดิม — เพิ่ม {changes.created} · ปรับปรุง {changes.updated} · "
            f"เหมือนเดิม {changes.unchanged} · นำออก {changes.removed}"
        )
        if changes.removed_with_reports:
            lines.append(f"⚠️ นำออก {changes.removed_with_reports} รายการที่มีรายงานแล้ว (รายงานยังเก็บไว้)")
    if parsed.problems:
        lines.append(f"⚠️ ข้อควรตรวจ {len(parsed.problems)} รายการ:")
        lines.extend(f"- {p}" for p in parsed.problems[:limit])
        if len(parsed.problems) > limit:
            lines.append(f"…และอีก {len(parsed.problems) - limit} รายการ")
    return "\n".join(lines)


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _ind_order(code: str) -> tuple[int, int]:
    return (0, int(code)) if code.isdigit() else (1, 0)


# ----- saving ---------------------------------------------------------------------------------
def _title_key(title: str) -> str:
    return re.sub(r"[\s\-•*–]+", "", to_arabic_digits(title)).lower()


def _kind_of(indicator: str) -> str:
    return "oit" if re.fullmatch(r"o\d+", indicator) else "plan"


def _match(rows: list[PlanRow], existing: list[Measure]) -> list[Measure | None]:
    """Each row's existing measure: same OIT code, same indicator+title, same no+indicator, then same title."""
    free = list(existing)
    found: list[Measure | None] = [None] * len(rows)
    passes = (
        lambda r, m: _kind_of(r.indicator) == "oit" and r.indicator == m.indicator,
        lambda r, m: r.indicator == m.indicator and _title_key(r.title) == _title_key(m.title),
        lambda r, m: r.no == m.no and r.indicator == m.indicator,
        lambda r, m: _title_key(r.title) == _title_key(m.title),
    )
    for same in passes:
        for i, row in enumerate(rows):
            if found[i] is not None:
                continue
            hit = next((m for m in free if same(row, m)), None)
            if hit is not None:
                found[i] = hit
                free.remove(hit)
    return found


def _resolve_units(
    repo: Repository, org_id: str, rows: list[PlanRow], dry_run: bool
) -> tuple[dict[str, str], list[str]]:
    """Unit name → id, creating the units the plan names for the first time (other spellings become aliases)."""
    units = repo.list_units(org_id)
    ids: dict[str, str] = {}
    created: list[str] = []
    changed: dict[str, Unit] = {}
    for name in (clean_unit_name(n) for r in rows for n in r.unit_names):
        unit = match_unit(name, units)
        if unit is None:
            unit = Unit(id=new_id("u"), org_id=org_id, name=name)
            units.append(unit)
            created.append(name)
            changed[unit.id] = unit
        elif name not in [unit.name, *unit.aliases]:
            unit.aliases.append(name)
            changed[unit.id] = unit
        ids[unit_key(name)] = unit.id
    if not dry_run:
        for unit in changed.values():
            repo.save_unit(unit)
    return ids, created


def _renumber(measures: list[Measure]) -> None:
    """OIT items follow the plan's own measures: their no is the last plan no + their code number."""
    offset = max((m.no for m in measures if _kind_of(m.indicator) == "plan"), default=0)
    for m in measures:
        if _kind_of(m.indicator) == "oit":
            m.no = offset + int(m.indicator[1:])


def apply_plan(
    repo: Repository, org_id: str, fiscal_year: int, parsed: ParsedPlan, dry_run: bool = False
) -> ImportResult:
    """Save the plan: measures keep their ids when they match, reports are never touched.

    The plan's own measures and the OIT checklist are replaced separately: importing one keeps the other.
    """
    if not parsed.rows:
        raise PlanImportError("ไม่มีมาตรการให้นำเข้า")
    result = ImportResult(org_id=org_id, fiscal_year=fiscal_year)
    existing = repo.list_measures(org_id, fiscal_year)
    scope = {_kind_of(r.indicator) for r in parsed.rows}
    in_scope = [m for m in existing if _kind_of(m.indicator) in scope]
    kept = [m for m in existing if _kind_of(m.indicator) not in scope]
    unit_ids, result.units_created = _resolve_units(repo, org_id, parsed.rows, dry_run)
    matches = _match(parsed.rows, in_scope)
    measures: list[Measure] = []
    for row, old in zip(parsed.rows, matches, strict=True):
        measure = Measure(
            id=old.id if old else new_id("m"),
            no=row.no,
            indicator=row.indicator,
            title=row.title,
            steps=row.steps,
            unit_ids=[]
            if row.all_units
            else list(dict.fromkeys(unit_ids[unit_key(n)] for n in row.unit_names)),
            all_units=row.all_units,
            period=row.period,
            rounds=list(row.rounds),
            analysis=row.analysis,
            monitoring=row.monitoring,
            responsible_text=row.responsible_text,
            components=row.components,
        )
        measures.append(measure)
    final = kept + measures
    _renumber(final)
    for measure, old in zip(measures, matches, strict=True):
        if old is None:
            result.created += 1
        elif to_dict(old) == to_dict(measure):
            result.unchanged += 1
        else:
            result.updated += 1
    matched_ids = {m.id for m in matches if m is not None}
    gone = [m for m in in_scope if m.id not in matched_ids]
    reported = {e.measure_id for e in repo.list_reports(org_id, fiscal_year)} if gone else set()
    result.removed = len(gone)
    result.removed_titles = [m.title for m in gone]
    result.removed_with_reports = sum(1 for m in gone if m.id in reported)
    result.measure_ids = [m.id for m in measures]
    if not dry_run:
        repo.save_measures(org_id, fiscal_year, sorted(final, key=lambda m: (m.no, m.id)))
    return result


# ----- organization ---------------------------------------------------------------------------
def resolve_org(repo: Repository, name: str | None) -> Organization | None:
    """The organization an import goes to, None when it must be created; several and no name is an error."""
    orgs = repo.list_orgs()
    if name:
        wanted = name.strip()
        return next((o for o in orgs if wanted in (o.id, o.name)), None)
    if len(orgs) > 1:
        names = ", ".join(o.name for o in orgs)
        raise PlanImportError(f"มีหลายหน่วยงานในโฟลเดอร์ข้อมูล ({names}): ระบุ --org ชื่อหน่วยงาน")
    return orgs[0] if orgs else None


def ensure_org(repo: Repository, name: str | None, clock: Clock) -> Organization:
    """The one organization, the named one, or a new one (named by --org, else a placeholder)."""
    org = resolve_org(repo, name)
    if org is None:
        org = Organization(
            id=new_id("o"), name=(name or DEFAULT_ORG_NAME).strip(), created_at=now_iso(clock.now())
        )
        repo.save_org(org)
    return org
