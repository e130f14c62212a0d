"""Dates as officers type them: "12 ม.ค. 2569", "12 มกราคม 69", "12/1/2569", Thai digits, or CE years.

Used when a photo or file carries no date of its own and the bot asks for one; a Buddhist Era year is
the default reading (2569 → 2026), a short year is BE too (69 → 2569), a four-digit year below 2400 is CE.
"""

from __future__ import annotations

import re
from datetime import date

from .fiscal import be_to_ce, to_arabic_digits

__all__ = ["parse_thai_date"]

_MONTHS: dict[str, int] = {}
for _no, _names in enumerate(
    (
        ("ม.ค.", "มกราคม", "มกรา", "jan", "january"),
        ("ก.พ.", "กุมภาพันธ์", "กุมภา", "feb", "february"),
        ("มี.ค.", "มีนาคม", "มีนา", "mar", "march"),
        ("เม.ย.", "เมษายน", "เมษา", "apr", "april"),
        ("พ.ค.", "พฤษภาคม", "พฤษภา", "may"),
        ("มิ.ย.", "มิถุนายน", "มิถุนา", "jun", "june"),
        ("ก.ค.", "กรกฎาคม", "กรกฎา", "jul", "july"),
        ("ส.ค.", "สิงหาคม", "สิงหา", "aug", "august"),
        ("ก.ย.", "กันยายน", "กันยา", "sep", "sept", "september"),
        ("ต.ค.", "ตุลาคม", "ตุลา", "oct", "october"),
        ("พ.ย.", "พฤศจิกายน", "พฤศจิกา", "nov", "november"),
        ("ธ.ค.", "ธันวาคม", "ธันวา", "dec", "december"),
    ),
    start=1,
):
    for _name in _names:
        _MONTHS[_name.replace(".", "")] = _no

_NUMERIC = re.compile(r"^(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDS = re.compile(r"^(\d{1,2})\s*([^\d\s]+(?:\s*[^\d\s]+)?)\s*(\d{2}|\d{4})$")
_PREFIX = re.compile(r"^(วันที่|วัน|ที่|date)\s*", re.I)
_YEAR_WORDS = re.compile(r"(พ\.ศ\.|พ\.ศ|พศ\.?|ค\.ศ\.|ค\.ศ)")


def _year(text: str) -> int:
    """A typed year as CE: 2569 and 69 are BE, 2026 is CE."""
    year = int(text)
    if len(text) == 2:
        return be_to_ce(2500 + year)
    return be_to_ce(year) if year >= 2400 else year


def _make(y: int, m: int, d: int) -> date | None:
    try:
        day = date(y, m, d)
    except ValueError:
        return None
    return day if 1990 <= day.year <= 2100 else None


def parse_thai_date(text: str) -> date | None:
    """The date in a typed answer, or None when it is not one (a wrong day of the month included)."""
    raw = to_arabic_digits(" ".join(text.split())).strip().lower()
    raw = _YEAR_WORDS.sub(" ", _PREFIX.sub("", raw))
    raw = " ".join(raw.split())
    if match := _ISO.match(raw):
        y, m, d = (int(g) for g in match.groups())
        return _make(y, m, d)
    if match := _NUMERIC.match(raw):
        d, m = int(match.group(1)), int(match.group(2))
        return _make(_year(match.group(3)), m, d)
    if match := _WORDS.match(raw):
        month = _MONTHS.get(match.group(2).replace(" ", "").replace(".", ""), 0)
        if not month:
            return None
        return _make(_year(match.group(3)), month, int(match.group(1)))
    return None
