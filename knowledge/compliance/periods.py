"""Reporting periods as officials type them, with or without diacritics, after a command or on the
command line: "tháng 11", "tháng 11/2026", "quý 3", "quý III năm 2025", "tháng trước", "năm 2025",
"01/10/2026 31/10/2026", "từ 1/10/2026 đến 31/10/2026"; the same words may come with a unit code.

A number that belongs to a period word (the 11 of "tháng 11", the 3 of "quý 3", a year) is never
read as a unit code; any other run of digits is one ("quý 38": this quarter, unit 38). A month or
quarter named without its year is the latest one that has begun ("tháng 11" typed in March 2026 is
November 2025).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from knowledge.compliance.figures import Period

_TOKEN = re.compile(
    r"(?P<date>\d{1,2}[/.-]\d{1,2}[/.-]\d{4})|(?P<iso>\d{4}-\d{1,2}-\d{1,2})"
    r"|(?P<month_year>\d{1,2}/\d{4})|(?P<number>\d+)|(?P<word>[a-z]+)"
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_CURRENT = {"nay", "this"}
_PREVIOUS = {"truoc", "ngoai", "roi", "last"}
_FILLERS = {"tu", "den", "toi", "ky", "trong", "cua", "va", "from", "to"}
_KINDS = {"thang": "thang", "t": "thang", "quy": "quy", "qui": "quy", "q": "quy", "nam": "nam"}
MIN_YEAR, MAX_YEAR = 1990, 2100


def fold(text: str) -> str:
    """Lower case without diacritics ("Quý" → "quy", "Đến" → "den")."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True)
class Request:
    """What an official typed: a period (None: the default one) and maybe a unit code."""

    period: Period | None = None
    code: str | None = None


class PeriodSyntaxError(ValueError):
    """Words that are neither a period nor a unit code."""


def _date(text: str) -> date:
    day, month, year = (int(part) for part in re.split(r"[/.-]", text))
    return date(year, month, day)


def _latest_month(month: int, today: date) -> Period:
    year = today.year if month <= today.month else today.year - 1
    return Period.month(year, month)


def _latest_quarter(quarter: int, today: date) -> Period:
    current = (today.month - 1) // 3 + 1
    year = today.year if quarter <= current else today.year - 1
    return Period.quarter(year, quarter)


def shift(period: Period, kind: str, steps: int) -> Period:
    """The month, quarter or year ``steps`` before (negative: after) the one holding ``period.start``."""
    start = period.start
    if kind == "nam":
        return Period(date(start.year - steps, 1, 1), date(start.year - steps, 12, 31))
    months = 3 if kind == "quy" else 1
    index = start.year * 12 + start.month - 1 - steps * months
    year, month = divmod(index, 12)
    if kind == "quy":
        return Period.quarter(year, month // 3 + 1)
    return Period.month(year, month + 1)


def recent_months(today: date, count: int) -> list[Period]:
    """The ``count`` months up to the one holding ``today``, oldest first."""
    current = Period.month(today.year, today.month)
    return [shift(current, "thang", steps) for steps in range(count - 1, -1, -1)]


class _Tokens:
    def __init__(self, text: str) -> None:
        self.items = [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(fold(text))]
        self.position = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.position + offset
        return self.items[index] if index < len(self.items) else ("", "")

    def take(self) -> tuple[str, str]:
        item = self.peek()
        self.position += 1
        return item

    @property
    def done(self) -> bool:
        return self.position >= len(self.items)


def _year(tokens: _Tokens) -> int | None:
    """A year following a month or quarter: "/2026" is in the token already; "năm 2026" or "2026"."""
    kind, value = tokens.peek()
    if kind == "word" and value == "nam" and tokens.peek(1)[0] == "number":
        year = int(tokens.peek(1)[1])
        if MIN_YEAR <= year <= MAX_YEAR:
            tokens.position += 2
            return year
    if kind == "number" and len(value) == 4 and MIN_YEAR <= int(value) <= MAX_YEAR:
        tokens.position += 1
        return int(value)
    return None


def _kind_period(kind: str, tokens: _Tokens, today: date) -> Period:
    """The period after a period word ("tháng", "quý", "năm")."""
    token_kind, value = tokens.peek()
    if token_kind == "word" and value in _CURRENT | _PREVIOUS:
        tokens.take()
        return shift(Period.of(kind, today), kind, 1 if value in _PREVIOUS else 0)
    if kind == "nam":
        if token_kind == "number" and len(value) == 4 and MIN_YEAR <= int(value) <= MAX_YEAR:
            tokens.take()
            return Period(date(int(value), 1, 1), date(int(value), 12, 31))
        return Period.of(kind, today)
    if token_kind == "month_year":
        tokens.take()
        number, year = (int(part) for part in value.split("/"))
        return _numbered(kind, number, year, today)
    limit = 12 if kind == "thang" else 4
    if token_kind == "number" and 1 <= int(value) <= limit and len(value) <= 2:
        tokens.take()
        return _numbered(kind, int(value), _year(tokens), today)
    if kind == "quy" and token_kind == "word" and value in _ROMAN:
        tokens.take()
        return _numbered(kind, _ROMAN[value], _year(tokens), today)
    return Period.of(kind, today)  # a number that is no month or quarter is left for a unit code


def _numbered(kind: str, number: int, year: int | None, today: date) -> Period:
    limit = 12 if kind == "thang" else 4
    if not 1 <= number <= limit:
        raise PeriodSyntaxError(f"{kind} {number}")
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodSyntaxError(f"năm {year}")
    if kind == "thang":
        return Period.month(year, number) if year else _latest_month(number, today)
    return Period.quarter(year, number) if year else _latest_quarter(number, today)


def parse_request(args: Sequence[str], today: date) -> Request:
    """The period and unit code in what followed a command. Raises PeriodSyntaxError for words that
    are neither, for an impossible date, or for a range that ends before it starts."""
    tokens = _Tokens(" ".join(args))
    period: Period | None = None
    code: str | None = None
    dates: list[date] = []
    while not tokens.done:
        kind, value = tokens.take()
        try:
            if kind in ("date", "iso"):
                dates.append(_date(value) if kind == "date" else date.fromisoformat(_iso(value)))
                continue
        except ValueError:
            raise PeriodSyntaxError(value) from None
        if kind == "month_year":
            month, year = (int(part) for part in value.split("/"))
            period = _numbered("thang", month, year, today)
        elif kind == "word" and value in _KINDS:
            period = _kind_period(_KINDS[value], tokens, today)
        elif kind == "number" and code is None:
            code = value
        elif not (kind == "word" and value in _FILLERS):
            raise PeriodSyntaxError(value)
    if dates:
        if len(dates) > 2 or period is not None:
            raise PeriodSyntaxError("khoảng ngày")
        start, end = dates[0], dates[-1]
        if end < start:
            raise PeriodSyntaxError("ngày kết thúc trước ngày bắt đầu")
        period = Period(start, end)
    return Request(period, code)


def _iso(value: str) -> str:
    year, month, day = value.split("-")
    return f"{year}-{int(month):02d}-{int(day):02d}"


def parse_period(text: str, today: date) -> Period:
    """A period alone (the command line's ``--period``); raises PeriodSyntaxError otherwise."""
    request = parse_request([text], today)
    if request.code is not None or request.period is None:
        raise PeriodSyntaxError(text)
    return request.period
