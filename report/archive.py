"""The evidence archive (`--format zip`): the report, its PDF, and every evidence file by measure, with an index.

A printed report can only name a file; the archive is how a reader (or the NACC) gets the file itself.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from storage.evidence import EvidenceStore

from .compile import RoundReport
from .docx import render_docx
from .labels import evidence_labels
from .options import ReportOptions
from .text import clean, has_file
from .xlsx import render_xlsx

__all__ = ["INDEX_NAME", "render_zip"]

INDEX_NAME = "สารบัญหลักฐาน.csv"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _safe(name: str, limit: int = 60) -> str:
    """A file or folder name every unzip tool accepts (Thai kept)."""
    return _UNSAFE.sub("_", clean(name)).strip(" .")[:limit] or "x"


def _folder(no: int, title: str) -> str:
    return f"หลักฐาน/{no:02d} {_safe(title, 40)}"


def _evidence(zf: zipfile.ZipFile, report: RoundReport, store: EvidenceStore, style: str) -> None:
    """Every file in a folder per measure; the index lists files and links alike."""
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(["มาตรการ", "ส่วนราชการ", "หลักฐาน", "ไฟล์ในชุดนี้หรือลิงก์", "SHA-256"])
    for row in report.rows:
        folder = _folder(row.measure.no, row.measure.title)
        for ans in row.answers:
            labels = evidence_labels(ans.entry.evidence, style)
            for n, (ev, label) in enumerate(zip(ans.entry.evidence, labels, strict=True), 1):
                where = clean(ev.url)
                if ev.kind != "url":
                    suffix = PurePosixPath(clean(ev.name)).suffix[:8] or ".bin"
                    where = f"{folder}/{_safe(ans.unit.name, 30)} {n:02d} {_safe(label, 50)}{suffix}"
                    if has_file(store, ev.sha256):
                        zf.writestr(where, store.read(ev.sha256) or b"")
                    else:
                        where = "(ไม่พบไฟล์)"
                writer.writerow([row.measure.no, clean(ans.unit.name), label, where, ev.sha256])
    zf.writestr(INDEX_NAME, "\ufeff" + index.getvalue())  # BOM: Excel opens Thai CSV correctly


def render_zip(report: RoundReport, path: Path, store: EvidenceStore, digits: str = "thai",
               options: ReportOptions | None = None) -> Path:
    """Write report.docx, report.pdf (when LibreOffice is installed), report.xlsx and the evidence files."""
    from .render import pdf_available, to_pdf

    options = options or ReportOptions()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="itabot-zip-") as tmp, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        work = Path(tmp)
        docx_path = render_docx(report, work / "รายงาน.docx", store, digits, options)
        zf.write(docx_path, docx_path.name)
        if pdf_available():
            zf.write(to_pdf(docx_path, work), "รายงาน.pdf")
        zf.write(render_xlsx(report, work / "รายงาน.xlsx", store, digits), "รายงาน.xlsx")
        _evidence(zf, report, store, digits)
    return path
