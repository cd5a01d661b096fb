"""The Vietnamese lunisolar calendar (âm lịch), computed astronomically.

This is Hồ Ngọc Đức's algorithm ("Thuật toán tính âm lịch"): new moons and the sun's longitude from
Jean Meeus' "Astronomical Algorithms" approximations, evaluated at the civil time zone. The zone
matters: Vietnam keeps UTC+7 while China keeps UTC+8, so a new moon shortly after 16:00 UTC falls on
different days in the two countries, and Tết 1985 or 2007 fell on different dates. Results are exact
for the years the bot cares about (about 1900–2100).

A lunar month starts on the day of a new moon; the 11th month is the one containing the winter
solstice; a year with 13 months between two 11th months gets a leap month, which is the first month
that contains no major solar term (trung khí).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

VIETNAM_UTC_OFFSET = 7.0  # hours; Vietnam has kept UTC+7 since 1975
_JDN_OF_ORDINAL_ZERO = 1721425  # Julian day number of date.fromordinal(1) minus one
_SYNODIC_MONTH = 29.530588853
_NEW_MOON_EPOCH = 2415021.076998695  # Julian day of the new moon of 1900-01-01
_DEG = math.pi / 180


@dataclass(frozen=True, order=True)
class LunarDate:
    """A date of the Vietnamese lunar calendar; ``year`` is the Gregorian year in which it mostly lies."""

    year: int
    month: int
    day: int
    leap: bool = False

    def __str__(self) -> str:
        suffix = " nhuận" if self.leap else ""
        return f"{self.day:02d}/{self.month:02d}{suffix}/{self.year} âm lịch"


def _jdn(d: date) -> int:
    return d.toordinal() + _JDN_OF_ORDINAL_ZERO


def _from_jdn(jdn: int) -> date:
    return date.fromordinal(jdn - _JDN_OF_ORDINAL_ZERO)


def _new_moon(k: int) -> float:
    """Julian day (UT) of the k-th new moon after 1900-01-01."""
    t = k / 1236.85
    t2 = t * t
    t3 = t2 * t
    jd = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * _DEG)
    m = (359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3) * _DEG  # sun's anomaly
    mpr = (306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3) * _DEG  # moon's anomaly
    f = (21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3) * _DEG  # moon's latitude arg.
    c1 = (0.1734 - 0.000393 * t) * math.sin(m) + 0.0021 * math.sin(2 * m)
    c1 += -0.4068 * math.sin(mpr) + 0.0161 * math.sin(2 * mpr) - 0.0004 * math.sin(3 * mpr)
    c1 += 0.0104 * math.sin(2 * f) - 0.0051 * math.sin(m + mpr)
    c1 += -0.0074 * math.sin(m - mpr) + 0.0004 * math.sin(2 * f + m)
    c1 += -0.0004 * math.sin(2 * f - m) - 0.0006 * math.sin(2 * f + mpr)
    c1 += 0.0010 * math.sin(2 * f - mpr) + 0.0005 * math.sin(2 * mpr + m)
    if t < -11:
        delta_t = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        delta_t = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd + c1 - delta_t


def _sun_longitude(jd: float) -> float:
    """The sun's apparent longitude in radians, normalised to [0, 2π), at Julian day ``jd`` (UT)."""
    t = (jd - 2451545.0) / 36525
    t2 = t * t
    m = (357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2) * _DEG
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(m)
    dl += (0.019993 - 0.000101 * t) * math.sin(2 * m) + 0.000290 * math.sin(3 * m)
    longitude = (l0 + dl) * _DEG
    return longitude - 2 * math.pi * math.floor(longitude / (2 * math.pi))


def _solar_term(jdn: int, tz: float) -> int:
    """Which of the 12 major-term sectors (0–11) the sun is in at the local midnight starting ``jdn``."""
    return math.floor(_sun_longitude(jdn - 0.5 - tz / 24) / math.pi * 6)


def _new_moon_day(k: int, tz: float) -> int:
    """Julian day number of the local date of the k-th new moon."""
    return math.floor(_new_moon(k) + 0.5 + tz / 24)


def _month_11_start(year: int, tz: float) -> int:
    """Julian day number of the first day of lunar month 11 (the solstice month) of ``year``."""
    off = _jdn(date(year, 12, 31)) - 2415021
    k = math.floor(off / _SYNODIC_MONTH)
    start = _new_moon_day(k, tz)
    if _solar_term(start, tz) >= 9:  # the month starts after the solstice: take the previous one
        start = _new_moon_day(k - 1, tz)
    return start


def _leap_month_offset(a11: int, tz: float) -> int:
    """Position (counted from month 11 = 0) of the leap month in a 13-month year starting at ``a11``."""
    k = math.floor((a11 - _NEW_MOON_EPOCH) / _SYNODIC_MONTH + 0.5)
    i = 1
    arc = _solar_term(_new_moon_day(k + i, tz), tz)
    while True:
        last = arc
        i += 1
        arc = _solar_term(_new_moon_day(k + i, tz), tz)
        if arc == last or i >= 14:
            return i - 1


def solar_to_lunar(d: date, tz: float = VIETNAM_UTC_OFFSET) -> LunarDate:
    """The lunar date of Gregorian date ``d`` in the time zone ``tz`` (hours east of UTC)."""
    day_number = _jdn(d)
    # The mean lunation only estimates which new moon starts d's month: when the true new moon
    # falls just after local midnight the estimate is one month late (2054-05-07, 2062-04-09 came
    # out as day 0), so step to the last new moon on or before d.
    k = math.floor((day_number - _NEW_MOON_EPOCH) / _SYNODIC_MONTH) + 1
    month_start = _new_moon_day(k, tz)
    while month_start > day_number:
        k -= 1
        month_start = _new_moon_day(k, tz)
    while (following := _new_moon_day(k + 1, tz)) <= day_number:
        k += 1
        month_start = following
    a11 = _month_11_start(d.year, tz)
    b11 = a11
    if a11 >= month_start:
        lunar_year = d.year
        a11 = _month_11_start(d.year - 1, tz)
    else:
        lunar_year = d.year + 1
        b11 = _month_11_start(d.year + 1, tz)
    lunar_day = day_number - month_start + 1
    diff = (month_start - a11) // 29
    leap = False
    lunar_month = diff + 11
    if b11 - a11 > 365:
        leap_diff = _leap_month_offset(a11, tz)
        if diff >= leap_diff:
            lunar_month = diff + 10
            leap = diff == leap_diff
    if lunar_month > 12:
        lunar_month -= 12
    if lunar_month >= 11 and diff < 4:
        lunar_year -= 1
    return LunarDate(lunar_year, lunar_month, lunar_day, leap)


def lunar_to_solar(
    year: int, month: int, day: int, leap: bool = False, tz: float = VIETNAM_UTC_OFFSET
) -> date:
    """The Gregorian date of a lunar date. Raises ValueError for a leap month the year does not have."""
    if not 1 <= month <= 12 or not 1 <= day <= 30:
        raise ValueError(f"ngày âm lịch không hợp lệ: {day}/{month}/{year}")
    if month < 11:
        a11 = _month_11_start(year - 1, tz)
        b11 = _month_11_start(year, tz)
    else:
        a11 = _month_11_start(year, tz)
        b11 = _month_11_start(year + 1, tz)
    off = (month - 11) % 12
    if b11 - a11 > 365:
        leap_off = _leap_month_offset(a11, tz)
        leap_month = (leap_off - 2) % 12
        if leap and month != leap_month:
            raise ValueError(f"năm {year} âm lịch không có tháng {month} nhuận")
        if leap or off >= leap_off:
            off += 1
    elif leap:
        raise ValueError(f"năm {year} âm lịch không có tháng nhuận")
    k = math.floor(0.5 + (a11 - _NEW_MOON_EPOCH) / _SYNODIC_MONTH)
    return _from_jdn(_new_moon_day(k + off, tz) + day - 1)


def tet(year: int, tz: float = VIETNAM_UTC_OFFSET) -> date:
    """Tết Nguyên đán: the first day of the lunar year that begins in Gregorian ``year``."""
    return lunar_to_solar(year, 1, 1, tz=tz)


def hung_kings_day(year: int, tz: float = VIETNAM_UTC_OFFSET) -> date:
    """Giỗ Tổ Hùng Vương: the 10th day of the 3rd lunar month (the regular one, never the leap one)."""
    return lunar_to_solar(year, 3, 10, tz=tz)


def twenty_ninth_of_last_month(year: int, tz: float = VIETNAM_UTC_OFFSET) -> date:
    """The 29th day of tháng Chạp ("29 Tết") before Tết ``year``.

    Tháng Chạp has 29 or 30 days, so this is the eve of Tết or the day before it. Official Tết
    breaks usually start on this day.
    """
    eve = tet(year, tz) - timedelta(days=1)
    return eve - timedelta(days=solar_to_lunar(eve, tz).day - 29)
