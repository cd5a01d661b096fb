"""The civil-service working-time calendar: working days, working hours and deadline arithmetic.

Working time is Monday–Friday in the working periods of the data file (07:30–11:30 and 13:00–17:00
by default, 8 hours a day), in Vietnam's time zone (UTC+7), minus the days off.

Days off come from two places:

* The yearly official schedule in ``knowledge/data/calendar.json`` (and an optional admin file that
  extends or corrects it): each entry is a break that the Government announced (days off, swapped
  working Saturdays) and names the statutory holidays it ``covers`` in its year.
* For the statutory holidays that no entry covers (years not in the data yet), the Labour Code 2019
  Art. 112 rules: 1/1, five Tết days from 29 tháng Chạp, Giỗ Tổ Hùng Vương (10/3 lunar), 30/4, 1/5,
  2/9 plus an adjacent day (from 2021), and a substitute day off on the next working day for a
  holiday that falls on a weekend (Art. 111(3)). The Prime Minister picks the actual Tết days and the
  adjacent National Day, so these rules are only a fallback: keep the data file current.

Deadline arithmetic is O(1)/O(log n) per call: for every day of the supported range the working
seconds before it are precomputed, so an instant maps to "working seconds since the start of the
range" and back with a bisection (the dossier importer calls this for about a million rows).
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from knowledge.datafile import DataFileError
from knowledge.lunar import hung_kings_day, twenty_ninth_of_last_month
from knowledge.settings import get_settings

ICT = timezone(timedelta(hours=7), "ICT")  # Asia/Ho_Chi_Minh: no DST, UTC+7 since 1975
FIRST_YEAR = 2013  # Labour Code 2012 (5 Tết days) took effect on 1 May 2013
LAST_YEAR = 2099
BUNDLED_CALENDAR = Path(__file__).parent / "data" / "calendar.json"
ADMIN_CALENDAR_NAME = "calendar.json"  # looked for in the data dir (TTHC_DATA_DIR) by default_calendar()
DEFAULT_WORKING_PERIODS: tuple[tuple[time, time], ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 0), time(17, 0)),
)
_SATURDAY = 5


class Holiday(StrEnum):
    """The statutory public holidays of Labour Code 2019 Art. 112(1)."""

    NEW_YEAR = "new_year"
    TET = "tet"
    HUNG_KINGS = "hung_kings"
    REUNIFICATION = "reunification"
    LABOUR_DAY = "labour_day"
    NATIONAL_DAY = "national_day"


HOLIDAY_NAMES: dict[Holiday, str] = {
    Holiday.NEW_YEAR: "Tết Dương lịch",
    Holiday.TET: "Tết Âm lịch",
    Holiday.HUNG_KINGS: "Giỗ Tổ Hùng Vương",
    Holiday.REUNIFICATION: "Ngày Chiến thắng",
    Holiday.LABOUR_DAY: "Ngày Quốc tế Lao động",
    Holiday.NATIONAL_DAY: "Quốc khánh",
}


# --- the data file ------------------------------------------------------------------------------


def _is_weekend(d: date) -> bool:
    return d.weekday() >= _SATURDAY


class ScheduleEntry(BaseModel):
    """One announced break: its days off, the weekend days worked in exchange, and its provenance."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    name: str
    year: int
    covers: list[Holiday] = []
    off: list[date | tuple[date, date]] = []  # single days or inclusive [from, to] ranges
    work: list[date] = []  # swapped working days (weekend days that become working days)
    confidence: Literal["confirmed", "derived", "recalled"]
    source: str
    note: str | None = None

    @field_validator("name", "source")
    @classmethod
    def _present(cls, value: str) -> str:
        if not value:
            raise ValueError("không được để trống")
        return value

    @field_validator("year")
    @classmethod
    def _supported_year(cls, value: int) -> int:
        if not FIRST_YEAR <= value <= LAST_YEAR:
            raise ValueError(f"năm {value} ngoài phạm vi hỗ trợ {FIRST_YEAR}–{LAST_YEAR}")
        return value

    @field_validator("covers")
    @classmethod
    def _distinct_covers(cls, value: list[Holiday]) -> list[Holiday]:
        if len(set(value)) != len(value):
            raise ValueError("ngày lễ bị liệt kê trùng")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ScheduleEntry:
        if not self.off and not self.work:
            raise ValueError("cần ít nhất một ngày trong 'off' hoặc 'work'")
        for item in self.off:
            if isinstance(item, tuple) and item[0] > item[1]:
                raise ValueError(f"khoảng nghỉ {item[0]}–{item[1]}: ngày bắt đầu sau ngày kết thúc")
        off = self.off_days()
        for day in sorted(off | set(self.work)):
            if abs(day.year - self.year) > 1:
                raise ValueError(f"ngày {day} không thuộc năm {self.year} hoặc năm liền kề")
        for day in self.work:
            if not _is_weekend(day):
                raise ValueError(f"ngày làm bù {day} không phải thứ Bảy hoặc Chủ nhật")
            if day in off:
                raise ValueError(f"ngày {day} vừa là ngày nghỉ vừa là ngày làm bù")
        return self

    def off_days(self) -> set[date]:
        days: set[date] = set()
        for item in self.off:
            first, last = item if isinstance(item, tuple) else (item, item)
            days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
        return days


class _Header(BaseModel):
    model_config = ConfigDict(extra="forbid")

    working_periods: list[tuple[time, time]] | None = None
    notes: list[str] = []
    entries: list[Any] = []

    @field_validator("working_periods")
    @classmethod
    def _ordered_periods(cls, value: list[tuple[time, time]] | None) -> list[tuple[time, time]] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("cần ít nhất một khoảng giờ làm việc")
        previous_end = time.min
        for start, end in value:
            if start >= end:
                raise ValueError(f"khoảng {start:%H:%M}–{end:%H:%M}: giờ bắt đầu không trước giờ kết thúc")
            if start < previous_end:
                raise ValueError(f"khoảng {start:%H:%M}–{end:%H:%M} chồng lên hoặc đứng trước khoảng trước")
            previous_end = end
        return value


@dataclass(frozen=True)
class EntryError:
    index: int  # 0-based position in the file's "entries" list
    name: str | None
    reason: str

    def __str__(self) -> str:
        where = f"mục #{self.index + 1}" + (f" ({self.name})" if self.name else "")
        return f"{where}: {self.reason}"


class CalendarError(DataFileError[EntryError]):
    """A calendar file was rejected; ``errors`` lists every bad entry with the reason."""


@dataclass(frozen=True)
class CalendarFile:
    working_periods: tuple[tuple[time, time], ...] | None
    entries: tuple[ScheduleEntry, ...]


def _validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        location = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{location}: {message}" if location else message)
    return "; ".join(parts)


def _conflicts(entries: Sequence[tuple[int, ScheduleEntry]]) -> list[EntryError]:
    """Cross-entry problems (a holiday covered twice, a day both off and worked), reported against the
    later entry of each clash; entries with a negative index are context only and never reported."""
    errors: list[EntryError] = []
    covered: dict[tuple[int, Holiday], ScheduleEntry] = {}
    off_by: dict[date, ScheduleEntry] = {}
    work_by: dict[date, ScheduleEntry] = {}
    for index, entry in entries:
        problems = []
        for holiday in entry.covers:
            other = covered.setdefault((entry.year, holiday), entry)
            if other is not entry:
                problems.append(f"{holiday.value} năm {entry.year} đã có trong mục '{other.name}'")
        for day in sorted(entry.off_days()):
            off_by.setdefault(day, entry)
            if day in work_by:
                problems.append(f"ngày {day} là ngày làm bù trong mục '{work_by[day].name}'")
        for day in entry.work:
            work_by.setdefault(day, entry)
            if day in off_by and off_by[day] is not entry:
                problems.append(f"ngày {day} là ngày nghỉ trong mục '{off_by[day].name}'")
        if problems and index >= 0:
            errors.append(EntryError(index, entry.name, "; ".join(problems)))
    return errors


def parse_calendar_file(raw: bytes, source: str = "<bytes>") -> CalendarFile:
    """Validate a calendar file. Raises CalendarError listing every bad entry and why."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CalendarError(f"{source}: không phải JSON hợp lệ ({exc})") from exc
    if not isinstance(document, dict):
        raise CalendarError(f'{source}: cần một đối tượng JSON có danh sách "entries"')
    try:
        header = _Header.model_validate(document)
    except ValidationError as exc:
        raise CalendarError(f"{source}: {_validation_message(exc)}") from exc
    valid: list[tuple[int, ScheduleEntry]] = []
    errors: list[EntryError] = []
    for index, item in enumerate(header.entries):
        name = item.get("name") if isinstance(item, dict) else None
        try:
            valid.append((index, ScheduleEntry.model_validate(item)))
        except ValidationError as exc:
            name = name if isinstance(name, str) else None
            errors.append(EntryError(index, name, _validation_message(exc)))
    errors = sorted(errors + _conflicts(valid), key=lambda error: error.index)
    if errors:
        raise CalendarError(f"{source}: {len(errors)} mục không hợp lệ", errors)
    periods = tuple(header.working_periods) if header.working_periods is not None else None
    return CalendarFile(periods, tuple(entry for _, entry in valid))


def read_calendar_file(path: Path) -> CalendarFile:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CalendarError(f"{path}: không đọc được tệp ({exc.strerror})") from exc
    return parse_calendar_file(raw, str(path))


def merge_schedules(
    base: Sequence[ScheduleEntry], extra: Sequence[ScheduleEntry], source: str = "<extra>"
) -> list[ScheduleEntry]:
    """``base`` extended by ``extra``. An extra entry replaces every base entry that covers one of the
    same holidays in the same year (admins correct the bundled schedule that way); raises
    CalendarError when an extra entry clashes with a base entry it does not replace."""
    replaced = {(entry.year, holiday) for entry in extra for holiday in entry.covers}
    kept = [entry for entry in base if not any((entry.year, h) in replaced for h in entry.covers)]
    errors = _conflicts([(-1, entry) for entry in kept] + list(enumerate(extra)))
    if errors:
        raise CalendarError(f"{source}: {len(errors)} mục mâu thuẫn với lịch có sẵn", errors)
    return kept + list(extra)


# --- statutory rules (fallback for holidays no entry covers) ------------------------------------


def _national_day_adjacent(year: int) -> date:
    """The day next to 2/9 given off with it: a weekday, preferably one joining the break to a weekend,
    else the day after (the choice is the Prime Minister's; this reproduces 2021–2025)."""
    before, after = date(year, 9, 1), date(year, 9, 3)
    candidates = [d for d in (before, after) if not _is_weekend(d)]
    for d in candidates:
        if _is_weekend(d - timedelta(days=1) if d == before else d + timedelta(days=1)):
            return d
    return candidates[-1]


def statutory_holidays(year: int) -> dict[Holiday, list[date]]:
    """The Art. 112 holiday dates of ``year`` before any substitution (Tết from 29 tháng Chạp)."""
    tet_start = twenty_ninth_of_last_month(year)
    national_day = [date(year, 9, 2)]
    if year >= 2021:  # Labour Code 2019 added the adjacent day
        national_day.append(_national_day_adjacent(year))
    return {
        Holiday.NEW_YEAR: [date(year, 1, 1)],
        Holiday.TET: [tet_start + timedelta(days=n) for n in range(5)],
        Holiday.HUNG_KINGS: [hung_kings_day(year)],
        Holiday.REUNIFICATION: [date(year, 4, 30)],
        Holiday.LABOUR_DAY: [date(year, 5, 1)],
        Holiday.NATIONAL_DAY: sorted(national_day),
    }


def _rule_days_off(year: int, skip: set[Holiday], taken: set[date]) -> dict[date, str]:
    """Rule-derived days off of ``year`` for the holidays not in ``skip``, with Art. 111(3) substitutes
    on the next working day that is neither a holiday nor already ``taken``."""
    holidays = sorted(
        (day, HOLIDAY_NAMES[holiday])
        for holiday, days in statutory_holidays(year).items()
        if holiday not in skip
        for day in days
    )
    occupied = taken | {day for day, _ in holidays}
    result: dict[date, str] = {}
    for day, name in holidays:
        result[day] = name
        if _is_weekend(day):
            substitute = day + timedelta(days=1)
            while _is_weekend(substitute) or substitute in occupied:
                substitute += timedelta(days=1)
            occupied.add(substitute)
            result[substitute] = f"Nghỉ bù {name}"
    return result


# --- the calendar -------------------------------------------------------------------------------


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


class WorkCalendar:
    """Working days and hours between 1/1/FIRST_YEAR and 31/12/LAST_YEAR.

    Datetimes may be naive (read as Vietnam local time) or aware in any zone; returned datetimes have
    the same kind (and zone) as the argument.
    """

    def __init__(
        self,
        entries: Iterable[ScheduleEntry] = (),
        working_periods: Sequence[tuple[time, time]] = DEFAULT_WORKING_PERIODS,
    ) -> None:
        self.entries = tuple(entries)
        self.working_periods_local = tuple(working_periods)
        self._periods = tuple((_seconds(a), _seconds(b)) for a, b in self.working_periods_local)
        self._day_seconds = sum(b - a for a, b in self._periods)
        self.hours_per_day = self._day_seconds / 3600

        reasons: dict[date, str] = {}
        worked: set[date] = set()
        covered: dict[int, set[Holiday]] = {}
        for entry in self.entries:
            reasons.update(dict.fromkeys(entry.off_days(), entry.name))
            worked.update(entry.work)
            covered.setdefault(entry.year, set()).update(entry.covers)
        announced = set(reasons)
        published = [e.year for e in self.entries if e.confidence == "confirmed"]
        self.official_until = date(max(published, default=FIRST_YEAR - 1), 12, 31)
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            for day, name in _rule_days_off(year, covered.get(year, set()), announced).items():
                reasons.setdefault(day, name)
        self._reasons = reasons

        self._first = date(FIRST_YEAR, 1, 1).toordinal()
        n_days = date(LAST_YEAR, 12, 31).toordinal() - self._first + 1
        working = bytearray(n_days)
        cumulative = [0] * (n_days + 1)
        total = 0
        for i in range(n_days):
            day = date.fromordinal(self._first + i)
            if day in worked or (day not in reasons and not _is_weekend(day)):
                working[i] = 1
                total += self._day_seconds
            cumulative[i + 1] = total
        self._working = bytes(working)
        self._cumulative = cumulative

    # -- days

    def provisional_from(self) -> date:
        """The first day after the last year with an officially published schedule: from it on,
        days off come from the statutory rules only ("theo quy định, chưa có lịch chính thức")."""
        return self.official_until + timedelta(days=1)

    def is_provisional(self, d: date) -> bool:
        return d > self.official_until

    def changed_days(self, other: WorkCalendar) -> list[date]:
        """The days that are working days in one calendar and not in the other."""
        if self._first != other._first or self._periods != other._periods:
            return [date.fromordinal(self._first + i) for i in range(len(self._working))]
        return [
            date.fromordinal(self._first + i)
            for i, (a, b) in enumerate(zip(self._working, other._working, strict=True))
            if a != b
        ]

    def _index(self, d: date) -> int:
        if isinstance(d, datetime):
            d = _local(d).date()
        i = d.toordinal() - self._first
        if not 0 <= i < len(self._working):
            raise ValueError(f"ngày {d} nằm ngoài phạm vi lịch làm việc {FIRST_YEAR}–{LAST_YEAR}")
        return i

    def is_working_day(self, d: date) -> bool:
        return bool(self._working[self._index(d)])

    def working_periods(self, d: date) -> tuple[tuple[datetime, datetime], ...]:
        """The working periods of day ``d`` as aware (UTC+7) datetimes; empty on a day off."""
        if not self.is_working_day(d):
            return ()
        day = _local(d).date() if isinstance(d, datetime) else d
        return tuple(
            (datetime.combine(day, a, ICT), datetime.combine(day, b, ICT))
            for a, b in self.working_periods_local
        )

    def day_off_reason(self, d: date) -> str | None:
        """The holiday or break a day off belongs to; None on working days and ordinary weekends."""
        day = _local(d).date() if isinstance(d, datetime) else d
        return None if self.is_working_day(day) else self._reasons.get(day)

    def days_off(self, year: int) -> list[tuple[date, str]]:
        """The weekdays off in ``year`` with their reason, for admins to review a year's schedule."""
        start = date(year, 1, 1).toordinal()
        days = (date.fromordinal(n) for n in range(start, date(year, 12, 31).toordinal() + 1))
        return [(d, self._reasons[d]) for d in days if not _is_weekend(d) and not self.is_working_day(d)]

    def swapped_working_days(self, year: int) -> list[date]:
        return sorted(day for entry in self.entries for day in entry.work if day.year == year)

    # -- instants

    def _position(self, t: datetime) -> float:
        """Working seconds from the start of the range to ``t``."""
        local = _local(t)
        i = self._index(local.date())
        position = float(self._cumulative[i])
        if self._working[i]:
            s = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
            for a, b in self._periods:
                if s <= a:
                    break
                position += min(s, b) - a
        return position

    def _instant(self, position: float, earliest: bool) -> datetime:
        """The naive local instant at ``position``: the earliest one (the end of a period when the
        position falls on a boundary) or the latest one (the start of the next period)."""
        cumulative = self._cumulative
        i = (bisect_left if earliest else bisect_right)(cumulative, position) - 1
        if not 0 <= i < len(self._working):
            raise ValueError(f"kết quả nằm ngoài phạm vi lịch làm việc {FIRST_YEAR}–{LAST_YEAR}")
        rest = position - cumulative[i]
        second = float(self._periods[-1][1])
        for a, b in self._periods:
            if rest < b - a or (earliest and rest <= b - a):
                second = a + rest
                break
            rest -= b - a
        return datetime.fromordinal(self._first + i) + timedelta(seconds=second)

    def next_working_instant(self, t: datetime) -> datetime:
        """``t`` if it falls in a working period, else the start of the next working period."""
        return _like(self._instant(self._position(t), earliest=False), t)

    def add_working_hours(self, t: datetime, hours: float) -> datetime:
        """The instant when ``hours`` of working time have passed since ``t``.

        Work starting outside working hours starts with the next working period; work that ends exactly
        at the end of a period ends then (not at the start of the next one). Negative ``hours`` count
        backwards, symmetrically.
        """
        position = self._position(t)
        target = position + hours * 3600
        return _like(self._instant(target, earliest=target > position), t)

    def add_working_days(self, t: datetime, days: float) -> datetime:
        """``t`` plus ``days`` working days of ``hours_per_day`` hours (8 by default)."""
        return self.add_working_hours(t, days * self.hours_per_day)

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working hours from ``a`` to ``b``; negative when ``b`` is before ``a``."""
        return (self._position(b) - self._position(a)) / 3600

    def working_days_between(self, a: datetime, b: datetime) -> float:
        return self.working_hours_between(a, b) / self.hours_per_day


def _local(t: datetime) -> datetime:
    """``t`` as a naive Vietnam local time (naive input is already local)."""
    return t if t.tzinfo is None else t.astimezone(ICT).replace(tzinfo=None)


def _like(local: datetime, reference: datetime) -> datetime:
    """A naive local result in the same kind and zone as the caller's ``reference`` datetime."""
    if reference.tzinfo is None:
        return local
    return local.replace(tzinfo=ICT).astimezone(reference.tzinfo)


def load_calendar(extra: Path | None = None, bundled: Path = BUNDLED_CALENDAR) -> WorkCalendar:
    """The calendar from the bundled data file, extended by an admin file when ``extra`` is given."""
    entries, periods = _schedule(extra, bundled)
    return WorkCalendar(entries, periods or DEFAULT_WORKING_PERIODS)


def _schedule(
    extra: Path | None, bundled: Path = BUNDLED_CALENDAR
) -> tuple[list[ScheduleEntry], tuple[tuple[time, time], ...] | None]:
    base = read_calendar_file(bundled)
    entries: list[ScheduleEntry] = list(base.entries)
    periods = base.working_periods
    if extra is not None:
        admin = read_calendar_file(extra)
        entries = merge_schedules(entries, admin.entries, str(extra))
        periods = admin.working_periods or periods
    return entries, periods


def base_schedule() -> tuple[list[ScheduleEntry], tuple[tuple[time, time], ...] | None]:
    """The bundled schedule extended by the admin file in the data dir (if any): what the admins'
    stored corrections (``knowledge.calendarstore``) extend."""
    admin = get_settings().data_dir / ADMIN_CALENDAR_NAME
    return _schedule(admin if admin.is_file() else None)


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    """The shared calendar: bundled data plus ``calendar.json`` in the data dir if an admin put one there."""
    admin = get_settings().data_dir / ADMIN_CALENDAR_NAME
    return load_calendar(admin if admin.is_file() else None)
