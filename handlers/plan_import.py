"""Plan import: read a measure table (CSV, XLSX, DOCX), preview it in Thai and save it with stable ids."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from domain.fiscal import to_arabic_digits
from domain.indicators import IndicatorRef, indicator_ref, split_components
from storage.clock import Clock
from storage.models import Measure, Organization, Unit, new_id, now_iso, to_dict
from storage.repository import Repository

from .plan_blocks import ColumnChoice, MappingNeeded
from .plan_preview import preview_text
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
from .sheet_import import parse_csv_bytes, parse_xlsx_bytes
from .units import clean_unit_name, match_unit, unit_key, unit_label

__all__ = [
    "MAX_IMPORT_BYTES",
    "MAX_UNZIPPED_BYTES",
    "ColumnChoice",
    "MappingNeeded",
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
    "parse_csv_bytes",
    "parse_no",
    "parse_plan_bytes",
    "parse_rounds",
    "parse_section_choice",
    "parse_xlsx_bytes",
    "preview_text",
    "resolve_org",
    "use_sections",
    "TEMPLATE_HEADERS",
]

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_XML_PART_BYTES = 30 * 1024 * 1024  # one XML part parsed whole: a plan's document.xml is a few MB
SECTIONS_SETTING = "import_sections"  # the admin's section choices, kept for the next import
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
            lines.append("ส่วนราชการใหม่: " + ", ".join(self.units_created))
        if self.removed_with_reports:
            lines.append(f"⚠️ มาตรการที่นำออก {self.removed_with_reports} รายการมีรายงานแล้ว (รายงานยังเก็บไว้)")
        return "\n".join(lines)


# ----- dispatch -------------------------------------------------------------------------------
def _kind(data: bytes, filename: str) -> str:
    suffix = PurePath(filename or "").suffix.lower().lstrip(".")
    if suffix in ("csv", "txt", "tsv"):
        return "csv"
    if suffix in ("xlsx", "xlsm", "docx", "doc", "xls", "pdf"):
        return suffix.replace("xlsm", "xlsx")
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if data.startswith(b"PK"):
        return "docx" if b"word/" in data[:65536] else "xlsx"
    raise PlanImportError("รองรับเฉพาะไฟล์ .docx, .pdf, .xlsx และ .csv")


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
                infos = archive.infolist()
        except (zipfile.BadZipFile, ValueError) as exc:
            raise PlanImportError(f"ไฟล์เสียหรือไม่ใช่ไฟล์ {name}: ลองเปิดแล้วบันทึกใหม่") from exc
        biggest_xml = max((i.file_size for i in infos if i.filename.endswith(".xml")), default=0)
        if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES or biggest_xml > MAX_XML_PART_BYTES:
            raise PlanImportError(f"ไฟล์ {name} ใหญ่เกินไปเมื่อแตกไฟล์: ส่งเฉพาะตารางมาตรการ")


def parse_plan_bytes(
    data: bytes,
    filename: str,
    mappings: dict[str, dict[int, str]] | None = None,
    choice: ColumnChoice | None = None,
) -> ParsedPlan:
    """Read a plan from a .csv, .xlsx, .docx or .pdf file; PlanImportError (Thai) when it cannot be used.

    mappings: the office's remembered column mappings (table shape → 0-based column → role);
    choice: the admin's mapping for this file. MappingNeeded when a document needs one.
    """
    kind = _kind(data, filename)
    check_container(data, kind)
    if choice is not None and kind in ("csv", "xlsx"):
        raise PlanImportError(
            "การเลือกคอลัมน์ใช้กับไฟล์ Word หรือ PDF: ในไฟล์ CSV/Excel ให้ตั้งหัวคอลัมน์ตามแบบฟอร์ม (itabot template)"
        )
    if kind == "csv":
        return parse_csv_bytes(data, filename)
    if kind == "xlsx":
        return parse_xlsx_bytes(data, filename)
    if kind == "pdf":
        from .pdf_import import parse_pdf_bytes

        return parse_pdf_bytes(data, filename, mappings, choice)
    from .docx_import import parse_docx_bytes

    return parse_docx_bytes(data, filename, mappings, choice)


# ----- sections -------------------------------------------------------------------------------
def parse_section_choice(text: str) -> tuple[str, str]:
    """ "งานพัสดุ=กองคลัง" → a section and its division; "งานพัสดุ=" → a unit of its own, not a section."""
    name, sep, parent = text.partition("=")
    name, parent = clean_unit_name(name), clean_unit_name(parent)
    if not sep or not name:
        raise PlanImportError(f"อ่าน «{text}» ไม่ได้: ใช้ «งาน=กอง» เช่น «งานพัสดุ=กองคลัง» หรือ «งานพัสดุ=» ถ้าไม่ใช่งานในกอง")
    return name, parent


def use_sections(parsed: ParsedPlan, choices: dict[str, str]) -> None:
    """Apply the admin's choices (unit key → division name, "" for none) to every row; applying twice is harmless."""
    parsed.section_choices.update(choices)
    for row in parsed.rows:
        for name in list(row.unit_names):
            choice = parsed.section_choices.get(unit_key(name))
            if choice is None:
                continue
            if choice:
                row.unit_parents[name] = choice
            elif name in row.unit_parents:  # not a section after all: its "division" answers too
                division = row.unit_parents.pop(name)
                if unit_key(division) not in {unit_key(n) for n in row.unit_names}:
                    row.unit_names.insert(row.unit_names.index(name) + 1, division)


# ----- saving ---------------------------------------------------------------------------------
def _title_key(title: str) -> str:
    return re.sub(r"[\s\-•*–]+", "", to_arabic_digits(title)).lower()


def _oit_code(measure: Measure) -> str:
    """A measure's OIT item code; data written before codes had their own field kept it as the indicator."""
    return measure.oit_code or (measure.indicator if re.fullmatch(r"o\d+", measure.indicator) else "")


def _key(measure: Measure) -> str:
    return _oit_code(measure) or measure.indicator_no or measure.indicator


def _kind_of(indicator: str) -> str:
    return "oit" if re.fullmatch(r"o\d+", indicator) else "plan"


def _match(rows: list[PlanRow], existing: list[Measure]) -> list[Measure | None]:
    """Each row's existing measure: same OIT code, same indicator+title, same no+indicator, then same title."""
    free = list(existing)
    found: list[Measure | None] = [None] * len(rows)
    passes = (
        lambda r, m: _kind_of(r.indicator) == "oit" and r.indicator == _key(m),
        lambda r, m: r.indicator == _key(m) and _title_key(r.title) == _title_key(m.title),
        lambda r, m: r.no == m.no and r.indicator == _key(m),
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


class _Units:
    """The organization's units while a plan is resolved: match, create, alias, and place sections."""

    def __init__(self, repo: Repository, org_id: str, choices: dict[str, str]) -> None:
        self.org_id = org_id
        self.units = repo.list_units(org_id)
        self.choices = choices
        self.created: list[Unit] = []
        self.changed: dict[str, Unit] = {}

    def get(self, name: str) -> Unit:
        """The unit a plan's name means, created when the office has none by that name."""
        name = clean_unit_name(name)
        unit = match_unit(name, self.units)
        if unit is None:
            unit = Unit(id=new_id("u"), org_id=self.org_id, name=name)
            self.units.append(unit)
            self.created.append(unit)
            self.changed[unit.id] = unit
        elif name not in [unit.name, *unit.aliases]:
            unit.aliases.append(name)
            self.changed[unit.id] = unit
        return unit

    def place(self, unit: Unit, division: str) -> None:
        """Put a section in its division: the admin's choice wins, then what the office already has."""
        choice = self.choices.get(unit_key(unit.name))
        wanted = choice if choice is not None else division
        if choice is None and (unit.parent_id or not division):
            return  # known already, or nothing new said
        parent_id = self.get(wanted).id if wanted else ""
        if parent_id != unit.id and parent_id != unit.parent_id:
            unit.parent_id = parent_id
            self.changed[unit.id] = unit

    def label(self, unit: Unit) -> str:
        """ "งานพัสดุ (ใน กองคลัง)" for a section."""
        parent = next((u.name for u in self.units if u.id == unit.parent_id), "")
        return unit_label(unit.name, parent)


def _resolve_units(
    repo: Repository, org_id: str, parsed: ParsedPlan, dry_run: bool
) -> tuple[dict[str, str], list[str]]:
    """Unit name → id, creating the units and divisions the plan names for the first time."""
    stored = repo.get_setting(org_id, SECTIONS_SETTING, {}) or {}
    use_sections(parsed, {**stored, **parsed.section_choices})
    units = _Units(repo, org_id, parsed.section_choices)
    ids: dict[str, str] = {}
    for row in parsed.rows:
        for name in row.unit_names:
            unit = units.get(name)
            units.place(unit, row.unit_parents.get(name, ""))
            ids[unit_key(name)] = unit.id
            parent = next((u for u in units.units if u.id == unit.parent_id), None)
            if parent is not None:  # the preview shows where the office places it
                row.unit_parents[name] = parent.name
    if not dry_run:
        for unit in units.changed.values():
            repo.save_unit(unit)
        if parsed.section_choices != stored:
            repo.set_setting(org_id, SECTIONS_SETTING, dict(parsed.section_choices))
    return ids, [units.label(u) for u in units.created]


def _renumber(measures: list[Measure]) -> None:
    """OIT items follow the plan's own measures: their no is the last plan no + their code number."""
    offset = max((m.no for m in measures if not _oit_code(m)), default=0)
    for m in measures:
        if _oit_code(m):
            m.no = offset + int(_oit_code(m)[1:])


def _measure(row: PlanRow, measure_id: str, unit_ids: dict[str, str]) -> Measure:
    """A plan row as a stored measure, its indicator both as a label for the views and as fields."""
    ref = indicator_ref(row.indicator, row.indicator_name) if row.indicator else IndicatorRef()
    return Measure(
        id=measure_id,
        no=row.no,
        indicator=ref.label,
        title=row.title,
        steps=row.steps,
        unit_ids=[] if row.all_units else list(dict.fromkeys(unit_ids[unit_key(n)] for n in row.unit_names)),
        all_units=row.all_units,
        period=row.period,
        rounds=list(row.rounds),
        analysis=row.analysis,
        monitoring=row.monitoring,
        responsible_text=row.responsible_text,
        components=row.components,
        indicator_no=ref.no,
        indicator_name=ref.name,
        oit_code=ref.oit_code,
        component_list=split_components(row.components) if row.components else [],
    )


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
    in_scope = [m for m in existing if ("oit" if _oit_code(m) else "plan") in scope]
    kept = [m for m in existing if ("oit" if _oit_code(m) else "plan") not in scope]
    unit_ids, result.units_created = _resolve_units(repo, org_id, parsed, dry_run)
    matches = _match(parsed.rows, in_scope)
    measures = [
        _measure(row, old.id if old else new_id("m"), unit_ids)
        for row, old in zip(parsed.rows, matches, strict=True)
    ]
    _renumber(kept + measures)
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
        repo.save_measures(org_id, fiscal_year, sorted(kept + measures, key=lambda m: (m.no, m.id)))
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
