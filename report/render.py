"""Renders one compiled round to every file format at once, with safe unique file names; PDF via LibreOffice."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from storage.evidence import EvidenceStore

from .chart import render_chart
from .compile import RoundReport
from .docx import render_docx
from .fonts import fontconfig_env
from .options import ReportOptions
from .xlsx import render_xlsx

__all__ = [
    "DOCX_MIME", "PDF_MIME", "PDF_MISSING", "PNG_MIME", "XLSX_MIME", "RenderedFile", "base_name", "pdf_available",
    "render_documents", "render_in_worker", "to_pdf",
]

log = logging.getLogger(__name__)
PDF_MIME = "application/pdf"
PDF_MISSING = "สร้าง PDF ไม่ได้: เครื่องนี้ยังไม่มี LibreOffice (ติดตั้งแพ็กเกจ libreoffice-writer-nogui)"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG_MIME = "image/png"


@dataclass(frozen=True)
class RenderedFile:
    """A written file and how to send it (kind "document" or "photo"), mirroring handlers' OutFile."""

    path: Path
    name: str
    mime: str
    kind: str


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "", part)[:40] or "x"


def base_name(report: RoundReport) -> str:
    """ita-<org>-fy2569-r6[-<unit>]-20260320-101500: ASCII, unique per org, year, round and second."""
    stamp = report.generated_at.strftime("%Y%m%d-%H%M%S")
    unit = f"-{_safe(report.unit_filter.id)}" if report.unit_filter else ""
    return f"ita-{_safe(report.org.id)}-fy{report.fiscal_year}-r{report.round.months}{unit}-{stamp}"


def _unique(out_dir: Path, base: str, exts: tuple[str, ...]) -> str:
    """The base name, or base-2, base-3 … when a file of that name already exists."""
    candidate, n = base, 1
    while any((out_dir / f"{candidate}{ext}").exists() for ext in exts):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def render_in_worker(report: RoundReport, out_dir: Path, evidence_root: Path | None,
                     options: ReportOptions | None = None) -> list[RenderedFile]:
    """render_documents for a process pool: plain picklable arguments, its own evidence store."""
    return render_documents(report, out_dir, EvidenceStore(evidence_root), options=options)


def pdf_available() -> bool:
    """Whether LibreOffice is installed to make the PDF."""
    return bool(shutil.which("soffice") or shutil.which("libreoffice"))


def render_documents(report: RoundReport, out_dir: Path, evidence: EvidenceStore, digits: str | None = None,
                     options: ReportOptions | None = None) -> list[RenderedFile]:
    """DOCX, its PDF (when LibreOffice is installed), XLSX and the PNG chart of a round, written into out_dir."""
    options = options or ReportOptions()
    style = digits or options.digits
    out_dir.mkdir(parents=True, exist_ok=True)
    base = _unique(out_dir, base_name(report), (".docx", ".pdf", ".xlsx", ".png"))
    docx_path = render_docx(report, out_dir / f"{base}.docx", evidence, style, options)
    files = [RenderedFile(docx_path, docx_path.name, DOCX_MIME, "document")]
    if pdf_available():
        try:
            pdf = to_pdf(docx_path, out_dir)
            files.append(RenderedFile(pdf, pdf.name, PDF_MIME, "document"))
        except (OSError, RuntimeError, subprocess.TimeoutExpired):  # the other formats still go out
            log.warning("PDF conversion failed for %s", docx_path.name, exc_info=True)
    xlsx_path = render_xlsx(report, out_dir / f"{base}.xlsx", evidence, style)
    png_path = render_chart(report, out_dir / f"{base}.png", style)
    files.append(RenderedFile(xlsx_path, xlsx_path.name, XLSX_MIME, "document"))
    files.append(RenderedFile(png_path, png_path.name, PNG_MIME, "photo"))
    return files


def to_pdf(docx_path: Path, out_dir: Path, timeout: float = 240) -> Path:
    """Convert with headless LibreOffice, Sarabun standing in for TH Sarabun New; raises when it fails."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise FileNotFoundError(PDF_MISSING)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="itabot-lo-") as tmp:
        work = Path(tmp)
        env = fontconfig_env(work / "fc")
        env["HOME"] = str(work)  # a private LibreOffice profile: no clash with a running instance
        cmd = [soffice, f"-env:UserInstallation=file://{work}/profile", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(out_dir), str(docx_path)]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    pdf = out_dir / (docx_path.stem + ".pdf")
    if done.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"LibreOffice failed ({done.returncode}): {done.stderr.strip()[:500]}")
    return pdf
