"""The Thai fiscal calendar: Buddhist Era years, fiscal-year bounds, the four rounds and Thai dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pythainlp.util import (
    arabic_digit_to_thai_digit,
    thai_digit_to_arabic_digit,
    thai_strftime,
)

from storage.models import ROUNDS

__all__ = [
    "Round",
    "be_to_ce",
    "ce_to_be",
    "current_round",
    "fiscal_year_bounds",
    "fiscal_year_of",
    "round_label",
    "rounds_of",
    "get_round",
    "thai_date",
    "thai_short_date",
    "thai_medium_date",
    "thai_month_year",
    "to_arabic_digits",
    "to_thai_digits",
    "digits",
]

BE_OFFSET = 543
_ROUND_END = {3: (12, 31), 6: (3, 31), 9: (6, 30), 12: (9, 30)}


def ce_to_be(year: int) -> int:
    """Christian year → Buddhist Era year."""
    return year + BE_OFFSET


def be_to_ce(year: int) -> int:
    """Buddhist Era year → Christian year."""
    return year - BE_OFFSET


def fiscal_year_of(day: date) -> int:
    """Fiscal year (BE) a date belongs to: October starts the next one."""
    return ce_to_be(day.year + 1 if day.month >= 10 else day.year)


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """1 Oct of the previous year to 30 Sep, as CE dates."""
    ce = be_to_ce(fiscal_year)
    return date(ce - 1, 10, 1), date(ce, 9, 30)


@dataclass(frozen=True)
class Round:
    """A reporting round: its months, its window in the fiscal year and its deadline."""

    fiscal_year: int
    months: int
    start: date
    end: date

    @property
    def label(self) -> str:
        """"รอบ ๓ เดือน" …"""
        return round_label(self.months)

    @property
    def period_start(self) -> date:
        """The fiscal year's first day: each round reports on the year so far."""
        return fiscal_year_bounds(self.fiscal_year)[0]


def _round_end(fiscal_year: int, months: int) -> date:
    ce = be_to_ce(fiscal_year)
    month, day = _ROUND_END[months]
    return date(ce - 1 if months == 3 else ce, month, day)


def get_round(fiscal_year: int, months: int) -> Round:
    """The round of a fiscal year ending after the given number of months."""
    if months not in ROUNDS:
        raise ValueError(f"round must be one of {ROUNDS}")
    end = _round_end(fiscal_year, months)
    idx = ROUNDS.index(months)
    start = fiscal_year_bounds(fiscal_year)[0] if idx == 0 else _next_day(_round_end(fiscal_year, ROUNDS[idx - 1]))
    return Round(fiscal_year, months, start, end)


def _next_day(day: date) -> date:
    return date.fromordinal(day.toordinal() + 1)


def rounds_of(fiscal_year: int) -> list[Round]:
    """The four rounds of a fiscal year."""
    return [get_round(fiscal_year, m) for m in ROUNDS]


def current_round(day: date) -> Round:
    """The round whose three-month window holds the date (its deadline is that window's end)."""
    fy = fiscal_year_of(day)
    for rnd in rounds_of(fy):
        if rnd.start <= day <= rnd.end:
            return rnd
    raise AssertionError("unreachable: rounds cover the fiscal year")


def to_thai_digits(text: str) -> str:
    """0-9 → ๐-๙."""
    return arabic_digit_to_thai_digit(text)


def to_arabic_digits(text: str) -> str:
    """๐-๙ → 0-9, everything else unchanged."""
    return thai_digit_to_arabic_digit(text)


def digits(text: str, style: str = "thai") -> str:
    """Render the digits of a text in the chosen style ("thai" or "arabic")."""
    return to_thai_digits(text) if style == "thai" else to_arabic_digits(text)


def round_label(months: int, style: str = "thai") -> str:
    """"รอบ ๖ เดือน"."""
    return f"รอบ {digits(str(months), style)} เดือน"


def _dt(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def thai_date(day: date, style: str = "thai") -> str:
    """"๗ มกราคม ๒๕๖๘"."""
    return digits(thai_strftime(_dt(day), "%-d %B %Y"), style)


def thai_short_date(day: date, style: str = "arabic") -> str:
    """"7 ม.ค. 68" — short enough for a phone line."""
    return digits(thai_strftime(_dt(day), "%-d %b %y"), style)


def thai_medium_date(day: date, style: str = "arabic") -> str:
    """"15 ส.ค. 2567": a full Buddhist year where a short one could be misread as a fiscal year."""
    return digits(thai_strftime(_dt(day), "%-d %b %Y"), style)


def thai_month_year(day: date, style: str = "thai") -> str:
    """"ต.ค. ๖๗"."""
    return digits(thai_strftime(_dt(day), "%b %y"), style)
