"""`itabot summary`: a round's progress as chat text, or the Word, PDF, Excel, chart or evidence-archive file."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable
from pathlib import Path

from bot.config import make_clock, resolve_data_dir
from domain.fiscal import current_round, fiscal_year_of
from report.archive import render_zip
from report.chart import render_chart
from report.compile import RoundReport, compile_round
from report.docx import render_docx
from report.options import ReportOptions, load_options
from report.render import PDF_MISSING, base_name, pdf_available, to_pdf
from report.text import summary_text
from report.xlsx import render_xlsx
from storage.evidence import EvidenceStore
from storage.models import Unit

from . import Command
from .org import open_for_round

__all__ = ["COMMAND", "find_unit"]

Writer = Callable[[RoundReport, Path, EvidenceStore, str, ReportOptions], Path]


def _pdf(report: RoundReport, path: Path, store: EvidenceStore, digits: str, options: ReportOptions) -> Path:
    """The Word report converted by LibreOffice, written where --out asks."""
    docx_path = render_docx(report, path.with_suffix(".docx"), store, digits, options)
    pdf = to_pdf(docx_path, path.parent)
    if pdf != path:
        pdf.replace(path)
    return path


WRITERS: dict[str, tuple[str, Writer]] = {
    "docx": (".docx", render_docx),
    "pdf": (".pdf", _pdf),
    "xlsx": (".xlsx", lambda report, path, store, digits, _o: render_xlsx(report, path, store, digits)),
    "png": (".png", lambda report, path, _store, digits, _o: render_chart(report, path, digits)),
    "zip": (".zip", render_zip),
}


def find_unit(units: list[Unit], text: str) -> Unit | None:
    """A unit by id, name or alias, ignoring spaces."""
    key = text.replace(" ", "")
    return next(
        (u for u in units if key in (u.id, u.name.replace(" ", ""), *[a.replace(" ", "") for a in u.aliases])),
        None,
    )


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--round", help="รอบ เช่น 3, ๓, \"รอบ 6\", \"ไตรมาส 1\" (ค่าเริ่มต้น: รอบปัจจุบัน)")
    p.add_argument("--fiscal-year", type=int, help="ปีงบประมาณ พ.ศ. (ค่าเริ่มต้น: ปีของวันนี้)")
    p.add_argument("--unit", help="เฉพาะส่วนราชการนี้ / only this unit")
    p.add_argument("--format", choices=("text", "docx", "pdf", "xlsx", "png", "zip"), default="text",
                   help="รูปแบบ (zip: รายงานพร้อมไฟล์หลักฐานทั้งหมด) / format")
    p.add_argument("--out", help="ไฟล์ที่จะเขียน / output file")
    p.add_argument("--digits", choices=("thai", "arabic"),
                   help="ตัวเลขไทยหรืออารบิก (ค่าเริ่มต้น: ข้อความ=อารบิก, เอกสาร=ตามที่ตั้งไว้ใน itabot org)")
    p.add_argument("--org", help="หน่วยงาน (เมื่อมีหลายหน่วยงาน) / organization")


def _run(args: argparse.Namespace) -> int:
    opened = open_for_round(args)
    if isinstance(opened, int):
        return opened
    repo, org, typed_round = opened
    clock = make_clock(args.today)
    today = clock.today()
    fiscal_year = args.fiscal_year or fiscal_year_of(today)
    if fiscal_year < 2400:
        print(f"ปีงบประมาณต้องเป็น พ.ศ. เช่น {fiscal_year_of(today)}", file=sys.stderr)
        return 2
    if not repo.list_measures(org.id, fiscal_year):
        years = ", ".join(str(y) for y in repo.fiscal_years(org.id)) or "-"
        print(f"ยังไม่มีแผนมาตรการของปีงบประมาณ {fiscal_year} (มีแผนของปี: {years})", file=sys.stderr)
        return 2
    unit_id = None
    if args.unit:
        units = repo.list_units(org.id)
        unit = find_unit(units, args.unit)
        if unit is None:
            print(f"ไม่พบส่วนราชการ \"{args.unit}\" (มี: {', '.join(u.name for u in units)})", file=sys.stderr)
            return 2
        unit_id = unit.id
    round_no = typed_round or current_round(today).months
    report = compile_round(repo, org.id, fiscal_year, round_no, clock.now(), unit_id)
    data_dir = resolve_data_dir(args.data_dir)
    return _output(args, report, EvidenceStore(data_dir / "evidence"), data_dir, load_options(repo, org.id))


def _output(args: argparse.Namespace, report: RoundReport, store: EvidenceStore, data_dir: Path,
            options: ReportOptions) -> int:
    """Text to stdout (or --out); a document to --out or to the exports folder, printing its path."""
    if args.format == "text":
        text = summary_text(report, digits=args.digits or "arabic")
        if not args.out:
            print(text)
            return 0
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
        print(out)
        return 0
    if args.format == "pdf" and not pdf_available():
        print(PDF_MISSING, file=sys.stderr)
        return 1
    ext, writer = WRITERS[args.format]
    out = Path(args.out) if args.out else data_dir / "exports" / report.org.id / f"{base_name(report)}{ext}"
    try:
        problem = _write(writer, report, out, store, args.digits or options.digits, options)
    except RuntimeError as exc:  # LibreOffice could not convert
        print(f"สร้าง PDF ไม่สำเร็จ: {exc}", file=sys.stderr)
        return 1
    if problem:
        print(f"เขียนไฟล์ {out} ไม่ได้: {problem}", file=sys.stderr)
        return 1
    print(out)
    return 0


def _write(writer: Writer, report: RoundReport, out: Path, store: EvidenceStore, digits: str,
           options: ReportOptions) -> str:
    """Write the document; "" when done, else why not in Thai (a full disk, no permission …), once."""
    from bot.cli import _OS_HINTS

    hook = sys.unraisablehook
    sys.unraisablehook = lambda _unraisable: None  # a half-written zip fails again when freed: one line is enough
    try:
        try:
            writer(report, out, store, digits, options)
        except OSError as exc:
            return _OS_HINTS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        return ""
    finally:
        gc.collect()
        sys.unraisablehook = hook


COMMAND = Command(
    name="summary",
    help="สรุปผลรอบรายงาน (ข้อความ, Word, PDF, Excel, กราฟ, zip หลักฐาน) / a round's progress report",
    add_arguments=_add_arguments,
    run=_run,
    order=40,
)
