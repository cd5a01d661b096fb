"""The query log behind /stats: queries per day, the share without a good match, and the most
frequent unanswered queries (the list an admin reads to add words to the vocabulary).

Only the query text and how well it was answered are kept — no Telegram id — so the log says what
people ask, not who asked it.

The bot writes through a :class:`QueryLog`, which batches the inserts; ``log_query`` writes one
entry inside the caller's transaction. Text is cleaned before it is kept (no NUL, which PostgreSQL
refuses, no lone surrogate, which is not UTF-8), and a row the database still refuses is dropped
and logged: one citizen's message must never stop the log for everyone.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Text, case, func, insert, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from knowledge.models import Base, utcnow

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving time in Vietnam
MAX_QUERY_CHARS = 300
MAX_STATS_DAYS = 3660  # ten years: /stats looks no further back
FLUSH_SECONDS = 1.0
FLUSH_ROWS = 200  # a batch this long is written at once rather than at the next tick
MAX_BUFFERED = 20_000  # while the database refuses the log, the oldest entries beyond this are dropped
_SPACES = re.compile(r"\s+")
# The database is down or busy: the entries are kept for the next round, not dropped.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
log = logging.getLogger(__name__)


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
    """NFC, lower case, single spaces: so "Cấp lại  CCCD" and "cấp lại cccd" count as one query.

    Control characters (NUL among them) and lone surrogates are dropped: neither database stores
    them, and nobody means them.
    """
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text))
    text = "".join(char for char in text if unicodedata.category(char) not in ("Cc", "Cs"))
    return _SPACES.sub(" ", text).strip().lower()[:MAX_QUERY_CHARS]


def _entry(
    query: str, answered: bool, result_count: int, top_score: float | None, at: datetime | None
) -> dict[str, Any] | None:
    """The column values of one log entry; None for a blank query (not recorded)."""
    text = normalise_query(query)
    if not text:
        return None
    at = at or datetime.now(UTC)
    return {
        "at": at,
        "day": at.astimezone(VIETNAM).date(),
        "query": text,
        "result_count": result_count,
        "top_score": top_score,
        "answered": answered,
    }


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
    values = _entry(query, answered, result_count, top_score, at)
    if values is None:
        return None
    entry = QueryLogEntry(**values)
    session.add(entry)
    session.flush()
    return entry


class QueryLog:
    """The bot's query log, written in batches by a thread of its own.

    An INSERT and its flush in every citizen's transaction were a measurable share of what an answer
    cost, and made a transaction that otherwise only reads a write. Entries are kept in memory and
    inserted together, in one transaction, every ``interval`` seconds (sooner once ``batch`` are
    waiting) and at :meth:`close`: nothing is lost on a clean stop, a crash loses at most the last
    second of statistics, and nothing a citizen sees depends on them. The writer thread starts with
    the first entry, so a log that records nothing costs nothing.
    """

    def __init__(
        self, sessions: sessionmaker[Session], *, interval: float = FLUSH_SECONDS, batch: int = FLUSH_ROWS
    ) -> None:
        self.sessions = sessions
        self.interval = interval
        self.batch = batch
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one batch at a time, so entries keep their order
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def record(
        self,
        query: str,
        *,
        answered: bool,
        result_count: int,
        top_score: float | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Queue one citizen query; False when it is blank (not recorded)."""
        values = _entry(query, answered, result_count, top_score, at)
        if values is None:
            return False
        with self._lock:
            self._pending.append(values)
            waiting = len(self._pending)
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="query-log-writer", daemon=True)
                self._thread.start()
        if self._closed:
            self._flush_or_log()
        elif waiting >= self.batch:
            self._wake.set()
        return True

    def flush(self) -> int:
        """Write every queued entry now; returns how many were written.

        While the database cannot be reached the entries are kept (raising its error); an entry it
        refuses is dropped and logged, and the others are written.
        """
        with self._write_lock:
            with self._lock:
                rows, self._pending = self._pending, []
            if not rows:
                return 0
            try:
                self._insert(rows)
                return len(rows)
            except UNAVAILABLE:
                self._keep(rows)
                raise
            except Exception:
                pass  # some row is refused: write them one by one below
            for number, row in enumerate(rows):
                try:
                    self._insert([row])
                except UNAVAILABLE:
                    self._keep(rows[number:])
                    raise
                except Exception as exc:
                    log.warning(
                        "query log: an entry the database refused was dropped (%s)", type(exc).__name__
                    )
                    rows[number] = {}
            return sum(1 for row in rows if row)

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        with self.sessions.begin() as session:
            session.execute(insert(QueryLogEntry), rows)

    def _keep(self, rows: list[dict[str, Any]]) -> None:
        """Keep unwritten entries for the next round, the oldest dropped beyond the bound."""
        with self._lock:
            self._pending = ([row for row in rows if row] + self._pending)[-MAX_BUFFERED:]

    def _flush_or_log(self) -> None:
        try:
            self.flush()
        except UNAVAILABLE:
            log.error(
                "query log: %d entries not written, the database is unavailable",
                len(self._pending),
                exc_info=True,
            )

    def close(self) -> None:
        """Stop the writer thread and write what is left; never raises (a stopping bot must exit
        cleanly): what the database cannot take now is logged as lost."""
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
        self._wake.set()
        if thread is not None:
            thread.join()
        self._flush_or_log()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                log.exception("query log: %d entries not written, retrying", len(self._pending))


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
    """Figures over the last ``days`` calendar days (Vietnam time), today included; ``days`` is
    taken between 1 and ``MAX_STATS_DAYS``."""
    last = today or datetime.now(VIETNAM).date()
    first = last - timedelta(days=min(max(days, 1), MAX_STATS_DAYS) - 1)
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
