"""Typed words that mean a button: its number or its label, however a Thai keyboard spelled them."""

from __future__ import annotations

import unicodedata

from domain.events import Button
from domain.fiscal import to_arabic_digits

__all__ = ["normalize", "match_button"]

_SARA_AM_DECOMPOSED = "\u0e4d\u0e32"  # nikhahit + sara aa: how some keyboards type sara am (ำ)
_SARA_AM = "\u0e33"
_DROP = {"So", "Sm", "Sk", "Pi", "Pf", "Ps", "Pe", "Cf"}  # emoji, arrows, « », brackets, joiners


def normalize(text: str) -> str:
    """Fold a label or a typed line to what a person means: NFC, one sara am, Arabic digits, no symbols."""
    text = unicodedata.normalize("NFC", text).replace(_SARA_AM_DECOMPOSED, _SARA_AM)
    text = to_arabic_digits(text)
    kept = "".join(
        " " if unicodedata.category(c) in _DROP else c for c in text if c not in "\ufe0e\ufe0f"
    )
    return " ".join(kept.split()).casefold().strip(" .:")


def match_button(text: str, buttons: list[Button]) -> Button | None:
    """The button a typed line names: "2", "๒" or its label; None when the line means none of them."""
    typed = normalize(text)
    if not typed:
        return None
    if typed.isdigit():
        index = int(typed)
        return buttons[index - 1] if 1 <= index <= len(buttons) else None
    return next((b for b in buttons if normalize(b.label) == typed), None)
