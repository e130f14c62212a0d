"""Fiscal years, rounds and Thai dates as documents write them."""

from __future__ import annotations

from datetime import date

from domain.fiscal import (
    current_round,
    fiscal_year_bounds,
    fiscal_year_of,
    rounds_of,
    thai_date,
    thai_month_year,
    thai_short_date,
    to_arabic_digits,
)


def test_fiscal_year_2569_runs_october_to_september() -> None:
    assert fiscal_year_bounds(2569) == (date(2025, 10, 1), date(2026, 9, 30))
    assert fiscal_year_of(date(2025, 10, 1)) == 2569
    assert fiscal_year_of(date(2025, 9, 30)) == 2568


def test_rounds_end_on_the_quarter_ends() -> None:
    ends = [r.end for r in rounds_of(2569)]
    assert ends == [date(2025, 12, 31), date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)]
    assert current_round(date(2026, 2, 10)).months == 6
    assert current_round(date(2025, 12, 31)).months == 3
    assert current_round(date(2026, 7, 1)).label == "รอบ ๑๒ เดือน"


def test_thai_dates() -> None:
    assert thai_date(date(2025, 1, 7)) == "๗ มกราคม ๒๕๖๘"
    assert thai_date(date(2025, 1, 7), "arabic") == "7 มกราคม 2568"
    assert thai_month_year(date(2024, 10, 1)) == "ต.ค. ๖๗"
    assert thai_short_date(date(2025, 12, 31)) == "31 ธ.ค. 68"
    assert to_arabic_digits("๒๕๖๘") == "2568"
