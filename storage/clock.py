"""Injected clocks: the only place that reads the wall clock, so tests and --today can move time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["BANGKOK", "Clock", "SystemClock", "FixedClock", "ShiftedClock", "OffsetClock"]

BANGKOK = ZoneInfo("Asia/Bangkok")


class Clock(Protocol):
    """Something that tells the current time in Asia/Bangkok."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The real time, in Asia/Bangkok."""

    def now(self) -> datetime:
        """Current aware datetime."""
        return datetime.now(BANGKOK)

    def today(self) -> date:
        """Current Bangkok date."""
        return self.now().date()


class FixedClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, moment: datetime | date) -> None:
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, time(9, 0))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BANGKOK)
        self._now = moment

    def now(self) -> datetime:
        """The set moment."""
        return self._now

    def today(self) -> date:
        """The set moment's date."""
        return self._now.date()

    def set(self, moment: datetime) -> None:
        """Jump to a moment."""
        self._now = moment if moment.tzinfo else moment.replace(tzinfo=BANGKOK)

    def advance(self, delta: timedelta) -> None:
        """Move forward."""
        self._now += delta


class ShiftedClock:
    """--today D: the given date with the real time of day, so timestamps still order."""

    def __init__(self, day: date) -> None:
        self._day = day

    def now(self) -> datetime:
        """The given date at the current Bangkok time of day."""
        real = datetime.now(BANGKOK)
        return datetime.combine(self._day, real.time(), tzinfo=BANGKOK)

    def today(self) -> date:
        """The given date."""
        return self._day


class OffsetClock:
    """--now "YYYY-MM-DD HH:MM": starts at that Bangkok moment and runs at wall-clock pace (rehearsals)."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BANGKOK)
        self.skew = moment - datetime.now(BANGKOK)  # schedulers firing on wall-clock time subtract it

    def now(self) -> datetime:
        """The rehearsed moment plus the real time elapsed since."""
        return (datetime.now(BANGKOK) + self.skew).astimezone(BANGKOK)

    def today(self) -> date:
        """The rehearsed moment's date."""
        return self.now().date()
