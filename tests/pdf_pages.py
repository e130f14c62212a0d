"""Reading a rendered PDF page by page, as a reader would: text per page, how full a page is, split words."""

from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.tools import require_tool

__all__ = ["Page", "pages", "pdf_expected", "split_words", "thai_font_embedded"]

MM = 72 / 25.4


@dataclass(frozen=True)
class Page:
    """One page: its text in reading order (pdftotext -raw) and the lowest body text line."""

    no: int
    text: str
    height: float
    body_bottom: float  # y (points from the top) of the lowest word above the footer

    @property
    def squeezed(self) -> str:
        """The text without spaces and line breaks (Thai has no spaces inside words)."""
        return re.sub(r"\s+", "", self.text)

    def fill(self, top_mm: float = 20, bottom_mm: float = 18) -> float:
        """How much of the body area, top to bottom, text reaches (0 … 1)."""
        top, bottom = top_mm * MM, self.height - bottom_mm * MM
        return max(0.0, min(1.0, (self.body_bottom - top) / (bottom - top)))


def _raw(pdf: Path, no: int) -> str:
    tool = require_tool("pdftotext", package="poppler-utils")
    done = subprocess.run([tool, "-raw", "-enc", "UTF-8", "-f", str(no), "-l", str(no), str(pdf), "-"],
                          capture_output=True, text=True, check=True)
    return done.stdout


def pages(pdf: Path, footer_mm: float = 18) -> list[Page]:
    """Every page of the PDF with its text and how far down its body text goes."""
    tool = require_tool("pdftotext", package="poppler-utils")
    bbox = subprocess.run([tool, "-bbox", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    out = []
    for no, m in enumerate(re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', bbox, re.S), 1):
        height = float(m.group(2))
        limit = height - footer_mm * MM
        ys = [float(y) for y in re.findall(r'yMax="([\d.]+)"', m.group(3)) if float(y) < limit]
        out.append(Page(no, html.unescape(_raw(pdf, no)), height, max(ys, default=0.0)))
    return out


def split_words(text: str, word: str) -> int:
    """How many times the word is broken across two lines (it appears only when the lines are joined)."""
    kept = re.sub(r"[ \t]+", "", text)
    joined = kept.replace("\n", "")
    return joined.count(word) - kept.count(word)


def pdf_expected() -> bool:
    """Whether /summary must include a PDF here: LibreOffice is installed, or CI requires the tools."""
    import shutil

    from tests.tools import tools_required

    return tools_required() or bool(shutil.which("soffice") or shutil.which("libreoffice"))


def thai_font_embedded(pdf: bytes, tmp: Path) -> list[str]:
    """Embedded fonts of the PDF that can set Thai (the packaged Sarabun, under TH Sarabun New's name)."""
    tool = require_tool("pdffonts", package="poppler-utils")
    path = tmp / "check.pdf"
    path.write_bytes(pdf)
    lines = subprocess.run([tool, str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return [ln.split()[0] for ln in lines if "Sarabun" in ln and ln.split()[-5] == "yes"]
