"""Admins correct the working-time calendar (issue 14 §5): a holiday or swapped day is stored for
every host, the stored working-time values of the dossiers it touches are recomputed, and reports
say when they count days by the statutory rules only (no official schedule published yet)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cli import main
from knowledge.calendarstore import (
    add_change,
    apply_change,
    calendar_for,
    parse_change,
    remove_change,
    withdraw_change,
)
from knowledge.compliance.dossiers import upsert_records
from knowledge.compliance.figures import Period
from knowledge.compliance.models import Dossier, DossierSummary, Timeliness
from knowledge.compliance.ranking import unit_report
from knowledge.models import Era, Unit
from knowledge.settings import get_settings
from knowledge.workcalendar import Holiday
from tests.factories import dossier, dossier_units


@pytest.fixture
def communes(session: Session) -> None:
    dossier_units(session)


def late(session: Session) -> int:
    return int(session.scalar(select(func.sum(DossierSummary.late))) or 0)


def test_parse_change() -> None:
    entry = parse_change(["nghi", "05/02/2027..13/02/2027", "le:tet", "Tết", "Đinh", "Mùi", "2027"], "cli:a")
    assert (entry.name, entry.year, entry.covers, entry.confidence) == (
        "Tết Đinh Mùi 2027",
        2027,
        [Holiday.TET],
        "confirmed",
    )
    assert entry.off == [(date(2027, 2, 5), date(2027, 2, 13))]
    swap = parse_change(["lambu", "2027-01-30", "Tết", "Đinh", "Mùi"], "cli:a", "TB 123/TB-BNV")
    assert (swap.work, swap.source) == ([date(2027, 1, 30)], "TB 123/TB-BNV")
    for words in (
        ["nghi", "Tết"],
        ["lambu", "01/02/2027", "Tết"],
        ["nghi", "03/02/2027"],
        ["ngu", "03/02/2027", "x"],
    ):
        with pytest.raises(ValueError):
            parse_change(words, "cli:a")


def test_a_new_holiday_recomputes_the_dossiers_it_touches(session: Session, communes: None) -> None:
    # A: due Tuesday 9 March 2021 at 17:00, finished Thursday the 11th at 09:00: 8 + 1.5 working hours
    # late. B ended on the 9th: nothing of it depends on the 10th.
    upsert_records(
        session,
        [
            (
                2,
                dossier(
                    code="A",
                    due_at=datetime(2021, 3, 9, 17),
                    finished_at=datetime(2021, 3, 11, 9),
                    returned_at=None,
                ),
            ),
            (3, dossier(code="B")),
        ],
    )

    def a() -> tuple[int | None, float | None, float | None]:
        session.expire_all()
        row = session.scalars(select(Dossier).where(Dossier.code == "A")).one()
        return row.timeliness, row.late_hours, row.processing_hours

    assert a() == (3, 9.5, 24.0)
    processing_before = session.scalar(select(func.sum(DossierSummary.processing_hours)))
    applied = apply_change(
        session, parse_change(["nghi", "10/03/2021", "Nghỉ", "đột", "xuất"], "test"), "test"
    )
    assert (applied.changed_days, applied.recomputed) == ([date(2021, 3, 10)], 1)
    assert a() == (3, 1.5, 16.0)
    assert not calendar_for(session).is_working_day(date(2021, 3, 10))
    assert session.scalar(select(func.sum(DossierSummary.processing_hours))) == processing_before - 8
    # Withdrawn, everything is as before.
    assert withdraw_change(session, applied.change.id) is not None
    assert a() == (3, 9.5, 24.0)
    assert late(session) == 1


def test_a_date_only_appointment_follows_the_calendar_change(session: Session, communes: None) -> None:
    # Imported while Wednesday 10 March 2021 was given off, an appointment "2021-03-10" (a date only)
    # ends with the working day before; once the day off is withdrawn, it ends at 17:00 on the 10th
    # again, and a dossier finished at 10:00 that day is on time, not 2.5 working hours late.
    applied = apply_change(session, parse_change(["nghi", "10/03/2021", "Nghỉ", "đột", "xuất"], "t"), "t")
    upsert_records(
        session,
        [(2, dossier(code="A", due_at=datetime(2021, 3, 10), finished_at=datetime(2021, 3, 10, 10)))],
    )

    def a() -> tuple[datetime | None, int | None]:
        session.expire_all()
        row = session.scalars(select(Dossier).where(Dossier.code == "A")).one()
        return row.due_at, row.timeliness

    assert a()[0] == datetime(2021, 3, 10)  # the day off's midnight: the end of Tuesday's hours
    assert withdraw_change(session, applied.change.id) is not None
    assert a() == (datetime(2021, 3, 10, 17), int(Timeliness.ON_TIME))
    assert late(session) == 0


def test_a_change_made_elsewhere_is_seen(session: Session) -> None:
    # Another bot process withdraws the day off this one has cached and records another: on SQLite the new
    # row may take the removed row's id, so the same count and last id must not pass for no change.
    first = add_change(session, parse_change(["nghi", "10/03/2021", "Nghỉ", "một"], "t"), "t")
    assert not calendar_for(session).is_working_day(date(2021, 3, 10))
    remove_change(session, first.id)
    add_change(session, parse_change(["nghi", "11/03/2021", "Nghỉ", "hai"], "t"), "t")
    calendar = calendar_for(session)
    assert calendar.is_working_day(date(2021, 3, 10)) and not calendar.is_working_day(date(2021, 3, 11))


def test_a_clash_with_the_calendar_is_refused(session: Session) -> None:
    from knowledge.workcalendar import CalendarError

    # 2026-01-10 is a swapped working Saturday in the bundled schedule; it cannot also be a day off.
    with pytest.raises(CalendarError):
        apply_change(session, parse_change(["nghi", "10/01/2026", "Nghỉ", "thêm"], "test"), "test")


def test_reports_mark_days_after_the_published_schedule(session: Session, communes: None) -> None:
    district = session.scalars(select(Unit).where(Unit.code == "402", Unit.era == Era.THREE_TIER)).one()
    calendar = calendar_for(session)
    assert calendar.provisional_from() == date(2027, 1, 1)  # the bundled schedule ends with 2026
    past = unit_report(session, district, Period(date(2021, 3, 1), date(2021, 3, 31)), datetime(2021, 4, 2))
    assert past.provisional_from is None and past.as_dict()["calendar_provisional_from"] is None
    future = unit_report(session, district, Period(date(2027, 1, 1), date(2027, 1, 31)), datetime(2027, 2, 1))
    assert future.provisional_from == date(2027, 1, 1)
    # Once an admin records the 2027 schedule, 2027 counts as published.
    entry = parse_change(["nghi", "05/02/2027..13/02/2027", "le:tet", "Tết", "Đinh", "Mùi"], "test")
    apply_change(session, entry, "test")
    assert calendar_for(session).provisional_from() == date(2028, 1, 1)


def test_calendar_command(
    session: Session, db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:  # fmt: skip
    session.commit()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["calendar", "add", "nghi", "24/11/2026", "Ngày", "Văn", "hóa", "Việt", "Nam"]) == 0
        assert main(["calendar", "show", "--year", "2026"]) == 0
        assert main(["calendar", "add", "nghi", "Thiếu", "ngày"]) == 1
        assert main(["calendar", "remove", "1"]) == 0
        assert main(["calendar", "remove", "1"]) == 1
    finally:
        get_settings.cache_clear()
    out, err = capsys.readouterr()
    assert "Đã lưu #1: Ngày Văn hóa Việt Nam; nghỉ 2026-11-24." in out
    assert "24/11/2026  Ngày Văn hóa Việt Nam" in out and "#1 Ngày Văn hóa Việt Nam" in out
    assert "Từ 01/01/2027: theo quy định, chưa có lịch chính thức." in out
    assert "Đã bỏ #1" in out and "không có ngày nào" in err and "Không có sửa đổi #1" in err
