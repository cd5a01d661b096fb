"""Working-time arithmetic fast enough for a million dossiers, on top of the working-time calendar.

``WorkingClock.hours_at(t)`` is the number of working hours from a fixed origin to ``t``: the working
hours of every whole day before ``t``'s date (computed once per date) plus the working hours of
``t``'s own day up to ``t`` (computed once per kind of day and time of day, since every working day
keeps the same hours). The working hours between two times are then a subtraction, and every answer
is the calendar's own ``working_hours_between``: the clock only caches it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Protocol

from sqlalchemy.orm import Session


class Calendar(Protocol):
    """What the compliance feature uses of ``knowledge.workcalendar.WorkCalendar``."""

    def is_working_day(self, d: date, /) -> bool: ...

    def working_hours_between(self, a: datetime, b: datetime, /) -> float: ...

    def add_working_hours(self, t: datetime, hours: float, /) -> datetime: ...

    def provisional_from(self) -> date: ...


def default_calendar(session: Session | None = None) -> Calendar:
    """The calendar in force: with a session, the one admins corrected (``knowledge.calendarstore``)."""
    if session is not None:
        from knowledge.calendarstore import calendar_for

        return calendar_for(session)
    from knowledge.workcalendar import default_calendar as _default

    return _default()


class WorkingClock:
    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self._cum: dict[date, float] = {}
        self._lo: date | None = None
        self._hi: date | None = None
        self._working: dict[date, bool] = {}
        self._within: dict[tuple[bool, int], float] = {}
        self._ends: dict[date, datetime] = {}

    def is_working_day(self, d: date) -> bool:
        working = self._working.get(d)
        if working is None:
            working = self._working[d] = self.calendar.is_working_day(d)
        return working

    def day_start(self, d: date) -> float:
        """Working hours from the origin to midnight starting ``d``."""
        cum = self._cum.get(d)
        if cum is not None:
            return cum
        if self._lo is None or self._hi is None:
            self._lo = self._hi = d
            self._cum[d] = 0.0
            return 0.0
        while d > self._hi:
            nxt = self._hi + timedelta(days=1)
            self._cum[nxt] = self._cum[self._hi] + self._day_hours(self._hi)
            self._hi = nxt
        while d < self._lo:
            prev = self._lo - timedelta(days=1)
            self._cum[prev] = self._cum[self._lo] - self._day_hours(prev)
            self._lo = prev
        return self._cum[d]

    def _day_hours(self, d: date) -> float:
        midnight = datetime.combine(d, time())
        return self.calendar.working_hours_between(midnight, midnight + timedelta(days=1))

    def hours_at(self, t: datetime) -> float:
        d = t.date()
        working = self.is_working_day(d)
        second = t.hour * 3600 + t.minute * 60 + t.second
        key = (working, second)
        within = self._within.get(key)
        if within is None:
            midnight = datetime.combine(d, time())
            within = self._within[key] = self.calendar.working_hours_between(
                midnight, t.replace(microsecond=0)
            )
        return self.day_start(d) + within

    def end_of_day(self, d: date) -> datetime:
        """The end of the day's working hours (17:00 by default); on a day off, its midnight, which in
        working time is the same instant: the end of the working day before."""
        end = self._ends.get(d)
        if end is None:
            midnight = datetime.combine(d, time())
            hours = self.day_start(d + timedelta(days=1)) - self.day_start(d)
            end = self._ends[d] = self.calendar.add_working_hours(midnight, hours) if hours else midnight
        return end

    def as_day_end(self, t: datetime | None) -> datetime | None:
        """A time given as a date only (as Excel exports an appointment: "2026-03-11", read as 00:00)
        means the end of that day's working hours; other times are kept."""
        if t is None or t.time() != time():
            return t
        return self.end_of_day(t.date())

    def between(self, a: datetime, b: datetime) -> float:
        """Working hours from ``a`` to ``b``; negative when ``b`` is before ``a``."""
        return self.hours_at(b) - self.hours_at(a)
