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

from domain.fiscal import to_arabic_digits
from storage.clock import Clock
from storage.models import ROUNDS, Measure, Organization, Unit, new_id, now_iso, to_dict
from storage.repository import Repository

from .plan_table import (
    GridRow,
    ParsedPlan,
    PlanImportError,
    PlanRow,
    TableReader,
    clean_text,
    map_header,
    parse_indicator,
    parse_no,
    parse_rounds,
)
from .units import ALL_UNITS_LABEL, clean_unit_name, match_unit, unit_key

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
    "check_container",
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
