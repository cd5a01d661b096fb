from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.lunar import (
    LunarDate,
    hung_kings_day,
    lunar_to_solar,
    solar_to_lunar,
    tet,
    twenty_ninth_of_last_month,
)


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2020, date(2020, 1, 25)),
        (2021, date(2021, 2, 12)),
        (2022, date(2022, 2, 1)),
        (2023, date(2023, 1, 22)),
        (2024, date(2024, 2, 10)),
        (2025, date(2025, 1, 29)),
        (2026, date(2026, 2, 17)),
    ],
)
def test_tet(year: int, expected: date) -> None:
    assert tet(year) == expected
    assert solar_to_lunar(expected) == LunarDate(year, 1, 1)


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2024, date(2024, 4, 18)), (2025, date(2025, 4, 7)), (2026, date(2026, 4, 26))],
)
def test_hung_kings_day(year: int, expected: date) -> None:
    assert hung_kings_day(year) == expected


@pytest.mark.parametrize(
    ("year", "vietnam", "china"),
    [(1985, date(1985, 1, 21), date(1985, 2, 20)), (2007, date(2007, 2, 17), date(2007, 2, 18))],
)
def test_time_zone_decides_the_day(year: int, vietnam: date, china: date) -> None:
    """Vietnam (UTC+7) and China (UTC+8) celebrated Tết on different days in these years."""
    assert tet(year) == vietnam
    assert tet(year, tz=8) == china


@pytest.mark.parametrize(
    ("solar", "lunar"),
    [
        (date(2020, 5, 23), LunarDate(2020, 4, 1, leap=True)),
        (date(2020, 4, 23), LunarDate(2020, 4, 1)),
        (date(2023, 3, 22), LunarDate(2023, 2, 1, leap=True)),
        (date(2025, 7, 25), LunarDate(2025, 6, 1, leap=True)),
        (date(2025, 1, 28), LunarDate(2024, 12, 29)),
    ],
)
def test_leap_months(solar: date, lunar: LunarDate) -> None:
    assert solar_to_lunar(solar) == lunar
    assert lunar_to_solar(lunar.year, lunar.month, lunar.day, lunar.leap) == solar


def test_leap_month_the_year_does_not_have_is_rejected() -> None:
    with pytest.raises(ValueError, match="nhuận"):
        lunar_to_solar(2025, 5, 1, leap=True)
    with pytest.raises(ValueError, match="nhuận"):
        lunar_to_solar(2024, 5, 1, leap=True)
    with pytest.raises(ValueError, match="không hợp lệ"):
        lunar_to_solar(2024, 13, 1)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_twenty_ninth_of_last_month(year: int) -> None:
    day = twenty_ninth_of_last_month(year)
    assert solar_to_lunar(day) == LunarDate(year - 1, 12, 29)
    assert tet(year) - day in (timedelta(days=1), timedelta(days=2))


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)))
def test_round_trip(d: date) -> None:
    lunar = solar_to_lunar(d)
    assert 1 <= lunar.day <= 30
    assert lunar_to_solar(lunar.year, lunar.month, lunar.day, lunar.leap) == d


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 30)))
def test_consecutive_days_are_consecutive_lunar_days(d: date) -> None:
    today, tomorrow = solar_to_lunar(d), solar_to_lunar(d + timedelta(days=1))
    assert tomorrow.day == today.day + 1 or (tomorrow.day == 1 and today.day in (29, 30))


def test_every_day_1900_2100_matches_an_independent_vietnamese_calendar() -> None:
    """Every day of 1900–2100 against lunar-vn (PyPI, MIT): an independent implementation of the
    same astronomy for Vietnam's zone (UTC+7). Before the fix two days came out as day 0
    (2054-05-07, 2062-04-09: a new moon a few minutes after local midnight fooled the month search).

    lunar-vn is checked to be the Vietnamese calendar, not the Chinese one (UTC+8): Tết 1985 and
    2007 fell on different days in the two countries. HND's published year tables (TK19–TK22, as
    shipped by vnlunar) differ from both computations before 1968, when the North still used UTC+8,
    and on 2054-05-07, whose new moon falls within a minute of local midnight (00:00:14 by PyEphem):
    no computation of this precision can settle that day, so the test follows the UTC+7 astronomy.
    """
    import lunar_vn

    assert lunar_vn.solar_to_lunar(date(1985, 1, 21)) == lunar_vn.LunarDate(1, 1, 1985)
    assert lunar_vn.solar_to_lunar(date(2007, 2, 17)) == lunar_vn.LunarDate(1, 1, 2007)
    day, last = date(1900, 1, 1), date(2100, 12, 31)
    differences = []
    while day <= last:
        ours = solar_to_lunar(day)
        theirs = lunar_vn.solar_to_lunar(day)
        if (ours.year, ours.month, ours.day, ours.leap) != (
            theirs.year,
            theirs.month,
            theirs.day,
            theirs.leap,
        ):
            differences.append((day, ours, theirs))
        day += timedelta(days=1)
    assert differences == []


@pytest.mark.parametrize(
    ("solar", "lunar"),
    [
        (date(2054, 5, 7), LunarDate(2054, 3, 30)),
        (date(2054, 5, 8), LunarDate(2054, 4, 1)),
        (date(2062, 4, 9), LunarDate(2062, 2, 30)),
        (date(2062, 4, 10), LunarDate(2062, 3, 1)),
    ],
)
def test_a_new_moon_just_after_midnight_starts_the_next_day(solar: date, lunar: LunarDate) -> None:
    assert solar_to_lunar(solar) == lunar
    assert lunar_to_solar(lunar.year, lunar.month, lunar.day, lunar.leap) == solar
