"""The contents of a measure's cells as measured items, split into page-sized row pieces.

A row never breaks across a page inside Word or LibreOffice (a broken row loses its measure number);
instead a tall measure is cut here into several rows of at most ROW_LINES lines, the later ones
numbered "๓ (ต่อ)", and very long answers or evidence lists go to the annex.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .layout import CELL_PAD_MM, lines_needed, words

__all__ = ["Item", "ROW_LINES", "chunk_column", "split_item", "steps_items"]

TAIL_LINES = 3  # a row only this much taller than ROW_LINES is not cut (no one-line "(ต่อ)" rows)
ROW_LINES = 10  # at most this many lines per table row: a row pushed to the next page leaves < half a page


@dataclass(frozen=True)
class Item:
    """One paragraph of a cell: plain text, a link, or the status boxes."""

    text: str
    bold: bool = False
    url: str = ""
    boxes: tuple[tuple[bool, str], ...] = field(default_factory=tuple)
    indent: bool = False
    prefix: str = ""  # links: plain text before the link; boxes: text after them

    def lines(self, width_mm: float, pt: float) -> int:
        """How many lines it takes in a column of that width."""
        inner = width_mm - CELL_PAD_MM - (4 if self.indent else 0)
        return lines_needed(self.text, max(inner, 5.0), pt, self.bold)


_NUMBERED = re.compile(r"\s+(?=(?:\d{1,2}|[๐-๙]{1,2})[.)]\s*\S)")
_DASHED = re.compile(r"\s+(?=-\s*\S)")


def steps_items(text: str) -> list[Item]:
    """Steps "1. … 2. …" or components "- … - …" one per paragraph, as the seeds print them."""
    out: list[Item] = []
    for line in text.split("\n"):
        parts = _NUMBERED.split(line.strip())
        if len(parts) == 1:
            parts = _DASHED.split(line.strip())
        out += [Item(p.strip()) for p in parts if p.strip()]
    return out


def split_item(item: Item, width_mm: float, pt: float, max_lines: int) -> list[Item]:
    """A paragraph too tall for one row, cut at word boundaries into pieces of at most max_lines."""
    if item.boxes or item.url or item.lines(width_mm, pt) <= max_lines:
        return [item]
    pieces: list[Item] = []
    current = ""
    for w in words(item.text):
        trial = current + w
        if current and Item(trial, item.bold).lines(width_mm, pt) > max_lines:
            pieces.append(Item(current.strip(), item.bold, indent=item.indent))
            current = w.lstrip()
        else:
            current = trial
    if current.strip():
        pieces.append(Item(current.strip(), item.bold, indent=item.indent))
    return pieces


def chunk_column(items: list[Item], width_mm: float, pt: float, max_lines: int = ROW_LINES) -> list[list[Item]]:
    """The column's items in consecutive pieces of at most max_lines lines each (a short overflow stays)."""
    if sum(i.lines(width_mm, pt) for i in items) <= max_lines + TAIL_LINES:
        return [items]
    chunks: list[list[Item]] = [[]]
    used = 0
    for big in items:
        for item in split_item(big, width_mm, pt, max_lines):
            n = item.lines(width_mm, pt)
            if chunks[-1] and used + n > max_lines:
                chunks.append([])
                used = 0
            chunks[-1].append(item)
            used += n
    return chunks
