"""Unit names as plans write them: split a responsible cell into units and match spelling variants."""

from __future__ import annotations

import re

from storage.models import Unit

__all__ = [
    "ALL_UNITS_LABEL",
    "clean_unit_name",
    "is_all_units",
    "match_unit",
    "split_responsible",
    "unit_key",
]

ALL_UNITS_LABEL = "ทุกส่วนราชการ"

# Cells meaning "every unit", compared without spaces.
_ALL_UNITS = ("ทุกส่วนราชการ", "ทุกส่วนงาน", "ทุกกอง", "ทุกหน่วยงาน", "ทุกสำนัก/กอง", "ทุกสำนักกอง", "ทุกฝ่าย")
_ALL_UNITS_EN = ("all", "allunits", "every unit", "everyunit", "*")

# Words that start a unit name; a space followed by one of them starts the next unit.
_UNIT_PREFIXES = ("สำนัก", "กอง", "งาน", "ฝ่าย", "ส่วน", "หน่วย", "ศูนย์", "กลุ่มงาน", "เจ้าหน้าที่")

# Spelling variants folded together when comparing names (applied to the space-free key).
_KEY_REWRITES: tuple[tuple[str, str], ...] = (
    ("สำนักงานปลัด", "สำนักปลัด"),
    ("สป.", "สำนักปลัด"),
)
# Trailing words naming the organization itself ("สำนักปลัดเทศบาล", "กองคลัง อบต.").
_ORG_SUFFIX = re.compile(r"(?<=.)(?:(?:เทศบาล|องค์การบริหารส่วน|อบต\.|อบจ\.|ทต\.).*|อบต|อบจ)$")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None)
_NUMBERING = re.compile(r"^\s*(?:\(?[0-9๐-๙]{1,2}[.)]|[-•*])\s*")
_SEPARATORS = re.compile(r"\s*(?:[/,;、\n]|\s+และ\s+|\s+หรือ\s+)\s*")


def clean_unit_name(name: str) -> str:
    """A unit name fit to show: no numbering, no zero-width marks, single spaces."""
    text = name.translate(_ZERO_WIDTH).replace("\xa0", " ")
    text = _NUMBERING.sub("", text)
    return re.sub(r"\s+", " ", text).strip(" .-:")


def unit_key(name: str) -> str:
    """The comparison key of a unit name: spaces, org suffixes and known variants folded."""
    key = re.sub(r"\s+", "", clean_unit_name(name)).lower()
    for old, new in _KEY_REWRITES:
        if key.startswith(old):
            key = new + key[len(old) :]
    stripped = _ORG_SUFFIX.sub("", key)
    return stripped or key


def is_all_units(text: str) -> bool:
    """True when a responsible cell means every unit (ทุกส่วนราชการ / ทุกส่วนงาน …)."""
    compact = re.sub(r"\s+", "", text.translate(_ZERO_WIDTH)).lower()
    return any(compact.startswith(word) for word in _ALL_UNITS) or compact in _ALL_UNITS_EN


def _split_words(piece: str) -> list[str]:
    """Split "สำนักปลัด กองคลัง" at spaces that start a new unit name; keep "กองการศึกษา ศาสนาฯ" whole."""
    names: list[str] = []
    for word in piece.split():
        word = _NUMBERING.sub("", word)
        if word.startswith("และ") and word[3:].startswith(_UNIT_PREFIXES):
            word = word[3:]
        if not word or word == "และ":
            continue
        if not names or word.startswith(_UNIT_PREFIXES):
            names.append(word)
        else:
            names[-1] = f"{names[-1]} {word}"
    return names


def split_responsible(text: str) -> tuple[list[str], bool]:
    """Responsible cell → (unit names in order, every-unit flag)."""
    text = text.translate(_ZERO_WIDTH).replace("\xa0", " ")
    if is_all_units(text):
        return [], True
    names: list[str] = []
    for piece in _SEPARATORS.split(text):
        for name in _split_words(clean_unit_name(piece)):
            name = clean_unit_name(name)
            if not name:
                continue
            if is_all_units(name):
                return [], True
            if unit_key(name) not in {unit_key(n) for n in names}:
                names.append(name)
    return names, False


def _stem(key: str) -> str:
    """ "กองการศึกษาฯ" → "กองการศึกษา": an abbreviated name matches the full one it starts."""
    return key[:-1] if key.endswith("ฯ") else key


def match_unit(name: str, units: list[Unit]) -> Unit | None:
    """The existing unit a plan's name refers to (same key, an alias, or an abbreviation of it)."""
    key = unit_key(name)
    if not key:
        return None
    for unit in units:
        if key == unit_key(unit.name) or key in {unit_key(a) for a in unit.aliases}:
            return unit
    if key.endswith("ฯ") or any(unit_key(u.name).endswith("ฯ") for u in units):
        stem = _stem(key)
        hits = [
            u
            for u in units
            if unit_key(u.name).startswith(stem)
            or (unit_key(u.name).endswith("ฯ") and key.startswith(_stem(unit_key(u.name))))
        ]
        if len(hits) == 1:
            return hits[0]
    return None
