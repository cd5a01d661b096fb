from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.settings import get_settings
from knowledge.workcalendar import (
    BUNDLED_CALENDAR,
    ICT,
    CalendarError,
    Holiday,
    ScheduleEntry,
    WorkCalendar,
    default_calendar,
    load_calendar,
    read_calendar_file,
)


def schedule_entry(**overrides: Any) -> dict[str, Any]:
    """A valid calendar entry as it stands in a calendar file: Ngày Văn hóa Việt Nam 2026 (a Tuesday)."""
    entry: dict[str, Any] = {
        "name": "Ngày Văn hóa Việt Nam 2026",
        "year": 2026,
        "off": ["2026-11-24"],
        "confidence": "confirmed",
        "source": "test",
    }
    entry.update(overrides)
    return entry


def calendar_file(tmp_path: Path, *entries: dict[str, Any], **header: Any) -> Path:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({**header, "entries": list(entries)}, ensure_ascii=False), "utf-8")
    return path


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_calendar()


@pytest.fixture(scope="module")
def rules_only() -> WorkCalendar:
    return WorkCalendar()


# --- the bundled schedule -------------------------------------------------------------------------


def test_bundled_schedule_covers_every_holiday_2020_to_2026() -> None:
    schedule = read_calendar_file(BUNDLED_CALENDAR)
    for year in range(2020, 2027):
        covered = {h for entry in schedule.entries if entry.year == year for h in entry.covers}
        assert covered == set(Holiday), year
    assert all(entry.source for entry in schedule.entries)


def test_derived_entries_agree_with_the_labour_code_rules(
    cal: WorkCalendar, rules_only: WorkCalendar
) -> None:
    derived = [entry for entry in cal.entries if entry.confidence == "derived"]
    assert derived
    for entry in derived:
        for day in entry.off_days():
            assert not rules_only.is_working_day(day), (entry.name, day)


def test_tet_2026_break(cal: WorkCalendar) -> None:
    first, last = date(2026, 2, 14), date(2026, 2, 22)
    assert cal.is_working_day(first - timedelta(days=1))
    assert cal.is_working_day(last + timedelta(days=1))
    break_days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert len(break_days) == 9
    assert not any(cal.is_working_day(day) for day in break_days)
    assert "Tết" in (cal.day_off_reason(date(2026, 2, 17)) or "")
    assert cal.day_off_reason(date(2026, 2, 13)) is None
    # the 9-day break costs exactly its 5 weekdays of working time
    start = datetime(2026, 2, 9, 7, 30)
    assert cal.working_days_between(start, start + timedelta(days=14)) == 5


def test_swapped_saturday(cal: WorkCalendar) -> None:
    assert cal.is_working_day(date(2026, 1, 10))  # a Saturday, worked in exchange for Friday 2 January
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.swapped_working_days(2026) == [date(2026, 1, 10), date(2026, 8, 22)]
    assert len(cal.working_periods(date(2026, 1, 10))) == 2
    friday = datetime(2026, 1, 9, 16, 0)
    assert cal.add_working_hours(friday, 2) == datetime(2026, 1, 10, 8, 30)


def test_weekend_holiday_gets_a_substitute_day(cal: WorkCalendar, rules_only: WorkCalendar) -> None:
    # 1 May 2027 is a Saturday: no schedule announced, the rules give Monday 3 May off
    assert not rules_only.is_working_day(date(2027, 5, 3))
    assert rules_only.day_off_reason(date(2027, 5, 3)) == "Nghỉ bù Ngày Quốc tế Lao động"
    assert rules_only.is_working_day(date(2027, 5, 4))
    # 30/4 and 1/5/2022 fell on Saturday and Sunday: two substitutes, Monday and Tuesday
    may_2022 = [day for day, _ in rules_only.days_off(2022) if day.month == 5]
    assert may_2022 == [date(2022, 5, 2), date(2022, 5, 3)]
    assert not cal.is_working_day(date(2022, 5, 3))


def test_rules_pick_the_national_day_adjacent_day(rules_only: WorkCalendar) -> None:
    national_days = {
        year: [day for day, _ in rules_only.days_off(year) if day.month == 9] for year in (2021, 2024, 2025)
    }
    assert national_days == {
        2021: [date(2021, 9, 2), date(2021, 9, 3)],
        2024: [date(2024, 9, 2), date(2024, 9, 3)],
        2025: [date(2025, 9, 1), date(2025, 9, 2)],
    }


# --- working-time arithmetic ----------------------------------------------------------------------


FRIDAY = datetime(2025, 3, 14, 16, 0)  # an ordinary week


def test_six_working_hours_from_friday_1600(cal: WorkCalendar) -> None:
    # Friday 16:00–17:00, Monday 07:30–11:30, 13:00–14:00
    assert cal.add_working_hours(FRIDAY, 6) == datetime(2025, 3, 17, 14, 0)
    assert cal.working_hours_between(FRIDAY, datetime(2025, 3, 17, 14, 0)) == 6


def test_add_working_hours_across_weekend_and_lunch(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(FRIDAY, 3) == datetime(2025, 3, 17, 9, 30)
    assert cal.add_working_hours(datetime(2025, 3, 17, 10, 30), 2) == datetime(2025, 3, 17, 14, 0)
    assert cal.add_working_hours(datetime(2025, 3, 17, 10, 30), 1) == datetime(2025, 3, 17, 11, 30)
    assert cal.add_working_hours(FRIDAY, 1) == datetime(2025, 3, 14, 17, 0)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (datetime(2025, 3, 15, 9, 0), 1, datetime(2025, 3, 17, 8, 30)),  # Saturday
        (datetime(2025, 3, 17, 12, 0), 1, datetime(2025, 3, 17, 14, 0)),  # lunch break
        (datetime(2025, 3, 13, 18, 0), 1, datetime(2025, 3, 14, 8, 30)),  # evening
        (datetime(2025, 3, 17, 6, 0), 0.5, datetime(2025, 3, 17, 8, 0)),  # early morning
        (datetime(2025, 3, 15, 10, 0), 0, datetime(2025, 3, 17, 7, 30)),
        (datetime(2025, 3, 17, 8, 30), -1, datetime(2025, 3, 17, 7, 30)),
        (datetime(2025, 3, 17, 7, 30), -1, datetime(2025, 3, 14, 16, 0)),
        (datetime(2025, 3, 17, 14, 0), -1, datetime(2025, 3, 17, 13, 0)),
    ],
)
def test_time_outside_working_hours_starts_from_the_next_period(
    cal: WorkCalendar, start: datetime, hours: float, expected: datetime
) -> None:
    assert cal.add_working_hours(start, hours) == expected


def test_next_working_instant(cal: WorkCalendar) -> None:
    inside = datetime(2025, 3, 17, 9, 15)
    assert cal.next_working_instant(inside) == inside
    assert cal.next_working_instant(datetime(2025, 3, 17, 11, 30)) == datetime(2025, 3, 17, 13, 0)
    # an online dossier sent on the eve of Tết 2026 is received when the offices reopen
    eve = datetime(2026, 2, 16, 20, 0, tzinfo=ICT)
    assert cal.next_working_instant(eve) == datetime(2026, 2, 23, 7, 30, tzinfo=ICT)


def test_add_working_days(cal: WorkCalendar) -> None:
    assert cal.add_working_days(FRIDAY, 1) == datetime(2025, 3, 17, 16, 0)
    assert cal.add_working_days(datetime(2025, 3, 17, 7, 30), 1) == datetime(2025, 3, 17, 17, 0)
    assert cal.add_working_days(datetime(2025, 3, 17, 7, 30), 0.5) == datetime(2025, 3, 17, 11, 30)
    # Friday before Tết 2026: 7.5 hours left that day, the last half hour after the break
    assert cal.add_working_days(datetime(2026, 2, 13, 8, 0), 1) == datetime(2026, 2, 23, 8, 0)


def test_working_hours_between_is_antisymmetric(cal: WorkCalendar) -> None:
    monday = datetime(2025, 3, 17, 7, 30)
    assert cal.working_hours_between(monday, monday + timedelta(days=7)) == 40
    assert cal.working_hours_between(monday + timedelta(days=7), monday) == -40
    assert cal.working_days_between(monday + timedelta(days=7), monday) == -5
    assert cal.working_hours_between(datetime(2025, 3, 15, 8), datetime(2025, 3, 16, 20)) == 0
    assert cal.working_hours_between(monday, monday) == 0


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 12, 31)),
    st.integers(min_value=-2000 * 3600, max_value=2000 * 3600).map(lambda seconds: seconds / 3600),
)
def test_add_then_measure_round_trips(cal: WorkCalendar, start: datetime, hours: float) -> None:
    end = cal.add_working_hours(start, hours)
    assert cal.working_hours_between(start, end) == pytest.approx(hours, abs=1e-6)
    assert cal.working_hours_between(end, start) == pytest.approx(-hours, abs=1e-6)
    assert end >= start if hours >= 0 else end <= start
    if hours:
        periods = cal.working_periods(end)
        assert any(a.replace(tzinfo=None) <= end <= b.replace(tzinfo=None) for a, b in periods)


# --- time zones -----------------------------------------------------------------------------------


def test_aware_datetimes_in_any_zone(cal: WorkCalendar) -> None:
    friday_utc = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)  # 16:00 in Hà Nội
    result = cal.add_working_hours(friday_utc, 6)
    assert result.tzinfo is UTC
    assert result == datetime(2025, 3, 17, 14, 0, tzinfo=ICT)
    new_york = timezone(timedelta(hours=-4))
    assert cal.working_hours_between(friday_utc, datetime(2025, 3, 14, 6, 0, tzinfo=new_york)) == 1
    assert cal.working_hours_between(FRIDAY, friday_utc) == 0  # naive means Vietnam local time


def test_day_is_taken_in_vietnam(cal: WorkCalendar) -> None:
    evening_utc = datetime(2026, 2, 13, 20, 0, tzinfo=UTC)  # already Saturday 14/2 03:00 in Hà Nội
    assert cal.is_working_day(evening_utc.date())
    assert not cal.is_working_day(evening_utc)
    periods = cal.working_periods(date(2025, 3, 17))
    assert periods[0] == (datetime(2025, 3, 17, 7, 30, tzinfo=ICT), datetime(2025, 3, 17, 11, 30, tzinfo=ICT))
    assert cal.working_periods(date(2026, 2, 17)) == ()


def test_outside_the_supported_range(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="ngoài phạm vi"):
        cal.is_working_day(date(1999, 1, 4))
    with pytest.raises(ValueError, match="ngoài phạm vi"):
        cal.add_working_days(datetime(2099, 12, 30, 8, 0), 10)


# --- configuration and admin files ----------------------------------------------------------------


def test_working_periods_come_from_the_file(tmp_path: Path) -> None:
    path = calendar_file(tmp_path, schedule_entry(), working_periods=[["08:00", "12:00"]])
    cal = load_calendar(path)
    assert cal.hours_per_day == 4
    assert cal.add_working_days(datetime(2025, 3, 17, 8, 0), 1) == datetime(2025, 3, 17, 12, 0)
    assert cal.working_periods_local == ((time(8, 0), time(12, 0)),)


def test_admin_file_adds_a_day_off(tmp_path: Path, cal: WorkCalendar) -> None:
    extended = load_calendar(calendar_file(tmp_path, schedule_entry()))
    assert cal.is_working_day(date(2026, 11, 24))
    assert not extended.is_working_day(date(2026, 11, 24))
    assert extended.day_off_reason(date(2026, 11, 24)) == "Ngày Văn hóa Việt Nam 2026"
    assert not extended.is_working_day(date(2026, 2, 16))  # the bundled schedule is kept


def test_admin_entry_replaces_the_bundled_one(tmp_path: Path) -> None:
    swap = schedule_entry(
        name="Giỗ Tổ Hùng Vương, 30/4 – 1/5/2026 (hoán đổi)",
        covers=["hung_kings", "reunification", "labour_day"],
        off=[["2026-04-25", "2026-05-03"]],
        work=["2026-05-09", "2026-05-16"],
    )
    cal = load_calendar(calendar_file(tmp_path, swap))
    assert not cal.is_working_day(date(2026, 4, 28))
    assert cal.is_working_day(date(2026, 5, 9))
    assert cal.day_off_reason(date(2026, 4, 30)) == swap["name"]


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (schedule_entry(off=["2026-13-01"]), "off.0"),
        (schedule_entry(off=[["2026-05-03", "2026-04-30"]]), "ngày bắt đầu sau ngày kết thúc"),
        (schedule_entry(work=["2026-11-25"]), "không phải thứ Bảy hoặc Chủ nhật"),
        (schedule_entry(covers=["christmas"]), "covers.0"),
        (schedule_entry(year=1990), "ngoài phạm vi"),
        (schedule_entry(off=["2029-11-24"]), "không thuộc năm 2026"),
        (schedule_entry(off=[], work=[]), "ít nhất một ngày"),
        (schedule_entry(source=" "), "không được để trống"),
        (schedule_entry(confidence="sure"), "confidence"),
        (schedule_entry(days=["2026-11-24"]), "days: Extra inputs are not permitted"),
        (schedule_entry(off=[], work=["2026-02-14"]), "là ngày nghỉ trong mục 'Tết Bính Ngọ 2026'"),
    ],
)
def test_malformed_admin_entry_is_rejected_with_the_reason(
    tmp_path: Path, entry: dict[str, Any], reason: str
) -> None:
    with pytest.raises(CalendarError) as info:
        load_calendar(calendar_file(tmp_path, schedule_entry(name="Tốt", off=["2026-12-01"]), entry))
    assert len(info.value.errors) == 1
    error = info.value.errors[0]
    assert error.index == 1
    assert reason in error.reason
    assert f"mục #2 ({entry['name']})" in str(info.value)


def test_every_bad_entry_is_reported(tmp_path: Path) -> None:
    path = calendar_file(
        tmp_path,
        schedule_entry(off=["hôm qua"]),
        schedule_entry(name="Ngày lễ khác"),
        schedule_entry(name="Tết 2027", covers=["tet"], year=2027, off=[["2027-02-05", "2027-02-11"]]),
        schedule_entry(name="Tết 2027 (lần 2)", covers=["tet"], year=2027, off=["2027-02-12"]),
    )
    with pytest.raises(CalendarError) as info:
        read_calendar_file(path)
    assert [(error.index, error.name) for error in info.value.errors] == [
        (0, "Ngày Văn hóa Việt Nam 2026"),
        (3, "Tết 2027 (lần 2)"),
    ]
    message = str(info.value)
    assert message.startswith(f"{path}: 2 mục không hợp lệ")
    assert "mục #1 (Ngày Văn hóa Việt Nam 2026): off.0" in message
    assert "mục #4 (Tết 2027 (lần 2)): tet năm 2027 đã có trong mục 'Tết 2027'" in message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "không phải JSON hợp lệ"),
        ("[]", "cần một đối tượng JSON"),
        (json.dumps({"entries": [], "periods": []}), "periods: Extra inputs are not permitted"),
        (json.dumps({"working_periods": [["13:00", "12:00"]]}), "giờ bắt đầu không trước giờ kết thúc"),
        (json.dumps({"working_periods": [["07:30", "11:30"], ["11:00", "17:00"]]}), "chồng lên"),
        (json.dumps({"working_periods": []}), "ít nhất một khoảng"),
    ],
)
def test_malformed_calendar_file_is_rejected(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(content, "utf-8")
    with pytest.raises(CalendarError, match=reason):
        load_calendar(path)


def test_missing_admin_file(tmp_path: Path) -> None:
    with pytest.raises(CalendarError, match="không đọc được"):
        load_calendar(tmp_path / "absent.json")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    default_calendar.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
    default_calendar.cache_clear()


def test_default_calendar_picks_up_the_admin_file(data_dir: Path) -> None:
    assert default_calendar().is_working_day(date(2026, 11, 24))
    calendar_file(data_dir, schedule_entry())
    default_calendar.cache_clear()
    assert not default_calendar().is_working_day(date(2026, 11, 24))


def test_entries_validate_on_their_own() -> None:
    entry = ScheduleEntry.model_validate(schedule_entry(off=[["2026-11-23", "2026-11-24"], "2026-11-26"]))
    assert entry.off_days() == {date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 26)}
