"""What a stored file says about itself: when it was made (EXIF, PDF info) and a photo's perceptual hash.

Read once when the file arrives and kept on the Evidence record, so later checks (dated in the year,
used before) never reopen files. Every reader is bounded and forgiving: a file that does not parse
simply has no date or hash, it is never refused for that.
"""

from __future__ import annotations

import io
import re
import warnings
from datetime import date

__all__ = ["exif_date", "pdf_date", "photo_phash", "content_date", "hamming"]

_MAX_PIXELS = 60_000_000  # a decompression bomb is not a photo of a training day
_PDF_DATE = re.compile(rb"/CreationDate\s*\(D:(\d{4})(\d{2})(\d{2})")
_XMP_DATE = re.compile(rb"<xmp:CreateDate>(\d{4})-(\d{2})-(\d{2})")


def _valid(y: int, m: int, d: int) -> date | None:
    try:
        day = date(y, m, d)
    except ValueError:
        return None
    return day if 1990 <= day.year <= 2100 else None


def exif_date(data: bytes) -> date | None:
    """The date a photo was taken (EXIF DateTimeOriginal, else DateTime), when it carries one."""
    try:
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Image.MAX_IMAGE_PIXELS = _MAX_PIXELS
            with Image.open(io.BytesIO(data)) as img:
                exif = img.getexif()
                sub = exif.get_ifd(0x8769) if exif else {}
                raw = sub.get(0x9003) or sub.get(0x9004) or exif.get(0x0132)
    except Exception:
        return None
    if not raw:
        return None
    match = re.match(r"(\d{4})[:\-](\d{2})[:\-](\d{2})", str(raw).strip())
    return _valid(*map(int, match.groups())) if match else None


def pdf_date(data: bytes) -> date | None:
    """A PDF's creation date from its info dictionary or XMP (first 2 MB and last 256 KB only)."""
    if not data.startswith(b"%PDF"):
        return None
    window = data[: 2 * 1024 * 1024] + data[-256 * 1024 :]
    match = _PDF_DATE.search(window) or _XMP_DATE.search(window)
    return _valid(*map(int, match.groups())) if match else None


def content_date(data: bytes, mime: str) -> date | None:
    """The made-on date of a photo or PDF (None for other files or when absent)."""
    if mime.startswith("image/"):
        return exif_date(data)
    if mime == "application/pdf" or data.startswith(b"%PDF"):
        return pdf_date(data)
    return None


def photo_phash(data: bytes) -> str:
    """A 64-bit perceptual hash (hex) that survives re-encoding and resizing; "" when not an image."""
    try:
        import imagehash
        from PIL import Image

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Image.MAX_IMAGE_PIXELS = _MAX_PIXELS
            with Image.open(io.BytesIO(data)) as img:
                img.draft("L", (256, 256))  # JPEG: decode small, fast
                return str(imagehash.phash(img.convert("L")))
    except Exception:
        return ""


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()
