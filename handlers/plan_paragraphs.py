"""Measures written as numbered paragraphs ("มาตรการที่ ๑ …", "๑. …", "1) …") instead of a table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from domain.fiscal import to_arabic_digits
from domain.indicators import read_indicator

from .plan_table import GridRow, ParsedPlan, TableReader, clean_text

__all__ = ["numbered_plan"]

_MEASURE = re.compile(r"^มาตรการ\s*ที่\s*(\d{1,3})\s*[:.)]?\s*(.*)$")
_NUMBERED = re.compile(r"^\(?(\d{1,2})\s*[.)]\s*(\S.*)$")
_INDICATOR = re.compile(r"^ตัวชี้วัด(?:ย่อย)?\s*ที่\s*\d")
# a labelled part of a measure ("ผู้รับผิดชอบ: กองคลัง") → the column it fills
_LABELS: tuple[tuple[str, str], ...] = (
    ("responsible", r"ผู้รับผิดชอบ|หน่วยงานรับผิดชอบ|responsible"),
    ("period", r"ระยะเวลา(?:ดำเนินการ|ในการดำเนินการ)?|period"),
    ("monitoring", r"(?:การ)?กำกับติดตาม|รอบ(?:การ)?รายงาน(?:ผล)?|การติดตาม|rounds"),
    ("steps", r"ขั้นตอน(?:/วิธีการ|การดำเนินการ)?|วิธีดำเนินการ|วิธีการ|แนวทาง(?:การดำเนินการ)?"),
)
_LABEL = re.compile(
    r"(?:^|\s|\()(" + "|".join(p for _, p in _LABELS) + r")\s*[:：]\s*", re.IGNORECASE
)
_VERBS = ("มาตรการ", "โครงการ", "กิจกรรม", "จัดทำ", "จัด", "ส่งเสริม", "เผยแพร่", "ประชาสัมพันธ์", "ปรับปรุง", "พัฒนา")
_COLUMNS = ("no", "indicator", "title", "steps", "responsible", "period", "monitoring")
_HEADER = ["ลำดับ", "ตัวชี้วัด", "มาตรการ/กิจกรรม", "ขั้นตอน/วิธีการปฏิบัติ", "ผู้รับผิดชอบ", "ระยะเวลาดำเนินการ",
           "การกำกับติดตาม"]


@dataclass
class _Item:
    no: int
    title: str
    indicator: str
    where: int
    parts: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, text: str) -> None:
        if text:
            self.parts[name] = (self.parts.get(name, "") + "\n" + text).strip()


def _labelled(text: str) -> tuple[str, list[tuple[str, str]]]:
    """A line split into its plain lead and its labelled parts ("… ผู้รับผิดชอบ: กองคลัง")."""
    found = list(_LABEL.finditer(text))
    if not found:
        return text, []
    lead = text[: found[0].start()].strip(" (")
    parts = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        name = next(n for n, p in _LABELS if re.fullmatch(p, m.group(1), re.IGNORECASE))
        parts.append((name, text[m.end() : end].strip(" )")))
    return lead, parts


def _items(paragraphs: list[str]) -> tuple[list[_Item], bool]:
    """The numbered items and whether they are named "มาตรการที่ N" (then plain numbers are steps)."""
    texts = [clean_text(p).strip() for p in paragraphs]
    lines = [to_arabic_digits(t) for t in texts]  # for matching; what is kept keeps the writer's digits
    named = any(_MEASURE.match(x) for x in lines)
    items: list[_Item] = []
    indicator = ""
    for where, (line, text) in enumerate(zip(lines, texts, strict=True), start=1):
        if not line:
            continue
        if _INDICATOR.match(line) and len(line) <= 80:
            ref = read_indicator(line)
            indicator = ref.key if ref and not ref.oit_code else indicator
            continue
        head = _MEASURE.match(line) if named else _NUMBERED.match(line)
        if head and (named or not items or int(head.group(1)) in (1, items[-1].no + 1)):
            lead, parts = _labelled(text[head.start(2) :])
            items.append(_Item(int(head.group(1)), lead, indicator, where))
            for name, text in parts:
                items[-1].add(name, text)
            continue
        if not items:
            continue
        lead, parts = _labelled(text)
        if not items[-1].title:
            items[-1].title = lead
        else:
            items[-1].add("steps", lead)
        for name, text in parts:
            items[-1].add(name, text)
    return items, named


def numbered_plan(paragraphs: list[str], filename: str) -> ParsedPlan | None:
    """Numbered measures read through the table reader (so units and rounds parse alike), or None.

    Plain "1." items count only when they read as measures (a responsible unit, a period or an action word),
    so a document's numbered chapter headings are not taken for a plan.
    """
    items, named = _items(paragraphs)
    items = [i for i in items if i.title]
    if len(items) < 2:
        return None
    measure_like = sum(1 for i in items if i.parts.keys() & {"responsible", "period"} or i.title.startswith(_VERBS))
    if not named and 2 * measure_like < len(items):
        return None
    reader = TableReader(strict=False)
    reader.start_table(continues=False, number=0)
    any_indicator = any(i.indicator for i in items)  # else each measure's own text may still name one
    reader.force({c: n if n != "indicator" or any_indicator else "ignore" for c, n in enumerate(_COLUMNS)}, _HEADER)
    for item in items:
        values = {"no": str(item.no), "indicator": item.indicator, "title": item.title, **item.parts}
        reader.feed(GridRow(cells=[values.get(name, "") for name in _COLUMNS], label=f"ย่อหน้าที่ {item.where}"))
    parsed = reader.result(filename)
    parsed.columns = []
    parsed.problems.insert(0, f"ไม่พบตารางมาตรการ: อ่านจากย่อหน้าที่มีเลขข้อ {len(items)} ข้อ")
    return parsed
