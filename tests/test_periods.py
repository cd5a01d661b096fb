"""Periods as officials type them after a command or give them on the command line."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.compliance.figures import Period
from knowledge.compliance.periods import (
    PeriodSyntaxError,
    Request,
    parse_period,
    parse_request,
    recent_months,
)

TODAY = date(2026, 3, 15)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
NOVEMBER_2025 = Period(date(2025, 11, 1), date(2025, 11, 30))
Q3_2025 = Period(date(2025, 7, 1), date(2025, 9, 30))
YEAR_2025 = Period(date(2025, 1, 1), date(2025, 12, 31))
OCTOBER_2026 = Period(date(2026, 10, 1), date(2026, 10, 31))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", Request()),
        ("tháng", Request(MARCH)),
        ("THANG", Request(MARCH)),
        ("tháng 11", Request(NOVEMBER_2025)),  # the latest November that has begun
        ("thang 11", Request(NOVEMBER_2025)),
        ("tháng 11/2025", Request(NOVEMBER_2025)),
        ("tháng 11 năm 2025", Request(NOVEMBER_2025)),
        ("11/2025", Request(NOVEMBER_2025)),
        ("tháng 3", Request(MARCH)),
        ("tháng này", Request(MARCH)),
        ("tháng trước", Request(Period(date(2026, 2, 1), date(2026, 2, 28)))),
        ("thang truoc", Request(Period(date(2026, 2, 1), date(2026, 2, 28)))),
        ("quý 3", Request(Q3_2025)),
        ("quí 3", Request(Q3_2025)),
        ("quy III", Request(Q3_2025)),
        ("quý 3 năm 2025", Request(Q3_2025)),
        ("quý 3/2025", Request(Q3_2025)),
        ("Quý", Request(Period(date(2026, 1, 1), date(2026, 3, 31)))),
        ("quý trước", Request(Period(date(2025, 10, 1), date(2025, 12, 31)))),
        ("năm 2025", Request(YEAR_2025)),
        ("nam ngoai", Request(YEAR_2025)),
        ("năm nay", Request(Period(date(2026, 1, 1), date(2026, 12, 31)))),
        ("01/10/2026 31/10/2026", Request(OCTOBER_2026)),
        ("1/10/2026-31/10/2026", Request(OCTOBER_2026)),
        ("từ 01/10/2026 đến 31/10/2026", Request(OCTOBER_2026)),
        ("2026-10-01 2026-10-31", Request(OCTOBER_2026)),
        # numbers that belong to a period word are never unit codes; the others are
        ("402", Request(code="402")),
        ("tháng 11 402", Request(NOVEMBER_2025, "402")),
        ("16195 tháng 11", Request(NOVEMBER_2025, "16195")),
        ("quý 3 38", Request(Q3_2025, "38")),
        ("quý 38", Request(Period(date(2026, 1, 1), date(2026, 3, 31)), "38")),
        ("năm 2025 16195", Request(YEAR_2025, "16195")),
    ],
)
def test_typed_periods(typed: str, expected: Request) -> None:
    assert parse_request(typed.split(), TODAY) == expected


@pytest.mark.parametrize(
    "typed", ["tuần", "tháng 11 abc", "31/02/2026 01/03/2026", "31/10/2026 01/10/2026", "402 403"]
)
def test_what_is_neither_a_period_nor_a_unit_is_refused(typed: str) -> None:
    with pytest.raises(PeriodSyntaxError):
        parse_request(typed.split(), TODAY)


def test_command_line_period() -> None:
    assert parse_period("tháng 11/2026", TODAY) == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert parse_period("quy", TODAY) == Period(date(2026, 1, 1), date(2026, 3, 31))
    for typed in ("402", ""):
        with pytest.raises(PeriodSyntaxError):
            parse_period(typed, TODAY)


def test_recent_months_cross_the_year() -> None:
    months = recent_months(date(2026, 2, 10), 6)
    assert [(p.start.year, p.start.month) for p in months] == [
        (2025, 9), (2025, 10), (2025, 11), (2025, 12), (2026, 1), (2026, 2),
    ]  # fmt: skip
    assert months[-1].end == date(2026, 2, 28)
