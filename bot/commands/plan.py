"""`itabot import`, `itabot plan` and `itabot template`: load, show and start a measure plan."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from bot.config import make_clock, resolve_data_dir
from bot.store import open_store
from domain.fiscal import fiscal_year_of
from domain.ownership import top_units
from handlers.plan_import import (
    MAX_IMPORT_BYTES,
    TEMPLATE_HEADERS,
    ColumnChoice,
    MappingNeeded,
    ParsedPlan,
    PlanImportError,
    apply_plan,
    ensure_org,
    parse_plan_bytes,
    parse_section_choice,
    preview_text,
    resolve_org,
    use_sections,
)
from handlers.plan_mapping import parse_columns, remember_mapping, role_help, stored_mappings, tables_text
from handlers.samples import TEMPLATES, template_plan
from handlers.units import unit_label
from storage.models import Unit

from . import Command

__all__ = ["COMMANDS"]


def _fiscal_year(args: argparse.Namespace) -> int:
    """--fiscal-year, else the fiscal year of --today (or of today)."""
    if args.fiscal_year is not None:
        if not 2500 <= args.fiscal_year <= 2700:
            raise PlanImportError(f"ปีงบประมาณ {args.fiscal_year} ไม่ถูกต้อง: ใช้ปี พ.ศ. เช่น 2569")
        return int(args.fiscal_year)
    return fiscal_year_of(make_clock(args.today).today())


def _read(args: argparse.Namespace) -> bytes:
    """The plan file's bytes, refused before reading when it is too big."""
    path = Path(args.file)
    try:
        size = path.stat().st_size
        if size > MAX_IMPORT_BYTES:
            raise PlanImportError(
                f"ไฟล์ใหญ่เกินไป ({size / 1048576:.1f} MB) รับได้ไม่เกิน {MAX_IMPORT_BYTES // 1048576} MB"
            )
        return path.read_bytes()
    except OSError as exc:
        raise PlanImportError(f"เปิดไฟล์ {path} ไม่ได้: {exc.strerror or exc}") from exc


def _ask(prompt: str) -> str:
    """One answer from the terminal; end of input or Ctrl+C is an empty answer."""
    try:
        return input(prompt).strip()
    except (EOFError, KeyboardInterrupt):
        print()
        return ""


def _mapping_step(args: argparse.Namespace, exc: MappingNeeded) -> ColumnChoice:
    """Show the tables found; on a terminal ask which table and columns, else say how to choose and stop."""
    print(tables_text(exc.tables))
    example = f"itabot import {Path(args.file).name} --table {exc.tables[0].number} --columns title=2,responsible=3"
    if not sys.stdin.isatty():
        raise PlanImportError(f"{exc}\nเลือกแล้วสั่งใหม่ เช่น\n  {example}\nบทบาทของคอลัมน์: {role_help()}")
    print(f"{exc}\nบทบาทของคอลัมน์: {role_help()}")
    table = _ask("ตารางที่ (เลข, เว้นว่างเพื่อยกเลิก): ")
    if not table:
        raise PlanImportError("ยกเลิกแล้ว ยังไม่ได้นำเข้า")
    if not table.isdigit():
        raise PlanImportError(f"«{table}» ไม่ใช่เลขตาราง")
    columns = _ask("คอลัมน์ (เช่น title=2,responsible=3,period=4): ")
    return ColumnChoice(int(table), parse_columns(columns))


def _load(args: argparse.Namespace, mappings: dict[str, dict[int, str]]) -> ParsedPlan:
    """The plan from the file (with the admin's or the office's remembered column mapping) or the template."""
    if bool(args.file) == bool(args.template):
        raise PlanImportError("ระบุไฟล์แผน หรือ --template อย่างใดอย่างหนึ่ง")
    if args.template:
        return template_plan(args.template)
    if args.table is not None and not args.columns:
        raise PlanImportError("--table ใช้คู่กับ --columns เช่น --table 2 --columns title=3,responsible=5")
    data, name = _read(args), Path(args.file).name
    choice = None
    if args.columns:
        columns = parse_columns(args.columns)
        table = args.table
        if table is None:  # correcting how an understood document was read: its first measure table
            understood = parse_plan_bytes(data, name, mappings)
            if not understood.columns:
                raise PlanImportError("ระบุ --table ด้วย เช่น --table 1")
            table = understood.columns[0].table
        choice = ColumnChoice(table, columns)
    try:
        return parse_plan_bytes(data, name, mappings, choice)
    except MappingNeeded as exc:
        return parse_plan_bytes(data, name, mappings, _mapping_step(args, exc))


def _confirm() -> bool:
    """Ask on the terminal; end of input or Ctrl+C is a no."""
    try:
        return input("นำเข้าแผนนี้หรือไม่? (y/N) ").strip().lower() in ("y", "yes", "ใช่")
    except (EOFError, KeyboardInterrupt):
        print()
        return False


FIRST_IMPORT = ("ยังไม่มีหน่วยงานในโฟลเดอร์ข้อมูลนี้: การนำเข้าครั้งแรกต้องระบุชื่อหน่วยงาน เช่น "
                "--org \"องค์การบริหารส่วนตำบลคำเนียม\"")
PREVIEW_ONLY = "นี่เป็นเพียงตัวอย่าง ยังไม่ได้นำเข้า: สั่งคำสั่งเดิมอีกครั้งพร้อม --yes เพื่อนำเข้า"


def _section_hint(parsed: ParsedPlan) -> str:
    """How to correct a section the import guessed, with the names of this plan."""
    pairs = sorted({(n, r.unit_parents[n]) for r in parsed.rows for n in r.unit_names if n in r.unit_parents})
    if not pairs:
        return ""
    name, division = pairs[0]
    return (
        f"ถ้า «{name}» ไม่ใช่งานใน {division} สั่งใหม่พร้อม --section '{name}=' "
        f"(หรือ --section '{name}=ชื่อกอง' เพื่อย้ายไปกองอื่น); itabot จำไว้ใช้กับการนำเข้าครั้งต่อไป"
    )


def _run_import(args: argparse.Namespace) -> int:
    """Preview the plan; import it after a yes on the terminal or with --yes; a first import needs --org."""
    clock = make_clock(args.today)
    repo = open_store(resolve_data_dir(args.data_dir), args)
    try:
        fiscal_year = _fiscal_year(args)
        org = resolve_org(repo, args.org)
        parsed = _load(args, stored_mappings(repo, org.id) if org else {})
        use_sections(parsed, dict(parse_section_choice(c) for c in args.section or ()))
        changes = apply_plan(repo, org.id, fiscal_year, parsed, dry_run=True) if org else None
        print(preview_text(parsed, fiscal_year, changes))
        hint = _section_hint(parsed)
        if hint:
            print(hint)
        if org is None and not args.org:
            print(FIRST_IMPORT, file=sys.stderr)
            return 2
        if not args.yes:
            if not sys.stdin.isatty():  # a script or a pipe: the preview is the whole answer
                print(PREVIEW_ONLY)
                return 0
            if not _confirm():
                print("ยกเลิกแล้ว ยังไม่ได้นำเข้า", file=sys.stderr)
                return 1
        org = ensure_org(repo, args.org, clock)
        result = apply_plan(repo, org.id, fiscal_year, parsed)
        remember_mapping(repo, org.id, parsed.mapping)
        if parsed.mapping:
            print("จำการอ่านคอลัมน์นี้ไว้แล้ว: เอกสารปีหน้าที่ตารางแบบเดียวกันจะนำเข้าได้เอง")
        print(f"✅ นำเข้าแล้ว → {org.name}\n{result.text()}")
        return 0
    except PlanImportError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        repo.close()


def _add_import(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", help="ไฟล์แผน .docx / .pdf / .xlsx / .csv")
    p.add_argument("--table", type=int, help="ตารางที่จะอ่าน (เลขจากขั้นเลือกคอลัมน์) / table number to read")
    p.add_argument(
        "--columns",
        metavar="title=3,responsible=5",
        help="คอลัมน์ใดเป็นอะไร (เลขคอลัมน์เริ่มที่ 1) จำไว้ใช้กับเอกสารแบบเดียวกันครั้งต่อไป / "
        "which column is what (1-based); remembered for documents of the same shape",
    )
    p.add_argument("--org", help="ชื่อหน่วยงาน (ต้องระบุในการนำเข้าครั้งแรก) / organization name (needed the first time)")
    p.add_argument("--fiscal-year", type=int, help="ปีงบประมาณ พ.ศ. / fiscal year (BE), default: current")
    p.add_argument("--template", choices=sorted(TEMPLATES), help="นำเข้าแม่แบบที่มากับโปรแกรม / shipped template")
    p.add_argument("--yes", action="store_true", help="นำเข้าโดยไม่ถาม (ไม่มี --yes และไม่ใช่เทอร์มินัล: แสดงตัวอย่างเท่านั้น) / import without asking")
    p.add_argument(
        "--section",
        action="append",
        metavar="งาน=กอง",
        help="งานนี้อยู่ในกองใด เช่น 'งานพัสดุ=กองคลัง'; 'งานพัสดุ=' ถ้าไม่ใช่งานในกอง (ใช้ซ้ำได้) / "
        "a section's division, empty for a unit of its own (repeatable)",
    )


def _measure_json(measure: Any, units: dict[str, Unit]) -> dict[str, Any]:
    """One measure as `itabot plan --json` prints it; a section's division is under "divisions"."""
    ids = [u.id for u in top_units(list(units.values()))] if measure.all_units else measure.unit_ids
    named = [units[i] for i in ids if i in units]
    return {
        "id": measure.id,
        "no": measure.no,
        "indicator": measure.indicator,
        "indicator_no": measure.indicator_no,
        "indicator_name": measure.indicator_name,
        "oit_code": measure.oit_code,
        "title": measure.title,
        "units": [u.name for u in named],
        "divisions": {u.name: units[u.parent_id].name for u in named if u.parent_id in units},
        "all_units": measure.all_units,
        "rounds": measure.rounds,
        "period": measure.period,
        "components": measure.component_list,
    }


def _run_plan(args: argparse.Namespace) -> int:
    """Print the plan of a fiscal year as text or JSON."""
    repo = open_store(resolve_data_dir(args.data_dir), args)
    try:
        fiscal_year = _fiscal_year(args)
        org = resolve_org(repo, args.org)
        if org is None:
            print("ยังไม่มีหน่วยงาน: นำเข้าแผนก่อนด้วย itabot import FILE", file=sys.stderr)
            return 1
        measures = repo.list_measures(org.id, fiscal_year)
        units = {u.id: u for u in repo.list_units(org.id)}
        if args.json:
            print(json.dumps([_measure_json(m, units) for m in measures], ensure_ascii=False, indent=2))
            return 0
        if not measures:
            years = ", ".join(str(y) for y in repo.fiscal_years(org.id)) or "-"
            print(f"{org.name}: ยังไม่มีแผนปีงบประมาณ {fiscal_year} (มีแผนของปี: {years})")
            return 0
        print(f"{org.name} — แผนมาตรการ ปีงบประมาณ {fiscal_year}: {len(measures)} รายการ")
        for m in measures:
            item = _measure_json(m, units)
            who = [unit_label(n, item["divisions"].get(n, "")) for n in item["units"]]
            shown = "ทุกส่วนราชการ" if m.all_units else ", ".join(who) or "-"
            rounds = ", ".join(str(r) for r in m.rounds)
            print(f"{m.no}. [{m.indicator or '-'}] {m.title}\n   {shown} · รอบ {rounds} เดือน · id {m.id}")
        return 0
    except PlanImportError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        repo.close()


def _add_plan(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="พิมพ์เป็น JSON / print JSON")
    p.add_argument("--fiscal-year", type=int, help="ปีงบประมาณ พ.ศ. / fiscal year (BE)")
    p.add_argument("--org", help="ชื่อหน่วยงาน / organization name")


def _xlsx_template() -> bytes:
    """An empty workbook with the Thai headers, wide columns and TH Sarabun."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "แผนมาตรการ"
    ws.append(list(TEMPLATE_HEADERS))
    widths = (8, 22, 40, 50, 24, 24, 28)
    for col, width in enumerate(widths, start=1):
        cell = ws.cell(row=1, column=col)
        cell.font = Font(name="TH Sarabun New", size=16, bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[cell.column_letter].width = width
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _run_template(args: argparse.Namespace) -> int:
    """Write the empty import template (CSV to stdout unless --out)."""
    if args.format == "xlsx":
        out = Path(args.out or "plan-template.xlsx")
        out.write_bytes(_xlsx_template())
        print(f"เขียนแบบฟอร์มแล้ว: {out}")
        return 0
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(TEMPLATE_HEADERS)
    if args.out:
        Path(args.out).write_text(buf.getvalue(), encoding="utf-8-sig")
        print(f"เขียนแบบฟอร์มแล้ว: {args.out}")
    else:
        sys.stdout.write(buf.getvalue())
    return 0


def _add_template(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="csv (ค่าเริ่มต้น) หรือ xlsx")
    p.add_argument("--out", help="ไฟล์ที่จะเขียน / output file")


COMMANDS = [
    Command(
        "import",
        "นำเข้าแผนมาตรการจาก .docx/.pdf/.xlsx/.csv / import the measure plan",
        _add_import,
        _run_import,
        20,
    ),
    Command("plan", "แสดงแผนมาตรการ / show the plan's measures", _add_plan, _run_plan, 21),
    Command(
        "template", "แบบฟอร์มนำเข้าแผน (CSV/XLSX) / empty import template", _add_template, _run_template, 22
    ),
]
