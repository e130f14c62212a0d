"""Cell and header parsing for plan tables: numbers, indicators, rounds, and which field a header names."""

from __future__ import annotations

import re
from typing import Any

from domain.fiscal import to_arabic_digits
from domain.indicators import INDICATORS, read_indicator
from storage.models import ROUNDS

__all__ = [
    "MAX_HEADER_CHARS",
    "clean_text",
    "compact",
    "header_field",
    "infer_indicator",
    "map_header",
    "parse_indicator",
    "parse_no",
    "parse_rounds",
]


# ----- cells ----------------------------------------------------------------------------------
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff"), None)


def clean_text(value: Any) -> str:
    """A cell as text: no HTML fragments or invisible marks, single spaces, no blank lines."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _TAG.sub(" ", str(value)).translate(_INVISIBLE).replace("\xa0", " ").replace("\r", "\n")
    lines = (re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def compact(text: str) -> str:
    return re.sub(r"\s+", "", to_arabic_digits(text)).lower()


def parse_indicator(text: str) -> str | None:
    """ "1. การปฏิบัติ หน้าที่" → "1", "o12"/"๐๑๒" → "o12", "๙.๔" → "9.4"; None when it names no indicator."""
    ref = read_indicator(clean_text(text))
    return ref.key if ref else None


def infer_indicator(*texts: str) -> str:
    """The indicator a measure's own text cites ("จากผลการประเมิน ITA ตัวชี้วัดที่ ๙.๔ …"), or ""."""
    for text in texts:
        found = re.search(r"ตัวชี้วัด(?:ย่อย)?ที่(\d{1,2})(?:\.(\d)(?!\d))?", compact(text))
        if found and 1 <= int(found.group(1)) <= 10:
            sub = f"{found.group(1)}.{found.group(2)}"
            return sub if found.group(2) and sub in INDICATORS else found.group(1)
    return ""


def parse_no(text: str) -> int | None:
    """ "๑", "1.", "(1)", "ข้อ 3", "๐๑๒" → the number; None when the cell holds none."""
    found = re.match(r"^(?:ข้อ|ลำดับ(?:ที่)?|no\.?)?\(?o?(\d{1,4})[.)]?$", compact(clean_text(text)))
    return int(found.group(1)) if found else None


def _numbers(group: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", group)]


def parse_rounds(text: str) -> tuple[list[int] | None, str]:
    """A การกำกับติดตาม cell → (rounds, note); empty means all four, None means a round that does not exist."""
    t = to_arabic_digits(clean_text(text)).lower()
    if not t:
        return list(ROUNDS), ""
    if re.search(r"ทุกรอบ|ทุกไตรมาส|\bevery\b|\ball\b", t):
        return list(ROUNDS), ""
    found: set[int] = set()
    bad: set[str] = set()
    for m in re.finditer(r"ไตรมาส(?:ที่)?\s*(\d)(?:\s*-\s*(\d))?((?:\s*(?:,|และ|/)\s*\d)*)", t):
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        quarters = list(range(first, last + 1)) + _numbers(m.group(3))
        for q in quarters:
            (found.add(q * 3) if 1 <= q <= 4 else bad.add(f"ไตรมาส {q}"))
    for m in re.finditer(r"รอบ(ที่)?\s*((?:\d+\s*(?:,|และ|/|หรือ|\s)\s*)*\d+)\s*(เดือน)?", t):
        for n in _numbers(m.group(2)):
            if m.group(1) and not m.group(3) and 1 <= n <= 4:
                found.add(n * 3)
            elif n in ROUNDS:
                found.add(n)
            else:
                bad.add(f"รอบ {n}")
    found.update(int(n) for n in re.findall(r"(\d+)\s*เดือน", t) if int(n) in ROUNDS)
    if re.fullmatch(r"[\d\s,/และ]+", t):
        for n in _numbers(t):
            (found.add(n) if n in ROUNDS else bad.add(str(n)))
    if bad:
        return None, f"ไม่มี {', '.join(sorted(bad))} (ใช้ได้เฉพาะรอบ 3, 6, 9, 12 เดือน)"
    if not found:
        return list(ROUNDS), "ไม่ระบุรอบ จึงติดตามทุกรอบ (3, 6, 9, 12 เดือน)"
    return sorted(found), ""


# ----- headers --------------------------------------------------------------------------------
_IGNORE = (
    "สรุปผล",
    "ผลลัพธ์",
    "ความก้าวหน้า",
    "ผลการดำเนินการ",
    "คะแนน",
    "หมายเหตุ",
    "หลักฐาน",
    "งบประมาณ",
    "ความสำเร็จ",
    "ผลผลิต",  # ตัวชี้วัดผลผลิต: the measure's own output target, not an ITA indicator
    "เป้าหมาย",
    "ผู้กำกับ",  # who supervises: a person, not the monitored rounds
    "กำกับดูแล",
)
_HEADER_RULES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    # (field, Thai fragments the header contains, English names it equals)
    ("ignore", _IGNORE, ("result", "results", "progress", "score", "budget", "note", "notes", "target")),
    ("analysis", ("วิเคราะห์", "จุดอ่อน", "ข้อบกพร่อง", "ข้อควรพัฒนา", "ข้อควรปรับปรุง"), ("analysis", "weakness")),
    ("topic", ("ประเด็น", "ข้อคำถาม"), ("topic", "question", "issue")),
    ("monitoring", ("กำกับ", "ติดตาม"), ("rounds", "round", "monitoring")),
    ("responsible", ("รับผิดชอบ",), ("responsible", "unit", "units", "owner")),
    ("period", ("ระยะเวลา",), ("period", "timeline", "duration")),
    ("steps", ("ขั้นตอน", "วิธีดำเนินการ", "วิธีการ", "วิธีปฏิบัติ"), ("steps", "method", "how")),
    ("components", ("องค์ประกอบ",), ("components",)),
    ("indicator", ("ตัวชี้วัด",), ("indicator", "kpi")),
    ("title", ("มาตรการ", "กิจกรรม", "โครงการ"), ("measure", "title", "activity", "ข้อมูล", "รายการ")),
    ("title2", ("แนวทาง",), ("action", "guideline")),
    ("no", (), ("ลำดับ", "ลำดับที่", "ข้อ", "ที่", "no", "no.", "#", "item")),
)
MAX_HEADER_CHARS = 60


def header_field(text: str) -> str | None:
    """Which plan field a header cell names, "ignore" for progress/score columns, None if unknown."""
    key = compact(text).strip(":*")
    if not key or len(key) > MAX_HEADER_CHARS:
        return None
    for name, fragments, exact in _HEADER_RULES:
        if key in exact or any(f in key for f in fragments):
            return name
    return None


def map_header(cells: list[str], strong: bool = False) -> dict[int, str] | None:
    """Column → field when the row is a measure-table header (a title column and one more), else None.

    strong: inside a table, only a row that is clearly a header (a repeated one) counts, not a data row.
    Otherwise a third of the cells known is enough: the other columns are judged by their cells later.
    """
    filled = [(i, c) for i, c in enumerate(cells) if c.strip()]
    if len(filled) < (3 if strong else 2):
        return None
    mapping: dict[int, str] = {}
    for i, text in filled:
        name = header_field(text)
        if name is None:
            continue
        if name != "ignore" and name in mapping.values():
            name = "ignore"
        mapping[i] = name
    if (4 * len(mapping) < 3 * len(filled)) if strong else (3 * len(mapping) < len(filled)):
        return None
    if "title2" in mapping.values():
        col = next(i for i, n in mapping.items() if n == "title2")
        mapping[col] = "steps" if "title" in mapping.values() and "steps" not in mapping.values() else "title"
        if list(mapping.values()).count("title") > 1:
            mapping[col] = "ignore"
    fields = set(mapping.values())
    if "title" not in fields or not fields & {
        "no",
        "indicator",
        "steps",
        "responsible",
        "period",
        "components",
    }:
        return None
    return mapping
