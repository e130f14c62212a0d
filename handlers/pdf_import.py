"""A plan from the PDF the office published: its tables and text lines (pdfplumber), Thai repaired."""

from __future__ import annotations

import io
import re
import zlib
from typing import Any

from .plan_blocks import Block, ColumnChoice, RawTable, read_blocks
from .plan_table import MAX_TABLE_COLUMNS, MAX_TABLE_ROWS, GridRow, ParsedPlan, PlanImportError, clean_text
from .thai_text import join_wrapped, repair_thai

__all__ = ["MAX_PDF_INFLATED", "MAX_PDF_PAGES", "check_pdf_streams", "parse_pdf_bytes", "pdf_blocks"]

MAX_PDF_PAGES = 300  # a plan is a few dozen pages; a longer PDF is a whole report book
MAX_PDF_INFLATED = 200 * 1024 * 1024  # all compressed streams together, unpacked (as for .docx/.xlsx)
_STREAM = re.compile(rb"(?<!end)stream\r?\n")
_TOLERANCE: dict[str, Any] = {"x_tolerance": 3, "y_tolerance": 3}
# Thai vowels above/below, tone marks, and the nikhahit a font draws for sara am: they follow their consonant
_MARKS = frozenset("\u0e31\u0e33\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e")
SCANNED = (
    "PDF นี้เป็นภาพสแกน ไม่มีตัวอักษรให้อ่าน: ส่งไฟล์ Word (.docx) ของแผน "
    "หรือ PDF ที่บันทึกจาก Word แทน (ยังไม่ได้เปลี่ยนแปลงอะไร)"
)
PASSWORD = "PDF มีรหัสผ่าน: เปิดไฟล์แล้วบันทึกใหม่โดยไม่ตั้งรหัสผ่าน แล้วส่งอีกครั้ง (ยังไม่ได้เปลี่ยนแปลงอะไร)"
DAMAGED = "ไฟล์ PDF เสียหรือเปิดไม่ได้: ลองบันทึกเป็น PDF ใหม่ หรือส่งไฟล์ Word (.docx) แทน"


def _cell(text: str | None) -> str:
    """A cell's wrapped lines joined and its Thai repaired."""
    if not text:
        return ""
    return clean_text(repair_thai(join_wrapped(text.split("\n"))))


def _column_starts(table: Any) -> list[float]:
    """Each grid column's left edge, from the cells that start in it."""
    starts: list[float] = []
    width = max((len(row.cells) for row in table.rows), default=0)
    for c in range(width):
        xs = [row.cells[c][0] for row in table.rows if c < len(row.cells) and row.cells[c] is not None]
        starts.append(min(xs) if xs else float("inf"))
    return starts


def _spans_left(row: Any, col: int, starts: list[float]) -> bool:
    """A missing cell covered by the cell to its left (a horizontal merge) rather than by the one above."""
    left = next((row.cells[i] for i in range(col - 1, -1, -1) if row.cells[i] is not None), None)
    return left is not None and left[2] > starts[col] + 1


def _placed_marks(chars: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Marks moved onto the consonant before them in the content stream.

    Read left to right by position, a mark drawn with a negative offset lands after the next consonant
    ("ข้นั ตอน"); the stream draws it right after its own consonant, so it takes that one's place.
    """
    out: list[dict[str, Any]] = []
    base: dict[str, Any] | None = None
    marks = 0  # marks on the current consonant so far: they keep their stream order
    for ch in chars:
        if ch.get("text") in _MARKS and base is not None:
            marks += 1
            out.append({**ch, "x0": base["x0"] + 0.001 * marks, "x1": base["x1"], "upright": base.get("upright", True)})
        else:
            base, marks = dict(ch), 0
            out.append(base)
    return out


def _inside(ch: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    x, y = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _cell_text(chars: list[dict[str, Any]], box: Any) -> str | None:
    """A cell's text (None for a grid position no cell starts at: a merged one)."""
    from pdfplumber.utils import extract_text

    if box is None:
        return None
    inside = [c for c in chars if _inside(c, box)]
    return _cell(extract_text(inside, **_TOLERANCE)) if inside else ""


def _grid_rows(table: Any, chars: list[dict[str, Any]], page_no: int, number: int, carry: list[str]) -> list[GridRow]:
    """pdfplumber's table as grid rows: a cell merged down is inherited, one across the row is a heading.

    carry: the last row of the table this one continues on the next page, whose merged cells run on here.
    """
    texts = [[_cell_text(chars, box) for box in row.cells] for row in table.rows]
    rows: list[GridRow] = []
    previous: list[str] = carry
    starts = _column_starts(table)
    for r, (cells, row) in enumerate(zip(texts, table.rows, strict=False), start=1):
        width = min(len(cells), MAX_TABLE_COLUMNS)
        out = [""] * width
        inherited: set[int] = set()
        for c in range(width):
            merged_on = r == 1 and cells[c] == "" and len(texts) > 1 and c < len(texts[1]) and texts[1][c] is None
            if merged_on and c < len(carry) and carry[c]:  # a cell merged down from the previous page
                out[c] = carry[c]
                inherited.add(c)
            elif cells[c] is None and c > 0 and not _spans_left(row, c, starts) and c < len(previous):
                out[c] = previous[c]
                inherited.add(c)
            else:
                out[c] = cells[c] or ""
        merged = width > 1 and cells[0] is not None and all(x is None for x in cells[1:])
        previous = out
        rows.append(GridRow(out, f"ตารางที่ {number} (หน้า {page_no}) แถวที่ {r}", frozenset(inherited), merged))
    return rows


def _page_blocks(page: Any, page_no: int, counter: list[int], carry: list[str]) -> list[tuple[float, Block]]:
    """A page's tables and the text lines outside them, each with its top for reading order."""
    from pdfplumber.utils import chars_to_textmap

    chars = _placed_marks(list(page.chars))
    found = page.find_tables()
    out: list[tuple[float, Block]] = []
    for i, table in enumerate(found):
        counter[0] += 1
        rows = _grid_rows(table, chars, page_no, counter[0], carry if i == 0 else [])
        counter[1] += len(rows)
        if counter[1] > MAX_TABLE_ROWS:
            raise PlanImportError(f"ตารางใน PDF มีมากกว่า {MAX_TABLE_ROWS:,} แถว: ส่งเฉพาะส่วนที่เป็นตารางมาตรการ")
        width = max((len(r.cells) for r in rows), default=0)
        out.append((table.bbox[1], ("tbl", RawTable(counter[0], rows, width))))
    loose = [c for c in chars if not any(_inside(c, t.bbox) for t in found)]
    if loose:
        for line in chars_to_textmap(loose, **_TOLERANCE).extract_text_lines(strip=True, return_chars=False):
            text = clean_text(repair_thai(line["text"]))
            if text:
                out.append((line["top"], ("p", text)))
    return sorted(out, key=lambda item: item[0])


def pdf_blocks(pdf: Any) -> list[Block]:
    """Every page's tables and text lines in reading order; a scanned PDF (no text at all) is refused."""
    if len(pdf.pages) > MAX_PDF_PAGES:
        raise PlanImportError(f"PDF ยาว {len(pdf.pages)} หน้า รับได้ไม่เกิน {MAX_PDF_PAGES} หน้า: ส่งเฉพาะส่วนที่เป็นแผนมาตรการ")
    if not any(page.chars for page in pdf.pages):
        raise PlanImportError(SCANNED)
    counter = [0, 0]
    blocks: list[Block] = []
    for page_no, page in enumerate(pdf.pages, start=1):
        last = blocks[-1][1] if blocks else None
        carry = last.rows[-1].cells if isinstance(last, RawTable) and last.rows else []
        blocks.extend(block for _, block in _page_blocks(page, page_no, counter, carry))
        page.flush_cache()
    return blocks


def _inflated_size(data: bytes, start: int, cap: int) -> int:
    """How big one Flate stream unpacks, counted in pieces and given up past cap (0 when not Flate)."""
    end = data.find(b"endstream", start)
    inflater = zlib.decompressobj()
    size, pos = 0, start
    stop = end if end != -1 else len(data)
    try:
        while pos < stop and size <= cap:
            piece = inflater.decompress(data[pos : min(pos + 65536, stop)], 1 << 20)
            size += len(piece)
            while inflater.unconsumed_tail and size <= cap:
                size += len(inflater.decompress(inflater.unconsumed_tail, 1 << 20))
            pos += 65536
            if inflater.eof:
                break
    except zlib.error:
        return size
    return size


def check_pdf_streams(data: bytes) -> None:
    """A PDF whose streams unpack to hundreds of MB (a decompression bomb) is refused before it is parsed."""
    total = 0
    for match in _STREAM.finditer(data):
        total += _inflated_size(data, match.end(), MAX_PDF_INFLATED - total)
        if total > MAX_PDF_INFLATED:
            raise PlanImportError("ไฟล์ PDF ใหญ่เกินไปเมื่อแตกข้อมูลที่บีบอัดไว้: ส่งเฉพาะหน้าที่เป็นแผนมาตรการ")


def _open(data: bytes) -> Any:
    """The pdfplumber document, or a Thai error naming a password or a damaged file."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
        _ = pdf.pages
    except Exception as exc:  # pdfplumber wraps pdfminer's errors; look for the password one inside
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, PDFPasswordIncorrect) or "password" in type(cause).__name__.lower():
                raise PlanImportError(PASSWORD) from exc
            cause = cause.__cause__ or cause.__context__
        raise PlanImportError(DAMAGED) from exc
    return pdf


def parse_pdf_bytes(
    data: bytes,
    filename: str = "plan.pdf",
    mappings: dict[str, dict[int, str]] | None = None,
    choice: ColumnChoice | None = None,
) -> ParsedPlan:
    """The plan a PDF with a text layer holds, read like a Word document (same headers, mapping, paragraphs)."""
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise PlanImportError("ไฟล์นี้ไม่ใช่ PDF: ส่งไฟล์ .pdf ที่บันทึกจาก Word หรือไฟล์ .docx")
    check_pdf_streams(data)
    pdf = _open(data)
    try:
        blocks = pdf_blocks(pdf)
    except PlanImportError:
        raise
    except Exception as exc:  # a structure pdfminer cannot follow: say so, never crash
        raise PlanImportError(DAMAGED) from exc
    finally:
        pdf.close()
    return read_blocks(blocks, filename, mappings, choice)
