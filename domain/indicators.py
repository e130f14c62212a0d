"""The ITA indicators by number and official name, so a plan's bare "1" or "๐๑๒" reads as what it means."""

from __future__ import annotations

import re
from dataclasses import dataclass

from domain.fiscal import to_arabic_digits

__all__ = [
    "INDICATORS",
    "OIT_2566_ITEMS",
    "Indicator",
    "IndicatorRef",
    "indicator_ref",
    "oit_subindicator",
    "read_indicator",
    "split_components",
]


@dataclass(frozen=True)
class Indicator:
    """One ITA indicator (1–10) or OIT sub-indicator (9.1–9.5, 10.1–10.2) with its official name."""

    no: str
    name: str
    instrument: str  # IIT, EIT or OIT: the assessment tool that scores it
    aliases: tuple[str, ...] = ()  # other spellings offices use for the same indicator

    @property
    def names(self) -> tuple[str, ...]:
        """The official name first, then the accepted variants."""
        return (self.name, *self.aliases)


_ALL: tuple[Indicator, ...] = (
    Indicator("1", "การปฏิบัติหน้าที่", "IIT"),
    Indicator("2", "การใช้งบประมาณ", "IIT"),
    Indicator("3", "การใช้อำนาจ", "IIT"),
    Indicator("4", "การใช้ทรัพย์สินของราชการ", "IIT", ("การใช้ทรัพย์สินของทางราชการ",)),
    Indicator("5", "การแก้ไขปัญหาการทุจริต", "IIT", ("การแก้ปัญหาการทุจริต",)),
    Indicator("6", "คุณภาพการดำเนินงาน", "EIT"),
    Indicator("7", "ประสิทธิภาพการสื่อสาร", "EIT"),
    Indicator("8", "การปรับปรุงการทำงาน", "EIT", ("การปรับปรุงระบบการทำงาน",)),
    Indicator("9", "การเปิดเผยข้อมูล", "OIT"),
    Indicator("10", "การป้องกันการทุจริต", "OIT"),
    # OIT 2566 sub-indicators, named as the form (and seed 004) heads its tables
    Indicator("9.1", "ข้อมูลพื้นฐาน", "OIT"),
    Indicator("9.2", "การบริหารงานการดำเนินงาน", "OIT", ("การบริหารงาน",)),
    Indicator("9.3", "การจัดซื้อจัดจ้าง", "OIT", ("การจัดซื้อจัดจ้างหรือการจัดหาพัสดุ",)),
    Indicator("9.4", "การบริหารและพัฒนาทรัพยากรบุคคล", "OIT"),
    Indicator("9.5", "การส่งเสริมความโปร่งใส", "OIT"),
    Indicator("10.1", "การดำเนินการเพื่อป้องกันการทุจริต", "OIT"),
    Indicator("10.2", "มาตรการส่งเสริมคุณธรรมและความโปร่งใส", "OIT"),
)
INDICATORS: dict[str, Indicator] = {i.no: i for i in _ALL}

# OIT 2566 items o1–o43 by sub-indicator: (first item, last item, sub-indicator)
OIT_2566_ITEMS: tuple[tuple[int, int, str], ...] = (
    (1, 10, "9.1"),
    (11, 18, "9.2"),
    (19, 22, "9.3"),
    (23, 26, "9.4"),
    (27, 30, "9.5"),
    (31, 38, "10.1"),
    (39, 43, "10.2"),
)


@dataclass(frozen=True)
class IndicatorRef:
    """What a plan row says about its indicator: number, name, and the OIT item code when it is one."""

    no: str = ""  # "1", "9.4"; for an OIT item its sub-indicator
    name: str = ""
    oit_code: str = ""  # "o12"

    @property
    def key(self) -> str:
        """What identifies the row's indicator when plans are compared: the OIT code, else the number."""
        return self.oit_code or self.no

    @property
    def label(self) -> str:
        """What views print in the indicator column: "1 การปฏิบัติหน้าที่", or the OIT code "o12"."""
        return self.oit_code or f"{self.no} {self.name}".strip()


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", to_arabic_digits(text)).lower()


def oit_subindicator(code: str) -> str:
    """ "o12" → "9.2": the OIT 2566 sub-indicator an item belongs to ("" for an unknown item)."""
    found = re.fullmatch(r"o(\d{1,2})", code)
    if not found:
        return ""
    n = int(found.group(1))
    return next((sub for first, last, sub in OIT_2566_ITEMS if first <= n <= last), "")


def _canonical(no: str, written: str) -> str:
    """The name to keep: the known spelling when the written one only differs by spaces, else as written."""
    compact = _compact(written)
    known = INDICATORS.get(no)
    candidates = known.names if known else ()
    return next((n for n in candidates if _compact(n) == compact), " ".join(written.split()))


def indicator_ref(key: str, written_name: str = "") -> IndicatorRef:
    """A reference from a number or OIT code and the name the plan wrote (a bare number gets the official one)."""
    if key.startswith("o"):
        sub = oit_subindicator(key)
        known = INDICATORS.get(sub)
        return IndicatorRef(no=sub, name=known.name if known else "", oit_code=key)
    known = INDICATORS.get(key)
    name = _canonical(key, written_name) if written_name.strip() else (known.name if known else "")
    return IndicatorRef(no=key, name=name)


_OIT_CODE = re.compile(r"^(?:ข้อ)?(?:o\.?|0)(\d{1,2})(?![\d.])")
_NUMBERED = re.compile(
    r"^\s*(?:ตัวชี้วัด(?:ย่อย)?\s*(?:ที่)?\s*)?\(?\s*(\d{1,3})(?:\s*\.\s*(\d)(?!\d))?\s*\)?\s*[.:\-–)]?\s*(.*)$",
    re.DOTALL,
)


def _by_name(text: str) -> IndicatorRef | None:
    """A cell naming the indicator without its number ("การใช้อำนาจ", "ตัวชี้วัดการใช้อำนาจ")."""
    compact = _compact(text)
    if compact.startswith("ตัวชี้วัด"):
        compact = compact[len("ตัวชี้วัด") :]
    for ind in sorted(_ALL, key=lambda i: -max(len(n) for n in i.names)):  # longest names first
        for name in ind.names:
            if compact.startswith(_compact(name)):
                return IndicatorRef(no=ind.no, name=_canonical(ind.no, text) if compact == _compact(name) else name)
    return None


def read_indicator(text: str) -> IndicatorRef | None:
    """ "1. การปฏิบัติ หน้าที่" → 1 การปฏิบัติหน้าที่, "๐๑๒" → o12 (9.2), "ตัวชี้วัดย่อยที่ ๙.๔ …" → 9.4; None if none."""
    compact = _compact(text)
    if not compact:
        return None
    oit = _OIT_CODE.match(compact)
    if oit and int(oit.group(1)) > 0:
        return indicator_ref(f"o{int(oit.group(1))}")
    numbered = _NUMBERED.match(to_arabic_digits(text.strip()))
    if numbered and (numbered.group(3) == "" or not numbered.group(3)[:1].isdigit()):
        main, sub, rest = int(numbered.group(1)), numbered.group(2), numbered.group(3)
        if not 1 <= main <= 10:
            return None
        no = f"{main}.{sub}" if sub and f"{main}.{sub}" in INDICATORS else str(main)
        return indicator_ref(no, rest.strip())
    return _by_name(text)


_COMPONENT_START = ("แสดง", "มี", "เป็น", "ระบุ")


def split_components(text: str) -> list[str]:
    """An OIT item's "- แสดง … - มี …" cell as its list of required components.

    A dash starts a component at the start of the text or after a space, unless it only joins a short word
    ("ชื่อ - นามสกุล", "ถาม - ตอบ") or a date range ("๑ ต.ค. ๖๕ - ๓๑ มี.ค. ๖๖") to the text before it.
    """
    items: list[str] = []
    for part in (p.strip() for p in re.split(r"(?:^|(?<=\s))[-•]\s+", text.strip())):
        if not part:
            continue
        first = to_arabic_digits(part.split()[0])
        if items and (first[:1].isdigit() or (len(first) <= 8 and not first.startswith(_COMPONENT_START))):
            items[-1] = f"{items[-1]} - {part}"
        else:
            items.append(part)
    return items
