"""The query log behind /stats: queries per day, the share without a good match, and the most
frequent unanswered queries (the list an admin reads to add words to the vocabulary).

Only the query text and how well it was answered are kept — no Telegram id — so the log says what
people ask, not who asked it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Text, case, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from knowledge.models import Base, utcnow

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving time in Vietnam
MAX_QUERY_CHARS = 300
_SPACES = re.compile(r"\s+")


class QueryLogEntry(Base):
    __tablename__ = "query_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    day: Mapped[date] = mapped_column(Date, index=True)  # the calendar day in Vietnam
    query: Mapped[str] = mapped_column(Text)  # normalised, see normalise_query
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    top_score: Mapped[float | None] = mapped_column(Float)
    answered: Mapped[bool] = mapped_column(Boolean, index=True)  # a good match was found


def normalise_query(text: str) -> str:
    """NFC, lower case, single spaces: so "Cấp lại  CCCD" and "cấp lại cccd" count as one query."""
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip().lower()[:MAX_QUERY_CHARS]


def log_query(
    session: Session,
    query: str,
    *,
    answered: bool,
    result_count: int,
    top_score: float | None = None,
    at: datetime | None = None,
) -> QueryLogEntry | None:
    """Record one citizen query inside the caller's transaction; blank queries are not recorded."""
    text = normalise_query(query)
    if not text:
        return None
    at = at or datetime.now(UTC)
    entry = QueryLogEntry(
        at=at,
        day=at.astimezone(VIETNAM).date(),
        query=text,
        result_count=result_count,
        top_score=top_score,
        answered=answered,
    )
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class DayUsage:
    day: date
    queries: int
    unanswered: int


@dataclass(frozen=True)
class UsageStats:
    first_day: date
    last_day: date
    days: list[DayUsage]  # only days with queries, oldest first
    top_unanswered: list[tuple[str, int]]  # (query, times asked), most frequent first

    @property
    def total(self) -> int:
        return sum(day.queries for day in self.days)

    @property
    def unanswered(self) -> int:
        return sum(day.unanswered for day in self.days)

    @property
    def unanswered_share(self) -> float:
        """Share of queries without a good match, 0.0 when there were no queries."""
        return self.unanswered / self.total if self.total else 0.0


def usage_stats(session: Session, *, days: int = 7, top: int = 15, today: date | None = None) -> UsageStats:
    """Figures over the last ``days`` calendar days (Vietnam time), today included."""
    last = today or datetime.now(VIETNAM).date()
    first = last - timedelta(days=max(days, 1) - 1)
    in_range = QueryLogEntry.day.between(first, last)
    unanswered = func.sum(case((QueryLogEntry.answered.is_(False), 1), else_=0))
    per_day = session.execute(
        select(QueryLogEntry.day, func.count(QueryLogEntry.id), unanswered)
        .where(in_range)
        .group_by(QueryLogEntry.day)
        .order_by(QueryLogEntry.day)
    ).all()
    times = func.count(QueryLogEntry.id).label("times")
    frequent = session.execute(
        select(QueryLogEntry.query, times)
        .where(in_range, QueryLogEntry.answered.is_(False))
        .group_by(QueryLogEntry.query)
        .order_by(times.desc(), QueryLogEntry.query)
        .limit(top)
    ).all()
    return UsageStats(
        first_day=first,
        last_day=last,
        days=[DayUsage(day, int(count), int(missed or 0)) for day, count, missed in per_day],
        top_unanswered=[(query, int(count)) for query, count in frequent],
    )
