"""Unit names as plans write them: split a responsible cell into units and match spelling variants."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storage.models import Unit

__all__ = [
    "ALL_UNITS_LABEL",
    "Responsible",
    "clean_unit_name",
    "is_all_units",
    "is_division_name",
    "is_section_name",
    "looks_like_units",
    "match_unit",
    "read_responsible",
    "split_responsible",
    "unit_key",
    "unit_label",
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
_SEPARATORS = re.compile(r"(\s*(?:[/,;、\n]|\s+และ\s+|\s+หรือ\s+)\s*)")
# Separators after which a division may be the section's own: "งานพัสดุ/ กองคลัง", a line break
_PAIRING = ("/", "")
# "งานพัสดุ (กองคลัง)", "งานพัสดุ สังกัดกองคลัง", "งานพัสดุ ในกองคลัง": the division written out as such
_INSIDE_PAREN = re.compile(r"\s*\(\s*((?:กอง|สำนัก|ส่วน)[^()]*?)\s*\)")
_INSIDE_WORD = re.compile(r"\s+(?:สังกัด|ใน)\s*(?=กอง|สำนัก|ส่วน)")
_AND_UNIT = re.compile(r"\s+และ\s*(?=" + "|".join(_UNIT_PREFIXES) + ")")
_SECTION_PREFIXES = ("งาน", "ฝ่าย", "หน่วย", "กลุ่มงาน", "ศูนย์")
_DIVISION_PREFIXES = ("กอง", "สำนัก", "ส่วน")


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


@dataclass
class Responsible:
    """A responsible cell read: the units that answer, the division each section sits in, or every unit."""

    names: list[str] = field(default_factory=list)
    parents: dict[str, str] = field(default_factory=dict)  # section name → its division's name
    all_units: bool = False


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Unit names in order, each with whether it may be a section's division (only "/", a space or "(" before it)."""
    text = text.translate(_ZERO_WIDTH).replace("\xa0", " ")
    text = _AND_UNIT.sub(" และ ", _INSIDE_WORD.sub(" / ", _INSIDE_PAREN.sub(r" / \1", text)))
    found: list[tuple[str, bool]] = []
    pieces = _SEPARATORS.split(text)
    for i in range(0, len(pieces), 2):
        joinable = i > 0 and pieces[i - 1].strip() in _PAIRING
        for j, name in enumerate(_split_words(clean_unit_name(pieces[i]))):
            name = clean_unit_name(name)
            if name:
                found.append((name, joinable or j > 0))
    return found


def read_responsible(text: str) -> Responsible:
    """Responsible cell → units; "งานพัสดุ/ กองคลัง" is one section (งานพัสดุ) of its division (กองคลัง)."""
    if is_all_units(text):
        return Responsible(all_units=True)
    tokens = _tokens(text)
    result = Responsible()
    seen: set[str] = set()
    i = 0
    while i < len(tokens):
        name = tokens[i][0]
        if is_all_units(name):
            return Responsible(all_units=True)
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt and nxt[1] and is_section_name(name) and is_division_name(nxt[0]):
            result.parents.setdefault(name, nxt[0])
            i += 1
        i += 1
        if unit_key(name) not in seen:
            seen.add(unit_key(name))
            result.names.append(name)
    return result


def split_responsible(text: str) -> tuple[list[str], bool]:
    """Responsible cell → (every unit name it writes, in order; every-unit flag), sections not paired."""
    if is_all_units(text):
        return [], True
    names: list[str] = []
    for name, _ in _tokens(text):
        if is_all_units(name):
            return [], True
        if unit_key(name) not in {unit_key(n) for n in names}:
            names.append(name)
    return names, False


def looks_like_units(text: str) -> bool:
    """True when a cell reads as unit names only ("กองคลัง", "งานพัสดุ/ กองคลัง", "ทุกส่วนราชการ")."""
    if is_all_units(text):
        return True
    names = [name for name, _ in _tokens(text)]
    return bool(names) and all(n.startswith(_UNIT_PREFIXES) and len(n) <= 40 for n in names)


def is_section_name(name: str) -> bool:
    """ "งานพัสดุ", "ฝ่ายปกครอง": a name that reads as a section inside a division."""
    return clean_unit_name(name).startswith(_SECTION_PREFIXES)


def is_division_name(name: str) -> bool:
    """ "กองคลัง", "สำนักปลัด": a name that reads as a division (ส่วนราชการ)."""
    return clean_unit_name(name).startswith(_DIVISION_PREFIXES)


def unit_label(name: str, parent: str = "") -> str:
    """How previews show a unit: "งานพัสดุ (ใน กองคลัง)" for a section, the name for a division."""
    return f"{name} (ใน {parent})" if parent else name


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
