"""The document an approver signs off in chat: the round's PDF, or its Word file when LibreOffice is missing."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from storage.evidence import EvidenceStore

from .compile import RoundReport
from .docx import render_docx
from .options import ReportOptions
from .render import DOCX_MIME, PDF_MIME, RenderedFile, _unique, base_name, pdf_available, to_pdf

__all__ = ["render_for_approval"]

log = logging.getLogger(__name__)


def render_for_approval(report: RoundReport, out_dir: Path, evidence: EvidenceStore | Path | None,
                        options: ReportOptions | None = None) -> RenderedFile:
    """One file for the approver: PDF when possible, else DOCX (a path for evidence crosses to a worker)."""
    options = options or ReportOptions()
    store = evidence if isinstance(evidence, EvidenceStore) else EvidenceStore(evidence)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = _unique(out_dir, base_name(report) + "-approval", (".docx", ".pdf"))
    docx_path = render_docx(report, out_dir / f"{base}.docx", store, options.digits, options)
    if pdf_available():
        try:
            pdf = to_pdf(docx_path, out_dir)
            return RenderedFile(pdf, pdf.name, PDF_MIME, "document")
        except (OSError, RuntimeError, subprocess.TimeoutExpired):  # the Word file still goes out
            log.warning("PDF conversion failed for %s", docx_path.name, exc_info=True)
    return RenderedFile(docx_path, docx_path.name, DOCX_MIME, "document")
