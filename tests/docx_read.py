"""Open a generated .docx as a reader sees it: the invisible word joiners (report/docx_xml.py) removed."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import docx
from docx.document import Document
from docx.oxml.ns import qn

from report.docx_xml import WORD_JOINER

__all__ = ["open_docx"]


def open_docx(source: Path | IO[bytes]) -> Document:
    """The document with every w:t's text free of word joiners, so assertions compare visible text."""
    doc = docx.Document(str(source) if isinstance(source, Path) else source)
    parts = [doc.element, *(s.header._element for s in doc.sections), *(s.footer._element for s in doc.sections)]
    for root in parts:
        for t in root.iter(qn("w:t")):
            if t.text and WORD_JOINER in t.text:
                t.text = t.text.replace(WORD_JOINER, "")
    return doc
