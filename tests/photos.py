"""Photo-like JPEGs for evidence tests: an EXIF date, and the same picture resized and re-encoded."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

__all__ = ["photo", "resized"]


def photo(seed: int, size: tuple[int, int] = (800, 600), taken: str = "", quality: int = 90) -> bytes:
    """A photo-like picture (shapes on a gradient) with an optional EXIF date."""
    rnd = random.Random(seed)
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(size[1]):
        draw.line([(0, y), (size[0], y)], fill=(y * 255 // size[1], rnd.randrange(256), 120))
    for _ in range(12):
        x, y = rnd.randrange(size[0]), rnd.randrange(size[1])
        draw.ellipse([x, y, x + rnd.randrange(40, 300), y + rnd.randrange(40, 300)],
                     fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    out = io.BytesIO()
    exif = Image.Exif()
    if taken:
        exif[0x0132] = taken
    img.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def resized(data: bytes, factor: float, quality: int) -> bytes:
    """The same photo scaled and saved again, as a phone or a chat app would."""
    img = Image.open(io.BytesIO(data))
    small = img.resize((int(img.width * factor), int(img.height * factor)))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=quality)
    return out.getvalue()
