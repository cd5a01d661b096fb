from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from knowledge.db import make_engine, make_sessionmaker
from knowledge.usage import QueryLog, QueryLogEntry, log_query, normalise_query, usage_stats


def at(day: int, hour: int = 3) -> datetime:
    return datetime(2025, 9, day, hour, tzinfo=UTC)


def test_queries_are_normalised_and_blank_ones_skipped(session_factory: sessionmaker[Session]) -> None:
    decomposed = "Ca\u0302\u0301p la\u0323i  CCCD\n"  # NFD, as some keyboards send it
    assert normalise_query(decomposed) == "cấp lại cccd"
    with session_factory.begin() as session:
        assert log_query(session, "   ", answered=False, result_count=0) is None
        entry = log_query(session, decomposed, answered=True, result_count=3, top_score=12.5)
        assert entry is not None and entry.query == "cấp lại cccd"
    with session_factory() as session:
        assert session.scalar(select(func.count(QueryLogEntry.id))) == 1


def test_day_is_the_vietnamese_calendar_day(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        late_evening_utc = log_query(session, "x", answered=True, result_count=1, at=at(1, hour=18))
    assert late_evening_utc is not None and late_evening_utc.day == date(2025, 9, 2)


def test_stats_per_day_share_and_frequent_unanswered(session_factory: sessionmaker[Session]) -> None:
    asked = [
        (1, "đăng ký khai sinh", True),
        (1, "làm sổ đỏ", False),
        (2, "Làm  sổ đỏ", False),
        (2, "xin giấy phép nuôi chim", False),
        (2, "cấp lại cccd", True),
        (3, "làm sổ đỏ", False),
        (3, "xin giấy phép nuôi chim", False),
        (3, "đổi bằng lái", True),
    ]
    with session_factory.begin() as session:
        log_query(session, "quá cũ, ngoài khoảng", answered=False, result_count=0, at=at(20).replace(month=8))
        for day, query, answered in asked:
            log_query(session, query, answered=answered, result_count=int(answered), at=at(day))
    with session_factory() as session:
        stats = usage_stats(session, days=7, top=2, today=date(2025, 9, 3))
    assert stats.first_day == date(2025, 8, 28)
    assert [(d.day.day, d.queries, d.unanswered) for d in stats.days] == [(1, 2, 1), (2, 3, 2), (3, 3, 2)]
    assert (stats.total, stats.unanswered) == (8, 5)
    assert stats.unanswered_share == 5 / 8
    assert stats.top_unanswered == [("làm sổ đỏ", 3), ("xin giấy phép nuôi chim", 2)]


def test_stats_without_queries(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        stats = usage_stats(session, today=date(2025, 9, 3))
    assert (stats.total, stats.unanswered_share, stats.days, stats.top_unanswered) == (0, 0.0, [], [])


def logged(session_factory: sessionmaker[Session]) -> list[tuple[str, bool, int]]:
    with session_factory() as session:
        rows = session.execute(
            select(QueryLogEntry.query, QueryLogEntry.answered, QueryLogEntry.result_count).order_by(
                QueryLogEntry.id
            )
        )
        return [(query, answered, count) for query, answered, count in rows]


def test_the_bot_log_is_written_in_batches_and_nothing_is_lost_at_close(
    session_factory: sessionmaker[Session],
) -> None:
    log = QueryLog(session_factory, interval=3600)  # no periodic write during the test
    assert log.record("Khai  Sinh", answered=True, result_count=1, top_score=2.0)
    assert not log.record("  ", answered=False, result_count=0)
    assert log.record("xyz", answered=False, result_count=0, at=at(2))
    assert logged(session_factory) == []  # nothing written yet
    log.close()
    assert logged(session_factory) == [("khai sinh", True, 1), ("xyz", False, 0)]
    assert log.record("sau khi dừng", answered=True, result_count=2)  # after close: written at once
    assert logged(session_factory)[-1] == ("sau khi dừng", True, 2)


def test_a_full_batch_is_written_without_waiting_for_the_tick(session_factory: sessionmaker[Session]) -> None:
    log = QueryLog(session_factory, interval=3600, batch=3)
    written = threading.Event()
    real_flush = log.flush

    def flush() -> int:
        count = real_flush()
        if count:
            written.set()
        return count

    log.flush = flush  # type: ignore[method-assign]
    for number in range(3):
        log.record(f"câu hỏi {number}", answered=True, result_count=1)
    assert written.wait(10)
    assert [query for query, _answered, _count in logged(session_factory)] == [
        "câu hỏi 0",
        "câu hỏi 1",
        "câu hỏi 2",
    ]
    log.close()


def test_one_unstorable_query_never_blocks_the_log(
    session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """A NUL (refused by PostgreSQL) or a lone surrogate (refused by SQLite's UTF-8) in one query
    once made every batch fail, every second, for ever (issue 13, item 3)."""
    log = QueryLog(session_factory, interval=3600)
    log.record("trước", answered=True, result_count=1)
    log.record("khai\x00sinh", answered=False, result_count=0)
    log.record("cấp \ud800 lại", answered=False, result_count=0)
    log.record("\x00\ud83d", answered=False, result_count=0)  # nothing left once cleaned
    log.record("sau", answered=True, result_count=1)
    assert log.flush() == 4
    assert [query for query, _answered, _count in logged(session_factory)] == [
        "trước",
        "khaisinh",
        "cấp lại",
        "sau",
    ]
    log.close()


def test_a_row_the_database_refuses_is_dropped_and_logged(
    session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    log = QueryLog(session_factory, interval=3600)
    log.record("một", answered=True, result_count=1)
    log.record("hai", answered=True, result_count=1)
    log.record("ba", answered=True, result_count=1)
    log._pending[1]["result_count"] = 2**70  # no integer column holds it
    with caplog.at_level(logging.WARNING, logger="knowledge.usage"):
        assert log.flush() == 2
        log.close()  # nothing is left to retry
    assert [query for query, _answered, _count in logged(session_factory)] == ["một", "ba"]
    assert any("dropped" in record.getMessage() for record in caplog.records)
    assert log.flush() == 0


def test_closing_the_log_with_the_database_gone_loses_nothing_silently(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "gone" / "log.sqlite3").mkdir(parents=True)  # a folder where the file should be
    engine = make_engine(f"sqlite:///{tmp_path / 'gone' / 'log.sqlite3'}")
    log = QueryLog(make_sessionmaker(engine), interval=3600)
    log.record("khai sinh", answered=True, result_count=1)
    with caplog.at_level(logging.ERROR, logger="knowledge.usage"):
        log.close()  # does not raise: a stopping bot must still exit cleanly
    assert any(
        "1" in record.getMessage() and "not written" in record.getMessage() for record in caplog.records
    )
    engine.dispose()
