"""Small Word-XML helpers the report parts share: fonts on both script sides, paragraphs, fields, links."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from .fonts import DOC_FONT, DOC_FONT_SIZE_PT, SYMBOL_FONT
from .text import clean, xml_safe

__all__ = [
    "LINK_COLOR",
    "TABLE_PT",
    "UNBREAKABLE",
    "WORD_JOINER",
    "unbreakable",
    "Container",
    "field",
    "font",
    "hyperlink",
    "keep",
    "para",
    "run",
    "set_lang",
    "shade",
    "symbol",
]

# Words Thai line breaking (ICU's dictionary in LibreOffice) would cut at a compound's seam ("ดำเนิน|การ");
# a WORD JOINER after each letter but the last keeps them whole, invisibly.
UNBREAKABLE = ("ดำเนินการ", "ตัวชี้วัด", "ผู้รับผิดชอบ", "ลำดับ", "ประชาสัมพันธ์", "หลักธรรมาภิบาล", "ธรรมาภิบาล")
WORD_JOINER = "\u2060"
_JOINED = {w: WORD_JOINER.join(w) for w in UNBREAKABLE}
TABLE_PT = 14  # table text; the body stays at the official 16 pt
LINK_COLOR = RGBColor(0x05, 0x63, 0xC1)
Container = Any  # a document, a cell, a header or footer: anything with add_paragraph()


def font(r: Run, bold: bool = False, size: float = DOC_FONT_SIZE_PT, name: str = DOC_FONT) -> Run:
    """Set the font on Latin and complex-script properties alike (Thai reads w:cs and w:szCs)."""
    r.font.name = name
    rpr = r._r.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), name)
    if bold:
        r.bold = True
        rpr.get_or_add_bCs()
    r.font.size = Pt(size)
    sz = rpr.find(qn("w:sz"))
    szcs = rpr.find(qn("w:szCs"))
    if szcs is None:
        szcs = OxmlElement("w:szCs")
        sz.addnext(szcs)
    szcs.set(qn("w:val"), str(int(size * 2)))
    return r


def unbreakable(text: str) -> str:
    """The text with the UNBREAKABLE words joined so no line break falls inside them."""
    for word, joined in _JOINED.items():
        if word in text:
            text = text.replace(word, joined)
    return text


def run(par: Paragraph, text: str, bold: bool = False, size: float = DOC_FONT_SIZE_PT) -> Run:
    """A run of document text (newlines become line breaks)."""
    return font(par.add_run(unbreakable(xml_safe(text))), bold=bold, size=size)


def symbol(par: Paragraph, char: str, size: float = DOC_FONT_SIZE_PT) -> Run:
    """☐/☑ in a font that has them (Sarabun does not)."""
    return font(par.add_run(char), size=size, name=SYMBOL_FONT)


def para(container: Container, text: str = "", bold: bool = False, align: WD_ALIGN_PARAGRAPH | None = None,
         first: bool = False, size: float = DOC_FONT_SIZE_PT) -> Paragraph:
    """A paragraph with no spacing (reusing a new cell's empty first one)."""
    par = container.paragraphs[0] if first else container.add_paragraph()
    par.paragraph_format.space_after = Pt(0)
    par.paragraph_format.space_before = Pt(0)
    if align is not None:
        par.alignment = align
    if text:
        run(par, text, bold=bold, size=size)
    return par


def keep(par: Paragraph, with_next: bool = True) -> Paragraph:
    """Keep the paragraph on one page and, when asked, on the page of what follows."""
    par.paragraph_format.keep_together = True
    par.paragraph_format.keep_with_next = with_next
    return par


def hyperlink(par: Paragraph, url: str, text: str, size: float = DOC_FONT_SIZE_PT) -> None:
    """A clickable link; non-ASCII (Thai) characters are percent-encoded in the target only."""
    target = quote(clean(url), safe=":/?#[]@!$&'()*+,;=%~")
    r_id = par.part.relate_to(target, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    r = run(par, text, size=size)
    r.font.color.rgb = LINK_COLOR
    r.font.underline = True
    link.append(r._r)
    par._p.append(link)


def field(par: Paragraph, code: str, size: float = DOC_FONT_SIZE_PT) -> None:
    """A Word field (PAGE, NUMPAGES) as begin / instruction / separate / placeholder / end runs."""
    def fld(kind: str) -> None:
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        font(par.add_run(), size=size)._r.append(el)

    fld("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {code} "
    font(par.add_run(), size=size)._r.append(instr)
    fld("separate")
    run(par, "1", size=size)
    fld("end")


def set_lang(doc: DocxDocument) -> None:
    """Latin text is en-US, Thai (complex script) th-TH: both programs then break lines at word boundaries."""
    rpr = doc.styles["Normal"].element.get_or_add_rPr()
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "en-US")
    lang.set(qn("w:bidi"), "th-TH")
    rpr.append(lang)


def shade(cell: _Cell, fill: str) -> None:
    """A cell's background colour (hex, no #)."""
    tcpr = cell._tc.get_or_add_tcPr()
    el = OxmlElement("w:shd")
    el.set(qn("w:val"), "clear")
    el.set(qn("w:color"), "auto")
    el.set(qn("w:fill"), fill)
    tcpr.append(el)
