"""The Word report converts to PDF with LibreOffice and keeps its Thai text (CI installs soffice/poppler)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from report.docx import render_docx
from report.render import to_pdf
from tests.report_fixtures import LONG_ANSWER, build, thai_url, typical
from tests.tools import require_tool


def _pdf_text(pdf: Path) -> str:
    tool = require_tool("pdftotext", package="poppler-utils")
    done = subprocess.run([tool, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(done.stdout.split())


def test_docx_converts_to_pdf_with_thai_title_and_measure_text(tmp_path: Path) -> None:
    require_tool("soffice", "libreoffice", package="libreoffice-writer-nogui")
    require_tool("pdftotext", package="poppler-utils")
    fx = typical(build())
    fx.answer(4, "กองช่าง", "done", LONG_ANSWER[:1500], "สำเร็จ 🎉", evidence=[fx.link(thai_url)])
    docx_path = render_docx(fx.compile(), tmp_path / "report.docx", fx.store)
    pdf = to_pdf(docx_path, tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    squeezed = text.replace(" ", "")
    assert "รายงานผลการดำเนินการตามมาตรการส่งเสริมคุณธรรมและความโปร่งใสภายในหน่วยงาน" in squeezed
    assert "ประจำปีงบประมาณพ.ศ.๒๕๖๙" in squeezed
    assert "จัดทำคู่มือการให้บริการประชาชนและเผยแพร่ผ่านเว็บไซต์" in squeezed
    assert "เผยแพร่แผนการจัดซื้อจัดจ้างประจำปี" in squeezed
    assert "(นายสมชายตั้งใจ)" in squeezed
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Sarabun" in fonts  # TH Sarabun New maps to the packaged Sarabun, not a tofu fallback
