"""What a column holds, scored by its header's words (Thai and English) and by what its cells look like."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from domain.fiscal import to_arabic_digits
from domain.indicators import read_indicator

from .units import looks_like_units

__all__ = [
    "FIELD_OF_ROLE",
    "ROLE_NAMES",
    "ROLES",
    "ColumnGuess",
    "assign_roles",
    "cell_scores",
    "guess_role",
    "header_scores",
    "role_of_field",
    "shape_of",
    "understand_columns",
]

# role → the Thai name the preview and the mapping step show
ROLE_NAMES: dict[str, str] = {
    "number": "ลำดับ",
    "indicator": "ตัวชี้วัด",
    "title": "ชื่อมาตรการ",
    "topic": "ประเด็น/ข้อคำถาม",
    "weakness": "จุดอ่อน/ผลการวิเคราะห์",
    "steps": "ขั้นตอน/แนวทาง",
    "responsible": "ผู้รับผิดชอบ",
    "period": "ระยะเวลา",
    "rounds": "รอบรายงาน",
    "budget": "งบประมาณ",
    "output": "ตัวชี้วัดผลผลิต",
    "supervision": "ผู้กำกับดูแล",
    "components": "องค์ประกอบ",
    "ignore": "ไม่ใช้",
}
ROLES = tuple(ROLE_NAMES)
# role → the field the table reader fills (budget, output and supervision are shown, not stored)
FIELD_OF_ROLE: dict[str, str] = {
    "number": "no",
    "indicator": "indicator",
    "title": "title",
    "topic": "topic",
    "weakness": "analysis",
    "steps": "steps",
    "responsible": "responsible",
    "period": "period",
    "rounds": "monitoring",
    "components": "components",
}


def role_of_field(field_name: str) -> str:
    """The role a reader field came from ("monitoring" → "rounds"), "ignore" for any other."""
    return next((r for r, f in FIELD_OF_ROLE.items() if f == field_name), "ignore")


# role → (Thai fragments a header contains, English words it contains), strongest first
_SYNONYMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "number": (("ลำดับ", "ลำดับที่"), ("no", "no.", "#", "item", "number")),
    "indicator": (("ตัวชี้วัดที่", "ตัวชี้วัด"), ("indicator", "kpi")),
    "title": (("มาตรการ", "กิจกรรม", "โครงการ", "ชื่อมาตรการ"), ("measure", "title", "activity", "project")),
    "topic": (("ประเด็น", "ข้อคำถาม", "คำถาม", "หัวข้อการประเมิน"), ("topic", "question", "issue")),
    "weakness": (
        ("จุดอ่อน", "ข้อบกพร่อง", "ข้อควรพัฒนา", "ข้อควรปรับปรุง", "วิเคราะห์", "ปัญหา", "สิ่งที่พบ"),
        ("weakness", "analysis", "finding", "gap"),
    ),
    "steps": (
        ("แนวทาง", "ขั้นตอน", "วิธีดำเนินการ", "วิธีการ", "วิธีปฏิบัติ", "การดำเนินการ", "แนวปฏิบัติ"),
        ("action", "guideline", "steps", "method", "how"),
    ),
    "responsible": (("รับผิดชอบ", "หน่วยงานที่", "ผู้ดำเนินการ"), ("responsible", "unit", "owner")),
    "period": (("ระยะเวลา", "ห้วงเวลา", "กำหนดเวลา", "ช่วงเวลา"), ("period", "timeline", "duration", "when")),
    "rounds": (("ติดตาม", "รอบการรายงาน", "รอบรายงาน", "การรายงานผล"), ("rounds", "round", "monitoring")),
    "budget": (("งบประมาณ",), ("budget", "cost")),
    "output": (("ผลผลิต", "เป้าหมาย", "ตัวชี้วัดความสำเร็จ"), ("output", "target")),
    "supervision": (("ผู้กำกับ", "กำกับดูแล", "ผู้ตรวจสอบ"), ("supervision", "supervisor")),
    "components": (("องค์ประกอบ",), ("components",)),
    "ignore": (
        ("สรุปผล", "ผลลัพธ์", "ความก้าวหน้า", "ผลการดำเนินการ", "คะแนน", "หมายเหตุ", "หลักฐาน", "ความสำเร็จ"),
        ("result", "progress", "score", "note", "evidence"),
    ),
}
# fragments that outrank the ones they contain ("ผู้กำกับดูแล" is not "การกำกับติดตาม")
_SPECIFIC = ("ignore", "supervision", "output", "budget", "weakness", "topic", "rounds", "responsible",
             "period", "components", "indicator", "steps", "title", "number")

_MONTHS = (
    "มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม|พฤศจิกายน|ธันวาคม"
    r"|ม\.ค\.|ก\.พ\.|มี\.ค\.|เม\.ย\.|พ\.ค\.|มิ\.ย\.|ก\.ค\.|ส\.ค\.|ก\.ย\.|ต\.ค\.|พ\.ย\.|ธ\.ค\."
)
_PERIOD = re.compile(rf"(?:{_MONTHS})|ปีงบประมาณ|ตลอดปี|(?<!\d)25[6-9]\d(?!\d)")
_ROUNDS = re.compile(r"รอบ\s*(?:ที่\s*)?\d|\d\s*เดือน|ไตรมาส|ทุกรอบ")
_NUMBER = re.compile(r"^\(?[o]?\d{1,3}[.)]?$")
_BUDGET = re.compile(r"\d[\d,]*(?:\.\d+)?\s*(?:บาท|ลบ\.)|^[\d,]{4,}(?:\.\d\d)?$|ไม่ใช้งบประมาณ")
_TITLE_START = re.compile(r"^(?:[-•*]\s*)?(?:มาตรการ|โครงการ|กิจกรรม|จัดทำ|จัด|ส่งเสริม|เผยแพร่|ประชาสัมพันธ์|ปรับปรุง)")


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", to_arabic_digits(text)).lower()


def header_scores(text: str) -> dict[str, float]:
    """How strongly a header cell names each role: 1.0 an exact or leading synonym, 0.8 one inside it."""
    compact = _compact(text).strip(":*")
    if not compact or len(compact) > 60:
        return {}
    words = set(re.findall(r"[a-z#.]+", compact))
    scores: dict[str, float] = {}
    for role in _SPECIFIC:
        thai, english = _SYNONYMS[role]
        if compact in english or compact in thai or any(compact.startswith(f) for f in thai):
            scores[role] = 1.0
        elif any(f in compact for f in thai) or words & set(english):
            scores[role] = 0.8
        if role in scores and role in ("ignore", "supervision", "output", "budget"):
            break  # a progress or supervisor column is never also the measure's title or its rounds
    return scores


def _looks_number(t: str) -> bool:
    return bool(_NUMBER.match(_compact(t)))


def _looks_indicator(t: str) -> bool:
    return len(t) <= 80 and (t.startswith("ตัวชี้วัด") or bool(re.match(r"^\d{1,2}(?:\.\d)?\.?\s*\D", t))) and (
        read_indicator(t) is not None
    )


_LOOKS: dict[str, Callable[[str], bool]] = {
    "rounds": lambda t: bool(_ROUNDS.search(t)),
    "period": lambda t: bool(_PERIOD.search(t)) and not _ROUNDS.search(t),
    "responsible": looks_like_units,
    "number": _looks_number,
    "indicator": _looks_indicator,
    "budget": lambda t: bool(_BUDGET.search(t)),
    "title": lambda t: 8 <= len(t) <= 400 and bool(_TITLE_START.match(t)),
    "steps": lambda t: bool(re.match(r"^(?:\d{1,2}[.)]|[-•])", t)) and len(t) > 20,
}


def cell_scores(cells: list[str]) -> dict[str, float]:
    """The share of a column's filled cells that look like each role's content (units, months, rounds …)."""
    filled = [to_arabic_digits(c).strip() for c in cells if c.strip()][:60]
    if not filled:
        return {}
    scores = {role: sum(1 for c in filled if looks(c)) / len(filled) for role, looks in _LOOKS.items()}
    return {r: s for r, s in scores.items() if s > 0}


def _combined(header: str, cells: list[str]) -> dict[str, float]:
    """Header and cells together: a known header with matching cells is surest; cells alone cap at 0.85."""
    by_header, by_cells = header_scores(header), cell_scores(cells)
    out: dict[str, float] = {}
    for role in set(by_header) | set(by_cells):
        h, c = by_header.get(role, 0.0), by_cells.get(role, 0.0)
        if role not in _LOOKS:
            c = h  # free-text roles: the cells cannot tell, the header alone decides
        out[role] = min(1.0, 0.75 * h + 0.25 * c + (0.1 if h and c >= 0.6 else 0.0)) if h else 0.85 * c
    return out


@dataclass
class ColumnGuess:
    """One column as understood: its 1-based position, header, role and how sure (0–1)."""

    index: int
    header: str
    role: str
    confidence: float
    table: int = 0


def assign_roles(headers: list[str], columns: list[list[str]], table: int = 0) -> list[ColumnGuess]:
    """Each column's role, the surest first, one column per role (ignore may repeat).

    A per-indicator table's "แนวทาง" column is its measure when no column is a measure title.
    """
    scored = [_combined(h, c) for h, c in zip(headers, columns, strict=True)]
    pairs = sorted(((s, i, r) for i, roles in enumerate(scored) for r, s in roles.items()), reverse=True)
    chosen: dict[int, tuple[str, float]] = {}
    taken: set[str] = set()
    for score, i, role in pairs:
        if i in chosen or (role in taken and role != "ignore") or score < 0.3:
            continue
        chosen[i] = (role, score)
        taken.add(role)
    if "title" not in taken:
        steps = next((i for i, (r, _) in chosen.items() if r == "steps"), None)
        if steps is not None:
            chosen[steps] = ("title", chosen[steps][1])
    return [
        ColumnGuess(i + 1, " ".join(h.split()), *chosen.get(i, ("ignore", 0.0)), table=table)
        for i, h in enumerate(headers)
    ]


def guess_role(cells: list[str], taken: set[str]) -> str | None:
    """A reader field for a column with an unknown header: the one most of its cells look like (3 in 5)."""
    for role in ("rounds", "period", "responsible"):
        field_name = FIELD_OF_ROLE[role]
        if field_name in taken:
            continue
        if cell_scores(cells).get(role, 0.0) >= 0.6:
            return field_name
    return None


def shape_of(header: list[str]) -> str:
    """A table's shape: its header row normalised (spacing, digits, case), the key a remembered mapping uses."""
    return "|".join(_compact(c) for c in header)


def _confidence(header: str, cells: list[str], role: str) -> float:
    """How sure a reader's choice is: scored again by header and cells; a header rule alone is 0.7."""
    score = _combined(header, cells).get(role, 0.0)
    return round(max(score, 0.7 if header.strip() else 0.5), 2)


def understand_columns(
    header_log: dict[int, tuple[int, list[str]]],
    header_columns: dict[int, dict[int, str]],
    samples: dict[int, dict[int, list[str]]],
) -> tuple[list[ColumnGuess], dict[int, str]]:
    """Each distinct header's columns as (role, confidence) for the preview, and each table's shape."""
    guesses: list[ColumnGuess] = []
    shapes: dict[int, str] = {}
    seen: set[str] = set()
    for header_id, (table, cells) in header_log.items():
        shape = shape_of(cells)
        shapes.setdefault(table, shape)
        if shape in seen:
            continue
        seen.add(shape)
        fields = header_columns.get(header_id, {})
        column_cells = samples.get(header_id, {})
        for col, header in enumerate(cells):
            field_name = fields.get(col, "ignore")
            role = role_of_field(field_name) if not field_name.startswith("?") else "ignore"
            if role == "ignore":
                extra = {r: s for r, s in header_scores(header).items()
                         if r in ("budget", "output", "supervision", "ignore")}
                role = max(extra, key=lambda r: extra[r]) if extra else "ignore"
            if not header.strip() and not column_cells.get(col):
                continue
            guesses.append(ColumnGuess(col + 1, " ".join(header.split()), role,
                                       _confidence(header, column_cells.get(col, []), role), table))
    return guesses, shapes
