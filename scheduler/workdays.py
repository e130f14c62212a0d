"""Working days (Thai public holidays from the `holidays` package) and the hours the bot may speak."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from storage.clock import BANGKOK

from .policy import ReminderPolicy

__all__ = [
    "WorkCalendar",
    "at_bangkok",
    "in_quiet_window",
    "next_open_moment",
]


@lru_cache(maxsize=32)
def _thai_holidays(year: int) -> frozenset[date]:
    """Thailand's public holidays of a year (cached: building the calendar is not free)."""
    return frozenset(holidays.country_holidays("TH", years=year).keys())


class WorkCalendar:
    """Mon–Fri minus Thai public holidays and the organization's own extra days off."""

    def __init__(self, extra_holidays: Iterable[date] = ()) -> None:
        self._extra = frozenset(extra_holidays)

    @classmethod
    def for_policy(cls, policy: ReminderPolicy) -> WorkCalendar:
        """The calendar an organization's policy asks for."""
        return cls(policy.extra_holidays)

    def is_holiday(self, day: date) -> bool:
        """A public or local holiday (weekends aside)."""
        return day in self._extra or day in _thai_holidays(day.year)

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday and not a holiday."""
        return day.weekday() < 5 and not self.is_holiday(day)

    def on_or_before(self, day: date) -> date:
        """The day itself if it is a working day, else the previous working day."""
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def on_or_after(self, day: date) -> date:
        """The day itself if it is a working day, else the next working day."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n ≥ 1)."""
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day


def at_bangkok(day: date, moment: time) -> datetime:
    """An aware Asia/Bangkok datetime."""
    return datetime.combine(day, moment, tzinfo=BANGKOK)


def in_quiet_window(now: datetime, policy: ReminderPolicy, calendar: WorkCalendar) -> bool:
    """True when the bot may send: a working day, between quiet_start and quiet_end (Bangkok)."""
    local = now.astimezone(BANGKOK)
    return calendar.is_working_day(local.date()) and policy.quiet_start <= local.time() < policy.quiet_end


def next_open_moment(now: datetime, policy: ReminderPolicy, calendar: WorkCalendar) -> datetime:
    """`now` if sending is allowed now, else the next opening of the sending window."""
    if in_quiet_window(now, policy, calendar):
        return now
    local = now.astimezone(BANGKOK)
    day = local.date()
    if calendar.is_working_day(day) and local.time() < policy.quiet_start:
        return at_bangkok(day, policy.quiet_start)
    return at_bangkok(calendar.add_working_days(day, 1), policy.quiet_start)
