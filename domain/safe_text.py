"""Text people send, made safe to store and print: no bidi controls, zero-width marks only where they help.

A right-to-left override (U+202E) in an answer would make the official report show "fdp.cod" for
"doc.pdf"; zero-width spaces pasted from the web split words invisibly, except between Thai letters where
they are the word-break hints Thai typing tools insert. Applied at input, so every view gets clean text.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_input", "BIDI_CONTROLS"]

# embeddings and overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI)
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = dict.fromkeys(map(ord, BIDI_CONTROLS), None)
_THAI = "\u0e01-\u0e5b"
# a zero-width space / word joiner / BOM not standing between two Thai letters
_STRAY_ZERO_WIDTH = re.compile(f"(?<![{_THAI}])[\u200b\u2060\ufeff]+|[\u200b\u2060\ufeff]+(?![{_THAI}])")


def clean_input(text: str) -> str:
    """NFC, no bidi controls, zero-width marks kept only between Thai letters."""
    if not text:
        return text
    text = unicodedata.normalize("NFC", text).translate(_BIDI)
    return _STRAY_ZERO_WIDTH.sub("", text)
