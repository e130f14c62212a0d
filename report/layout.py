"""Text measurement in the packaged Sarabun: column widths that never split a word, and line estimates.

LibreOffice sets the report in packaged Sarabun rescaled to TH Sarabun New's size (report/fonts.py), so
the sizes measured here are what both the PDF and Word with the real font need.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import ImageFont

from .fonts import SARABUN_TO_TH, sarabun_path

__all__ = [
    "CELL_PAD_MM",
    "ColumnSpec",
    "fit_widths",
    "lines_needed",
    "text_mm",
    "widest_word_mm",
    "words",
]

PT_MM = 25.4 / 72
CELL_PAD_MM = 4.2  # Word's default cell margins (1.9 mm each side) plus a little slack
_SCALE = 10  # font loaded at 10 px per point, for sub-point precision


@lru_cache(maxsize=4)
def _font(bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(sarabun_path("Bold" if bold else "Regular")), 10 * _SCALE)


def text_mm(text: str, pt: float, bold: bool = False) -> float:
    """Printed width of one line of text."""
    return _font(bold).getlength(text) / _SCALE / 10 * pt * PT_MM * SARABUN_TO_TH


@lru_cache(maxsize=4096)
def words(text: str) -> tuple[str, ...]:
    """Break opportunities as Thai line breaking sees them: dictionary words, spaces kept as tokens."""
    from pythainlp.tokenize import word_tokenize

    out: list[str] = []
    for chunk in re.split(r"(\s+)", text):
        if not chunk:
            continue
        if chunk.isspace() or not re.search("[\u0e00-\u0e7f]", chunk):
            out.append(chunk)
        else:
            out.extend(word_tokenize(chunk, keep_whitespace=True))
    return tuple(out)


def widest_word_mm(text: str, pt: float, bold: bool = False) -> float:
    """The widest piece of text that may not be broken (a word, a number, a URL segment)."""
    pieces = [w for line in text.split("\n") for w in words(line) if not w.isspace()]
    return max((text_mm(w, pt, bold) for w in pieces), default=0.0)


@lru_cache(maxsize=8192)
def lines_needed(text: str, width_mm: float, pt: float, bold: bool = False) -> int:
    """Lines a paragraph takes in a column of that inner width (greedy wrapping at word boundaries)."""
    total = 0
    for line in text.split("\n"):
        n, used = 1, 0.0
        for w in words(line):
            size = text_mm(w, pt, bold)
            if used + size > width_mm and used > 0:
                if w.isspace():
                    continue
                n, used = n + 1, 0.0
            if size > width_mm:  # a word wider than the column breaks anywhere
                extra = math.ceil(size / width_mm) - 1
                n, used = n + extra, size - extra * width_mm
                continue
            used += size
        total += n
    return total


@dataclass(frozen=True)
class ColumnSpec:
    """A table column: header, the texts it will hold, and whether it takes a share of the spare width."""

    header: str
    texts: tuple[str, ...] = ()
    weight: float = 0.0  # 0: as narrow as its widest word allows; >0: shares the rest
    min_mm: float = 0.0


WIDE_WORD_CAP_MM = 26.0  # a shared column need not fit a freak compound; it may break that one word


def _need(spec: ColumnSpec, pt: float) -> float:
    head = widest_word_mm(spec.header, pt, bold=True)
    body = max((widest_word_mm(t, pt) for t in spec.texts if "://" not in t), default=0.0)
    if spec.weight:
        body = min(body, WIDE_WORD_CAP_MM)
    return max(head, body, spec.min_mm) + CELL_PAD_MM + 0.5  # 0.5: Word rounds widths to twips


def fit_widths(specs: Sequence[ColumnSpec], total_mm: float, pt: float) -> list[float]:
    """Widths in mm: every column wide enough for its widest word; the spare width shared by weight."""
    needs = [_need(s, pt) for s in specs]
    spare = max(total_mm - sum(needs), 0.0)
    weights = [s.weight for s in specs]
    share = sum(weights) or 1.0
    return [n + spare * w / share for n, w in zip(needs, weights, strict=True)]


def fits(texts: Iterable[str], width_mm: float, pt: float) -> bool:
    """True when no word of the texts is wider than the column's inner width."""
    return all(widest_word_mm(t, pt) <= width_mm - CELL_PAD_MM for t in texts)
