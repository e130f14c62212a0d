"""Report pages: how many A4 pages the printed report of a 53-item plan takes (issue 13).

The office of tests/plan53.py: seed 002's ten measures plus the OIT 2566 checklist (o1–o43), answered
for round 6 with realistic texts, links, photos and files. Its Word report is converted to PDF by
LibreOffice headless (packaged fonts) and the pages are counted with pdfinfo. BASELINE_PAGES is the same
data rendered by the layout before issue 13 (commit 703aa59 on main), measured the same way.

Run: `.venv/bin/python -m bench.report_pages` prints {"report_pages": run()} as JSON.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from report.docx import render_docx
from report.render import to_pdf
from storage.evidence import EvidenceStore
from storage.tinydb_repo import TinyRepository
from tests.plan53 import build_53, compile_53

__all__ = ["BASELINE_PAGES", "run"]

BASELINE_PAGES = 53  # main at 703aa59: the same 53 items, round 6, converted the same way


def _pages(pdf: Path) -> int:
    tool = shutil.which("pdfinfo")
    if tool is None:
        raise RuntimeError("pdfinfo (poppler-utils) is not installed")
    info = subprocess.run([tool, str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"^Pages:\s+(\d+)", info, re.M)
    if found is None:
        raise RuntimeError("pdfinfo printed no page count")
    return int(found.group(1))


def run(work_dir: str | None = None) -> dict[str, Any]:
    """Render the 53-item report to DOCX and PDF and count its pages."""
    with tempfile.TemporaryDirectory(prefix="itabot-pages-", dir=work_dir) as tmp:
        out = Path(tmp)
        repo, store = TinyRepository(None), EvidenceStore(out / "evidence")
        org = build_53(repo, store)
        report = compile_53(repo, org.id)
        t0 = time.perf_counter()
        docx_path = render_docx(report, out / "r53.docx", store)
        t1 = time.perf_counter()
        pdf = to_pdf(docx_path, out)
        t2 = time.perf_counter()
        pages = _pages(pdf)
    return {
        "report_pages.pages_53": pages,
        "baseline_pages_53": BASELINE_PAGES,
        "ratio_to_baseline": round(pages / BASELINE_PAGES, 3),
        "items": len(report.rows),
        "seconds": {"docx": round(t1 - t0, 3), "pdf": round(t2 - t1, 3)},
        "unit": "A4 landscape pages of the round-6 report (PDF via LibreOffice)",
        "goal": f"pages_53 <= {BASELINE_PAGES * 2 // 3} (two thirds of the {BASELINE_PAGES} pages before issue 13)",
        "how": "bench/report_pages.py: tests/plan53.py office → render_docx → to_pdf → pdfinfo",
    }


if __name__ == "__main__":
    print(json.dumps({"report_pages": run()}, ensure_ascii=False, indent=2))
