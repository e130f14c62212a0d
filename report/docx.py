"""The official-form Word report: header and footer on every page, measure tables by indicator, totals,
the signature path and the annexes (full answers, photos). The parts live in report/docx_*.py."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from storage.evidence import EvidenceStore

from .compile import RoundReport
from .docx_annex import collect_photos, downscale_photo, render_annexes
from .docx_parts import approval_note, page_setup, signatures, title_block, totals
from .docx_progress import Annex
from .docx_table import OIT_HEADERS, PLAN_HEADERS, render_tables
from .options import ReportOptions

__all__ = ["OIT_HEADERS", "PLAN_HEADERS", "downscale_photo", "render_docx"]


def render_docx(report: RoundReport, path: Path, evidence: EvidenceStore, digits: str | None = None,
                options: ReportOptions | None = None) -> Path:
    """Write the round's official progress report as a .docx file (digits: the office's choice unless given)."""
    options = options or ReportOptions()
    style = digits or options.digits
    doc = Document()
    page_setup(doc, report, style)
    title_block(doc, report, options, style)
    annex = Annex(marks=report.marks)
    photos = collect_photos(report, evidence, annex, style)
    render_tables(doc, report.rows, annex, style)
    totals(doc, report, style)
    signatures(doc, options.signers_for(report.org), approval_note(report, style))
    render_annexes(doc, report, annex, photos, style)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
