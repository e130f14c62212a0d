"""Decode a CSV as what it is: UTF-8 first, then Windows Thai, then a Latin code page, never garbled Thai."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["Decoded", "decode_text", "thai_plausible"]

# Code pages a Thai office's files come in besides UTF-8 (charset-normalizer chooses among them).
_LATIN = ("cp1252", "cp1250", "iso8859_15")
_NAMES = {
    "utf_8": "UTF-8",
    "utf_16": "UTF-16",
    "utf_32": "UTF-32",
    "cp874": "Windows-874 (ภาษาไทย)",
    "cp1252": "Windows-1252 (อักษรละติน)",
    "cp1250": "Windows-1250 (อักษรละติน)",
    "iso8859_15": "ISO-8859-15 (อักษรละติน)",
}
_BOMS = ((codecs.BOM_UTF32_LE, "utf_32"), (codecs.BOM_UTF32_BE, "utf_32"), (codecs.BOM_UTF16_LE, "utf_16"),
         (codecs.BOM_UTF16_BE, "utf_16"), (codecs.BOM_UTF8, "utf_8"))  # fmt: skip

_THAI = "\u0e01-\u0e5b"
_AFTER_BASE = "\u0e31\u0e33-\u0e3a\u0e45\u0e47-\u0e4e"  # vowels and tone marks that follow a consonant
_LEADING = "\u0e40-\u0e44"  # เ แ โ ใ ไ come before a consonant
_SUSPICIOUS = re.compile(
    rf"(?<![{_THAI}])[{_AFTER_BASE}]"  # a mark on nothing Thai ("G้n้ral" is cp1252 "Général")
    rf"|[{_LEADING}](?![\u0e01-\u0e2e])"  # a leading vowel before no consonant ("Voilเ")
    rf"|(?<=[A-Za-z])[{_THAI}]|[{_THAI}](?=[A-Za-z])"  # Thai glued inside a Latin word ("K๖ln")
)


@dataclass(frozen=True)
class Decoded:
    """A file's text and the encoding it was read in, for the preview to show before anything is stored."""

    text: str
    encoding: str  # Python codec name
    label: str  # what the preview calls it

    @property
    def is_utf8(self) -> bool:
        """UTF-8 needs no mention; anything else is shown so the admin can check the letters."""
        return self.encoding == "utf_8"


def thai_plausible(text: str) -> bool:
    """True when the Thai letters in the text are written the way Thai is (at most 1 in 20 odd places)."""
    thai = len(re.findall(f"[{_THAI}]", text))
    return 20 * len(_SUSPICIOUS.findall(text)) <= thai


def _decoded(text: str, encoding: str) -> Decoded:
    return Decoded(text=text, encoding=encoding, label=_NAMES.get(encoding, encoding))


def decode_text(data: bytes) -> Decoded | None:
    """UTF-8 (or a BOM's encoding), else Windows Thai when it reads as Thai, else a Latin code page; None if none."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):  # utf_16/utf_32 read their own BOM; utf_8_sig drops it
            try:
                return _decoded(data.decode("utf_8_sig" if encoding == "utf_8" else encoding), encoding)
            except UnicodeDecodeError:
                return None
    try:
        return _decoded(data.decode("utf-8"), "utf_8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp874")
    except UnicodeDecodeError:
        text = ""
    if text and thai_plausible(text):
        return _decoded(text, "cp874")
    import charset_normalizer  # local: only a non-UTF-8 file pays for it

    best = charset_normalizer.from_bytes(data, cp_isolation=list(_LATIN)).best()
    if best is None or re.search(f"[{_THAI}]", str(best)):
        return None  # binary, or an encoding no Thai office uses
    for encoding in _LATIN:  # the Latin pages agree on most letters: prefer the commonest
        try:
            return _decoded(data.decode(encoding), encoding)
        except UnicodeDecodeError:
            continue
    return _decoded(str(best), best.encoding)
