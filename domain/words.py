"""People's words for rounds, roles and units: one parser that the chat and the CLI share.

Officers type "๓", "รอบ 6", "6 เดือน", "ไตรมาส 2"; admins type "เจ้าหน้าที่", "head", "3" or "กองคลัง"
for a unit. Each parser returns the value or raises WordError carrying the valid choices, so every
caller can answer a wrong word with the list of right ones instead of guessing.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence

from storage.models import Unit

__all__ = [
    "WordError",
    "normalize",
    "parse_round",
    "parse_role",
    "parse_unit",
    "ROUND_CHOICES",
    "ROLE_WORDS",
]

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
ROUND_CHOICES: tuple[int, ...] = (3, 6, 9, 12)
_QUARTER_TO_ROUND = {1: 3, 2: 6, 3: 9, 4: 12}

ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "officer": ("officer", "เจ้าหน้าที่", "ผู้รับผิดชอบ", "เจ้าหน้าที่ผู้รับผิดชอบ", "ผู้รายงาน", "staff"),
    "head": ("head", "หัวหน้า", "ผู้บริหาร", "หัวหน้าส่วนราชการ", "ผอ", "ผู้อำนวยการ", "ปลัด", "นายก"),
    "admin": ("admin", "ผู้ดูแล", "ผู้ดูแลระบบ", "แอดมิน", "administrator"),
}


class WordError(ValueError):
    """A word that names none of the valid choices; .choices lists them, .suggestion is the closest."""

    def __init__(self, word: str, choices: Sequence[str], suggestion: str = "") -> None:
        super().__init__(word)
        self.word = word
        self.choices = list(choices)
        self.suggestion = suggestion


def normalize(text: str) -> str:
    """NFC, Arabic digits, sara am composed, no invisible marks, single spaces, lower case."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).translate(_THAI_DIGITS)
    text = text.replace("\u0e4d\u0e32", "\u0e33")  # nikhahit + sara aa, as some keyboards type sara am
    return re.sub(r"\s+", " ", text).strip().lower()


def parse_round(text: str) -> int:
    """3/๓/รอบ 3/3 เดือน/รอบ ๓ เดือน → 3; ไตรมาส 1/Q1 → 3; 12/ทั้งปี → 12."""
    word = normalize(text).replace(" ", "")
    word = re.sub(r"^(รอบที่|รอบ|round)", "", word)
    word = re.sub(r"(เดือน|months?|m)$", "", word)
    if word in ("ทั้งปี", "สิ้นปี", "year"):
        return 12
    quarter = re.fullmatch(r"(?:ไตรมาส(?:ที่)?|q|quarter)([1-4])", word)
    if quarter:
        return _QUARTER_TO_ROUND[int(quarter.group(1))]
    if word.isdigit() and int(word) in ROUND_CHOICES:
        return int(word)
    raise WordError(text, [f"รอบ {r} เดือน" for r in ROUND_CHOICES])


def parse_role(text: str) -> str:
    """Thai or English role words → "officer" | "head" | "admin"."""
    word = normalize(text).replace(" ", "").rstrip(".")
    for role, words in ROLE_WORDS.items():
        if word in {w.replace(" ", "") for w in words}:
            return role
    every = [w for ws in ROLE_WORDS.values() for w in ws]
    close = difflib.get_close_matches(word, every, n=1, cutoff=0.6)
    raise WordError(text, ["เจ้าหน้าที่ (officer)", "หัวหน้า (head)", "ผู้ดูแล (admin)"], close[0] if close else "")


def _key(name: str) -> str:
    return normalize(name).replace(" ", "")


def parse_unit(text: str, units: Sequence[Unit]) -> Unit:
    """A unit by its number in the list (1-based, Thai digits too), its name or alias, or a unique part."""
    word = _key(text)
    if word.isdigit() and 1 <= int(word) <= len(units):
        return units[int(word) - 1]
    exact = [u for u in units if word in (_key(u.name), *(_key(a) for a in u.aliases))]
    if len(exact) == 1:
        return exact[0]
    partial = [u for u in units if word and word in _key(u.name)]
    if len(partial) == 1:
        return partial[0]
    names = [u.name for u in units]
    close = difflib.get_close_matches(word, [_key(n) for n in names], n=1, cutoff=0.6)
    suggestion = next((n for n in names if close and _key(n) == close[0]), "")
    raise WordError(text, [f"{i}. {n}" for i, n in enumerate(names, 1)], suggestion)
